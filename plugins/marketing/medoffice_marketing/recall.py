"""Recall and reactivation: who is due (from visits, in SQL), the lists kept for follow-up, outreach
through core's message gate (consent, quiet hours, the patient's preferred contact), outcomes and
each list's conversion."""
from __future__ import annotations

import datetime as dt
from collections import namedtuple
from functools import cache, lru_cache

import peewee as pw
from dateutil.relativedelta import relativedelta
from medoffice import audit, messages, prepared
from medoffice.bulk import insert_rows
from medoffice.data_versions import kept
from medoffice.db import is_sqlite, transaction, utcnow
from medoffice.messages import MessageTemplate, TemplateField
from medoffice.models import Patient
from medoffice.prepared import slot

from .lastvisits import ANY_TYPE, keep_last_visit
from .listfigures import OUTCOMES, count_change, figures, recount_lists
from .models import LAST_VISITS, RECALL, LastVisit, RecallEntry, RecallList, RecallRule, Visit

KINDS = {"recall": "Recall (due again after a visit)", "reactivation": "Reactivation (no visit for a while)"}
SEND_CHANNELS = {"preferred": "Each patient's preferred contact", "email": "E-mail", "letter": "Letter"}
DUE_AHEAD_DAYS = 30          # a recall list includes those due within the next month
RECALL_LOOKBACK_MONTHS = 12  # and those overdue up to a year; older ones are reactivation's
DENSE_LIST = 1000            # kept last visits in a rule's window from which a page walks the patients first

RECALL_TEMPLATE = MessageTemplate(
    "marketing.recall", "Recall reminder", "appointments_recalls",
    subject="Time to book your {{ visit_label }} with {{ practice_name }}",
    body="Dear {{ first_name }},\n\nOur records show you are due for your **{{ visit_label }}** around "
         "{{ due_on }}. Call us at {{ practice_phone }} to book a time that suits you.\n\n{{ practice_name }}\n",
    fields=(TemplateField("visit_label", "What is due, in plain words", example="yearly check-up"),
            TemplateField("due_on", "When it is due", example="March 2027")),
    description="Sent from a recall list: a visit of the kind the rule follows is due again.")

REACTIVATION_TEMPLATE = MessageTemplate(
    "marketing.reactivation", "We would like to see you again", "marketing",
    subject="We would like to see you again at {{ practice_name }}",
    body="Dear {{ first_name }},\n\nIt has been a while since your last visit. We are here when you need us: "
         "call {{ practice_phone }} to book.\n\n{{ practice_name }}\n",
    description="Sent from a reactivation list to patients who have not visited for a while (marketing consent).")


class RecallError(ValueError):
    """A recall value was refused."""


def _cutoffs(rule: RecallRule, as_of: dt.date) -> tuple[dt.date | None, dt.date]:
    """The (oldest, newest) last-visit dates a rule puts on a list as of a day."""
    due_point = as_of - relativedelta(months=rule.interval_months)
    if rule.kind == "reactivation":
        return None, due_point - dt.timedelta(days=1)
    return due_point - relativedelta(months=RECALL_LOOKBACK_MONTHS), due_point + dt.timedelta(days=DUE_AHEAD_DAYS)


DueRow = namedtuple("DueRow", "id first_name last_name account_number preferred_contact last_visit_on")


class _DueRows(pw.CursorWrapper):
    """A due list's rows as ``DueRow``, fetched at once: a list runs to thousands of rows, and peewee's
    row-by-row fetch and model rows cost several times the query itself."""

    def __iter__(self):
        self.fill_cache()
        return iter(self.row_cache)

    def fill_cache(self, n=0):
        """Fetch every row (the cursor's values need no conversion: ids, text and the last visit)."""
        if not self.populated:
            self.row_cache = list(map(DueRow._make, self.cursor.fetchall()))
            self.count, self.populated = len(self.row_cache), True
            self.cursor.close()


class _DueSelect(pw.ModelSelect):
    """A due query: plain ``DueRow`` rows unless ``.tuples()``/``.dicts()`` asks otherwise."""

    def _get_cursor_wrapper(self, cursor):
        if self._row_type is None:
            return _DueRows(cursor)
        return super()._get_cursor_wrapper(cursor)


def _followed(rule: RecallRule) -> str:
    """The kept last visit a rule reads: of its visit type, or of any type."""
    return rule.visit_type if rule.kind == "recall" and rule.visit_type else ANY_TYPE


def _in_window(oldest, newest, last=LastVisit.last_visit_on):
    return last <= newest if oldest is None else last.between(oldest, newest)


def _due(kept, visit_type, oldest, newest):
    """The condition on a kept last visit (``LastVisit`` or an alias) joined to its patient (values or slots):
    of the type, in the window, the patient's latest of the type, of an active unmerged patient."""
    last = kept.last_visit_on
    later = LastVisit.alias("later")
    superseded = later.select(pw.SQL("1")).where(
        (later.patient == kept.patient) & (later.visit_type == kept.visit_type)
        & ((later.last_visit_on > last) | ((later.last_visit_on == last) & (later.id > kept.id))))
    return ((kept.visit_type == visit_type) & _in_window(oldest, newest, last) & ~pw.fn.EXISTS(superseded)
            & (Patient.active == True) & Patient.merged_into_id.is_null())  # noqa: E712


def _due_select(visit_type, oldest, newest, walk: bool = False):
    """The due query over the kept last visits (values or slots); ``walk``: SQLite walks the patients in
    order and looks up each one's last visit (CROSS JOIN fixes its join order)."""
    query = _DueSelect(Patient, (Patient.id, Patient.first_name, Patient.last_name, Patient.account_number,
                                 Patient.preferred_contact, LastVisit.last_visit_on.alias("last_visit_on")))
    if walk:
        query = query.join(LastVisit, pw.JOIN.CROSS).where(LastVisit.patient == Patient.id)
    else:
        query = query.join(LastVisit, on=(LastVisit.patient == Patient.id))
    return query.where(_due(LastVisit, visit_type, oldest, newest))


@cache
def _due_count_query(reactivation: bool):
    """What a due list counts: its kept rows marked counted (``lastvisits``) in the rule's window, read from
    their (type, mark, day) index alone. Following each due patient to their other rows and their patient
    record cost 1.4 ms for rule 1 on the large demo (walking the index in patient order up to the 1,001st)."""
    window = _in_window(None if reactivation else slot("oldest"), slot("newest"))
    return LastVisit.select(pw.SQL("1")).where(
        (LastVisit.visit_type == slot("visit_type")) & (LastVisit.counted == True) & window)  # noqa: E712


def due_query(rule: RecallRule, as_of: dt.date):
    """Patients due under ``rule`` as of a day: ``DueRow`` rows (patient id, name, account, preferred
    contact, last visit), one SQL statement over the kept last visits."""
    return _due_select(_followed(rule), *_cutoffs(rule, as_of))


@cache
def _window_query(reactivation: bool):
    window = _in_window(None if reactivation else slot("oldest"), slot("newest"))
    return LastVisit.select(pw.SQL("1")).where((LastVisit.visit_type == slot("visit_type")) & window)


@cache
def _due_page_query(reactivation: bool, walk: bool):
    return _due_select(slot("visit_type"), None if reactivation else slot("oldest"), slot("newest"), walk)


def due_page(rule: RecallRule, as_of: dt.date) -> tuple:
    """The due query for a page of the list sorted by patient, as (query, key, values, count query) for a
    prepared ``paginate``: when the rule's window holds at least ``DENSE_LIST`` kept last visits (counted from
    the index alone), SQLite walks the patients in order, which stops after a page, instead of sorting everyone
    due; either way the list is counted from the kept rows marked counted. Whether the window is that dense is
    kept per rule and day until a rule or a last visit changes."""
    oldest, newest = _cutoffs(rule, as_of)
    reactivation = oldest is None
    values = {"visit_type": _followed(rule), "oldest": oldest, "newest": newest}

    def dense() -> bool:
        return prepared.count_upto(_window_query(reactivation), ("marketing.recall_window", reactivation), DENSE_LIST,
                                   **values) >= DENSE_LIST

    walk = is_sqlite() and kept((RECALL.key, LAST_VISITS.key), ("dense window", rule.id, as_of), dense)
    return (_due_page_query(reactivation, walk), ("marketing.recall_due", reactivation, walk), values,
            _due_count_query(reactivation))


def as_date(value) -> dt.date:
    """A date from a query (SQLite answers a date column read without conversion with text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def due_on(rule: RecallRule, last_visit_on) -> dt.date:
    """When the next visit is due after the last one."""
    return _months_after(last_visit_on, rule.interval_months)


@lru_cache(maxsize=8192)
def _months_after(last_visit_on, months: int) -> dt.date:
    # Cached: a due list asks for the same few hundred days thousands of times, and relativedelta is slow.
    return as_date(last_visit_on) + relativedelta(months=months)


def save_rule(values: dict, rule: RecallRule | None = None) -> RecallRule:
    """Create or change a rule (audited)."""
    if values["kind"] not in KINDS:
        raise RecallError("Choose recall or reactivation.")
    if not 1 <= int(values["interval_months"]) <= 120:
        raise RecallError("The interval is 1 to 120 months.")
    fields = {"name": values["name"].strip(), "kind": values["kind"], "interval_months": int(values["interval_months"]),
              "visit_type": (values.get("visit_type") or "").strip() if values["kind"] == "recall" else "",
              "message_label": (values.get("message_label") or "").strip() or values["name"].strip(),
              "active": bool(values.get("active", True))}
    with transaction():
        if rule is None:
            rule = RecallRule.create(**fields)
            audit.record("marketing.recall_rule.create", "marketing_recall_rule", rule.id, detail=fields)
        else:
            RecallRule.update(**fields).where(RecallRule.id == rule.id).execute()
            audit.record("marketing.recall_rule.update", "marketing_recall_rule", rule.id, detail=fields)
            rule = RecallRule.get_by_id(rule.id)
    return rule


def create_list(rule: RecallRule, as_of: dt.date, by: str) -> RecallList:
    """Keep today's due patients as a list to work (audited with the patients it names)."""
    due = list(due_query(rule, as_of).tuples())
    with transaction():
        kept = RecallList.create(rule=rule, as_of=as_of, created_by=by)
        insert_rows(RecallEntry, [{"recall_list": kept.id, "patient": row[0], "last_visit_on": as_date(row[5]),
                                   "due_on": due_on(rule, row[5])} for row in due])
        recount_lists([kept.id])
        audit.record("marketing.recall_list.create", "marketing_recall_list", kept.id,
                     detail={"rule_id": rule.id, "patients": sorted(row[0] for row in due)})
    return kept


def _channel_for(choice: str, preferred: str) -> str | None:
    """The core channel to use, or None when the patient is to be phoned instead."""
    if choice == "email":
        return "core.email"
    if choice == "letter":
        return "core.letter"
    return {"email": "core.email", "mail": "core.letter"}.get(preferred)


def send(recall_list: RecallList, choice: str, by: str) -> dict[str, int]:
    """Queue the list's message to every entry not yet contacted (a refusal is tried again, say by letter
    after e-mail), through core's gate.

    A patient who asked not to be contacted is skipped; one who prefers the phone (with ``preferred``)
    is marked to call; a refusal (no consent, an opt-out, no address) is noted with its reason.
    Quiet hours hold what is queued until they end. Returns counts by what happened.
    """
    if choice not in SEND_CHANNELS:
        raise RecallError("Choose how to send.")
    rule = recall_list.rule
    template = RECALL_TEMPLATE.key if rule.kind == "recall" else REACTIVATION_TEMPLATE.key
    counts = {"queued": 0, "refused": 0, "call": 0, "do_not_contact": 0}
    entries = list(RecallEntry.select(RecallEntry, Patient.id, Patient.preferred_contact).join(Patient)
                   .where((RecallEntry.recall_list == recall_list) & RecallEntry.contact.in_(("", "refused"))))
    for entry in entries:
        preferred = entry.patient.preferred_contact
        if preferred == "none":
            counts["do_not_contact"] += 1
            _note(entry, "do_not_contact", "The patient asked not to be contacted.")
            continue
        channel = _channel_for(choice, preferred)
        if channel is None:
            counts["call"] += 1
            _note(entry, "call", f"Prefers {preferred}: call them.")
            continue
        fields = {"visit_label": rule.message_label, "due_on": entry.due_on.strftime("%B %Y")} \
            if rule.kind == "recall" else {}
        try:
            with transaction():
                message = messages.queue(messages.patient(entry.patient_id), template, fields, channel=channel, by=by)
                _note(entry, "email" if channel == "core.email" else "letter", message.note, message.id)
            counts["queued"] += 1
        except messages.Refused as refused:
            counts["refused"] += 1
            _note(entry, "refused", refused.reason)
    return counts


def _note(entry: RecallEntry, contact: str, note: str, message_id: int | None = None) -> None:
    with transaction():
        RecallEntry.update(contact=contact, contact_note=note[:300], message_id=message_id).where(
            RecallEntry.id == entry.id).execute()
        count_change(entry.recall_list_id, (entry.contact, entry.outcome, entry.came_back),
                     (contact, entry.outcome, entry.came_back))
        audit.record("marketing.recall_entry.contact", "marketing_recall_entry", entry.id,
                     patient_id=entry.patient_id, detail={"contact": contact})


def set_outcome(entry: RecallEntry, outcome: str, on: dt.date) -> None:
    """Record what came of contacting one patient (audited)."""
    if outcome not in OUTCOMES and outcome != "":
        raise RecallError("Choose an outcome from the list.")
    with transaction():
        RecallEntry.update(outcome=outcome, outcome_on=on if outcome else None).where(
            RecallEntry.id == entry.id).execute()
        count_change(entry.recall_list_id, (entry.contact, entry.outcome, entry.came_back),
                     (entry.contact, outcome, entry.came_back))
        audit.record("marketing.recall_entry.outcome", "marketing_recall_entry", entry.id,
                     patient_id=entry.patient_id, detail={"outcome": {"before": entry.outcome, "after": outcome}})


def conversion(list_ids: list[int]) -> dict[int, dict]:
    """Per list (one with patients on it): patients, contacted, each outcome, who came back (a visit since
    the list) and the conversion in basis points (booked or came back, over patients), as kept."""
    if not list_ids:
        return {}
    found = (figures(lst) for lst in RecallList.select().where(RecallList.id.in_(list_ids)))
    return {row["list_id"]: row for row in found if row is not None}


def add_visit(patient: Patient, visit_on: dt.date, visit_type: str) -> Visit:
    """A visit entered by hand (when billing does not post them), audited."""
    with transaction():
        visit = Visit.create(patient=patient, visit_on=visit_on, visit_type=visit_type.strip()[:60], source="manual",
                             created_at=utcnow())
        keep_last_visit(patient.id, visit_on, visit.visit_type)
        audit.record("marketing.visit.create", "marketing_visit", visit.id, patient_id=patient.id,
                     detail={"visit_on": visit_on.isoformat()})
    return visit
