"""``medoffice hr ...``: load a year's tax table, and preview one paycheck's breakdown."""
from __future__ import annotations

import sys
from decimal import Decimal

import click
from medoffice.cli.context import echo_json, with_app

from . import paycheck, tax_tables


@click.group("hr")
def hr():
    """HR: tax tables and payroll checks."""


@hr.group("tax-tables")
def tax_tables_group():
    """The yearly tax tables payroll computes with."""


@tax_tables_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_app
def import_table(path):
    """Validate FILE and store it as its year's next version (nothing is written when it is refused)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    row, problems = tax_tables.import_text(text)
    if problems:
        for problem in problems:
            click.echo(f"refused: {problem}", err=True)
        sys.exit(1)
    if row is None:
        click.echo("That table is already the newest version of its year: nothing to do.")
    else:
        click.echo(f"Imported the {row.year} tax table as version {row.version}.")


@hr.group("payroll")
def payroll_group():
    """Payroll checks."""


@payroll_group.command("preview")
@click.option("--filing-status", type=click.Choice(["single", "married", "head"]), required=True)
@click.option("--pay-frequency", type=click.Choice(["weekly", "biweekly", "semimonthly", "monthly"]), required=True)
@click.option("--gross-cents", type=int, required=True)
@click.option("--ytd-gross-cents", type=int, default=0)
@click.option("--pretax-401k-cents", type=int, default=0)
@click.option("--pretax-125-cents", type=int, default=0)
@click.option("--step2", is_flag=True, help="W-4 step 2(c) box checked.")
@click.option("--step3-cents", type=int, default=0)
@click.option("--step4a-cents", type=int, default=0)
@click.option("--step4b-cents", type=int, default=0)
@click.option("--step4c-cents", type=int, default=0)
@click.option("--state", default="", help="Two-letter state of the table's states (default: no state tax).")
@click.option("--year", type=int, default=None, help="Tax year (default: the newest shipped table).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def preview(filing_status, pay_frequency, gross_cents, ytd_gross_cents, pretax_401k_cents, pretax_125_cents, step2,
            step3_cents, step4a_cents, step4b_cents, step4c_cents, state, year, as_json):
    """One paycheck's breakdown: gross, every tax and deduction, net, and the employer's taxes."""
    try:
        table = tax_tables.for_year(year or tax_tables.shipped_years()[-1])
        result = paycheck.compute(table, paycheck.PaycheckInput(
            pay_frequency, gross_cents, paycheck.W4(filing_status, step2, step3_cents, step4a_cents, step4b_cents,
                                                    step4c_cents),
            pretax_401k_cents=pretax_401k_cents, pretax_125_cents=pretax_125_cents, ytd_gross_cents=ytd_gross_cents,
            state=state.upper(), suta_rate=Decimal(0)))
    except (paycheck.PayrollInputError, tax_tables.TaxTableError) as refused:
        click.echo(f"refused: {refused}", err=True)
        sys.exit(2)
    values = result.as_dict()
    if as_json:
        echo_json(values)
    else:
        for name, cents in values.items():
            sign = "-" if cents < 0 else ""
            click.echo(f"{name:34} {sign}{abs(cents) // 100:>12,}.{abs(cents) % 100:02d}")
