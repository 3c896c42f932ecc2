"""``medoffice billing ...``: command-line tools for the billing office and IT."""
from __future__ import annotations

from pathlib import Path

import click
from medoffice.cli.context import echo_json, with_app
from medoffice.money import format_cents

from .collections import export_placements
from .export837 import ExportError, export
from .models import Payer
from .posting import RemitRefused, import_835
from .reference import CODE_KINDS, CodeFileError, import_codes, read_code_file
from .statements import run_statements


@click.group("billing")
def billing():
    """Billing: code lists, 837P claim files out, 835 remittances in."""


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


@billing.command("export-837")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
              help="Where to write the 837P file (the folder must exist).")
@click.option("--payer", "payer_ref", help="Only this payer's claims: its payer ID as the clearinghouse knows it, "
                                           "or its number in medoffice.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def export_837_command(out, payer_ref, as_json):
    """Write the ready electronic claims into one 837P file; they become submitted once it is written.

    Each claim is scrubbed again first: one with a problem stays ready and is named on stderr.
    When no claim is ready, nothing is written and the command says so.
    """
    payer = None
    if payer_ref:
        payer = Payer.select().where(Payer.payer_id == payer_ref).order_by(Payer.id).first()
        if payer is None and payer_ref.isdigit():
            payer = Payer.get_or_none(Payer.id == int(payer_ref))
        if payer is None:
            raise click.ClickException(f"no payer has the payer ID or number {payer_ref!r}")
    try:
        result = export(payer, Path(out))
    except ExportError as exc:
        raise click.ClickException("nothing was exported:\n  " + "\n  ".join(exc.problems)) from None
    for skipped in result.skipped:
        click.echo(f"Claim {skipped.claim_number} stays ready: " + " ".join(skipped.problems), err=True)
    written = str(Path(out)) if result.batch else None
    if as_json:
        echo_json({"claims": result.claim_count, "total_charge_cents": result.total_charge_cents, "file": written})
    elif result.batch is None:
        click.echo("No claim is ready to send; no file was written.")
    else:
        click.echo(f"Wrote {written}: {result.claim_count} claim{'s' if result.claim_count != 1 else ''}, "
                   f"{format_cents(result.total_charge_cents)} (interchange {result.batch.control_number}); "
                   "they are now submitted.")


@billing.command("import-835")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_835_command(file, as_json):
    """Check an 835 remittance file and post it: payments, adjustments, patient responsibility.

    A file that fails a check is refused with the reasons and nothing is posted. Importing a
    file (or a payer's trace number) again posts nothing and says so.
    """
    path = Path(file)
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name} is not an 835 file: X12 files hold plain ASCII text only") from None
    try:
        result = import_835(text, path.name)
    except RemitRefused as exc:
        raise click.ClickException("the file was refused; nothing was posted:\n  " + "\n  ".join(exc.problems)) from None
    totals = result.totals()
    if as_json:
        echo_json({**totals, "duplicate": result.duplicate})
    elif result.duplicate:
        click.echo("Nothing was posted: this file (or its trace number) was imported before.")
    else:
        click.echo(f"Posted {totals['claims_matched']} claim payments: {format_cents(totals['paid_cents'])} paid, "
                   f"{format_cents(totals['adjustment_cents'])} adjusted, "
                   f"{format_cents(totals['patient_responsibility_cents'])} patient responsibility, "
                   f"{format_cents(totals['plb_cents'])} provider-level adjustments.")
        if totals["claims_unmatched"]:
            click.echo(f"{totals['claims_unmatched']} claim payments matched no claim: "
                       "they wait in the exceptions queue.")


@billing.group("statements")
def statements_group():
    """Patient statements."""


@statements_group.command("run")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Folder for the PDFs, one per patient "
              "(default: statements/<date>-run<number> in the instance folder).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def statements_run_command(out, as_json):
    """Send statements to every patient who is due: one PDF per patient, never two patients in one file.

    Patients below the minimum balance, statemented within the cycle, with a claim still
    pending, on a payment plan, held by hand or with a collection agency get none; the run
    records how many of each.
    """
    run = run_statements(trigger="cli", out_dir=Path(out) if out else None)
    counts = {"run": run.id, "date": run.run_date.isoformat(), "statements": run.statements,
              "total_cents": run.total_cents, "considered": run.considered, "below_minimum": run.below_minimum,
              "not_due": run.not_due, "held_insurance": run.held_insurance, "held_plan": run.held_plan,
              "held_manual": run.held_manual, "held_collections": run.held_collections, "folder": run.output}
    if as_json:
        echo_json(counts)
        return
    click.echo(f"Run {run.id}: {run.statements} statement{'s' if run.statements != 1 else ''} for "
               f"{format_cents(run.total_cents)} written to {run.output}.")
    click.echo(f"Not sent: {run.below_minimum} below the minimum, {run.not_due} not due yet, {run.held_insurance} "
               f"with insurance pending, {run.held_plan} on a payment plan, {run.held_manual} held by hand, "
               f"{run.held_collections} with the agency.")


@billing.group("collections")
def collections_group():
    """Accounts placed with a collection agency."""


@collections_group.command("export-placements")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The CSV file to write for the agency.")
@click.option("--all", "include_all", is_flag=True, help="Every account with the agency, not only those never sent.")
@with_app
def export_placements_command(out, include_all):
    """Write the accounts placed with the agency (not sent before, or --all) as CSV; they are marked sent."""
    path = Path(out)
    if not path.parent.is_dir():
        raise click.ClickException(f"the folder {path.parent} does not exist")
    with path.open("w", newline="", encoding="utf-8") as stream:
        count = export_placements(stream, include_all=include_all)
    click.echo(f"Wrote {count} placement{'s' if count != 1 else ''} to {path}.")
