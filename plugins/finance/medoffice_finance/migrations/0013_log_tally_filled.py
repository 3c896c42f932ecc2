"""The log's tally (finance_log_tally) filled from the event log as it stands, as the morning job keeps it: until
that job first ran, the books' checks on the finance overview and its dashboard card counted and summed the
whole log on every view. A tally kept already is left alone."""
from peewee import *
from medoffice.db import is_sqlite

# The events finance handled when this migration was written; should it handle another later, the checks find the
# tally's names differ and count the whole log until the morning job keeps it afresh.
HANDLED = ('billing.payment_posted', 'billing.adjustment_posted', 'billing.refund_posted',
           'billing.provider_adjustment_posted', 'billing.charge_posted', 'billing.charge_voided',
           'hr.payroll_journal_line', 'marketing.spend_recorded')


def up(migrator, db):
    if db.execute_sql("SELECT COUNT(*) FROM finance_log_tally").fetchone()[0]:
        return
    amount = ("json_extract(payload, '$.amount_cents')" if is_sqlite(db)
              else "CAST((payload::jsonb ->> 'amount_cents') AS BIGINT)")
    mark = "?" if is_sqlite(db) else "%s"
    marks = ", ".join([mark] * len(HANDLED))
    found = {name: (int(count), int(total), int(highest)) for name, count, total, highest in db.execute_sql(
        f"SELECT name, COUNT(id), COALESCE(SUM({amount}), 0), MAX(position) FROM core_event "
        f"WHERE name IN ({marks}) GROUP BY name", list(HANDLED)).fetchall()}
    through = max((highest for _count, _total, highest in found.values()), default=0)
    for name in HANDLED:
        count, total, _highest = found.get(name, (0, 0, 0))
        db.execute_sql(f"INSERT INTO finance_log_tally (name, events, amount_cents, through_position) "
                       f"VALUES ({mark}, {mark}, {mark}, {mark})", [name, count, total, through])


def down(migrator, db):
    db.execute_sql("DELETE FROM finance_log_tally")
