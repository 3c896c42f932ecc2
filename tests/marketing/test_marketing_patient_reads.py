"""Every marketing page that shows a patient leaves an audit entry naming that patient, and a list page
names the patients it showed."""
from __future__ import annotations

import datetime as dt
import json

from medoffice.models import AuditEvent
from medoffice.settings import today
from medoffice.testing import connected, login

from medoffice_marketing import authorizations, experience, recall, sources
from medoffice_marketing.models import RecallEntry

from marketing_setup import new_patient


def _named(app, patient_id: int, since: int) -> bool:
    with connected(app):
        rows = AuditEvent.select().where(AuditEvent.seq > since)
        return any(r.patient_id == patient_id or patient_id in json.loads(r.detail or "{}").get("patients", [])
                   for r in rows)


def _last_seq(app) -> int:
    with connected(app):
        row = AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).first()
        return row.seq if row else 0


def test_each_page_showing_a_patient_audits_the_read(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient()
        sources.record_source(patient, channel="web_search", new_on=today())
        recall.add_visit(patient, today() - dt.timedelta(days=400), "")
        rule = recall.save_rule({"name": "Lapsed", "kind": "reactivation", "interval_months": 12})
        kept = recall.create_list(rule, today(), "tester")
        entry = RecallEntry.get()
        survey = experience.record_survey(experience.clean_answers({"nps": 2, "comment": "Slow"}), source="paper",
                                          patient_id=patient.id, answered_on=today())
        item = experience.RecoveryItem.get(experience.RecoveryItem.survey == survey.id)
        complaint = experience.log_complaint({"patient_id": patient.id, "received_on": today(), "channel": "phone",
                                              "category": "billing", "summary": "Unclear bill"}, "tester")
        experience.resolve_complaint(complaint, "Wording", "Dear patient, we rewrote it.", today(), "tester")
        authorizations.add_testimonial(patient.id, "testimonial", "Great")
    pages = [f"/marketing/patients/{patient.id}/panel", f"/marketing/patients/{patient.id}/source",
             f"/marketing/patients/{patient.id}/visits/new", f"/marketing/patients/{patient.id}/authorizations",
             f"/marketing/recall/lists/{kept.id}", f"/marketing/recall/entries/{entry.id}/outcome",
             f"/marketing/recall/rules/{rule.id}", f"/marketing/recovery/{item.id}", "/marketing/recovery",
             f"/marketing/complaints/{complaint.id}", f"/marketing/complaints/{complaint.id}/letter",
             "/marketing/complaints", "/marketing/surveys", "/marketing/testimonials"]
    for url in pages:
        since = _last_seq(mk_app)
        answer = admin.get(url)
        assert answer.status_code == 200, url
        assert _named(mk_app, patient.id, since), f"{url} left no audit entry naming the patient"
    panel = admin.get(f"/marketing/patients/{patient.id}/panel").get_data(as_text=True)
    assert "Web search" in panel and "Service recovery open" in panel


def test_the_panel_names_the_campaign_referrer_and_recall_rule(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient()
        provider = sources.save_provider({"name": "Dr Lina Park"})
        sources.save_campaign({"name": "Spring", "channel": "sign", "code": "SPRING26",
                               "starts_on": today() - dt.timedelta(days=30)})
        sources.record_source(patient, channel="referring_provider", referring_provider_id=provider.id,
                              campaign_code="SPRING26", new_on=today())
        recall.add_visit(patient, today() - dt.timedelta(days=400), "Annual physical")
        rule = recall.save_rule({"name": "Lapsed a year", "kind": "reactivation", "interval_months": 12})
        recall.create_list(rule, today(), "tester")
        bare = new_patient()
    panel = admin.get(f"/marketing/patients/{patient.id}/panel").get_data(as_text=True)
    assert "campaign SPRING26" in panel and "Dr Lina Park" in panel and "Lapsed a year: due" in panel
    assert "(Annual physical)" in panel
    empty = admin.get(f"/marketing/patients/{bare.id}/panel").get_data(as_text=True)
    assert "Not recorded" in empty and "None on record" in empty and "Recall lists" not in empty
