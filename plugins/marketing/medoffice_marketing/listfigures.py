"""Each recall list's figures (patients, contacted, refused, each outcome, came back, converted), kept on
its ``marketing_recall_list`` row so a page reads them instead of following every patient on the list.

A change to an entry's contact or outcome calls :func:`count_change`, every writer of visits (through
``lastvisits.keep_last_visit``) calls :func:`keep_came_back`, and :func:`recount_lists` counts lists afresh
from their entries and the visits: after entries are written in bulk, and each morning, since a patient
merge moves entries and visits from one patient to another without marketing taking part.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw
from medoffice.db import transaction

from .models import RecallEntry, RecallList, Visit

OUTCOMES = {"booked": "Booked", "declined": "Declined", "unreachable": "Unreachable", "moved": "Moved away"}
CONTACTED = ("email", "letter", "call")
FIGURES = ("patients", "contacted", "refused", *OUTCOMES, "came_back", "converted")


def _figures_of(contact: str, outcome: str, came_back: bool) -> dict[str, int]:
    """What one entry in this state adds to its list's figures."""
    return {"patients": 1, "contacted": int(contact in CONTACTED), "refused": int(contact == "refused"),
            **{o: int(outcome == o) for o in OUTCOMES}, "came_back": int(bool(came_back)),
            "converted": int(outcome == "booked" or bool(came_back))}


def count_change(list_id: int, before: tuple, after: tuple) -> None:
    """Move one entry's part of its list's figures from its state ``before`` to ``after``, each
    (contact, outcome, came back); inside the writer's transaction."""
    old, new = _figures_of(*before), _figures_of(*after)
    changes = {getattr(RecallList, k): getattr(RecallList, k) + (new[k] - old[k]) for k in FIGURES if new[k] != old[k]}
    if changes:
        RecallList.update(changes).where(RecallList.id == list_id).execute()


def keep_came_back(patient_id: int, visit_on: dt.date) -> None:
    """Count a new visit: the patient came back on every list kept on or before its day."""
    waiting = (RecallEntry.select(RecallEntry.id, RecallEntry.recall_list, RecallEntry.contact, RecallEntry.outcome)
               .join(RecallList).where((RecallEntry.patient == patient_id) & (RecallEntry.came_back == False)  # noqa: E712
                                       & (RecallList.as_of <= visit_on)).tuples())
    for entry_id, list_id, contact, outcome in list(waiting):
        RecallEntry.update(came_back=True).where(RecallEntry.id == entry_id).execute()
        count_change(list_id, (contact, outcome, False), (contact, outcome, True))


def figures(recall_list: RecallList) -> dict | None:
    """A list's kept figures with its conversion in basis points (booked or came back, over patients);
    None for a list nobody is on."""
    if not recall_list.patients:
        return None
    row = {"list_id": recall_list.id, **{k: getattr(recall_list, k) for k in FIGURES}}
    row["conversion_bp"] = row["converted"] * 10000 // row["patients"]
    return row


def recount_lists(list_ids: list[int] | None = None) -> int:
    """Count these lists' figures afresh (every list's when None), whether each patient came back
    included; the number of lists counted."""
    def only(query, column):
        return query if list_ids is None else query.where(column.in_(list_ids))

    def count(condition):
        return pw.fn.SUM(pw.Case(None, [(condition, 1)], 0))

    as_of = RecallList.select(RecallList.as_of).where(RecallList.id == RecallEntry.recall_list)
    came_back = pw.fn.EXISTS(Visit.select(pw.SQL("1")).where(
        (Visit.patient == RecallEntry.patient) & (Visit.visit_on >= as_of)))
    entries = RecallEntry.select(
        RecallEntry.recall_list.alias("list_id"), pw.fn.COUNT(RecallEntry.id).alias("patients"),
        count(RecallEntry.contact.in_(CONTACTED)).alias("contacted"),
        count(RecallEntry.contact == "refused").alias("refused"),
        *[count(RecallEntry.outcome == o).alias(o) for o in OUTCOMES],
        count(RecallEntry.came_back == True).alias("came_back"),  # noqa: E712
        count((RecallEntry.outcome == "booked") | (RecallEntry.came_back == True)).alias("converted"))  # noqa: E712
    with transaction():
        only(RecallEntry.update(came_back=came_back), RecallEntry.recall_list).execute()
        counted = {row["list_id"]: row for row in
                   only(entries, RecallEntry.recall_list).group_by(RecallEntry.recall_list).dicts()}
        lists = [row[0] for row in only(RecallList.select(RecallList.id), RecallList.id).tuples()]
        for list_id in lists:
            row = counted.get(list_id, {})
            RecallList.update({getattr(RecallList, k): int(row.get(k) or 0) for k in FIGURES}).where(
                RecallList.id == list_id).execute()
    return len(lists)
