"""The Today queue's deposit reminder is kept per process until what it counts changes: an unchanged view reads
no finance table, and a change written by plain SQL to any table it reads, as another process would, shows on the
next view."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import account, payment, publish_events
from medoffice.db import db
from medoffice.testing import connected, login, page_queries, write_sql

REMINDER = "Deposit the desk&#39;s cash and checks from before today"
COUNTED = ("finance_account", "finance_booked_event", "finance_journal_line", "finance_deposit_item")


@pytest.fixture
def manager(make_app):
    """Billing and finance on, three desk payments of an earlier day waiting for the bank, a manager signed in."""
    app = make_app(plugins=["billing", "finance"])
    with connected(app):
        publish_events(payment(12000, "patient", "check"), payment(4550, "patient", "check"),
                       payment(2000, "patient", "cash"))
    return app, login(app.test_client(), "office_manager")


def _sql(app, sql: str, *params) -> None:
    """``write_sql`` on a connection of its own."""
    with connected(app):
        write_sql(sql, *params)


def _last_id(app, table: str) -> int:
    with connected(app):
        return db.execute_sql(f"SELECT MAX(id) FROM {table}").fetchone()[0]


def _reminded(client) -> bool:
    return REMINDER in client.get("/today").get_data(as_text=True)


def test_an_unchanged_today_view_reads_no_finance_table(manager):
    app, client = manager
    assert _reminded(client)
    read = " ".join(page_queries(client, "/today"))
    for table in COUNTED:
        assert table not in read, table


def test_the_reminder_follows_a_plain_sql_change_to_each_table_it_counts(manager):
    app, client = manager
    assert _reminded(client)
    later = dt.date.today() + dt.timedelta(days=30)

    _sql(app, "UPDATE finance_booked_event SET effective_date = ?", later)  # received after today: may wait
    assert not _reminded(client)
    _sql(app, "UPDATE finance_booked_event SET effective_date = ?", dt.date(2026, 3, 10))
    assert _reminded(client)

    with connected(app):
        undeposited, bank = account("1100"), account("1000")
        other = db.execute_sql("SELECT MIN(id) FROM finance_account WHERE role IS NULL").fetchone()[0]
    _sql(app, "UPDATE finance_account SET role = NULL WHERE id = ?", undeposited)  # another account waits instead
    _sql(app, "UPDATE finance_account SET role = ? WHERE id = ?", "undeposited_funds", other)
    assert not _reminded(client)
    _sql(app, "UPDATE finance_account SET role = NULL WHERE id = ?", other)
    _sql(app, "UPDATE finance_account SET role = ? WHERE id = ?", "undeposited_funds", undeposited)
    assert _reminded(client)

    now = dt.datetime.now(dt.timezone.utc)
    _sql(app, "INSERT INTO finance_deposit (deposit_date, bank_account_id, entry_id, total_cents, memo, created_at, "
              "void_reason, source, reference) VALUES (?, ?, (SELECT MIN(id) FROM finance_journal_entry), 0, '', ?, "
              "'', 'desk', '')", dt.date(2026, 3, 11), bank, now)
    _sql(app, "INSERT INTO finance_deposit_item (deposit_id, booked_event_id, amount_cents) "
              "SELECT ?, id, amount_cents FROM finance_booked_event", _last_id(app, "finance_deposit"))
    assert not _reminded(client)

    _sql(app, "INSERT INTO finance_journal_entry (entry_date, memo, kind, status, created_at) "
              "VALUES (?, 'by hand', 'billing', 'draft', ?)", dt.date(2026, 3, 10), now)
    entry = _last_id(app, "finance_journal_entry")
    _sql(app, "INSERT INTO finance_booked_event (event_position, event_name, amount_cents, entry_id, booked_at, party, "
              "method, reference, effective_date) VALUES (999999, 'billing.payment_posted', 500, ?, ?, 'patient', "
              "'cash', '', ?)", entry, now, dt.date(2026, 3, 10))
    assert not _reminded(client)  # its entry has no line on undeposited funds yet
    _sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
              "VALUES (?, ?, 500, 0, '')", entry, undeposited)
    assert _reminded(client)
