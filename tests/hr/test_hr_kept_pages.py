"""HR's detail, form and report pages keep what is the same for everyone who sees them until their data changes: a
change made outside the app (plain SQL, as another process or a SQL console would) to any table a kept part reads
shows on the next view, and a view with nothing changed reads none of those tables."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from medoffice import documents, files
from medoffice.models import AuditEvent, Location, StaffMember, User
from medoffice.testing import connected, login, page_text, practice_today, reads_of, write_sql

from medoffice_hr import tax_tables, timesheets
from medoffice_hr.benefits_models import BenefitPlan, BenefitTier, Enrollment
from medoffice_hr.hiring_models import (Candidate, Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateTask,
                                        Interview, Opening, PropertyItem)
from medoffice_hr.models import Department, EmergencyContact, EmployeeDocument, Employment, PayRate
from medoffice_hr.payroll_models import Deduction, PayRun, PayStub, W4Record
from medoffice_hr.hiring import RESUME_KIND
from medoffice_hr.manual import KIND as MANUAL_KIND
from medoffice_hr.time_models import LeavePolicy, LeaveRequest, TimeEntry, Timesheet
from medoffice_hr.training_models import (Certification, Course, CourseCompletion, EmployeeNote, Review,
                                          ReviewCycle)

TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _employee(first: str, last: str = "Test") -> tuple[int, Employment]:
    """A staff member with an active employment since 2024: (the staff id, the employment)."""
    staff = StaffMember.create(first_name=first, last_name=last, job_title="Front desk")
    return staff.id, Employment.create(staff=staff.id, hire_date=dt.date(2024, 1, 8))


def _posted_stub(employment: Employment, pay_date: dt.date, gross_cents: int) -> PayStub:
    """A posted run paid on ``pay_date`` with one stub of ``gross_cents`` for ``employment``."""
    run = PayRun.create(period_start=pay_date - dt.timedelta(days=18), period_end=pay_date - dt.timedelta(days=5),
                        pay_date=pay_date, frequency="biweekly", status="posted", tax_year=pay_date.year)
    return PayStub.create(run=run, employment=employment, basis="hourly", rate_cents=2000, gross_cents=gross_cents,
                          federal_wages_cents=gross_cents, fica_wages_cents=gross_cents, net_cents=gross_cents,
                          social_security_cents=gross_cents * 62 // 1000)


def test_the_w2_and_941_figures_are_kept_until_a_run_a_stub_a_tax_table_or_a_name_changes(app):
    hr = login(app.test_client(), "hr")
    pay_date = TODAY.replace(month=2, day=13)
    with connected(app):
        ann_id, ann = _employee("Ann")
        stub = _posted_stub(ann, pay_date, 100_000)
    w2 = f"/hr/payroll/reports/w2?year={pay_date.year}"
    form_941 = f"/hr/payroll/reports/941?year={pay_date.year}&quarter=1"
    assert "Test, Ann" in page_text(hr, w2) and "$1,000.00" in page_text(hr, w2)
    assert "$1,000.00" in page_text(hr, form_941)
    kept_tables = ("hr_pay_run", "hr_pay_stub", "hr_tax_table", "hr_employment", "core_staff")
    assert not reads_of(hr, w2, kept_tables) and not reads_of(hr, form_941, kept_tables)

    with connected(app):
        write_sql("UPDATE hr_pay_stub SET federal_wages_cents = ? WHERE id = ?", 200_000, stub.id)
    assert "$2,000.00" in page_text(hr, w2) and "$2,000.00" in page_text(hr, form_941)
    with connected(app):
        write_sql("UPDATE core_staff SET last_name = ? WHERE id = ?", "Tester", ann_id)
    assert "Tester, Ann" in page_text(hr, w2)
    with connected(app):
        bob_id, bob = _employee("Bob")
        write_sql("UPDATE hr_pay_stub SET employment_id = ? WHERE id = ?", bob.id, stub.id)
    assert "Test, Bob" in page_text(hr, w2)
    with connected(app):
        table = tax_tables.shipped(pay_date.year)
        table["social_security"]["wage_base_cents"] = 50_000
        write_sql("INSERT INTO hr_tax_table (year, version, sha256, data, source, imported_at) "
                  "VALUES (?, 1, ?, ?, ?, ?)",
                  pay_date.year, "0" * 64, json.dumps(table), "test", dt.datetime(2026, 1, 1))
    assert "$500.00" in page_text(hr, w2)  # box 3 stops at the wage base
    with connected(app):
        write_sql("UPDATE hr_pay_run SET status = ? WHERE id = ?", "draft", stub.run_id)
    assert "No posted pay run paid in" in page_text(hr, w2) and "$2,000.00" not in page_text(hr, form_941)


def test_an_employee_file_is_kept_until_the_employment_its_rates_contacts_documents_checklists_or_staff_change(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        boss_id, _ = _employee("Sam", "Boss")
        ann_id, ann = _employee("Ann")
        department = Department.create(name="Front office")
        clinic = Location.create(name="Main clinic")
        write_sql("UPDATE hr_employment SET supervisor_id = ?, department_id = ?, location_id = ? WHERE id = ?",
                  boss_id, department.id, clinic.id, ann.id)
        rate = PayRate.create(employment=ann, effective_on=dt.date(2024, 1, 8), basis="hourly", amount_cents=2000)
        contact = EmergencyContact.create(employment=ann, name="Carl Contact", phone="555-0100")
        document = EmployeeDocument.create(employment=ann, kind="w4", note="Signed at hire")
        checklist = Checklist.create(employment=ann, kind="onboarding", starts_on=dt.date(2024, 1, 8))
        task = ChecklistTask.create(checklist=checklist, title="Badge", assignee_role="hr", due=dt.date(2024, 1, 9))
    url = f"/hr/employees/{ann_id}"
    page = page_text(hr, url)
    assert all(text in page for text in ("Boss, Sam", "Front office", "Main clinic", "$20.00", "Carl Contact",
                                         "Signed at hire", "(0/1 done)", 'name="csrf_token"'))
    kept_tables = ("core_staff", "hr_employment", "hr_department", "hr_pay_rate", "hr_emergency_contact",
                   "hr_employee_document", "hr_checklist", "hr_checklist_task")
    assert not reads_of(hr, url, kept_tables)

    changes = [("UPDATE core_staff SET last_name = ? WHERE id = ?", ("Bossman", boss_id), "Bossman, Sam"),
               ("UPDATE hr_department SET name = ? WHERE id = ?", ("Back office", department.id), "Back office"),
               ("UPDATE hr_employment SET job_title = ? WHERE id = ?", ("Biller", ann.id), "Biller"),
               ("UPDATE hr_pay_rate SET amount_cents = ? WHERE id = ?", (2500, rate.id), "$25.00"),
               ("UPDATE hr_emergency_contact SET name = ? WHERE id = ?", ("Cora Contact", contact.id), "Cora Contact"),
               ("UPDATE hr_employee_document SET note = ? WHERE id = ?", ("Redone", document.id), "Redone"),
               ("UPDATE hr_checklist_task SET done_at = ? WHERE id = ?", (dt.datetime(2024, 1, 9), task.id),
                "(1/1 done)"),
               ("UPDATE hr_checklist SET kind = ? WHERE id = ?", ("separation", checklist.id), "Separation (1/1"),
               ("UPDATE core_location SET name = ? WHERE id = ?", ("North clinic", clinic.id), "North clinic")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement


def test_a_kept_employee_file_shows_each_viewer_their_part_and_their_own_documents_to_sign(app):
    hr = login(app.test_client(), "hr")
    ann = login(app.test_client(), "front_desk", username="ann")
    boss = login(app.test_client(), "front_desk", username="sam")
    with connected(app):
        boss_id, _ = _employee("Sam", "Boss")
        ann_id, employment = _employee("Ann")
        write_sql("UPDATE hr_employment SET supervisor_id = ? WHERE id = ?", boss_id, employment.id)
        User.update(staff=ann_id).where(User.username == "ann").execute()
        User.update(staff=boss_id).where(User.username == "sam").execute()
        PayRate.create(employment=employment, effective_on=dt.date(2024, 1, 8), basis="hourly", amount_cents=2000)
    url = f"/hr/employees/{ann_id}"
    assert "$20.00" in page_text(hr, url) and "Add rate" in page_text(hr, url)
    own = page_text(ann, url)
    assert "$20.00" in own and "Add rate" not in own and "Nothing waits for your signature." in own
    assert "$20.00" not in page_text(boss, url) and "Nothing waits for your signature." not in page_text(boss, url)
    first, second = page_text(hr, url), page_text(login(app.test_client(), "hr"), url)
    assert _form_tokens(first) and _form_tokens(first).isdisjoint(_form_tokens(second))
    assert login(app.test_client(), "front_desk").get(url).status_code == 404


def _form_tokens(page: str) -> set[str]:
    """The CSRF tokens of the page's forms."""
    return set(re.findall(r'name="[^"]*csrf_token"[^>]*value="([^"]+)"', page))


def test_a_timesheet_is_kept_until_time_the_timesheet_the_employment_the_staff_or_a_user_changes(app):
    hr = login(app.test_client(), "hr", username="hana")
    boss = login(app.test_client(), "front_desk", username="sam")
    with connected(app):
        boss_id, _ = _employee("Sam", "Boss")
        ann_id, ann = _employee("Ann")
        write_sql("UPDATE hr_employment SET supervisor_id = ? WHERE id = ?", boss_id, ann.id)
        User.update(staff=boss_id).where(User.username == "sam").execute()
        start, end = timesheets.period_of(TODAY)
        began = dt.datetime.combine(start, dt.time(15), dt.timezone.utc)
        entry = TimeEntry.create(employment=ann, started_at=began, ended_at=began + dt.timedelta(hours=8),
                                 source="manual", edited_by="hana", edit_reason="Paper timesheet")
        sheet = Timesheet.create(employment=ann, period_start=start, period_end=end)
    url = f"/hr/timesheets/{ann_id}/{start.isoformat()}"
    page = page_text(hr, url)
    assert "Timesheet of Test, Ann" in page and "8:00 regular" in page and "Paper timesheet" in page
    assert "Add time not clocked" in page and page_text(boss, url).count("Paper timesheet") == 1
    assert not reads_of(hr, url, ("hr_time_entry", "hr_timesheet", "hr_employment", "core_staff", "core_user"))

    with connected(app):
        write_sql("UPDATE hr_time_entry SET ended_at = ? WHERE id = ?",
                  TimeEntry.ended_at.db_value(began + dt.timedelta(hours=6)), entry.id)
    assert "6:00 regular" in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE hr_timesheet SET status = ?, approved_by = ? WHERE id = ?", "approved", "hana", sheet.id)
    page = page_text(hr, url)
    assert "Reopen for corrections" in page and "Add time not clocked" not in page
    with connected(app):
        write_sql("UPDATE core_user SET full_name = ? WHERE username = ?", "Hana Approver", "hana")
    assert "Hana Approver" in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE core_staff SET first_name = ? WHERE id = ?", "Anna", ann_id)
    assert "Timesheet of Test, Anna" in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE hr_employment SET supervisor_id = NULL WHERE id = ?", ann.id)
    assert boss.get(url).status_code == 404


def test_an_opening_board_is_kept_until_an_opening_a_candidate_an_interview_or_a_department_changes(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        department = Department.create(name="Front office")
        clinic = Location.create(name="Main clinic")
        opening = Opening.create(title="Receptionist", job_title="Front desk", department=department, location=clinic,
                                 opened_on=TODAY)
        rita = Candidate.create(opening=opening, first_name="Rita", last_name="Rowe")
        interview = Interview.create(candidate=rita, held_on=TODAY, score=4, recommendation="hire")
    url = f"/hr/hiring/{opening.id}"
    page = page_text(hr, url)
    assert all(text in page for text in ("Receptionist", "Front office", "Main clinic", "Rita Rowe",
                                         "1 interview, average 4.0", "Add a candidate", 'name="csrf_token"'))
    assert not reads_of(hr, url, ("hr_opening", "hr_candidate", "hr_interview", "hr_department"))

    changes = [("UPDATE hr_opening SET title = ? WHERE id = ?", ("Front desk lead", opening.id), "Front desk lead"),
               ("UPDATE hr_candidate SET last_name = ? WHERE id = ?", ("Roberts", rita.id), "Rita Roberts"),
               ("UPDATE hr_interview SET score = ? WHERE id = ?", (2, interview.id), "average 2.0"),
               ("UPDATE hr_department SET name = ? WHERE id = ?", ("Back office", department.id), "Back office"),
               ("UPDATE core_location SET name = ? WHERE id = ?", ("North clinic", clinic.id), "North clinic")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        write_sql("UPDATE hr_opening SET status = ? WHERE id = ?", "closed", opening.id)
    assert "Add a candidate" not in page_text(hr, url)
    with connected(app):
        write_sql("DELETE FROM hr_interview WHERE candidate_id = ?", rita.id)
        write_sql("DELETE FROM hr_candidate WHERE opening_id = ?", opening.id)
        write_sql("DELETE FROM hr_opening WHERE id = ?", opening.id)
    assert hr.get(url).status_code == 404


def _audited(app, action: str) -> int:
    with connected(app):
        return AuditEvent.select().where(AuditEvent.action == action).count()


def test_a_review_is_kept_per_role_until_a_review_its_cycle_the_employment_the_staff_or_a_user_changes(app):
    hr = login(app.test_client(), "hr", username="hana")
    ann = login(app.test_client(), "front_desk", username="ann")
    with connected(app):
        ann_id, employment = _employee("Ann")
        User.update(staff=ann_id).where(User.username == "ann").execute()
        cycle = ReviewCycle.create(name="Review 2026", period_start=TODAY.replace(month=1, day=1),
                                   period_end=TODAY.replace(month=12, day=31), due_on=TODAY)
        review = Review.create(cycle=cycle, employment=employment, self_text="I answered the phones.",
                               self_submitted_at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc),
                               supervisor_text="Very good.", rating=4, supervisor_by="hana",
                               supervisor_submitted_at=dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc))
    url = f"/hr/reviews/{review.id}"
    page = page_text(hr, url)
    assert "Review 2026: Test, Ann" in page and "Rating: 4 of 5 (Test Hana)" in page
    assert "I have read this review" in page_text(ann, url) and "I have read this review" not in page
    reads = _audited(app, "hr.review.view")
    assert not reads_of(hr, url, ("hr_review", "hr_review_cycle", "hr_employment", "core_staff", "core_user"))
    assert _audited(app, "hr.review.view") == reads + 3  # every view is on the trail

    changes = [("UPDATE hr_review SET rating = ? WHERE id = ?", (2, review.id), "Rating: 2 of 5"),
               ("UPDATE hr_review_cycle SET name = ? WHERE id = ?", ("Annual 2026", cycle.id), "Annual 2026: Test"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), ": Test, Anna"),
               ("UPDATE core_user SET full_name = ? WHERE username = ?", ("Hana Reviewer", "hana"), "Hana Reviewer")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        other_id, other = _employee("Otto")
        write_sql("UPDATE hr_review SET employment_id = ? WHERE id = ?", other.id, review.id)
    assert "Test, Otto" in page_text(hr, url) and ann.get(url).status_code == 404


def test_a_persons_training_is_kept_until_courses_completions_certifications_the_employment_or_staff_change(app):
    hr = login(app.test_client(), "hr")
    ann = login(app.test_client(), "front_desk", username="ann")
    with connected(app):
        ann_id, employment = _employee("Ann")
        User.update(staff=ann_id).where(User.username == "ann").execute()
        course = Course.create(name="HIPAA basics", due_days_after_hire=30, repeat_months=12)
        done = CourseCompletion.create(employment=employment, course=course, completed_on=dt.date(2024, 2, 1))
        licence = Certification.create(employment=employment, name="CPR", number="C-1", issuer="Red Cross")
    url = f"/hr/employees/{ann_id}/training"
    page = page_text(hr, url)
    assert all(text in page for text in ("Training of Test, Ann", "HIPAA basics", "CPR", "Overdue",
                                         "Record a completion"))
    assert "Record a completion" not in page_text(ann, url) and "CPR" in page_text(ann, url)
    assert not reads_of(hr, url, ("hr_course", "hr_course_completion", "hr_certification", "hr_employment",
                                  "core_staff"))

    changes = [("UPDATE hr_course SET name = ? WHERE id = ?", ("HIPAA refresher", course.id), "HIPAA refresher"),
               ("UPDATE hr_course_completion SET completed_on = ? WHERE id = ?", (TODAY, done.id),
                f"HIPAA refresher, {TODAY.isoformat()}"),
               ("UPDATE hr_certification SET issuer = ? WHERE id = ?", ("County board", licence.id), "County board"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), "Training of Test, Anna")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        write_sql("UPDATE hr_employment SET job_title = ? WHERE id = ?", "Biller", employment.id)
        write_sql("UPDATE hr_course SET job_title = ? WHERE id = ?", "Front desk", course.id)
    assert "No course is required for this job title." in page_text(hr, url)


def test_a_posted_runs_page_is_kept_until_a_run_a_stub_an_employment_the_staff_or_a_user_changes(app):
    hr = login(app.test_client(), "hr", username="hana")
    with connected(app):
        ann_id, ann = _employee("Ann")
        stub = _posted_stub(ann, TODAY.replace(month=2, day=13), 100_000)
        write_sql("UPDATE hr_pay_run SET posted_by = ?, posted_at = ? WHERE id = ?", "hana", dt.datetime(2026, 2, 13),
                  stub.run_id)
    url = f"/hr/payroll/{stub.run_id}"
    page = page_text(hr, url)
    assert "Test, Ann" in page and "$1,000.00" in page and "by Test Hana" in page and "Start a correcting run" in page
    assert not reads_of(hr, url, ("hr_pay_run", "hr_pay_stub", "hr_employment", "core_staff", "core_user"))

    changes = [("UPDATE hr_pay_stub SET gross_cents = ? WHERE id = ?", (120_000, stub.id), "$1,200.00"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), "Test, Anna"),
               ("UPDATE core_user SET full_name = ? WHERE username = ?", ("Hana Poster", "hana"), "by Hana Poster")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        bob_id, bob = _employee("Bob")
        write_sql("UPDATE hr_pay_stub SET employment_id = ? WHERE id = ?", bob.id, stub.id)
    assert "Test, Bob" in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE hr_pay_run SET status = ? WHERE id = ?", "draft", stub.run_id)
    assert "Before posting" in page_text(hr, url)  # a draft is recomputed on every view, never kept
    with connected(app):
        write_sql("DELETE FROM hr_pay_stub WHERE run_id = ?", stub.run_id)
        write_sql("DELETE FROM hr_pay_run WHERE id = ?", stub.run_id)
    assert hr.get(url).status_code == 404


def test_a_checklist_template_is_kept_until_a_template_or_its_tasks_change_and_a_refused_task_is_shown(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        template = ChecklistTemplate.create(kind="onboarding", name="Front desk start")
        task = ChecklistTemplateTask.create(template=template, title="Order a badge", assignee_role="hr", due_offset=2)
    url = f"/hr/checklist-templates/{template.id}"
    page = page_text(hr, url)
    assert "Front desk start" in page and "Order a badge" in page and "2  days after the first day" in page
    assert not reads_of(hr, url, ("hr_checklist_template", "hr_checklist_template_task"))

    changes = [("UPDATE hr_checklist_template SET name = ? WHERE id = ?", ("Biller start", template.id),
                "Biller start"),
               ("UPDATE hr_checklist_template_task SET title = ? WHERE id = ?", ("Order keys", task.id), "Order keys")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    refused = hr.post(url, data={"title": "", "assignee_role": "hr", "due_offset": "1"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' not in page_text(hr, url)
    with connected(app):
        write_sql("DELETE FROM hr_checklist_template_task WHERE template_id = ?", template.id)
        write_sql("DELETE FROM hr_checklist_template WHERE id = ?", template.id)
    assert hr.get(url).status_code == 404


def test_hrs_today_counts_are_kept_until_leave_an_employment_or_the_manuals_signatures_change(app):
    hr = login(app.test_client(), "hr", username="hana")
    login(app.test_client(), "front_desk", username="fay")
    with connected(app):
        ann_id, employment = _employee("Ann")
        hana_staff = StaffMember.create(first_name="Hana", last_name="Test")
        User.update(staff=hana_staff.id).where(User.username == "hana").execute()
        policy = LeavePolicy.create(name="PTO", accrual_method="per_hour", earn_minutes=1, per_worked_minutes=30)
        asked = LeaveRequest.create(employment=employment, policy=policy, starts_on=TODAY, ends_on=TODAY, minutes=480)
        users = {u.username: u.id for u in User.select()}
        manual = documents.create(MANUAL_KIND, "Employee manual", owner=users["hana"],
                                  audience=documents.Audience.of(users=[users["fay"]]), body="# Hours")
        documents.publish(manual, effective_on=TODAY, summary="First version.", requires_acknowledgment=True)
    page = page_text(hr, "/today")
    assert "Leave requests to decide" in page and "Employee manual: acknowledgments overdue" not in page
    assert not reads_of(hr, "/today", ("hr_leave_request", "hr_leave_policy", "hr_employment", "core_document",
                                     "core_deadline", "core_acknowledgment"))

    with connected(app):
        write_sql("UPDATE hr_leave_request SET status = ? WHERE id = ?", "approved", asked.id)
    assert "Leave requests to decide" not in page_text(hr, "/today")
    with connected(app):
        write_sql("UPDATE hr_leave_request SET status = ? WHERE id = ?", "pending", asked.id)
        write_sql("UPDATE core_deadline SET due = ? WHERE owner = ?", TODAY - dt.timedelta(days=30), "hr")
    page = page_text(hr, "/today")
    assert "Leave requests to decide" in page and "Employee manual: acknowledgments overdue" in page
    with connected(app):
        write_sql("UPDATE hr_employment SET staff_id = ? WHERE id = ?", hana_staff.id, employment.id)
    assert "Leave requests to decide" not in page_text(hr, "/today")  # one's own request is not one's to decide


def test_the_opening_form_is_kept_until_an_opening_or_a_department_changes_for_the_locations_read_each_time(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        department = Department.create(name="Front office")
        clinic = Location.create(name="Main clinic")
        opening = Opening.create(title="Receptionist", job_title="Front desk", department=department, opened_on=TODAY)
    edit, new = f"/hr/hiring/{opening.id}/edit", "/hr/hiring/new"
    page = page_text(hr, edit)
    assert 'value="Receptionist"' in page and "Front office" in page and "Main clinic" in page
    assert "Front office" in page_text(hr, new) and 'value="Receptionist"' not in page_text(hr, new)
    assert not reads_of(hr, edit, ("hr_opening", "hr_department"))
    assert not reads_of(hr, new, ("hr_opening", "hr_department"))

    changes = [("UPDATE hr_opening SET title = ? WHERE id = ?", ("Front desk lead", opening.id),
                'value="Front desk lead"'),
               ("UPDATE hr_department SET name = ? WHERE id = ?", ("Back office", department.id), "Back office"),
               ("UPDATE core_location SET name = ? WHERE id = ?", ("North clinic", clinic.id), "North clinic")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, edit), statement
    assert "Back office" in page_text(hr, new) and "North clinic" in page_text(hr, new)
    refused = hr.post(edit, data={"title": "", "job_title": "Front desk", "department": "", "location": "",
                                  "status": "open", "description": ""})
    assert refused.status_code == 422 and "Give the opening a title." in refused.get_data(as_text=True)
    assert "Give the opening a title." not in page_text(hr, edit)
    assert hr.get("/hr/hiring/999/edit").status_code == 404


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_candidates_page_is_kept_until_a_candidate_an_opening_an_interview_or_the_staff_change(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        opening = Opening.create(title="Receptionist", job_title="Front desk", opened_on=TODAY)
        rita = Candidate.create(opening=opening, first_name="Rita", last_name="Rowe", email="rita@example.org")
        sam_id, _ = _employee("Sam", "Boss")
        interview = Interview.create(candidate=rita, held_on=TODAY, score=4, recommendation="hire", interviewer=sam_id,
                                     notes="Calm on the phone")
    url = f"/hr/candidates/{rita.id}"
    page = page_text(hr, url)
    assert all(text in page for text in ("Rita Rowe", "Receptionist (Front desk)", "rita@example.org", "Boss, Sam",
                                         "Calm on the phone", "Save scorecard", "<dd>None</dd>"))
    assert not reads_of(hr, url, ("hr_candidate", "hr_opening", "hr_interview", "core_staff"))

    changes = [("UPDATE hr_candidate SET email = ? WHERE id = ?", ("rowe@example.org", rita.id), "rowe@example.org"),
               ("UPDATE hr_opening SET job_title = ? WHERE id = ?", ("Biller", opening.id), "Receptionist (Biller)"),
               ("UPDATE hr_interview SET notes = ? WHERE id = ?", ("Late twice", interview.id), "Late twice"),
               ("UPDATE core_staff SET last_name = ? WHERE id = ?", ("Bossman", sam_id), "Bossman, Sam")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        stored = files.attach("hr", "candidate", rita.id, RESUME_KIND, io.BytesIO(PDF), "rita-cv.pdf")
        write_sql("UPDATE hr_candidate SET resume_attachment_id = ? WHERE id = ?", stored.id, rita.id)
    assert "rita-cv.pdf" in page_text(hr, url)
    with connected(app):
        files.delete(stored.id, "Sent in error")  # core's files are read on every view
    assert "rita-cv.pdf" not in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE hr_candidate SET stage = ? WHERE id = ?", "rejected", rita.id)
    assert "Save scorecard" not in page_text(hr, url)


def test_the_employment_form_is_kept_until_an_employment_a_department_or_the_staff_change(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        department = Department.create(name="Front office")
        clinic = Location.create(name="Main clinic")
        boss_id, _ = _employee("Sam", "Boss")
        ann_id, employment = _employee("Ann")
        write_sql("UPDATE hr_employment SET job_title = ?, department_id = ? WHERE id = ?", "Receptionist",
                  department.id,
                  employment.id)
        new_id = StaffMember.create(first_name="Nia", last_name="New", job_title="Biller").id
    edit, start = f"/hr/employees/{ann_id}/employment", f"/hr/employees/{new_id}/employment"
    page = page_text(hr, edit)
    assert all(text in page for text in ('value="Receptionist"', f'<option selected value="{department.id}">',
                                         "Main clinic", "Boss, Sam"))
    assert "Test, Ann</option>" not in page and 'value="Biller"' in page_text(hr, start)
    assert not reads_of(hr, edit, ("hr_employment", "hr_department", "core_staff"))

    changes = [("UPDATE hr_employment SET job_title = ? WHERE id = ?", ("Lead", employment.id), 'value="Lead"'),
               ("UPDATE hr_department SET name = ? WHERE id = ?", ("Back office", department.id), "Back office"),
               ("UPDATE core_staff SET last_name = ? WHERE id = ?", ("Bossman", boss_id), "Bossman, Sam"),
               ("UPDATE core_location SET name = ? WHERE id = ?", ("North clinic", clinic.id), "North clinic")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, edit), statement
    refused = hr.post(edit, data={"hire_date": "", "status": "active", "employment_type": "full_time",
                                  "department": "", "location": "", "supervisor": ""})
    assert refused.status_code == 422 and "Give the hire date." in refused.get_data(as_text=True)
    assert "Give the hire date." not in page_text(hr, edit)
    assert hr.get("/hr/employees/9999/employment").status_code == 404


def test_a_persons_payroll_page_is_kept_until_their_w4_deductions_employment_or_the_staff_change(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        ann_id, employment = _employee("Ann")
        w4 = W4Record.create(employment=employment, filing_status="single", step3_cents=200_000)
        deduction = Deduction.create(employment=employment, kind="posttax", description="County order",
                                     amount_cents=5_000, starts_on=TODAY)
    url = f"/hr/employees/{ann_id}/payroll"
    page = page_text(hr, url)
    assert all(text in page for text in ("Payroll of Test, Ann", 'value="2000.00"', "County order", "$50.00",
                                         "Save W-4"))
    assert not reads_of(hr, url, ("hr_w4", "hr_deduction", "hr_employment", "core_staff"))

    changes = [("UPDATE hr_w4 SET step3_cents = ? WHERE id = ?", (300_000, w4.id), 'value="3000.00"'),
               ("UPDATE hr_deduction SET description = ? WHERE id = ?", ("State order", deduction.id), "State order"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), "Payroll of Test, Anna")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        write_sql("DELETE FROM hr_w4 WHERE id = ?", w4.id)
    assert "No W-4 on file" in page_text(hr, url)
    refused = hr.post(url, data={"filing_status": "single", "step3": "-5", "step4a": "0", "step4b": "0",
                                 "step4c": "0", "state_allowances": "0"})
    assert refused.status_code == 422 and 'value="-5"' in refused.get_data(as_text=True)
    assert 'value="-5"' not in page_text(hr, url)
    with connected(app):
        write_sql("DELETE FROM hr_deduction WHERE employment_id = ?", employment.id)
        write_sql("DELETE FROM hr_employment WHERE id = ?", employment.id)
    assert hr.get(url).status_code == 404


def test_a_persons_leaving_page_is_kept_until_the_separation_property_checklists_employment_or_staff_change(app):
    hr = login(app.test_client(), "hr")
    with connected(app):
        ann_id, employment = _employee("Ann")
        badge = PropertyItem.create(employment=employment, item="Badge", identifier="B-7", issued_on=TODAY)
    url = f"/hr/employees/{ann_id}/separation"
    page = page_text(hr, url)
    assert "Leaving: Test, Ann" in page and "Record the leaving" in page and "To collect:</strong> Badge" in page
    assert not reads_of(hr, url, ("hr_separation", "hr_property_item", "hr_checklist", "hr_employment", "core_staff"))

    with connected(app):
        write_sql("UPDATE hr_property_item SET returned_on = ? WHERE id = ?", TODAY, badge.id)
    assert "To collect:" not in page_text(hr, url)
    with connected(app):
        write_sql("INSERT INTO hr_separation (employment_id, last_day, reason, notes, exit_reason, exit_comments, "
                  "created_by, created_at) VALUES (?, ?, ?, ?, '', '', ?, ?)", employment.id, TODAY, "resignation",
                  "Moving away", "t", dt.datetime(2026, 1, 1))
    page = page_text(hr, url)
    assert "Moving away" in page and "Save exit interview" in page and "Record the leaving" not in page
    with connected(app):
        checklist = Checklist.create(employment=employment, kind="separation", starts_on=TODAY)
    assert f"/hr/checklists/{checklist.id}" in page_text(hr, url)
    with connected(app):
        write_sql("UPDATE core_staff SET first_name = ? WHERE id = ?", "Anna", ann_id)
    assert "Leaving: Test, Anna" in page_text(hr, url)


def test_a_persons_benefits_are_kept_until_plans_tiers_windows_enrollments_or_the_employment_change(app):
    hr = login(app.test_client(), "hr")
    ann = login(app.test_client(), "front_desk", username="ann")
    with connected(app):
        ann_id, employment = _employee("Ann")
        User.update(staff=ann_id).where(User.username == "ann").execute()
        plan = BenefitPlan.create(name="Blue health", kind="health")
        tier = BenefitTier.create(plan=plan, name="Employee only", employee_monthly_cents=12_000)
        Enrollment.create(employment=employment, plan=plan, tier=tier, starts_on=TODAY - dt.timedelta(days=30))
    url = f"/hr/employees/{ann_id}/benefits"
    page = page_text(hr, url)
    assert "Benefits of Test, Ann" in page and "Blue health (Health)" in page and "$120.00" in page
    assert "Enroll or change" in page and "Enroll or change" not in page_text(ann, url)  # no window open
    assert not reads_of(hr, url, ("hr_benefit_plan", "hr_benefit_tier", "hr_enrollment_window", "hr_enrollment",
                                "hr_employment", "core_staff"))

    changes = [("UPDATE hr_benefit_plan SET name = ? WHERE id = ?", ("Green health", plan.id), "Green health"),
               ("UPDATE hr_benefit_tier SET employee_monthly_cents = ? WHERE id = ?", (15_000, tier.id), "$150.00"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), "Benefits of Test, Anna")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        write_sql("INSERT INTO hr_enrollment_window (name, opens_on, closes_on, effective_on) VALUES (?, ?, ?, ?)",
                  "Open enrollment", TODAY, TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=20))
    assert "Open enrollment (Open enrollment)" in page_text(ann, url)
    with connected(app):
        write_sql("UPDATE hr_enrollment SET ends_on = ? WHERE employment_id = ?", TODAY - dt.timedelta(days=1),
                  employment.id)
    assert "No benefits in effect." in page_text(hr, url)


def test_a_persons_notes_are_kept_per_role_until_a_note_the_employment_or_the_staff_change_each_read_audited(app):
    hr = login(app.test_client(), "hr", username="hana")
    ann = login(app.test_client(), "front_desk", username="ann")
    with connected(app):
        ann_id, employment = _employee("Ann")
        User.update(staff=ann_id).where(User.username == "ann").execute()
        coaching = EmployeeNote.create(employment=employment, kind="coaching", text="Greet callers by name.",
                                       author="hana")
        warning = EmployeeNote.create(employment=employment, kind="warning", text="Late three times.", author="hana")
    url = f"/hr/employees/{ann_id}/notes"
    page = page_text(hr, url)
    assert "Greet callers by name." in page and "Late three times." in page and "Not acknowledged yet." in page
    own = page_text(ann, url)
    assert "Greet callers by name." not in own and "I have read this warning" in own
    reads = _audited(app, "hr.notes.view")
    assert not reads_of(hr, url, ("hr_employee_note", "hr_employment", "core_staff", "core_user"))
    assert _audited(app, "hr.notes.view") == reads + 3  # every view is on the trail

    changes = [("UPDATE hr_employee_note SET text = ? WHERE id = ?", ("Greet everyone.", coaching.id),
                "Greet everyone."),
               ("UPDATE hr_employee_note SET acknowledged_at = ? WHERE id = ?",
                (dt.datetime(2026, 1, 2, 17), warning.id), "Acknowledged 2026-01-02"),
               ("UPDATE core_staff SET first_name = ? WHERE id = ?", ("Anna", ann_id), "warnings: Test, Anna"),
               ("UPDATE core_user SET full_name = ? WHERE username = ?", ("Hana Writer", "hana"), "(Hana Writer)")]
    for statement, values, shown in changes:
        with connected(app):
            write_sql(statement, *values)
        assert shown in page_text(hr, url), statement
    with connected(app):
        write_sql("UPDATE hr_employment SET staff_id = ? WHERE id = ?",
                  StaffMember.create(first_name="O", last_name="T").id,
                  employment.id)
    assert hr.get(url).status_code == 404
