"""Each patient's last visit of each type, kept in ``marketing_last_visit`` for the recall lists.

Every writer of visits calls :func:`keep_last_visit` (or :func:`refresh_last_visits` after a bulk
insert), so the kept rows always say what grouping the visits would; the same calls keep who came back
on each recall list (``listfigures``).
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from medoffice.db import db

from .listfigures import keep_came_back, recount_lists
from .models import LastVisit

ANY_TYPE = ""  # the kept row for a visit of any type (a rule with no visit type)

REFRESH_SQL = """
INSERT INTO marketing_last_visit (patient_id, visit_type, last_visit_on)
SELECT patient_id, visit_type, MAX(visit_on) FROM marketing_visit WHERE visit_type <> '' GROUP BY patient_id, visit_type
UNION ALL
SELECT patient_id, '', MAX(visit_on) FROM marketing_visit GROUP BY patient_id"""


def keep_last_visit(patient_id: int, visit_on: dt.date, visit_type: str) -> None:
    """Count a new visit in the patient's kept last visits (of its type and of any type) and on the recall
    lists they came back to."""
    keep_came_back(patient_id, visit_on)
    for kept_type in {visit_type, ANY_TYPE}:
        mine = (LastVisit.patient == patient_id) & (LastVisit.visit_type == kept_type)
        LastVisit.update(last_visit_on=visit_on).where(mine & (LastVisit.last_visit_on < visit_on)).execute()
        # Inserted only where no row is kept yet, in one statement either way: the cost of posting a
        # charge must not depend on the patient's history (no unique key: a merge can leave two rows).
        missing = ~pw.fn.EXISTS(LastVisit.select(pw.SQL("1")).where(mine))
        row = pw.Select(columns=[pw.Value(patient_id), pw.Value(kept_type), pw.Value(visit_on)]).where(missing)
        LastVisit.insert_from(row, [LastVisit.patient, LastVisit.visit_type, LastVisit.last_visit_on]).execute()


def refresh_last_visits() -> None:
    """Rebuild every kept last visit, and who came back on each recall list, from the visits (after visits
    are inserted in bulk)."""
    LastVisit.delete().execute()
    db.execute_sql(REFRESH_SQL)
    recount_lists()

