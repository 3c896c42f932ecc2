"""``medoffice messages test|outbox``: check the mail server and look at the outbox, for IT and scripts."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add the messages group to the ``medoffice`` command."""
    # Imported here: medoffice.cli imports this module while it loads its own commands.
    from ..cli.context import echo_json, with_app

    @main.group()
    def messages():
        """E-mail and letters: the mail server and the outbox."""

    @messages.command("test")
    @click.option("--to", "to", required=True, help="The address to send the test message to.")
    @with_app
    def test(to):
        """Send one test message through the configured mail server now (exit status 1 with the server's
        answer when it fails)."""
        from . import gate, outbox, recipients, smtp
        from .models import OutboxMessage

        try:
            where = smtp.check_address(to)
            queued = gate.queue(recipients.address(where), "core.test_message",
                                {"sent_by": "medoffice messages test"}, urgent=True, by="cli")
        except (ValueError, gate.Refused) as exc:
            raise click.ClickException(getattr(exc, "reason", str(exc))) from None
        outcome = outbox.deliver_one(queued.id)
        message = OutboxMessage.get_by_id(queued.id)
        if outcome == "sent":
            click.echo(f"Sent to {where}. The server answered: {message.server_reply}")
            return
        if message.status == "queued":  # a test that failed is not retried later
            outbox.cancel(queued.id, f"Test failed: {message.last_error}")
        click.echo(f"Not sent: {message.last_error or message.note}", err=True)
        raise click.exceptions.Exit(1)

    @messages.command("outbox")
    @click.option("--status", type=click.Choice(["queued", "sending", "sent", "failed", "cancelled"]),
                  help="Only messages in this state.")
    @click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_outbox(status, limit, as_json):
        """List the newest messages: state, channel, recipient, subject, attempts and the server's answer."""
        from .. import audit
        from .models import OutboxMessage

        query = OutboxMessage.select().order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxMessage.status == status)
        found = list(query)
        audit.record_list("messages.outbox.list", (m.patient_id for m in found), source="cli")
        rows = [{
            "id": m.id, "status": m.status, "channel": m.channel, "purpose": m.purpose, "urgent": m.urgent,
            "to_name": m.to_name, "to_address": m.to_address, "subject": m.subject, "attempts": m.attempts,
            "created_at": m.created_at.isoformat(),
            "next_attempt_at": m.next_attempt_at.isoformat() if m.next_attempt_at else None,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "server_reply": m.server_reply, "last_error": m.last_error, "note": m.note,
        } for m in found]
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo("The outbox is empty.")
        for r in rows:
            answer = r["server_reply"] if r["status"] == "sent" else (r["last_error"] or r["note"])
            click.echo(f"{r['id']:>7}  {r['status']:<9} {r['channel']:<12} {r['attempts']:>2}x  "
                       f"{r['to_name'] or r['to_address'].splitlines()[0]}: {r['subject']}"
                       + (f"  [{answer}]" if answer else ""))
