"""Pay runs: a draft run computes every employee's paycheck for a pay period (approved time at the
rate in effect, overtime at 1.5x, paid leave, salary, bonuses, standing deductions and benefits),
lists what blocks it (unapproved time, a missing W-4 or pay rate, a net below zero), and once clear
is posted: it never changes again, its timesheets are marked paid, and its payroll journal is
published as durable events a bookkeeping module can book (each a balanced debit and credit)."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from medoffice import audit, settings
from medoffice.bulk import insert_rows
from medoffice.db import transaction, utcnow
from medoffice.events import EventType, publish
from medoffice.models import StaffMember
from peewee import fn

from . import benefits, paycheck, rules, tax_tables, timesheets
from .employees import HrError
from .models import Employment, PayRate
from .payroll_models import Deduction, PayRun, PayRunBonus, PayStub, W4Record
from .time_models import LeavePolicy, LeaveRequest, Timesheet

STATE_SETTING = "hr.payroll_state"
SUTA_RATE_SETTING = "hr.suta_rate_bp"
SUTA_BASE_SETTING = "hr.suta_wage_base_cents"
DEDUCTION_KINDS = (("401k", "401(k) deferral (pre-tax for income tax only)"),
                   ("section125", "Section 125 plan (pre-tax for all taxes)"),
                   ("hsa", "HSA through the cafeteria plan (pre-tax for all taxes)"),
                   ("posttax", "After-tax deduction"))
# The journal: (kind, stub field, debit side) — each line is a balanced debit and credit in the books.
JOURNAL = (("net_pay", "net_cents", "wages"), ("employee_federal_income_tax", "federal_income_tax_cents", "wages"),
           ("employee_social_security", "social_security_cents", "wages"), ("employee_medicare", "medicare_cents", "wages"),
           ("employee_additional_medicare", "additional_medicare_cents", "wages"),
           ("employee_state_income_tax", "state_income_tax_cents", "wages"),
           ("employee_401k", "pretax_401k_cents", "wages"), ("employee_section_125", "pretax_125_cents", "wages"),
           ("employee_post_tax", "posttax_cents", "wages"),
           ("employer_social_security", "employer_social_security_cents", "employer_taxes"),
           ("employer_medicare", "employer_medicare_cents", "employer_taxes"),
           ("employer_futa", "employer_futa_cents", "employer_taxes"),
           ("employer_suta", "employer_suta_cents", "employer_taxes"))
JOURNAL_LINE = EventType("hr.payroll_journal_line", 1, {
    "run_id": "int", "kind": "str", "debit": "str", "amount_cents": "cents", "effective_date": "date",
    "posted_at": "timestamp", "reference": "str", "corrects_run_id": "int?"}, (
    "One line of a posted pay run's payroll journal: debit the wages expense (debit='wages') or the employer "
    "payroll tax expense (debit='employer_taxes') and credit what kind names: net_pay (cash or net pay payable), "
    "employee_federal_income_tax, employee_social_security, employee_medicare, employee_additional_medicare, "
    "employee_state_income_tax, employee_401k, employee_section_125, employee_post_tax (liabilities withheld), "
    "employer_social_security, employer_medicare, employer_futa, employer_suta (employer tax liabilities). The "
    "wages lines of a run add up to its gross pay; effective_date is the pay date."))


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def w4_of(employment: Employment) -> paycheck.W4 | None:
    """The employee's W-4 as the paycheck computation takes it, or None when none is on file."""
    row = W4Record.get_or_none(W4Record.employment == employment)
    return None if row is None else _w4(row)


# A W-4 record's columns in the order paycheck.W4 takes them.
_W4_FIELDS = (W4Record.filing_status, W4Record.step2, W4Record.step3_cents, W4Record.step4a_cents,
              W4Record.step4b_cents, W4Record.step4c_cents, W4Record.state_allowances)


def _w4(row: W4Record) -> paycheck.W4:
    return paycheck.W4(*(getattr(row, field.name) for field in _W4_FIELDS))


def save_w4(employment: Employment, w4: paycheck.W4) -> None:
    """Keep the employee's W-4; impossible values (negative amounts, an unknown status) are refused."""
    if w4.filing_status not in dict(paycheck.FILING_STATUSES):
        raise HrError("Choose the filing status.", "filing_status")
    for field in ("step3_cents", "step4a_cents", "step4b_cents", "step4c_cents"):
        if getattr(w4, field) < 0 or getattr(w4, field) > 100_000_000:
            raise HrError("W-4 amounts are from $0 to $1,000,000.", field.removesuffix("_cents"))
    if not 0 <= w4.state_allowances <= 99:
        raise HrError("State allowances are 0 to 99.", "state_allowances")
    with transaction():
        row = W4Record.get_or_none(W4Record.employment == employment) or W4Record(employment=employment)
        for field in ("filing_status", "step2", "step3_cents", "step4a_cents", "step4b_cents", "step4c_cents",
                      "state_allowances"):
            setattr(row, field, getattr(w4, field))
        row.updated_at = utcnow()
        row.save()
        audit.record("hr.w4.save", "hr_w4", row.id, detail={"staff_id": employment.staff_id})


def add_deduction(employment: Employment, kind: str, description: str, amount_cents: int, percent_bp: int,
                  starts_on: dt.date, ends_on: dt.date | None) -> Deduction:
    """A standing deduction (a fixed amount, or for a 401(k) also a percent of gross)."""
    if kind not in dict(DEDUCTION_KINDS):
        raise HrError("Choose the kind of deduction.", "kind")
    if amount_cents < 0 or percent_bp < 0 or (amount_cents == 0) == (percent_bp == 0):
        raise HrError("Give either an amount or (for a 401(k)) a percent, above zero.", "amount")
    if percent_bp and kind != "401k":
        raise HrError("Only a 401(k) deferral is a percent of pay.", "percent")
    if percent_bp > 10_000:
        raise HrError("A percent is at most 100.", "percent")
    if ends_on is not None and ends_on < starts_on:
        raise HrError("It ends after it starts.", "ends_on")
    with transaction():
        row = Deduction.create(employment=employment, kind=kind, description=description, amount_cents=amount_cents,
                               percent_bp=percent_bp, starts_on=starts_on, ends_on=ends_on)
        audit.record("hr.deduction.create", "hr_deduction", row.id, detail={"staff_id": employment.staff_id,
                                                                         "kind": kind})
    return row


def _in_run(run: PayRun) -> list[Employment]:
    return list(_run_query(run))


def _run_query(run: PayRun):
    query = (Employment.select(Employment, StaffMember).join(StaffMember, on=(Employment.staff == StaffMember.id))
             .where((Employment.hire_date <= run.period_end)
                    & (Employment.end_date.is_null() | (Employment.end_date >= run.period_start))
                    & (Employment.employment_type != "contractor"))
             .order_by(StaffMember.last_name, StaffMember.first_name))
    if run.kind == "correcting":
        query = query.where(Employment.id.in_(PayRunBonus.select(PayRunBonus.employment).where(PayRunBonus.run == run)))
    return query


def _ytd(run: PayRun, employment_ids) -> dict[int, tuple[int, int]]:
    """Employment id -> (gross, FICA wages) of the year's posted runs paid before this one, for the
    employments in ``employment_ids`` (ids, or a query of them)."""
    rows = (PayStub.select(PayStub.employment, fn.SUM(PayStub.gross_cents), fn.SUM(PayStub.fica_wages_cents))
            .join(PayRun).where((PayRun.status == "posted") & (PayRun.tax_year == run.tax_year)
                                & (PayRun.id != run.id) & PayStub.employment.in_(employment_ids))
            .group_by(PayStub.employment).tuples())
    return {e: (int(g or 0), int(f or 0)) for e, g, f in rows}


def _grouped(rows, key) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(key(row), []).append(row)
    return found


def _inputs(run: PayRun, ids) -> SimpleNamespace:
    """What the run's paychecks read (W-4s, pay rates, bonuses, timesheets, paid leave, deductions and
    benefits), for every employee in ``ids`` (a query of their ids) at once: a query per kind, not per
    person."""
    pay_date = run.pay_date
    leave = (LeaveRequest.select(LeaveRequest.employment, fn.SUM(LeaveRequest.minutes)).join(LeavePolicy)
             .where(LeaveRequest.employment.in_(ids) & (LeaveRequest.status == "approved") & LeavePolicy.paid
                    & (LeaveRequest.starts_on >= run.period_start) & (LeaveRequest.starts_on <= run.period_end))
             .group_by(LeaveRequest.employment).tuples())
    bonuses = (PayRunBonus.select(PayRunBonus.employment, fn.SUM(PayRunBonus.amount_cents))
               .where((PayRunBonus.run == run) & PayRunBonus.employment.in_(ids))
               .group_by(PayRunBonus.employment).tuples())
    deductions = (Deduction.select(Deduction.employment, Deduction.kind, Deduction.amount_cents, Deduction.percent_bp)
                  .where(Deduction.employment.in_(ids) & (Deduction.starts_on <= pay_date)
                         & (Deduction.ends_on.is_null() | (Deduction.ends_on >= pay_date))).objects(SimpleNamespace))
    rates = PayRate.select(PayRate.employment, PayRate.effective_on, PayRate.basis, PayRate.amount_cents).where(
        PayRate.employment.in_(ids)).objects(SimpleNamespace)
    sheets = (Timesheet.select(Timesheet.employment, Timesheet.status, Timesheet.regular_minutes,
                               Timesheet.overtime_minutes)
              .where((Timesheet.period_start == run.period_start) & Timesheet.employment.in_(ids))
              .objects(SimpleNamespace))
    w4s = W4Record.select(W4Record.employment, *_W4_FIELDS).where(W4Record.employment.in_(ids)).tuples()
    return SimpleNamespace(
        w4s={employment_id: paycheck.W4(*w4) for employment_id, *w4 in w4s},
        rates=_grouped(rates, lambda r: r.employment),
        bonuses={e: int(total) for e, total in bonuses},
        sheets={s.employment: s for s in sheets},
        leave={e: int(minutes) for e, minutes in leave},
        deductions=_grouped(deductions, lambda d: d.employment),
        plans=benefits.enrollments_on(ids, pay_date))


def _deductions(employment_id: int, inputs: SimpleNamespace, gross: int) -> tuple[int, int, int]:
    """(401(k), section 125 and HSA, post-tax) for the paycheck, from standing deductions and benefits."""
    k401 = s125 = post = 0
    for row in inputs.deductions.get(employment_id, []):
        amount = row.amount_cents or _cents(Decimal(gross) * row.percent_bp / 10_000)
        if row.kind == "401k":
            k401 += amount
        elif row.kind in ("section125", "hsa"):
            s125 += amount
        else:
            post += amount
    from_plans = benefits.plan_deductions(inputs.plans.get(employment_id, []), gross)
    return k401 + from_plans.k401, s125 + from_plans.section125, post + from_plans.posttax


def _gross(run: PayRun, employment: Employment, periods: int, problems: list, inputs: SimpleNamespace) -> dict | None:
    name = employment.staff.display_name
    rate = rules.rate_in_effect(inputs.rates.get(employment.id, []), run.period_end)
    if rate is None:
        problems.append((name, "has no pay rate in effect."))
        return None
    parts = {"basis": rate.basis, "rate_cents": rate.amount_cents, "regular_minutes": 0, "overtime_minutes": 0,
             "leave_minutes": 0, "regular_cents": 0, "overtime_cents": 0, "leave_cents": 0}
    parts["bonus_cents"] = inputs.bonuses.get(employment.id, 0)
    if run.kind == "correcting":
        return parts
    if rate.basis == "salary":
        parts["regular_cents"] = _cents(Decimal(rate.amount_cents) / periods)
        return parts
    sheet = inputs.sheets.get(employment.id)
    if sheet is None or sheet.status not in ("approved", "paid"):
        problems.append((name, "has time in this period that is not approved."))
        return None
    leave_minutes = inputs.leave.get(employment.id, 0)
    hourly = Decimal(rate.amount_cents) / 60
    parts.update(regular_minutes=sheet.regular_minutes, overtime_minutes=sheet.overtime_minutes,
                 leave_minutes=leave_minutes, regular_cents=_cents(hourly * sheet.regular_minutes),
                 overtime_cents=_cents(hourly * Decimal("1.5") * sheet.overtime_minutes),
                 leave_cents=_cents(hourly * leave_minutes))
    return parts


def create_run(period_day: dt.date, pay_date: dt.date, by: str, corrects: PayRun | None = None) -> PayRun:
    """A draft run for the pay period holding ``period_day`` (a correcting run for a posted run's period)."""
    start, end = timesheets.period_of(period_day) if corrects is None else (corrects.period_start, corrects.period_end)
    if pay_date < start:
        raise HrError("Pay is dated on or after the period starts.", "pay_date")
    if corrects is None and PayRun.select().where((PayRun.period_start == start) & (PayRun.kind == "regular")).exists():
        raise HrError("That period already has a pay run: fix a posted one with a correcting run.", "period_day")
    if corrects is not None and corrects.status != "posted":
        raise HrError("Only a posted run is corrected.")
    tax_tables.for_year(pay_date.year)  # refuse a year without a table now, not at posting
    with transaction():
        run = PayRun.create(period_start=start, period_end=end, pay_date=pay_date, frequency=timesheets.frequency(),
                            kind="correcting" if corrects else "regular", corrects=corrects, tax_year=pay_date.year,
                            created_by=by)
        audit.record("hr.pay_run.create", "hr_pay_run", run.id, detail={"period_start": start.isoformat(),
                                                                        "kind": run.kind})
    return run


def add_bonus(run: PayRun, employment: Employment, amount_cents: int, note: str) -> None:
    """Add a bonus (or, on a correcting run, the pay that was missed) to a draft run."""
    if run.status != "draft":
        raise HrError("A posted run does not change: make a correcting run.")
    if amount_cents <= 0:
        raise HrError("The amount is more than zero.", "amount")
    with transaction():
        row = PayRunBonus.create(run=run, employment=employment, amount_cents=amount_cents, note=note)
        audit.record("hr.pay_run.bonus", "hr_pay_run", run.id, detail={"staff_id": employment.staff_id,
                                                                       "amount_cents": amount_cents, "bonus_id": row.id})


def payroll_state() -> str:
    """The state whose tax table entry withholds state income tax: the payroll state setting, else the
    practice's own state."""
    return (settings.get(STATE_SETTING) or settings.get("core.state") or "").strip().upper()


def compute(run: PayRun) -> list[tuple[str, str]]:
    """Recompute a draft run's stubs; returns the problems that block posting (name, what)."""
    if run.status != "draft":
        raise HrError("A posted run does not change: make a correcting run.")
    table = tax_tables.for_year(run.tax_year)
    periods = table["federal"]["pay_periods"][run.frequency]
    state = payroll_state()
    suta_rate = Decimal(int(settings.get(SUTA_RATE_SETTING))) / 10_000
    suta_base = int(settings.get(SUTA_BASE_SETTING))
    problems: list[tuple[str, str]] = []
    if state not in table["states"]:
        problems.append(("Settings", f"the payroll state {state or '(none)'} has no entry in the {run.tax_year} tax table."))
        state = ""
    query = _run_query(run)
    people = list(query)
    ids = query.select(Employment.id).order_by()  # the same people as a subquery, not a list of ids
    ytd = _ytd(run, ids)
    inputs = _inputs(run, ids)
    stubs = []
    for employment in people:
        name = employment.staff.display_name
        w4 = inputs.w4s.get(employment.id)
        if w4 is None:
            problems.append((name, "has no W-4 on file."))
            continue
        parts = _gross(run, employment, periods, problems, inputs)
        if parts is None:
            continue
        gross = parts["regular_cents"] + parts["overtime_cents"] + parts["leave_cents"] + parts["bonus_cents"]
        k401, s125, post = _deductions(employment.id, inputs, gross) if run.kind == "regular" else (0, 0, 0)
        gross_ytd, fica_ytd = ytd.get(employment.id, (0, 0))
        try:
            check = paycheck.compute(table, paycheck.PaycheckInput(
                run.frequency, gross, w4, pretax_401k_cents=k401, pretax_125_cents=s125, posttax_cents=post,
                ytd_gross_cents=gross_ytd, ytd_fica_wages_cents=fica_ytd, state=state, suta_rate=suta_rate,
                suta_wage_base_cents=suta_base))
        except paycheck.PayrollInputError as bad:
            problems.append((name, str(bad)))
            continue
        if check.net_cents < 0:
            problems.append((name, f"would be paid a net below zero ({check.net_cents / 100:.2f}): lower a deduction."))
        values = check.as_dict()
        values.pop("pretax_cents")
        stubs.append({"run": run.id, "employment": employment.id, **parts, **values})
    with transaction():
        PayStub.delete().where(PayStub.run == run).execute()
        insert_rows(PayStub, stubs)
    return problems


def journal(run: PayRun) -> list[tuple[str, str, int]]:
    """The run's journal lines (kind, debit side, amount), summed in SQL; the wages lines add up to the gross."""
    fields = [getattr(PayStub, field) for _kind, field, _debit in JOURNAL]
    sums = PayStub.select(*[fn.COALESCE(fn.SUM(f), 0) for f in fields], fn.COALESCE(fn.SUM(PayStub.gross_cents), 0)) \
        .where(PayStub.run == run).tuples().first()
    lines = [(kind, debit, int(amount)) for (kind, _field, debit), amount in zip(JOURNAL, sums[:-1])]
    wages = sum(amount for _kind, debit, amount in lines if debit == "wages")
    if wages != int(sums[-1]):
        raise HrError(f"The run does not balance: gross {int(sums[-1])} against {wages} paid out and withheld.")
    return lines


def post(run: PayRun, by: str) -> None:
    """Post a draft run once nothing blocks it: recomputed, checked, balanced, then immutable; its
    timesheets are marked paid and its journal published in the same transaction."""
    problems = compute(run)
    if problems:
        raise HrError("Resolve these first: " + "; ".join(f"{who} {what}" for who, what in problems))
    if not PayStub.select().where(PayStub.run == run).exists():
        raise HrError("Nobody is paid in this run.")
    with transaction():
        lines = journal(run)
        updated = PayRun.update(status="posted", posted_by=by, posted_at=utcnow()).where(
            (PayRun.id == run.id) & (PayRun.status == "draft")).execute()
        if not updated:
            raise HrError("This run was posted already.")
        run = PayRun.get_by_id(run.id)
        if run.kind == "regular":
            Timesheet.update(status="paid").where(
                (Timesheet.period_start == run.period_start) & (Timesheet.status == "approved")
                & Timesheet.employment.in_(PayStub.select(PayStub.employment).where(PayStub.run == run))).execute()
        for kind, debit, amount in lines:
            if amount:
                publish(JOURNAL_LINE.name, {"run_id": run.id, "kind": kind, "debit": debit, "amount_cents": amount,
                                            "effective_date": run.pay_date, "posted_at": run.posted_at,
                                            "reference": f"Pay run {run.id}", "corrects_run_id": run.corrects_id})
        audit.record("hr.pay_run.post", "hr_pay_run", run.id,
                     detail={"gross_cents": sum(a for _k, d, a in lines if d == "wages")})


def delete_draft(run: PayRun) -> None:
    """Throw away a draft run (a posted one stays forever)."""
    if run.status != "draft":
        raise HrError("A posted run is never deleted: make a correcting run.")
    with transaction():
        run_id = run.id
        run.delete_instance(recursive=True)
        audit.record("hr.pay_run.delete", "hr_pay_run", run_id)

