"""The mail server page: settings (the password sealed and never shown back) and a test message
sent from a background task, whose progress the page shows with the server's answer."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from ... import audit
from ...auth.access import can, requires
from ...db import transaction
from ...tasks import Failed, current_status, start_task
from ...web import core_blueprint as bp
from ...web.forms import choices
from ...web.query import record_id
from ...web.shell import notify, render_page
from .. import gate, outbox, recipients, smtp
from ..models import SECURITY_CHOICES, OutboxMessage

TEST_TEMPLATE = "core.test_message"


class ServerForm(FlaskForm):
    """The mail server settings; the password field is always empty (the stored one is never shown)."""

    host = StringField("Server", validators=[Length(max=200)], description="For example smtp.office365.com")
    port = IntegerField("Port", validators=[DataRequired("Enter a port."), NumberRange(1, 65535, "Use 1 to 65535.")])
    security = SelectField("Encryption", choices=choices(SECURITY_CHOICES))
    username = StringField("User name", validators=[Length(max=200)])
    password = PasswordField("Password", validators=[Length(max=500)],
                             description="Stored encrypted and never shown again; leave empty to keep the stored one.")
    remove_password = BooleanField("Remove the stored password")
    from_address = StringField("From address", validators=[Length(max=200)], description="The practice's sending address")
    from_name = StringField("From name", validators=[Length(max=200)], description="Usually the practice's name")
    reply_to = StringField("Reply-to address", validators=[Length(max=200)], description="Optional")


class TestForm(FlaskForm):
    """Where to send a test message."""

    to = StringField("Send a test message to", validators=[DataRequired("Enter an e-mail address."), Length(max=200)])


def _server_page(form, test_form, task=None, status=200, server=None):
    if server is None:
        server = smtp.load()
    return render_page("messages/server.html", title="Mail server", form=form, test_form=test_form, server=server,
                       task=task, breadcrumbs=[("Admin", None), ("Mail server", None)]), status


@bp.route("/admin/messages/server", methods=["GET", "POST"])
@requires("core.messages.server")
def messages_server():
    """The mail server settings (the password is stored sealed and never shown back)."""
    current = smtp.load()
    form = ServerForm(data={name: getattr(current, name) for name in (
        "host", "port", "security", "username", "from_address", "from_name", "reply_to")})
    test_form = TestForm(formdata=None, data={"to": current_user.row.email})
    task_id = record_id("task")
    task = current_status(task_id) if task_id is not None else None
    if task is not None and not can(task.permission):
        task = None
    if request.method == "GET" or not form.validate_on_submit():
        return _server_page(form, test_form, task, 422 if form.errors else 200, server=current)
    new_password = "" if form.remove_password.data else (form.password.data or None)
    values = smtp.ServerSettings(host=form.host.data.strip(), port=form.port.data, security=form.security.data,
                                 username=form.username.data.strip(), from_address=form.from_address.data.strip(),
                                 from_name=form.from_name.data.strip(), reply_to=form.reply_to.data.strip(),
                                 has_password=current.has_password)
    problems = smtp.problems(values, new_password)
    if problems:
        for name, message in problems.items():
            form[name].errors = [*form[name].errors, message]
        return _server_page(form, test_form, status=422)
    with transaction():
        changed = smtp.save(values, new_password, current_user.username)
        audit.record("messages.server.update", "mail_server", 1, detail={"changed": changed})
    notify("Mail server saved." if changed else "Nothing changed.")
    return redirect(url_for("core.messages_server"))


@bp.route("/admin/messages/server/test", methods=["POST"])
@requires("core.messages.server")
def messages_server_test():
    """Queue a test message and deliver it from a background task; the page shows the server's answer."""
    form = TestForm()
    if not form.validate_on_submit():
        return _server_page(ServerForm(data=asdict(smtp.load())), form, status=422)
    try:
        where = smtp.check_address(form.to.data)
        message = gate.queue(recipients.address(where, current_user.full_name), TEST_TEMPLATE,
                             {"sent_by": current_user.full_name}, urgent=True)
    except (ValueError, gate.Refused) as exc:
        form.to.errors = [getattr(exc, "reason", str(exc))]
        return _server_page(ServerForm(data=asdict(smtp.load())), form, status=422)
    app = current_app._get_current_object()
    message_id = message.id

    def work(progress):
        progress(None, f"Sending a test message to {where}…")
        outcome = outbox.deliver_one(message_id)
        sent = OutboxMessage.get_by_id(message_id)
        if outcome != "sent":
            if sent.status == "queued":  # a test that failed is not retried later
                outbox.cancel(message_id, f"Test failed: {sent.last_error}")
            raise Failed(f"Not sent: {sent.last_error or sent.note}")
        return f"Sent. The server answered: {sent.server_reply}"

    task = start_task(app, f"Test message to {where}", work, permission="core.messages.server",
                      created_by=current_user.username)
    return redirect(url_for("core.messages_server", task=task.id, _anchor=f"task-{task.id}"))
