"""The clearinghouse page: the SFTP connection (credential sealed, host key confirmed by the manager), the
sync button, the files exchanged, and the acknowledgments (999, 277CA) imported with their upload form."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice import audit, prepared
from medoffice.auth import can, requires
from medoffice.patients import record_shown
from medoffice.plain import PlainSelect
from medoffice.web.forms import choices
from medoffice.web.kept import kept_template
from medoffice.web.shell import notify, render_page
from peewee import JOIN
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import clearinghouse
from ..acknowledgments import AckRefused, import_ack
from ..claims import STATE_LABELS
from ..clearinghouse import AFTER_FETCH, AUTH_KINDS, ClearinghouseError
from ..models import CLEARINGHOUSE, Acknowledgment, Claim, ClaimAcknowledgment, ClearinghouseFile
from ..sftp import fingerprint
from ..x12.ack_codes import ACK_CODES
from . import bp

MAX_BYTES = 5 * 1024 * 1024
RECENT = 50


class ConnectionForm(FlaskForm):
    """The SFTP connection settings."""

    host = StringField("Server", validators=[DataRequired(message="Enter the server's host name."), Length(max=255)])
    port = IntegerField("Port", default=22, validators=[DataRequired(message="Enter the port (usually 22)."),
                                                        NumberRange(1, 65535)])
    username = StringField("User name", validators=[DataRequired(message="Enter the user name."), Length(max=100)])
    auth_kind = SelectField("Log in with", choices=choices(AUTH_KINDS.items()), default="password")
    secret = TextAreaField("Password or private key", validators=[Optional(), Length(max=20000)],
                           description="Stored encrypted. Leave blank to keep the one saved.")
    outbound_dir = StringField("Folder for claims and inquiries we send", default="outbound",
                               validators=[DataRequired(), Length(max=255)])
    inbound_dir = StringField("Folder of the clearinghouse's responses", default="inbound",
                              validators=[DataRequired(), Length(max=255)])
    inbound_pattern = StringField("Fetch files matching", default="*", validators=[Optional(), Length(max=60)],
                                  description="Such as *.x12, or * for every file.")
    name_pattern = StringField("Name of the files we send", default="{kind}-{control}-{date}.x12",
                               validators=[DataRequired(), Length(max=120)],
                               description="{kind} is 837P or 270, {control} the interchange number, {date} today.")
    after_fetch = SelectField("After a response is imported", choices=choices(AFTER_FETCH.items()), default="leave")
    archive_dir = StringField("Archive folder (for moved files)", default="archive",
                              validators=[DataRequired(), Length(max=255)])
    enabled = BooleanField("Sync every 30 minutes")


class AckUploadForm(FlaskForm):
    """A 999 or 277CA file."""

    file = FileField("999 or 277CA file", validators=[FileRequired("Choose the acknowledgment file.")],
                     description="Checked before anything changes; importing it again changes nothing.")


# the newest files and acknowledgments, the columns the page shows, as plain rows; compiled once
_FILES = (PlainSelect(ClearinghouseFile, [ClearinghouseFile.at, ClearinghouseFile.direction, ClearinghouseFile.name,
                                          ClearinghouseFile.kind, ClearinghouseFile.status, ClearinghouseFile.message])
          .order_by(ClearinghouseFile.id.desc()).limit(RECENT))
_ACKS = (PlainSelect(Acknowledgment, [Acknowledgment.id, Acknowledgment.imported_at, Acknowledgment.kind,
                                      Acknowledgment.reference, Acknowledgment.payer_name, Acknowledgment.status,
                                      Acknowledgment.accepted, Acknowledgment.rejected, Acknowledgment.claims_updated])
         .order_by(Acknowledgment.id.desc()).limit(RECENT))


def _page(form: ConnectionForm | None = None, upload: AckUploadForm | None = None, problems=(), status: int = 200):
    can_manage = can("billing.clearinghouse.manage")

    def context():
        row = clearinghouse.connection()
        return {
            "row": row, "form": form or ConnectionForm(obj=row), "upload": upload or AckUploadForm(),
            "problems": list(problems), "files": prepared.run(_FILES, "billing.clearinghouse.files"),
            "acks": prepared.run(_ACKS, "billing.clearinghouse.acks"), "ack_codes": ACK_CODES,
            "pinned": fingerprint(row.host_key) if row.host_key else "",
            "offered": fingerprint(row.host_key_seen) if row.host_key_seen else "", "can_manage": can_manage}

    # a view draws the same page for everyone who may manage the connection (or not) until it changes; an answer to a
    # refused POST, with its errors, is drawn afresh (kept values are built anew for a request that may write)
    content = kept_template((CLEARINGHOUSE.key,), (can_manage,), "billing/_clearinghouse.html", context)
    return render_page("billing/clearinghouse.html", title="Clearinghouse", content=content,
                       breadcrumbs=[("Clearinghouse", None)]), status


@bp.route("/clearinghouse")
@requires("billing.claims.submit")
def clearinghouse_page():
    """The connection, the last sync, the files exchanged and the acknowledgments."""
    return _page()


@bp.route("/clearinghouse/settings", methods=["POST"])
@requires("billing.clearinghouse.manage")
def clearinghouse_settings():
    """Save the connection; the credential is sealed, a new server must have its key confirmed again."""
    form = ConnectionForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    values = {name: getattr(form, name).data for name in (
        "host", "port", "username", "auth_kind", "outbound_dir", "inbound_dir", "inbound_pattern", "name_pattern",
        "after_fetch", "archive_dir", "enabled")}
    try:
        clearinghouse.save_connection(values, form.secret.data or "")
    except ClearinghouseError as exc:
        getattr(form, exc.field).errors = [str(exc)]
        return _page(form, status=422)
    notify("Saved the clearinghouse connection.")
    return redirect(url_for("billing.clearinghouse_page"))


@bp.route("/clearinghouse/host-key", methods=["POST"])
@requires("billing.clearinghouse.manage")
def clearinghouse_fetch_key():
    """Ask the server for its host key, to show its fingerprint for confirmation."""
    try:
        shown = clearinghouse.fetch_host_key()
    except ClearinghouseError as exc:
        return _page(problems=[str(exc)], status=422)
    notify(f"The server offers the key {shown}: compare it with the clearinghouse's before confirming.", "warning")
    return redirect(url_for("billing.clearinghouse_page"))


@bp.route("/clearinghouse/host-key/confirm", methods=["POST"])
@requires("billing.clearinghouse.manage")
def clearinghouse_confirm_key():
    """Pin the key shown (its fingerprint comes back with the form, so a key swapped meanwhile is refused)."""
    try:
        clearinghouse.confirm_host_key(request.form.get("fingerprint", "")[:200])
    except ClearinghouseError as exc:
        return _page(problems=[str(exc)], status=422)
    notify("The server's host key is confirmed: files can be exchanged.")
    return redirect(url_for("billing.clearinghouse_page"))


@bp.route("/clearinghouse/sync", methods=["POST"])
@requires("billing.claims.submit")
def clearinghouse_sync():
    """Send and fetch now."""
    result = clearinghouse.sync()
    summary = result.as_dict()
    text = (f"Sent {summary['sent']} file(s); fetched {summary['fetched']}: {summary['imported']} imported, "
            f"{summary['duplicates']} seen before, {summary['refused']} refused.")
    if result.error:
        notify(f"The sync failed: {result.error}", "error")
    else:
        notify(text, "success" if result.ok else "warning")
    return redirect(url_for("billing.clearinghouse_page"))


@bp.route("/acknowledgments", methods=["POST"])
@requires("billing.claims.submit")
def acknowledgment_upload():
    """Import a 999 or 277CA the clearinghouse sent some other way (checked first: a bad file changes nothing)."""
    form = AckUploadForm()
    if not form.validate_on_submit():
        return _page(upload=form, status=422)
    data = form.file.data.read(MAX_BYTES + 1)
    name = (form.file.data.filename or "upload.x12")[:200]
    try:
        if len(data) > MAX_BYTES:
            raise AckRefused([f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; an acknowledgment is far "
                              "smaller."])
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise AckRefused(["This is not an X12 file: X12 files hold plain ASCII text only."]) from None
        result = import_ack(text, name)
    except AckRefused as exc:
        audit.record("billing.ack.refused", "billing_acknowledgment", "", detail={"file": name,
                                                                                 "problems": len(exc.problems)})
        return _page(problems=exc.problems, status=422)
    if result.duplicate:
        notify(f"Nothing changed: this {result.kind} was imported before.", "warning")
    else:
        notify(f"{result.kind}: {result.accepted} claim(s) accepted, {result.rejected} rejected; "
               f"{result.claims_updated} claim(s) changed state.")
    return redirect(url_for("billing.acknowledgment", ack_id=result.acknowledgments[0].id))


@bp.route("/acknowledgments/<int:ack_id>")
@requires("billing.view")
def acknowledgment(ack_id: int):
    """One acknowledgment: its verdict, errors in plain words and what it said per claim. Audited."""
    ack = Acknowledgment.get_or_none(Acknowledgment.id == ack_id) or abort(404)
    rows = list(ClaimAcknowledgment.select(ClaimAcknowledgment, Claim)
                .join(Claim, JOIN.LEFT_OUTER).where(ClaimAcknowledgment.acknowledgment == ack)
                .order_by(ClaimAcknowledgment.id))
    record_shown("billing.ack.view", ack, (r.claim.patient_id for r in rows if r.claim_id), claims=len(rows))
    return render_page("billing/acknowledgment.html", title=f"{ack.kind} {ack.reference}", ack=ack, rows=rows,
                       ack_codes=ACK_CODES, state_labels=STATE_LABELS,
                       breadcrumbs=[("Clearinghouse", url_for("billing.clearinghouse_page")),
                                    (f"{ack.kind} {ack.reference}", None)])
