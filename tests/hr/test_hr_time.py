"""Time and leave through the pages: the kiosk with a personal PIN (locked after wrong tries), one's
own clock, a supervisor's corrections with reasons (audited), overtime over 40 hours, approval by
the supervisor that earns leave under the cap, leave requests decided by the supervisor (never by
oneself), the team calendar, and the yearly grant and carry-over limit."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from medoffice import settings
from medoffice.models import AuditEvent, StaffMember, User
from medoffice.testing import connected, login

from medoffice_hr import leave, timesheets
from medoffice_hr.models import Employment
from medoffice_hr.time_models import LeaveLedger, LeavePolicy, LeaveRequest, TimeEntry, Timesheet


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _person(app, hr, username, first, supervisor=None, role="front_desk", exempt=False):
    client = login(app.test_client(), role, username=username)
    with connected(app):
        staff = StaffMember.create(first_name=first, last_name="Test", job_title="Front desk")
        User.update(staff=staff.id).where(User.username == username).execute()
    data = {"hire_date": "2025-01-06", "end_date": "", "status": "active", "employment_type": "full_time",
            "job_title": "Front desk", "department": "", "location": "", "supervisor": str(supervisor or "")}
    if exempt:
        data["flsa_exempt"] = "y"
    assert hr.post(f"/hr/employees/{staff.id}/employment", data=data).status_code == 302
    return client, staff.id


@pytest.fixture
def team(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    with connected(hr_app):
        settings.set_many({"hr.pay_frequency": "biweekly", "hr.pay_period_anchor": "2026-01-04",
                           "hr.workweek_start": "6"})
    sam, sam_id = _person(hr_app, hr, "sam", "Sam")
    ann, ann_id = _person(hr_app, hr, "ann", "Ann", supervisor=sam_id)
    bob, bob_id = _person(hr_app, hr, "bob", "Bob")
    return {"hr": hr, "sam": sam, "ann": ann, "bob": bob, "sam_id": sam_id, "ann_id": ann_id, "bob_id": bob_id}


def _last_period(app):
    with connected(app):
        start, _ = timesheets.period_of(settings.today())
        return timesheets.period_of(start - dt.timedelta(days=1))


def test_the_kiosk_takes_a_personal_pin_and_locks_after_wrong_tries(hr_app, team):
    ann = team["ann"]
    assert ann.post("/hr/me/time/pin", data={"pin": "12"}).status_code == 422
    assert ann.post("/hr/me/time/pin", data={"pin": "4821"}).status_code == 302
    desk = login(hr_app.test_client(), "front_desk", username="desk")
    with connected(hr_app):
        employment = Employment.get(Employment.staff == team["ann_id"]).id
    assert "Ann" in _text(desk.get("/hr/kiosk"))
    assert desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "0000", "action": "in"}).status_code == 422
    assert desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "4821", "action": "in"}).status_code == 302
    assert desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "4821", "action": "in"}).status_code == 422
    assert desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "4821", "action": "out"}).status_code == 302
    with connected(hr_app):
        entry = TimeEntry.get()
        assert entry.source == "kiosk" and entry.ended_at is not None
    for _ in range(5):
        desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "9999", "action": "in"})
    locked = desk.post("/hr/kiosk", data={"staff": str(employment), "pin": "4821", "action": "in"})
    assert locked.status_code == 422 and "Too many wrong PINs" in _text(locked)
    assert team["bob"].get("/hr/kiosk").status_code == 200  # front desk role holds the kiosk permission
    assert login(hr_app.test_client(), "billing").get("/hr/kiosk").status_code == 403


def test_own_clock_in_break_and_out(hr_app, team):
    ann = team["ann"]
    assert ann.post("/hr/me/time/punch", data={"action": "in"}).status_code == 302
    assert ann.post("/hr/me/time/punch", data={"action": "in"}).status_code == 422
    assert "clocked in" in _text(ann.get("/hr/me/time"))
    assert ann.post("/hr/me/time/punch", data={"action": "break"}).status_code == 302
    assert "on a break" in _text(ann.get("/hr/me/time"))
    assert ann.post("/hr/me/time/punch", data={"action": "back"}).status_code == 302
    assert ann.post("/hr/me/time/punch", data={"action": "out"}).status_code == 302
    with connected(hr_app):
        assert [e.kind for e in TimeEntry.select().order_by(TimeEntry.id)] == ["work", "break", "work"]
        assert TimeEntry.select().where(TimeEntry.ended_at.is_null()).count() == 0
        start, end = timesheets.period_of(settings.today())
        Timesheet.create(employment=Employment.get(Employment.staff == team["ann_id"]), period_start=start,
                         period_end=end, status="paid")  # as a posted pay run leaves it
    refused = ann.post("/hr/me/time/punch", data={"action": "in"})
    assert refused.status_code == 422 and "That pay period was paid" in _text(refused)


def test_supervisor_corrects_with_reasons_and_approves_overtime_that_earns_capped_leave(hr_app, team):
    hr, sam, ann, bob = team["hr"], team["sam"], team["ann"], team["bob"]
    start, end = _last_period(hr_app)
    hr.post("/hr/leave-policy/new", data={"name": "Sick leave", "accrual_method": "per_hour_worked",
                                          "earn_minutes": "60", "per_worked_minutes": "1800", "cap_minutes": "180",
                                          "waiting_days": "0", "applies_to": "all", "paid": "y", "active": "y"})
    with connected(hr_app):
        assert LeavePolicy.select().count() == 1
    url = f"/hr/timesheets/{team['ann_id']}/{start.isoformat()}"
    assert bob.get(url).status_code == 404  # not his report
    assert ann.get(url).status_code == 404  # nor her own to approve
    listed = f"/hr/timesheets?day={start.isoformat()}"
    assert '<td class="num">0:00</td><td class="num">0:00</td>' in _text(sam.get(listed))  # kept from here on
    monday = start + dt.timedelta(days=1)
    for n in range(5):  # Monday to Friday, 8:00 to 17:00: 45 hours
        day = (monday + dt.timedelta(days=n)).isoformat()
        response = sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T08:00",
                                                    "ended_at": f"{day}T17:00", "reason": "Forgot to clock"})
        assert response.status_code == 302, _text(response)
    day = monday.isoformat()
    assert sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T16:00",
                                            "ended_at": f"{day}T18:00", "reason": "x"}).status_code == 422  # overlap
    assert sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T19:00",
                                            "ended_at": f"{day}T18:00", "reason": "x"}).status_code == 422  # backwards
    assert sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T19:00",
                                            "ended_at": f"{day}T20:00", "reason": ""}).status_code == 422  # no reason
    page = _text(sam.get(url))
    assert "40:00 regular, 5:00 overtime" in page
    assert '<td class="num">40:00</td><td class="num">5:00</td>' in _text(sam.get(listed))  # the time added shows
    with connected(hr_app):
        entry = TimeEntry.select().order_by(TimeEntry.started_at).first().id
    assert sam.post(f"{url}/entries/{entry}", data={"started_at": f"{day}T08:30", "ended_at": f"{day}T17:00",
                                                    "reason": "Arrived late"}).status_code == 302
    with connected(hr_app):
        corrected = AuditEvent.get(AuditEvent.action == "hr.time.correct")
        detail = json.loads(corrected.detail) if isinstance(corrected.detail, str) else corrected.detail
        assert detail["reason"] == "Arrived late" and "before" in detail["changes"]
    assert sam.post(f"{url}/approve").status_code == 302
    with connected(hr_app):
        sheet = Timesheet.get()
        assert (sheet.status, sheet.regular_minutes, sheet.overtime_minutes) == ("approved", 40 * 60, 4 * 60 + 30)
        earned = LeaveLedger.get()
        assert earned.minutes == 89  # 44.5 hours at 1 per 30 = 89 minutes, under the 3-hour cap
    assert sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T19:00",
                                            "ended_at": f"{day}T20:00", "reason": "late"}).status_code == 422
    assert sam.post(f"{url}/reopen", data={"reason": ""}).status_code == 422
    assert sam.post(f"{url}/reopen", data={"reason": "Missed a shift"}).status_code == 302
    with connected(hr_app):
        assert LeaveLedger.select().count() == 0  # the leave it earned is taken back
        LeaveLedger.create(employment=Employment.get(Employment.staff == team["ann_id"]), policy=LeavePolicy.get(),
                           on=start, minutes=150, kind="adjustment", reference="test")
    assert sam.post(f"{url}/approve").status_code == 302
    with connected(hr_app):
        employment = Employment.get(Employment.staff == team["ann_id"])
        assert leave.balance(employment, LeavePolicy.get()) == 180  # capped at three hours


def test_leave_is_requested_decided_by_the_supervisor_and_shown_on_the_calendar(hr_app, team):
    hr, sam, ann = team["hr"], team["sam"], team["ann"]
    hr.post("/hr/leave-policy/new", data={"name": "Vacation", "accrual_method": "yearly", "earn_minutes": "4800",
                                          "cap_minutes": "0", "carryover_minutes": "2400", "waiting_days": "90",
                                          "applies_to": "full_time", "paid": "y", "active": "y"})
    with connected(hr_app):
        today = settings.today()
        policy = LeavePolicy.get()
        assert "hours granted" in leave.turn_of_year(today)
        employment = Employment.get(Employment.staff == team["ann_id"])
        assert leave.balance(employment, policy) == 4800
        leave.turn_of_year(today)  # idempotent
        assert leave.balance(employment, policy) == 4800
    first = today + dt.timedelta(days=10)
    too_much = ann.post("/hr/me/leave", data={"policy": str(policy.id), "starts_on": first.isoformat(),
                                              "ends_on": first.isoformat(), "hours": "81"})
    assert too_much.status_code == 422 and "80:00 hours are available" in _text(too_much)
    assert ann.post("/hr/me/leave", data={"policy": str(policy.id), "starts_on": first.isoformat(),
                                          "ends_on": (first - dt.timedelta(days=1)).isoformat(),
                                          "hours": "8"}).status_code == 422
    assert ann.post("/hr/me/leave", data={"policy": str(policy.id), "starts_on": first.isoformat(),
                                          "ends_on": (first + dt.timedelta(days=1)).isoformat(),
                                          "hours": "16"}).status_code == 302
    with connected(hr_app):
        request_id = LeaveRequest.get().id
    assert "Leave requests to decide" in _text(sam.get("/today"))  # in the supervisor's Today queue
    assert "Leave requests to decide" not in _text(ann.get("/today"))  # not in the asker's
    assert ann.post(f"/hr/leave/{request_id}/decide", data={"decision": "approve"}).status_code == 404
    assert team["bob"].post(f"/hr/leave/{request_id}/decide", data={"decision": "approve"}).status_code == 404
    assert "Ann Test" in _text(sam.get("/hr/leave"))
    assert sam.post(f"/hr/leave/{request_id}/decide", data={"decision": "approve", "note": "Enjoy"}).status_code == 302
    assert "Nothing waits for you." in _text(sam.get("/hr/leave"))  # the page's requests are kept until one changes
    with connected(hr_app):
        assert LeaveRequest.get().status == "approved" and leave.balance(employment, policy) == 4800 - 16 * 60
    calendar = _text(hr.get(f"/hr/leave?month={first.strftime('%Y-%m')}"))
    assert "Ann Test" in calendar
    assert "64:00" in _text(ann.get("/hr/me/time"))
    with connected(hr_app):  # the next year: 64 hours left, 40 carry over
        leave.turn_of_year(dt.date(today.year + 1, 1, 2))
        assert leave.balance(employment, policy, dt.date(today.year + 1, 1, 1)) == 2400 + 4800


def test_today_counts_the_last_periods_timesheets_left_to_approve_by_who_approves_them(hr_app, team):
    def to_approve(client) -> int | None:
        page = _text(client.get("/today"))
        marker = "Timesheets of the last pay period to approve"
        if marker not in page:
            return None
        return int(page[:page.index(marker)].rsplit('<span class="count">', 1)[1].split("<", 1)[0])

    assert (to_approve(team["hr"]), to_approve(team["sam"]), to_approve(team["ann"])) == (3, 1, None)
    start, end = _last_period(hr_app)
    with connected(hr_app):
        Timesheet.create(employment=Employment.get(Employment.staff == team["ann_id"]), period_start=start,
                         period_end=end, status="approved")
    assert (to_approve(team["hr"]), to_approve(team["sam"])) == (2, None)  # Sam's one report is done
