"""One paycheck from gross to net, by the numbers in a year's tax table (never a branch per year):
pre-tax deductions with their wage bases (a 401(k) deferral lowers federal income-tax wages but not
Social Security and Medicare wages; a section 125 deduction lowers both), federal income tax by
Publication 15-T's percentage method for automated payroll (Worksheet 1A, 2020-and-later W-4),
Social Security up to the year's wage base, Medicare and the additional 0.9% over the threshold
year to date, the state's withholding, the employer's Social Security, Medicare, FUTA and state
unemployment, and post-tax deductions. Integer cents throughout; rates are exact decimals."""
from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal

FILING_STATUSES = (("single", "Single or married filing separately"), ("married", "Married filing jointly"),
                   ("head", "Head of household"))


class PayrollInputError(ValueError):
    """A paycheck's inputs are impossible (negative money, an unknown filing status)."""


@dataclass(frozen=True)
class W4:
    """The employee's 2020-or-later Form W-4 (amounts a year, except 4(c) a pay period)."""

    filing_status: str = "single"
    step2: bool = False
    step3_cents: int = 0
    step4a_cents: int = 0
    step4b_cents: int = 0
    step4c_cents: int = 0
    state_allowances: int = 0


@dataclass(frozen=True)
class PaycheckInput:
    """What one paycheck is computed from; ``ytd_*`` are the year's amounts before this check."""

    frequency: str
    gross_cents: int
    w4: W4
    pretax_401k_cents: int = 0
    pretax_125_cents: int = 0
    posttax_cents: int = 0
    ytd_gross_cents: int = 0
    ytd_fica_wages_cents: int | None = None  # default: the gross year to date
    ytd_futa_wages_cents: int | None = None
    state: str = ""
    suta_rate: Decimal = Decimal(0)
    suta_wage_base_cents: int = 0


@dataclass(frozen=True)
class Paycheck:
    """The breakdown of one paycheck, in cents."""

    gross_cents: int
    pretax_cents: int
    pretax_401k_cents: int
    pretax_125_cents: int
    federal_wages_cents: int
    fica_wages_cents: int
    federal_income_tax_cents: int
    social_security_cents: int
    medicare_cents: int
    additional_medicare_cents: int
    state_income_tax_cents: int
    posttax_cents: int
    net_cents: int
    employer_social_security_cents: int
    employer_medicare_cents: int
    employer_futa_cents: int
    employer_suta_cents: int

    def as_dict(self) -> dict:
        """The breakdown as plain values (the preview command's JSON); every field is an int, so no deep
        copy as ``dataclasses.asdict`` makes (a pay run asks once per person)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _check(values: PaycheckInput, table: dict) -> None:
    money = {"gross": values.gross_cents, "401(k)": values.pretax_401k_cents, "section 125": values.pretax_125_cents,
             "post-tax deductions": values.posttax_cents, "year-to-date gross": values.ytd_gross_cents,
             "W-4 step 3": values.w4.step3_cents, "W-4 step 4(a)": values.w4.step4a_cents,
             "W-4 step 4(b)": values.w4.step4b_cents, "W-4 step 4(c)": values.w4.step4c_cents}
    for name, amount in money.items():
        if not isinstance(amount, int) or amount < 0:
            raise PayrollInputError(f"The {name} amount cannot be negative.")
    if values.w4.filing_status not in dict(FILING_STATUSES):
        raise PayrollInputError("The filing status is single, married or head (of household).")
    if values.frequency not in table["federal"]["pay_periods"]:
        raise PayrollInputError("The pay frequency is weekly, biweekly, semimonthly or monthly.")
    if values.pretax_401k_cents + values.pretax_125_cents > values.gross_cents:
        raise PayrollInputError("Pre-tax deductions cannot be more than the gross pay.")
    if values.w4.state_allowances < 0 or values.w4.state_allowances > 99:
        raise PayrollInputError("State allowances are 0 to 99.")


def federal_income_tax(table: dict, frequency: str, federal_wages_cents: int, w4: W4) -> int:
    """Worksheet 1A of Publication 15-T for one pay period, in cents."""
    federal = table["federal"]
    periods = federal["pay_periods"][frequency]
    annual = federal_wages_cents * periods + w4.step4a_cents  # lines 1c to 1e
    line_1g = 0 if w4.step2 else federal["line_1g_cents"][w4.filing_status]
    adjusted = max(0, annual - (w4.step4b_cents + line_1g))  # line 1i
    schedule = federal["step2_checkbox" if w4.step2 else "standard"][w4.filing_status]
    floor, base, rate = max((row for row in schedule if row[0] <= adjusted), key=lambda row: row[0])
    tentative_annual = Decimal(base) + (Decimal(adjusted - floor) * Decimal(rate))  # line 2f
    per_period = _cents(tentative_annual / periods)  # line 2h
    credit = _cents(Decimal(w4.step3_cents) / periods)  # line 3b
    return max(0, per_period - credit) + w4.step4c_cents  # lines 3c and 4b


def state_income_tax(table: dict, state: str, frequency: str, gross_wages_cents: int, wages_less_401k_cents: int,
                     w4: W4) -> int:
    """The state's withholding for the period from its entry in the tax table."""
    rule = table["states"].get(state)
    if rule is None:
        raise PayrollInputError(f"The tax table has no entry for the state {state or '(none)'}.")
    if rule["method"] == "none":
        return 0
    periods = table["federal"]["pay_periods"][frequency]
    wages = wages_less_401k_cents if rule.get("excludes_401k") else gross_wages_cents
    allowance = Decimal(rule.get("allowance_cents", 0) * w4.state_allowances) / periods
    return max(0, _cents((Decimal(wages) - allowance) * Decimal(rule["rate"])))


def compute(table: dict, values: PaycheckInput) -> Paycheck:
    """The paycheck: every tax and deduction, and net = gross - pre-tax - taxes - post-tax."""
    _check(values, table)
    gross = values.gross_cents
    pretax = values.pretax_401k_cents + values.pretax_125_cents
    federal_wages = gross - pretax
    fica_wages = gross - values.pretax_125_cents
    ytd_fica = values.ytd_gross_cents if values.ytd_fica_wages_cents is None else values.ytd_fica_wages_cents
    ytd_futa = ytd_fica if values.ytd_futa_wages_cents is None else values.ytd_futa_wages_cents

    social = table["social_security"]
    ss_wages = max(0, min(fica_wages, social["wage_base_cents"] - ytd_fica))
    social_security = _cents(Decimal(ss_wages) * Decimal(social["rate"]))
    medicare_rules = table["medicare"]
    medicare = _cents(Decimal(fica_wages) * Decimal(medicare_rules["rate"]))
    over = max(0, ytd_fica + fica_wages - max(ytd_fica, medicare_rules["additional_threshold_cents"]))
    additional = _cents(Decimal(over) * Decimal(medicare_rules["additional_rate"]))

    fit = federal_income_tax(table, values.frequency, federal_wages, values.w4)
    state = state_income_tax(table, values.state, values.frequency, fica_wages, federal_wages, values.w4) \
        if values.state else 0
    futa_rules = table["futa"]
    futa_wages = max(0, min(fica_wages, futa_rules["wage_base_cents"] - ytd_futa))
    suta_wages = max(0, min(fica_wages, values.suta_wage_base_cents - ytd_futa))
    net = gross - pretax - fit - social_security - medicare - additional - state - values.posttax_cents
    return Paycheck(
        gross_cents=gross, pretax_cents=pretax, pretax_401k_cents=values.pretax_401k_cents,
        pretax_125_cents=values.pretax_125_cents, federal_wages_cents=federal_wages, fica_wages_cents=fica_wages,
        federal_income_tax_cents=fit, social_security_cents=social_security, medicare_cents=medicare,
        additional_medicare_cents=additional, state_income_tax_cents=state, posttax_cents=values.posttax_cents,
        net_cents=net, employer_social_security_cents=social_security,
        employer_medicare_cents=medicare,
        employer_futa_cents=_cents(Decimal(futa_wages) * Decimal(futa_rules["rate"])),
        employer_suta_cents=_cents(Decimal(suta_wages) * values.suta_rate))
