"""``medoffice compliance ...``: exclusion screening from the command line."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from medoffice.cli.context import echo_json, with_app

from medoffice.settings import today

from . import binder, screening


@click.group("compliance")
def compliance():
    """Compliance: exclusion screening and the audit binder."""


@compliance.command("binder")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The zip file to write.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: a year ago).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@with_app
def binder_command(out, start, end):
    """Write the audit binder (PDF summary and CSV evidence) for a period to a zip file."""
    last = end.date() if end else today()
    first = start.date() if start else last - dt.timedelta(days=365)
    if last < first:
        raise click.BadParameter("--to must be on or after --from")
    Path(out).write_bytes(binder.build(first, last, today(), by="cli"))
    click.echo(f"Wrote the binder for {first.isoformat()} to {last.isoformat()} to {out}.")


@compliance.group("screening")
def screening_group():
    """Import exclusion lists and screen everyone against them."""


def _import(source: str, file: str, list_date: dt.datetime | None, as_json: bool) -> None:
    path = Path(file)
    try:
        result = screening.import_list(source, path.read_bytes(), list_date=(list_date.date() if list_date
                                                                            else today()),
                                       file_name=path.name, by="cli")
    except screening.ImportRefused as refused:
        if as_json:
            echo_json({"ok": False, "source": source, "problems": refused.problems})
        else:
            click.echo(f"Refused, nothing imported: {'; '.join(refused.problems)}", err=True)
        raise SystemExit(1) from None
    payload = {"ok": True, "source": source, "list_date": result.list_date.isoformat(), "rows": result.rows,
               "unchanged": result.unchanged}
    if as_json:
        echo_json(payload)
    else:
        click.echo(f"{screening.SOURCES[source]} of {result.list_date.isoformat()}: {result.rows} rows"
                   + (" (already imported: nothing changed)" if result.unchanged else " imported."))


@screening_group.command("import-leie")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--date", "list_date", type=click.DateTime(["%Y-%m-%d"]), help="The list's date (default today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_leie(file, list_date, as_json):
    """Import the OIG LEIE database file (UPDATED.csv); every row is checked first."""
    _import("leie", file, list_date, as_json)


@screening_group.command("import-sam")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--date", "list_date", type=click.DateTime(["%Y-%m-%d"]), help="The list's date (default today).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def import_sam(file, list_date, as_json):
    """Import a SAM.gov exclusions extract (CSV); every row is checked first."""
    _import("sam", file, list_date, as_json)


@screening_group.command("run")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def run_command(as_json):
    """Screen every staff member, provider and business associate now."""
    run = screening.run(by="cli")
    matches = [{"person": m.subject_name, "kind": m.subject_kind, "list": m.source, "list_date": m.list_date.isoformat(),
                "entry": m.entry_name, "matched_on": m.matched_on, "status": m.status}
               for m in run.matches.order_by(screening.ScreeningMatch.id)]
    if as_json:
        echo_json({"run_id": run.id, "screened": run.screened, "lists": run.lists, "possible_matches": matches})
    else:
        click.echo(f"{run.screened} screened against {run.lists or 'no list'}; {len(matches)} possible match(es).")
        for m in matches:
            click.echo(f"  {m['person']} ~ {m['entry']} ({m['list']}, by {m['matched_on']}, {m['status']})")
