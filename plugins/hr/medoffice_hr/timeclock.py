"""The time clock: clocking in and out and taking breaks from one's own login or the front-desk
kiosk (a personal PIN, locked after repeated wrong tries), and a supervisor's corrections, each
audited with its reason. Time in an approved timesheet cannot change until it is reopened; in a paid one,
never (a correcting pay run fixes the pay)."""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.db import transaction, utcnow
from medoffice.localtime import to_local
from werkzeug.security import check_password_hash, generate_password_hash

from . import timesheets
from .employees import HrError
from .models import Employment
from .time_models import KioskPin, TimeEntry

ACTIONS = (("in", "Clock in"), ("break", "Start a break"), ("back", "End the break"), ("out", "Clock out"))
PIN_TRIES = 5
PIN_LOCK = dt.timedelta(minutes=15)
LONGEST_ENTRY = dt.timedelta(hours=24)


def open_entry(employment: Employment) -> TimeEntry | None:
    """The work or break under way, if any."""
    return (TimeEntry.select().where((TimeEntry.employment == employment) & TimeEntry.ended_at.is_null())
            .order_by(TimeEntry.started_at.desc()).first())


def state(employment: Employment) -> str:
    """"out", "working" or "on_break"."""
    entry = open_entry(employment)
    if entry is None:
        return "out"
    return "working" if entry.kind == "work" else "on_break"


def _refuse_if_settled(employment: Employment, when: dt.datetime) -> None:
    status = timesheets.settled_status(employment, to_local(when).date())
    if status == "approved":
        raise HrError("That pay period's timesheet is approved: ask the supervisor to reopen it.")
    if status == "paid":
        raise HrError("That pay period was paid: its time no longer changes (HR corrects pay with a correcting run).")


def punch(employment: Employment, action: str, source: str, now: dt.datetime | None = None) -> TimeEntry | None:
    """Clock ``action`` (in, break, back, out) for the employee now; refused when it does not follow
    from where they stand (clocking in twice, a break while out)."""
    now = now or utcnow()
    if employment.status == "ended":
        raise HrError("This employment has ended.")
    current = open_entry(employment)
    expected = {"in": current is None, "break": current is not None and current.kind == "work",
                "back": current is not None and current.kind == "break", "out": current is not None}
    if action not in expected:
        raise HrError("Choose clock in, a break, back from a break, or clock out.")
    if not expected[action]:
        raise HrError({"in": "You are already clocked in.", "break": "You are not working now.",
                       "back": "You are not on a break.", "out": "You are not clocked in."}[action])
    _refuse_if_settled(employment, now)
    with transaction():
        if current is not None:
            current.ended_at = now
            current.save()
        entry = None
        if action in ("in", "back", "break"):
            entry = TimeEntry.create(employment=employment, kind="break" if action == "break" else "work",
                                     started_at=now, source=source)
        audit.record("hr.time.punch", "hr_time_entry", (entry or current).id,
                     detail={"staff_id": employment.staff_id, "action": action, "source": source})
    return entry


def set_pin(employment: Employment, pin: str) -> None:
    """Set the employee's kiosk PIN (4 to 8 digits), stored hashed; unlocks it."""
    if not (pin.isdecimal() and 4 <= len(pin) <= 8):
        raise HrError("A PIN is 4 to 8 digits.", "pin")
    with transaction():
        row = KioskPin.get_or_none(KioskPin.employment == employment) or KioskPin(employment=employment)
        row.pin_hash, row.failures, row.locked_until = generate_password_hash(pin), 0, None
        row.save()
        audit.record("hr.kiosk_pin.set", "hr_kiosk_pin", row.id, detail={"staff_id": employment.staff_id})


def check_pin(employment: Employment, pin: str, now: dt.datetime | None = None) -> bool:
    """Whether ``pin`` is the employee's; wrong tries count, and lock the PIN for a while at the limit."""
    now = now or utcnow()
    row = KioskPin.get_or_none(KioskPin.employment == employment)
    if row is None:
        raise HrError("This person has no kiosk PIN yet: set one under My time.", "pin")
    if row.locked_until is not None and row.locked_until > now:
        raise HrError("Too many wrong PINs: try again in a quarter of an hour.", "pin")
    with transaction():
        if check_password_hash(row.pin_hash, pin or ""):
            KioskPin.update(failures=0, locked_until=None).where(KioskPin.id == row.id).execute()
            return True
        failures = row.failures + 1
        locked = now + PIN_LOCK if failures >= PIN_TRIES else None
        KioskPin.update(failures=0 if locked else failures, locked_until=locked).where(KioskPin.id == row.id).execute()
        audit.record("hr.kiosk_pin.failed", "hr_kiosk_pin", row.id,
                     detail={"staff_id": employment.staff_id, "locked": locked is not None})
    return False


def _check_times(employment: Employment, started_at: dt.datetime, ended_at: dt.datetime, ignore: int | None) -> None:
    if ended_at <= started_at:
        raise HrError("The end is after the start.", "ended_at")
    if ended_at - started_at > LONGEST_ENTRY:
        raise HrError("One entry is at most 24 hours.", "ended_at")
    if ended_at > utcnow() + dt.timedelta(minutes=1):
        raise HrError("Time cannot be entered ahead.", "ended_at")
    overlapping = TimeEntry.select().where((TimeEntry.employment == employment) & (TimeEntry.started_at < ended_at)
                                           & ((TimeEntry.ended_at > started_at) | TimeEntry.ended_at.is_null()))
    if ignore is not None:
        overlapping = overlapping.where(TimeEntry.id != ignore)
    if overlapping.exists():
        raise HrError("That overlaps other time of this person.", "started_at")
    for moment in (started_at, ended_at):
        _refuse_if_settled(employment, moment)


def _stamp(entry: TimeEntry) -> dict:
    return {"started_at": entry.started_at.isoformat(),
            "ended_at": entry.ended_at.isoformat() if entry.ended_at else None, "kind": entry.kind}


def correct(entry: TimeEntry, started_at: dt.datetime, ended_at: dt.datetime, reason: str, by: str) -> None:
    """A supervisor's correction of an entry, audited with the before, the after and the reason."""
    if not reason.strip():
        raise HrError("Say why the time is corrected.", "reason")
    _check_times(entry.employment, started_at, ended_at, entry.id)
    _refuse_if_settled(entry.employment, entry.started_at)
    with transaction():
        before = _stamp(entry)
        entry.started_at, entry.ended_at = started_at, ended_at
        entry.edited_by, entry.edit_reason = by, reason.strip()[:200]
        entry.save()
        audit.record("hr.time.correct", "hr_time_entry", entry.id,
                     detail={"staff_id": entry.employment.staff_id, "reason": entry.edit_reason,
                             "changes": {"before": before, "after": _stamp(entry)}})


def add_missing(employment: Employment, kind: str, started_at: dt.datetime, ended_at: dt.datetime, reason: str,
                by: str) -> TimeEntry:
    """Enter time the employee did not clock (a forgotten punch), audited with the reason."""
    if kind not in ("work", "break"):
        raise HrError("Choose work or break.", "kind")
    if not reason.strip():
        raise HrError("Say why the time is entered by hand.", "reason")
    _check_times(employment, started_at, ended_at, None)
    with transaction():
        entry = TimeEntry.create(employment=employment, kind=kind, started_at=started_at, ended_at=ended_at,
                                 source="manual", edited_by=by, edit_reason=reason.strip()[:200])
        audit.record("hr.time.add", "hr_time_entry", entry.id,
                     detail={"staff_id": employment.staff_id, "reason": entry.edit_reason, "after": _stamp(entry)})
    return entry
