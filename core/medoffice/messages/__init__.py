"""Messages: e-mail, letters and a consent register, with one gate every message goes through.

A plugin declares what it sends (``MessageTemplate`` with named fields, hook
``medoffice_message_templates``) and queues it for a recipient; the gate checks the patient's
consent for the channel and purpose, the address, quiet hours and minimum necessary, and stores
the rendered message in the outbox. The delivery job sends it (never a request thread)::

    from medoffice import messages

    messages.queue(messages.patient(42), "billing.statement_ready", {"amount": "$45.00"})

Parts: ``models`` (server, outbox, consent, template texts), ``secret`` (the sealed password),
``smtp`` (the mail server), ``templating`` (sandboxed markdown templates), ``consent`` (the
register), ``recipients``, ``channels`` (e-mail, letter, and the hook for more), ``gate``,
``outbox`` (delivery, retries, staff actions), ``letters`` (PDF and print), ``hooks`` (what core
contributes through its hooks), ``views`` (the pages), ``cli``.
The design is in docs/architecture.md.
"""
import importlib

# Core's tables first: medoffice.models imports this package's models at its end (after Patient),
# so whichever of the two is imported first, both load whole.
from .. import models as _core_models  # noqa: F401

# The API is loaded on first use: this package is imported while core's own modules (settings,
# audit) may still be loading, and the gate needs them complete.
_EXPORTS = {
    "AutomaticChannel": "channels", "Channel": "channels", "EmailChannel": "channels",
    "LetterChannel": "channels", "PrintedChannel": "channels", "UnknownChannel": "channels",
    "ConsentError": "consent", "record_consent": "consent",
    "Refused": "gate", "check": "gate", "queue": "gate", "queue_staff": "gate",
    "deliver_one": "outbox",
    "Recipient": "recipients", "UnknownRecipient": "recipients", "address": "recipients",
    "patient": "recipients", "staff": "recipients", "user": "recipients",
    "DeliveryError": "smtp",
    "MessageTemplate": "templating", "MessageTemplateError": "templating", "TemplateField": "templating",
}
_RENAMED = {"record_consent": "record"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_EXPORTS})
