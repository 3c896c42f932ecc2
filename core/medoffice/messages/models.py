"""The tables of the messages service: the mail server, the outbox, the consent register and
template texts edited by staff. They are core's tables (``core_message_*``)."""
from __future__ import annotations

import peewee as pw

from ..db import BaseModel, UTCDateTimeField, utcnow
from ..models import Patient, StaffMember

SECURITY_CHOICES = (("starttls", "STARTTLS (usually port 587)"), ("tls", "TLS from the start (usually port 465)"),
                    ("none", "None (a relay on this computer or the office network only)"))


class MailServer(BaseModel):
    """The practice's outgoing mail server: one row (id 1). The password is stored sealed
    (``medoffice.messages.secret``) and never shown back."""

    host = pw.CharField(max_length=200, default="")
    port = pw.IntegerField(default=587)
    security = pw.CharField(max_length=10, default="starttls")
    username = pw.CharField(max_length=200, default="")
    password_sealed = pw.TextField(default="")
    from_address = pw.CharField(max_length=200, default="")
    from_name = pw.CharField(max_length=200, default="")
    reply_to = pw.CharField(max_length=200, default="")
    updated_at = UTCDateTimeField(null=True)
    updated_by = pw.CharField(max_length=60, default="")

    class Meta:
        table_name = "core_message_server"


class OutboxMessage(BaseModel):
    """One message on its way: queued, sending, sent, failed (with the server's answer) or cancelled.

    The content is rendered when the message is queued and kept as it was; ``next_attempt_at``
    is when the delivery job may try it next (retries back off, quiet hours defer).
    """

    channel = pw.CharField(max_length=60)
    purpose = pw.CharField(max_length=30)
    template_key = pw.CharField(max_length=120, default="")
    urgent = pw.BooleanField(default=False)
    recipient_kind = pw.CharField(max_length=10)
    patient = pw.ForeignKeyField(Patient, null=True, index=True)
    staff = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    to_name = pw.CharField(max_length=200, default="")
    to_address = pw.TextField()
    subject = pw.CharField(max_length=300)
    body_text = pw.TextField()
    body_html = pw.TextField(default="")
    headers = pw.TextField(default="{}")
    status = pw.CharField(max_length=10, default="queued")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    claimed_at = UTCDateTimeField(null=True)
    note = pw.TextField(default="")
    last_error = pw.TextField(default="")
    server_reply = pw.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)
    created_by = pw.CharField(max_length=60, default="")
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "core_message_outbox"
        indexes = ((("status", "next_attempt_at"), False),)


class Consent(BaseModel):
    """One entry of the consent register: a patient granted or refused contact on a channel for a
    purpose. Entries are only added; the latest for (patient, channel, purpose) is what holds."""

    patient = pw.ForeignKeyField(Patient)
    channel = pw.CharField(max_length=10)
    purpose = pw.CharField(max_length=30)
    decision = pw.CharField(max_length=10)
    source = pw.CharField(max_length=30)
    given_on = pw.DateField()
    note = pw.TextField(default="")
    recorded_by = pw.CharField(max_length=60, default="")
    recorded_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_message_consent"
        indexes = ((("patient", "channel", "purpose"), False),)


class TemplateText(BaseModel):
    """Staff's own wording of a declared message template (its fields stay those the code declares)."""

    key = pw.CharField(max_length=120, unique=True)
    subject = pw.CharField(max_length=300)
    body = pw.TextField()
    updated_at = UTCDateTimeField(default=utcnow)
    updated_by = pw.CharField(max_length=60, default="")

    class Meta:
        table_name = "core_message_template"


MESSAGE_MODELS = [MailServer, OutboxMessage, Consent, TemplateText]
