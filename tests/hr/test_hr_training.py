"""Training, certifications and reviews through the pages: courses by job title fall due after
hire and again at their repeat interval (core deadlines, closed and reopened by completions with a
certificate), certification expiries reach the employee and HR, reviews and private notes are
readable only by HR, the supervisor and (for their own) the employee, every read audited."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from medoffice import deadlines
from medoffice.models import AuditEvent, StaffMember, User
from medoffice.testing import connected, login, practice_today

from medoffice_hr.jobs import sync_training
from medoffice_hr.models import Employment
from medoffice_hr.training import add_months, next_due
from medoffice_hr.training_models import Certification, Course, CourseCompletion, Review

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_due_dates_follow_hire_and_repeat():
    hired = dt.date(2026, 1, 31)
    assert next_due(hired, 30, None, 12) == dt.date(2026, 3, 2)
    assert next_due(hired, 30, dt.date(2026, 2, 10), 12) == dt.date(2027, 2, 10)
    assert next_due(hired, 30, dt.date(2026, 2, 10), None) is None
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _person(app, hr, username, first, supervisor=None, role="front_desk", hired="2026-01-05"):
    client = login(app.test_client(), role, username=username)
    with connected(app):
        staff = StaffMember.create(first_name=first, last_name="Test", job_title="Medical assistant")
        User.update(staff=staff.id).where(User.username == username).execute()
    assert hr.post(f"/hr/employees/{staff.id}/employment", data={
        "hire_date": hired, "end_date": "", "status": "active", "employment_type": "full_time",
        "job_title": "Medical assistant", "department": "", "location": "",
        "supervisor": str(supervisor or "")}).status_code == 302
    return client, staff.id


def test_courses_fall_due_and_completions_move_the_deadline(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    ann, ann_id = _person(hr_app, hr, "ann", "Ann")
    assert hr.post("/hr/course/new", data={"name": "HIPAA privacy and security", "job_title": "",
                                           "due_days_after_hire": "30", "repeat_months": "12",
                                           "active": "y"}).status_code == 302
    assert "Phlebotomy" not in _text(hr.get("/hr/course"))  # the list is kept from here on
    assert hr.post("/hr/course/new", data={"name": "Phlebotomy", "job_title": "Phlebotomist",
                                           "due_days_after_hire": "10", "active": "y"}).status_code == 302
    assert "Phlebotomy" in _text(hr.get("/hr/course"))  # a new course shows at once
    with connected(hr_app):
        assert sync_training() == "Training and certifications of 1 employee checked."
        employment = Employment.get(Employment.staff == ann_id)
        hipaa = Course.get(Course.name.startswith("HIPAA"))
        key = f"training:{employment.id}:{hipaa.id}"
        deadline = deadlines.find("hr", key)
        assert deadline.due == dt.date(2026, 2, 4) and deadline.assignee_user_id == User.get(User.username == "ann").id
        assert deadline.escalation_role == "hr"
        other = Course.get(Course.name == "Phlebotomy")
        assert deadlines.find("hr", f"training:{employment.id}:{other.id}") is None  # not her job title
    assert "Overdue" in _text(hr.get("/hr/training"))
    bad = hr.post(f"/hr/employees/{ann_id}/training/completions", data={
        "course": str(hipaa.id), "completed_on": "2026-02-01", "certificate": (io.BytesIO(b"<html>"), "c.pdf")},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    with connected(hr_app):
        assert CourseCompletion.select().count() == 0
    assert hr.post(f"/hr/employees/{ann_id}/training/completions", data={
        "course": str(hipaa.id), "completed_on": "2026-02-01", "certificate": (io.BytesIO(PDF), "c.pdf")},
        content_type="multipart/form-data").status_code == 302
    with connected(hr_app):
        deadline = deadlines.find("hr", key)
        assert deadline.due == dt.date(2027, 2, 1) and deadline.state == "open"  # the next cycle
        completion = CourseCompletion.get().id
    assert "Overdue" not in _text(hr.get("/hr/training"))  # what is due is kept, until a completion is recorded
    own = _text(ann.get(f"/hr/employees/{ann_id}/training"))
    assert "HIPAA privacy and security" in own and "Record a completion" not in own
    assert ann.get(f"/hr/employees/{ann_id}/training/completions/{completion}/certificate").data == PDF
    assert ann.post(f"/hr/employees/{ann_id}/training/completions", data={
        "course": str(hipaa.id), "completed_on": "2026-02-01"}).status_code == 403



def test_the_overview_lists_what_each_persons_training_status_says_is_due(hr_app, monkeypatch):
    from medoffice_hr import training
    from medoffice_hr.views import training as training_views

    hr = login(hr_app.test_client(), "hr", username="hana")
    for name, title, days, repeat in (("HIPAA privacy and security", "", "30", "12"), ("BLS", "Medical assistant",
                                                                                    "60", "24"),
                                      ("Phlebotomy", "Phlebotomist", "10", "")):
        assert hr.post("/hr/course/new", data={"name": name, "job_title": title, "due_days_after_hire": days,
                                               "repeat_months": repeat, "active": "y"}).status_code == 302
    _ann, ann_id = _person(hr_app, hr, "ann", "Ann", hired="2025-01-06")
    _bob, bob_id = _person(hr_app, hr, "bob", "Bob", hired=practice_today().isoformat())
    with connected(hr_app):
        ann = Employment.get(Employment.staff == ann_id)
        hipaa = Course.get(Course.name.startswith("HIPAA"))
        CourseCompletion.create(employment=ann, course=hipaa, completed_on=practice_today() - dt.timedelta(days=350))
        people = list(Employment.select().where(Employment.status != "ended").order_by(Employment.id))
        horizon = practice_today() + dt.timedelta(days=30)
        status = training.status(people)
        expected = sorted([(e.id, row["course"].name, row["last"], row["due"]) for e in people for row in status[e.id]
                           if row["due"] and row["due"] <= horizon], key=lambda row: row[3])
        assert [(e.id, *rest) for e, *rest in training.due_by(people, horizon)] == expected
        assert [row[1] for row in expected if row[0] != ann.id] == ["HIPAA privacy and security"]  # not Bob's BLS
    page = _text(hr.get("/hr/training"))
    last = (practice_today() - dt.timedelta(days=350)).isoformat()
    assert f'>Test, Ann</a></td><td>HIPAA privacy and security</td><td>{last}</td>' in page
    assert ">Test, Ann</a></td><td>BLS</td><td>Never</td>" in page and "Overdue" in page
    assert ">Test, Bob</a></td><td>HIPAA" in page and ">Test, Bob</a></td><td>BLS" not in page
    monkeypatch.setattr(training_views, "DUE_PER_PAGE", 2)  # a page at a time, soonest first
    count = len(expected)
    pages = [_text(hr.get(f"/hr/training?page={n}")) for n in range(1, (count + 1) // 2 + 1)]
    due = [shown.split("<tbody>")[1].split("</tbody>")[0] for shown in pages]
    assert [rows.count("<tr>") for rows in due] == [2] * (count // 2) + [1] * (count % 2)
    assert all(f"of {len(pages)} ({count} courses)" in shown for shown in pages)
    assert "".join(due) == page.split("<tbody>")[1].split("</tbody>")[0]  # the pages together are the whole list


def test_a_certification_expiry_reaches_the_employee_and_hr(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    _ann, ann_id = _person(hr_app, hr, "ann", "Ann")
    assert hr.post(f"/hr/employees/{ann_id}/certifications", data={
        "name": "BLS", "number": "", "issuer": "AHA", "issued_on": "2026-05-01",
        "expires_on": "2026-04-01"}).status_code == 422
    assert hr.post(f"/hr/employees/{ann_id}/certifications", data={
        "name": "BLS", "number": "B-1", "issuer": "AHA", "issued_on": "2025-05-01",
        "expires_on": "2027-05-01"}).status_code == 302
    with connected(hr_app):
        certification = Certification.get()
        mine = deadlines.find("hr", f"certification:{certification.id}")
        hrs = deadlines.find("hr", f"certification-hr:{certification.id}")
        assert mine.assignee_user_id == User.get(User.username == "ann").id and mine.escalation_role == "hr"
        assert hrs.assignee_role == "hr" and hrs.escalation_role == "office_manager"
        assert mine.due == hrs.due == dt.date(2027, 5, 1)
    assert hr.post(f"/hr/employees/{ann_id}/certifications/{certification.id}/remove").status_code == 302
    with connected(hr_app):
        assert deadlines.find("hr", f"certification:{certification.id}").state == "superseded"
        assert deadlines.find("hr", f"certification-hr:{certification.id}").state == "superseded"


def test_reviews_and_notes_are_private_and_every_read_is_audited(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    sam, sam_id = _person(hr_app, hr, "sam", "Sam")
    ann, ann_id = _person(hr_app, hr, "ann", "Ann", supervisor=sam_id)
    bob, _bob_id = _person(hr_app, hr, "bob", "Bob")
    assert hr.post("/hr/reviews", data={"name": "2026", "period_start": "2026-01-01", "period_end": "2025-12-31",
                                        "due_on": "2027-01-31"}).status_code == 422
    assert sam.post("/hr/reviews", data={"name": "2026", "period_start": "2026-01-01", "period_end": "2026-12-31",
                                         "due_on": "2027-01-31"}).status_code == 403
    assert hr.post("/hr/reviews", data={"name": "2026", "period_start": "2026-01-01", "period_end": "2026-12-31",
                                        "due_on": "2027-01-31"}).status_code == 302
    with connected(hr_app):
        review = Review.get(Review.employment == Employment.get(Employment.staff == ann_id))
        assert Review.select().count() == 3
        sup = deadlines.find("hr", f"review-supervisor:{review.id}")
        assert sup.assignee_user_id == User.get(User.username == "sam").id
    url = f"/hr/reviews/{review.id}"
    assert bob.get(url).status_code == 404
    assert ann.post(f"{url}/supervisor", data={"supervisor_text": "Great", "rating": "5"}).status_code == 404
    assert "<td>Not yet</td><td>Not yet</td>" in _text(sam.get("/hr/reviews"))  # the list is kept from here on
    assert ann.post(f"{url}/self", data={"self_text": "", "submit_review": "y"}).status_code == 422
    assert ann.post(f"{url}/self", data={"self_text": "I learned the new schedule.", "submit_review": "y"}).status_code == 302
    assert sam.post(f"{url}/supervisor", data={"supervisor_text": "Reliable.", "rating": "9",
                                               "submit_review": "y"}).status_code == 422
    assert "Not submitted yet" in _text(ann.get(url))
    assert sam.post(f"{url}/supervisor", data={"supervisor_text": "Reliable and kind.", "rating": "4",
                                               "submit_review": "y"}).status_code == 302
    page = _text(ann.get(url))
    assert "Reliable and kind." in page and "Rating: 4 of 5" in page
    assert "<td>Submitted</td><td>Submitted</td>" in _text(sam.get("/hr/reviews"))  # both reviews, shown at once
    assert ann.post(f"{url}/acknowledge").status_code == 302
    with connected(hr_app):
        assert Review.get_by_id(review.id).acknowledged_at is not None
        assert deadlines.find("hr", f"review-self:{review.id}").state == "done"
        assert deadlines.find("hr", f"review-supervisor:{review.id}").state == "done"
    assert sam.post(f"/hr/employees/{ann_id}/notes", data={"kind": "coaching", "text": "Talk about phones."}).status_code == 302
    assert sam.post(f"/hr/employees/{ann_id}/notes", data={"kind": "warning", "text": "Late three times."}).status_code == 302
    assert ann.post(f"/hr/employees/{ann_id}/notes", data={"kind": "warning", "text": "x"}).status_code == 404
    own = _text(ann.get(f"/hr/employees/{ann_id}/notes"))
    assert "Late three times." in own and "Talk about phones." not in own
    assert bob.get(f"/hr/employees/{ann_id}/notes").status_code == 404
    with connected(hr_app):
        from medoffice_hr.training_models import EmployeeNote
        warning = EmployeeNote.get(EmployeeNote.kind == "warning").id
    assert ann.post(f"/hr/employees/{ann_id}/notes/{warning}/acknowledge").status_code == 302
    assert "Acknowledged" in _text(sam.get(f"/hr/employees/{ann_id}/notes"))
    with connected(hr_app):
        reads = AuditEvent.select().where(AuditEvent.action.in_(("hr.review.view", "hr.notes.view"))).count()
        assert reads >= 5


def test_the_reviews_list_writes_each_row_from_its_raw_columns(hr_app):
    """Each row as the list has always written it: cycle and name escaped (a name holding the NUL the names are
    joined by is escaped on its own), a cycle's name and due date written once for all its reviews, the
    acknowledgment in the practice's time zone, dates as SQLite (text) and PostgreSQL (dates) give them."""
    from markupsafe import escape
    from medoffice import dates
    from medoffice.localtime import to_local

    from medoffice_hr.views import reviews as views

    rows = [(1, "2026 <A&B>", "O'Neil", "Al <x>", "MD", 1, 0, None, "2027-01-31"),
            (2, "2026 <A&B>", "Bo", "Cy", "", 0, 1, "2026-12-01T03:04:05", "2027-01-31"),
            (3, "Other", "N\0ul", "Z", "RN", 0, 0, dt.datetime(2026, 11, 30, 23, 0), dt.date(2027, 3, 1))]
    with hr_app.test_request_context("/"), connected(hr_app):
        day = dates.pattern()
        seen = to_local(dt.datetime(2026, 12, 1, 3, 4, 5)).strftime(day)
        late = to_local(dt.datetime(2026, 11, 30, 23, 0)).strftime(day)
        due, march = dt.date(2027, 1, 31).strftime(day), dt.date(2027, 3, 1).strftime(day)
        odd = escape("N\0ul, Z, RN")
        assert str(views._review_rows(rows)) == (
            '<tr><td><a href="/hr/reviews/1">2026 &lt;A&amp;B&gt;</a></td><td>O&#39;Neil, Al &lt;x&gt;, MD</td>'
            f"<td>Submitted</td><td>Not yet</td><td></td><td>{due}</td></tr>"
            '<tr><td><a href="/hr/reviews/2">2026 &lt;A&amp;B&gt;</a></td><td>Bo, Cy</td>'
            f"<td>Not yet</td><td>Submitted</td><td>{seen}</td><td>{due}</td></tr>"
            f'<tr><td><a href="/hr/reviews/3">Other</a></td><td>{odd}</td>'
            f"<td>Not yet</td><td>Not yet</td><td>{late}</td><td>{march}</td></tr>")


def test_a_hipaa_course_completed_in_hr_counts_for_compliances_training_log(make_app):
    from medoffice_compliance import program

    app = make_app(plugins=["hr", "compliance"], csrf=True)
    hr = login(app.test_client(), "hr", username="hana")
    _ann, ann_id = _person(app, hr, "ann", "Ann")
    _bob, bob_id = _person(app, hr, "bob", "Bob")
    for name in ("HIPAA privacy and security", "OSHA bloodborne pathogens"):
        assert hr.post("/hr/course/new", data={"name": name, "job_title": "", "due_days_after_hire": "30",
                                               "repeat_months": "12", "active": "y"}).status_code == 302
    with connected(app):
        hipaa, osha = Course.get(Course.name.startswith("HIPAA")), Course.get(Course.name.startswith("OSHA"))
        today = practice_today()
    for staff_id, course in ((ann_id, hipaa), (bob_id, osha)):  # Bob's course is not HIPAA training
        assert hr.post(f"/hr/employees/{staff_id}/training/completions", data={
            "course": str(course.id), "completed_on": (today - dt.timedelta(days=20)).isoformat(),
            "certificate": (io.BytesIO(PDF), "c.pdf")}, content_type="multipart/form-data").status_code == 302
    with connected(app):
        status = {row["staff_id"]: row for row in program.training_status(today)}
        assert status[ann_id]["latest"] == today - dt.timedelta(days=20) and not status[ann_id]["overdue"]
        assert status[bob_id]["latest"] is None and status[bob_id]["overdue"]


def test_the_list_pages_read_as_many_queries_for_more_people(hr_app):
    from medoffice.testing import page_queries

    hr = login(hr_app.test_client(), "hr", username="hana")
    assert hr.post("/hr/course/new", data={"name": "HIPAA privacy and security", "job_title": "",
                                           "due_days_after_hire": "30", "repeat_months": "12",
                                           "active": "y"}).status_code == 302
    _sam, sam_id = _person(hr_app, hr, "sam", "Sam")
    _person(hr_app, hr, "ann", "Ann", supervisor=sam_id)
    with connected(hr_app):
        Certification.create(employment=Employment.get(Employment.staff == sam_id), name="BLS",
                             expires_on=practice_today() + dt.timedelta(days=20))
    urls = ("/hr/", "/hr/training", "/hr/reviews", "/hr/org-chart", "/hr/timesheets", "/hr/leave", "/hr/payroll")

    def counts(cycle: str) -> dict[str, int]:
        assert hr.post("/hr/reviews", data={"name": cycle, "period_start": "2026-01-01", "period_end": "2026-12-31",
                                            "due_on": "2027-01-31"}).status_code == 302
        return {url: len(page_queries(hr, url)) for url in urls}

    two = counts("2026")
    for n in range(3):
        _person(hr_app, hr, f"p{n}", f"P{n}", supervisor=sam_id)
    five = counts("2026 again")
    assert five == two  # no query per person on any of them
    for url, shown in (("/hr/training", "Test, P2"), ("/hr/reviews", "Test, P2"), ("/hr/org-chart", "P2 Test"),
                       ("/hr/timesheets", "Test, P2"), ("/hr/", "Test, P2")):
        assert shown in _text(hr.get(url)), url  # the counts above were of pages listing everyone


def test_the_kept_review_cycle_form_carries_each_sessions_own_csrf_token(csrf_client_as):
    def token_of(client) -> str:
        page = client.get("/hr/reviews").get_data(as_text=True)
        form = page[page.index("Start a review cycle"):]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    first, second = csrf_client_as("hr"), csrf_client_as("hr")
    tokens = token_of(first), token_of(second)
    assert tokens[0] != tokens[1]  # the form's HTML is kept, each session's token put in
    cycle = {"name": "2027", "period_start": "2027-01-01", "period_end": "2027-12-31", "due_on": "2028-01-31"}
    assert first.post("/hr/reviews", data={**cycle, "csrf_token": tokens[1]}).status_code == 400
    assert second.post("/hr/reviews", data={**cycle, "csrf_token": tokens[1]}).status_code == 302
    assert first.post("/hr/reviews", data={**cycle, "name": "2028", "csrf_token": token_of(first)}).status_code == 302


def test_the_kept_pay_run_form_carries_each_sessions_own_csrf_token(csrf_client_as):
    def token_of(client) -> str:
        page = client.get("/hr/payroll").get_data(as_text=True)
        form = page[page.index("New pay run"):]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    first, second = csrf_client_as("admin"), csrf_client_as("admin")
    tokens = token_of(first), token_of(second)
    assert tokens[0] != tokens[1]
    assert first.post("/hr/payroll", data={"csrf_token": tokens[1]}).status_code == 400
    assert first.post("/hr/payroll", data={"csrf_token": tokens[0]}).status_code == 422  # checked, nothing given
