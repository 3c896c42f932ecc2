"""Hiring and leaving through the pages: an opening's board (moved in place), a candidate with a
résumé and scorecards, the offer and its letter, hiring that makes the staff record, employment and
onboarding checklist (tasks as deadlines, I-9 in business days), leaving that disables the login on
the last day, and the purge of candidates kept past the retention period."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from medoffice import deadlines, files, settings
from medoffice.models import StaffMember, User
from medoffice.testing import connected, login

from medoffice_hr.hiring_models import Candidate, Checklist, ChecklistTask, Interview, Opening, Separation
from medoffice_hr.hiring_rules import add_business_days
from medoffice_hr.models import Employment, PayRate

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _opening(hr) -> int:
    response = hr.post("/hr/hiring/new", data={"title": "Front desk (mornings)", "job_title": "Receptionist",
                                              "department": "", "location": "", "status": "open", "description": ""})
    assert response.status_code == 302, _text(response)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _candidate(hr, opening, first="Cara", last="Diaz", resume=True) -> int:
    data = {"first_name": first, "last_name": last, "email": "cara@example.org", "phone": "555-0110", "note": ""}
    if resume:
        data["resume"] = (io.BytesIO(PDF), "resume.pdf")
    response = hr.post(f"/hr/hiring/{opening}/candidates", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, _text(response)
    return Candidate.select().order_by(Candidate.id.desc()).get().id


def test_business_days_skip_weekends():
    friday = dt.date(2026, 12, 4)
    assert add_business_days(friday, 3) == dt.date(2026, 12, 9)  # Mon, Tue, Wed
    assert add_business_days(dt.date(2026, 12, 5), 0) == dt.date(2026, 12, 7)  # a Saturday start counts from Monday
    assert add_business_days(dt.date(2026, 12, 7), -1) == friday


def test_a_candidate_moves_through_the_board_and_is_hired_without_retyping(hr_app):
    hr = login(hr_app.test_client(), "hr")
    with connected(hr_app):
        User.update(staff=StaffMember.create(first_name="Mia", last_name="Moss").id).where(
            User.username == "hr").execute()
    template = hr.post("/hr/checklist-templates", data={"name": "Everyone", "kind": "onboarding", "job_title": ""})
    template_id = int(template.headers["Location"].split("/")[-1])
    assert hr.post(f"/hr/checklist-templates/{template_id}", data={
        "title": "I-9 section 2", "assignee_role": "hr", "due_offset": "3", "business_days": "y"}).status_code == 302
    assert hr.post(f"/hr/checklist-templates/{template_id}", data={
        "title": "HIPAA training", "assignee_role": "employee", "due_offset": "30"}).status_code == 302
    assert hr.post(f"/hr/checklist-templates/{template_id}", data={
        "title": "", "assignee_role": "nobody", "due_offset": "3"}).status_code == 422
    opening = _opening(hr)
    with connected(hr_app):
        cara = _candidate(hr, opening)
        assert files.get(Candidate.get_by_id(cara).resume_attachment_id).name == "resume.pdf"
    assert hr.get(f"/hr/candidates/{cara}/resume").data == PDF
    moved = hr.post(f"/hr/candidates/{cara}/move", data={"stage": "interview"}, headers={"HX-Request": "true"})
    assert moved.status_code == 200 and 'id="board"' in _text(moved) and "<html" not in _text(moved)
    assert hr.post(f"/hr/candidates/{cara}/move", data={"stage": "hired"}).status_code == 422
    bad = hr.post(f"/hr/candidates/{cara}/interviews", data={"held_on": "2026-11-20", "interviewer": "",
                                                            "score": "9", "recommendation": "yes"})
    assert bad.status_code == 422
    assert hr.post(f"/hr/candidates/{cara}/interviews", data={"held_on": "2026-11-20", "interviewer": "",
                                                             "score": "4", "recommendation": "yes",
                                                             "notes": "Warm with patients"}).status_code == 302
    assert "1 interview, average 4.0" in _text(hr.get(f"/hr/hiring/{opening}"))
    assert hr.post(f"/hr/candidates/{cara}/hire", data={"hire_date": "2026-12-04", "employment_type": "full_time",
                                                       "supervisor": ""}).status_code == 422  # no offer yet
    assert hr.post(f"/hr/candidates/{cara}/offer", data={"start_date": "2026-12-04", "basis": "hourly",
                                                        "amount": "abc"}).status_code == 422
    assert hr.post(f"/hr/candidates/{cara}/offer", data={"start_date": "2026-12-04", "basis": "hourly",
                                                        "amount": "22.50"}).status_code == 302
    letter = hr.get(f"/hr/candidates/{cara}/offer-letter.pdf")
    assert letter.status_code == 200 and letter.data.startswith(b"%PDF")
    with connected(hr_app):
        supervisor = StaffMember.get(StaffMember.first_name == "Mia").id
    hired = hr.post(f"/hr/candidates/{cara}/hire", data={"hire_date": "2026-12-04", "employment_type": "full_time",
                                                        "supervisor": str(supervisor)})
    assert hired.status_code == 302
    with connected(hr_app):
        staff = StaffMember.get(StaffMember.first_name == "Cara")
        employment = Employment.get(Employment.staff == staff)
        assert (staff.last_name, staff.email, staff.job_title) == ("Diaz", "cara@example.org", "Receptionist")
        assert employment.supervisor_id == supervisor and employment.hire_date == dt.date(2026, 12, 4)
        assert PayRate.get(PayRate.employment == employment).amount_cents == 2250
        assert Candidate.get_by_id(cara).stage == "hired" and Opening.get_by_id(opening).status == "filled"
        tasks = {t.title: t for t in ChecklistTask.select().join(Checklist).where(Checklist.employment == employment)}
        assert tasks["I-9 section 2"].due == dt.date(2026, 12, 9)  # three business days after a Friday
        assert tasks["HIPAA training"].due == dt.date(2027, 1, 3)
        i9 = deadlines.find("hr", f"checklist-task:{tasks['I-9 section 2'].id}")
        assert i9.assignee_role == "hr" and i9.due == dt.date(2026, 12, 9) and "Cara Diaz" in i9.title
        hipaa = deadlines.find("hr", f"checklist-task:{tasks['HIPAA training'].id}")
        assert hipaa.assignee_role == "hr"  # Cara has no login yet: HR sees to it
        checklist = Checklist.get(Checklist.employment == employment).id
    assert hr.post(f"/hr/checklists/tasks/{tasks['I-9 section 2'].id}/done", data={"done": "y"}).status_code == 302
    with connected(hr_app):
        assert deadlines.find("hr", f"checklist-task:{tasks['I-9 section 2'].id}").state == "done"
    page = _text(hr.get(f"/hr/checklists/{checklist}"))
    assert "HIPAA training" in page and "Open again" in page
    assert "Onboarding (1/2 done)" in _text(hr.get(f"/hr/employees/{staff.id}"))
    assert hr.post(f"/hr/candidates/{cara}/hire", data={"hire_date": "2026-12-04", "employment_type": "full_time",
                                                       "supervisor": ""}).status_code == 422  # hired once only
    assert login(hr_app.test_client(), "front_desk").get(f"/hr/hiring/{opening}").status_code == 403


def test_leaving_disables_the_login_on_the_last_day_and_lists_property(hr_app):
    from medoffice_hr.jobs import complete_separations

    hr = login(hr_app.test_client(), "hr")
    with connected(hr_app):
        staff = StaffMember.create(first_name="Lee", last_name="Lane", job_title="Biller")
    assert hr.post(f"/hr/employees/{staff.id}/employment", data={
        "hire_date": "2024-01-08", "end_date": "", "status": "active", "employment_type": "full_time",
        "job_title": "Biller", "department": "", "location": "", "supervisor": ""}).status_code == 302
    lee = login(hr_app.test_client(), "billing", username="lee")
    with connected(hr_app):
        User.update(staff=staff.id).where(User.username == "lee").execute()
    hr.post("/hr/checklist-templates", data={"name": "Leaving", "kind": "separation", "job_title": ""})
    with connected(hr_app):
        template = Checklist.select().count()  # none yet
        assert template == 0
    assert hr.post(f"/hr/employees/{staff.id}/property", data={"item": "Office key", "identifier": "K-12",
                                                              "issued_on": "2024-01-08"}).status_code == 302
    assert hr.post(f"/hr/employees/{staff.id}/separation", data={"last_day": "2023-01-01",
                                                                "reason": "resignation"}).status_code == 422
    with connected(hr_app):
        today = settings.today()
    last_day = today + dt.timedelta(days=3)
    assert hr.post(f"/hr/employees/{staff.id}/separation", data={"last_day": last_day.isoformat(),
                                                                "reason": "resignation"}).status_code == 302
    page = _text(hr.get(f"/hr/employees/{staff.id}/separation"))
    assert "To collect:</strong> Office key" in page
    assert hr.post(f"/hr/employees/{staff.id}/exit-interview", data={
        "held_on": today.isoformat(), "reason": "Moving away", "would_rehire": "yes", "comments": ""}).status_code == 302
    with connected(hr_app):
        assert complete_separations().startswith("0 separations")  # not yet the last day
        Separation.update(last_day=today).execute()
        assert complete_separations() == "1 separation completed, 1 login disabled."
        assert not User.get(User.username == "lee").active and not StaffMember.get_by_id(staff.id).active
        employment = Employment.get(Employment.staff == staff.id)
        assert employment.status == "ended" and employment.end_date == today
        assert Separation.get().exit_would_rehire is True
        assert complete_separations().startswith("0 separations")  # once only
    assert lee.get("/hr/me").status_code in (302, 401)  # the session ended with the account


def test_candidates_not_hired_are_purged_after_the_retention_period(hr_app):
    from medoffice_hr.jobs import purge_candidates

    hr = login(hr_app.test_client(), "hr")
    opening = _opening(hr)
    with connected(hr_app):
        old, recent, active = (_candidate(hr, opening, first=n) for n in ("Old", "Recent", "Active"))
        hr.post(f"/hr/candidates/{old}/interviews", data={"held_on": "2024-01-10", "interviewer": "", "score": "2",
                                                         "recommendation": "no"})
        for candidate in (old, recent):
            hr.post(f"/hr/candidates/{candidate}/move", data={"stage": "rejected"})
        today = settings.today()
        Candidate.update(closed_on=today - dt.timedelta(days=731)).where(Candidate.id == old).execute()
        Candidate.update(closed_on=today - dt.timedelta(days=700)).where(Candidate.id == recent).execute()
        resume = Candidate.get_by_id(old).resume_attachment_id
        assert purge_candidates() == "1 candidate past the retention period deleted."
        assert {c.id for c in Candidate.select()} == {recent, active}
        assert Interview.select().count() == 0 and files.get(resume).deleted_at is not None


def test_the_openings_list_counts_the_candidates_still_in_each_pipeline(hr_app):
    hr = login(hr_app.test_client(), "hr")
    opening = _opening(hr)
    with connected(hr_app):
        for first in ("Cara", "Dev", "Eli"):
            _candidate(hr, opening, first=first, resume=False)
        Candidate.update(stage="rejected").where(Candidate.first_name == "Eli").execute()
        Opening.create(title="Billing <lead>", job_title="Biller", status="closed", opened_on=dt.date(2026, 1, 5))
        opened = settings.today().isoformat()
    page = _text(hr.get("/hr/hiring"))
    assert f'<a href="/hr/hiring/{opening}">Front desk (mornings)</a></td><td>Receptionist</td>' in page
    assert "Billing &lt;lead&gt;</a></td><td>Biller</td><td><span class=\"chip chip-closed\">Closed</span></td>" in page
    assert '<td class="num">2</td>' in page and '<td class="num">0</td>' in page
    assert "Front desk" not in _text(hr.get("/hr/hiring?q=Billing"))
    csv = _text(hr.get("/hr/hiring?format=csv&sort=title"))
    assert csv.splitlines()[1:] == ["Billing <lead>,Biller,closed,2026-01-05,0",
                                    f"Front desk (mornings),Receptionist,open,{opened},2"]
