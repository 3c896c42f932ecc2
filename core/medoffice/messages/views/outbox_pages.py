"""The outbox pages: messages by state, one message with the server's answers, retry and cancel,
and letters to print (print view and PDF) and mark as posted."""
from __future__ import annotations

import functools
import json

from flask import abort, current_app, make_response, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ... import audit, prepared
from ...auth.access import requires
from ...data_versions import OPERATIONS_KEY, kept
from ...localtime import local_datetime
from ...settings import practice_timezone
from ...web import core_blueprint as bp
from ...web.shell import notify, render_page
from ...web.tables import TableColumn, paginate, url_template
from .. import letters, outbox
from ..channels import registry
from ..models import OutboxMessage
from ..templating import PURPOSES

TABS = {"queued": "Queued", "letters": "Letters to print", "sent": "Sent", "failed": "Failed",
        "cancelled": "Cancelled"}


def channel_title(name: str) -> str:
    """A channel's title ("E-mail"), or its name when its module is off."""
    channel = registry().get(name)
    return channel.title if channel else name


def _printed_channels() -> list[str]:
    return [name for name, channel in registry().items() if not channel.automatic]


def _outbox_query(tab: str, printed: tuple[str, ...]):
    """The messages of ``tab``, given the channels whose messages are letters (``printed``)."""
    query = OutboxMessage.select()
    if tab == "letters":
        return query.where((OutboxMessage.status == "queued") & OutboxMessage.channel.in_(list(printed) or [""]))
    if tab == "queued":
        return query.where(OutboxMessage.status.in_(("queued", "sending"))
                           & OutboxMessage.channel.not_in(list(printed) or [""]))
    return query.where(OutboxMessage.status == tab)


@functools.lru_cache(maxsize=32)
def _tab_count_query(tab: str, printed: tuple[str, ...]):
    """What a tab's count reads: built once per tab and set of letter channels (five on every view)."""
    return _outbox_query(tab, printed).select(OutboxMessage.id)


@bp.route("/admin/messages/outbox")
@requires("core.messages.outbox")
def messages_outbox():
    """Messages by state (queued, letters to print, sent, failed, cancelled); the patients shown are audited."""
    tab = request.args.get("status", "queued")
    if tab not in TABS:
        abort(404)
    def when(value):
        return local_datetime(value, zone=False)

    link = url_template("core.messages_message", "message_id")
    columns = [
        TableColumn("id", "#", OutboxMessage.id, numeric=True, link=lambda m: link(m.id)),
        TableColumn("created_at", "Queued", OutboxMessage.created_at, value=lambda m: when(m.created_at)),
        TableColumn("to_name", "To", OutboxMessage.to_name, value=lambda m: m.to_name or m.to_address),
        TableColumn("channel", "By", value=lambda m: channel_title(m.channel)),
        TableColumn("purpose", "About", value=lambda m: PURPOSES.get(m.purpose, m.purpose)),
        TableColumn("subject", "Subject", OutboxMessage.subject),
        TableColumn("attempts", "Attempts", numeric=True),
        TableColumn("when", "Sent" if tab == "sent" else "Next attempt",
                    OutboxMessage.sent_at if tab == "sent" else OutboxMessage.next_attempt_at,
                    value=lambda m: when(m.sent_at if tab == "sent" else m.next_attempt_at)),
        TableColumn("answer", "Server's answer" if tab != "cancelled" else "Why",
                    value=lambda m: m.server_reply if tab == "sent" else (m.last_error or m.note)),
    ]
    printed = tuple(_printed_channels())  # which channels are letters changes the tabs' SQL
    state = current_app.extensions["medoffice"].host.state_version
    table = paginate(_outbox_query(tab, printed), id="outbox", columns=columns,
                     search=lambda text: OutboxMessage.to_name.contains(text) | OutboxMessage.subject.contains(text),
                     default_sort="id", endpoint="core.messages_outbox", endpoint_args={"status": tab},
                     noun="message", noun_plural="messages", search_placeholder="Search recipient or subject",
                     empty_message="No messages here.", key=("messages.outbox", tab, printed),
                     kept_by=OPERATIONS_KEY, kept_with=(state,))  # a channel's title comes from its module
    audit.record_list("messages.outbox.list", (m.patient_id for m in table.rows), tab=tab)
    counts = kept(OPERATIONS_KEY, ("outbox tab counts", printed), lambda: {
        key: prepared.count_upto(_tab_count_query(key, printed), ("messages.outbox.tab", key, printed), 1000)
        for key in TABS})
    return render_page("messages/outbox.html", title="Outbox", table=table, tab=tab, tabs=TABS,
                       counts=counts, breadcrumbs=[("Admin", None), ("Outbox", None)])


def _message_or_404(message_id: int) -> OutboxMessage:
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    if message is None:
        abort(404)
    return message


@bp.route("/admin/messages/outbox/<int:message_id>")
@requires("core.messages.outbox")
def messages_message(message_id: int):
    """One message: content, headers, state and the server's answers (the read is audited)."""
    message = _message_or_404(message_id)
    audit.record_read("messages.message.view", "message", message.id, patient_id=message.patient_id)
    channel = registry().get(message.channel)
    return render_page("messages/message.html", title=f"Message {message.id}", message=message,
                       headers=json.loads(message.headers or "{}"), channel=channel,
                       channel_title=channel_title(message.channel), purpose=PURPOSES.get(message.purpose),
                       timezone=practice_timezone(), html=Markup(message.body_html),
                       breadcrumbs=[("Admin", None), ("Outbox", url_for("core.messages_outbox")),
                                    (f"Message {message.id}", None)])


def _after_action(message_id: int, action):
    try:
        action()
    except outbox.OutboxError as exc:
        notify(str(exc), "error")
    return redirect(url_for("core.messages_message", message_id=message_id))


@bp.route("/admin/messages/outbox/<int:message_id>/retry", methods=["POST"])
@requires("core.messages.outbox")
def messages_retry(message_id: int):
    """Queue a failed or cancelled message again (the gate looks again when it is sent)."""
    return _after_action(message_id, lambda: (outbox.retry(message_id), notify("Queued again.")))


@bp.route("/admin/messages/outbox/<int:message_id>/cancel", methods=["POST"])
@requires("core.messages.outbox")
def messages_cancel(message_id: int):
    """Cancel a queued message."""
    reason = (request.form.get("reason") or "").strip()[:500] or f"Cancelled by {current_user.username}."
    return _after_action(message_id, lambda: (outbox.cancel(message_id, reason), notify("Cancelled.")))


@bp.route("/admin/messages/outbox/<int:message_id>/posted", methods=["POST"])
@requires("core.messages.outbox")
def messages_posted(message_id: int):
    """Record that a letter was printed and posted (refused, and cancelled, if consent was withdrawn)."""
    return _after_action(message_id, lambda: (outbox.mark_posted(message_id, current_user.username),
                                              notify("Marked as posted.")))


def _waiting_letters(message_id: int | None) -> list[OutboxMessage]:
    if message_id is not None:
        message = _message_or_404(message_id)
        if message.channel not in _printed_channels():
            abort(404)
        return [message]
    return list(_outbox_query("letters", tuple(_printed_channels())).order_by(OutboxMessage.id).limit(200))


def _letters_response(message_id: int | None, pdf: bool):
    found = _waiting_letters(message_id)
    audit.record_list("messages.letters.print", (m.patient_id for m in found),
                      messages=[m.id for m in found], format="pdf" if pdf else "print")
    if not pdf:
        return letters.letters_html(found, for_print=True)
    response = make_response(letters.letters_pdf(found))
    response.headers["Content-Type"] = "application/pdf"
    name = f"letter-{message_id}.pdf" if message_id else "letters.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/admin/messages/outbox/<int:message_id>/letter")
@requires("core.messages.outbox")
def messages_letter(message_id: int):
    """A letter's print view."""
    return _letters_response(message_id, pdf=False)


@bp.route("/admin/messages/outbox/<int:message_id>/letter.pdf")
@requires("core.messages.outbox")
def messages_letter_pdf(message_id: int):
    """A letter as PDF."""
    return _letters_response(message_id, pdf=True)


@bp.route("/admin/messages/letters")
@requires("core.messages.outbox")
def messages_letters():
    """Every letter waiting to be printed, one per page, as a print view."""
    return _letters_response(None, pdf=False)


@bp.route("/admin/messages/letters.pdf")
@requires("core.messages.outbox")
def messages_letters_pdf():
    """Every letter waiting to be printed, one per page, as one PDF."""
    return _letters_response(None, pdf=True)
