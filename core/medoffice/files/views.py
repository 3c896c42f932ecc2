"""The files widget's routes: upload to an object, download, preview (PDF and common images only,
inline), remove with a reason. Every route needs ``core.files.use`` and then the kind's own ``view``
or ``manage`` permission; the panel itself is rendered into a plugin's page by the
``attachments`` macro (``files/widget.html``) through the ``attachments_panel`` template global, or
many objects' panels at once through ``attachments_panels`` (one query for all their files).
"""
from __future__ import annotations

import hashlib
import logging

import peewee as pw
from flask import Response, abort, current_app, redirect, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import Headers

from .. import audit
from ..auth.access import can, require, requires
from ..auth.redirect_target import same_site_path
from ..db import unflushed_transaction
from ..localtime import local_datetime
from ..web import core_blueprint as bp
from ..web.shell import csrf_token, fixed_url, notify, render_page
from . import api
from .api import FileError, check_object, max_bytes, size_label
from .kinds import INLINE_SAFE, AttachmentKind, kinds, type_extension
from .sealed import CHUNK_SIZE, FileDamaged
from .upload import MAX_FILES, check_csrf_early, receive_files, receives_uploads

log = logging.getLogger("medoffice.files")
MAX_TITLE = 120

# A file served to the browser may run nothing and load nothing; images also get a sandbox (Chromium's
# PDF viewer refuses to start in one, and runs outside the page's scripts anyway).
DOWNLOAD_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
PREVIEW_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
               "frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


def _kind_or_404(name: str) -> AttachmentKind:
    found = kinds().get(name)
    return found if found is not None else abort(404)


def panel_id(plugin: str, object_kind: str, object_id, kind: str) -> str:
    """The HTML id of one object's panel of one kind (stable, safe in any selector)."""
    key = f"{plugin}\x1f{object_kind}\x1f{object_id}\x1f{kind}".encode()
    return "files-" + hashlib.sha256(key).hexdigest()[:16]


def _accept(kind: AttachmentKind) -> str:
    return ",".join([*kind.types, *sorted({"." + type_extension(t) for t in kind.types})])


def _when(moment) -> str:
    return local_datetime(moment, zone=False)


_ID_SPLICE = "OBJECT-ID"  # no plugin or object kind name holds it (lower-case names), so it is found in the id's place


def _upload_urls(plugin: str, object_kind: str, kind: str, next_url: str, title: str):
    """A function of a stored object id giving its panel's upload URL, built with ``url_for`` once and the id
    spliced in (``url_for`` took 0.07 ms a call, once per panel of a page of many objects): an object id needs
    no escaping in a path (letters, digits, _ . : -, which werkzeug leaves as they are)."""
    before, after = url_for("core.files_upload", plugin=plugin, object_kind=object_kind, object_id=_ID_SPLICE,
                            kind=kind, next=next_url, title=title).split(_ID_SPLICE, 1)
    return lambda object_id: f"{before}{object_id}{after}"


def _list_read(kind: AttachmentKind, plugin: str, object_kind: str, object_id: str, shown: list) -> dict:
    """The audit entry of one object's list of files shown (``audit.record_many``'s form)."""
    about = {"kind": kind.name, "plugin": plugin, "object_kind": object_kind, "object_id": object_id,
             "files": [row.id for row in shown]}
    patient = kind.patient_of(object_id) if kind.patient_bearing else None
    return {"action": "file.list", "object_type": "core_file", "object_id": "", "patient_id": patient,
            "detail": about}


def _panels(plugin: str, object_kind: str, object_ids, kind_name: str, *, title: str | None,
            next_url: str | None = None, notice: str = "", error: str = "") -> dict:
    """The panels of these objects' files of one kind for the current user, by the ids as given: one
    query for all of them, one audit entry per panel that lists files (as for a panel alone)."""
    kind = kinds().get(kind_name)
    if kind is None:
        raise FileError(f"no installed module declares the attachment kind {kind_name!r}")
    given = {object_id: check_object(plugin, object_kind, object_id) for object_id in object_ids}
    if not (can("core.files.use") and can(kind.view)):
        return {object_id: Markup("") for object_id in given}
    manage = can(kind.manage)
    lists = api.lists_for(plugin, object_kind, given.values(), kind.name, removed=manage)
    # One entry per panel listing files (an empty list shows nothing of anyone), appended together in a
    # commit that does not wait for the disk, as every read's entry.
    shown = [_list_read(kind, plugin, object_kind, object_id, files + removed)
             for object_id, (files, removed) in lists.items() if files or removed]
    if shown:
        with unflushed_transaction():
            audit.record_many(shown)
    limit = max_bytes(kind)
    next_url = same_site_path(next_url) or same_site_path(request.full_path.rstrip("?")) or "/"
    heading = title or kind.title
    panel = current_app.jinja_env.get_template("files/_panel.html").module.panel
    common = dict(kind=kind, manage=manage, title=heading, next_url=next_url, max_bytes=limit,
                  limit_label=size_label(limit), max_files=MAX_FILES, accept=_accept(kind), size_label=size_label,
                  when=_when, notice=notice, error=error, token=csrf_token(),
                  script_url=fixed_url("static", filename="js/files.js"))
    # The page and heading travel in the query: answering a refused upload must not read its body.
    upload_url = _upload_urls(plugin, object_kind, kind.name, next_url, heading)
    panels = {}
    for object_id, stored in given.items():
        files, removed = lists[stored]
        panels[object_id] = panel(files=files, removed=removed, upload_url=upload_url(stored),
                                  panel_id=panel_id(plugin, object_kind, stored, kind.name), **common)
    return panels


def render_panel(plugin: str, object_kind: str, object_id, kind_name: str, *, title: str | None = None,
                 next_url: str | None = None, notice: str = "", error: str = "") -> Markup:
    """The panel of one object's files of one kind (list, upload form, remove forms) for the current
    user, with the audit entry of the list shown; empty for a user without the kind's ``view``."""
    return _panels(plugin, object_kind, [object_id], kind_name, title=title, next_url=next_url, notice=notice,
                   error=error)[object_id]


def render_panels(plugin: str, object_kind: str, object_ids, kind_name: str, *,
                  title: str | None = None) -> dict:
    """The panels of many objects' files of one kind, by the object ids as given, each as
    :func:`render_panel` renders it (permissions, upload form, audit entry), their files read in one
    query: a page listing many objects (a campaign's spend entries) shows each one's files."""
    return _panels(plugin, object_kind, list(object_ids), kind_name, title=title)


@bp.app_template_global("attachments_panel")
def attachments_panel(plugin: str, object_kind: str, object_id, kind: str, title: str | None = None) -> Markup:
    """Template global behind the ``attachments`` macro."""
    return render_panel(plugin, object_kind, object_id, kind, title=title)


@bp.app_template_global("attachments_panels")
def attachments_panels(plugin: str, object_kind: str, object_ids, kind: str, title: str | None = None) -> dict:
    """Template global: :func:`render_panels` (``files/widget.html`` shows its use)."""
    return render_panels(plugin, object_kind, object_ids, kind, title=title)


def _answer(plugin, object_kind, object_id, kind: AttachmentKind, next_url, *, notice="", error="", status=200):
    """The panel again for the widget (htmx); for a plain form post, back to the page (or the message)."""
    if request.headers.get("HX-Request"):
        given = request.args.get("title") or request.form.get("title") or ""
        title = given.strip()[:MAX_TITLE] or None  # the heading the page gave the widget
        return render_panel(plugin, object_kind, object_id, kind.name, title=title, next_url=next_url,
                            notice=notice, error=error), status
    if error:
        return render_page("files/refused.html", title="File not saved", message=error,
                           back=same_site_path(next_url) or url_for("core.dashboard")), status
    notify(notice)
    return redirect(same_site_path(next_url) or url_for("core.dashboard"))


@bp.route("/files/<plugin>/<object_kind>/<object_id>/<kind>", methods=["POST"])
@requires("core.files.use")
@receives_uploads
def files_upload(plugin: str, object_kind: str, object_id: str, kind: str):
    """Attach the uploaded files (all or none) to the object; the kind's ``manage`` permission."""
    check_csrf_early()
    found = _kind_or_404(kind)
    require(found.manage)
    try:
        check_object(plugin, object_kind, object_id)
    except FileError:
        abort(404)
    next_url = request.args.get("next")
    try:
        _form, uploads = receive_files(found)
        if not uploads:
            raise FileError("Choose one or more files to upload.")
        created = api.store_uploads(uploads, plugin, object_kind, object_id, found)
    except FileError as exc:
        return _answer(plugin, object_kind, object_id, found, next_url, error=str(exc), status=exc.status)
    except pw.DoesNotExist:  # the kind's patient_of found no such object
        abort(404)
    names = ", ".join(f"“{row.name}”" for row in created)
    return _answer(plugin, object_kind, object_id, found, next_url, notice=f"Uploaded {names}.")


def _file_for(file_id: int, permission: str):
    row = api.get(file_id)
    if row is None or row.deleted_at is not None:
        abort(404)
    kind = _kind_or_404(row.kind)
    require(getattr(kind, permission))
    return row, kind


def _serve(row, *, inline: bool, action: str) -> Response:
    try:
        fh = api.reader(row, action=action, export=True)
    except FileDamaged as exc:
        log.error("stored file of attachment %s cannot be read: %s", row.id, exc)
        return render_page("core/error.html", title="This file cannot be read", code=500,
                           hint="Its stored copy is missing or damaged. Tell IT: `medoffice doctor` names it, "
                                "and the latest backup holds it."), 500

    def chunks():
        try:
            while block := fh.read(CHUNK_SIZE):
                yield block
        except FileDamaged as exc:  # the response is cut short rather than carry altered bytes
            log.error("stored file of attachment %s is damaged: %s", row.id, exc)
            raise
        finally:
            fh.close()

    headers = Headers()
    headers.set("Content-Disposition", "inline" if inline else "attachment", filename=row.download_name)
    headers.set("Content-Length", str(row.size))
    headers.set("X-Content-Type-Options", "nosniff")
    headers.set("Content-Security-Policy", PREVIEW_CSP if inline else DOWNLOAD_CSP)
    headers.set("Cache-Control", "no-store")
    return Response(chunks(), mimetype=row.mime, headers=headers, direct_passthrough=True)


@bp.route("/files/<int:file_id>/download")
@requires("core.files.use")
def files_download(file_id: int):
    """The file, as a download (audited: it leaves the application)."""
    row, _kind = _file_for(file_id, "view")
    return _serve(row, inline=False, action="file.download")


@bp.route("/files/<int:file_id>/preview")
@requires("core.files.use")
def files_preview(file_id: int):
    """The file shown by the browser: PDFs and PNG, JPEG, GIF and WebP images only; anything else is
    downloaded instead (audited either way)."""
    row, _kind = _file_for(file_id, "view")
    inline = row.mime in INLINE_SAFE
    return _serve(row, inline=inline, action="file.preview" if inline else "file.download")


@bp.route("/files/<int:file_id>/delete", methods=["POST"])
@requires("core.files.use")
def files_delete(file_id: int):
    """Remove the file from its object's list with a reason (kept, audited); the kind's ``manage``."""
    row, kind = _file_for(file_id, "manage")
    next_url = request.form.get("next")
    try:
        api.delete(row, request.form.get("reason", ""))
    except FileError as exc:
        return _answer(row.plugin, row.object_kind, row.object_id, kind, next_url, error=str(exc), status=422)
    return _answer(row.plugin, row.object_kind, row.object_id, kind, next_url, notice=f"Removed “{row.name}”.")
