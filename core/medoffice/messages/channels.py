"""Channels: the ways a message reaches someone. Plugins add theirs (``medoffice_message_channels``);
core's e-mail and letter are built on the same classes and go through the same gate.

A channel names the consent it needs (``consent_channel``: email, post, phone or text), says
whether clinical text may travel on it (only sealed letters), and either delivers by itself
(``AutomaticChannel``: the outbox job calls ``deliver``) or is delivered by a person
(``PrintedChannel``: printed from the outbox and posted).
"""
from __future__ import annotations

import abc
import json
import logging

from flask import current_app

from . import smtp
from .consent import CHANNELS
from .recipients import Recipient

log = logging.getLogger("medoffice.messages")


class UnknownChannel(LookupError):
    """No enabled plugin contributes a channel of that name."""


class Channel(abc.ABC):
    """A way to reach a recipient. ``name`` is ``<plugin>.<what>`` (core's: ``core.email``, ``core.letter``)."""

    name: str = ""
    title: str = ""
    consent_channel: str = ""
    allows_clinical: bool = False
    respects_quiet_hours: bool = True
    automatic: bool = True

    @abc.abstractmethod
    def address(self, recipient: Recipient) -> str:
        """Where this channel reaches ``recipient`` ("" when it cannot: no address on file)."""


class AutomaticChannel(Channel):
    """A channel the outbox job delivers on its own, retrying with backoff."""

    automatic = True

    @abc.abstractmethod
    def deliver(self, message) -> str:
        """Deliver one ``OutboxMessage``; return the service's answer (kept on the message).

        :raises DeliveryError: with the service's answer; ``permanent=True`` when retrying cannot help.
        """


class PrintedChannel(Channel):
    """A channel a person delivers: the outbox lists its messages to print, then marks them posted."""

    automatic = False
    respects_quiet_hours = False


class EmailChannel(AutomaticChannel):
    """E-mail through the practice's mail server (plain text with an HTML alternative)."""

    name = "core.email"
    title = "E-mail"
    consent_channel = "email"

    def address(self, recipient: Recipient) -> str:
        """The recipient's e-mail address, normalized ("" when missing or not valid)."""
        try:
            return smtp.check_address(recipient.email) if recipient.email else ""
        except ValueError:
            return ""

    def deliver(self, message) -> str:
        """Send through the configured server; the answer is the server's reply to the content."""
        server = smtp.load()
        mime = smtp.build(to_name=message.to_name, to_address=message.to_address, subject=message.subject,
                          text=message.body_text, html=message.body_html,
                          headers=json.loads(message.headers or "{}"), server=server)
        return smtp.send(mime, server)


class LetterChannel(PrintedChannel):
    """A letter on paper: printed from the outbox (PDF or print view) and posted by the office."""

    name = "core.letter"
    title = "Letter"
    consent_channel = "post"
    allows_clinical = True  # a sealed letter to the patient's own address

    def address(self, recipient: Recipient) -> str:
        """The recipient's postal address as lines ("" when no street address is on file)."""
        return "\n".join(recipient.postal)


def registry() -> dict[str, Channel]:
    """The channels of the enabled plugins by name (a channel declaring an unknown consent is left out)."""
    runtime = current_app.extensions["medoffice"]

    def build():
        found = {}
        for channel in runtime.host.call("medoffice_message_channels"):
            if channel.consent_channel not in CHANNELS:
                log.error("message channel %s needs consent %r, which is not one of %s: left out",
                          channel.name, channel.consent_channel, ", ".join(CHANNELS))
                continue
            found[channel.name] = channel
        return found

    return runtime.derived("message channels", build)


def get(name: str) -> Channel:
    """The enabled channel called ``name``.

    :raises UnknownChannel: no enabled plugin offers it.
    """
    channel = registry().get(name)
    if channel is None:
        raise UnknownChannel(f"There is no message channel {name!r} (is its module turned on?).")
    return channel
