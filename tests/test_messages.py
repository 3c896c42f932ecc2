"""Messages: the gate (consent, quiet hours, minimum necessary, unsubscribe), the outbox delivered
through a real SMTP server on the loopback (aiosmtpd), letters, the pages and the CLI."""
from __future__ import annotations

import contextlib
import datetime as dt
import email
import json
import socket
import ssl
import time
import types
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from flask import Flask

from medoffice import PluginInfo, hookimpl, messages, settings
from medoffice.cli import main
from medoffice.db import db, utcnow
from medoffice.messages import consent, gate, outbox, smtp, templating
from medoffice.messages.channels import EmailChannel, LetterChannel
from medoffice.messages.models import MailServer, OutboxMessage
from medoffice.messages.secret import SecretUnreadable, seal, unseal
from medoffice.models import AuditEvent, Patient
from medoffice.tasks import current_status
from medoffice.testing import login, page_queries, reads_of, write_sql
from medoffice.tls import generate_self_signed

from fixtures_plugins import write_instance_config

FROM = "office@practice.example"


# --- a real SMTP server on the loopback ------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping what arrived; ``refuse`` answers RCPT with that reply instead."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued as TEST42"


@contextlib.contextmanager
def smtp_server(port: int | None = None, **options):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **options)
    controller.start()
    try:
        inbox.port = controller.port
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox():
    with smtp_server() as running:
        yield running


# --- a plugin that declares templates and a texting channel ------------------------------------

class TextDemo(messages.AutomaticChannel):
    """A third party's texting service: records what it was asked to send."""

    name = "msgtest.text"
    title = "Text message"
    consent_channel = "text"
    sent: list = []

    def address(self, recipient):
        return recipient.mobile

    def deliver(self, message):
        self.sent.append((message.to_address, message.body_text))
        return "accepted by the texting service"


STATEMENT = messages.MessageTemplate(
    "msgtest.statement", "Statement ready", "billing", subject="Your statement from {{ practice_name }}",
    body="Dear {{ first_name }},\n\nYour balance is **{{ amount }}**.\n",
    fields=(messages.TemplateField("amount", "Amount due", example="$45.00"),))
NEWS = messages.MessageTemplate(
    "msgtest.news", "Newsletter", "marketing", subject="News from {{ practice_name }}",
    body="Hello {{ first_name }}, flu shots are here.\n")
RECALL = messages.MessageTemplate(
    "msgtest.recall", "Recall letter", "appointments_recalls", subject="Time for your visit",
    body="Dear {{ first_name }},\n\nYou are due for {{ procedure }}.\n",
    fields=(messages.TemplateField("procedure", "Procedure", clinical=True, example="a colonoscopy"),),
    channels=("core.letter",))
LEAKY = messages.MessageTemplate(  # declared badly on purpose: clinical text allowed on any channel
    "msgtest.leaky", "Results", "appointments_recalls", subject="Your results",
    body="Your test for {{ diagnosis }} is back.\n",
    fields=(messages.TemplateField("diagnosis", "Diagnosis", clinical=True),))
REMINDER = messages.MessageTemplate(
    "msgtest.reminder", "Appointment reminder", "appointments_recalls", subject="See you soon",
    body="Dear {{ first_name }}, see you on {{ day }}.\n", fields=(messages.TemplateField("day", "Day"),))


def messages_plugin() -> types.ModuleType:
    module = types.ModuleType("msgtest_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="msgtest", title="Message test")

    @hookimpl
    def medoffice_message_templates():
        return [STATEMENT, NEWS, RECALL, LEAKY, REMINDER]

    @hookimpl
    def medoffice_message_channels():
        return [TextDemo()]

    module.medoffice_message_templates = medoffice_message_templates
    module.medoffice_message_channels = medoffice_message_channels
    return module


@pytest.fixture
def msg_app(make_app):
    TextDemo.sent = []
    return make_app(plugins=[], extra=[messages_plugin()])


@contextlib.contextmanager
def connected(app):
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            db.close()


_accounts = iter(range(1000, 100000))


def new_patient(**values) -> int:
    number = next(_accounts)
    defaults = {"account_number": f"A{number}", "first_name": "Jane", "last_name": f"Doe{number}",
                "date_of_birth": dt.date(1980, 5, 17), "email": f"jane{number}@patient.example",
                "mobile": "5551234567", "address1": "12 Main St", "city": "Springfield", "state": "IL",
                "zip": "62701"}
    return Patient.create(**{**defaults, **values}).id


def use_server(port: int, reply_to: str = "") -> None:
    """Point the mail server settings at the loopback (no encryption, no password)."""
    smtp.save(smtp.ServerSettings(host="127.0.0.1", port=port, security="none", from_address=FROM,
                                  from_name="Test Practice", reply_to=reply_to), None, "test")


def grant(patient_id: int, channel: str = "email", purpose: str = "billing", decision: str = "granted"):
    return consent.record(patient_id, channel, purpose, decision, "form", by="tester")


def no_quiet_hours():
    settings.set_many({gate.QUIET_START: 0, gate.QUIET_END: 0})


# --- pure logic ---------------------------------------------------------------------------------

def test_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [outbox.backoff(n).total_seconds() / 60 for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert outbox.backoff(30) == dt.timedelta(hours=6)


def test_values_are_escaped_in_the_html_part_and_kept_as_given_in_the_text_part():
    rendered = templating.render("Hi {{ name }}", "Dear {{ name }},\n\nsee *this*.\n",
                                 {"name": "[click](https://evil.example) <b>x</b> & 1. *co*"})
    assert "<a" not in rendered.html and "<b>" not in rendered.html and "<em>this</em>" in rendered.html
    assert "[click](https://evil.example) &lt;b&gt;x&lt;/b&gt; &amp; 1. *co*" in rendered.html
    assert rendered.text.startswith("Dear [click](https://evil.example) <b>x</b> & 1. *co*,")
    assert rendered.subject == "Hi [click](https://evil.example) <b>x</b> & 1. *co*"


def test_the_sandbox_refuses_python_internals_and_missing_values():
    with pytest.raises(templating.MessageTemplateError):
        templating.render("s", "{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
    with pytest.raises(templating.MessageTemplateError, match="cannot be filled in"):
        templating.render("s", "Dear {{ first_name }}", {})


def test_wording_rules_unknown_fields_and_clinical_text_outside_letters():
    channels = {"core.email": EmailChannel(), "core.letter": LetterChannel()}
    assert templating.wording_problems(RECALL, RECALL.subject, RECALL.body, channels) == {}
    problems = templating.wording_problems(STATEMENT, "Hi", "Your {{ balance }} and {{ amount }}", channels)
    assert "Unknown field balance" in problems["body"]
    assert "clinical" in templating.wording_problems(LEAKY, LEAKY.subject, LEAKY.body, channels)["body"]
    assert "clinical" in templating.wording_problems(RECALL, "About {{ procedure }}", RECALL.body, channels)["subject"]
    assert "Line 1" in templating.wording_problems(STATEMENT, "Hi", "{% if %}", channels)["body"]


def test_the_password_seal_opens_only_with_the_same_instance_key():
    app = Flask("sealtest")
    app.config["BACKUP_KEY"] = "one key"
    with app.app_context():
        sealed = seal("hunter2", "smtp password")
        assert "hunter2" not in sealed and unseal(sealed, "smtp password") == "hunter2"
        with pytest.raises(SecretUnreadable):
            unseal(sealed, "another use")
    app.config["BACKUP_KEY"] = "another key"
    with app.app_context(), pytest.raises(SecretUnreadable):
        unseal(sealed, "smtp password")


# --- the gate and the outbox, through a real SMTP server ------------------------------------------

def test_a_consented_message_arrives_with_its_headers_and_both_parts(msg_app, inbox):
    with connected(msg_app):
        no_quiet_hours()
        use_server(inbox.port, reply_to="front@practice.example")
        settings.set_many({"core.practice_name": "Test Practice"})
        patient = new_patient(first_name="Ana")
        grant(patient)
        queued = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$45.00"})
        assert inbox.received == []  # queueing sends nothing
        assert outbox.deliver_due()["sent"] == 1
        sent = OutboxMessage.get_by_id(queued.id)
        assert sent.status == "sent" and sent.attempts == 1 and sent.server_reply.startswith("250 2.0.0 Ok")
        assert AuditEvent.select().where((AuditEvent.action == "messages.sent")
                                         & (AuditEvent.patient_id == patient)).exists()
    [(rcpt, arrived)] = inbox.received
    assert rcpt == [sent.to_address]
    assert arrived["From"] == f"Test Practice <{FROM}>"
    assert arrived["Subject"] == "Your statement from Test Practice"
    assert arrived["Reply-To"] == "front@practice.example"
    assert arrived["List-Unsubscribe"] is None  # billing is not marketing
    assert arrived["Message-ID"].endswith("@practice.example>")
    text = arrived.get_body(("plain",)).get_content()
    html = arrived.get_body(("html",)).get_content()
    assert "Dear Ana," in text and "**$45.00**" in text
    assert "<strong>$45.00</strong>" in html


def test_marketing_carries_an_unsubscribe_footer_and_header_that_the_office_can_act_on(msg_app, inbox):
    client = login(msg_app.test_client(), "front_desk")
    with connected(msg_app):
        no_quiet_hours()
        use_server(inbox.port)
        patient = new_patient()
        grant(patient, purpose="marketing")
        messages.queue(messages.patient(patient), "msgtest.news")
        outbox.deliver_due()
        code = consent.unsubscribe_code(patient)
    [(_, arrived)] = inbox.received
    assert arrived["List-Unsubscribe"].strip() == f"<mailto:{FROM}?subject=unsubscribe%20{code}>"
    assert f"unsubscribe {code}" in arrived.get_body(("plain",)).get_content()
    # The request arrives; the front desk enters the code, sees who it is, and records the opt-out.
    lookup = client.post("/admin/messages/unsubscribe", data={"code": f"unsubscribe {code}"})
    assert lookup.status_code == 200 and "Record the opt-out" in lookup.get_data(as_text=True)
    assert client.post("/admin/messages/unsubscribe", data={"code": code, "confirm": "1"}).status_code == 302
    assert client.post("/admin/messages/unsubscribe", data={"code": f"{patient}-000000000000"}).status_code == 422
    with connected(msg_app):
        with pytest.raises(messages.Refused, match="refused e-mail about marketing"):
            messages.queue(messages.patient(patient), "msgtest.news")


def test_missing_or_refused_consent_refuses_with_a_clear_reason_and_stores_nothing(msg_app):
    with connected(msg_app):
        patient = new_patient()
        with pytest.raises(messages.Refused) as refused:
            messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$1.00"})
        assert refused.value.reason == ("No consent on record for e-mail about billing: record the patient's "
                                        "answer on their page first.")
        grant(patient, purpose="billing", decision="refused")
        with pytest.raises(messages.Refused, match="The patient refused e-mail about billing on"):
            messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$1.00"})
        grant(patient, channel="post", purpose="billing")  # consent for letters is not consent for e-mail
        with pytest.raises(messages.Refused, match="refused e-mail"):
            messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$1.00"})
        assert OutboxMessage.select().count() == 0


def test_an_opt_out_recorded_after_queueing_stops_the_send(msg_app, inbox):
    with connected(msg_app):
        no_quiet_hours()
        use_server(inbox.port)
        patient = new_patient()
        grant(patient)
        queued = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$9.00"})
        grant(patient, decision="refused")
        assert outbox.deliver_due()["cancelled"] == 1
        stopped = OutboxMessage.get_by_id(queued.id)
        assert stopped.status == "cancelled" and "refused e-mail about billing" in stopped.note
        # Queueing it again by hand does not get past the gate either.
        outbox.retry(queued.id)
        outbox.deliver_due()
        assert OutboxMessage.get_by_id(queued.id).status == "cancelled"
    assert inbox.received == []


def test_a_changed_address_is_never_written_to_with_the_old_one(msg_app, inbox):
    with connected(msg_app):
        no_quiet_hours()
        use_server(inbox.port)
        patient = new_patient()
        grant(patient)
        queued = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$9.00"})
        Patient.update(email="new@patient.example").where(Patient.id == patient).execute()
        outbox.deliver_due()
        assert "address changed" in OutboxMessage.get_by_id(queued.id).note
    assert inbox.received == []


def test_server_down_leaves_the_message_queued_with_the_error_and_it_is_retried(msg_app):
    port = free_port()
    with connected(msg_app):
        no_quiet_hours()
        use_server(port)
        patient = new_patient()
        grant(patient)
        queued = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$3.00"})
        before = utcnow()
        assert outbox.deliver_due()["retry"] == 1
        waiting = OutboxMessage.get_by_id(queued.id)
        assert waiting.status == "queued" and waiting.attempts == 1
        assert waiting.last_error.startswith(f"Could not connect to 127.0.0.1:{port}")
        assert waiting.next_attempt_at >= before + dt.timedelta(minutes=1)
        assert outbox.deliver_due()["sent"] == 0  # not due yet
        with smtp_server(port) as back_up:
            later = utcnow() + dt.timedelta(minutes=2)
            assert outbox.deliver_due(later)["sent"] == 1
        sent = OutboxMessage.get_by_id(queued.id)
        assert sent.status == "sent" and sent.attempts == 2
    assert len(back_up.received) == 1


def test_a_permanent_refusal_fails_at_once_and_repeated_failures_give_up(msg_app, inbox):
    inbox.refuse = "550 5.1.1 No such user here"
    with connected(msg_app):
        no_quiet_hours()
        use_server(inbox.port)
        patient = new_patient()
        grant(patient)
        refused = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$3.00"})
        assert outbox.deliver_due()["failed"] == 1
        failed = OutboxMessage.get_by_id(refused.id)
        assert failed.status == "failed" and failed.last_error == "550 5.1.1 No such user here"

        use_server(free_port())  # nobody listens there
        kept_failing = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$4.00"})
        OutboxMessage.update(attempts=outbox.MAX_ATTEMPTS - 1).where(OutboxMessage.id == kept_failing.id).execute()
        assert outbox.deliver_one(kept_failing.id) == "failed"
        assert "Gave up after 8 attempts" in OutboxMessage.get_by_id(kept_failing.id).note


def test_quiet_hours_hold_patient_messages_until_they_end_and_urgent_ones_go(msg_app, inbox):
    with connected(msg_app):
        use_server(inbox.port)
        patient = new_patient()
        grant(patient)
        grant(patient, purpose="appointments_recalls")
        hour = utcnow().astimezone(settings.practice_timezone()).hour
        settings.set_many({gate.QUIET_START: hour, gate.QUIET_END: (hour + 2) % 24})
        held = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$3.00"})
        urgent = messages.queue(messages.patient(patient), "msgtest.reminder", {"day": "today"}, urgent=True)
        ends = gate.quiet_until()
        assert held.next_attempt_at == ends and ends.astimezone(settings.practice_timezone()).hour == (hour + 2) % 24
        assert held.note.startswith("Held for quiet hours until")
        assert outbox.deliver_due()["sent"] == 1
        assert OutboxMessage.get_by_id(urgent.id).status == "sent"
        # Due again (a retry landing in quiet hours): held again, not sent and not dropped.
        OutboxMessage.update(next_attempt_at=utcnow()).where(OutboxMessage.id == held.id).execute()
        assert outbox.deliver_due()["held"] == 1
        assert OutboxMessage.get_by_id(held.id).status == "queued"
        # Staff messages are not held.
        messages.queue_staff(messages.address("it@practice.example"), "Backup", "The backup ran.")
        assert outbox.deliver_due()["sent"] == 1
    assert [rcpt for rcpt, _ in inbox.received] == [[urgent.to_address], ["it@practice.example"]]


def test_quiet_hours_span_midnight_in_the_practice_time_zone(msg_app):
    with connected(msg_app):
        settings.set_many({gate.QUIET_START: 20, gate.QUIET_END: 8, "core.timezone": "America/Chicago"})
        zone = settings.practice_timezone()
        late = dt.datetime(2025, 3, 4, 21, 30, tzinfo=zone)
        early = dt.datetime(2025, 3, 5, 6, 0, tzinfo=zone)
        assert gate.quiet_until(late) == gate.quiet_until(early) == dt.datetime(2025, 3, 5, 8, tzinfo=zone)
        assert gate.quiet_until(dt.datetime(2025, 3, 5, 12, tzinfo=zone)) is None


def test_clinical_fields_never_go_by_e_mail_but_may_go_in_a_letter(msg_app):
    client = login(msg_app.test_client(), "office_manager")
    with connected(msg_app):
        patient = new_patient()
        grant(patient, purpose="appointments_recalls")
        grant(patient, channel="post", purpose="appointments_recalls")
        with pytest.raises(messages.Refused, match="minimum necessary"):
            messages.queue(messages.patient(patient), "msgtest.leaky", {"diagnosis": "diabetes"})
        with pytest.raises(messages.Refused, match="may only go out as core.letter"):
            messages.queue(messages.patient(patient), "msgtest.recall", {"procedure": "a colonoscopy"})
        letter = messages.queue(messages.patient(patient), "msgtest.recall", {"procedure": "a colonoscopy"},
                                channel="core.letter")
        assert letter.to_address.splitlines()[1:] == ["12 Main St", "Springfield, IL 62701"]
    pdf = client.get(f"/admin/messages/outbox/{letter.id}/letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    printed = client.get(f"/admin/messages/outbox/{letter.id}/letter").get_data(as_text=True)
    assert "You are due for a colonoscopy." in printed and "12 Main St" in printed
    assert client.post(f"/admin/messages/outbox/{letter.id}/posted").status_code == 302
    with connected(msg_app):
        posted = OutboxMessage.get_by_id(letter.id)
        assert posted.status == "sent" and "Printed and posted by" in posted.server_reply
        assert AuditEvent.select().where((AuditEvent.action == "messages.letters.print")).count() == 2


def test_a_letter_whose_consent_was_withdrawn_is_not_posted(msg_app):
    client = login(msg_app.test_client(), "office_manager")
    with connected(msg_app):
        patient = new_patient()
        grant(patient, channel="post", purpose="appointments_recalls")
        letter = messages.queue(messages.patient(patient), "msgtest.recall", {"procedure": "a checkup"},
                                channel="core.letter")
        grant(patient, channel="post", purpose="appointments_recalls", decision="refused")
    client.post(f"/admin/messages/outbox/{letter.id}/posted")
    with connected(msg_app):
        assert OutboxMessage.get_by_id(letter.id).status == "cancelled"


def test_a_third_party_channel_goes_through_the_same_gate(msg_app):
    with connected(msg_app):
        no_quiet_hours()
        patient = new_patient(mobile="5550001111")
        with pytest.raises(messages.Refused, match="No consent on record for text messages"):
            messages.queue(messages.patient(patient), "msgtest.reminder", {"day": "Monday"}, channel="msgtest.text")
        with pytest.raises(messages.Refused, match="minimum necessary"):
            grant(patient, channel="text", purpose="appointments_recalls")
            messages.queue(messages.patient(patient), "msgtest.leaky", {"diagnosis": "flu"}, channel="msgtest.text")
        queued = messages.queue(messages.patient(patient), "msgtest.reminder", {"day": "Monday"},
                                channel="msgtest.text")
        assert outbox.deliver_due()["sent"] == 1
        assert OutboxMessage.get_by_id(queued.id).server_reply == "accepted by the texting service"
    assert TextDemo.sent == [("5550001111", "Dear Jane, see you on Monday.\n")]


def test_staff_messages_need_no_consent_and_patients_get_templates_only(msg_app, inbox):
    with connected(msg_app):
        use_server(inbox.port)
        messages.queue_staff(messages.address("manager@practice.example", "Pat Manager"), "Deadline",
                             "The **BAA** is due.")
        patient = new_patient()
        with pytest.raises(messages.Refused, match="only receive messages from templates"):
            messages.queue_staff(messages.patient(patient), "Hi", "Free text")
        with pytest.raises(messages.Refused, match="go to patients only"):
            messages.queue(messages.address("x@practice.example"), "msgtest.statement", {"amount": "1"})
        assert outbox.deliver_due()["sent"] == 1
    [(_, arrived)] = inbox.received
    assert arrived["To"] == "Pat Manager <manager@practice.example>"
    assert "<strong>BAA</strong>" in arrived.get_body(("html",)).get_content()


def test_starttls_with_a_password_sends_the_sealed_password_over_tls(msg_app, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    generate_self_signed(cert, key, "127.0.0.1")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setattr(smtp, "tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret pass"
        return AuthResult(success=ok, handled=False)

    with smtp_server(tls_context=server_tls, require_starttls=True, authenticator=authenticate,
                     auth_require_tls=True) as secure:
        with connected(msg_app):
            smtp.save(smtp.ServerSettings(host="127.0.0.1", port=secure.port, security="starttls",
                                          username="office", from_address=FROM), "s3cret pass", "test")
            assert "s3cret" not in MailServer.get_by_id(1).password_sealed
            messages.queue_staff(messages.address("it@practice.example"), "TLS", "Over TLS.")
            assert outbox.deliver_due()["sent"] == 1
            smtp.save(smtp.load(), "wrong", "test")
            messages.queue_staff(messages.address("it@practice.example"), "TLS", "Wrong password.")
            assert outbox.deliver_due()["retry"] == 1
            assert "refused the user name or password" in OutboxMessage.select().order_by(
                OutboxMessage.id.desc()).first().last_error
    assert logins[0] == (b"office", b"s3cret pass") and len(secure.received) == 1


# --- pages --------------------------------------------------------------------------------------

def test_the_mail_server_page_never_shows_the_password_and_keeps_it_sealed(msg_app):
    admin = login(msg_app.test_client(), "admin")
    form = {"host": "smtp.practice.example", "port": "587", "security": "starttls", "username": "office",
            "password": "Very-Secret-99", "from_address": FROM, "from_name": "Test Practice", "reply_to": ""}
    assert admin.post("/admin/messages/server", data=form).status_code == 302
    page = admin.get("/admin/messages/server").get_data(as_text=True)
    assert "Very-Secret-99" not in page and "A password is stored" in page
    assert 'value="smtp.practice.example"' in page and "Send a test message</button>" in page
    server_reads = [sql for sql in page_queries(admin, "/admin/messages/server") if "core_message_server" in sql]
    assert len(server_reads) == 1  # the form and the page's notes share one read
    assert admin.post("/admin/messages/server", data={**form, "password": ""}).status_code == 302
    with connected(msg_app):
        row = MailServer.get_by_id(1)
        assert "Very-Secret-99" not in row.password_sealed
        assert unseal(row.password_sealed, smtp.SEALED_LABEL) == "Very-Secret-99"  # kept when left empty
        entry = AuditEvent.select().where(AuditEvent.action == "messages.server.update").order_by(AuditEvent.id).first()
        assert "password" in json.loads(entry.detail)["changed"] and "Very-Secret" not in entry.detail
    refused = admin.post("/admin/messages/server", data={**form, "security": "none"})
    assert refused.status_code == 422 and "only sent over an encrypted connection" in refused.get_data(as_text=True)
    assert admin.post("/admin/messages/server", data={**form, "from_address": "not an address"}).status_code == 422
    assert login(msg_app.test_client(), "office_manager").get("/admin/messages/server").status_code == 403


def test_the_test_button_sends_from_a_background_task_and_shows_the_answer(msg_app, inbox):
    admin = login(msg_app.test_client(), "admin")
    with connected(msg_app):
        use_server(inbox.port)
    response = admin.post("/admin/messages/server/test", data={"to": "it@practice.example"})
    assert response.status_code == 302
    task_id = int(response.headers["Location"].split("task=")[1].split("&")[0].split("#")[0])
    with connected(msg_app):
        for _ in range(300):  # the task runs in its own thread; wait for it to finish
            task = current_status(task_id)
            if task.done:
                break
            time.sleep(0.1)
        assert task.status == "ok", task.message
        assert "250 2.0.0 Ok: queued as TEST42" in task.message
    [(rcpt, arrived)] = inbox.received
    assert rcpt == ["it@practice.example"] and arrived["Subject"].startswith("Test message from")


def test_consent_panel_reads_and_changes_are_audited_and_need_permissions(msg_app):
    desk = login(msg_app.test_client(), "front_desk")
    with connected(msg_app):
        patient = new_patient()
        today = settings.today()
    page = desk.get(f"/messages/patients/{patient}/consent")
    assert page.status_code == 200 and "Not asked" in page.get_data(as_text=True)
    recorded = desk.post(f"/messages/patients/{patient}/consent", data={
        "channel": "email", "purpose": "marketing", "decision": "refused", "source": "phone_call",
        "given_on": today.isoformat(), "note": "Called to say no"})
    assert recorded.status_code == 200 and "Called to say no" in recorded.get_data(as_text=True)
    future = (today + dt.timedelta(days=40)).isoformat()
    bad = desk.post(f"/messages/patients/{patient}/consent", data={
        "channel": "email", "purpose": "billing", "decision": "granted", "source": "form", "given_on": future})
    assert bad.status_code == 422 and "cannot be in the future" in bad.get_data(as_text=True)
    with connected(msg_app):
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == patient)]
        assert "messages.consent.view" in actions and actions.count("messages.consent.record") == 1
        assert consent.latest(patient, "email", "marketing").recorded_by.startswith("user")
        assert consent.latest(patient, "email", "billing") is None
    auditor = login(msg_app.test_client(), "auditor")
    assert auditor.get(f"/messages/patients/{patient}/consent").status_code == 403
    assert auditor.post(f"/messages/patients/{patient}/consent", data={}).status_code == 403
    assert "Contact consent" in desk.get(f"/patients/{patient}").get_data(as_text=True)


def test_outbox_page_lists_failed_messages_and_retries_them(msg_app):
    manager = login(msg_app.test_client(), "office_manager")
    with connected(msg_app):
        no_quiet_hours()
        use_server(free_port())
        patient = new_patient(last_name="Outboxer")
        grant(patient)
        queued = messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$3.00"})
        OutboxMessage.update(attempts=outbox.MAX_ATTEMPTS - 1).where(OutboxMessage.id == queued.id).execute()
        outbox.deliver_due()
    page = manager.get("/admin/messages/outbox?status=failed").get_data(as_text=True)
    assert "Outboxer" in page and "Could not connect" in page
    # kept until the outbox (core.operations) changes, by any writer
    assert not reads_of(manager, "/admin/messages/outbox?status=failed", ("core_message_outbox",))
    with connected(msg_app):
        write_sql("UPDATE core_message_outbox SET last_error = ? WHERE id = ?", "Mailbox full", queued.id)
    assert "Mailbox full" in manager.get("/admin/messages/outbox?status=failed").get_data(as_text=True)
    detail = manager.get(f"/admin/messages/outbox/{queued.id}").get_data(as_text=True)
    assert "Your balance is" in detail
    assert manager.post(f"/admin/messages/outbox/{queued.id}/retry").status_code == 302
    with connected(msg_app):
        again = OutboxMessage.get_by_id(queued.id)
        assert again.status == "queued" and again.attempts == 0
        assert AuditEvent.select().where((AuditEvent.action == "messages.outbox.list")).exists()
    assert login(msg_app.test_client(), "front_desk").get("/admin/messages/outbox").status_code == 403


def test_template_editor_refuses_bad_wording_and_preview_fills_in_one_recipient(msg_app):
    manager = login(msg_app.test_client(), "office_manager")
    unknown = manager.post("/admin/messages/templates/msgtest.statement",
                           data={"subject": "Statement", "body": "You owe {{ balance }}"})
    assert unknown.status_code == 422 and "Unknown field balance" in unknown.get_data(as_text=True)
    clinical = manager.post("/admin/messages/templates/msgtest.recall",
                            data={"subject": "About {{ procedure }}", "body": "Due for {{ procedure }}"})
    assert clinical.status_code == 422 and "letters only" in clinical.get_data(as_text=True)
    assert manager.post("/admin/messages/templates/msgtest.statement",
                        data={"subject": "Statement", "body": "Hello {{ first_name }}, you owe {{ amount }}."}
                        ).status_code == 302
    with connected(msg_app):
        patient = new_patient(first_name="Preview", account_number="PV-1")
        grant(patient)
    preview = manager.post("/admin/messages/templates/msgtest.statement/preview",
                           data={"account": "PV-1", "channel": "core.email", "field_amount": "$12.00"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Hello Preview, you owe $12.00." in text
    refused = manager.post("/admin/messages/templates/msgtest.news/preview",
                           data={"account": "PV-1", "channel": "core.email"})
    assert refused.status_code == 422 and "No consent on record for e-mail about marketing" in refused.get_data(as_text=True)
    queued = manager.post("/admin/messages/templates/msgtest.statement/preview",
                          data={"account": "PV-1", "channel": "core.email", "field_amount": "$12.00", "queue": "1"})
    assert queued.status_code == 302
    with connected(msg_app):
        assert OutboxMessage.get().body_text == "Hello Preview, you owe $12.00.\n"
        assert AuditEvent.select().where((AuditEvent.action == "messages.preview")
                                         & (AuditEvent.patient_id == patient)).exists()


# --- the command line -----------------------------------------------------------------------------

def run_cli(app, *args):
    instance = write_instance_config(app)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", str(instance), *args], env=env)


def test_cli_test_sends_at_once_and_fails_with_the_servers_answer(make_app, inbox):
    app = make_app(plugins=[])
    with connected(app):
        use_server(inbox.port)
    result = run_cli(app, "messages", "test", "--to", "it@practice.example")
    assert result.exit_code == 0, result.output
    assert "250 2.0.0 Ok: queued as TEST42" in result.output
    assert [rcpt for rcpt, _ in inbox.received] == [["it@practice.example"]]

    inbox.refuse = "550 5.7.1 Relaying denied"
    result = run_cli(app, "messages", "test", "--to", "it@practice.example")
    assert result.exit_code == 1 and "550 5.7.1 Relaying denied" in result.output

    listed = run_cli(app, "messages", "outbox", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["status"], r["channel"]) for r in rows] == [("failed", "core.email"), ("sent", "core.email")]
    assert rows[0]["last_error"] == "550 5.7.1 Relaying denied"


def test_cli_test_with_the_server_down_exits_non_zero_and_does_not_retry_later(make_app):
    app = make_app(plugins=[])
    with connected(app):
        use_server(free_port())
    result = run_cli(app, "messages", "test", "--to", "it@practice.example")
    assert result.exit_code == 1 and "Could not connect to 127.0.0.1" in result.output
    with connected(app):
        assert OutboxMessage.get().status == "cancelled"


def test_every_messages_page_renders_and_the_nav_offers_them(msg_app):
    admin = login(msg_app.test_client(), "admin")
    with connected(msg_app):
        patient = new_patient()
        grant(patient, channel="post", purpose="appointments_recalls")
        letter = messages.queue(messages.patient(patient), "msgtest.recall", {"procedure": "a checkup"},
                                channel="core.letter")
    for status in ("queued", "letters", "sent", "failed", "cancelled"):
        assert admin.get(f"/admin/messages/outbox?status={status}").status_code == 200
    assert "Letters to print (1)" in admin.get("/admin/messages/outbox?status=letters").get_data(as_text=True)
    assert "Mark as posted" in admin.get(f"/admin/messages/outbox/{letter.id}").get_data(as_text=True)
    listing = admin.get("/admin/messages/templates").get_data(as_text=True)
    assert "Recall letter" in listing and "core.test_message" in listing
    assert "(clinical)" in admin.get("/admin/messages/templates/msgtest.recall/preview").get_data(as_text=True)
    assert admin.get("/admin/messages/templates/nope").status_code == 404
    assert admin.get("/admin/messages/unsubscribe").status_code == 200
    assert "Letters to print and post: 1" in admin.get("/today").get_data(as_text=True)
    page = admin.get("/admin/messages/server").get_data(as_text=True)
    for title in ("Outbox", "Message templates", "Mail server", "Unsubscribe requests"):
        assert f">{title}</a>" in page


def test_doctor_reports_broken_wordings_and_messages_waiting_without_a_mail_server(msg_app):
    from medoffice.doctor import run_checks
    from medoffice.messages.models import TemplateText

    def results():
        return {r.name: r for r in run_checks(msg_app)}

    with connected(msg_app):
        patient = new_patient()
        grant(patient)
        messages.queue(messages.patient(patient), "msgtest.statement", {"amount": "$3.00"})
        # A wording saved before a module changed its fields, say: written straight to the table.
        TemplateText.create(key="msgtest.statement", subject="Statement", body="You owe {{ balance }}")
    found = results()
    assert found["core.messages_server"].status == "warn" and "1 messages wait" in found["core.messages_server"].message
    assert found["core.messages_templates"].status == "fail"
    assert "msgtest.statement" in found["core.messages_templates"].message
    assert "msgtest.leaky" in found["core.messages_templates"].message  # declared with clinical text for e-mail
