"""Finance reports: the trial balance, profit and loss (over a range, and by month against last year or the
budget), the balance sheet, cash flow, the 90-day cash forecast, the general ledger, aged payables, 1099-NEC
totals, the check register and budget against actual."""
from __future__ import annotations

import calendar
import datetime as dt

from medoffice import ChartSpec, Column, ReportParam, ReportResult, ReportSpec, prepared
from medoffice.money import format_cents
from medoffice.prepared import slot
from medoffice.settings import today

from peewee import Case, fn

from .balances import CASH_BELOW, account_balances
from .forecast import forecast, receivables_note
from .budget import actuals, amounts, budget_vs_actual
from .models import DEBIT_NORMAL, Account, Bill, BillPayment, Budget, JournalEntry, JournalLine, Vendor


def trial_balance(as_of: dt.date) -> dict:
    """Every account with postings up to ``as_of``: its debits, credits and balance; and the totals.

    Plain values for the CLI's JSON and the report: ``accounts`` (number, name, type, debit_cents,
    credit_cents, balance_cents on the account's normal side) and ``totals``.
    """
    accounts = [{"number": r.number, "name": r.name, "type": r.type, "debit_cents": r.debit_cents,
                 "credit_cents": r.credit_cents, "balance_cents": r.balance_cents} for r in account_balances(end=as_of)]
    return {"as_of": as_of.isoformat(), "accounts": accounts,
            "totals": {"debit_cents": sum(a["debit_cents"] for a in accounts),
                       "credit_cents": sum(a["credit_cents"] for a in accounts)}}


_TRIAL_BALANCE_COLUMNS = (Column("number", "Account", "text"), Column("name", "Name", "text"),
                          Column("type", "Type", "text"), Column("debit_cents", "Debits", "cents"),
                          Column("credit_cents", "Credits", "cents"), Column("balance_cents", "Balance", "cents"))


def _trial_balance_report(as_of: dt.date) -> ReportResult:
    result = trial_balance(as_of)
    return ReportResult(
        columns=_TRIAL_BALANCE_COLUMNS, rows=result["accounts"], totals=result["totals"],
        notes="Posted entries dated up to the day chosen; balances on each account's normal side "
              "(debit for assets and expenses, credit for the others).")


TRIAL_BALANCE = ReportSpec(id="finance.trial_balance", title="Trial balance", permission="finance.view",
                           run=_trial_balance_report, category="Finance",
                           params=[ReportParam("as_of", "As of", "date", required=True, default=today)])


_PROFIT_AND_LOSS_COLUMNS = (Column("number", "Account", "text"), Column("name", "Name", "text"),
                            Column("type", "Type", "text"), Column("amount_cents", "Amount", "cents"))


def profit_and_loss(start: dt.date, end: dt.date, location: int | None = None) -> ReportResult:
    """Revenue and expense accounts over a range (one location's lines when given), the year-end closing
    entries left out; revenue as a credit balance, expenses as a debit balance, and the net result."""
    rows = account_balances(start=start, end=end, types=("revenue", "expense"), exclude_kinds=("closing",),
                            location_id=location)
    result = [{"number": r.number, "name": r.name, "type": "Revenue" if r.type == "revenue" else "Expense",
               "amount_cents": r.balance_cents} for r in rows]
    revenue = sum(r.balance_cents for r in rows if r.type == "revenue")
    expenses = sum(r.balance_cents for r in rows if r.type != "revenue")
    return ReportResult(
        columns=_PROFIT_AND_LOSS_COLUMNS, rows=result, totals={"amount_cents": revenue - expenses},
        notes=f"Revenue {format_cents(revenue)} less expenses {format_cents(expenses)}: the total is the result "
              "(negative: a loss). Contra-revenue accounts (adjustments) show as negative revenue."
              + (" Only lines booked to the location chosen." if location else ""))


def _range_problems(start: dt.date, end: dt.date, **_other) -> dict[str, str]:
    return {"end": "The end date must be on or after the start date."} if end < start else {}


PROFIT_AND_LOSS = ReportSpec(id="finance.profit_and_loss", title="Profit and loss", permission="finance.view",
                             run=profit_and_loss, check=_range_problems, category="Finance",
                             params=[ReportParam("start", "From", "date", required=True,
                                                 default=lambda: today().replace(month=1, day=1)),
                                     ReportParam("end", "To", "date", required=True, default=today),
                                     ReportParam("location", "Location", "location")])


_SECTIONS = {"asset": "Assets", "liability": "Liabilities", "equity": "Equity"}
_BALANCE_SHEET_COLUMNS = (Column("section", "Section", "text"), Column("number", "Account", "text"),
                          Column("name", "Name", "text"), Column("amount_cents", "Balance", "cents"))


def balance_sheet(as_of: dt.date) -> ReportResult:
    """Assets, liabilities and equity as of a day; the result of revenue and expenses not yet closed into
    retained earnings shows as its own equity line, so assets equal liabilities plus equity."""
    sections = {"asset": [], "liability": [], "equity": []}
    total = dict.fromkeys(sections, 0)
    unclosed = 0
    for r in account_balances(end=as_of):
        if r.type in sections:
            sections[r.type].append({"section": _SECTIONS[r.type], "number": r.number, "name": r.name,
                                     "amount_cents": r.balance_cents})
            total[r.type] += r.balance_cents
        elif r.type in ("revenue", "expense"):
            unclosed += r.balance_cents if r.type == "revenue" else -r.balance_cents
    if unclosed:
        sections["equity"].append({"section": "Equity", "number": "",
                                   "name": "Result not yet closed into retained earnings", "amount_cents": unclosed})
        total["equity"] += unclosed
    return ReportResult(
        columns=_BALANCE_SHEET_COLUMNS, rows=sections["asset"] + sections["liability"] + sections["equity"],
        notes=f"Assets {format_cents(total['asset'])}; liabilities {format_cents(total['liability'])} and equity "
              f"{format_cents(total['equity'])}, together {format_cents(total['liability'] + total['equity'])}.")


BALANCE_SHEET = ReportSpec(id="finance.balance_sheet", title="Balance sheet", permission="finance.view",
                           run=balance_sheet, category="Finance",
                           params=[ReportParam("as_of", "As of", "date", required=True, default=today)])


def general_ledger(account: str, start: dt.date, end: dt.date) -> ReportResult:
    """One account's posted lines over a range, after its balance brought forward, with the running balance
    on the account's normal side."""
    row = Account.get_or_none(Account.number == account)
    if row is None:
        return ReportResult(columns=[Column("date", "Date", "date")], rows=[], notes="There is no such account.")
    sign = 1 if row.type in DEBIT_NORMAL else -1
    before = account_balances(end=start - dt.timedelta(days=1), account_ids=[row.id])
    balance = before[0].balance_cents if before else 0
    result = [{"date": start, "entry": "", "memo": "Balance brought forward", "debit_cents": None,
               "credit_cents": None, "balance_cents": balance}]
    lines = (JournalLine.select(JournalLine.debit_cents, JournalLine.credit_cents, JournalLine.memo,
                                JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo.alias("entry_memo"))
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .where((JournalLine.account == row.id) & (JournalEntry.status == "posted")
                    & (JournalEntry.entry_date >= start) & (JournalEntry.entry_date <= end))
             .order_by(JournalEntry.entry_date, JournalEntry.id, JournalLine.id).dicts())
    for line in lines:
        balance += sign * (line["debit_cents"] - line["credit_cents"])
        result.append({"date": line["entry_date"], "entry": str(line["id"]),
                       "memo": line["memo"] or line["entry_memo"], "debit_cents": line["debit_cents"] or None,
                       "credit_cents": line["credit_cents"] or None, "balance_cents": balance})
    moved = result[1:]
    return ReportResult(
        columns=[Column("date", "Date", "date"), Column("entry", "Entry", "text"), Column("memo", "Memo", "text"),
                 Column("debit_cents", "Debit", "cents"), Column("credit_cents", "Credit", "cents"),
                 Column("balance_cents", "Balance", "cents")],
        rows=result,
        totals={"debit_cents": sum(r["debit_cents"] or 0 for r in moved),
                "credit_cents": sum(r["credit_cents"] or 0 for r in moved), "balance_cents": balance},
        notes=f"{row.label}: balance on its normal side ({'debit' if sign == 1 else 'credit'}).")


def _account_choices() -> list[tuple[str, str]]:
    return [(a.number, a.label) for a in Account.select(Account.number, Account.name).order_by(Account.number)]


GENERAL_LEDGER = ReportSpec(id="finance.general_ledger", title="General ledger (one account)",
                            permission="finance.view", run=general_ledger, check=_range_problems, category="Finance",
                            params=[ReportParam("account", "Account", "choice", required=True, choices=_account_choices),
                                    ReportParam("start", "From", "date", required=True,
                                                default=lambda: today().replace(month=1, day=1)),
                                    ReportParam("end", "To", "date", required=True, default=today)])


def aged_payables(as_of: dt.date) -> ReportResult:
    """Open approved bills by vendor, bucketed by days past due on ``as_of`` (one GROUP BY with CASE)."""
    open_cents = Bill.total_cents - Bill.paid_cents
    edges = [as_of - dt.timedelta(days=d) for d in (30, 60, 90)]
    buckets = [("current_cents", "Not yet due", Bill.due_date >= as_of),
               ("days_1_30_cents", "1-30 days", (Bill.due_date < as_of) & (Bill.due_date >= edges[0])),
               ("days_31_60_cents", "31-60 days", (Bill.due_date < edges[0]) & (Bill.due_date >= edges[1])),
               ("days_61_90_cents", "61-90 days", (Bill.due_date < edges[1]) & (Bill.due_date >= edges[2])),
               ("over_90_cents", "Over 90 days", Bill.due_date < edges[2])]
    columns = [fn.COALESCE(fn.SUM(Case(None, [(when, open_cents)], 0)), 0).alias(key) for key, _l, when in buckets]
    rows = list(Bill.select(Vendor.name.alias("vendor"), *columns, fn.SUM(open_cents).alias("open_cents"))
                .join(Vendor).where((Bill.status == "approved") & (Bill.paid_cents < Bill.total_cents)
                                    & (Bill.bill_date <= as_of))
                .group_by(Vendor.name).order_by(Vendor.name).dicts())
    keys = [key for key, _l, _c in buckets] + ["open_cents"]
    rows = [{k: (int(v) if k in keys else v) for k, v in r.items()} for r in rows]
    return ReportResult(
        columns=[Column("vendor", "Vendor", "text")] + [Column(k, label, "cents") for k, label, _c in buckets]
                + [Column("open_cents", "Open", "cents")],
        rows=rows, totals={k: sum(r[k] for r in rows) for k in keys},
        notes="Approved bills not fully paid, by how long past their due date they are on the day chosen.")


def nec_totals(year: int) -> ReportResult:
    """Payments in ``year`` to vendors marked for 1099, per vendor, against the year's 1099-NEC threshold."""
    threshold = 60_000 if year <= 2025 else 200_000  # $600 to 2025; $2,000 for payments from 2026
    paid = fn.SUM(BillPayment.amount_cents)
    rows = [{"vendor": r["vendor"], "paid_cents": int(r["paid"]), "reportable": "yes" if r["paid"] >= threshold else "no"}
            for r in (BillPayment.select(Vendor.name.alias("vendor"), paid.alias("paid"))
                      .join(Bill).join(Vendor)
                      .where(Vendor.is_1099 & (BillPayment.paid_on >= dt.date(year, 1, 1))
                             & (BillPayment.paid_on <= dt.date(year, 12, 31)))
                      .group_by(Vendor.name).order_by(Vendor.name).dicts())]
    return ReportResult(
        columns=[Column("vendor", "Vendor", "text"), Column("paid_cents", "Paid in the year", "cents"),
                 Column("reportable", f"At or over {format_cents(threshold)}", "text")],
        rows=rows, totals={"paid_cents": sum(r["paid_cents"] for r in rows)},
        notes="Payments by check or ACH recorded here to vendors marked for 1099 (card payments are reported by the "
              "card company). Box 1 of Form 1099-NEC.")


def check_register(start: dt.date, end: dt.date) -> ReportResult:
    """Bill payments over a range: date, check number or ACH, vendor, bill and amount."""
    rows = [{"paid_on": r["paid_on"], "method": r["method"].upper(), "check_number": r["check_number"],
             "vendor": r["vendor"], "bill": r["number"], "amount_cents": r["amount_cents"]}
            for r in (BillPayment.select(BillPayment.paid_on, BillPayment.method, BillPayment.check_number,
                                         BillPayment.amount_cents, Vendor.name.alias("vendor"), Bill.number)
                      .join(Bill).join(Vendor)
                      .where((BillPayment.paid_on >= start) & (BillPayment.paid_on <= end))
                      .order_by(BillPayment.paid_on, BillPayment.check_number, BillPayment.id).dicts())]
    return ReportResult(
        columns=[Column("paid_on", "Date", "date"), Column("method", "Method", "text"),
                 Column("check_number", "Check", "text"), Column("vendor", "Vendor", "text"),
                 Column("bill", "Bill", "text"), Column("amount_cents", "Amount", "cents")],
        rows=rows, totals={"amount_cents": sum(r["amount_cents"] for r in rows)})


def _year_default() -> int:
    return today().year


AGED_PAYABLES = ReportSpec(id="finance.aged_payables", title="Aged payables", permission="finance.view",
                           run=aged_payables, category="Finance",
                           params=[ReportParam("as_of", "As of", "date", required=True, default=today)])
NEC_TOTALS = ReportSpec(id="finance.nec_totals", title="1099-NEC totals", permission="finance.view", run=nec_totals,
                        category="Finance", params=[ReportParam("year", "Year", "int", required=True,
                                                                default=_year_default)])
CHECK_REGISTER = ReportSpec(id="finance.check_register", title="Check register", permission="finance.view",
                            run=check_register, check=_range_problems, category="Finance",
                            params=[ReportParam("start", "From", "date", required=True,
                                                default=lambda: today().replace(day=1)),
                                    ReportParam("end", "To", "date", required=True, default=today)])


_BUDGET_OF = {by_location: Budget.select(Budget.id, Budget.name)
              .where((Budget.year == slot("year"))
                     & (Budget.location == slot("location") if by_location else Budget.location.is_null()))
              .order_by(Budget.id).limit(1).tuples() for by_location in (False, True)}


def _budget_of(year: int, location: int | None) -> tuple[int, str] | None:
    """The id and name of the year's budget of the location (None: the practice's), the first when there are
    several."""
    by_location = location is not None
    return next(iter(prepared.run(_BUDGET_OF[by_location], ("finance.budget_of", by_location), year=year,
                                  location=location).cursor), None)


_BUDGET_COLUMNS = (Column("number", "Account", "text"), Column("name", "Name", "text"),
                   Column("budget_cents", "Budget", "cents"), Column("actual_cents", "Actual (consumed)", "cents"),
                   Column("committed_cents", "Committed (bills not booked)", "cents"),
                   Column("variance_cents", "Variance", "cents"), Column("available_cents", "Left", "cents"),
                   Column("year_budget_cents", "Year's budget", "cents"),
                   Column("forecast_cents", "Year-end forecast", "cents"))
_BUDGET_TOTALS = tuple(c.key for c in _BUDGET_COLUMNS[2:])


def budget_report(year: int, month: int, period: str = "ytd", location: int | None = None) -> ReportResult:
    """Budget against actual for the year's budget (the practice's, or the location's) over the month, its quarter
    to date, or the year to date: consumed, committed, variance, what is left, and a year-end forecast."""
    budget = _budget_of(year, location)
    if budget is None:
        return ReportResult(columns=_BUDGET_COLUMNS, rows=[], notes=f"There is no budget for {year} for that "
                                                                      "location: create one on Finance, Budgets.")
    budget_id, budget_name = budget
    rows = budget_vs_actual(budget_id, year, location, month, period)
    expenses = [r for r in rows if r["type"] == "Expense"]
    what = {"month": calendar.month_name[month], "quarter": f"the quarter to {calendar.month_name[month]}",
            "ytd": f"the year to {calendar.month_name[month]}"}[period]
    return ReportResult(
        columns=_BUDGET_COLUMNS, rows=rows, totals={k: sum(r[k] for r in expenses) for k in _BUDGET_TOTALS},
        chart=ChartSpec("bar", x="name", series=("budget_cents", "actual_cents"), title=f"Budget and actual, {what}"),
        notes=f"{budget_name}, {what}. Variance is the budget less what was booked; Left also takes off bills "
              "entered but not booked. The forecast runs the year so far at its pace to December. Totals are the "
              "expense accounts'.")


def _month_problems(month: int, **_other) -> dict[str, str]:
    return {} if 1 <= month <= 12 else {"month": "Choose a month from 1 to 12."}


BUDGET_VS_ACTUAL = ReportSpec(
    id="finance.budget_vs_actual", title="Budget vs actual", permission="finance.view", run=budget_report,
    check=_month_problems, category="Finance",
    params=[ReportParam("year", "Year", "int", required=True, default=_year_default),
            ReportParam("month", "Through month (1-12)", "int", required=True, default=lambda: today().month),
            ReportParam("period", "Period", "choice", required=True, default="ytd",
                        choices=[("month", "The month"), ("quarter", "Quarter to date"), ("ytd", "Year to date")]),
            ReportParam("location", "Location", "location")])


def pnl_by_month(year: int, compare: str = "last_year", location: int | None = None) -> ReportResult:
    """Revenue and expenses of a year by month (SQL aggregates by account and month), with the year's total
    compared with last year's or the budget's, and the result."""
    this_year = actuals(year, location)
    if compare == "budget":
        budget = _budget_of(year, location)
        other = amounts(budget[0]) if budget else {}
        other_label = f"Budget {year}"
    else:
        other, other_label = actuals(year - 1, location), f"{year - 1}"
    ids = {a for a, _m in this_year} | {a for a, _m in other}
    accounts = {a.id: a for a in Account.select().where(Account.id.in_(list(ids) or [0]))}
    rows = []
    for account_id in sorted(ids, key=lambda i: (accounts[i].type != "revenue", accounts[i].number)):
        account = accounts[account_id]
        row = {"number": account.number, "name": account.name}
        for m in range(1, 13):
            row[f"m{m}"] = this_year.get((account_id, m), 0)
        row["total_cents"] = sum(row[f"m{m}"] for m in range(1, 13))
        row["compare_cents"] = sum(other.get((account_id, m), 0) for m in range(1, 13))
        row["change_cents"] = row["total_cents"] - row["compare_cents"]
        row["sign"] = 1 if account.type == "revenue" else -1
        rows.append(row)
    keys = [f"m{m}" for m in range(1, 13)] + ["total_cents", "compare_cents", "change_cents"]
    result = {k: sum(r[k] * r["sign"] for r in rows) for k in keys}
    rows.append({"number": "", "name": "Result (revenue less expenses)", **result})
    for row in rows:
        row.pop("sign", None)
    return ReportResult(
        columns=[Column("number", "Account", "text"), Column("name", "Name", "text")]
                + [Column(f"m{m}", calendar.month_abbr[m], "cents") for m in range(1, 13)]
                + [Column("total_cents", str(year), "cents"), Column("compare_cents", other_label, "cents"),
                   Column("change_cents", "Difference", "cents")],
        rows=rows,
        notes="Revenue and expenses on their normal sides (contra-revenue adjustments negative); the last row is the "
              "result. Year-end closing entries are left out." + (" Only lines booked to the location chosen."
                                                                   if location else ""))


PNL_BY_MONTH = ReportSpec(
    id="finance.pnl_by_month", title="Profit and loss by month", permission="finance.view", run=pnl_by_month,
    category="Finance",
    params=[ReportParam("year", "Year", "int", required=True, default=_year_default),
            ReportParam("compare", "Compare with", "choice", required=True, default="last_year",
                        choices=[("last_year", "Last year"), ("budget", "The budget")]),
            ReportParam("location", "Location", "location")])

def cash_flow(start: dt.date, end: dt.date) -> ReportResult:
    """The statement of cash flows, indirect method: the result, then the change of every other balance sheet
    account by section, adding up to the change in cash (accounts numbered below 1200) over the range."""
    rows = account_balances(start=start, end=end, exclude_kinds=("closing",))
    result = sum(-(r.debit_cents - r.credit_cents) for r in rows if r.type in ("revenue", "expense"))
    lines = [{"section": "Operating", "name": "Result for the period", "amount_cents": result}]
    cash_change = 0
    for r in rows:
        net = r.debit_cents - r.credit_cents
        if r.type in ("revenue", "expense") or not net:
            continue
        if r.type == "asset" and r.number < CASH_BELOW:
            cash_change += net
            continue
        if r.type == "asset":
            section = "Investing" if r.number >= "1500" else "Operating"
        elif r.type == "liability":
            section = "Financing" if r.number >= "2500" else "Operating"
        else:
            section = "Financing"
        lines.append({"section": section, "name": f"{r.number} {r.name}", "amount_cents": -net})
    order = ["Operating", "Investing", "Financing"]
    lines.sort(key=lambda x: order.index(x["section"]))
    totals = {s: sum(x["amount_cents"] for x in lines if x["section"] == s) for s in order}
    return ReportResult(
        columns=[Column("section", "Activities", "text"), Column("name", "Item", "text"),
                 Column("amount_cents", "Cash in (out)", "cents")],
        rows=lines, totals={"amount_cents": sum(totals.values())},
        notes=f"Operating {format_cents(totals['Operating'])}, investing {format_cents(totals['Investing'])}, "
              f"financing {format_cents(totals['Financing'])}: cash (accounts below {CASH_BELOW}) changed by "
              f"{format_cents(cash_change)}. Year-end closing entries are left out.")


CASH_FLOW = ReportSpec(id="finance.cash_flow", title="Cash flow (indirect)", permission="finance.view", run=cash_flow,
                       check=_range_problems, category="Finance",
                       params=[ReportParam("start", "From", "date", required=True,
                                           default=lambda: today().replace(month=1, day=1)),
                               ReportParam("end", "To", "date", required=True, default=today)])


def cash_forecast(as_of: dt.date) -> ReportResult:
    """The 13 weeks from ``as_of``: collections, bills, payroll and the cash at each week's end."""
    result = forecast(as_of)
    rows = [{"week": w.starts_on, "collections_cents": w.collections_cents, "bills_cents": -w.bills_cents,
             "payroll_cents": -w.payroll_cents, "net_cents": w.net_cents, "closing_cents": w.closing_cents}
            for w in result.weeks]
    keys = ("collections_cents", "bills_cents", "payroll_cents", "net_cents")
    lowest = min(result.weeks, key=lambda w: w.closing_cents)
    return ReportResult(
        columns=[Column("week", "Week of", "date"), Column("collections_cents", "Collections", "cents"),
                 Column("bills_cents", "Bills due", "cents"), Column("payroll_cents", "Payroll", "cents"),
                 Column("net_cents", "Net", "cents"), Column("closing_cents", "Cash at the week's end", "cents")],
        rows=rows, totals={k: sum(r[k] for r in rows) for k in keys},
        chart=ChartSpec("line", x="week", series=("closing_cents",), title="Cash at each week's end"),
        notes=f"Cash on hand {format_cents(result.opening_cents)} (accounts below {CASH_BELOW}); lowest "
              f"{format_cents(lowest.closing_cents)} in the week of {lowest.starts_on.isoformat()}. "
              f"{receivables_note(result)} Bills: unpaid ones by due date (overdue ones in the first week) and "
              f"recurring bills' coming dates plus the vendor's terms. Payroll: the last 13 weeks' pay runs "
              f"(wages and employer taxes), per week.")


CASH_FORECAST = ReportSpec(id="finance.cash_forecast", title="Cash forecast (90 days)", permission="finance.view",
                           run=cash_forecast, category="Finance",
                           description="Cash week by week: billing's expected collections in, bills and payroll out.",
                           params=[ReportParam("as_of", "From", "date", required=True, default=today)])


def finance_reports() -> list[ReportSpec]:
    """The reports finance contributes."""
    return [TRIAL_BALANCE, PROFIT_AND_LOSS, BALANCE_SHEET, GENERAL_LEDGER, AGED_PAYABLES, NEC_TOTALS, CHECK_REGISTER,
            BUDGET_VS_ACTUAL, PNL_BY_MONTH, CASH_FLOW, CASH_FORECAST]
