"""Each patient's last visit of each type, kept in ``marketing_last_visit`` for the recall lists.

Every writer of visits calls :func:`keep_last_visit` (or :func:`refresh_last_visits` after a bulk
insert), so the kept rows always say what grouping the visits would; the same calls keep who came back
on each recall list (``listfigures``) and which rows a due list counts (``counted``). A patient merge moves
the duplicate's rows to the survivor without marketing taking part: ``merges`` marks the pair's rows afresh
when core's ``core.patient_merged`` event arrives, and the morning job marks every row again.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from medoffice.db import db
from medoffice.models import Patient

from .listfigures import keep_came_back, recount_lists
from .models import LastVisit

ANY_TYPE = ""  # the kept row for a visit of any type (a rule with no visit type)

REFRESH_SQL = """
INSERT INTO marketing_last_visit (patient_id, visit_type, last_visit_on, counted)
SELECT patient_id, visit_type, MAX(visit_on), FALSE FROM marketing_visit WHERE visit_type <> '' GROUP BY patient_id, visit_type
UNION ALL
SELECT patient_id, '', MAX(visit_on), FALSE FROM marketing_visit GROUP BY patient_id"""


def _counts():
    """Whether a kept row is one a due list counts: its patient's latest of the type (then the highest id),
    of an active unmerged patient (``recall``'s due condition, without the window)."""
    later = LastVisit.alias("later")
    superseded = later.select(pw.SQL("1")).where(
        (later.patient == LastVisit.patient) & (later.visit_type == LastVisit.visit_type)
        & ((later.last_visit_on > LastVisit.last_visit_on)
           | ((later.last_visit_on == LastVisit.last_visit_on) & (later.id > LastVisit.id))))
    active = Patient.select(pw.SQL("1")).where(
        (Patient.id == LastVisit.patient) & (Patient.active == True) & Patient.merged_into_id.is_null())  # noqa: E712
    return ~pw.fn.EXISTS(superseded) & pw.fn.EXISTS(active)


def count_last_visits(condition=None) -> None:
    """Mark afresh which kept rows (those matching ``condition``; all when None) a due list counts."""
    update = LastVisit.update(counted=_counts())
    (update if condition is None else update.where(condition)).execute()


def keep_last_visit(patient_id: int, visit_on: dt.date, visit_type: str) -> None:
    """Count a new visit in the patient's kept last visits (of its type and of any type) and on the recall
    lists they came back to."""
    keep_came_back(patient_id, visit_on)
    kept_types = {visit_type, ANY_TYPE}
    for kept_type in kept_types:
        mine = (LastVisit.patient == patient_id) & (LastVisit.visit_type == kept_type)
        LastVisit.update(last_visit_on=visit_on).where(mine & (LastVisit.last_visit_on < visit_on)).execute()
        # Inserted only where no row is kept yet, in one statement either way: the cost of posting a
        # charge must not depend on the patient's history (no unique key: a merge can leave two rows).
        missing = ~pw.fn.EXISTS(LastVisit.select(pw.SQL("1")).where(mine))
        row = pw.Select(columns=[pw.Value(patient_id), pw.Value(kept_type), pw.Value(visit_on),
                                 pw.Value(False)]).where(missing)
        LastVisit.insert_from(row, [LastVisit.patient, LastVisit.visit_type, LastVisit.last_visit_on,
                                    LastVisit.counted]).execute()
    count_last_visits((LastVisit.patient == patient_id) & LastVisit.visit_type.in_(sorted(kept_types)))


def refresh_last_visits() -> None:
    """Rebuild every kept last visit, and who came back on each recall list, from the visits (after visits
    are inserted in bulk)."""
    LastVisit.delete().execute()
    db.execute_sql(REFRESH_SQL)
    count_last_visits()
    recount_lists()
