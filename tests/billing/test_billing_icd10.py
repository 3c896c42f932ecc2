"""ICD-10-CM in charge entry (issue 17 item 12): the whole code set from simple-icd-10-cm, a code search
under the diagnosis box that adds a billable code in one click, codes outside the code set refused, and
each rendering provider's favourites offered first."""
from __future__ import annotations

from billing_setup import database, encounter_with_charges, practice
from medoffice.app import preload_plugins
from medoffice.models import AuditEvent

from medoffice_billing import encounters, favorites, icd10
from medoffice_billing.models import Diagnosis, ProviderFavorite

HTMX = {"HX-Request": "true"}


def test_the_code_set_knows_billable_codes_from_categories():
    assert icd10.find("E11.9") == icd10.Code("E119", "Type 2 diabetes mellitus without complications", True)
    assert icd10.find("e11").billable is False and icd10.find("S72.001A").billable is True
    assert icd10.find("E11.99") is None and icd10.find("A00-A09") is None  # no such code; a block
    assert [c.dotted for c in icd10.search("E11.6")][:3] == ["E11.6", "E11.61", "E11.610"]
    words = icd10.search("type 2 diabetes kidney")
    assert words[0].billable and all("kidney" in c.description.lower() for c in words)
    assert icd10.search("a") == []


def test_serve_parses_the_code_set_and_builds_its_index_before_the_workers_start(app):
    icd10._index.cache_clear()
    preload_plugins(app)  # as `medoffice serve` does before it forks
    assert icd10._index.cache_info().currsize == 1 and icd10._library.cache_info().currsize == 1


def test_search_adds_in_one_click_and_unknown_codes_are_refused(app, client_as):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)  # E11.9 on it already
    clerk = client_as("billing")
    found = clerk.get(f"/billing/icd10/search?encounter={encounter.id}&dx-code=asthma", headers=HTMX)
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and 'value="J4520"' in html and "Mild intermittent asthma" in html
    assert "Rosa" not in html and "Diaz" not in html  # the search shows nothing of the patient
    category = clerk.get(f"/billing/icd10/search?encounter={encounter.id}&dx-code=J45", headers=HTMX)
    assert "a category, not billable" in category.get_data(as_text=True)
    added = clerk.post(f"/billing/encounters/{encounter.id}/diagnoses", data={"dx-code": "J4520"}, headers=HTMX)
    assert added.status_code == 200 and "J45.20" in added.get_data(as_text=True)
    refused = clerk.post(f"/billing/encounters/{encounter.id}/diagnoses", data={"dx-code": "E11.99"}, headers=HTMX)
    assert refused.status_code == 422 and "E11.99 is not an ICD-10-CM code" in refused.get_data(as_text=True)
    with database(app):
        assert [d.code for d in Diagnosis.select().where(Diagnosis.encounter == encounter.id)
                .order_by(Diagnosis.position)] == ["E119", "J4520"]
    assert clerk.get("/billing/icd10/search?encounter=999999&q=asthma").status_code == 404
    assert client_as("auditor").get(f"/billing/icd10/search?encounter={encounter.id}&q=asthma").status_code == 403


def test_each_providers_favourites_are_offered_first(app, client_as):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
        provider = records["provider"].id
    clerk = client_as("billing")
    url = f"/billing/encounters/{encounter.id}/favorites"
    page = clerk.post(url, data={"code": "I10"}, headers=HTMX).get_data(as_text=True)
    assert "Favourites of" in page and 'aria-label="Add diagnosis I10"' in page
    assert clerk.post(url, data={"code": "E11"}, headers=HTMX).status_code == 422  # a category
    assert clerk.post(url, data={"code": "E119"}, headers=HTMX).status_code == 200  # from the diagnosis list
    with database(app):
        assert [c.dotted for c in favorites.favorites(provider)] == ["E11.9", "I10"]
        assert AuditEvent.select().where(AuditEvent.action == "billing.favorite.add").count() == 2
    clerk.post(f"/billing/encounters/{encounter.id}/diagnoses", data={"dx-code": "I10"}, headers=HTMX)
    search = clerk.get(f"/billing/icd10/search?encounter={encounter.id}&q=I10", headers=HTMX).get_data(as_text=True)
    assert "favourite" in search
    assert clerk.post(url, data={"code": "I10", "remove": "1"}, headers=HTMX).status_code == 200
    with database(app):
        assert [f.code for f in ProviderFavorite.select()] == ["E119"]
        encounters.update_encounter(encounter, {"rendering_provider_id": None})
    refused = clerk.post(url, data={"code": "I10"}, headers=HTMX)
    assert refused.status_code == 422 and "Choose the rendering provider first" in refused.get_data(as_text=True)
