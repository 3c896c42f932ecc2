"""The audit viewer: filter the trail by user, patient, record, action and dates; export CSV (audited)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

from flask import Response, request, stream_with_context, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from .. import audit
from ..access import can, requires
from ..db import db, transaction
from ..models import AuditEvent, Patient
from ..settings import practice_timezone
from . import core_blueprint as bp
from .shell import render_page
from .tables import count_for_page, count_label, url_template

PER_PAGE = 50
CSV_COLUMNS = ["seq", "at_utc", "user_id", "username", "address", "action", "object_type", "object_id",
               "patient_id", "detail", "hash"]
FILTERS = ("user", "patient", "object_type", "object_id", "action", "start", "end", "emergency")


class AuditFilterForm(FlaskForm):
    """The viewer's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    user = StringField("User name", validators=[Optional(), Length(max=60)])
    patient = StringField("Patient", description="Patient id or account number",
                          validators=[Optional(), Length(max=20)])
    object_type = StringField("Record type", description="e.g. patient, user, role",
                              validators=[Optional(), Length(max=60)])
    object_id = StringField("Record id", validators=[Optional(), Length(max=60)])
    action = StringField("Action", description="An action or its start, e.g. patient or auth.login_failed",
                         validators=[Optional(), Length(max=60)], render_kw={"list": "audit-actions"})
    emergency = BooleanField("Only what was done under emergency access")
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])

    def validate_end(self, field):
        """The range must not run backwards."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")

    def validate_patient(self, field):
        """A patient id, or an account number that exists."""
        text = (field.data or "").strip()
        if text and not text.isdigit() and not Patient.select().where(Patient.account_number == text.upper()).exists():
            raise ValidationError("No patient has that account number.")


def _patient_id(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return Patient.get(Patient.account_number == text.upper()).id


def _day_start_utc(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` where the practice is, as UTC."""
    return dt.datetime.combine(day, dt.time(), practice_timezone()).astimezone(dt.timezone.utc)


def filtered_events(form: AuditFilterForm):
    """The audit entries matching the (validated) filters, newest first."""
    query = AuditEvent.select()
    data = form.data
    if (data.get("user") or "").strip():
        query = query.where(AuditEvent.username == data["user"].strip().lower())
    if (data.get("patient") or "").strip():
        query = query.where(AuditEvent.patient_id == _patient_id(data["patient"]))
    if (data.get("object_type") or "").strip():
        query = query.where(AuditEvent.object_type == data["object_type"].strip())
    if (data.get("object_id") or "").strip():
        query = query.where(AuditEvent.object_id == data["object_id"].strip())
    if (data.get("action") or "").strip():
        action = data["action"].strip()
        query = query.where((AuditEvent.action == action) | AuditEvent.action.startswith(action.rstrip(".") + "."))
    if data.get("emergency"):
        query = query.where(AuditEvent.detail.contains('"emergency":true'))
    if data.get("start"):
        query = query.where(AuditEvent.at >= _day_start_utc(data["start"]))
    if data.get("end"):
        query = query.where(AuditEvent.at < _day_start_utc(data["end"] + dt.timedelta(days=1)))
    return query.order_by(AuditEvent.seq.desc())


def recorded_actions() -> list[str]:
    """Every distinct action in the trail, sorted.

    A skip scan: one index seek per distinct action (a hundred or so), where SELECT DISTINCT
    would read the whole index, millions of entries after a few years.
    """
    table = AuditEvent._meta.table_name
    rows = db.execute_sql(
        f'WITH RECURSIVE seen(action) AS (SELECT MIN(action) FROM "{table}" UNION ALL '
        f'SELECT (SELECT MIN(action) FROM "{table}" WHERE action > seen.action) FROM seen '
        f'WHERE seen.action IS NOT NULL) SELECT action FROM seen WHERE action IS NOT NULL')
    return [action for (action,) in rows.fetchall()]


def active_filters() -> dict[str, str]:
    """The filters given in the query string (for links that keep them)."""
    return {k: request.args[k] for k in FILTERS if request.args.get(k, "").strip()}


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def rows_html(events: list) -> Markup:
    """The entries as table rows, built here: a template loop costs several times more per cell, and
    the viewer shows 50 entries of 8 cells."""
    tz = practice_timezone()
    patient_url = url_template("core.patient", "patient_id") if can("core.patients.view") else None
    html = []
    for e in events:
        emergency = bool(json.loads(e.detail or "{}").get("emergency"))
        patient = ""
        if e.patient_id:
            patient = (f'<a href="{patient_url(e.patient_id)}">#{e.patient_id}</a>' if patient_url
                       else f"#{e.patient_id}")
        record = f"{escape(e.object_type)} {escape(e.object_id)}" if e.object_type else ""
        row_class, chip = (' class="audit-emergency"', ' <span class="chip chip-failed">Emergency</span>') \
            if emergency else ("", "")
        html.append(
            f'<tr{row_class}><td class="num">{e.seq}</td>'
            f'<td>{e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")}</td><td>{escape(e.username or "—")}</td>'
            f'<td>{escape(e.address)}</td><td><code>{escape(e.action)}</code>{chip}</td>'
            f'<td>{record}</td><td>{patient}</td>'
            f'<td><code class="audit-detail">{escape(e.detail if e.detail != "{}" else "")}</code></td></tr>')
    return Markup("\n".join(html))


@bp.route("/admin/audit")
@requires("core.audit.view")
def audit_trail():
    """Browse the audit trail with filters, 50 entries a page, newest first."""
    form = AuditFilterForm(request.args)
    valid = form.validate()
    events, total, more, page, pages = [], 0, False, 1, 1
    if valid:
        query = filtered_events(form)
        try:
            page = max(1, int(request.args.get("page", 1)))
        except ValueError:
            page = 1
        total, more = count_for_page(query, page, PER_PAGE)
        pages = max(1, math.ceil(total / PER_PAGE))
        page = min(page, pages)
        shown = (AuditEvent.seq, AuditEvent.at, AuditEvent.username, AuditEvent.address, AuditEvent.action,
                 AuditEvent.object_type, AuditEvent.object_id, AuditEvent.patient_id, AuditEvent.detail)
        events = list(query.select(*shown).paginate(page, PER_PAGE).namedtuples())
    filters = active_filters()
    return render_page("admin/audit.html", title="Audit trail", form=form, rows=events,
                       body=rows_html(events),
                       count=count_label(total, more, "entry", "entries"), more=more, page=page,
                       pages=pages, filters=filters, actions=recorded_actions(),
                       page_url=lambda n: url_for("core.audit_trail", **filters, page=n),
                       export_url=url_for("core.audit_export", **filters),
                       breadcrumbs=[("Admin", None), ("Audit trail", None)]), (200 if valid else 422)


@bp.route("/admin/audit/export.csv")
@requires("core.audit.view")
def audit_export():
    """The filtered entries as CSV, streamed; the export itself is audited first."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_page("core/error.html", title="Check the filters", code=422,
                           hint=" ".join(e for errors in form.errors.values() for e in errors),
                           detail="", permission=None), 422
    query = filtered_events(form)
    filters = active_filters()
    with transaction():
        audit.record("audit.export", "audit", "", detail={"filters": filters, "rows": query.count()})

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for e in query.iterator():
            writer.writerow([e.seq, e.at.astimezone(dt.timezone.utc).isoformat(), e.user_id, safe_cell(e.username),
                             e.address, e.action, safe_cell(e.object_type), safe_cell(e.object_id), e.patient_id,
                             safe_cell(e.detail), e.hash])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = dt.datetime.now(practice_timezone()).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
