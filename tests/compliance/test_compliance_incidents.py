"""Incidents and breaches: logging (bad input refused, nothing written), the four-factor decision,
the clocks a breach starts as deadlines (individuals, HHS or the annual log, media by state),
notice letters through core's messages, recorded notices closing clocks, and the annual log."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from medoffice import deadlines
from medoffice.messages.models import OutboxMessage
from medoffice.models import AuditEvent, Patient
from medoffice.db import db
from medoffice.testing import connected, login, page_queries, practice_today

from medoffice_compliance import incidents
from medoffice_compliance.models import Incident, IncidentPatient

TODAY = practice_today()
FACTORS = {"factor_nature": "Names and dates of birth", "factor_recipient": "Unknown thief",
           "factor_acquired": "Unknown", "factor_mitigation": "Remote wipe failed"}


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _incident_form(**extra):
    return {"title": "Laptop stolen", "description": "From a car", "occurred_on": "",
            "discovered_on": TODAY.isoformat(), "reported_by": "Dr Able", "phi_involved": "y",
            "affected": "CA 120, NV 3", **extra}


def test_a_breach_starts_its_clocks_and_its_letters_go_out(app):
    with connected(app):
        patients = [Patient.create(first_name=f"P{n}", last_name="Doe", date_of_birth=dt.date(1970, 1, 1),
                                   account_number=f"B{n}", address1="1 Elm", city="Reno", state="NV", zip="89501").id
                    for n in range(2)]
    manager = login(app.test_client(), "office_manager")
    assert manager.post("/compliance/incidents/new", data=_incident_form(affected="California 3")).status_code == 422
    assert manager.post("/compliance/incidents/new", data=_incident_form(affected="CA 3, CA 4")).status_code == 422
    assert manager.post("/compliance/incidents/new", data=_incident_form(title="")).status_code == 422
    late = (TODAY + dt.timedelta(days=2)).isoformat()
    assert manager.post("/compliance/incidents/new", data=_incident_form(discovered_on=late)).status_code == 422
    with connected(app):
        assert Incident.select().count() == 0
    assert manager.post("/compliance/incidents/new", data=_incident_form()).status_code == 302
    with connected(app):
        incident = Incident.get()
    url = f"/compliance/incidents/{incident.id}"
    early = manager.post(f"{url}/notices", data={"what_happened": "x", "information": "y", "our_steps": "z",
                                                 "your_steps": "w"})
    assert early.status_code == 422 and "decided the incident is a breach" in _text(early)
    half = manager.post(f"{url}/assess", data={**FACTORS, "factor_mitigation": "", "decision": "breach",
                                               "decision_reasoning": "Unencrypted"})
    assert half.status_code == 422 and "all four factors" in _text(half)
    assert manager.post(f"{url}/assess", data={**FACTORS, "decision": "breach",
                                               "decision_reasoning": "Unencrypted laptop"}).status_code == 302
    with connected(app):
        individuals = deadlines.find("compliance", f"incident:{incident.id}:individuals")
        hhs = deadlines.find("compliance", f"incident:{incident.id}:hhs")
        assert deadlines.find("compliance", f"incident:{incident.id}:media") is None  # no state over 500
    assert individuals.due == TODAY + dt.timedelta(days=60)
    assert hhs.due == dt.date(TODAY.year, 12, 31) + dt.timedelta(days=60) and "annual log" in hhs.title
    assert manager.post(f"{url}/patients", data={"patient_ids": "B0, NOPE"}).status_code == 422
    assert manager.post(f"{url}/patients", data={"patient_ids": "B0, B1, B0"}).status_code == 302
    page = _text(manager.get(url))
    assert "Doe, P0" in page and "annual log of breaches under 500" in page
    sent = manager.post(f"{url}/notices", data={"what_happened": "a laptop was stolen.", "information": "names",
                                                "our_steps": "We encrypt every laptop now.",
                                                "your_steps": "Watch your statements."})
    assert sent.status_code == 302
    with connected(app):
        letters = list(OutboxMessage.select().where(OutboxMessage.template_key == "compliance.breach_notice"))
        assert sorted(m.patient_id for m in letters) == patients and all(m.channel == "core.letter" for m in letters)
        assert "a laptop was stolen." in letters[0].body_text
        assert deadlines.find("compliance", f"incident:{incident.id}:individuals").state == "done"
        assert IncidentPatient.select().where(IncidentPatient.message_id.is_null()).count() == 0
        shown = AuditEvent.select().where(AuditEvent.action == "compliance.incident.view").order_by(
            AuditEvent.seq.desc()).first()
        assert json.loads(shown.detail)["patients"] == patients
    again = manager.post(f"{url}/notices", data={"what_happened": "a", "information": "b", "our_steps": "c",
                                                 "your_steps": "d"})
    assert again.status_code == 422  # nobody left without a notice
    assert manager.post(f"{url}/notified", data={"notice": "hhs", "on": TODAY.isoformat()}).status_code == 302
    with connected(app):
        assert deadlines.find("compliance", f"incident:{incident.id}:hhs").state == "done"


def test_a_large_breach_owes_hhs_and_the_media_in_60_days_and_a_low_probability_owes_nothing(app):
    with connected(app):
        big = incidents.log(title="Server hacked", description="", occurred_on=None,
                            discovered_on=dt.date(2026, 1, 10), reported_by="IT", phi_involved=True,
                            affected_by_state={"CA": 700, "NV": 20}, by="t", today=dt.date(2026, 1, 11))
        incidents.assess(big, FACTORS, "breach", "Exfiltrated", by="t", today=dt.date(2026, 1, 12))
        assert deadlines.find("compliance", f"incident:{big.id}:hhs").due == dt.date(2026, 3, 11)
        media = deadlines.find("compliance", f"incident:{big.id}:media")
        assert media.due == dt.date(2026, 3, 11) and "(CA)" in media.title
        incidents.assess(big, FACTORS, "low_probability", "Encrypted after all", by="t", today=dt.date(2026, 1, 13))
        assert deadlines.find("compliance", f"incident:{big.id}:individuals").state == "superseded"
        assert deadlines.find("compliance", f"incident:{big.id}:media").state == "superseded"
        with pytest.raises(incidents.IncidentError):
            incidents.assess(big, FACTORS, "maybe", "?", by="t")


def test_the_annual_log_lists_the_years_small_breaches(app):
    with connected(app):
        for title, day, counts, decision in (("Fax misdirected", dt.date(2025, 3, 1), {"CA": 1}, "breach"),
                                             ("Email to wrong patient", dt.date(2025, 12, 31), {"CA": 2, "NV": 1},
                                              "breach"),
                                             ("Big one", dt.date(2025, 6, 1), {"CA": 800}, "breach"),
                                             ("Encrypted laptop", dt.date(2025, 7, 1), {"CA": 9}, "low_probability"),
                                             ("Next year", dt.date(2026, 1, 1), {"CA": 1}, "breach")):
            incident = incidents.log(title=title, description="", occurred_on=None, discovered_on=day,
                                     reported_by="", phi_involved=True, affected_by_state=counts, by="t",
                                     today=dt.date(2026, 2, 1))
            incidents.assess(incident, FACTORS, decision, "r", by="t", today=dt.date(2026, 2, 1))
        rows = incidents.annual_log(2025)
    assert [(r["title"], r["affected"]) for r in rows] == [("Fax misdirected", 1), ("Email to wrong patient", 3)]
    manager = login(app.test_client(), "office_manager")
    report = _text(manager.get("/reports/compliance.breach_log?year=2025"))
    assert "Email to wrong patient" in report and "Big one" not in report and "2026-03-01" in report


def test_the_log_is_kept_until_any_writer_changes_an_incident(app):
    """The incident log's rows, count and HTML are read once and kept (per sort, search and page); an incident
    changed or added by any writer (here plain SQL, as another process or a console would) shows on the next view."""
    with connected(app):
        first = incidents.log(title="Laptop stolen", description="", occurred_on=None, discovered_on=TODAY,
                              reported_by="", phi_involved=True, affected_by_state={}, by="t")
    manager = login(app.test_client(), "office_manager")
    assert "Laptop stolen" in _text(manager.get("/compliance/incidents"))
    for url in ("/compliance/incidents", "/compliance/incidents?sort=title", "/compliance/incidents?q=Laptop"):
        kept = page_queries(manager, url)
        assert not [sql for sql in kept if "compliance_incident" in sql]
    with connected(app):
        db.execute_sql(f"UPDATE compliance_incident SET title = 'Tablet stolen' WHERE id = {db.param}", (first.id,))
    assert "Tablet stolen" in _text(manager.get("/compliance/incidents"))
    assert "Tablet stolen" in _text(manager.get("/compliance/incidents?sort=title"))
    assert "No incident logged." in _text(manager.get("/compliance/incidents?q=Laptop"))
    with connected(app):
        db.execute_sql(f"DELETE FROM compliance_incident WHERE id = {db.param}", (first.id,))
    assert "No incident logged." in _text(manager.get("/compliance/incidents"))
