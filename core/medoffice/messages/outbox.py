"""The outbox: delivery by the scheduler job, retries with exponential backoff, and staff actions.

A message is ``queued`` until its next attempt is due, ``sending`` while one process holds it
(claimed with a conditional update, so two deliverers never send it twice), then ``sent``,
``failed`` (the server refused it for good, or it kept failing) or ``cancelled`` (the gate's
second look at send time said no, or staff cancelled it). A failed attempt that may succeed later
leaves the message queued with the server's answer and a later next attempt (1, 2, 4 ... minutes,
at most 6 hours apart, 8 attempts in all). Letters wait in the outbox until staff print and post them.

Delivery talks to the network outside any database transaction; nothing here runs in a request
thread (the job, a background task or the CLI call it).
"""
from __future__ import annotations

import datetime as dt
import logging

from .. import audit
from ..db import transaction, utcnow
from ..tasks import failure_text
from . import gate, recipients
from .channels import registry
from .models import OutboxMessage
from .smtp import DeliveryError

log = logging.getLogger("medoffice.messages")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=6)
STALE_SENDING = dt.timedelta(minutes=15)
BATCH = 100


class OutboxError(ValueError):
    """A staff action on a message that its state does not allow (the message says why)."""


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def _recipient(message: OutboxMessage):
    if message.recipient_kind != "patient":
        return None
    try:
        return recipients.patient(message.patient_id)
    except recipients.UnknownRecipient:
        return None


def _finish(message: OutboxMessage, values: dict, action: str, detail: dict | None = None) -> None:
    with transaction():
        OutboxMessage.update(claimed_at=None, **values).where(OutboxMessage.id == message.id).execute()
        if action:
            audit.record(action, "message", message.id, patient_id=message.patient_id, username="system",
                         detail={"channel": message.channel, "purpose": message.purpose, **(detail or {})})


def claim(message_id: int) -> OutboxMessage | None:
    """Take a queued message for delivery; None when another deliverer has it or it is not queued."""
    taken = (OutboxMessage.update(status="sending", claimed_at=utcnow())
             .where((OutboxMessage.id == message_id) & (OutboxMessage.status == "queued")).execute())
    return OutboxMessage.get_by_id(message_id) if taken == 1 else None


def deliver_one(message_id: int) -> str:
    """Deliver one queued message now (if nobody else is); returns what happened:
    ``sent``, ``retry``, ``failed``, ``cancelled``, ``held`` (quiet hours) or ``skipped``."""
    message = claim(message_id)
    if message is None:
        return "skipped"
    channel = registry().get(message.channel)
    if channel is not None and not channel.automatic:
        _finish(message, {"status": "queued"}, "")
        return "skipped"
    reason = gate.recheck(message, _recipient(message))
    if reason:
        _finish(message, {"status": "cancelled", "note": reason}, "messages.cancel", {"reason": reason})
        return "cancelled"
    held = None
    if message.recipient_kind == "patient" and not message.urgent and (channel is None or channel.respects_quiet_hours):
        held = gate.quiet_until()
    if held is not None:
        _finish(message, {"status": "queued", "next_attempt_at": held, "note": gate.hold_note(held)}, "")
        return "held"
    attempts = message.attempts + 1
    try:
        if channel is None:
            raise DeliveryError(f"The channel {message.channel} is not available (is its module turned on?).")
        answer = channel.deliver(message)
    except Exception as exc:  # every failure is recorded on the message, never lost
        if isinstance(exc, DeliveryError):
            answer, permanent = exc.answer, exc.permanent
        else:
            answer, permanent = failure_text(exc)[0], False
        log.warning("message %s: attempt %s failed%s", message.id, attempts, " for good" if permanent else "")
        if permanent or attempts >= MAX_ATTEMPTS:
            note = "The server refused it." if permanent else f"Gave up after {attempts} attempts."
            _finish(message, {"status": "failed", "attempts": attempts, "last_error": answer, "note": note},
                    "messages.failed", {"attempts": attempts})
            return "failed"
        retry_at = utcnow() + backoff(attempts)
        _finish(message, {"status": "queued", "attempts": attempts, "last_error": answer,
                          "next_attempt_at": retry_at, "note": ""}, "")
        return "retry"
    _finish(message, {"status": "sent", "attempts": attempts, "sent_at": utcnow(), "server_reply": answer or "",
                      "note": ""}, "messages.sent", {"attempts": attempts})
    return "sent"


def close_interrupted(now: dt.datetime | None = None) -> int:
    """Fail messages left ``sending`` by a process that stopped mid-send (they may have gone out)."""
    cutoff = (now or utcnow()) - STALE_SENDING
    return (OutboxMessage.update(status="failed", claimed_at=None,
                                 note="Interrupted while sending: it may or may not have reached the server. "
                                      "Check with the recipient before retrying.")
            .where((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < cutoff)).execute())


def due_ids(now: dt.datetime | None = None, limit: int = BATCH) -> list[int]:
    """Queued messages of automatic channels whose next attempt is due, urgent first."""
    automatic = [name for name, channel in registry().items() if channel.automatic]
    if not automatic:
        return []
    query = (OutboxMessage.select(OutboxMessage.id)
             .where((OutboxMessage.status == "queued") & OutboxMessage.channel.in_(automatic)
                    & (OutboxMessage.next_attempt_at <= (now or utcnow())))
             .order_by(OutboxMessage.urgent.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id)
             .limit(limit))
    return [row.id for row in query]


def deliver_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Deliver every message that is due (one batch); returns how many ended each way."""
    outcomes = {"sent": 0, "retry": 0, "failed": 0, "cancelled": 0, "held": 0, "skipped": 0,
                "interrupted": close_interrupted(now)}
    for message_id in due_ids(now):
        outcomes[deliver_one(message_id)] += 1
    return outcomes


def delivery_job() -> str:
    """Core's job: send what is due; the text is the run's message (counts only, no patient data)."""
    done = deliver_due()
    parts = [f"{done['sent']} sent"]
    for key, label in (("retry", "to retry"), ("failed", "failed"), ("cancelled", "cancelled at send time"),
                       ("held", "held for quiet hours"), ("interrupted", "interrupted earlier")):
        if done[key]:
            parts.append(f"{done[key]} {label}")
    return "Messages: " + ", ".join(parts) + "."


def _change(message_id: int, allowed: tuple[str, ...], values: dict, action: str, detail: dict,
            refusal: str) -> OutboxMessage:
    with transaction():
        message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
        if message is None:
            raise OutboxError(f"There is no message {message_id}.")
        changed = (OutboxMessage.update(**values)
                   .where((OutboxMessage.id == message_id) & OutboxMessage.status.in_(allowed)).execute())
        if not changed:
            raise OutboxError(refusal.format(status=message.status))
        audit.record(action, "message", message_id, patient_id=message.patient_id, detail=detail)
    return OutboxMessage.get_by_id(message_id)


def retry(message_id: int) -> OutboxMessage:
    """Queue a failed or cancelled message again, due now, with a fresh count of attempts.

    The gate looks again when it is sent: a message cancelled for lack of consent stays unsent.
    """
    return _change(message_id, ("failed", "cancelled"),
                   {"status": "queued", "attempts": 0, "next_attempt_at": utcnow(), "note": "Queued again by hand."},
                   "messages.retry", {}, "Only failed or cancelled messages can be retried (this one is {status}).")


def cancel(message_id: int, reason: str) -> OutboxMessage:
    """Cancel a queued message (it will not be sent)."""
    reason = reason.strip() or "Cancelled by hand."
    return _change(message_id, ("queued",), {"status": "cancelled", "note": reason},
                   "messages.cancel", {"reason": reason}, "Only queued messages can be cancelled (this one is {status}).")


def mark_posted(message_id: int, by: str) -> OutboxMessage:
    """Record that a letter was printed and posted, after the gate's second look (consent, address).

    :raises OutboxError: it is not a letter waiting to be posted, or the gate now refuses it (then
        the letter is cancelled with the reason and must not be posted).
    """
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    channel = registry().get(message.channel) if message else None
    if message is None or channel is None or channel.automatic:
        raise OutboxError("Only printed messages (letters) are marked as posted.")
    reason = gate.recheck(message, _recipient(message))
    if reason:
        _change(message_id, ("queued",), {"status": "cancelled", "note": reason}, "messages.cancel",
                {"reason": reason}, "This letter is {status}.")
        raise OutboxError(f"Do not post this letter: {reason}")
    return _change(message_id, ("queued",), {"status": "sent", "sent_at": utcnow(), "attempts": 1,
                                             "server_reply": f"Printed and posted by {by}."},
                   "messages.sent", {"channel": message.channel}, "This letter is {status}, not waiting to be posted.")

