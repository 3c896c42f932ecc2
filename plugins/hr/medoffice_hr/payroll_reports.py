"""Payroll figures from posted runs, summed in SQL: the register of every run paid in a range (a core
report), Form 941 figures for a quarter, W-2 box totals per employee for a year, and year-to-date
amounts for a pay stub."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from medoffice import Column, ReportParam, ReportResult, ReportSpec, prepared
from medoffice.models import StaffMember
from medoffice.prepared import slot
from medoffice.settings import today
from peewee import JOIN, fn

from . import raw, tax_tables
from .models import Employment
from .payroll_models import PayRun, PayStub

AMOUNTS = ("gross_cents", "pretax_401k_cents", "pretax_125_cents", "federal_wages_cents", "fica_wages_cents",
           "federal_income_tax_cents", "social_security_cents", "medicare_cents", "additional_medicare_cents",
           "state_income_tax_cents", "posttax_cents", "net_cents", "employer_social_security_cents",
           "employer_medicare_cents", "employer_futa_cents", "employer_suta_cents")


def _sums(query) -> dict[str, int]:
    row = query.select(*[fn.COALESCE(fn.SUM(getattr(PayStub, a)), 0) for a in AMOUNTS]).tuples().first()
    return {a: int(v) for a, v in zip(AMOUNTS, row or [0] * len(AMOUNTS))}


# The register's one grouped query, built once and compiled once (medoffice.prepared), its rows read as the driver
# gives them: building and compiling its twenty-odd columns, then peewee's converter per cell, cost about as much as
# running it over a year of runs.
_RUNS_REGISTER = (PayRun.select(PayRun.id, PayRun.pay_date, PayRun.period_start, PayRun.period_end, PayRun.kind,
                                fn.COUNT(PayStub.id), *[fn.COALESCE(fn.SUM(getattr(PayStub, a)), 0) for a in AMOUNTS])
                  .join(PayStub, JOIN.LEFT_OUTER, on=(PayStub.run == PayRun.id))
                  .where((PayRun.status == "posted") & (PayRun.pay_date >= slot("start"))
                         & (PayRun.pay_date <= slot("end")))
                  .group_by(PayRun.id)  # the run's other columns follow from its key (SQL:1999; PostgreSQL too)
                  .order_by(PayRun.pay_date, PayRun.id))
_REGISTER_KEYS = ("id", "pay_date", "period_start", "period_end", "kind", "paid", *AMOUNTS)


def runs_register(start: dt.date, end: dt.date) -> list[dict]:
    """Every posted run paid from ``start`` to ``end`` with its summed amounts (one grouped query), by pay date."""
    day = raw.day
    return [dict(zip(_REGISTER_KEYS, (run_id, day(paid_on), day(first), day(last), kind, *map(int, counted))))
            for run_id, paid_on, first, last, kind, *counted in prepared.rows(_RUNS_REGISTER, "hr.runs_register",
                                                                             start=start, end=end)]


def _register_report(start: dt.date, end: dt.date) -> ReportResult:
    rows = []
    for run in runs_register(start, end):
        withheld = sum(run[a] for a in ("federal_income_tax_cents", "social_security_cents", "medicare_cents",
                                        "additional_medicare_cents", "state_income_tax_cents"))
        employer = sum(run[a] for a in ("employer_social_security_cents", "employer_medicare_cents",
                                        "employer_futa_cents", "employer_suta_cents"))
        rows.append({"pay_date": run["pay_date"], "period": f"{run['period_start']} to {run['period_end']}",
                     "kind": run["kind"], "paid": run["paid"], "gross_cents": run["gross_cents"],
                     "withheld_cents": withheld, "deductions_cents": run["pretax_401k_cents"]
                     + run["pretax_125_cents"] + run["posttax_cents"], "net_cents": run["net_cents"],
                     "employer_cents": employer})
    keys = ("gross_cents", "withheld_cents", "deductions_cents", "net_cents", "employer_cents")
    return ReportResult(
        columns=[Column("pay_date", "Pay date", "date"), Column("period", "Period", "text"),
                 Column("kind", "Run", "text"), Column("paid", "People paid", "int"),
                 Column("gross_cents", "Gross", "cents"), Column("withheld_cents", "Taxes withheld", "cents"),
                 Column("deductions_cents", "Deductions", "cents"), Column("net_cents", "Net pay", "cents"),
                 Column("employer_cents", "Employer taxes", "cents")],
        rows=rows, totals={k: sum(r[k] for r in rows) for k in keys},
        notes="Posted runs paid in the range (a correcting run on its own line); gross less taxes withheld and "
              "deductions is net pay.")


def _range_problems(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"end": "The end is before the start."} if end < start else {}


PAYROLL_REGISTER = ReportSpec(
    id="hr.payroll_register", title="Payroll register", permission="hr.payroll.view", run=_register_report,
    check=_range_problems, category="HR", description="Every posted pay run in a range: gross, taxes withheld, deductions, net pay and "
                              "the employer's taxes.",
    params=[ReportParam("start", "From", "date", required=True, default=lambda: today().replace(month=1, day=1)),
            ReportParam("end", "To", "date", required=True, default=today)])


def year_to_date(stub: PayStub) -> dict[str, int]:
    """The employee's amounts of the tax year through this stub's run (posted runs paid on or before it)."""
    run = stub.run
    return _sums(PayStub.select().join(PayRun).where(
        (PayStub.employment == stub.employment_id) & (PayRun.status == "posted") & (PayRun.tax_year == run.tax_year)
        & ((PayRun.pay_date < run.pay_date) | ((PayRun.pay_date == run.pay_date) & (PayRun.id <= run.id)))))


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def form_941(year: int, quarter: int) -> dict:
    """Form 941 lines for a quarter from the runs paid in it."""
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    in_quarter = PayStub.select().join(PayRun).where((PayRun.status == "posted") & (PayRun.pay_date >= first)
                                                     & (PayRun.pay_date <= last))
    sums = _sums(in_quarter)
    employees = in_quarter.select(fn.COUNT(PayStub.employment.distinct())).scalar() or 0
    table = tax_tables.for_year(year)
    ss_rate = Decimal(table["social_security"]["rate"]) * 2
    medicare_rate = Decimal(table["medicare"]["rate"]) * 2
    ss_wages = _cents(Decimal(sums["social_security_cents"]) / Decimal(table["social_security"]["rate"]))
    additional_rate = Decimal(table["medicare"]["additional_rate"])
    additional_wages = _cents(Decimal(sums["additional_medicare_cents"]) / additional_rate)
    line5a = _cents(Decimal(ss_wages) * ss_rate)
    line5c = _cents(Decimal(sums["fica_wages_cents"]) * medicare_rate)
    line5d = _cents(Decimal(additional_wages) * additional_rate)
    line5e = line5a + line5c + line5d
    line6 = sums["federal_income_tax_cents"] + line5e
    deposited = (sums["federal_income_tax_cents"] + sums["social_security_cents"] + sums["employer_social_security_cents"]
                 + sums["medicare_cents"] + sums["employer_medicare_cents"] + sums["additional_medicare_cents"])
    return {"first": first, "last": last, "line1_employees": employees, "line2_wages_cents": sums["federal_wages_cents"],
            "line3_federal_income_tax_cents": sums["federal_income_tax_cents"], "line5a_wages_cents": ss_wages,
            "line5a_tax_cents": line5a, "line5c_wages_cents": sums["fica_wages_cents"], "line5c_tax_cents": line5c,
            "line5d_wages_cents": additional_wages, "line5d_tax_cents": line5d, "line5e_cents": line5e,
            "line6_cents": line6, "line7_fractions_cents": deposited - line6, "line10_cents": deposited}


def w2_boxes(year: int) -> list[dict]:
    """W-2 box totals per employee for the runs paid in ``year``."""
    table = tax_tables.for_year(year)
    base = table["social_security"]["wage_base_cents"]
    fields = [fn.COALESCE(fn.SUM(getattr(PayStub, a)), 0) for a in AMOUNTS]
    rows = (PayStub.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name, *fields)
            .join(PayRun).switch(PayStub).join(Employment).join(StaffMember, on=(Employment.staff == StaffMember.id))
            .where((PayRun.status == "posted") & (PayRun.tax_year == year))
            .group_by(StaffMember.id, StaffMember.first_name, StaffMember.last_name)
            .order_by(StaffMember.last_name, StaffMember.first_name).tuples())
    result = []
    for staff_id, first, last, *values in rows:
        s = {a: int(v) for a, v in zip(AMOUNTS, values)}
        result.append({"staff_id": staff_id, "name": f"{last}, {first}",
                       "box1": s["federal_wages_cents"], "box2": s["federal_income_tax_cents"],
                       "box3": min(s["fica_wages_cents"], base), "box4": s["social_security_cents"],
                       "box5": s["fica_wages_cents"], "box6": s["medicare_cents"] + s["additional_medicare_cents"],
                       "box12d": s["pretax_401k_cents"], "box16": s["federal_wages_cents"],
                       "box17": s["state_income_tax_cents"]})
    return result
