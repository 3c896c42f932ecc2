"""The gate every message goes through: ``queue`` (from a template) and ``queue_staff`` (a note to staff).

For a patient it checks, before anything is stored:

- the consent register allows the channel's kind of contact for the template's purpose;
- the patient has an address on that channel;
- no field declared clinical reaches a channel that may not carry clinical text (minimum necessary);
- marketing gets an unsubscribe footer and, by e-mail, a ``List-Unsubscribe`` mailto header;
- quiet hours (settings ``core.messages_quiet_start_hour`` / ``_end_hour``, practice time) hold a
  non-urgent message until they end: deferred, never dropped.

Nothing is sent here: the message is stored in the outbox and the delivery job (or a person, for
letters) sends it. At send time :func:`recheck` runs the consent and address checks again, so an
opt-out recorded after queueing stops the message. Staff messages need no patient consent.
"""
from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

from flask import has_request_context
from flask_login import current_user

from .. import audit, settings
from ..db import transaction, utcnow
from . import consent, smtp, templating
from .channels import Channel, get as get_channel
from .models import OutboxMessage
from .recipients import Recipient
from .templating import PATIENT_PURPOSES, REQUIRED_NOTICE, MessageTemplateError, Rendered

QUIET_START = "core.messages_quiet_start_hour"
QUIET_END = "core.messages_quiet_end_hour"
UNSUBSCRIBE_ADDRESS = "core.messages_unsubscribe_address"


class Refused(Exception):
    """The gate will not send this message; ``reason`` says why in words staff can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- quiet hours -------------------------------------------------------------------------------

def quiet_until(now: dt.datetime | None = None) -> dt.datetime | None:
    """When the quiet hours around ``now`` end (aware), or None outside them.

    Quiet hours run from the start hour to the end hour in the practice's time zone and may span
    midnight (20 to 8); equal hours mean none.
    """
    start, end = int(settings.get(QUIET_START, 20)), int(settings.get(QUIET_END, 8))
    if start == end:
        return None
    zone = settings.practice_timezone()
    local = (now or utcnow()).astimezone(zone)
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    day = local.date() if hour < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(end), tzinfo=zone)


def hold_note(until: dt.datetime) -> str:
    return f"Held for quiet hours until {until.strftime('%Y-%m-%d %H:%M')}."


# --- the checks --------------------------------------------------------------------------------

def _consent_refusal(recipient: Recipient, channel: Channel, purpose: str) -> str | None:
    if recipient.kind != "patient" or purpose == REQUIRED_NOTICE:
        return None
    entry = consent.latest(recipient.patient_id, channel.consent_channel, purpose)
    return consent.refusal_reason(entry, channel.consent_channel, purpose)


def check(recipient: Recipient, channel_name: str, purpose: str) -> str:
    """The address this message would go to, after the consent and address checks.

    :raises Refused: no consent (or an opt-out), no address, or a purpose that does not fit the recipient.
    """
    try:
        channel = get_channel(channel_name)
    except LookupError as exc:
        raise Refused(str(exc)) from None
    if recipient.kind == "patient" and purpose == REQUIRED_NOTICE and channel.name != "core.letter":
        raise Refused("A notice the law requires goes to the patient as a letter.")
    if recipient.kind == "patient" and purpose not in PATIENT_PURPOSES + (REQUIRED_NOTICE,):
        raise Refused(f"Messages for {templating.PURPOSES.get(purpose, purpose)} go to staff, not patients.")
    if recipient.kind != "patient" and purpose != "staff":
        raise Refused("Messages about appointments, billing or marketing go to patients only.")
    reason = _consent_refusal(recipient, channel, purpose)
    if reason:
        raise Refused(reason)
    where = channel.address(recipient)
    if not where:
        who = "The patient" if recipient.kind == "patient" else "This recipient"  # reasons never name anyone
        raise Refused(f"{who} has no usable {channel.title.lower()} address on file.")
    return where


def _unsubscribe_address() -> str:
    chosen = settings.get(UNSUBSCRIBE_ADDRESS) or ""
    server = smtp.load()
    return chosen or server.reply_to or server.from_address


def _marketing_footer(recipient: Recipient, channel: Channel) -> tuple[str, dict]:
    """(markdown footer, extra headers) for a marketing message."""
    practice = templating.practice_values()
    phone = f" or call us at {practice['practice_phone']}" if practice["practice_phone"] else ""
    lead = f"You receive this because you agreed to hear from {practice['practice_name'] or 'us'}."
    if channel.consent_channel != "email":
        return f"\n\n---\n\n{lead} To stop, tell us at your next visit{phone}.\n", {}
    address = _unsubscribe_address()
    if not address:
        raise Refused("Marketing e-mail needs an address for unsubscribe requests: set up the mail server "
                      "(or the setting for unsubscribe requests) first.")
    subject = f"unsubscribe {consent.unsubscribe_code(recipient.patient_id)}"
    footer = (f"\n\n---\n\n{lead} To stop these e-mails, send a message to {address} with the subject "
              f"\u201c{subject}\u201d (your e-mail program's unsubscribe button does this for you){phone}.\n")
    return footer, {"List-Unsubscribe": f"<mailto:{address}?subject={quote(subject)}>"}


def values_for(spec: templating.MessageTemplate, recipient: Recipient, fields: dict) -> dict:
    """Everything a template may use: the recipient's names, the practice's, the declared fields.

    :raises MessageTemplateError: a field that is not declared, or a declared one left out.
    """
    declared = {f.name for f in spec.fields}
    unknown = sorted(set(fields) - declared)
    missing = sorted(declared - set(fields))
    if unknown or missing:
        parts = [f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}" if unknown else "",
                 f"missing {', '.join(missing)}" if missing else ""]
        raise MessageTemplateError(f"Template {spec.key}: {'; '.join(p for p in parts if p)}.")
    return {**templating.practice_values(), "first_name": recipient.first_name,
            "last_name": recipient.last_name, "full_name": recipient.name,
            **{name: fields[name] for name in declared}}


def compose(recipient: Recipient, template_key: str, fields: dict | None = None,
            channel_name: str = "core.email") -> tuple[str, Rendered, dict]:
    """Run the gate and render, without storing anything: (address, rendered message, headers).

    Used by :func:`queue` and by the preview.
    :raises Refused: the gate said no (the reason says why).
    :raises MessageTemplateError: the template or its values are wrong.
    """
    spec = templating.template_specs().get(template_key)
    if spec is None:
        raise Refused(f"There is no message template {template_key!r} (is its module turned on?).")
    if spec.channels and channel_name not in spec.channels:
        raise Refused(f"{spec.title} may only go out as {', '.join(spec.channels)}.")
    where = check(recipient, channel_name, spec.purpose)
    channel = get_channel(channel_name)
    subject, body = templating.wording(spec)
    used = templating.referenced(subject) | templating.referenced(body)
    clinical = sorted(used & spec.clinical_fields())
    if clinical and not channel.allows_clinical:
        raise Refused(f"{spec.title} uses clinical fields ({', '.join(clinical)}), which never go out by "
                      f"{channel.title.lower()}: minimum necessary. Send it as a letter or reword it.")
    headers = {}
    if spec.purpose == "marketing":
        footer, headers = _marketing_footer(recipient, channel)
        body = body.rstrip() + footer
    rendered = templating.render(subject, body, values_for(spec, recipient, fields or {}))
    return where, rendered, headers


def _author(by: str | None) -> str:
    if by is not None:
        return by
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.username
    return "system"


def _store(recipient: Recipient, channel: Channel, purpose: str, where: str, rendered: Rendered,
           headers: dict, template_key: str, urgent: bool, by: str | None) -> OutboxMessage:
    now = utcnow()
    held = None if urgent or not channel.respects_quiet_hours or recipient.kind != "patient" else quiet_until(now)
    with transaction():
        message = OutboxMessage.create(
            channel=channel.name, purpose=purpose, template_key=template_key, urgent=urgent,
            recipient_kind=recipient.kind, patient=recipient.patient_id, staff=recipient.staff_id,
            to_name=recipient.name, to_address=where, subject=rendered.subject, body_text=rendered.text,
            body_html=str(rendered.html),
            headers=json.dumps(headers), next_attempt_at=held or now, note=hold_note(held) if held else "",
            created_at=now, created_by=_author(by))
        audit.record("messages.queue", "message", message.id, patient_id=recipient.patient_id,
                     detail={"channel": channel.name, "purpose": purpose, "template": template_key,
                             "urgent": urgent})
    return message


def queue(recipient: Recipient, template_key: str, fields: dict | None = None, *,
          channel: str = "core.email", urgent: bool = False, by: str | None = None) -> OutboxMessage:
    """Put a message from a declared template in the outbox, through the gate.

    :param fields: a value for every field the template declares.
    :param urgent: not held by quiet hours (a same-day change, a security notice).
    :param by: who queued it (default: the logged-in user, else "system").
    :raises Refused: the gate said no; nothing was stored.
    :raises MessageTemplateError: the template or its values are wrong.
    """
    where, rendered, headers = compose(recipient, template_key, fields, channel)
    spec = templating.template_specs()[template_key]
    return _store(recipient, get_channel(channel), spec.purpose, where, rendered, headers, template_key,
                  urgent, by)


def queue_staff(recipient: Recipient, subject: str, body: str, *, channel: str = "core.email",
                urgent: bool = False, by: str | None = None) -> OutboxMessage:
    """Put a note to staff (markdown ``body``) in the outbox; patients only get templated messages.

    :raises Refused: the recipient is a patient, or has no address on the channel.
    """
    if recipient.kind == "patient":
        raise Refused("Patients only receive messages from templates (so their wording and fields are checked).")
    if not subject.strip() or not body.strip():
        raise Refused("A message needs a subject and a body.")
    where = check(recipient, channel, "staff")
    from .. import markdown_service

    rendered = Rendered(subject=" ".join(subject.split())[:templating.MAX_SUBJECT], text=body.strip() + "\n",
                        html=markdown_service.render(body))
    return _store(recipient, get_channel(channel), "staff", where, rendered, {}, "", urgent, by)


def recheck(message: OutboxMessage, recipient: Recipient | None) -> str | None:
    """At send time: why this message must not go out after all, or None when it may.

    A patient's consent is read again (an opt-out recorded after queueing stops it), and the address
    must still be the one on file (a changed address is never written to with the old one).
    """
    if message.recipient_kind != "patient":
        return None
    if recipient is None:
        return "The patient's record is gone."
    try:
        channel = get_channel(message.channel)
    except LookupError as exc:
        return str(exc)
    reason = _consent_refusal(recipient, channel, message.purpose)
    if reason:
        return reason
    if channel.address(recipient) != message.to_address:
        return (f"The patient's {channel.title.lower()} address changed after this was queued: "
                "queue it again to use the new one.")
    return None
