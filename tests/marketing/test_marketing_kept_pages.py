"""Marketing's detail and form pages keep what they read until a writer changes it: a change made by plain SQL
(as another process or a SQL console would) shows on the next view, and a view with nothing changed reads none
of the kept tables."""
from __future__ import annotations

import re

from medoffice.db import db
from medoffice.models import StaffMember
from medoffice.settings import today
from medoffice.testing import connected, login, page_queries

from medoffice_marketing import sources

from marketing_setup import new_patient


def _sql(app, statement: str, *params) -> None:
    """Run ``statement`` (``?`` for each parameter) outside medoffice's code."""
    with connected(app):
        db.execute_sql(statement.replace("?", db.param), params)


def _reads(client, url: str, *tables: str) -> list[str]:
    """The statements a warm GET of ``url`` runs that name one of ``tables``."""
    return [sql for sql in page_queries(client, url) if any(table in sql for table in tables)]


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_kept_blank_form_carries_each_sessions_own_token_and_saves(mk_app):
    first, second = login(mk_app.test_client(), "admin"), login(mk_app.test_client(), "admin", username="other")
    first.get("/marketing/surveys/new")
    assert not _reads(second, "/marketing/surveys/new", "marketing_")
    page = second.get("/marketing/surveys/new").get_data(as_text=True)
    answer = second.post("/marketing/surveys/new", data={"csrf_token": _token(page), "source": "paper", "nps": "9",
                                                         "answered_on": "2026-01-05"})
    assert answer.status_code == 302
    refused = second.post("/marketing/surveys/new", data={"csrf_token": _token(page), "source": "paper", "nps": "9",
                                                          "answered_on": ""})
    assert refused.status_code == 422 and "Give the date." in refused.get_data(as_text=True)


def test_the_complaint_form_keeps_its_providers_until_the_staff_changes(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        provider = StaffMember.create(first_name="Lina", last_name="Park", is_provider=True, active=True)
    assert "Park, Lina" in admin.get("/marketing/complaints/new").get_data(as_text=True)
    assert not _reads(admin, "/marketing/complaints/new", "core_staff")
    _sql(mk_app, "UPDATE core_staff SET last_name = ? WHERE id = ?", "Moreau", provider.id)
    page = admin.get("/marketing/complaints/new").get_data(as_text=True)
    assert "Moreau, Lina" in page and "Park, Lina" not in page


def test_a_referrers_page_shows_a_change_to_them_or_their_referrals_on_its_next_view(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        provider = sources.save_provider({"name": "Dr Lina Park", "phone": "555-0100"})
        sources.record_source(new_patient(), channel="referring_provider", referring_provider_id=provider.id,
                              new_on=today())
    url = f"/marketing/referrers/{provider.id}/edit"
    page = admin.get(url).get_data(as_text=True)
    assert "Referred 1 new patient this year." in page and "555-0100" in page
    assert not _reads(admin, url, "marketing_")
    _sql(mk_app, "UPDATE marketing_referring_provider SET phone = ?, name = ? WHERE id = ?", "555-0199",
         "Dr Lina Moreau", provider.id)
    page = admin.get(url).get_data(as_text=True)
    assert "555-0199" in page and "<h1>Dr Lina Moreau</h1>" in page and "555-0100" not in page
    _sql(mk_app, "UPDATE marketing_referrer_year SET new_patients = 3 WHERE referring_provider_id = ?", provider.id)
    assert "Referred 3 new patients this year." in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "DELETE FROM marketing_referring_provider WHERE id = ?", provider.id)
    assert admin.get(url).status_code == 404
