"""Message templates: markdown with named fields, rendered in a sandboxed Jinja environment.

A plugin declares its templates (``MessageTemplate``, hook ``medoffice_message_templates``) with
the fields the text may use; staff may reword subject and body (``TemplateText``) but never add
fields. Rendering runs in ``ImmutableSandboxedEnvironment`` with undefined names as errors, so a
template cannot reach Python objects, change anything, or print an empty hole. Each body gives
two parts: plain text (the markdown source with the values as given) and HTML (the markdown with
the values escaped, through ``medoffice.markdown_service``, so a value can never add a link or
markup).

Minimum necessary: a field declared ``clinical`` (a diagnosis, a procedure, a result) may only be
used by a template restricted to channels that allow clinical content (the letter); the gate
refuses to put one in an e-mail or a text, and the editor refuses such a wording.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from flask import current_app
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .. import markdown_service, settings

PURPOSES = {
    "appointments_recalls": "Appointments and recalls",
    "billing": "Billing",
    "marketing": "Marketing",
    "staff": "Staff (internal)",
    "required_notice": "Notices the law requires",
}
PATIENT_PURPOSES = ("appointments_recalls", "billing", "marketing")
# Notices a patient is owed by law (a privacy-rights answer, a breach notice): sent by letter only,
# whatever the consent register says about contact for other purposes.
REQUIRED_NOTICE = "required_notice"
# Names every template may use; filled from the recipient and the practice settings.
AUTOMATIC_FIELDS = {
    "first_name": "The recipient's first name",
    "last_name": "The recipient's last name",
    "full_name": "The recipient's full name",
    "practice_name": "The practice's name",
    "practice_phone": "The practice's phone number",
}
MAX_SUBJECT = 300
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")  # what python-markdown un-escapes


class MessageTemplateError(ValueError):
    """A template (or its values) cannot be rendered; the message says what to fix."""


@dataclass(frozen=True)
class TemplateField:
    """A named value a template may use. ``clinical``: diagnosis, procedure or result text."""

    name: str
    label: str
    clinical: bool = False
    example: str = ""


@dataclass(frozen=True)
class MessageTemplate:
    """A message a plugin sends, declared with its purpose and fields; staff may reword it.

    ``purpose``: appointments_recalls, billing, marketing (to patients), required_notice (a notice
    the law requires, to a patient by letter only, without consent) or staff (internal).
    ``channels``: the channel names it may go out on (empty: any). ``subject`` and ``body`` are
    the default wording: Jinja placeholders (``{{ first_name }}``) in markdown.
    """

    key: str
    title: str
    purpose: str
    subject: str
    body: str
    fields: tuple[TemplateField, ...] = ()
    channels: tuple[str, ...] = ()
    description: str = ""

    def clinical_fields(self) -> set[str]:
        """Names of the fields declared clinical."""
        return {f.name for f in self.fields if f.clinical}


@dataclass(frozen=True)
class Rendered:
    """A rendered message: subject, plain-text body and sanitized HTML body."""

    subject: str
    text: str
    html: Markup


def _escape_markdown(value) -> str:
    text = "" if value is None else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _plain(value) -> str:
    return "" if value is None else str(value)


_TEXT_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=_plain,
                                          keep_trailing_newline=True)
_MARKDOWN_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                              finalize=_escape_markdown, keep_trailing_newline=True)


@functools.lru_cache(maxsize=256)
def _compiled(env_name: str, source: str):
    env = _TEXT_ENV if env_name == "text" else _MARKDOWN_ENV
    return env.from_string(source)


def referenced(source: str) -> set[str]:
    """The names a template text uses.

    :raises MessageTemplateError: the text is not a valid template.
    """
    try:
        return set(meta.find_undeclared_variables(_TEXT_ENV.parse(source)))
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise MessageTemplateError(f"{'Line ' + str(line) + ': ' if line else ''}{exc.message}") from None


def wording_problems(spec: MessageTemplate, subject: str, body: str, channels: dict) -> dict[str, str]:
    """What is wrong with a wording of ``spec``: {"subject" or "body": message}; empty when fine.

    :param channels: the registered channels by name (to know which allow clinical content).
    """
    problems = {}
    declared = {f.name for f in spec.fields} | set(AUTOMATIC_FIELDS)
    allowed = [channels[name] for name in (spec.channels or channels) if name in channels]
    clinical_ok = bool(allowed) and all(channel.allows_clinical for channel in allowed)
    for part, source in (("subject", subject), ("body", body)):
        if not source.strip():
            problems[part] = "This cannot be empty."
            continue
        try:
            names = referenced(source)
        except MessageTemplateError as exc:
            problems[part] = str(exc)
            continue
        unknown = sorted(names - declared)
        clinical = sorted(names & spec.clinical_fields())
        if unknown:
            problems[part] = (f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                              f"this template can use {', '.join(sorted(declared))}.")
        elif clinical and (part == "subject" or not clinical_ok):
            problems[part] = (f"{', '.join(clinical)} {'is' if len(clinical) == 1 else 'are'} clinical: "
                              "diagnosis and procedure text may go in letters only, never in a subject, "
                              "an e-mail or a text (minimum necessary).")
    if len(subject) > MAX_SUBJECT:
        problems["subject"] = f"Keep the subject under {MAX_SUBJECT} characters."
    return problems


def render(subject: str, body: str, values: dict) -> Rendered:
    """Render a wording with ``values`` (every name it uses must be given).

    :raises MessageTemplateError: a name is missing or the template tried something unsafe.
    """
    try:
        subject_text = " ".join(_compiled("text", subject).render(values).split())
        text = _compiled("text", body).render(values)
        markdown = _compiled("markdown", body).render(values)
    except TemplateError as exc:
        raise MessageTemplateError(f"The template cannot be filled in: {exc.message}") from None
    return Rendered(subject=subject_text[:MAX_SUBJECT], text=text.strip() + "\n",
                    html=markdown_service.render(markdown))


def template_specs() -> dict[str, MessageTemplate]:
    """Every template declared by the enabled plugins, by key."""
    runtime = current_app.extensions["medoffice"]
    return runtime.derived("message templates", lambda: {
        t.key: t for t in runtime.host.call("medoffice_message_templates")})


def wording(spec: MessageTemplate) -> tuple[str, str]:
    """(subject, body) as staff last saved them, else the declared default."""
    from .models import TemplateText

    row = TemplateText.get_or_none(TemplateText.key == spec.key)
    return (row.subject, row.body) if row else (spec.subject, spec.body)


def practice_values() -> dict[str, str]:
    """The practice's name and phone, for every template."""
    return {"practice_name": settings.get("core.practice_name", "") or "",
            "practice_phone": settings.get("core.phone", "") or ""}
