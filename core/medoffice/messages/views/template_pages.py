"""Template pages: the declared templates, rewording one (refused inline when it breaks the rules)
and a preview for one recipient through the gate, from which staff may queue it."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ... import audit
from ...auth.access import can, requires
from ...db import transaction
from ...models import Patient
from ...web import core_blueprint as bp
from ...web.field_html import TextArea
from ...web.forms import choices
from ...web.shell import notify, render_page
from .. import gate, recipients, templating
from ..channels import registry
from ..models import TemplateText
from ..templating import PURPOSES
from .outbox_pages import channel_title


def _spec_or_404(key: str) -> templating.MessageTemplate:
    spec = templating.template_specs().get(key)
    if spec is None:
        abort(404)
    return spec


class WordingForm(FlaskForm):
    """A template's wording: subject and markdown body."""

    subject = StringField("Subject", validators=[Length(max=templating.MAX_SUBJECT)])
    body = TextAreaField("Text (markdown)", validators=[Length(max=100_000)], widget=TextArea())


@bp.route("/admin/messages/templates")
@requires("core.messages.templates")
def messages_templates():
    """Every declared template with its purpose and whether staff reworded it."""
    specs = sorted(templating.template_specs().values(), key=lambda s: (s.purpose, s.title))
    reworded = {row.key for row in TemplateText.select(TemplateText.key)}
    return render_page("messages/templates.html", title="Message templates", specs=specs, reworded=reworded,
                       purposes=PURPOSES, breadcrumbs=[("Admin", None), ("Message templates", None)])


@bp.route("/admin/messages/templates/<key>", methods=["GET", "POST"])
@requires("core.messages.templates")
def messages_template(key: str):
    """Reword a template; unknown or (for e-mail) clinical fields and template errors are refused inline."""
    spec = _spec_or_404(key)
    subject, body = templating.wording(spec)
    form = WordingForm(data={"subject": subject, "body": body})
    status = 200
    if form.validate_on_submit():
        problems = templating.wording_problems(spec, form.subject.data, form.body.data, registry())
        if not problems:
            with transaction():
                TemplateText.insert(key=key, subject=form.subject.data, body=form.body.data,
                                    updated_by=current_user.username).on_conflict(
                    conflict_target=[TemplateText.key],
                    update={TemplateText.subject: form.subject.data, TemplateText.body: form.body.data,
                            TemplateText.updated_by: current_user.username}).execute()
                audit.record("messages.template.update", "message_template", key,
                             detail={"before": {"subject": subject, "body": body},
                                     "after": {"subject": form.subject.data, "body": form.body.data}})
            notify("Template saved.")
            return redirect(url_for("core.messages_template", key=key))
        for name, message in problems.items():
            form[name].errors = [*form[name].errors, message]
    if form.errors:
        status = 422
    return render_page("messages/template.html", title=spec.title, spec=spec, form=form, purposes=PURPOSES,
                       automatic=templating.AUTOMATIC_FIELDS,
                       reworded=TemplateText.select().where(TemplateText.key == key).exists(),
                       breadcrumbs=[("Admin", None), ("Message templates", url_for("core.messages_templates")),
                                    (spec.title, None)]), status


@bp.route("/admin/messages/templates/<key>/reset", methods=["POST"])
@requires("core.messages.templates")
def messages_template_reset(key: str):
    """Go back to the declared wording."""
    spec = _spec_or_404(key)
    with transaction():
        removed = TemplateText.delete().where(TemplateText.key == key).execute()
        if removed:
            audit.record("messages.template.reset", "message_template", key)
    notify("Back to the original wording." if removed else "It already had the original wording.")
    return redirect(url_for("core.messages_template", key=spec.key))


def _preview_form(spec: templating.MessageTemplate):
    channel_names = [name for name in registry() if not spec.channels or name in spec.channels]
    attrs = {
        "account": StringField("Patient account number", validators=[Length(max=20)],
                               description="Leave empty for a staff template: it is previewed for you."),
        "channel": SelectField("Send as", choices=choices((n, channel_title(n)) for n in channel_names)),
    }
    for declared in spec.fields:
        label = f"{declared.label} (clinical)" if declared.clinical else declared.label
        attrs[f"field_{declared.name}"] = StringField(label, validators=[Length(max=2000)], default=declared.example)
    return type("PreviewForm", (FlaskForm,), attrs)()


@bp.route("/admin/messages/templates/<key>/preview", methods=["GET", "POST"])
@requires("core.messages.send")
def messages_preview(key: str):
    """Fill a template in for one recipient and show it as it would go out (the gate's answer included);
    ``queue`` puts it in the outbox."""
    spec = _spec_or_404(key)
    form = _preview_form(spec)
    preview = refusal = None
    status = 200
    if request.method == "POST" and form.validate():
        fields = {f.name: form[f"field_{f.name}"].data or "" for f in spec.fields}
        account = (form.account.data or "").strip()
        person = None
        if account:
            row = Patient.get_or_none(Patient.account_number == account)
            if row is None:
                form.account.errors = ["No patient has this account number."]
            else:
                person = recipients.patient(row.id)
                audit.record_read("messages.preview", "patient", row.id, patient_id=row.id,
                                  detail={"template": key})
        elif spec.purpose == "staff":
            person = recipients.user(current_user.id)
        else:
            form.account.errors = ["Choose the patient this message is for."]
        if person is not None:
            try:
                if request.form.get("queue") and can("core.messages.send"):
                    message = gate.queue(person, key, fields, channel=form.channel.data)
                    notify(f"Queued for {person.name}.")
                    if can("core.messages.outbox"):
                        return redirect(url_for("core.messages_message", message_id=message.id))
                    return redirect(url_for("core.messages_preview", key=key))
                where, rendered, headers = gate.compose(person, key, fields, form.channel.data)
                preview = {"to": where, "rendered": rendered, "headers": headers, "name": person.name}
            except gate.Refused as exc:
                refusal = exc.reason
            except templating.MessageTemplateError as exc:
                refusal = str(exc)
    if form.errors or refusal:
        status = 422
    return render_page("messages/preview.html", title=f"Preview: {spec.title}", spec=spec, form=form,
                       preview=preview, refusal=refusal,
                       breadcrumbs=[("Admin", None), ("Message templates", url_for("core.messages_templates")),
                                    (spec.title, url_for("core.messages_template", key=key)
                                     if can("core.messages.templates") else None), ("Preview", None)]), status
