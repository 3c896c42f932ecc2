"""``medoffice finance ...``: the books from the command line."""
from __future__ import annotations

import datetime as dt
import os

import click
from medoffice.cli.context import echo_json, with_app
from medoffice.money import format_cents
from medoffice.settings import today

from .bank import BankError, import_statement
from .bank_files import BankFileError
from .export import write_beancount, write_csv
from .models import Account
from .reports import trial_balance

MAX_FILE_BYTES = 10 * 1024 * 1024


@click.group("finance")
def finance():
    """Finance: the practice's books."""


@finance.command("trial-balance")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Entries dated up to this day (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def trial_balance_command(as_of, as_json):
    """Print each account's debits, credits and balance, and the totals."""
    day = as_of.date() if isinstance(as_of, dt.datetime) else today()
    result = trial_balance(day)
    if as_json:
        echo_json(result)
        return
    click.echo(f"Trial balance as of {result['as_of']}")
    for row in result["accounts"]:
        click.echo(f"{row['number']:>8}  {row['name'][:44]:<44} {format_cents(row['debit_cents']):>16} "
                   f"{format_cents(row['credit_cents']):>16}")
    totals = result["totals"]
    click.echo(f"{'':>8}  {'Totals':<44} {format_cents(totals['debit_cents']):>16} "
               f"{format_cents(totals['credit_cents']):>16}")


@finance.command("export")
@click.option("--format", "file_format", type=click.Choice(["beancount", "csv"]), required=True,
              help="beancount: a ledger bean-check accepts; csv: the general journal, one row per line.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="First entry date (YYYY-MM-DD).")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Last entry date (YYYY-MM-DD).")
@with_app
def export_command(file_format, out_path, start, end):
    """Export the posted journal for the accountant."""
    first, last = (start.date() if start else None), (end.date() if end else None)
    if first and last and last < first:
        raise click.UsageError("--end must be on or after --start.")
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        if file_format == "csv":
            count = write_csv(out, first, last)
            click.echo(f"Wrote {count} journal lines to {out_path}.")
        else:
            count = write_beancount(out, first, last)
            click.echo(f"Wrote {count} transactions to {out_path}.")


@finance.command("import-bank")
@click.argument("file_path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--account", "number", required=True, help="The bank account's number in the chart (e.g. 1000).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_bank_command(file_path, number, as_json):
    """Import a bank statement (OFX/QFX, or CSV by the account's saved columns) and match its lines."""
    account = Account.get_or_none(Account.number == number)
    if account is None:
        raise click.UsageError(f"There is no account numbered {number}.")
    with open(file_path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise click.ClickException("The file is larger than 10 MB: ask the bank for a shorter period.")
    try:
        result = import_statement(account.id, data, os.path.basename(file_path))
    except (BankFileError, BankError) as exc:
        raise click.ClickException(str(exc)) from None
    summary = {"statement": result.statement.id if result.statement else None, "lines": result.lines,
               "duplicates": result.duplicates, "matched": result.matched}
    if as_json:
        echo_json(summary)
    else:
        click.echo(f"Imported {result.lines} lines ({result.duplicates} duplicates skipped); {result.matched} matched.")
