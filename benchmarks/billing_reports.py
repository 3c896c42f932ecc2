"""Billing's reports and list pages against floors measured in the same run (issue 11, goals 2 and 5).

    python benchmarks/billing_reports.py --instance PATH [--database-url URL] [--repeat 5] [--requests 100]
                                         [--figures FILE]

The instance should hold the large demo data (`medoffice demo --size large`: 50,000 patients,
over 500,000 service lines with their payments and adjustments). Two parts:

1. Reports (goal 5): each billing report's run (parameters, SQL through peewee, rows built for
   core) is timed against a hand-written SQL query returning the same numbers, which are compared
   first; the two are run alternately and the best of ``--repeat`` runs of each counts. The ratio
   must stay at or below 1.5 (a report done in under 5 ms is not held to it: its time is then the
   fixed cost of building a query and its result).
2. List pages (goal 2): each billing list page, tab and the busiest patient ledger, in-process p95
   (Flask test client, logged in, read audit included) against the reference list page
   (``reference.py``), interleaved with it; at or below 3x.

With ``--database-url`` the figures count for goal 6. Prints one line per report and page with the
ratio, and a summary of those over their bound.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # noqa: E402
from pages import (CORE_FLOOR_URL, benchmark_user, database_of, goal, interleaved, ms,  # noqa: E402
                   percentile, resolve, serving_app)
from reference import reference_app  # noqa: E402

from medoffice import settings  # noqa: E402
from medoffice.db import db, is_sqlite  # noqa: E402
from medoffice.testing import TEST_PASSWORD  # noqa: E402

REPORT_BOUND = 1.5
PAGE_BOUND = 3.0
# Below this a report's time is the fixed cost of building one query and its result (about a
# millisecond), not SQL work; its ratio is printed but not held against the bound.
TIMING_FLOOR = 0.005
RECEIPTS = "('payment', 'patient_payment', 'refund')"

BUCKETS = """
  SUM(CASE WHEN {d} >= ? THEN {a} ELSE 0 END), SUM(CASE WHEN {d} < ? AND {d} >= ? THEN {a} ELSE 0 END),
  SUM(CASE WHEN {d} < ? AND {d} >= ? THEN {a} ELSE 0 END), SUM(CASE WHEN {d} < ? AND {d} >= ? THEN {a} ELSE 0 END),
  SUM(CASE WHEN {d} < ? THEN {a} ELSE 0 END)"""


def bucket_params(as_of: dt.date) -> list[dt.date]:
    """The boundaries in the order BUCKETS uses them."""
    d30, d60, d90, d120 = (as_of - dt.timedelta(days=n) for n in (30, 60, 90, 120))
    return [d30, d30, d60, d60, d90, d90, d120, d120]


LINE_SUMS = """
  SELECT patient_id, service_line_id AS line_id,
         SUM(CASE WHEN party = 'insurance' THEN amount_cents ELSE 0 END) AS ins,
         SUM(CASE WHEN party = 'patient' THEN amount_cents ELSE 0 END) AS pat,
         MIN(CASE WHEN party = 'patient' AND amount_cents > 0 THEN effective_date END) AS since
  FROM billing_line_transaction WHERE effective_date <= ? GROUP BY patient_id, service_line_id"""

FIRST_PRIMARY = """
  SELECT cl.service_line_id AS line_id, MIN(cl.claim_id) AS claim_id FROM billing_claim_line cl
  JOIN billing_claim c ON c.id = cl.claim_id WHERE c.responsibility = 'P' AND c.frequency_code <> '8'
  GROUP BY cl.service_line_id"""


def hand_sql(report_id: str, params: dict) -> tuple[str, list]:
    """The hand-written query (with '?' placeholders) returning the numbers of a report, and its parameters."""
    month = "strftime('%Y-%m', {})" if is_sqlite() else "to_char({}, 'YYYY-MM')"
    if report_id == "billing.ar_aging_payer":
        as_of = params["as_of"]
        return (f"""
WITH latest AS (SELECT cl.service_line_id AS line_id, MAX(cl.claim_id) AS claim_id FROM billing_claim_line cl
                JOIN billing_claim c ON c.id = cl.claim_id WHERE c.frequency_code <> '8' GROUP BY cl.service_line_id),
     owed AS (SELECT service_line_id AS line_id, SUM(amount_cents) AS ins FROM billing_line_transaction
              WHERE party = 'insurance' AND effective_date <= ? GROUP BY service_line_id)
SELECT COALESCE(p.name, '(no claim)'), {BUCKETS.format(d='sl.service_date', a='owed.ins')}, SUM(owed.ins)
FROM owed LEFT JOIN latest ON latest.line_id = owed.line_id LEFT JOIN billing_claim c ON c.id = latest.claim_id
LEFT JOIN billing_payer p ON p.id = c.payer_id LEFT JOIN billing_service_line sl ON sl.id = owed.line_id
GROUP BY p.id, p.name HAVING SUM(owed.ins) <> 0 ORDER BY p.name""", [as_of, *bucket_params(as_of)])
    if report_id == "billing.ar_aging_patient":
        as_of = params["as_of"]
        owes = "ls.line_id IS NOT NULL AND ls.pat > 0 AND "
        buckets = BUCKETS.format(d="ls.since", a="ls.pat").replace("WHEN ls.since", "WHEN " + owes + "ls.since")
        return (f"""
WITH ls AS ({LINE_SUMS})
SELECT p.account_number, {buckets},
       SUM(CASE WHEN ls.line_id IS NULL OR ls.pat < 0 THEN -ls.pat ELSE 0 END), SUM(ls.pat)
FROM ls JOIN core_patient p ON p.id = ls.patient_id
GROUP BY ls.patient_id, p.account_number, p.last_name, p.first_name HAVING SUM(ls.pat) >= 1
ORDER BY p.last_name, p.first_name""", [as_of, *bucket_params(as_of)])
    if report_id == "billing.days_in_ar":
        end = params["end"]
        first = end.replace(day=1)
        for _ in range(params["months"] + 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        m = month.format("effective_date")
        return (f"""
SELECT month, charges, receipts,
       SUM(net) OVER (ORDER BY month) + (SELECT COALESCE(SUM(amount_cents), 0) FROM billing_line_transaction
                                         WHERE effective_date < ?)
FROM (SELECT {m} AS month, SUM(CASE WHEN kind = 'charge' THEN amount_cents ELSE 0 END) AS charges,
             SUM(CASE WHEN kind IN {RECEIPTS} THEN -amount_cents ELSE 0 END) AS receipts, SUM(amount_cents) AS net
      FROM billing_line_transaction WHERE effective_date >= ? AND effective_date <= ? GROUP BY {m}) m
ORDER BY month""", [first, first, end])
    start, end = params.get("start"), params.get("end")
    if report_id == "billing.net_collection_rate":
        return (f"""
WITH fp AS ({FIRST_PRIMARY})
SELECT COALESCE(p.name, 'Self-pay'), SUM(CASE WHEN lt.kind = 'charge' THEN lt.amount_cents ELSE 0 END),
       SUM(CASE WHEN lt.kind = 'adjustment' AND lt.group_code = 'CO' AND lt.carc IN ('45', '253')
                THEN -lt.amount_cents ELSE 0 END),
       SUM(CASE WHEN lt.kind = 'payment' THEN -lt.amount_cents ELSE 0 END),
       SUM(CASE WHEN lt.kind = 'patient_payment' THEN -lt.amount_cents ELSE 0 END)
FROM billing_service_line sl JOIN billing_line_transaction lt ON lt.service_line_id = sl.id
LEFT JOIN fp ON fp.line_id = sl.id LEFT JOIN billing_claim c ON c.id = fp.claim_id
LEFT JOIN billing_payer p ON p.id = c.payer_id
WHERE sl.service_date BETWEEN ? AND ? GROUP BY p.name ORDER BY p.name""", [start, end])
    if report_id == "billing.denial_rate":
        era = """SELECT lt.claim_id, lt.service_line_id AS line_id, lt.payer_id,
                        SUM(CASE WHEN lt.kind = 'payment' THEN -lt.amount_cents ELSE 0 END) AS paid
                 FROM billing_line_transaction lt
                 WHERE lt.source = 'era' AND lt.claim_id IS NOT NULL AND lt.reverses_id IS NULL
                   AND lt.effective_date BETWEEN ? AND ?
                   AND NOT EXISTS (SELECT 1 FROM billing_line_transaction r WHERE r.reverses_id = lt.id)
                 GROUP BY lt.claim_id, lt.service_line_id, lt.payer_id"""
        return (f"""
WITH era AS ({era}),
     per_code AS (SELECT era.payer_id, sl.code, COUNT(*) AS lines FROM era
                  JOIN billing_service_line sl ON sl.id = era.line_id GROUP BY era.payer_id, sl.code),
     reasons AS (SELECT era.payer_id, era.line_id, lt.carc, SUM(-lt.amount_cents) AS cents FROM era
                 JOIN billing_line_transaction lt ON lt.claim_id = era.claim_id AND lt.service_line_id = era.line_id
                 WHERE era.paid = 0 AND lt.kind IN ('adjustment', 'writeoff') AND lt.group_code <> 'PR'
                   AND lt.source = 'era' AND lt.carc <> '' AND lt.reverses_id IS NULL
                 GROUP BY era.payer_id, era.line_id, era.claim_id, lt.carc)
SELECT p.name, reasons.carc, sl.code, COUNT(*), per_code.lines, SUM(reasons.cents)
FROM reasons JOIN billing_payer p ON p.id = reasons.payer_id JOIN billing_service_line sl ON sl.id = reasons.line_id
JOIN per_code ON per_code.payer_id = p.id AND per_code.code = sl.code
GROUP BY p.name, reasons.carc, sl.code, per_code.lines ORDER BY p.name, COUNT(*) DESC, reasons.carc, sl.code""",
                [start, end])
    if report_id == "billing.charges_receipts":
        m = month.format("lt.effective_date")
        return (f"""
SELECT {m}, COALESCE(s.last_name, '(no provider)'), SUM(CASE WHEN lt.kind = 'charge' THEN lt.amount_cents ELSE 0 END),
       SUM(CASE WHEN lt.kind = 'payment' THEN -lt.amount_cents ELSE 0 END),
       SUM(CASE WHEN lt.kind IN ('patient_payment', 'refund') AND lt.party = 'patient' THEN -lt.amount_cents ELSE 0 END)
FROM billing_line_transaction lt LEFT JOIN billing_service_line sl ON sl.id = lt.service_line_id
LEFT JOIN billing_encounter e ON e.id = sl.encounter_id LEFT JOIN core_staff s ON s.id = e.rendering_provider_id
WHERE lt.effective_date BETWEEN ? AND ? AND lt.kind IN ('charge', 'payment', 'patient_payment', 'refund')
GROUP BY {m}, s.last_name, s.first_name ORDER BY {m}, s.last_name, s.first_name""", [start, end])
    if report_id == "billing.payer_mix":
        return (f"""
WITH fp AS ({FIRST_PRIMARY})
SELECT COALESCE(p.name, 'Self-pay'), COUNT(DISTINCT sl.encounter_id), SUM(sl.charge_cents)
FROM billing_service_line sl LEFT JOIN fp ON fp.line_id = sl.id LEFT JOIN billing_claim c ON c.id = fp.claim_id
LEFT JOIN billing_payer p ON p.id = c.payer_id JOIN billing_encounter e ON e.id = sl.encounter_id
WHERE sl.service_date BETWEEN ? AND ? AND sl.active = ? AND e.status = 'posted'
GROUP BY p.name ORDER BY SUM(sl.charge_cents) DESC""", [start, end, True])
    if report_id == "billing.end_of_day":
        return ("""
SELECT COALESCE(u.full_name, pp.username), pp.method, SUM(CASE WHEN pp.kind = 'payment' THEN 1 ELSE 0 END),
       SUM(CASE WHEN pp.kind = 'payment' THEN pp.amount_cents ELSE 0 END),
       SUM(CASE WHEN pp.kind = 'refund' THEN 1 ELSE 0 END), SUM(CASE WHEN pp.kind = 'refund' THEN pp.amount_cents ELSE 0 END),
       SUM(CASE WHEN pp.kind = 'refund' THEN -pp.amount_cents ELSE pp.amount_cents END)
FROM billing_patient_payment pp LEFT JOIN core_user u ON u.id = pp.user_id
WHERE pp.received_on BETWEEN ? AND ? AND pp.voided_at IS NULL
GROUP BY COALESCE(u.full_name, pp.username), pp.method ORDER BY 1, 2""", [start, end])
    if report_id == "billing.statement_runs":
        return ("""SELECT id, statements, total_cents, SUM(statements) OVER (), SUM(total_cents) OVER ()
FROM billing_statement_run WHERE run_date BETWEEN ? AND ? ORDER BY run_date DESC, id DESC""", [start, end])
    raise KeyError(report_id)


# The report's row keys, in the order the hand-written query returns the same numbers.
KEYS = {
    "billing.ar_aging_payer": ("payer", "b0", "b1", "b2", "b3", "b4", "total"),
    "billing.ar_aging_patient": ("account", "b0", "b1", "b2", "b3", "b4", "credit", "total"),
    "billing.days_in_ar": ("month", "charges", "receipts", "ar"),
    "billing.net_collection_rate": ("payer", "charges", "contractual", "insurance_paid", "patient_paid"),
    "billing.denial_rate": ("payer", "carc", "code", "denied", "adjudicated", "cents"),
    "billing.charges_receipts": ("month", "provider", "charges", "insurance", "patient"),
    "billing.payer_mix": ("payer", "encounters", "charges"),
    "billing.end_of_day": ("user", "method", "payments", "payment_cents", "refunds", "refund_cents", "net"),
    "billing.statement_runs": ("run", "statements", "total_cents"),
}


def plain(value):
    """Values as both sides give them, comparable (numbers as ints; text without case, names cut at the comma)."""
    if isinstance(value, str):
        return value.split(",")[0].casefold()
    return int(value) if value is not None else None


def best_of_alternating(first, second, repeat: int) -> tuple[float, object, float, object]:
    """The fastest of ``repeat`` calls of each function, called in turn (so drift falls on both alike),
    in seconds, with each one's last result."""
    times: tuple[list, list] = ([], [])
    results = [None, None]
    for _ in range(repeat):
        for index, func in enumerate((first, second)):
            start = time.perf_counter()
            results[index] = func()
            times[index].append(time.perf_counter() - start)
    return min(times[0]), results[0], min(times[1]), results[1]


def report_params(spec, today: dt.date) -> dict:
    """Parameters for a benchmark run: a year up to today (the end of day too: a year of desk payments),
    every payer and provider, 12 months."""
    values = {}
    for param in spec.params:
        if param.name in ("as_of", "end"):
            values[param.name] = today
        elif param.name == "start":
            values[param.name] = today - dt.timedelta(days=365)
        elif param.name == "months":
            values[param.name] = 12
        else:
            values[param.name] = None
    return values


def run_reports(app, repeat: int, postgres: bool) -> list[figures.Figure]:
    """Time every billing report against its hand-written query; returns their figures (goal 5)."""
    from medoffice_billing.reports import billing_reports

    found = []
    number, prefix = ("6", "PostgreSQL: ") if postgres else ("5", "")
    print(f"{'report':<34} {'rows':>7} {'report s':>9} {'hand SQL s':>10} {'ratio':>6}")
    with app.app_context():
        db.connect(reuse_if_open=True)
        today = settings.today()
        for spec in billing_reports():
            values = report_params(spec, today)
            sql, params = hand_sql(spec.id, values)
            if not is_sqlite():
                sql = sql.replace("?", "%s")
            ours, result, theirs, cursor_rows = best_of_alternating(
                lambda: spec.run(**values), lambda: db.execute_sql(sql, params).fetchall(), repeat)
            keys = KEYS[spec.id]
            mine = [tuple(plain(row[k]) for k in keys) for row in result.rows]
            hand = [tuple(plain(v) for v in row[:len(keys)]) for row in cursor_rows]
            if spec.id == "billing.days_in_ar":
                hand = hand[-len(mine):]
            if sorted(mine, key=str) != sorted(hand, key=str):
                raise SystemExit(f"{spec.id}: the report and the hand-written query disagree "
                                 f"({len(mine)} and {len(hand)} rows; first {mine[:2]} vs {hand[:2]})")
            ratio = ours / max(theirs, 1e-6)
            if ours < TIMING_FLOOR:
                flag = "  (under the timing floor)"
            else:
                flag = "  OVER" if ratio > REPORT_BOUND else ""
                found.append(figures.Figure(number, f"{prefix}report {spec.id} / hand-written SQL", ratio,
                                            REPORT_BOUND, f"{ours * 1000:.0f} ms vs {theirs * 1000:.0f} ms"))
            print(f"{spec.id:<34} {len(mine):>7} {ours:>9.3f} {theirs:>10.3f} {ratio:>6.2f}{flag}")
        db.close()
    return found


def page_urls(app) -> list[str]:
    """The billing list pages, and the ledger of the patient with the most ledger entries."""
    from medoffice_billing.ledger import LT
    from medoffice_billing.models import StatementRun
    from peewee import fn

    with app.app_context():
        db.connect(reuse_if_open=True)
        busiest = (LT.select(LT.patient_id).group_by(LT.patient_id).order_by(fn.COUNT(LT.id).desc())
                   .limit(1).scalar())
        run = StatementRun.select(fn.MAX(StatementRun.id)).scalar()
        db.close()
    urls = ["/billing/payments", "/billing/statements?sort=id&desc=1", "/billing/plans",
            "/billing/plans?status=missed", "/billing/collections", "/billing/collections?tab=past_due",
            "/billing/collections?tab=placed", "/billing/worklists", "/billing/worklists?tab=rejected",
            "/billing/worklists?tab=denied", "/billing/worklists?tab=exceptions"]
    if run:
        urls.append(f"/billing/statements/runs/{run}")
    if busiest:
        urls.append(f"/billing/patients/{busiest}/ledger")
    return urls


def run_list_pages(app, urls: list[str], requests: int, rounds: int, number: str,
                   prefix: str) -> list[figures.Figure]:
    """Time a plugin's pages against the reference list page and core's bare route, interleaved; returns their
    figures under goal ``number``, each p95 against the reference's."""
    username = benchmark_user(app)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    urls = [resolve(client, url) for url in urls]
    targets = [("core's bare route", client, CORE_FLOOR_URL),
               ("reference list page", reference_app(database_of(app)).test_client(), "/")]
    samples = interleaved(targets + [(url, client, url) for url in urls], requests, rounds)
    ref_p95 = percentile(samples["reference list page"], 95)
    for label, _client, _url in targets:
        print(f"\n{label}: {ms(samples[label])}", end="")
    print(f"\n{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'p95/ref':>8}")
    found = []
    for url in urls:
        p95 = percentile(samples[url], 95)
        ratio = p95 / ref_p95
        found.append(figures.Figure(number, f"{prefix}{url} / reference page (p95)", ratio, PAGE_BOUND,
                                    ms(samples[url])))
        print(f"{url:<48} {statistics.median(samples[url]) * 1000:>8.2f} {p95 * 1000:>8.2f} {ratio:>8.1f}"
              + ("  OVER" if ratio > PAGE_BOUND else ""))
    return found


def run_pages(app, requests: int, rounds: int, postgres: bool) -> list[figures.Figure]:
    """Time billing's list pages against the reference list page, interleaved; returns their figures (goal 2)."""
    number, prefix = goal("2", postgres)
    return run_list_pages(app, page_urls(app), requests, rounds, number, prefix)


def run_command(description: str, reports, pages) -> None:
    """The command line every report benchmark shares: ``reports(app, repeat, postgres)`` and
    ``pages(app, requests, rounds, postgres)`` each return their figures; exit 1 when any is over."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--database-url", help="postgresql://... holding the instance's data")
    parser.add_argument("--repeat", type=int, default=5, help="runs per report and query (the best counts)")
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--rounds", type=int, default=10, help="rounds the page requests are spread over")
    parser.add_argument("--skip-pages", action="store_true", help="time the reports only")
    parser.add_argument("--skip-reports", action="store_true", help="time the list pages only")
    parser.add_argument("--figures", help="append the figures to this JSON lines file (make bench)")
    args = parser.parse_args()
    app = serving_app(args.instance, args.database_url)
    postgres = not database_of(app).endswith(".sqlite3")
    found = [] if args.skip_reports else reports(app, args.repeat, postgres)
    if not args.skip_pages:
        found += pages(app, args.requests, args.rounds, postgres)
    over = [f for f in found if f.over]
    print("\n" + (f"Over their bound: {', '.join(f.name for f in over)}" if over else
                  f"Every report within {REPORT_BOUND}x its hand-written query; every page within {PAGE_BOUND}x "
                  "the reference list page."))
    if args.figures:
        figures.append(args.figures, *found)
    if over:
        raise SystemExit(1)


if __name__ == "__main__":
    run_command(__doc__.splitlines()[0], run_reports, run_pages)
