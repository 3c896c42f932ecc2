"""``medoffice billing ...``: command-line tools for the billing office and IT."""
from __future__ import annotations

from pathlib import Path

import click
from medoffice import settings
from medoffice.cli.context import echo_json, with_app
from medoffice.money import format_cents

from .acknowledgments import AckRefused, import_ack
from .clearinghouse import sync
from .collections import export_placements
from .eligibility import EligibilityRefused, export_270, import_271, upcoming_coverages
from .export837 import ExportError, export
from .models import Payer
from .posting import RemitRefused, import_835
from .reference import CODE_KINDS, CodeFileError, import_codes, read_code_file
from .statements import run_statements


@click.group("billing")
def billing():
    """Billing: code lists, 837P claims out, 835 remittances and acknowledgments in, eligibility, the clearinghouse."""


@billing.command("import-codes")
@click.option("--kind", type=click.Choice(CODE_KINDS), default="cpt", show_default=True,
              help="The code list: cpt (CPT/HCPCS procedures). Diagnoses need no import: "
                   "ICD-10-CM ships whole with medoffice.")
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
        if payer is None and payer_ref.isdecimal():
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
            click.echo(f"{totals['claims_unmatched']} claim payments were not posted (no claim matched, or held): "
                       "they wait in the exceptions queue with the reason.")


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


def _read_x12(file: str, what: str) -> tuple[str, str]:
    """(text, name) of an X12 file given on the command line, refusing anything but ASCII."""
    path = Path(file)
    try:
        return path.read_bytes().decode("ascii"), path.name
    except UnicodeDecodeError:
        raise click.ClickException(f"{path.name} is not {what}: X12 files hold plain ASCII text only") from None


@billing.command("import-ack")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_ack_command(file, as_json):
    """Import a 999 or 277CA acknowledgment: rejected claims go to the rejected worklist with the reason.

    A file that is neither, or names no batch or claim we sent, is refused with the reason and
    nothing changes. Importing a file again changes nothing and says so.
    """
    text, name = _read_x12(file, "an acknowledgment")
    try:
        result = import_ack(text, name)
    except AckRefused as exc:
        raise click.ClickException("the file was refused; nothing changed:\n  " + "\n  ".join(exc.problems)) from None
    if as_json:
        echo_json(result.as_dict())
    elif result.duplicate:
        click.echo(f"Nothing changed: this {result.kind} was imported before.")
    else:
        click.echo(f"{result.kind}: {result.accepted} claim(s) accepted, {result.rejected} rejected; "
                   f"{result.claims_updated} claim(s) changed state.")


@billing.group("eligibility")
def eligibility_group():
    """Eligibility inquiries (270) out and answers (271) in."""


@eligibility_group.command("export-270")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="Where to write the 270 file.")
@click.option("--days", type=click.IntRange(0, 60), default=3, show_default=True,
              help="Ask about the primary policy of every patient with a visit from today to this many days ahead.")
@click.option("--coverage", "coverage_ids", type=int, multiple=True,
              help="Ask about this policy (its number in medoffice) instead; repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def export_270_command(out, days, coverage_ids, as_json):
    """Write a 270 asking the payers whether these patients' policies are active (for today)."""
    ids = list(coverage_ids) or upcoming_coverages(settings.today(), days)
    try:
        result = export_270(ids, out=Path(out))
    except ExportError as exc:
        raise click.ClickException("nothing was written:\n  " + "\n  ".join(exc.problems)) from None
    for problem in result.skipped:
        click.echo(f"Left out: {problem}", err=True)
    written = str(Path(out)) if result.batch else None
    if as_json:
        echo_json({"inquiries": result.batch.inquiries if result.batch else 0, "skipped": len(result.skipped),
                   "file": written})
    elif result.batch is None:
        click.echo("No policy to ask about; no file was written.")
    else:
        click.echo(f"Wrote {written}: {result.batch.inquiries} inquir{'ies' if result.batch.inquiries != 1 else 'y'}.")


@eligibility_group.command("import-271")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_271_command(file, as_json):
    """Import the payers' 271 answers: each is kept on the policy asked about, dated."""
    text, name = _read_x12(file, "a 271 file")
    try:
        result = import_271(text, name)
    except EligibilityRefused as exc:
        raise click.ClickException("the file was refused; nothing changed:\n  " + "\n  ".join(exc.problems)) from None
    if as_json:
        echo_json(result.as_dict())
    elif result.duplicate:
        click.echo("Nothing changed: this 271 was imported before.")
    else:
        click.echo(f"{result.answered} answer(s): {result.active} active, {result.inactive} inactive, "
                   f"{result.unknown} without an answer.")


@billing.group("clearinghouse")
def clearinghouse_group():
    """The SFTP connection to the clearinghouse."""


@clearinghouse_group.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def clearinghouse_sync_command(as_json):
    """Send the ready claims and queued files, fetch and import new responses (835, 999, 277CA, 271).

    Exits non-zero when the sync failed (the reason is also shown on Today).
    """
    result = sync()
    if as_json:
        echo_json(result.as_dict())
    else:
        summary = result.as_dict()
        click.echo(f"Sent {summary['sent']} file(s); fetched {summary['fetched']}: {summary['imported']} imported, "
                   f"{summary['duplicates']} seen before, {summary['refused']} refused.")
        for problem in result.problems:
            click.echo(problem, err=True)
    if result.error:
        if not as_json:
            click.echo(f"The sync failed: {result.error}", err=True)
        click.get_current_context().exit(1)
