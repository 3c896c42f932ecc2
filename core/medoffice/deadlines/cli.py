"""``medoffice deadlines list``: open deadlines for IT and scripts (titles, dates, assignees; never notes)."""
from __future__ import annotations

import datetime as dt

import click

from ..cli.context import echo_json, with_app


def register(main: click.Group) -> None:
    """Add the deadlines group to the ``medoffice`` command."""

    @main.group()
    def deadlines():
        """Obligations the modules track: credentials, reviews, notices owed."""

    @deadlines.command("list")
    @click.option("--due-within", "due_within", type=click.IntRange(0, 3650),
                  help="Only those due within this many days (overdue ones included).")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_deadlines(due_within, as_json):
        """List open deadlines of the modules turned on, soonest first."""
        from flask import current_app

        from ..settings import today
        from .kinds import kind_title
        from .models import Deadline
        from .stages import stage_label

        day = today()
        owners = sorted(current_app.extensions["medoffice"].host.enabled())
        query = Deadline.select().where((Deadline.state == "open") & Deadline.owner.in_(owners))
        if due_within is not None:
            query = query.where(Deadline.due <= day + dt.timedelta(days=due_within))
        rows = [{"id": d.id, "owner": d.owner, "key": d.key, "kind": d.kind, "title": d.title,
                 "due": d.due.isoformat(), "days_left": (d.due - day).days, "stage": d.stage_on(day),
                 "state": d.state, "assignee_user": d.assignee_user.username if d.assignee_user_id else None,
                 "assignee_role": d.assignee_role or None, "escalation_role": d.escalation_role or None,
                 "concerns": {"kind": d.concerns_kind, "id": d.concerns_id} if d.concerns_kind else None}
                for d in query.order_by(Deadline.due, Deadline.id)]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo("No open deadlines.")
        for r in rows:
            who = r["assignee_user"] or f"role {r['assignee_role']}"
            click.echo(f"{r['due']}  {stage_label(r['stage']):<20} {r['title']}  "
                       f"[{kind_title(r['kind'])}, {r['owner']}; {who}]")
