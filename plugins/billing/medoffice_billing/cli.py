"""``medoffice billing ...``: command-line tools for the billing office and IT."""
from __future__ import annotations

import click
from medoffice.cli.context import echo_json, with_app

from .reference import CODE_KINDS, CodeFileError, import_codes, read_code_file


@click.group("billing")
def billing():
    """Billing: code lists and other bulk work."""


@billing.command("import-codes")
@click.option("--kind", type=click.Choice(CODE_KINDS), required=True,
              help="icd10 (ICD-10-CM diagnoses) or cpt (CPT/HCPCS procedures).")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_codes_command(kind, file, as_json):
    """Import a code list from a CSV of code,description rows (from your licensed source).

    Every row is checked first; nothing is imported unless all rows are good. Importing the
    same file again changes nothing.
    """
    try:
        rows = read_code_file(kind, file.read())
    except CodeFileError as exc:
        if as_json:
            echo_json({"ok": False, "kind": kind, "problems": exc.problems})
        else:
            click.echo(f"{exc}:", err=True)
            for problem in exc.problems[:50]:
                click.echo(f"  {problem}", err=True)
            if len(exc.problems) > 50:
                click.echo(f"  ... and {len(exc.problems) - 50} more", err=True)
        click.get_current_context().exit(1)
    result = import_codes(kind, rows)
    if as_json:
        echo_json({"ok": True, "kind": kind, "rows": result.rows, "inserted": result.inserted,
                   "updated": result.updated, "unchanged": result.unchanged})
        return
    click.echo(f"Imported {result.rows} {kind} codes: {result.inserted} new, {result.updated} updated, "
               f"{result.unchanged} unchanged.")
