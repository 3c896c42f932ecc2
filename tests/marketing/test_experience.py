"""Patient experience: kiosk surveys without a login, detractors and complaints as service recovery with
core deadlines, the survey import refusing a bad file with nothing written, complaints' clocks and the
review-reply guard."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from medoffice import deadlines
from medoffice.models import AuditEvent, StaffMember, User
from medoffice.db import db
from medoffice.testing import connected, create_test_user, login, page_queries

from medoffice_marketing import experience, reviews
from medoffice_marketing.experience import add_business_days
from medoffice_marketing.kiosk import COOKIE
from medoffice_marketing.models import Complaint, KioskDevice, RecoveryItem, SurveyResponse

from marketing_setup import new_patient

D = dt.date
GOOD_CSV = ("response_id,answered_on,nps,wait_time,staff,provider,facility,comment,account_number\n"
            "r1,2026-03-01,10,5,5,5,5,Lovely,\n"
            "r2,2026-03-02,3,1,,,,Waited an hour,{account}\n")


def test_business_days_skip_the_weekend():
    assert add_business_days(D(2026, 12, 4), 2) == D(2026, 12, 8)  # Friday -> Tuesday
    assert add_business_days(D(2026, 12, 7), 2) == D(2026, 12, 9)


@pytest.mark.parametrize("reply, flagged", [
    ("Thank you for your kind words. We would love to hear more: please call our office manager.", False),
    ("We are sorry about your visit on March 3.", True),
    ("As our patient you deserve better; your diabetes care matters.", True),
    ("Your test results were delayed by the lab.", True),
    ("We saw you last week and hope the knee is better.", True),
    ("Thank you, Jane Roe, for the feedback.", True),
])
def test_the_review_guard_flags_replies_that_confirm_a_patient_or_speak_of_care(reply, flagged):
    assert bool(reviews.guard(reply, reviewer="Jane Roe")) is flagged


def test_a_flagged_reply_cannot_be_approved_and_a_clean_one_is_approved_then_posted(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    desk = login(mk_app.test_client(), "front_desk")
    assert desk.post("/marketing/reviews/new", data={"site": "Google", "rating": "2", "reviewed_on": "2026-03-01",
                                                     "reviewer": "J. R.", "text": "Long wait."}).status_code == 302
    with connected(mk_app):
        review_id = reviews.Review.get().id
    assert "Long wait." in desk.get("/marketing/reviews").get_data(as_text=True)  # the list is kept from here on
    page = desk.post(f"/marketing/reviews/{review_id}", data={"reply": "Sorry your appointment ran late."})
    assert page.status_code == 302
    shown = desk.get(f"/marketing/reviews/{review_id}").get_data(as_text=True)
    assert 'id="guard-flags"' in shown and "confirms the reviewer is or was a patient" in shown
    manager.post(f"/marketing/reviews/{review_id}/approve")
    with connected(mk_app):
        assert reviews.Review.get_by_id(review_id).reply_state == "draft"
    assert desk.post(f"/marketing/reviews/{review_id}/approve").status_code == 403  # the desk drafts, managers approve
    desk.post(f"/marketing/reviews/{review_id}", data={"reply": "Thank you. Please call our office manager."})
    manager.post(f"/marketing/reviews/{review_id}/approve")
    desk.post(f"/marketing/reviews/{review_id}/posted")
    with connected(mk_app):
        assert reviews.Review.get_by_id(review_id).reply_state == "posted"
    assert f"<td>{reviews.STATES['posted']}</td>" in desk.get("/marketing/reviews").get_data(as_text=True)


def test_a_kiosk_survey_needs_an_enrolled_browser_and_a_detractor_is_worked_to_closed(mk_app):
    admin = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        patient = new_patient(first_name="Kiosk")
    kiosk_browser = mk_app.test_client()
    assert kiosk_browser.get("/marketing/kiosk").status_code == 403  # not enrolled: nothing to see
    enrolled = admin.post("/marketing/kiosks", data={"name": "Front desk tablet"})
    assert enrolled.status_code == 302
    token = admin.get_cookie(COOKIE, path="/marketing/kiosk").value
    kiosk_browser.set_cookie(COOKIE, token, path="/marketing/kiosk")
    with connected(mk_app):
        device = KioskDevice.get()
        assert device.token_sha256 != token  # only the hash is kept
    # The desk hands the next survey to the patient; the kiosk shows no patient data.
    desk = login(mk_app.test_client(), "front_desk")
    assert desk.post(f"/marketing/patients/{patient.id}/kiosk",
                     data={"device": str(device.id), "visit_on": "2026-03-01"}).status_code == 302
    form = kiosk_browser.get("/marketing/kiosk")
    assert form.status_code == 200 and "Kiosk" not in form.get_data(as_text=True).replace("kiosk", "")
    assert patient.last_name not in form.get_data(as_text=True)
    assert kiosk_browser.post("/marketing/kiosk", data={"nps": "11"}).status_code == 422
    thanks = kiosk_browser.post("/marketing/kiosk", data={"nps": "4", "wait_time": "1", "comment": "Long wait"})
    assert thanks.status_code == 200 and "Thank you" in thanks.get_data(as_text=True)
    with connected(mk_app):
        survey = SurveyResponse.get()
        assert (survey.patient_id, survey.source, survey.nps) == (patient.id, "kiosk", 4)
        item = RecoveryItem.get(RecoveryItem.survey == survey.id)
        deadline = deadlines.find("marketing", f"recovery:{item.id}")
        assert deadline.state == "open" and deadline.due == add_business_days(survey.answered_on, 2)
        assert deadline.assignee_role == "office_manager"
    # Closing needs a reached contact (or "unreachable") and a note; the deadline is then done.
    assert desk.post(f"/marketing/recovery/{item.id}/close", data={"outcome": "resolved", "outcome_note": "ok"}).status_code == 422
    assert desk.post(f"/marketing/recovery/{item.id}/attempts",
                     data={"channel": "phone", "reached": "y", "note": "Apologised"}).status_code == 302
    assert desk.post(f"/marketing/recovery/{item.id}/close",
                     data={"outcome": "resolved", "outcome_note": "Moved her next visit to the first slot."}).status_code == 302
    with connected(mk_app):
        assert RecoveryItem.get_by_id(item.id).state == "closed"
        assert deadlines.find("marketing", f"recovery:{item.id}").state == "done"
    assert patient.last_name in desk.get(f"/marketing/recovery/{item.id}").get_data(as_text=True)
    with connected(mk_app):
        assert AuditEvent.select().where((AuditEvent.action == "marketing.recovery.view")
                                         & (AuditEvent.patient_id == patient.id)).exists()
    # A retired kiosk's cookie opens nothing.
    admin.post(f"/marketing/kiosks/{device.id}/retire")
    assert kiosk_browser.get("/marketing/kiosk").status_code == 403


def test_survey_import_refuses_a_bad_file_with_nothing_written_and_is_idempotent(mk_app):
    desk = login(mk_app.test_client(), "front_desk")
    with connected(mk_app):
        patient = new_patient()
    bad = GOOD_CSV.format(account=patient.account_number) + "r3,2026-13-01,12,,,,,,\nr4,2026-03-03,9,,,,,,NOSUCH\n"
    answer = desk.post("/marketing/surveys/import", data={"file": (io.BytesIO(bad.encode()), "export.csv")},
                       content_type="multipart/form-data")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Line 4" in text and "answered_on must be a date" in text and "NOSUCH" in text
    with connected(mk_app):
        assert SurveyResponse.select().count() == 0 and RecoveryItem.select().count() == 0
    no_header = desk.post("/marketing/surveys/import", data={"file": (io.BytesIO(b"1,2,3\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert no_header.status_code == 422 and "no column" in no_header.get_data(as_text=True)
    good = GOOD_CSV.format(account=patient.account_number).encode()
    for _ in range(2):
        assert desk.post("/marketing/surveys/import", data={"file": (io.BytesIO(good), "export.csv")},
                         content_type="multipart/form-data").status_code == 302
    with connected(mk_app):
        assert SurveyResponse.select().count() == 2
        assert RecoveryItem.get().patient_id == patient.id  # the detractor, once


def test_a_clinical_complaint_goes_to_its_provider_with_both_clocks(mk_app):
    username = create_test_user(mk_app, roles=("front_desk",), username="drsmith")
    desk = login(mk_app.test_client(), "front_desk")
    with connected(mk_app):
        doctor = StaffMember.create(first_name="Sam", last_name="Smith", is_provider=True, credentials="MD")
        User.update(staff_id=doctor.id).where(User.username == username).execute()
        patient = new_patient()
    refused = desk.post("/marketing/complaints/new", data={
        "account_number": patient.account_number, "received_on": "2026-12-04", "channel": "phone",
        "category": "clinical", "provider": "", "summary": "Not examined properly"})
    assert refused.status_code == 422 and "goes to its provider" in refused.get_data(as_text=True)
    assert desk.post("/marketing/complaints/new", data={
        "account_number": patient.account_number, "received_on": "2026-12-04", "channel": "phone",
        "category": "clinical", "provider": str(doctor.id), "summary": "Not examined properly"}).status_code == 302
    with connected(mk_app):
        complaint = Complaint.get()
        doctor_user = User.get(User.username == username).id
        ack = deadlines.find("marketing", f"complaint-ack:{complaint.id}")
        resolve = deadlines.find("marketing", f"complaint-resolve:{complaint.id}")
        assert ack.assignee_user_id == doctor_user and ack.due == D(2026, 12, 11)  # five business days
        assert resolve.due == D(2027, 1, 3)
        assert RecoveryItem.get(RecoveryItem.complaint == complaint.id).owner_user_id == doctor_user
    assert desk.post(f"/marketing/complaints/{complaint.id}/resolve",
                     data={"root_cause": "", "resolution_letter": ""}).status_code == 422
    assert desk.post(f"/marketing/complaints/{complaint.id}/resolve", data={
        "root_cause": "Rushed schedule", "resolution_letter": "Dear patient,\n\nWe have changed our schedule."
    }).status_code == 302
    with connected(mk_app):
        assert deadlines.find("marketing", f"complaint-ack:{complaint.id}").state == "done"
        assert deadlines.find("marketing", f"complaint-resolve:{complaint.id}").state == "done"
    letter = desk.get(f"/marketing/complaints/{complaint.id}/letter").get_data(as_text=True)
    assert "We have changed our schedule." in letter and patient.address1 in letter


def test_the_dashboard_shows_nps_open_items_and_themes(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        today = experience.settings.today()
        for score in (10, 9, 9, 8, 3):
            experience.record_survey(experience.clean_answers({"nps": score}), source="paper", patient_id=None,
                                     answered_on=today)
        experience.log_complaint({"received_on": today, "channel": "phone", "category": "billing",
                                  "summary": "Statement unclear"}, "tester")
    page = manager.get("/marketing/").get_data(as_text=True)
    assert '<strong id="nps">40</strong>' in page  # 3 promoters, 1 detractor of 5
    assert '<strong id="open-items">2</strong>' in page and "Billing: 1" in page
    assert "Net Promoter Score" in manager.get("/marketing/widget").get_data(as_text=True)


def test_newest_first_lists_sort_by_the_date_both_ways(mk_app):
    desk = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        for day, score in ((D(2026, 3, 1), 3), (D(2026, 5, 1), 5), (D(2026, 4, 1), 4)):
            SurveyResponse.create(source="paper", answered_on=day, nps=score)
    ascending = desk.get("/marketing/surveys").get_data(as_text=True)
    descending = desk.get("/marketing/surveys?desc=1").get_data(as_text=True)
    shown = [re.findall(r'<td class="num">(\d)</td>', page) for page in (ascending, descending)]
    assert shown == [["5", "4", "3"], ["3", "4", "5"]]


def test_the_widget_adds_up_the_year_as_the_dashboard_does(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        today = experience.settings.today()
        for score, days_ago in ((10, 0), (9, 40), (7, 200), (2, 300), (1, 364), (10, 366)):  # the last: a year ago
            experience.record_survey(experience.clean_answers({"nps": score}), source="paper", patient_id=None,
                                     answered_on=today - dt.timedelta(days=days_ago))
    widget = manager.get("/marketing/widget").get_data(as_text=True)
    assert "0 (5 answers)" in widget  # 2 promoters, 2 detractors of 5
    assert "2 open, 2 due" in widget
    assert '<strong id="nps">0</strong>' in manager.get("/marketing/").get_data(as_text=True)


def test_closed_recovery_items_show_the_patient_or_unknown_and_the_outcome(mk_app):
    desk = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        today = experience.settings.today()
        patient = new_patient(last_name="Okafor", first_name="Ada")
        for patient_id in (patient.id, None):
            item = experience.open_recovery(patient_id=patient_id, reason=f"Why {patient_id}", opened_on=today)
            experience.close_recovery(item, "unreachable", "Three calls", today, "t")
    page = desk.get("/marketing/recovery?state=closed").get_data(as_text=True)
    assert "Okafor, Ada" in page and "Unknown" in page and page.count("Could not reach the patient") == 2
    assert "Okafor" not in desk.get("/marketing/recovery").get_data(as_text=True)


def test_survey_and_complaint_lists_show_names_dates_and_nobody(mk_app):
    desk = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        today = experience.settings.today()
        patient = new_patient(last_name="Okafor", first_name="Ada")
        experience.record_survey(experience.clean_answers({"nps": 9}), source="paper", patient_id=patient.id,
                                 answered_on=today - dt.timedelta(days=3))
        experience.record_survey(experience.clean_answers({"nps": 8}), source="paper", patient_id=None,
                                 answered_on=today)
        named = experience.log_complaint({"patient_id": patient.id, "received_on": today - dt.timedelta(days=9),
                                          "channel": "phone", "category": "billing", "summary": "Unclear"}, "t")
        experience.resolve_complaint(named, "Wording", "Dear patient, we rewrote it.", today, "t")
        experience.log_complaint({"received_on": today, "channel": "phone", "category": "staff",
                                  "summary": "Rude"}, "t")
    surveys = desk.get("/marketing/surveys").get_data(as_text=True)
    assert f"<td>{(today - dt.timedelta(days=3)).isoformat()}</td><td><a href=\"/patients/{patient.id}\">Okafor, Ada</a>" \
        in surveys and f"<td>{today.isoformat()}</td><td>Anonymous</td>" in surveys and 'href="None"' not in surveys
    complaints = desk.get("/marketing/complaints").get_data(as_text=True)
    assert f">{(today - dt.timedelta(days=9)).isoformat()}</a></td><td>Okafor, Ada</td>" in complaints
    assert f"<td>{today.isoformat()}</td></tr>" in complaints and "<td>Unknown</td>" in complaints
    # The lists are kept until their tables or a patient change: a renamed patient and a new answer show at once.
    with connected(mk_app):
        db.execute_sql(f"UPDATE core_patient SET last_name = 'Okafor-Bello' WHERE id = {db.param}", (patient.id,))
        experience.record_survey(experience.clean_answers({"nps": 2}), source="kiosk", patient_id=None,
                                 answered_on=today)
    surveys = desk.get("/marketing/surveys").get_data(as_text=True)
    assert "Okafor-Bello, Ada" in surveys and surveys.count("<td>Anonymous</td>") == 2
    assert "Okafor-Bello, Ada" in desk.get("/marketing/complaints").get_data(as_text=True)


def test_today_counts_the_open_recovery_items_due_by_today(mk_app):
    desk = login(mk_app.test_client(), "front_desk")
    with connected(mk_app):
        today = experience.settings.today()
        for due, state in ((-3, "open"), (0, "open"), (1, "open"), (-1, "closed")):
            RecoveryItem.create(reason="Unhappy", opened_on=today - dt.timedelta(days=5), state=state,
                                due_on=today + dt.timedelta(days=due))
    page = desk.get("/today").get_data(as_text=True)
    assert re.search(r'<span class="count">2</span>\s*<span class="title">Unhappy patients to call back', page)
    assert not [sql for sql in page_queries(desk, "/today") if "marketing_recovery" in sql]  # kept till one changes
    with connected(mk_app):  # by plain SQL, as another process would
        db.execute_sql(f"UPDATE marketing_recovery SET due_on = {db.param} WHERE state = 'open'", (today,))
    page = desk.get("/today").get_data(as_text=True)
    assert re.search(r'<span class="count">3</span>\s*<span class="title">Unhappy patients to call back', page)
    with connected(mk_app):
        RecoveryItem.update(state="closed").execute()
    assert "Unhappy patients to call back" not in desk.get("/today").get_data(as_text=True)


def test_the_dashboard_keeps_its_figures_until_any_writer_changes_their_tables(mk_app):
    """The dashboard's figures are read once and kept; a survey written by any writer (here plain SQL, as
    another process or a console would) or deleted shows on the very next view."""
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        today = experience.settings.today()
        experience.record_survey(experience.clean_answers({"nps": 10}), source="paper", patient_id=None,
                                 answered_on=today)
    assert '<strong id="nps">100</strong>' in manager.get("/marketing/").get_data(as_text=True)
    kept_view = page_queries(manager, "/marketing/")
    assert not [sql for sql in kept_view if "marketing_" in sql]  # nothing of marketing's read again
    with connected(mk_app):
        db.execute_sql(f"INSERT INTO marketing_survey (source, answered_on, nps, comment, created_by, created_at) "
                       f"VALUES ('paper', {db.param}, 0, '', 'console', {db.param})",
                       (today, dt.datetime.now(dt.timezone.utc)))
    assert '<strong id="nps">0</strong>' in manager.get("/marketing/").get_data(as_text=True)  # 1 of each
    assert "0 (2 answers)" in manager.get("/marketing/widget").get_data(as_text=True)
    with connected(mk_app):
        db.execute_sql("DELETE FROM marketing_survey WHERE created_by = 'console'")
    assert '<strong id="nps">100</strong>' in manager.get("/marketing/").get_data(as_text=True)
