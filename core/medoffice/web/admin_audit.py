"""The audit viewer: filter the trail by user, patient, record, action and dates; export CSV (audited)."""
from __future__ import annotations

import datetime as dt
import functools
import io
import json
import math

from flask import Response, current_app, request, stream_with_context, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from peewee import NodeList
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from .. import audit, dates, prepared
from ..auth.access import can, requires
from ..csvexport import CsvWriter
from ..db import db, transaction
from ..limits import MAX_ID, DateInRange
from ..localtime import day_start_utc
from ..models import AuditEvent, Patient
from ..plain import PlainSelect, stored_value_reader
from ..prepared import slot
from ..settings import practice_timezone
from . import core_blueprint as bp
from .field_html import render_field
from .forms import blank_form_html
from .shell import render_page
from .query import page_number
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
    start = DateField("From", validators=[Optional(), DateInRange()])
    end = DateField("To", validators=[Optional(), DateInRange()])

    def validate_end(self, field):
        """The range must not run backwards."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")

    def validate_patient(self, field):
        """A patient id, or an account number that exists."""
        text = (field.data or "").strip()
        if text.isascii() and text.isdecimal():
            if int(text) > MAX_ID:
                raise ValidationError("No patient has that id.")
        elif text and not Patient.select().where(Patient.account_number == text.upper()).exists():
            raise ValidationError("No patient has that account number.")


def _patient_id(text: str) -> int:
    text = text.strip()
    if text.isascii() and text.isdecimal():
        return int(text)
    return Patient.get(Patient.account_number == text.upper()).id


def filter_values(form: AuditFilterForm) -> dict:
    """The (validated) filters given, as the query compares them: by filter name."""
    data = form.data
    values = {}
    for name in ("user", "patient", "object_type", "object_id", "action"):
        if (data.get(name) or "").strip():
            values[name] = data[name].strip()
    if "user" in values:
        values["user"] = values["user"].lower()
    if "patient" in values:
        values["patient"] = _patient_id(values["patient"])
    if data.get("emergency"):
        values["emergency"] = True
    if data.get("start"):
        values["start"] = day_start_utc(data["start"])
    if data.get("end"):
        values["end"] = day_start_utc(data["end"] + dt.timedelta(days=1))
    return values


def events_query(values: dict, place=None, query=None):
    """The audit entries matching the filters in ``values``, newest first.

    :param place: gives what stands for a value in the query by its filter name: by default the value,
        ``prepared.slot`` for a query compiled once per set of filters (the action filter's pattern is
        always part of the expression).
    :param query: the select to narrow (default: every column of every entry).
    """
    place = place or values.__getitem__
    query = query if query is not None else AuditEvent.select()
    if "user" in values:
        query = query.where(AuditEvent.username == place("user"))
    if "patient" in values:
        query = query.where(AuditEvent.patient_id == place("patient"))
    if "object_type" in values:
        query = query.where(AuditEvent.object_type == place("object_type"))
    if "object_id" in values:
        query = query.where(AuditEvent.object_id == place("object_id"))
    if "action" in values:
        action = values["action"]
        query = query.where((AuditEvent.action == action) | AuditEvent.action.startswith(action.rstrip(".") + "."))
    if "emergency" in values:
        query = query.where(AuditEvent.detail.contains('"emergency":true'))
    if "start" in values:
        query = query.where(AuditEvent.at >= place("start"))
    if "end" in values:
        query = query.where(AuditEvent.at < place("end"))
    return query.order_by(AuditEvent.seq.desc())


def filtered_events(form: AuditFilterForm):
    """The audit entries matching the (validated) filters, newest first."""
    return events_query(filter_values(form))


ACTIONS_SEEN = "medoffice_audit_actions"  # (last entry read, its actions) of the app's process


def recorded_actions() -> list[str]:
    """Every distinct action in the trail, sorted.

    A skip scan: one index seek per distinct action (a hundred or so), where SELECT DISTINCT
    would read the whole index, millions of entries after a few years. The trail is only ever
    added to, in ``seq`` order (the head row is locked until each entry commits), so the process
    keeps what it found with the last entry it saw and afterwards reads only the actions of newer
    entries: a handful between two views (the viewer's own reads among them) instead of ~0.4 ms.
    """
    table = AuditEvent._meta.table_name
    seen = current_app.extensions.get(ACTIONS_SEEN)
    if seen is None:
        last = db.execute_sql(f'SELECT MAX(seq) FROM "{table}"').fetchone()[0] or 0
        rows = db.execute_sql(  # after MAX: an entry added meanwhile is read again below, never missed
            f'WITH RECURSIVE seen(action) AS (SELECT MIN(action) FROM "{table}" UNION ALL '
            f'SELECT (SELECT MIN(action) FROM "{table}" WHERE action > seen.action) FROM seen '
            f'WHERE seen.action IS NOT NULL) SELECT action FROM seen WHERE action IS NOT NULL')
        seen = (last, frozenset(action for (action,) in rows.fetchall()))
    last, actions = seen
    while True:  # newer entries in batches along the seq index (grouping them led SQLite to read all of them)
        newer = prepared.rows(_NEWER_ACTIONS, "core.audit_newer_actions", after=last, batch=NEWER_BATCH)
        if newer:
            last, actions = newer[-1][1], actions | {action for action, _seq in newer}
        if len(newer) < NEWER_BATCH:
            break
    if not db.in_transaction():  # what a transaction sees may still be rolled back, its seq given again
        current_app.extensions[ACTIONS_SEEN] = (last, actions)
    return sorted(actions)


NEWER_BATCH = 5000
_NEWER_ACTIONS = (AuditEvent.select(AuditEvent.action, AuditEvent.seq).where(AuditEvent.seq > slot("after"))
                  .order_by(AuditEvent.seq).limit(slot("batch")))


def filter_fields_html(form: AuditFilterForm) -> Markup:
    """The filter form's fields as the viewer lays them out."""
    return Markup("\n".join(render_field(field) for field in (
        form.user, form.patient, form.object_type, form.object_id, form.action, form.start, form.end,
        form.emergency)))


def active_filters() -> dict[str, str]:
    """The filters given in the query string (for links that keep them)."""
    return {k: request.args[k] for k in FILTERS if request.args.get(k, "").strip()}


# The time as the driver gives it (SQLite: the text stored), made a timestamp only for a row drawn anew: converting
# the 50 of every view cost more than the rest of reading them.
SHOWN = (AuditEvent.seq, NodeList((AuditEvent.at,)).alias("at_as_stored"), AuditEvent.username,
         AuditEvent.address, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.patient_id,
         AuditEvent.detail)
_timestamp = stored_value_reader(AuditEvent.at)


KEPT_ROWS = 4096  # rows' HTML kept per process (the newest pages are the ones viewed again and again)
_kept_rows: dict[tuple, str] = {}


def rows_html(events: list[tuple]) -> Markup:
    """The entries (``SHOWN`` tuples) as table rows, built here: a template loop costs several times more
    per cell, and the viewer shows 50 entries of 8 cells. Each row's HTML is kept, keyed by everything the
    entry holds and how it is drawn (time zone, date format, whether the viewer may open patients): the trail
    only grows, so a page shown again draws only its new entries, and an entry altered behind medoffice's back
    (which the chain check reports) shows as it now is."""
    tz, stamp = practice_timezone(), f"{dates.pattern()} %H:%M:%S"
    patient_url = url_template("core.patient", "patient_id") if can("core.patients.view") else None
    drawn = (str(tz), stamp, patient_url is not None)
    if len(_kept_rows) > KEPT_ROWS:
        _kept_rows.clear()
    html = []
    for event in events:
        key = (event, drawn)
        row = _kept_rows.get(key)
        if row is None:
            row = _kept_rows[key] = _row_html(event, tz, stamp, patient_url)
        html.append(row)
    return Markup("\n".join(html))


def _row_html(event: tuple, tz, stamp: str, patient_url) -> str:
    seq, at, username, address, action, object_type, object_id, patient_id, detail = event
    # Most details never mention it: parsing each of the 50 only to find that out cost ~0.3 ms.
    emergency = bool(detail and '"emergency"' in detail and json.loads(detail).get("emergency"))
    patient = ""
    if patient_id:
        patient = f'<a href="{patient_url(patient_id)}">#{patient_id}</a>' if patient_url else f"#{patient_id}"
    record = f"{escape(object_type)} {escape(object_id)}" if object_type else ""
    row_class, chip = (' class="audit-emergency"', ' <span class="chip chip-failed">Emergency</span>') \
        if emergency else ("", "")
    return (f'<tr{row_class}><td class="num">{seq}</td>'
            f'<td>{_timestamp(at).astimezone(tz).strftime(stamp)}</td><td>{escape(username or "—")}</td>'
            f'<td>{escape(address)}</td><td><code>{escape(action)}</code>{chip}</td>'
            f'<td>{record}</td><td>{patient}</td>'
            f'<td><code class="audit-detail">{escape(detail if detail != "{}" else "")}</code></td></tr>')


def actions_datalist(actions: list[str]) -> Markup:
    """The ``audit-actions`` datalist the action filter suggests from."""
    return _datalist(tuple(actions))


@functools.lru_cache(maxsize=4)
def _datalist(actions: tuple[str, ...]) -> Markup:
    """:func:`actions_datalist`, kept while the trail's actions stay the same (a new one is a new key)."""
    options = "".join(f'<option value="{escape(action)}">' for action in actions)
    return Markup(f'<datalist id="audit-actions">{options}</datalist>')


def _queries(values: dict) -> tuple:
    """The filters' query and its page of ``SHOWN`` columns (plain rows: peewee's conversion of each cell cost
    more than the page's query)."""
    paged = events_query(values, slot, PlainSelect(AuditEvent, SHOWN))
    return events_query(values, slot), paged.limit(slot("_limit")).offset(slot("_offset"))


@functools.lru_cache(maxsize=64)
def _shaped_queries(names: tuple[str, ...]) -> tuple:
    """:func:`_queries` of a set of filters without an action pattern (their values are slots): built once."""
    return _queries(dict.fromkeys(names))


def _page_of_events(values: dict, page: int) -> tuple[list[tuple], int, bool, int, int]:
    """(entries of ``page``, counted, more, page shown, pages): built and compiled once per set of filters."""
    key = None if "action" in values else ("core.audit", tuple(sorted(values)))
    query, paged = _queries(values) if key is None else _shaped_queries(key[1])
    total, more = count_for_page(query, page, PER_PAGE, is_prepared=True, key=key, values=values)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    events = list(prepared.run(paged, key and (key, "page"), _limit=PER_PAGE, _offset=(page - 1) * PER_PAGE,
                               **values))
    return events, total, more, page, pages


@bp.route("/admin/audit")
@requires("core.audit.view")
def audit_trail():
    """Browse the audit trail with filters, 50 entries a page, newest first."""
    filters = active_filters()
    # Unfiltered (the usual view) there is nothing to validate and the fields are empty: drawn once, not on
    # every view, and no form is built.
    form = AuditFilterForm(request.args) if filters else None
    valid = form is None or form.validate()
    events, total, more, page, pages = [], 0, False, 1, 1
    if valid:
        page = page_number()
        events, total, more, page, pages = _page_of_events(filter_values(form) if form else {}, page)
    fields = filter_fields_html(form) if form else blank_form_html("core.audit_filters", AuditFilterForm,
                                                                   filter_fields_html)
    return render_page("admin/audit.html", title="Audit trail", errors=bool(form and form.errors), rows=events,
                       fields=fields,
                       body=rows_html(events),
                       count=count_label(total, more, "entry", "entries"), more=more, page=page,
                       pages=pages, filters=filters, actions=actions_datalist(recorded_actions()),
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
        writer = CsvWriter(buffer)
        writer.writerow(CSV_COLUMNS)
        for e in query.iterator():
            writer.writerow([e.seq, e.at.astimezone(dt.timezone.utc), e.user_id, e.username, e.address, e.action,
                             e.object_type, e.object_id, e.patient_id, e.detail, e.hash])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = dt.datetime.now(practice_timezone()).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
