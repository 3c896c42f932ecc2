"""Finance's reports and list pages against floors measured in the same run (issue 13).

    python benchmarks/finance_reports.py --instance PATH [--database-url URL] [--repeat 5] [--requests 100]
                                         [--rounds 10] [--figures FILE]

The instance should hold the large demo data (`medoffice demo --size large`) with finance on. Two
parts, measured as ``billing_reports.py`` measures billing's:

1. Reports: the trial balance, profit and loss, balance sheet and budget against actual (each
   report's run: parameters, SQL through peewee, rows built for core) are timed against a
   hand-written SQL query returning the same numbers, which are compared first (exit 1 when they
   disagree); the two are run alternately and the best of ``--repeat`` runs of each counts. The ratio
   must stay at or below 1.5 however fast the report is: billing's 5 ms floor, under which a report
   is not held to it, does not apply to these four (on the large demo they take about a millisecond,
   so anything besides their one aggregate shows in the ratio). Times are printed in milliseconds.
   Parameters: today for "as of", the year up to today for a range, this year's practice budget
   through this month, year to date.
2. List pages: every finance nav page and widget (as ``pages.py`` finds them), recurring bills, bank
   rules, this year's budget grid, the latest bank statement and the largest deposit slip, in-process
   p95 (Flask test client, logged in, read audit included) against the reference list page
   (``reference.py``), interleaved with it and core's bare route; at or below 3x.

Figures count for goal "13" (PostgreSQL's prefixed so with ``--database-url``). Prints one line per
report and page with the ratio, and a summary of those over their bound. ``marketing_reports.py``
uses the helpers below (``time_against_sql``, ``main``) and ``billing_reports.run_list_pages``.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # noqa: E402
import pages  # noqa: E402
from billing_reports import (REPORT_BOUND, TIMING_FLOOR, best_of_alternating, plain, run_command,  # noqa: E402
                             run_list_pages)

from medoffice import settings  # noqa: E402
from medoffice.db import db, is_sqlite  # noqa: E402

GOAL = "13"
NORMAL = "CASE WHEN a.type IN ('asset', 'expense') THEN {d} - {c} ELSE {c} - {d} END"
POSTED = """FROM finance_journal_line l JOIN finance_journal_entry e ON e.id = l.entry_id
JOIN finance_account a ON a.id = l.account_id WHERE e.status = 'posted'"""


def same(value):
    """A value as both sides give it, comparable: dates as ISO text (SQLite answers with text), else as billing's."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return plain(value)


def time_against_sql(name: str, run, rows_of, sql: str, params: list, repeat: int, number: str,
                     prefix: str, floor: float = TIMING_FLOOR) -> list[figures.Figure]:
    """Time ``run()`` against the hand-written ``sql`` (``?`` placeholders), alternately, best of ``repeat``.

    ``rows_of(result)`` gives the run's figures as tuples, in the order of the query's columns; the
    two are compared (sorted, as billing's) and the script exits when they disagree. Prints one line;
    returns the figure (none when the run is under ``floor`` seconds, billing's timing floor unless
    given; 0 holds every run to the bound).
    """
    if not is_sqlite():
        sql = sql.replace("?", "%s")
    ours, result, theirs, cursor_rows = best_of_alternating(run, lambda: db.execute_sql(sql, params).fetchall(),
                                                            repeat)
    mine = [tuple(same(v) for v in row) for row in rows_of(result)]
    width = len(mine[0]) if mine else 0
    hand = [tuple(same(v) for v in row[:width]) for row in cursor_rows]
    if sorted(mine, key=str) != sorted(hand, key=str):
        raise SystemExit(f"{name}: the report and the hand-written query disagree "
                         f"({len(mine)} and {len(hand)} rows; first {mine[:2]} vs {hand[:2]})")
    ratio = ours / max(theirs, 1e-6)
    found = []
    if ours < floor:
        flag = "  (under the timing floor)"
    else:
        flag = "  OVER" if ratio > REPORT_BOUND else ""
        found.append(figures.Figure(number, f"{prefix}report {name} / hand-written SQL", ratio, REPORT_BOUND,
                                    f"{ours * 1000:.2f} ms vs {theirs * 1000:.2f} ms"))
    print(f"{name:<40} {len(mine):>7} {ours * 1000:>10.3f} {theirs * 1000:>11.3f} {ratio:>6.2f}{flag}")
    return found


def report_header() -> None:
    """The heading of the lines ``time_against_sql`` prints."""
    print(f"{'report':<40} {'rows':>7} {'report ms':>10} {'hand SQL ms':>11} {'ratio':>6}")


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


BUDGET_VS_ACTUAL = f"""
WITH bud AS (SELECT MIN(id) AS id FROM finance_budget WHERE year = ? AND location_id IS NULL),
     plan AS (SELECT account_id, SUM(CASE WHEN month BETWEEN ? AND ? THEN amount_cents ELSE 0 END) AS budget,
                     SUM(amount_cents) AS year_budget
              FROM finance_budget_amount WHERE budget_id = (SELECT id FROM bud) GROUP BY account_id),
     act AS (SELECT l.account_id,
                    CASE WHEN a.type = 'expense' THEN 1 ELSE -1 END
                    * SUM(CASE WHEN e.entry_date >= ? AND e.entry_date <= ? THEN l.debit_cents - l.credit_cents
                               ELSE 0 END) AS used,
                    CASE WHEN a.type = 'expense' THEN 12 ELSE -12 END
                    * SUM(CASE WHEN e.entry_date <= ? THEN l.debit_cents - l.credit_cents ELSE 0 END) AS so_far12
             {POSTED} AND e.kind <> 'closing' AND e.entry_date >= ? AND e.entry_date <= ?
               AND a.type IN ('revenue', 'expense')
             GROUP BY l.account_id, a.type),
     com AS (SELECT bl.account_id, SUM(bl.amount_cents * (b.total_cents - b.paid_cents) / b.total_cents) AS owed
             FROM finance_bill_line bl JOIN finance_bill b ON b.id = bl.bill_id
             WHERE (b.status = 'awaiting' OR ((SELECT basis FROM finance_books ORDER BY id LIMIT 1) = 'cash'
                                              AND b.status = 'approved' AND b.paid_cents < b.total_cents))
               AND b.bill_date >= ? AND b.bill_date <= ?
             GROUP BY bl.account_id),
     ids AS (SELECT account_id FROM plan UNION SELECT account_id FROM act)
SELECT a.number, a.name, CASE WHEN a.type = 'revenue' THEN 'Revenue' ELSE 'Expense' END,
       COALESCE(plan.budget, 0), COALESCE(act.used, 0), COALESCE(com.owed, 0),
       COALESCE(plan.budget, 0) - COALESCE(act.used, 0),
       COALESCE(plan.budget, 0) - COALESCE(act.used, 0) - COALESCE(com.owed, 0),
       COALESCE(plan.year_budget, 0),
       CASE WHEN COALESCE(act.so_far12, 0) >= 0 THEN COALESCE(act.so_far12, 0) / ?
            ELSE -((-act.so_far12 + ? - 1) / ?) END
FROM ids JOIN finance_account a ON a.id = ids.account_id LEFT JOIN plan ON plan.account_id = a.id
LEFT JOIN act ON act.account_id = a.id LEFT JOIN com ON com.account_id = a.id
WHERE EXISTS (SELECT 1 FROM bud WHERE id IS NOT NULL)
ORDER BY a.number"""
"""Budget against actual of the year's practice budget (the first, as the report picks it): one row per account
budgeted or booked in the year; the year-end forecast floored as Python floors."""


def hand_sql(report_id: str, values: dict) -> tuple[str, list]:
    """The hand-written query (with '?' placeholders) returning a finance report's numbers, and its parameters."""
    debit, credit = "SUM(l.debit_cents)", "SUM(l.credit_cents)"
    if report_id == "finance.trial_balance":
        return (f"""
SELECT a.number, a.name, a.type, {debit}, {credit}, {NORMAL.format(d=debit, c=credit)},
       SUM({debit}) OVER (), SUM({credit}) OVER ()
{POSTED} AND e.entry_date <= ?
GROUP BY a.id, a.number, a.name, a.type ORDER BY a.number""", [values["as_of"]])
    if report_id == "finance.profit_and_loss":
        return (f"""
SELECT a.number, a.name, CASE WHEN a.type = 'revenue' THEN 'Revenue' ELSE 'Expense' END,
       {NORMAL.format(d=debit, c=credit)}, SUM({credit} - {debit}) OVER ()
{POSTED} AND e.kind <> 'closing' AND e.entry_date >= ? AND e.entry_date <= ? AND a.type IN ('revenue', 'expense')
GROUP BY a.id, a.number, a.name, a.type ORDER BY a.number""", [values["start"], values["end"]])
    if report_id == "finance.balance_sheet":
        return (f"""
WITH b AS (SELECT a.number, a.name, a.type, {debit} - {credit} AS net {POSTED} AND e.entry_date <= ?
           GROUP BY a.id, a.number, a.name, a.type)
SELECT CASE type WHEN 'asset' THEN 'Assets' WHEN 'liability' THEN 'Liabilities' ELSE 'Equity' END, number, name,
       CASE WHEN type = 'asset' THEN net ELSE -net END
FROM b WHERE type IN ('asset', 'liability', 'equity')
UNION ALL
SELECT 'Equity', '', 'Result not yet closed into retained earnings', unclosed
FROM (SELECT -SUM(net) AS unclosed FROM b WHERE type IN ('revenue', 'expense')) u WHERE unclosed <> 0""",
                [values["as_of"]])
    if report_id == "finance.budget_vs_actual":
        year, month, period = values["year"], values["month"], values["period"]
        first = {"month": month, "quarter": (month - 1) // 3 * 3 + 1, "ytd": 1}[period]
        start, end = dt.date(year, first, 1), month_end(year, month)
        jan, dec = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return (BUDGET_VS_ACTUAL, [year, first, month, start, end, end, jan, dec, start, end, month, month, month])
    raise KeyError(report_id)


def rows_of(report_id: str, values: dict):
    """The report's figures as tuples in the hand-written query's column order (totals repeated on each row)."""
    keys = {"finance.trial_balance": ("number", "name", "type", "debit_cents", "credit_cents", "balance_cents"),
            "finance.profit_and_loss": ("number", "name", "type", "amount_cents"),
            "finance.balance_sheet": ("section", "number", "name", "amount_cents"),
            "finance.budget_vs_actual": ("number", "name", "type", "budget_cents", "actual_cents", "committed_cents",
                                         "variance_cents", "available_cents", "year_budget_cents",
                                         "forecast_cents")}[report_id]
    totals = {"finance.trial_balance": ("debit_cents", "credit_cents"),
              "finance.profit_and_loss": ("amount_cents",)}.get(report_id, ())

    def rows(result):
        return [tuple(r[k] for k in keys) + tuple(result.totals[k] for k in totals) for r in result.rows]

    return rows


REPORTS = ("finance.trial_balance", "finance.profit_and_loss", "finance.balance_sheet", "finance.budget_vs_actual")


def report_values(spec, today: dt.date) -> dict:
    """A benchmark run's parameters: today for "as of", the year up to today, this year's budget through this
    month (year to date), every location."""
    known = {"as_of": today, "end": today, "start": today - dt.timedelta(days=365), "year": today.year,
             "month": today.month, "period": "ytd"}
    return {p.name: known.get(p.name) for p in spec.params}


def run_reports(app, repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """Time the four reports against their hand-written queries, each held to the bound whatever its time;
    returns their figures."""
    from medoffice_finance.reports import finance_reports

    specs = {spec.id: spec for spec in finance_reports()}
    found = []
    report_header()
    with app.app_context():
        db.connect(reuse_if_open=True)
        today = settings.today()
        for report_id in REPORTS:
            spec = specs[report_id]
            values = report_values(spec, today)
            sql, params = hand_sql(report_id, values)
            found += time_against_sql(report_id, lambda: spec.run(**values), rows_of(report_id, values), sql,
                                      params, repeat, number, prefix, floor=0)
        db.close()
    return found


def plugin_nav_urls(app, prefix: str) -> list[str]:
    """The nav pages and widgets of one plugin, as ``pages.py`` finds them (URLs under ``prefix``)."""
    return [url for url in pages.page_urls(app) if url.startswith(prefix + "/") or url == prefix]


def page_urls(app) -> list[str]:
    """Finance's nav pages and widget, recurring bills, bank rules, this year's budget grid, the latest bank
    statement and the deposit slip with the most items."""
    from medoffice_finance.models import BankStatement, Budget, DepositItem
    from peewee import fn

    urls = plugin_nav_urls(app, "/finance") + ["/finance/bills/recurring", "/finance/bank/rules"]
    with app.app_context():
        db.connect(reuse_if_open=True)
        year = settings.today().year
        budget = (Budget.select(fn.MIN(Budget.id)).where((Budget.year == year) & Budget.location.is_null())
                  .scalar())
        statement = BankStatement.select(fn.MAX(BankStatement.id)).scalar()
        deposit = (DepositItem.select(DepositItem.deposit).group_by(DepositItem.deposit)
                   .order_by(fn.COUNT(DepositItem.id).desc()).limit(1).scalar())
        db.close()
    if budget:
        urls.append(f"/finance/budgets/{budget}")
    if statement:
        urls.append(f"/finance/bank/statements/{statement}")
    if deposit:
        urls.append(f"/finance/deposits/{deposit}")
    return urls


def main(description: str, number: str, reports, urls) -> None:
    """The command line of the plugins' scripts: ``reports(app, repeat, number, prefix)`` and ``urls(app)``,
    their figures under goal ``number`` (PostgreSQL's names prefixed)."""
    def prefix(postgres: bool) -> str:
        return "PostgreSQL: " if postgres else ""

    run_command(description,
                lambda app, repeat, postgres: reports(app, repeat, number, prefix(postgres)),
                lambda app, requests, rounds, postgres: run_list_pages(app, urls(app), requests, rounds, number,
                                                                       prefix(postgres)))


if __name__ == "__main__":
    main(__doc__.splitlines()[0], GOAL, run_reports, page_urls)
