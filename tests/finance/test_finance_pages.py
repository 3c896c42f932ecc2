"""The finance pages with CSRF on, as a browser sends them: the chart, the journal, periods, rules, overview."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import account, lines
from medoffice.testing import connected, login

from medoffice_finance.journal import post_entry
from medoffice_finance.models import Account, JournalEntry, Period, PostingRule
from medoffice_finance.yearend import close_year


@pytest.fixture
def finance_app(make_app):
    """Finance alone (billing off), CSRF on."""
    return make_app(plugins=["finance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_pages_open_for_a_manager_and_are_closed_to_the_front_desk(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    for url in ("/finance/", "/finance/accounts", "/finance/journal?sort=id&desc=1", "/finance/journal/new",
                "/finance/periods", "/finance/rules", "/finance/rules/new", "/finance/budget-line",
                "/finance/widget"):
        assert manager.get(url).status_code == 200, url
    page = _text(manager.get("/finance/accounts"))
    assert "1100" in page and "Undeposited funds" in page
    assert manager.get("/finance/journal").status_code == 302  # newest first by default
    desk = login(finance_app.test_client(), "front_desk")
    assert desk.get("/finance/").status_code == 403 and desk.get("/finance/journal/new").status_code == 403


def test_accounts_are_added_renumbering_clashes_refused_and_used_ones_only_deactivated(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    form = {"number": "6420", "name": "Lab supplies", "type": "expense", "description": "", "active": "y"}
    assert manager.post("/finance/accounts/new", data=form).status_code == 302
    clash = manager.post("/finance/accounts/new", data={**form, "name": "Other"})
    assert clash.status_code == 422 and "already has that number" in _text(clash)
    with connected(finance_app):
        new_id, used_id = account("6420"), account("6300")
        post_entry(dt.date(2026, 1, 5), "rent", lines(("6300", 100), ("1000", -100)))
    refused = manager.post(f"/finance/accounts/{used_id}/delete")
    assert refused.status_code == 303
    assert manager.post(f"/finance/accounts/{new_id}/delete").status_code == 303
    off = manager.post(f"/finance/accounts/{used_id}/edit", data={"number": "6300", "name": "Rent", "type": "expense"})
    assert off.status_code == 302
    with connected(finance_app):
        assert not Account.select().where(Account.number == "6420").exists()
        assert Account.get_by_id(used_id).active is False
    in_rule = manager.post(f"/finance/accounts/{account_id(finance_app, '1100')}/edit",
                           data={"number": "1100", "name": "Undeposited funds", "type": "asset"})
    assert in_rule.status_code == 422 and "posting rule" in _text(in_rule)


def account_id(app, number):
    with connected(app):
        return account(number)


def _entry_form(app, rows):
    data = {"entry_date": "2026-02-03", "memo": "Office supplies"}
    for n, (number, debit, credit) in enumerate(rows):
        data.update({f"lines-{n}-account": str(account_id(app, number)), f"lines-{n}-debit": debit,
                     f"lines-{n}-credit": credit})
    return data


def test_an_entry_is_posted_from_the_grid_or_refused_with_the_reason(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    bad = manager.post("/finance/journal/new", data=_entry_form(finance_app, [("6410", "45.00", ""),
                                                                              ("1000", "", "44.00")]))
    assert bad.status_code == 422 and "does not balance" in _text(bad)
    typo = manager.post("/finance/journal/new", data=_entry_form(finance_app, [("6410", "4x", ""),
                                                                               ("1000", "", "44.00")]))
    assert typo.status_code == 422 and "not a valid amount" in _text(typo)
    good = manager.post("/finance/journal/new", data=_entry_form(finance_app, [("6410", "45.00", ""),
                                                                               ("1000", "", "45.00")]))
    assert good.status_code == 302
    detail = manager.get(good.headers["Location"])
    assert "$45.00" in _text(detail) and "6410 Office supplies" in _text(detail)
    with connected(finance_app):
        entry = JournalEntry.get(JournalEntry.memo == "Office supplies")
        assert JournalEntry.select().count() == 1
    no_reason = manager.post(f"/finance/journal/{entry.id}/reverse", data={"entry_date": "2026-02-04", "reason": ""})
    assert no_reason.status_code == 422
    undo = manager.post(f"/finance/journal/{entry.id}/reverse",
                        data={"entry_date": "2026-02-04", "reason": "entered twice"})
    assert undo.status_code == 302
    assert f"Entry {entry.id}" in _text(manager.get(undo.headers["Location"]))
    assert "Reversed by" in _text(manager.get(f"/finance/journal/{entry.id}"))


def test_months_close_on_the_page_and_only_an_admin_reopens_them_with_a_reason(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    assert manager.post("/finance/periods/close", data={"year": "2026", "month": "1"}).status_code == 303
    assert manager.post("/finance/periods/reopen", data={"year": "2026", "month": "1", "reason": "x"}).status_code == 403
    admin = login(finance_app.test_client(), "admin")
    assert admin.post("/finance/periods/reopen", data={"year": "2026", "month": "1", "reason": ""}).status_code == 422
    assert admin.post("/finance/periods/reopen",
                      data={"year": "2026", "month": "1", "reason": "bank fee found"}).status_code == 303
    assert "bank fee found" in _text(admin.get("/finance/periods"))
    with connected(finance_app):
        assert Period.get((Period.year == 2026) & (Period.month == 1)).status == "open"


def test_a_posting_rule_is_edited_on_the_settings_page(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    with connected(finance_app):
        rule = PostingRule.get((PostingRule.event_name == "billing.payment_posted") & (PostingRule.method == "card")
                               & (PostingRule.basis == "accrual"))
    form = {"event_name": rule.event_name, "basis": "accrual", "party": "patient", "method": "card", "kind": "",
            "group_code": "", "books": "y", "debit_account": str(account_id(finance_app, "1000")),
            "credit_account": str(account_id(finance_app, "1200")), "description": "Cards settle the same day"}
    assert manager.post(f"/finance/rules/{rule.id}", data=form).status_code == 302
    same_as_other = manager.post("/finance/rules/new", data=form)
    assert same_as_other.status_code == 422 and "very conditions" in _text(same_as_other)
    with connected(finance_app):
        assert PostingRule.get_by_id(rule.id).debit_account_id == account("1000")
    assert "Cards settle the same day" in _text(manager.get("/finance/rules"))


def test_budget_lines_are_crud_pages_with_unique_names(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    form = {"name": "Spring recall campaign", "description": "", "active": "y"}
    assert manager.post("/finance/budget-line/new", data=form).status_code == 302
    again = manager.post("/finance/budget-line/new", data=form)
    assert again.status_code == 422 and "Another budget line has that name" in _text(again)
    assert "Spring recall campaign" in _text(manager.get("/finance/budget-line"))


def test_list_pages_keep_the_users_arguments_when_they_sort_newest_first(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    for url in ("/finance/journal?desc=2026-01-01&q=rent", "/finance/deposits?desc=%C2%B2"):
        first = manager.get(url)
        assert first.status_code == 302 and "desc=1" in first.headers["Location"]
        assert manager.get(first.headers["Location"]).status_code == 200


def test_an_entry_owned_elsewhere_says_how_to_undo_it_instead_of_offering_the_reverse_form(finance_app):
    admin = login(finance_app.test_client(), "admin")
    with connected(finance_app):
        post_entry(dt.date(2025, 3, 1), "fees", lines(("1000", 90000), ("4030", -90000)))
        closing = close_year(2025).entry_id
    page = _text(admin.get(f"/finance/journal/{closing}"))
    assert "reopen the year on the periods page" in page and "Post the reversing entry" not in page
