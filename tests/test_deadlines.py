"""Deadlines (issue 10, section 4): upsert, stages and their reminders, escalation, evidence, waiving,
the calendar, list and iCalendar file, Today's groups and the command line."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import types

import icalendar
import pytest
from click.testing import CliRunner

from medoffice import PluginInfo, hookimpl
from medoffice.auth.accounts import create_user
from medoffice.cli import main as cli
from medoffice.db import db
from medoffice.deadlines import DeadlineError, DeadlineKind, complete, supersede, upsert, waive
from medoffice.deadlines import notices, stages
from medoffice.deadlines.models import Deadline, DeadlineHistory, DeadlineNotice
from medoffice.messages.models import OutboxMessage
from medoffice.models import AuditEvent
from medoffice.settings import today as practice_today
from medoffice.tasks import app_thread_context
from medoffice.testing import TEST_PASSWORD

LICENCE = DeadlineKind("dutytest.licence", "Licence renewal", evidence="note", permission="core.deadlines.manage")
REVIEW = DeadlineKind("dutytest.review", "Policy review", lead_days=(30,), escalate_after_days=2)
SCAN = DeadlineKind("dutytest.scan", "Signed scan", evidence="file")


def duty_plugin():
    """A plugin declaring three kinds of deadline, as a compliance module would."""
    module = types.ModuleType("dutytest_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="dutytest", title="Duty test")

    @hookimpl
    def medoffice_deadline_kinds():
        return [LICENCE, REVIEW, SCAN]

    module.medoffice_deadline_kinds = medoffice_deadline_kinds
    return module


@pytest.fixture
def duty_app(make_app):
    return make_app(plugins=[], extra=[duty_plugin()])


def person(app, username, roles, email=None):
    """A user with an e-mail address (reminders go there); returns their id."""
    with app_thread_context(app):
        return create_user(username, username.title(), TEST_PASSWORD, list(roles),
                           email=f"{username}@office.example" if email is None else email).id


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


def licence(key="licence:1", due=None, **values):
    values.setdefault("title", "Renew Dr. Smith's state licence")
    values.setdefault("kind", "dutytest.licence")
    values.setdefault("assignee_role", "office_manager")
    return upsert("dutytest", key, due=due or practice_today() + dt.timedelta(days=45), **values)


# --- Stages: pure date logic, tested once -----------------------------------------------------------

def test_a_deadline_passes_through_its_stages_in_order():
    due = dt.date(2027, 6, 30)

    def on(days_left, lead=(90, 60, 30, 7), **kw):
        return stages.stage_on(due, due - dt.timedelta(days=days_left), lead, **kw)

    assert [on(d) for d in (200, 91, 90, 61, 60, 31, 30, 8, 7, 1, 0, -1, -2, -3, -30)] == [
        "coming", "coming", "lead_90", "lead_90", "lead_60", "lead_60", "lead_30", "lead_30", "week", "week",
        "week", "overdue", "overdue", "escalated", "escalated"]
    assert on(-30, escalates=False) == "overdue"  # no escalation role: it stays overdue
    assert on(-1, escalate_after_days=1) == "escalated"
    # A lead time under a week comes after "due this week"; the week is always there.
    assert [on(d, lead=(14, 3)) for d in (20, 14, 7, 3)] == ["coming", "lead_14", "week", "lead_3"]
    assert stages.stage_order((14, 3)) == ["coming", "lead_14", "week", "lead_3", "overdue", "escalated"]
    assert stages.announce_on(due, (30, 90)) == due - dt.timedelta(days=90)
    assert [stages.group_of(due, due - dt.timedelta(days=d)) for d in (-1, 0, 7, 8)] == [
        "overdue", "week", "week", "coming"]
    assert [stages.stage_label(s) for s in ("lead_60", "week", "escalated")] == [
        "Due within 60 days", "Due this week", "Overdue, escalated"]


def test_a_kind_with_impossible_defaults_is_refused_when_declared():
    for bad in ({"lead_days": (0,)}, {"lead_days": (30, 30)}, {"lead_days": "90"}, {"evidence": "photo"},
                {"escalate_after_days": 0}):
        with pytest.raises(ValueError, match="dutytest.bad"):
            DeadlineKind("dutytest.bad", "Bad", **bad)


# --- Upsert ------------------------------------------------------------------------------------------

def test_upsert_is_idempotent_and_records_every_change(duty_app):
    with app_thread_context(duty_app):
        first = licence(concerns=("staff", 4, "core.staff_list"))
        again = licence(concerns=("staff", 4, "core.staff_list"))
        assert again.id == first.id and Deadline.select().count() == 1
        assert [h.action for h in DeadlineHistory.select()] == ["created"]
        assert AuditEvent.select().where(AuditEvent.action.startswith("deadline.")).count() == 1
        assert (first.lead_tuple, first.escalation_role, first.evidence) == ((90, 60, 30, 7), "office_manager", "note")

        later = practice_today() + dt.timedelta(days=60)
        moved = licence(due=later, concerns=("staff", 4, "core.staff_list"))
        assert moved.due == later and moved.announce_on == later - dt.timedelta(days=90)
        change = DeadlineHistory.select().where(DeadlineHistory.action == "changed").get()
        assert json.loads(change.detail) == {"due": [first.due.isoformat(), later.isoformat()]}
        update = AuditEvent.select().where(AuditEvent.action == "deadline.update").get()
        assert json.loads(update.detail)["changed"] == ["due"] and update.object_id == str(first.id)

        # Done stays done when the plugin recomputes the same obligation; a new due date is a new cycle.
        complete(first.id, note="Renewed online, licence 12345", by="alice")
        assert licence(due=later, concerns=("staff", 4, "core.staff_list")).state == "done"
        renewed = licence(due=later + dt.timedelta(days=730), concerns=("staff", 4, "core.staff_list"))
        assert (renewed.state, renewed.close_note) == ("open", "")
        assert [h.action for h in DeadlineHistory.select().order_by(DeadlineHistory.id)] == [
            "created", "changed", "done", "changed", "reopened"]

        supersede("dutytest", "licence:1", reason="Dr. Smith left the practice")
        assert Deadline.get().state == "superseded"
        assert licence(due=renewed.due, concerns=("staff", 4, "core.staff_list")).state == "open"


def test_an_upsert_that_loses_the_race_to_insert_updates_the_winner(duty_app, monkeypatch):
    with app_thread_context(duty_app):
        first = licence()
        # As if another process inserted the same key between this upsert's read and its insert.
        monkeypatch.setattr(Deadline, "get_or_none", classmethod(lambda cls, *a: None))
        second = licence(title="Renew Dr. Smith's licence (Ohio)")
        assert second.id == first.id and Deadline.select().count() == 1
        assert Deadline.get_by_id(first.id).title == "Renew Dr. Smith's licence (Ohio)"
        assert [h.action for h in DeadlineHistory.select().order_by(DeadlineHistory.id)] == ["created", "changed"]


def test_upsert_refuses_wrong_values_and_writes_nothing(duty_app):
    with app_thread_context(duty_app):
        user_id = person(duty_app, "carol", ["front_desk"])
        bad = [
            ({"kind": "dutytest.nope"}, "no installed module declares"),
            ({"assignee_role": ""}, "one person"),
            ({"assignee_user": user_id}, "one person"),  # and the role: both
            ({"assignee_role": "astronaut"}, "no role 'astronaut'"),
            ({"escalation_role": "astronaut"}, "no role 'astronaut'"),
            ({"due": dt.datetime(2027, 1, 1, 9, 0)}, "not a time"),
            ({"due": dt.date(1800, 1, 1)}, "Use a date from"),
            ({"title": "   "}, "title"),
            ({"lead_days": (0, 5)}, "lead time"),
            ({"evidence": "photo"}, "evidence"),
            ({"concerns": ("staff", 4, "core.no_such_page")}, "no page"),
        ]
        for values, message in bad:
            with pytest.raises(DeadlineError, match=message):
                licence(**values)
        with pytest.raises(DeadlineError, match="no module"):
            upsert("ghost", "x", title="T", due=dt.date(2027, 1, 1), assignee_role="admin")
        assert Deadline.select().count() == 0 and DeadlineHistory.select().count() == 0


# --- Reminders and escalation ----------------------------------------------------------------------

def outbox(app):
    with app_thread_context(app):
        return sorted((m.to_address, m.subject) for m in OutboxMessage.select())


def test_each_stage_is_sent_once_and_escalates_after_the_due_date(duty_app):
    bob = person(duty_app, "bob", ["front_desk"])
    person(duty_app, "alice", ["office_manager"])
    person(duty_app, "nomail", ["office_manager"], email="")
    due = dt.date(2027, 3, 1)
    with app_thread_context(duty_app):
        deadline = upsert("dutytest", "review:1", title="Review the privacy policy", due=due, kind="dutytest.review",
                          assignee_user=bob)

        def run(days_from_due):
            return notices.run(today=due + dt.timedelta(days=days_from_due))

        assert run(-40)["notices"] == 0 and Deadline.get().stage == "coming"
        assert run(-30) == {"checked": 1, "changed": 1, "notices": 1, "messages": 1}
        assert run(-29) == {"checked": 1, "changed": 0, "notices": 0, "messages": 0}  # the same stage: once
        assert run(-7)["notices"] == 1 and run(-1)["notices"] == 0
        assert run(1)["notices"] == 1 and Deadline.get().stage == "overdue"
        assert run(2)["messages"] == 2 and Deadline.get().stage == "escalated"  # bob, alice; nomail has no address
        assert run(3)["notices"] == 0
        assert [n.stage for n in DeadlineNotice.select().order_by(DeadlineNotice.id)] == [
            "lead_30", "week", "overdue", "escalated"]
        escalated = json.loads(DeadlineNotice.get(DeadlineNotice.stage == "escalated").recipients)
        outcomes = {r["username"]: r["outcome"] for r in escalated}
        assert outcomes["bob"].startswith("queued") and outcomes["alice"].startswith("queued")
        assert outcomes["nomail"].startswith("not sent: This recipient has no usable")
        assert [h.action for h in DeadlineHistory.select().where(DeadlineHistory.deadline == deadline)
                .order_by(DeadlineHistory.id)].count("notified") == 4
    sent = outbox(duty_app)
    assert [s for s in sent if s[0] == "bob@office.example"] == sorted([
        ("bob@office.example", "Due within 30 days: Review the privacy policy (due 2027-03-01)"),
        ("bob@office.example", "Due this week: Review the privacy policy (due 2027-03-01)"),
        ("bob@office.example", "Overdue: Review the privacy policy (due 2027-03-01)"),
        ("bob@office.example", "Overdue, escalated: Review the privacy policy (due 2027-03-01)")])
    assert [s for s in sent if s[0] == "alice@office.example"] == [
        ("alice@office.example", "Overdue, escalated: Review the privacy policy (due 2027-03-01)")]


def test_a_new_due_date_starts_the_reminders_again_and_skipped_stages_are_not_sent(duty_app):
    bob = person(duty_app, "bob", ["front_desk"])
    due = dt.date(2027, 3, 1)
    with app_thread_context(duty_app):
        upsert("dutytest", "review:1", title="Review", due=due, kind="dutytest.review", assignee_user=bob)
        assert notices.run(today=due - dt.timedelta(days=3))["notices"] == 1  # straight to the week
        upsert("dutytest", "review:1", title="Review", due=due + dt.timedelta(days=365), kind="dutytest.review",
               assignee_user=bob)
        assert notices.run(today=due + dt.timedelta(days=340))["notices"] == 1
        assert [(n.due, n.stage) for n in DeadlineNotice.select().order_by(DeadlineNotice.id)] == [
            (due, "week"), (due + dt.timedelta(days=365), "lead_30")]
        # Closed deadlines are not reminded of.
        complete(Deadline.get().id)
        assert notices.run(today=due + dt.timedelta(days=400))["checked"] == 0


# --- Done with evidence, waived with a reason -------------------------------------------------------

def test_marking_done_asks_for_the_evidence_the_kind_requires(duty_app):
    person(duty_app, "alice", ["office_manager"])
    person(duty_app, "frank", ["front_desk"])
    with app_thread_context(duty_app):
        noted = licence().id
        scan = licence(key="scan:1", kind="dutytest.scan", title="File the signed BAA").id
        with pytest.raises(DeadlineError, match="needs a note"):
            complete(noted, note="   ")
        with pytest.raises(DeadlineError, match="Attach the evidence file"):
            complete(scan, note="In the binder")
    alice = client_for(duty_app, "alice")
    page = alice.get(f"/deadlines/{noted}")
    assert page.status_code == 200 and "Evidence note" in page.get_data(as_text=True)
    refused = alice.post(f"/deadlines/{noted}/done", data={"note": ""})
    assert refused.status_code == 422 and "needs a note as evidence" in refused.get_data(as_text=True)
    # Someone neither assigned nor a manager may not close it.
    assert client_for(duty_app, "frank").post(f"/deadlines/{noted}/done", data={"note": "x"}).status_code == 404
    done = alice.post(f"/deadlines/{noted}/done", data={"note": "Renewed, licence 12345"})
    assert done.status_code == 302
    with app_thread_context(duty_app):
        row = Deadline.get_by_id(noted)
        assert (row.state, row.close_note, row.closed_by) == ("done", "Renewed, licence 12345", "alice")
        entry = AuditEvent.get(AuditEvent.action == "deadline.done")
        assert "12345" not in entry.detail and json.loads(entry.detail)["evidence"] == "note"
        assert Deadline.get_by_id(scan).state == "open"
    again = alice.post(f"/deadlines/{noted}/done", data={"note": "twice"})
    assert again.status_code == 422 and "already done: nothing was changed" in again.get_data(as_text=True)


def test_waiving_needs_a_reason_and_a_manager(duty_app):
    person(duty_app, "alice", ["office_manager"])
    person(duty_app, "frank", ["front_desk"])
    with app_thread_context(duty_app):
        deadline_id = licence(assignee_role="front_desk").id
    frank = client_for(duty_app, "frank")
    assert frank.post(f"/deadlines/{deadline_id}/waive", data={"reason": "no"}).status_code == 403
    alice = client_for(duty_app, "alice")
    blank = alice.post(f"/deadlines/{deadline_id}/waive", data={"reason": "  "})
    assert blank.status_code == 422 and "Give the reason" in blank.get_data(as_text=True)
    with app_thread_context(duty_app):
        assert Deadline.get_by_id(deadline_id).state == "open"
        with pytest.raises(DeadlineError, match="Give the reason"):
            waive(deadline_id, "")
    assert alice.post(f"/deadlines/{deadline_id}/waive", data={"reason": "Licence no longer needed"}).status_code == 302
    with app_thread_context(duty_app):
        row = Deadline.get_by_id(deadline_id)
        assert (row.state, row.close_note) == ("waived", "Licence no longer needed")
        assert DeadlineHistory.select().where(DeadlineHistory.action == "waived").count() == 1
    shown = alice.get(f"/deadlines/{deadline_id}").get_data(as_text=True)
    assert "Licence no longer needed" in shown and "Mark done" not in shown


# --- Calendar, list, iCalendar ------------------------------------------------------------------------

def test_icalendar_file_parses_back_with_the_filtered_deadlines(duty_app):
    person(duty_app, "alice", ["office_manager"])
    with app_thread_context(duty_app):
        day = practice_today()
        first = licence(due=day + dt.timedelta(days=10))
        second = licence(key="licence:2", title="Renew the DEA registration", due=day + dt.timedelta(days=20))
        upsert("dutytest", "review:1", title="Review the privacy policy", due=day + dt.timedelta(days=5),
               kind="dutytest.review", assignee_role="office_manager")
    alice = client_for(duty_app, "alice")
    response = alice.get("/deadlines/deadlines.ics?kind=dutytest.licence")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="deadlines.ics"'
    calendar = icalendar.Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Renew Dr. Smith's state licence", "Renew the DEA registration"}
    licence_event = events["Renew Dr. Smith's state licence"]
    assert licence_event.decoded("dtstart") == first.due
    assert licence_event.decoded("dtend") == first.due + dt.timedelta(days=1)
    assert str(licence_event["uid"]) == f"deadline-{first.id}@localhost"
    assert str(licence_event["url"]).endswith(f"/deadlines/{first.id}")
    assert str(events["Renew the DEA registration"]["status"]) == "CONFIRMED"
    assert events["Renew the DEA registration"].decoded("dtstart") == second.due
    with app_thread_context(duty_app):
        export = AuditEvent.get(AuditEvent.action == "deadlines.export_ics")
        assert json.loads(export.detail) == {"count": 2, "kind": "dutytest.licence"}


def test_calendar_and_list_render_with_filters(duty_app):
    alice_id = person(duty_app, "alice", ["office_manager"])
    with app_thread_context(duty_app):
        due = dt.date(2027, 2, 10)
        licence(due=due)
        upsert("dutytest", "review:1", title="Review the privacy policy", due=dt.date(2027, 2, 22),
               kind="dutytest.review", assignee_role="front_desk")
        done = upsert("dutytest", "review:2", title="Review the security policy", due=dt.date(2027, 2, 3),
                      kind="dutytest.review", assignee_role="office_manager")
        complete(done.id)
    alice = client_for(duty_app, "alice")

    def cell(html, day):
        found = re.search(rf'data-date="{day}">(.*?)</td>', html, re.S)
        return found.group(1) if found else ""

    page = alice.get("/deadlines?month=2027-02").get_data(as_text=True)
    assert "February 2027" in page
    assert f'<option value="user:{alice_id}">Alice</option>' in page
    assert '<option value="role:office_manager">Role: Office manager</option>' in page
    assert "Renew Dr. Smith&#39;s state licence" in cell(page, "2027-02-10")
    assert "Review the privacy policy" in cell(page, "2027-02-22")
    assert re.fullmatch(r'\s*<span class="day-number">22</span>\s*<ul>\s*<li class="deadline-entry stage-[a-z0-9_]+">'
                        r'<a href="/deadlines/\d+" title="(Coming|Due [a-z0-9 ]+|Overdue[a-z, ]*)">Review the privacy '
                        r'policy</a></li>\s*</ul>\s*', cell(page, "2027-02-22"))
    assert "Review the security policy" not in page  # open ones by default
    by_kind = alice.get("/deadlines?month=2027-02&kind=dutytest.review").get_data(as_text=True)
    assert "Review the privacy policy" in by_kind and "state licence" not in by_kind
    by_role = alice.get("/deadlines?month=2027-02&assignee=role:office_manager&state=all").get_data(as_text=True)
    assert "state licence" in by_role and "security policy" in by_role and "privacy policy" not in by_role
    done_only = alice.get("/deadlines?month=2027-02&state=done").get_data(as_text=True)
    assert "security policy" in cell(done_only, "2027-02-03") and "privacy policy" not in done_only
    assert "Renew" not in alice.get("/deadlines?month=2027-02&owner=core").get_data(as_text=True)
    listed = alice.get("/deadlines/list?kind=dutytest.review&state=all").get_data(as_text=True)
    assert "2 deadlines" in listed and "Review the security policy" in listed and "Done" in listed
    for bad in ("month=2027-13", "month=02-2027", "state=lost", "assignee=everyone", "when=someday"):
        assert alice.get(f"/deadlines?{bad}").status_code == 400, bad


def test_staff_see_their_own_deadlines_and_the_kinds_they_may_read(duty_app):
    person(duty_app, "frank", ["front_desk"])
    with app_thread_context(duty_app):
        hidden = licence(title="Renew the DEA registration").id  # licences: managers only
        own = licence(key="licence:2", title="Renew Frank's CPR card", assignee_role="front_desk").id
        review = upsert("dutytest", "review:1", title="Review the privacy policy", due=practice_today(),
                        kind="dutytest.review", assignee_role="office_manager").id
    frank = client_for(duty_app, "frank")
    listed = frank.get("/deadlines/list").get_data(as_text=True)
    assert "CPR card" in listed and "privacy policy" in listed and "DEA" not in listed
    assert frank.get(f"/deadlines/{hidden}").status_code == 404
    assert frank.get(f"/deadlines/{own}").status_code == 200
    assert frank.post(f"/deadlines/{review}/done", data={"note": ""}).status_code == 403  # not theirs
    assert frank.post(f"/deadlines/{own}/done", data={"note": "Renewed Tuesday"}).status_code == 302
    assert frank.get("/deadlines").status_code == 200


# --- Today --------------------------------------------------------------------------------------------

def today_counts(client) -> dict[str, int]:
    html = client.get("/today").get_data(as_text=True)
    return {title: int(count.replace(",", "")) for count, title in re.findall(
        r'<span class="count">([\d,]+)</span>\s*<span class="title">([^<]*deadlines[^<]*)</span>', html,
        re.IGNORECASE)}


def test_today_groups_overdue_due_this_week_and_coming_for_the_user(duty_app):
    bob = person(duty_app, "bob", ["front_desk"])
    other = person(duty_app, "olga", ["front_desk"])
    person(duty_app, "alice", ["office_manager"])
    with app_thread_context(duty_app):
        day = practice_today()

        def add(key, days, **values):
            values.setdefault("assignee_user", bob)
            return upsert("dutytest", key, title=key, due=day + dt.timedelta(days=days), kind="dutytest.review",
                          **values)

        add("late", -4)
        add("soon", 3)
        add("role-soon", 7, assignee_user=None, assignee_role="front_desk")
        add("coming", 20)  # within the 30-day lead time
        add("far", 45)  # not announced yet
        add("olgas", -1, assignee_user=other)
        add("done", -10)
        complete(Deadline.get(Deadline.key == "done").id)
        notices.run(today=day)  # "late" is 4 days overdue: escalated to the office manager
    assert today_counts(client_for(duty_app, "bob")) == {
        "Overdue deadlines": 1, "Deadlines due this week": 2, "Deadlines coming": 1}
    assert today_counts(client_for(duty_app, "alice")) == {"Overdue deadlines escalated to you": 1}
    bob_client = client_for(duty_app, "bob")
    overdue = bob_client.get("/deadlines/list?when=overdue&assignee=me").get_data(as_text=True)
    assert "late" in overdue and "olgas" not in overdue and "soon" not in overdue
    escalated = client_for(duty_app, "alice").get("/deadlines/list?when=escalated").get_data(as_text=True)
    assert ">late<" in escalated and "1 deadline" in escalated


# --- Command line, and the example plugin ---------------------------------------------------------------

def test_deadlines_list_on_the_command_line(duty_app, monkeypatch):
    with app_thread_context(duty_app):
        day = practice_today()
        licence(key="licence:soon", title="Soon", due=day + dt.timedelta(days=10))
        licence(key="licence:late", title="Late", due=day - dt.timedelta(days=2))
        licence(key="licence:far", title="Far", due=day + dt.timedelta(days=90))
    monkeypatch.setattr("medoffice.cli.context.build_app", lambda ctx, **overrides: duty_app)
    result = CliRunner().invoke(cli, ["deadlines", "list", "--due-within", "30", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["title"], r["days_left"], r["stage"]) for r in rows] == [
        ("Late", -2, "overdue"), ("Soon", 10, "lead_30")]
    assert rows[1]["assignee_role"] == "office_manager" and rows[1]["owner"] == "dutytest"
    assert rows[1]["kind"] == "dutytest.licence" and rows[1]["due"] == (day + dt.timedelta(days=10)).isoformat()
    text = CliRunner().invoke(cli, ["deadlines", "list"])
    assert text.exit_code == 0 and "Far" in text.output and "Licence renewal" in text.output
    if not db.is_closed():
        db.close()


def test_the_example_plugin_keeps_its_monthly_tidy_up_on_the_calendar(make_app):
    app = make_app(plugins=["hello"])
    host = app.extensions["medoffice"].host
    (job,) = [j for j in host.call("medoffice_jobs") if j.id == "hello.count"]
    with app_thread_context(app):
        job.func()
        job.func()
        (row,) = Deadline.select()
        assert (row.owner, row.kind, row.assignee_role, row.evidence) == ("hello", "hello.tidy_up", "office_manager",
                                                                           "note")
        assert row.key == f"tidy-up:{practice_today():%Y-%m}" and DeadlineHistory.select().count() == 1


def test_file_evidence_is_attached_on_the_deadline_page_then_it_can_be_done(duty_app):
    person(duty_app, "alice", ["office_manager"])
    with app_thread_context(duty_app):
        scan = licence(key="scan:2", kind="dutytest.scan", title="File the signed BAA").id
    alice = client_for(duty_app, "alice")
    page = alice.get(f"/deadlines/{scan}").get_data(as_text=True)
    assert "Evidence files" in page and "Attach the evidence file below first" in page
    refused = alice.post(f"/deadlines/{scan}/done", data={"note": ""})
    assert refused.status_code == 422 and "Attach the evidence file" in refused.get_data(as_text=True)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    uploaded = alice.post(f"/files/core/deadline/{scan}/core.deadline_evidence",
                          data={"file": (io.BytesIO(pdf), "signed-baa.pdf")}, content_type="multipart/form-data")
    assert uploaded.status_code in (200, 201, 302), uploaded.get_data(as_text=True)[:500]
    assert alice.post(f"/deadlines/{scan}/done", data={"note": ""}).status_code == 302
    with app_thread_context(duty_app):
        assert Deadline.get_by_id(scan).state == "done"


def test_the_calendar_is_kept_per_user_until_a_deadline_or_access_changes(duty_app):
    """A month is kept per user (core.deadlines, access): an unchanged view reads no deadline, a change written by
    plain SQL shows on the next view, and another user sees only what they may."""
    from medoffice.testing import page_queries

    person(duty_app, "alice", ["office_manager"])
    person(duty_app, "frank", ["front_desk"])
    with app_thread_context(duty_app):
        renewal = licence(due=dt.date(2027, 2, 10))  # licences: managers only
    alice, frank = client_for(duty_app, "alice"), client_for(duty_app, "frank")
    url = "/deadlines?month=2027-02"
    assert "state licence" in alice.get(url).get_data(as_text=True)
    assert "state licence" not in frank.get(url).get_data(as_text=True)
    assert not [sql for sql in page_queries(alice, url) if "core_deadline" in sql]
    with app_thread_context(duty_app):
        db.execute_sql(f"UPDATE core_deadline SET title = {db.param} WHERE id = {db.param}",
                       ("Renew the clinic's CLIA certificate", renewal.id))
    assert "CLIA certificate" in alice.get(url).get_data(as_text=True)
    assert "CLIA certificate" not in frank.get(url).get_data(as_text=True)
