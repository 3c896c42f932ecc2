"""What the messages service contributes through core's hooks (``core_plugin`` returns these)."""
from __future__ import annotations

import functools

from flask import url_for

from ..contributions import CheckResult, JobSpec, NavItem, Permission, SettingSpec, Widget, WorkItem
from ..data_versions import OPERATIONS_KEY, kept
from ..prepared import count_upto
from . import smtp
from .channels import EmailChannel, LetterChannel, registry
from .models import OutboxMessage
from .outbox import delivery_job
from .templating import MessageTemplate, TemplateField, template_specs, wording, wording_problems

MANAGERS = ("admin", "office_manager")
DESK = (*MANAGERS, "billing", "front_desk")

TEST_MESSAGE = MessageTemplate(
    key="core.test_message", title="Test message", purpose="staff",
    subject="Test message from {{ practice_name }}",
    body="This is a test message from medoffice, sent by {{ sent_by }}.\n\n"
         "If you can read it, {{ practice_name }}'s mail server settings work.",
    fields=(TemplateField("sent_by", "Who asked for the test", example="Office Manager"),),
    channels=("core.email",),
    description="Sent from the mail server page and by `medoffice messages test`.")


def permissions() -> list[Permission]:
    """The service's permissions."""
    return [
        Permission("core.messages.server", "Set up the outgoing mail server and send test messages",
                   default_roles=("admin",)),
        Permission("core.messages.outbox", "See the outbox, retry or cancel messages, print and post letters",
                   default_roles=MANAGERS),
        Permission("core.messages.templates", "Reword message templates", default_roles=MANAGERS),
        Permission("core.messages.send", "Preview a template for a recipient and queue it", default_roles=DESK),
        Permission("core.consent.view", "See a patient's contact consent", default_roles=DESK),
        Permission("core.consent.edit", "Record a patient's contact consent, opt-outs and unsubscribe requests",
                   default_roles=DESK),
    ]


def nav_items() -> list[NavItem]:
    """Admin entries: outbox, templates, mail server, unsubscribe requests."""
    return [
        NavItem("Outbox", "core.messages_outbox", "core.messages.outbox", group="Admin", order=64),
        NavItem("Message templates", "core.messages_templates", "core.messages.templates", group="Admin", order=65),
        NavItem("Mail server", "core.messages_server", "core.messages.server", group="Admin", order=66),
        NavItem("Unsubscribe requests", "core.messages_unsubscribe", "core.consent.edit", group="Admin", order=67),
    ]


def settings() -> list[SettingSpec]:
    """Quiet hours and where unsubscribe requests go."""
    return [
        SettingSpec("core.messages_quiet_start_hour", "Quiet hours start (hour, 0-23): no messages to patients "
                    "from then", kind="int", default=20, minimum=0, maximum=23,
                    help="Non-urgent messages to patients wait until quiet hours end. The same start and end: none."),
        SettingSpec("core.messages_quiet_end_hour", "Quiet hours end (hour, 0-23)", kind="int", default=8,
                    minimum=0, maximum=23),
        SettingSpec("core.messages_unsubscribe_address", "Address for unsubscribe requests",
                    help="Where marketing e-mails' unsubscribe button writes (default: the reply-to or from address)."),
    ]


DELIVER_JOB = JobSpec("core.messages_deliver", "Send messages", delivery_job, trigger="interval",
                      schedule={"minutes": 1},
                      description="Sends the outbox's due messages, retries failures with backoff, "
                                  "holds messages to patients during quiet hours.")


def patient_panels() -> list[Widget]:
    """The consent card on a patient's page."""
    return [Widget("core.messages_consent", "Contact consent", "core.messages_consent_panel", "core.consent.view",
                   order=20)]


def channels() -> list:
    """Core's own channels."""
    return [EmailChannel(), LetterChannel()]


def templates() -> list[MessageTemplate]:
    """Core's own templates."""
    return [TEST_MESSAGE]


# Today counts these on every load: the queries are built once (building cost more than running them).
_FAILED = OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.status == "failed")


@functools.lru_cache(maxsize=8)
def _letters_waiting(printed: tuple[str, ...]):
    return OutboxMessage.select(OutboxMessage.id).where(
        (OutboxMessage.status == "queued") & OutboxMessage.channel.in_(list(printed)))


def work_items(user) -> list[WorkItem]:
    """Failed messages and letters waiting to be printed, for those who handle the outbox."""
    if not user.has_permission("core.messages.outbox"):
        return []
    items = []
    failed = kept(OPERATIONS_KEY, "failed messages", lambda: count_upto(_FAILED, "messages.failed", 100))
    if failed:
        items.append(WorkItem(f"Messages that could not be sent: {failed}", url_for("core.messages_outbox", status="failed"),
                              "core.messages.outbox", urgency=20, count=failed, count_is_floor=failed >= 100,
                              source="Outbox", detail="Open each to see the server's answer, then queue it again."))
    printed = [name for name, channel in registry().items() if not channel.automatic]
    if printed:
        waiting = kept(OPERATIONS_KEY, ("letters waiting", tuple(printed)), lambda: count_upto(
            _letters_waiting(tuple(printed)), ("messages.letters_waiting", tuple(printed)), 100))
        if waiting:
            items.append(WorkItem(f"Letters to print and post: {waiting}",
                                  url_for("core.messages_outbox", status="letters"), "core.messages.outbox",
                                  urgency=60, count=waiting, count_is_floor=waiting >= 100, source="Outbox"))
    return items


def doctor_checks() -> list[CheckResult]:
    """Template wordings that no longer pass the rules; messages waiting for a mail server that is not set up."""
    results = []
    broken = [spec.key for spec in template_specs().values()
              if wording_problems(spec, *wording(spec), registry())]
    results.append(CheckResult("core.messages_templates", "fail" if broken else "ok",
                               f"message templates that cannot be sent as worded: {', '.join(broken)}"
                               if broken else "every message template passes its rules"))
    waiting = OutboxMessage.select().where((OutboxMessage.status == "queued")
                                           & (OutboxMessage.channel == "core.email")).count()
    if waiting and not smtp.load().configured:
        results.append(CheckResult("core.messages_server", "warn",
                                   f"{waiting} messages wait in the outbox but no mail server is set up"))
    else:
        results.append(CheckResult("core.messages_server", "ok",
                                   "mail server set up" if smtp.load().configured else "no mail server (nothing waits)"))
    return results
