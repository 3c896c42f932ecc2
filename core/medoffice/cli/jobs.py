"""``medoffice jobs list|run`` and ``medoffice scheduler`` (the scheduler alone, in the foreground)."""
from __future__ import annotations

import signal
import threading

import click

from .context import build_app, echo_json, with_app


def register(main: click.Group) -> None:
    """Add the jobs group and the scheduler command."""

    @main.group()
    def jobs():
        """List scheduled jobs and run one now."""

    @jobs.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_jobs(as_json):
        """Show the jobs of enabled modules: schedule, next run and last run."""
        from ..jobs import describe_schedule, job_specs, latest_runs, next_run
        from ..settings import practice_timezone

        app = build_app(click.get_current_context())
        specs = job_specs(app.extensions["medoffice"].host)
        latest = latest_runs(specs)
        timezone = practice_timezone()
        rows = []
        for job_id, spec in specs.items():
            upcoming = next_run(spec, timezone)
            last = latest.get(job_id)
            rows.append({
                "id": job_id,
                "title": spec.title,
                "schedule": describe_schedule(spec),
                "next_run": upcoming.isoformat() if upcoming else None,
                "last_status": last.status if last else None,
                "last_started_at": last.started_at.isoformat() if last else None,
                "last_message": last.message if last else None,
            })
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo("No enabled module has scheduled jobs.")
        for r in rows:
            upcoming = r["next_run"][:16].replace("T", " ") if r["next_run"] else "-"
            click.echo(f"{r['id']:<28} {r['schedule']:<24} next {upcoming:<16}  "
                       f"last {r['last_status'] or 'never'}  {r['title']}")

    @jobs.command("run")
    @click.argument("job_id")
    @with_app
    def run(job_id):
        """Run a job now and wait for it (exit status 1 when it fails)."""
        from .. import audit
        from ..jobs import UnknownJob, run_job

        app = build_app(click.get_current_context())
        try:
            result = run_job(app, job_id, trigger="manual")
        except UnknownJob as exc:
            raise click.ClickException(str(exc)) from None
        audit.record("job.run", "job", job_id, username="cli")
        click.echo(f"{job_id}: {result.status}: {result.message}")
        if result.status != "ok":
            raise click.exceptions.Exit(1)

    @main.command()
    @click.pass_context
    def scheduler(ctx):
        """Run the job scheduler alone until stopped (Ctrl+C or SIGTERM).

        For setups with several web processes (serve them with --no-scheduler).
        """
        from ..scheduler import SchedulerBusy, start_scheduler

        app = build_app(ctx)
        try:
            service = start_scheduler(app, strict=True)
        except SchedulerBusy as exc:
            raise click.ClickException(str(exc)) from None
        if service is None:
            raise click.ClickException("the scheduler does not run under the debug reloader's watcher process")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"medoffice scheduler running with {len(service.job_ids())} jobs (Ctrl+C to stop)")
        try:
            while not stop.wait(1):
                pass
        finally:
            click.echo("Stopping the scheduler; waiting for running jobs to finish.")
            service.shutdown(wait=True)
