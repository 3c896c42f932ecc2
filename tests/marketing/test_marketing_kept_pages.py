"""Marketing's detail and form pages keep what they read until a writer changes it: a change made by plain SQL
(as another process or a SQL console would) shows on the next view, and a view with nothing changed reads none
of the kept tables."""
from __future__ import annotations

import datetime as dt
import re

from medoffice import documents, files
from medoffice.db import utcnow
from medoffice.models import AuditEvent, StaffMember, User
from medoffice.settings import today
from medoffice.testing import connected, login, page_queries, write_sql

from medoffice_marketing import experience, materials, recall, sources
from medoffice_marketing.models import RecoveryItem

from marketing_setup import new_patient
from test_marketing_query_counts import INVOICE
from test_materials_and_authorizations import HARD, PLAIN


def _sql(app, statement: str, *params) -> None:
    """``write_sql`` on a connection of its own."""
    with connected(app):
        write_sql(statement, *params)


def _reads(client, url: str, *tables: str) -> list[str]:
    """The statements a warm GET of ``url`` runs that name one of ``tables``, but for core's files panels (drawn
    for each user with their audit entry; they name who uploaded)."""
    return [sql for sql in page_queries(client, url)
            if any(table in sql for table in tables) and '"core_file"' not in sql]


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


def _audited(app, action: str, patient_id: int) -> int:
    """How many read entries ``action`` names the patient."""
    with connected(app):
        return AuditEvent.select().where((AuditEvent.action == action) & (AuditEvent.patient_id == patient_id)).count()


def test_a_complaints_page_shows_any_change_to_what_it_shows_and_audits_every_view(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient(first_name="Ana", last_name="Rivera")
        provider = StaffMember.create(first_name="Lina", last_name="Park", is_provider=True, active=True)
        complaint = experience.log_complaint({"patient_id": patient.id, "received_on": today(), "channel": "phone",
                                              "category": "clinical", "provider": provider.id,
                                              "summary": "Rushed visit"}, "tester")
    url = f"/marketing/complaints/{complaint.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Rivera, Ana" in page and "routed to Park, Lina" in page and "Rushed visit" in page and "(open)" in page
    seen = _audited(mk_app, "marketing.complaint.view", patient.id)
    tables = ("marketing_complaint", "marketing_recovery", "core_patient", "core_staff")
    assert not _reads(admin, url, *tables)
    assert _audited(mk_app, "marketing.complaint.view", patient.id) == seen + 3  # page_queries' three views
    _sql(mk_app, "UPDATE marketing_complaint SET summary = ? WHERE id = ?", "Rushed and late", complaint.id)
    assert "Rushed and late" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_recovery SET state = 'closed' WHERE complaint_id = ?", complaint.id)
    assert "(closed)" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_patient SET last_name = ? WHERE id = ?", "Moreau", patient.id)
    assert "Moreau, Ana" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_staff SET last_name = ? WHERE id = ?", "Okafor", provider.id)
    page = admin.get(url).get_data(as_text=True)
    assert "routed to Okafor, Lina" in page and 'name="root_cause"' in page
    _sql(mk_app, "UPDATE marketing_complaint SET resolved_on = ?, root_cause = ? WHERE id = ?", today(), "Overbooked",
         complaint.id)
    page = admin.get(url).get_data(as_text=True)
    assert "Overbooked" in page and 'name="root_cause"' not in page


def test_a_recovery_items_page_shows_any_change_to_what_it_shows_and_audits_every_view(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient(first_name="Ana", last_name="Rivera", mobile="5550001111")
        survey = experience.record_survey(experience.clean_answers({"nps": 2, "comment": "Slow"}), source="paper",
                                          patient_id=patient.id, answered_on=today())
        item = RecoveryItem.get(RecoveryItem.survey == survey.id)
    url = f"/marketing/recovery/{item.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Rivera, Ana" in page and "“Slow”" in page and "No attempt yet." in page and "Log attempt" in page
    seen = _audited(mk_app, "marketing.recovery.view", patient.id)
    tables = ("marketing_recovery", "marketing_survey", "marketing_contact_attempt", "marketing_complaint",
              "core_patient", "core_user")
    assert not _reads(admin, url, *tables)
    assert _audited(mk_app, "marketing.recovery.view", patient.id) == seen + 3
    _sql(mk_app, "UPDATE marketing_recovery SET reason = ? WHERE id = ?", "Waited an hour", item.id)
    assert "Waited an hour" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_survey SET comment = ? WHERE id = ?", "Very slow", survey.id)
    assert "“Very slow”" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "INSERT INTO marketing_contact_attempt (item_id, attempted_at, channel, reached, note, \"by\") "
         "VALUES (?, ?, 'phone', ?, 'Left a message', 'tester')", item.id, utcnow(), False)
    assert "Left a message" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_patient SET last_name = ?, mobile = ? WHERE id = ?", "Moreau", "5559998888", patient.id)
    page = admin.get(url).get_data(as_text=True)
    assert "Moreau, Ana" in page and "5559998888" in page
    with connected(mk_app):
        user = User.select().first()
    _sql(mk_app, "UPDATE marketing_recovery SET owner_user_id = ? WHERE id = ?", user.id, item.id)
    _sql(mk_app, "UPDATE core_user SET full_name = ? WHERE id = ?", "Dana Whitfield", user.id)
    assert "<dd>Dana Whitfield</dd>" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_recovery SET state = 'closed', outcome = 'resolved', closed_on = ? WHERE id = ?",
         today(), item.id)
    assert "Log attempt" not in admin.get(url).get_data(as_text=True)


def test_a_materials_page_shows_a_change_to_the_piece_its_document_or_its_approver_on_its_next_view(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    doctor = login(mk_app.test_client(), "office_manager", username="drlee")
    with connected(mk_app):
        provider = StaffMember.create(first_name="Ada", last_name="Lee", is_provider=True)
        User.update(staff_id=provider.id).where(User.username == "drlee").execute()
        owner = User.get(User.username == "drlee").id
        piece = materials.create("Blood pressure at home", "handout", True, None, HARD, owner)
        document = materials.document_of(piece)
        documents.publish(document, effective_on=today(), summary="First.", requires_acknowledgment=False)
    url = f"/marketing/materials/{piece.id}"
    clinician_only = "a provider&#39;s login must approve it"
    page = manager.get(url).get_data(as_text=True)
    assert "Blood pressure at home" in page and "above target" in page and clinician_only in page
    doctors = doctor.get(url).get_data(as_text=True)
    assert "Approve version 1" in doctors and clinician_only not in doctors
    tables = ("marketing_material", "core_document", "core_staff", "core_user")
    assert not _reads(manager, url, *tables) and not _reads(doctor, url, *tables)
    _sql(mk_app, "UPDATE core_document SET title = ? WHERE id = ?", "Your blood pressure", document.id)
    assert "<h1>Your blood pressure</h1>" in manager.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_document_version SET body = ? WHERE document_id = ?", PLAIN, document.id)
    assert "above target" not in manager.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_material SET kind = 'ad', approved_version = 1, approved_by = 'drlee' WHERE id = ?",
         piece.id)
    page = manager.get(url).get_data(as_text=True)
    assert "Advertisement" in page and "version 1 by" in page
    _sql(mk_app, "UPDATE marketing_material SET approved_version = NULL WHERE id = ?", piece.id)
    assert "Approve version 1" in doctor.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_staff SET is_provider = ? WHERE id = ?", False, provider.id)
    assert clinician_only in doctor.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_staff SET is_provider = ? WHERE id = ?", True, provider.id)
    _sql(mk_app, "UPDATE core_user SET staff_id = NULL WHERE id = ?", owner)
    page = doctor.get(url).get_data(as_text=True)
    assert clinician_only in page
    refused = doctor.post(url, data={"csrf_token": _token(page), "review_on": "not a date"})
    assert refused.status_code == 422 and "\0" not in refused.get_data(as_text=True)
    assert len(set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', refused.get_data(as_text=True)))) == 1


def test_a_recall_lists_page_shows_a_change_to_the_list_its_rule_entries_or_patients_on_its_next_view(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient(first_name="Ana", last_name="Rivera")
        recall.add_visit(patient, today() - dt.timedelta(days=400), "")
        rule = recall.save_rule({"name": "Lapsed a year", "kind": "reactivation", "interval_months": 12})
        kept = recall.create_list(rule, today(), "tester")
    url = f"/marketing/recall/lists/{kept.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Lapsed a year" in page and "Rivera, Ana" in page and "Send to everyone" in page
    with connected(mk_app):
        shown = AuditEvent.select().where(AuditEvent.action == "marketing.recall_list.view").count()
    assert not _reads(admin, url, "marketing_recall", "core_patient")
    with connected(mk_app):  # every view names the patients it showed
        assert AuditEvent.select().where(AuditEvent.action == "marketing.recall_list.view").count() == shown + 3
    _sql(mk_app, "UPDATE marketing_recall_rule SET name = ? WHERE id = ?", "Not seen in a year", rule.id)
    assert "<h1>Not seen in a year," in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_recall_list SET booked = 1, converted = 1 WHERE id = ?", kept.id)
    assert "Booked<strong>1</strong>" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_recall_entry SET contact_note = ? WHERE recall_list_id = ?", "Moved away", kept.id)
    assert "Moved away" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_patient SET last_name = ? WHERE id = ?", "Moreau", patient.id)
    assert "Moreau, Ana" in admin.get(url).get_data(as_text=True)


def test_a_campaigns_page_shows_a_change_to_it_its_spend_or_its_new_patients_on_its_next_view(mk_app):
    admin = login(mk_app.test_client(), "admin")
    start = today() - dt.timedelta(days=30)
    with connected(mk_app):
        campaign = sources.save_campaign({"name": "Spring", "channel": "sign", "code": "SPRING",
                                          "starts_on": start, "budget_cents": 100000})
        entry = sources.add_spend(campaign, start, 25000, "Sign Co", "Banner", "tester")
        files.attach("marketing", "spend", entry.id, "marketing.invoice", INVOICE, "banner.pdf")
        sources.record_source(new_patient(), channel="sign", campaign_code="SPRING", new_on=today())
    url = f"/marketing/campaigns/{campaign.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "<h1>Spring</h1>" in page and "Sign Co" in page and "banner.pdf" in page
    assert "New patients<strong>1</strong>" in page and "Record spend" in page
    assert not _reads(admin, url, "marketing_")
    _sql(mk_app, "UPDATE marketing_campaign SET name = ? WHERE id = ?", "Spring fair", campaign.id)
    assert "<h1>Spring fair</h1>" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_spend SET vendor = ? WHERE id = ?", "Banner Works", entry.id)
    assert "Banner Works" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_source_day SET new_patients = 4 WHERE campaign_id = ?", campaign.id)
    assert "New patients<strong>4</strong>" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_file SET name = ? WHERE object_id = ?", "banner-invoice.pdf", str(entry.id))
    assert "banner-invoice.pdf" in admin.get(url).get_data(as_text=True)  # the panels are drawn on every view


def test_a_due_list_is_kept_until_its_rule_a_last_visit_or_a_patient_changes(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient(first_name="Ana", last_name="Rivera")
        recall.add_visit(patient, today() - dt.timedelta(days=400), "")
        rule = recall.save_rule({"name": "Lapsed a year", "kind": "reactivation", "interval_months": 12})
    url = f"/marketing/recall/rules/{rule.id}"
    page = admin.get(url).get_data(as_text=True)
    assert "<h1>Lapsed a year</h1>" in page and "Rivera, Ana" in page and "Keep this as a list" in page
    seen = page_queries(admin, url)
    assert not [sql for sql in seen if "marketing_recall_rule" in sql or "marketing_last_visit" in sql]
    _sql(mk_app, "UPDATE marketing_recall_rule SET name = ? WHERE id = ?", "Not seen in a year", rule.id)
    assert "<h1>Not seen in a year</h1>" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE core_patient SET last_name = ? WHERE id = ?", "Moreau", patient.id)
    assert "Moreau, Ana" in admin.get(url).get_data(as_text=True)
    _sql(mk_app, "UPDATE marketing_last_visit SET last_visit_on = ? WHERE patient_id = ?", today(), patient.id)
    page = admin.get(url).get_data(as_text=True)
    assert "Moreau, Ana" not in page and "Nobody is due" in page and "Keep this as a list" not in page


def test_a_refused_form_comes_back_with_its_errors_and_the_sessions_token(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient()
        survey = experience.record_survey(experience.clean_answers({"nps": 2}), source="paper", patient_id=patient.id,
                                          answered_on=today())
        item = RecoveryItem.get(RecoveryItem.survey == survey.id)
        complaint = experience.log_complaint({"patient_id": patient.id, "received_on": today(), "channel": "phone",
                                              "category": "billing", "summary": "Unclear bill"}, "tester")
        campaign = sources.save_campaign({"name": "Spring", "channel": "sign", "code": "SPRING",
                                          "starts_on": today()})
        provider = sources.save_provider({"name": "Dr Lina Park"})
    refusals = [(f"/marketing/recovery/{item.id}", f"/marketing/recovery/{item.id}/close", {"outcome": "resolved"},
                 "Say what was done."),
                (f"/marketing/complaints/{complaint.id}", f"/marketing/complaints/{complaint.id}/resolve",
                 {"root_cause": "Wording"}, "This field is required."),
                (f"/marketing/campaigns/{campaign.id}", f"/marketing/campaigns/{campaign.id}/spend",
                 {"spent_on": today().isoformat(), "vendor": "Sign Co"}, "Enter the amount"),
                (f"/marketing/referrers/{provider.id}/edit", f"/marketing/referrers/{provider.id}/edit",
                 {"name": "Dr Lina Park", "email": "not an address"}, "Invalid email"),
                ("/marketing/complaints/new", "/marketing/complaints/new", {"received_on": today().isoformat()},
                 "This field is required.")]
    for page_url, post_url, data, error in refusals:
        token = _token(admin.get(page_url).get_data(as_text=True))
        refused = admin.post(post_url, data={"csrf_token": token, **data})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and error in html, post_url
        assert "\0" not in html and len(set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html))) == 1
