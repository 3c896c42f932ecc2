"""``medoffice reports list|run``: the reports of enabled modules, from the command line."""
from __future__ import annotations

import json

import click

from .. import audit
from ..reports import params, registry, render
from .context import echo_json, with_app


def _describe(spec) -> dict:
    return {
        "id": spec.id,
        "title": spec.title,
        "category": spec.category or registry.GENERAL,
        "description": spec.description,
        "permission": spec.permission,
        "params": [{"name": p.name, "label": p.label, "kind": p.kind, "required": p.required}
                   for p in spec.params],
    }


def register(main: click.Group) -> None:
    """Add the reports group."""

    @main.group()
    def reports():
        """List and run the reports of the modules that are on."""

    @reports.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_reports(as_json):
        """Show every report with its parameters."""
        rows = [_describe(spec) for spec in registry.all_reports()]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            names = " ".join(f"{p['name']}{'*' if p['required'] else ''}:{p['kind']}" for p in r["params"])
            click.echo(f"{r['id']:<32} {r['title']:<32} {names}")

    @reports.command("run")
    @click.argument("report_id")
    @click.option("--param", "pairs", multiple=True, metavar="NAME=VALUE",
                  help="A parameter (repeatable); dates as YYYY-MM-DD, locations and providers by id.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True),
                  help="Write to this file instead of standard output.")
    @with_app
    def run_report(report_id, pairs, fmt, out):
        """Run a report and print (or save) it as CSV or JSON. The export is audited."""
        spec = registry.find(report_id)
        if spec is None:
            raise click.ClickException(f"no report {report_id!r} among the modules that are on "
                                       "(see `medoffice reports list`)")
        try:
            form = params.build_form(spec, params.cli_data(spec, list(pairs)))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        values = params.validate(spec, form)
        if values is None:
            raise click.ClickException(f"bad parameters for {spec.id}: {params.errors_text(form)}")
        run = registry.execute(spec, values)
        text = render.to_csv(run) if fmt == "csv" else json.dumps(render.to_json(run), indent=2) + "\n"
        audit.record("report.export", "report", spec.id, username="cli",
                     detail={"format": fmt, "params": params.jsonable(values)})
        if out:
            with open(out, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            click.echo(f"Wrote {len(run.rows)} rows to {out}.", err=True)
        else:
            click.echo(text, nl=False)
