"""HR's pay run, payroll register and pages against floors measured in the same run (issue 14).

    python benchmarks/hr_payroll.py --instance PATH [--database-url URL] [--repeat 5] [--requests 100]
                                    [--rounds 10] [--figures FILE]

The instance should hold the large demo data (`medoffice demo --size large`: 120 employees, a year of
posted biweekly payroll) with HR on. Three parts:

1. Pay run, on a copy of the instance (a consistent SQLite backup in a temporary folder, removed
   afterwards): the copy is made to hold 120 active employees with a pay rate and a W-4 (the missing
   ones added through HR's services: staff members, ``employees.save_employment`` and
   ``add_pay_rate``, a W-4 and benefits as the demo enrolls them, the last ended pay period's clocked
   time for the hourly ones), that period's timesheets are approved (``timesheets.approve``) and a draft
   run is created for it (the demo leaves it unpaid, as a practice finds it the morning after). Timed: ``payroll.compute(run)``, gross to net for all 120 (rates, time,
   leave, bonuses, deductions and benefits read, every paycheck computed, the stubs rows rewritten; no
   PDF stub is rendered). The floor: the same 120 calls of the pure ``paycheck.compute`` on the very
   inputs the run passed it (captured once, before timing), in a plain loop. That is the work a pay
   run cannot avoid whatever its storage, so the ratio reads directly as what reading each
   employee's inputs and writing the stubs cost per unit of the arithmetic itself; a floor of one SQL
   read of the same rows would take less time than the arithmetic on 120 rows and the ratio would
   mostly measure Decimal arithmetic. The floor's paychecks are compared with the stubs first (exit 1
   when they differ). The issue sets no bound: the figure is printed and recorded, never over.
2. Payroll register over five years, on the same copy: when it holds less than five years of posted
   runs, its earliest year of runs and stubs (HR's own figures) is copied back a year at a time until
   five years are covered. HR's register over a range (``payroll_reports.runs_register``, the
   payroll register report's query): every posted run paid in the five years up to today with its totals,
   timed against one hand-written SQL query returning the same numbers (compared first; exit 1 when
   they disagree), alternately, best of ``--repeat``, at most 1.5x (``finance_reports.time_against_sql``).
3. List pages: HR's nav pages (as ``pages.py`` finds them) and the latest posted run's register page,
   in-process p95 against the reference list page (``reference.py``), interleaved with it and core's
   bare route, at most 3x (``billing_reports.run_list_pages``), on the instance as given.

With ``--database-url`` the instance's data is in PostgreSQL, which is not copied: parts 1 and the
seeding of part 2 are skipped (the register is timed on the data as it is). Figures count for goal
"14" (PostgreSQL's prefixed so). Prints one line per measurement with its ratio, and a summary of
those over their bound; exits 1 when any is. ``compliance_screening.py`` uses ``scratch_copy`` and
``time_against_floor``.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import shutil
import sqlite3
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # noqa: E402
from billing_reports import best_of_alternating  # noqa: E402
from dateutil.relativedelta import relativedelta  # noqa: E402
from finance_reports import main, plugin_nav_urls, report_header, time_against_sql  # noqa: E402
from pages import database_of  # noqa: E402

from medoffice import create_app, settings  # noqa: E402
from medoffice.db import db, is_sqlite, transaction  # noqa: E402

GOAL = "14"
EMPLOYEES = 120
YEARS = 5
UNBOUND = math.inf  # the issue sets no bound for this figure: printed and recorded, never over
BY = "benchmark"
FIRST = ("Avery", "Blake", "Cameron", "Drew", "Emerson", "Finley", "Harper", "Jamie", "Kendall", "Logan")
LAST = ("Abbott", "Bishop", "Cole", "Dunn", "Ellis", "Fox", "Grant", "Hale", "Irwin", "Judd", "Keane", "Lowe")


@contextmanager
def scratch_copy(app):
    """A copy of ``app``'s SQLite instance (settings, keys, audit anchors and a consistent backup of the
    database) opened as its own app in a request context; yields that app. The database proxy is given
    back to ``app``'s database and the copy removed afterwards."""
    source = Path(app.instance_path)
    folder = Path(tempfile.mkdtemp(prefix="medoffice-copy-bench-"))
    original = db.obj
    try:
        for name in ("medoffice.toml", "audit-anchors.jsonl"):
            if (source / name).exists():
                shutil.copy2(source / name, folder / name)
        src, dst = sqlite3.connect(source / "medoffice.sqlite3"), sqlite3.connect(folder / "medoffice.sqlite3")
        try:
            src.backup(dst)  # a consistent copy, whatever the write-ahead log still holds
        finally:
            dst.close()
            src.close()
        scratch = create_app(folder)
        with scratch.test_request_context():
            db.connect(reuse_if_open=True)
            try:
                yield scratch
            finally:
                db.close()
    finally:
        if db.obj is not original:
            db.obj.close_all()
            db.initialize(original)
        shutil.rmtree(folder, ignore_errors=True)


def time_against_floor(name: str, run, floor, rows: int, repeat: int, number: str, prefix: str,
                       floor_name: str) -> list[figures.Figure]:
    """Time ``run()`` against ``floor()``, alternately, best of ``repeat`` each (the results were compared
    by the caller); prints one line and returns the figure (no bound: never over)."""
    ours, _result, theirs, _floor_result = best_of_alternating(run, floor, repeat)
    ratio = ours / max(theirs, 1e-6)
    print(f"{name:<40} {rows:>7} {ours:>9.3f} {theirs:>10.3f} {ratio:>6.2f}  (floor: {floor_name}; no bound)")
    return [figures.Figure(number, f"{prefix}{name} / {floor_name}", ratio, UNBOUND,
                           f"{ours * 1000:.0f} ms vs {theirs * 1000:.0f} ms")]


# --- the pay run -------------------------------------------------------------------------------------


def staff_the_payroll(rng: random.Random, today: dt.date) -> int:
    """Make sure at least 120 active employees have a pay rate and a W-4 (adding what is missing through
    HR's services); returns how many were added."""
    from medoffice.bulk import insert_rows
    from medoffice.models import StaffMember
    from medoffice_hr import demo_history, employees, payroll
    from medoffice_hr.benefits_models import BenefitPlan
    from medoffice_hr.models import Employment, PayRate
    from medoffice_hr.payroll_models import W4Record
    from medoffice_hr.time_models import TimeEntry

    active = ((Employment.status != "ended") & Employment.end_date.is_null()
              & (Employment.employment_type != "contractor"))
    wanted = EMPLOYEES - Employment.select().where(active).count()
    ctx = SimpleNamespace(rng=rng, today=today)
    hired = today - dt.timedelta(days=400)
    if wanted > 0:
        with transaction():
            rows = [{"first_name": rng.choice(FIRST), "last_name": f"{rng.choice(LAST)}{i}", "job_title": "Staff",
                     "active": True} for i in range(wanted)]
            StaffMember.insert_many(rows).execute()
            added = (StaffMember.select().where(StaffMember.id.not_in(Employment.select(Employment.staff))
                                                & StaffMember.last_name.in_([r["last_name"] for r in rows]))
                     .order_by(StaffMember.id))
            for index, staff in enumerate(added):
                salaried = index % 3 == 0
                employment = employees.save_employment(staff, {
                    "hire_date": hired, "end_date": None, "status": "active", "employment_type": "full_time",
                    "flsa_exempt": salaried, "job_title": "Staff", "department": None, "location": None,
                    "supervisor": None})
                employees.add_pay_rate(employment, hired, "salary" if salaried else "hourly",
                                       rng.randint(60_000, 150_000) * 100 if salaried else rng.randint(1800, 3400),
                                       "Starting rate", BY)
    planned = BenefitPlan.select().where(BenefitPlan.name == "Health PPO").exists()
    period_start, period_end = last_ended_period(today)
    with transaction():
        time_rows = []
        for employment in Employment.select().where(active):
            if not PayRate.select().where(PayRate.employment == employment).exists():
                employees.add_pay_rate(employment, employment.hire_date, "hourly", 2500, "Benchmark rate", BY)
            if not W4Record.select().where(W4Record.employment == employment).exists():
                if planned:  # a W-4 and benefits, as the demo enrolls its employees
                    demo_history._enroll(ctx, employment, max(employment.hire_date, today - dt.timedelta(days=30)))
                else:
                    payroll.save_w4(employment, payroll.paycheck.W4("single"))
                if not employment.flsa_exempt:
                    time_rows += demo_history._clock(ctx, employment, period_start, period_end)
        for start in range(0, len(time_rows), 2000):
            insert_rows(TimeEntry, time_rows[start:start + 2000])
    return max(wanted, 0)


def last_ended_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The pay period that ended before ``today``'s: the one a practice pays next (whatever day of a period
    the benchmark runs on, it holds a whole period of clocked time)."""
    from medoffice_hr import timesheets

    current_start, _end = timesheets.period_of(today)
    return timesheets.period_of(current_start - dt.timedelta(days=1))


def draft_run(today: dt.date):
    """The last ended pay period's draft run, every hourly timesheet in it approved."""
    from medoffice_hr import payroll, timesheets
    from medoffice_hr.employees import HrError
    from medoffice_hr.payroll_models import PayRun

    start, _end = last_ended_period(today)
    run = PayRun.get_or_none((PayRun.period_start == start) & (PayRun.kind == "regular"))
    if run is not None and run.status != "draft":
        raise SystemExit(f"the pay period starting {start} is posted already: no draft run to compute")
    run = run or payroll.create_run(start, today, BY)
    for employment in payroll._in_run(run):
        if employment.flsa_exempt:
            continue
        try:
            timesheets.approve(employment, start, BY)
        except HrError as refused:
            if "already approved" not in str(refused):
                raise SystemExit(f"{employment.staff.display_name}: {refused}") from None
    return run


def time_pay_run(repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """Time one pay run's gross to net against the bare paycheck arithmetic on the same inputs."""
    from medoffice_hr import paycheck, payroll, tax_tables
    from medoffice_hr.payroll_models import PayStub

    today = settings.today()
    added = staff_the_payroll(random.Random(14), today)
    run = draft_run(today)
    inputs = []
    real = paycheck.compute

    def recording(table, values):
        inputs.append(values)
        return real(table, values)

    paycheck.compute = recording
    try:
        problems = payroll.compute(run)
    finally:
        paycheck.compute = real
    if problems:
        raise SystemExit(f"the pay run is blocked: {problems[:3]}")
    table = tax_tables.for_year(run.tax_year)
    checks = [paycheck.compute(table, values) for values in inputs]
    keys = ("gross_cents", "federal_income_tax_cents", "social_security_cents", "medicare_cents",
            "state_income_tax_cents", "net_cents", "employer_futa_cents", "employer_suta_cents")
    stubs = sorted(tuple(getattr(s, k) for k in keys) for s in PayStub.select().where(PayStub.run == run))
    floor_rows = sorted(tuple(getattr(c, k) for k in keys) for c in checks)
    if stubs != floor_rows:
        raise SystemExit(f"pay run: the stubs and the paycheck arithmetic disagree ({len(stubs)} and "
                         f"{len(floor_rows)} paychecks; first {stubs[:1]} vs {floor_rows[:1]})")
    print(f"pay run {run.period_start} to {run.period_end}: {len(stubs)} paychecks"
          + (f" ({added} employees added to the copy)" if added else ""))
    if len(stubs) < EMPLOYEES:
        raise SystemExit(f"only {len(stubs)} paychecks in the run, {EMPLOYEES} wanted")

    def arithmetic():
        return [paycheck.compute(table, values) for values in inputs]

    return time_against_floor(f"pay run of {len(stubs)}: gross to net", lambda: payroll.compute(run), arithmetic,
                              len(stubs), repeat, number, prefix, "the paycheck arithmetic alone")


# --- the payroll register over five years ------------------------------------------------------------


def five_years_of_runs(today: dt.date) -> int:
    """Copy the earliest year of posted runs and their stubs back a year (52 weeks) at a time until the
    posted runs cover the five years up to today; returns how many runs were added."""
    from medoffice_hr.payroll_models import PayRun, PayStub

    posted = list(PayRun.select().where((PayRun.status == "posted") & (PayRun.kind == "regular"))
                  .order_by(PayRun.pay_date, PayRun.id))
    if not posted:
        raise SystemExit("the instance has no posted pay run to build five years of payroll from")
    first = posted[0].pay_date
    since = today - relativedelta(years=YEARS)
    copies = max(0, math.ceil((first - since).days / 364))
    block = [r for r in posted if r.pay_date < first + dt.timedelta(days=364)]
    columns = ", ".join(f.column_name for f in PayStub._meta.sorted_fields if f.name not in ("id", "run"))
    added = 0
    with transaction():
        for k in range(1, copies + 1):
            back = dt.timedelta(days=364 * k)
            for old in block:
                new = PayRun.create(period_start=old.period_start - back, period_end=old.period_end - back,
                                    pay_date=old.pay_date - back, frequency=old.frequency, kind="regular",
                                    status="posted", tax_year=(old.pay_date - back).year, created_by=BY,
                                    posted_by=BY, posted_at=old.posted_at - back)
                db.execute_sql(f"INSERT INTO hr_pay_stub (run_id, {columns}) SELECT ?, {columns} FROM hr_pay_stub "
                               "WHERE run_id = ?", [new.id, old.id])
                added += 1
    return added


def time_register(today: dt.date, repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """Every posted run of the five years up to today with its register totals, against one query."""
    from medoffice_hr import payroll_reports

    start = today - relativedelta(years=YEARS)

    def register():
        return [(run["id"], run["pay_date"], *(run[a] for a in payroll_reports.AMOUNTS))
                for run in payroll_reports.runs_register(start, today)]

    sums = ", ".join(f"COALESCE(SUM(s.{a}), 0)" for a in payroll_reports.AMOUNTS)
    sql = f"""SELECT r.id, r.pay_date, {sums}
FROM hr_pay_run r LEFT JOIN hr_pay_stub s ON s.run_id = r.id
WHERE r.status = 'posted' AND r.pay_date >= ? AND r.pay_date <= ?
GROUP BY r.id, r.pay_date ORDER BY r.pay_date, r.id"""
    return time_against_sql(f"payroll register, {YEARS} years", register, lambda rows: rows, sql, [start, today],
                            repeat, number, prefix)


def run_reports(app, repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """The pay run and the five-year register on a copy of the instance (PostgreSQL: the register only,
    on the data as it is)."""
    if not database_of(app).endswith(".sqlite3") or not is_sqlite():
        print("PostgreSQL is not copied: the pay run is skipped and the register timed on the data as it is")
        report_header()
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                return time_register(settings.today(), repeat, number, prefix)
            finally:
                db.close()
    with scratch_copy(app):
        today = settings.today()
        added = five_years_of_runs(today)
        if added:
            print(f"the copy's earliest year of pay runs copied back: {added} runs added for {YEARS} years")
        report_header()
        found = time_pay_run(repeat, number, prefix)
        found += time_register(today, repeat, number, prefix)
    return found


def page_urls(app) -> list[str]:
    """HR's nav pages and the latest posted run's register."""
    from medoffice_hr.payroll_models import PayRun
    from peewee import fn

    urls = plugin_nav_urls(app, "/hr")
    with app.app_context():
        db.connect(reuse_if_open=True)
        latest = PayRun.select(fn.MAX(PayRun.id)).where(PayRun.status == "posted").scalar()
        db.close()
    if latest:
        urls.append(f"/hr/payroll/{latest}")
    return urls


if __name__ == "__main__":
    main(__doc__.splitlines()[0], GOAL, run_reports, page_urls)
