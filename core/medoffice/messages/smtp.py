"""The outgoing mail server: its settings (password sealed) and sending one message with smtplib.

Certificates are checked (the system's trusted authorities) for STARTTLS and TLS. A user name and
password are only ever sent over an encrypted connection. Every failure becomes a
``DeliveryError`` carrying the server's answer (or what went wrong on the way to it), marked
permanent only when the server refused this message for good (a 5xx answer to the sender, the
recipient or the content); everything else (server down, busy, wrong password) is retried.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from email_validator import EmailNotValidError, validate_email

from ..db import transaction, utcnow
from .models import MailServer
from .secret import SecretUnreadable, seal, unseal

SEALED_LABEL = "smtp password"
TIMEOUT_SECONDS = 30
SECURITY = ("starttls", "tls", "none")


class DeliveryError(Exception):
    """A message could not be delivered. ``answer`` is the server's reply or what failed;
    ``permanent`` means retrying cannot help (the server refused this message for good)."""

    def __init__(self, answer: str, permanent: bool = False):
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


@dataclass(frozen=True)
class ServerSettings:
    """The mail server as the settings page edits it; the password is never part of it."""

    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    has_password: bool = False

    @property
    def configured(self) -> bool:
        """True once a host and a from address are set."""
        return bool(self.host and self.from_address)


def load() -> ServerSettings:
    """The stored settings (defaults when nothing was saved)."""
    row = MailServer.get_or_none(MailServer.id == 1)
    if row is None:
        return ServerSettings()
    return ServerSettings(host=row.host, port=row.port, security=row.security, username=row.username,
                          from_address=row.from_address, from_name=row.from_name, reply_to=row.reply_to,
                          has_password=bool(row.password_sealed))


def check_address(value: str) -> str:
    """``value`` as a normalized e-mail address.

    :raises ValueError: it is not a valid address (the message says why).
    """
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def problems(values: ServerSettings, new_password: str | None) -> dict[str, str]:
    """What is wrong with settings about to be saved: {field: message}."""
    found = {}
    if not values.host.strip():
        found["host"] = "Enter the mail server's name, such as smtp.example.com."
    if not 1 <= values.port <= 65535:
        found["port"] = "Use a port from 1 to 65535 (usually 587 for STARTTLS, 465 for TLS)."
    if values.security not in SECURITY:
        found["security"] = "Choose how the connection is encrypted."
    for name in ("from_address", "reply_to"):
        value = getattr(values, name)
        if value or name == "from_address":
            try:
                check_address(value)
            except ValueError as exc:
                found[name] = str(exc)
    keeps_password = values.has_password if new_password is None else bool(new_password)
    if values.security == "none" and (values.username or keeps_password):
        found["security"] = ("A user name and password are only sent over an encrypted connection: "
                             "choose STARTTLS or TLS, or remove them.")
    if keeps_password and not values.username:
        found["username"] = "Enter the user name that goes with the password."
    return found


def save(values: ServerSettings, new_password: str | None, by: str) -> list[str]:
    """Store the settings; ``new_password`` None keeps the stored one, "" removes it.

    :return: the names of what changed (the password only as "password", never its value).
    """
    row = MailServer.get_or_none(MailServer.id == 1)
    before = load()
    fields = {"host": values.host.strip(), "port": values.port, "security": values.security,
              "username": values.username.strip(), "from_address": values.from_address.strip(),
              "from_name": values.from_name.strip(), "reply_to": values.reply_to.strip()}
    changed = [name for name, value in fields.items() if getattr(before, name) != value]
    if new_password is not None:
        fields["password_sealed"] = seal(new_password, SEALED_LABEL) if new_password else ""
        changed.append("password")
    with transaction():
        if row is None:
            MailServer.insert(id=1, updated_at=utcnow(), updated_by=by, **fields).execute()
        else:
            MailServer.update(updated_at=utcnow(), updated_by=by, **fields).where(MailServer.id == 1).execute()
    return changed


def build(*, to_name: str, to_address: str, subject: str, text: str, html: str,
          headers: dict, server: ServerSettings) -> EmailMessage:
    """The MIME message: a plain-text part and, when given, an HTML alternative."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(server.from_name, addr_spec=server.from_address)
    message["To"] = Address(to_name, addr_spec=to_address)
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=server.from_address.rpartition("@")[2])
    if server.reply_to:
        message["Reply-To"] = server.reply_to
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def tls_context() -> ssl.SSLContext:
    """The TLS settings for the mail server: certificates checked against the system's authorities."""
    return ssl.create_default_context()


def _answer(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(text.split())}".strip()


def _password() -> str:
    row = MailServer.get_by_id(1)
    try:
        return unseal(row.password_sealed, SEALED_LABEL)
    except SecretUnreadable:
        raise DeliveryError("The stored mail server password cannot be read with this instance's backup "
                            "key: enter it again on the mail server page.") from None


def send(message: EmailMessage, server: ServerSettings) -> str:
    """Hand one message to the server; returns its answer to the content ("250 2.0.0 Ok: queued").

    :raises DeliveryError: with the server's answer, or why it could not be reached.
    """
    if not server.configured:
        raise DeliveryError("No mail server is set up yet: an administrator enters it on the mail server page.")
    where = f"{server.host}:{server.port}"
    password = _password() if server.has_password else ""
    try:
        if server.security == "tls":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=tls_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        try:
            client.ehlo()
            if server.security == "starttls":
                if not client.has_extn("starttls"):
                    raise DeliveryError(f"{where} does not offer STARTTLS: choose another setting or server.")
                client.starttls(context=tls_context())
                client.ehlo()
            if server.username:
                client.login(server.username, password)
            return _transfer(client, message, server)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"The server refused the user name or password: {_answer(exc.smtp_code, exc.smtp_error)}")
    except smtplib.SMTPResponseException as exc:
        # 5xx to the sender, the recipient or the content: this message will never be accepted.
        raise DeliveryError(_answer(exc.smtp_code, exc.smtp_error), permanent=500 <= exc.smtp_code < 600) from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise DeliveryError(_answer(code, text), permanent=500 <= code < 600) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"Secure connection to {where} failed: {exc.reason or exc}") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(f"{where} closed the connection: {exc}") from None
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"{where} did not answer within {TIMEOUT_SECONDS} seconds.") from None
    except smtplib.SMTPException as exc:  # before OSError: smtplib's errors are OSErrors too
        raise DeliveryError(f"{where}: {exc}") from None
    except OSError as exc:
        raise DeliveryError(f"Could not connect to {where}: {exc.strerror or exc}") from None


def _transfer(client: smtplib.SMTP, message: EmailMessage, server: ServerSettings) -> str:
    """MAIL, RCPT and DATA one by one, so the server's final answer can be recorded."""
    recipient = message["To"].addresses[0].addr_spec
    code, text = client.mail(server.from_address)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, text, server.from_address)
    code, text = client.rcpt(recipient)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
    code, text = client.data(message.as_bytes())
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
    return _answer(code, text)
