"""``medoffice events list|status|retry``: the event log and its subscribers, for IT and scripts."""
from __future__ import annotations

import click

from ..cli.context import echo_json, with_app


def register(main: click.Group) -> None:
    """Add the events group to the ``medoffice`` command."""

    @main.group()
    def events():
        """The event log modules publish to, and their subscribers."""

    @events.command("list")
    @click.option("--name", "names", multiple=True, help="Only events of this type (repeatable).")
    @click.option("--after", type=int, default=0, show_default=True, help="Only events after this position.")
    @click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_events(names, after, limit, as_json):
        """List committed events in commit order: position, time and type (never their payloads)."""
        from .models import EventRecord

        query = EventRecord.select(EventRecord.position, EventRecord.name, EventRecord.version,
                                   EventRecord.published_at).where(EventRecord.position > after)
        if names:
            query = query.where(EventRecord.name.in_(list(names)))
        rows = [{"position": r.position, "name": r.name, "version": r.version,
                 "published_at": r.published_at.isoformat()}
                for r in query.order_by(EventRecord.position).limit(limit)]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo("No events.")
        for r in rows:
            click.echo(f"{r['position']:>10}  {r['published_at'][:19].replace('T', ' ')} UTC  {r['name']} v{r['version']}")

    @events.command("status")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def status_command(as_json):
        """Per subscriber: the last event delivered, how many wait, and the failing event with its error."""
        from .monitor import status

        rows = status()
        if as_json:
            echo_json([{key: value for key, value in row.items() if key != "error_detail"} for row in rows])
            return
        if not rows:
            click.echo("No installed module subscribes to events.")
        for r in rows:
            line = (f"{r['name']:<32} {r['state']:<13} delivered up to {r['delivered_position']}, "
                    f"{r['waiting']} waiting")
            if r["state"] == "failing":
                line += f"; stuck at event {r['failing_position']} ({r['failing_event']}): {r['error']}"
            click.echo(line)

    @events.command("retry")
    @click.argument("subscriber")
    @with_app
    def retry_command(subscriber):
        """Deliver to SUBSCRIBER now, past its backoff (exit status 1 when it fails again)."""
        from .. import audit
        from .delivery import UnknownSubscriber, retry

        try:
            outcome = retry(subscriber)
        except UnknownSubscriber as exc:
            raise click.ClickException(str(exc)) from None
        audit.record("events.retry", "core_event_subscriber", subscriber, username="cli",
                     detail={"state": outcome.state, "delivered": outcome.delivered})
        if outcome.state == "caught_up":
            click.echo(f"{subscriber}: {outcome.delivered} delivered; up to date.")
            return
        if outcome.state == "failing":
            click.echo(f"{subscriber}: failed again at event {outcome.failing_position}: {outcome.error}", err=True)
        elif outcome.state == "disabled":
            click.echo(f"{subscriber}: its module is turned off; enable it and it catches up.", err=True)
        else:
            click.echo(f"{subscriber}: another process is delivering to it now; try again in a moment.", err=True)
        raise click.exceptions.Exit(1)
