"""Finance's pages keep what is the same for everyone who may see them (a blank form with its choices, a record's
details) per process until what they show changes: an unchanged view reads none of the kept tables, and a change
written by plain SQL to any table a kept part reads, as another process would, shows on the next view."""
from __future__ import annotations

import pytest
from medoffice.db import db
from medoffice.testing import connected, login, page_queries


@pytest.fixture
def books(make_app):
    """Billing and finance on, an admin signed in (may see and do everything in finance)."""
    app = make_app(plugins=["billing", "finance"])
    return app, login(app.test_client(), "admin")


def sql(app, statement: str, *params) -> None:
    """Run ``statement`` as another process or a SQL console would: no medoffice code involved."""
    with connected(app):
        db.execute_sql(statement.replace("?", db.param), params)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def assert_reads_none(client, url: str, *tables: str) -> None:
    """A warm, unchanged view of ``url`` reads none of ``tables``."""
    read = " ".join(page_queries(client, url))
    for table in tables:
        assert f'"{table}"' not in read, table


def test_the_new_entry_form_is_kept_until_an_account_a_budget_line_or_a_location_changes(books):
    app, client = books
    url = "/finance/journal/new"
    assert "1100 Undeposited funds" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_budget_line")
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Cash from the desk", "1100")
    assert "1100 Cash from the desk" in page(client, url)
    sql(app, "INSERT INTO finance_budget_line (name, description, active) VALUES (?, '', ?)", "Roof repair", True)
    assert "Roof repair" in page(client, url)
    sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, place_of_service, "
             "active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", "Riverside annex", True)
    assert "Riverside annex" in page(client, url)
    assert page(client, url + "?rows=12").count('name="lines-11-account"') == 1  # the rows asked for, kept apart


def test_the_new_entry_form_carries_the_sessions_own_csrf_token(make_app):
    app = make_app(plugins=["billing", "finance"], csrf=True)
    first, second = login(app.test_client(), "admin"), login(app.test_client(), "office_manager")
    tokens = []
    for client in (first, second):
        html = page(client, "/finance/journal/new")
        tokens.append(html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0])
        assert "\x00" not in html
    assert tokens[0] != tokens[1]


def add_vendor_by_sql(app, name: str) -> None:
    sql(app, "INSERT INTO finance_vendor (name, is_1099, terms_days, address, email, active, created_at) "
             "VALUES (?, ?, 30, '', '', ?, CURRENT_TIMESTAMP)", name, False, True)


def test_the_new_bill_form_is_kept_until_a_vendor_an_account_or_a_location_changes(books):
    app, client = books
    url = "/finance/bills/new"
    add_vendor_by_sql(app, "Acme Supply")
    assert "Acme Supply" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_vendor")
    sql(app, "UPDATE finance_vendor SET name = ? WHERE name = ?", "Acme Medical Supply", "Acme Supply")
    assert "Acme Medical Supply" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Supplies bought", "6100")
    assert "6100 Supplies bought" in page(client, url)
    sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, place_of_service, "
             "active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", "Riverside annex", True)
    assert "Riverside annex" in page(client, url)
