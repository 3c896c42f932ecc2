"""The documents pages: the list, "My documents", one document with its versions, the draft editor,
publishing and retiring, a version's page, print view and PDF, the side-by-side diff, the reading
and signing page, the status of everyone it is addressed to and the paper signature form.

Every route needs ``core.documents.read``; inside, a document is shown to whoever manages or may view
its kind (``DocumentKind``) or is in its audience, drafts only to those who manage it, and every change
needs the kind's ``manage_permission``. A module that is off hides its documents.
"""
from __future__ import annotations

import functools
from collections import namedtuple

from flask import Response, abort, current_app, redirect, request, url_for
from flask_login import current_user

from .. import prepared
from ..auth.access import requires
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import kept
from ..models import Location, Role, StaffMember, User
from ..prepared import slot
from ..settings import practice_timezone, today
from ..web import core_blueprint as bp
from ..web.forms import choices
from ..web.shell import notify, render_page
from ..files import api as file_api
from ..files.upload import check_csrf_early, receive_files, receives_uploads
from . import api, diff, printing, signing
from .audience import Audience, describe, includes, staff_without_login, stored
from .forms import AcknowledgeForm, AudienceFields, DraftForm, NewDocumentForm, PaperForm, PublishForm, RetireForm
from .kinds import enabled_kinds, kind_of, kind_title, managed_kinds, may_manage_kind, may_view_kind
from .models import DOCUMENT_STATES, METHODS, VERSION_STATES, Acknowledgment, Document, DocumentVersion
from .reminders import grace_days
from .status import (DOCUMENTS_VERSION, STATUSES, addressed_condition, counts, my_due_dates, pending_condition,
                     pending_documents, people)


# --- access ----------------------------------------------------------------------------------------

def _module_on(document: Document) -> bool:
    kind = kind_of(document.kind)
    return kind is not None and current_app.extensions["medoffice"].host.is_enabled(kind.plugin)


def may_manage(document: Document) -> bool:
    """The current user writes and publishes documents of this one's kind (and its module is on)."""
    return _module_on(document) and may_manage_kind(document.kind)


def may_view(document: Document) -> bool:
    """The current user may open the document's published versions."""
    if not _module_on(document):
        return False
    if may_manage_kind(document.kind):
        return True
    if document.state == "draft":
        return False
    return may_view_kind(document.kind) or includes(document, current_user.id)


def _document(document_id: int, *, manage: bool = False) -> Document:
    document = Document.get_or_none(Document.id == document_id)
    if document is None or not may_view(document):
        abort(404)
    if manage and not may_manage(document):
        abort(403)
    return document


def _version(document: Document, number: int) -> DocumentVersion:
    version = api.version_of(document, number)
    if version is None or (version.is_draft and not may_manage(document)):
        abort(404)
    return version


# --- forms' choices --------------------------------------------------------------------------------

def _fill_audience(form) -> None:
    form.owner.choices = choices((u.id, u.full_name) for u in
                                 User.select(User.id, User.full_name).where(User.active == True)  # noqa: E712
                                 .order_by(User.full_name))
    form.roles.choices = choices((r.id, r.title) for r in Role.select().order_by(Role.title))
    form.locations.choices = choices((loc.id, loc.name) for loc in
                                     Location.select().where(Location.active == True).order_by(Location.name))  # noqa: E712
    form.staff.choices = choices((s.id, s.display_name) for s in StaffMember.select()
                                 .where(StaffMember.active == True).order_by(StaffMember.last_name, StaffMember.first_name))  # noqa: E712
    form.users.choices = choices((u.id, f"{u.full_name} ({u.username})") for u in
                                 User.select().where(User.active == True).order_by(User.full_name))  # noqa: E712


def _audience(form) -> Audience:
    return Audience.of(form.roles.data or (), form.locations.data or (), form.staff.data or (), form.users.data or ())


def _breadcrumbs(document: Document | None = None, *tail):
    crumbs = [("Documents", url_for("core.documents"))]
    if document is not None:
        crumbs.append((document.title, url_for("core.document", document_id=document.id)))
    return crumbs + list(tail)


ListedDocument = namedtuple("ListedDocument", "id title kind state current_number")  # a row of the list

# --- lists -----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=32)
def _list_query(names: tuple, readable: tuple, managed: tuple):
    """The documents list for a user (slot ``user_id``) who manages ``managed`` kinds and views ``readable``
    ones of the enabled ``names``: the columns shown, whether it is addressed to them and whether they have
    to acknowledge it (whatever is addressed to them is listed, so both sets come from its rows)."""
    user = slot("user_id")
    addressed = addressed_condition(user, list(names))
    return (Document.select(Document.id, Document.title, Document.kind, Document.state, Document.current_number,
                            addressed, pending_condition(user, list(names)))
            .where(Document.kind.in_(list(managed))
                   | ((Document.state != "draft") & Document.kind.in_(list(readable))) | addressed)
            .order_by(Document.state != "published", Document.title, Document.id))


def _listed(names: tuple, readable: tuple, managed: tuple, user_id: int) -> tuple[tuple, frozenset, frozenset]:
    """The user's documents list: its rows, the ids addressed to them and those they have to acknowledge."""
    rows, mine, pending = [], set(), set()
    for *columns, is_mine, is_pending in prepared.rows(
            _list_query(names, readable, managed), ("documents.list", names, readable, managed), user_id=user_id):
        rows.append(ListedDocument._make(columns))
        if is_mine:
            mine.add(columns[0])
        if is_pending:
            pending.add(columns[0])
    return tuple(rows), frozenset(mine), frozenset(pending)


@bp.route("/documents")
@requires("core.documents.read")
def documents():
    """The documents the user may open: all of the kinds they view or manage, and those addressed to them."""
    kinds = enabled_kinds()
    names = tuple(k.name for k in kinds)
    readable = tuple(k.name for k in kinds if may_view_kind(k.name))
    managed = tuple(k.name for k in kinds if may_manage_kind(k.name))
    rows, mine, pending = kept((DOCUMENTS_VERSION.key, ACCESS_KEY), ("documents list", current_user.id, names,
                                                                     readable, managed),
                               lambda: _listed(names, readable, managed, current_user.id))
    return render_page("documents/list.html", title="Documents", rows=rows, pending=pending, mine=mine,
                       kind_title=kind_title, states=DOCUMENT_STATES, may_create=bool(managed_kinds()),
                       breadcrumbs=[("Documents", None)])


@bp.route("/documents/mine")
@requires("core.documents.read")
def documents_mine():
    """What the user has to read and acknowledge (Today links here), and what they already signed."""
    pending = pending_documents(current_user.id)
    dues = my_due_dates(current_user.id)
    signed = list(Acknowledgment.select(Acknowledgment, DocumentVersion, Document)
                  .join(DocumentVersion).join(Document)
                  .where(Acknowledgment.user == current_user.id).order_by(Acknowledgment.at.desc()).limit(200))
    return render_page("documents/mine.html", title="My documents", pending=pending, dues=dues, signed=signed,
                       today=today(), kind_title=kind_title, methods=METHODS, timezone=practice_timezone(),
                       breadcrumbs=_breadcrumbs(None, ("My documents", None)))


# --- one document ----------------------------------------------------------------------------------

@bp.route("/documents/new", methods=["GET", "POST"])
@requires("core.documents.read")
def document_new():
    """Start a document: kind, title, owner and audience; version 1 is a draft to write next."""
    kinds = managed_kinds()
    if not kinds:
        abort(403)
    form = NewDocumentForm()
    form.kind.choices = choices((k.name, k.title) for k in kinds)
    _fill_audience(form)
    if request.method == "GET":
        form.owner.data = current_user.id
    elif form.validate_on_submit():
        try:
            document = api.create(form.kind.data, form.title.data, owner=form.owner.data, audience=_audience(form),
                                  by=current_user.id)
        except api.DocumentError as exc:
            form.title.errors = [str(exc)]
        else:
            notify("Document started: write its first version.")
            return redirect(url_for("core.document_draft", document_id=document.id))
    status = 422 if request.method == "POST" else 200
    return render_page("documents/new.html", title="New document", form=form,
                       breadcrumbs=_breadcrumbs(None, ("New document", None))), status


@bp.route("/documents/<int:document_id>")
@requires("core.documents.read")
def document(document_id: int):
    """A document: the version in force, its versions, its audience; what the user may do with it."""
    doc = _document(document_id)
    manage = may_manage(doc)
    versions = list(DocumentVersion.select().where(DocumentVersion.document == doc)
                    .order_by(DocumentVersion.number.desc()))
    if not manage:
        versions = [v for v in versions if not v.is_draft]
    shown = next((v for v in versions if v.state == "published"), None) or (versions[0] if versions else None)
    audience = stored(doc)
    addressed = includes(doc, current_user.id)
    statuses = people(doc, today()) if manage or addressed else []
    mine = next((s for s in statuses if s.user.id == current_user.id), None)
    return render_page("documents/document.html", title=doc.title, doc=doc, versions=versions, shown=shown,
                       manage=manage, kind=kind_title(doc.kind), states=DOCUMENT_STATES, version_states=VERSION_STATES,
                       audience=describe(audience), no_login=staff_without_login(audience),
                       counts=counts(statuses) if manage else None, mine=mine, statuses_words=STATUSES,
                       draft=next((v for v in versions if v.is_draft), None), timezone=practice_timezone(),
                       breadcrumbs=_breadcrumbs(None, (doc.title, None)))


@bp.route("/documents/<int:document_id>/settings", methods=["GET", "POST"])
@requires("core.documents.read")
def document_settings(document_id: int):
    """Change the owner and the audience."""
    doc = _document(document_id, manage=True)
    form = AudienceFields()
    _fill_audience(form)
    if request.method == "GET":
        audience = stored(doc)
        form.owner.data = doc.owner_id
        form.roles.data, form.locations.data = sorted(audience.roles), sorted(audience.locations)
        form.staff.data, form.users.data = sorted(audience.staff), sorted(audience.users)
    elif form.validate_on_submit():
        try:
            api.set_details(doc, owner=form.owner.data, audience=_audience(form))
        except api.DocumentError as exc:
            form.owner.errors = [str(exc)]
        else:
            notify("Owner and audience saved.")
            return redirect(url_for("core.document", document_id=doc.id))
    status = 422 if request.method == "POST" else 200
    return render_page("documents/settings.html", title=f"Owner and audience: {doc.title}", form=form, doc=doc,
                       breadcrumbs=_breadcrumbs(doc, ("Owner and audience", None))), status


@bp.route("/documents/<int:document_id>/draft", methods=["GET", "POST"])
@requires("core.documents.read")
def document_draft(document_id: int):
    """Edit the draft: title and markdown text, with the live preview."""
    doc = _document(document_id, manage=True)
    draft = api.draft_of(doc)
    if draft is None:
        abort(404)
    form = DraftForm()
    if request.method == "GET":
        form.title.data, form.body.data = draft.title, draft.body
    elif form.validate_on_submit():
        try:
            api.save_draft(doc, title=form.title.data, body=form.body.data or "", by=current_user.id)
        except api.DocumentError as exc:
            form.body.errors = [str(exc)]
        else:
            notify(f"Draft of version {draft.number} saved.")
            return redirect(url_for("core.document_draft", document_id=doc.id))
    status = 422 if request.method == "POST" else 200
    return render_page("documents/draft.html", title=f"Draft: {doc.title}", form=form, doc=doc, draft=draft,
                       breadcrumbs=_breadcrumbs(doc, (f"Draft of version {draft.number}", None))), status


@bp.route("/documents/<int:document_id>/draft/start", methods=["POST"])
@requires("core.documents.read")
def document_draft_start(document_id: int):
    """Start the next version as a draft of the newest one."""
    doc = _document(document_id, manage=True)
    try:
        draft = api.start_draft(doc, by=current_user.id)
    except api.DocumentError as exc:
        notify(str(exc), "error")
        return redirect(url_for("core.document", document_id=doc.id))
    notify(f"Version {draft.number} started as a draft.")
    return redirect(url_for("core.document_draft", document_id=doc.id))


@bp.route("/documents/<int:document_id>/draft/discard", methods=["POST"])
@requires("core.documents.read")
def document_draft_discard(document_id: int):
    """Throw the draft away (the published versions stay)."""
    doc = _document(document_id, manage=True)
    try:
        api.discard_draft(doc)
    except api.DocumentError as exc:
        notify(str(exc), "error")
    else:
        notify("Draft discarded.")
    return redirect(url_for("core.document", document_id=doc.id))


@bp.route("/documents/<int:document_id>/delete", methods=["POST"])
@requires("core.documents.read")
def document_delete(document_id: int):
    """Delete a document that was never published."""
    doc = _document(document_id, manage=True)
    try:
        api.delete(doc)
    except api.DocumentError as exc:
        notify(str(exc), "error")
        return redirect(url_for("core.document", document_id=doc.id))
    notify("Document deleted.")
    return redirect(url_for("core.documents"))


@bp.route("/documents/<int:document_id>/publish", methods=["GET", "POST"])
@requires("core.documents.read")
def document_publish(document_id: int):
    """Publish the draft with its effective date and summary of changes; choose whether to ask again."""
    doc = _document(document_id, manage=True)
    draft = api.draft_of(doc)
    if draft is None:
        abort(404)
    form = PublishForm()
    problem = ""
    if request.method == "GET":
        form.effective_on.data = today()
        kind = kind_of(doc.kind)
        form.requires_acknowledgment.data = kind.requires_acknowledgment if kind else True
        if draft.number == 1:
            form.summary.data = "First version."
    elif form.validate_on_submit():
        try:
            api.publish(doc, effective_on=form.effective_on.data, summary=form.summary.data,
                        requires_acknowledgment=form.requires_acknowledgment.data, by=current_user.id)
        except api.DocumentError as exc:
            problem = str(exc)
        else:
            notify(f"Version {draft.number} published.")
            return redirect(url_for("core.document", document_id=doc.id))
    current = api.current_of(doc)
    changes = diff.rows(current.body, draft.body) if current else []
    status = 422 if request.method == "POST" else 200
    return render_page("documents/publish.html", title=f"Publish: {doc.title}", form=form, doc=doc, draft=draft,
                       current=current, changes=changes, problem=problem, grace=grace_days(),
                       breadcrumbs=_breadcrumbs(doc, (f"Publish version {draft.number}", None))), status


@bp.route("/documents/<int:document_id>/retire", methods=["GET", "POST"])
@requires("core.documents.read")
def document_retire(document_id: int):
    """Withdraw the document: nobody needs to read it any more; its history stays."""
    doc = _document(document_id, manage=True)
    if doc.state != "published":
        abort(404)
    form = RetireForm()
    if form.validate_on_submit():
        try:
            api.retire(doc, reason=form.reason.data, by=current_user.id)
        except api.DocumentError as exc:
            form.reason.errors = [str(exc)]
        else:
            notify("Document retired.")
            return redirect(url_for("core.document", document_id=doc.id))
    status = 422 if request.method == "POST" else 200
    return render_page("documents/retire.html", title=f"Retire: {doc.title}", form=form, doc=doc,
                       breadcrumbs=_breadcrumbs(doc, ("Retire", None))), status


# --- versions ----------------------------------------------------------------------------------------

@bp.route("/documents/<int:document_id>/versions/<int:number>")
@requires("core.documents.read")
def document_version(document_id: int, number: int):
    """One version: its text, dates, summary of changes and text hash."""
    doc = _document(document_id)
    version = _version(doc, number)
    return render_page("documents/version.html", title=f"{version.title}, version {version.number}", doc=doc,
                       version=version, kind=kind_title(doc.kind), version_states=VERSION_STATES,
                       manage=may_manage(doc), timezone=practice_timezone(),
                       breadcrumbs=_breadcrumbs(doc, (f"Version {version.number}", None)))


@bp.route("/documents/<int:document_id>/versions/<int:number>/print")
@requires("core.documents.read")
def document_print(document_id: int, number: int):
    """The version as a page to print."""
    doc = _document(document_id)
    return printing.version_html(doc, _version(doc, number), for_print=True)


@bp.route("/documents/<int:document_id>/versions/<int:number>/pdf")
@requires("core.documents.read")
def document_pdf(document_id: int, number: int):
    """The version as a PDF download."""
    doc = _document(document_id)
    version = _version(doc, number)
    body = printing.version_pdf(doc, version)
    name = f"document-{doc.id}-version-{version.number}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _number_arg(name: str, default: int | None) -> int | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return default
    if not text.isdecimal() or len(text) > 6:
        abort(400, description=f"{name}: a version number.")
    return int(text)


@bp.route("/documents/<int:document_id>/diff")
@requires("core.documents.read")
def document_diff(document_id: int):
    """Two versions side by side (``?from=1&to=2``; default: the two newest the user may see)."""
    doc = _document(document_id)
    visible = [v.number for v in DocumentVersion.select(DocumentVersion.number, DocumentVersion.state)
               .where(DocumentVersion.document == doc).order_by(DocumentVersion.number)
               if v.state != "draft" or may_manage(doc)]
    if not visible:
        abort(404)
    right = _number_arg("to", visible[-1])
    left = _number_arg("from", visible[-2] if len(visible) > 1 else visible[-1])
    old, new = _version(doc, left), _version(doc, right)
    return render_page("documents/diff.html", title=f"Changes: {doc.title}", doc=doc, old=old, new=new,
                       rows=diff.rows(old.body, new.body), title_changed=old.title != new.title, numbers=visible,
                       breadcrumbs=_breadcrumbs(doc, (f"Version {old.number} and {new.number}", None)))


# --- reading and signing ---------------------------------------------------------------------------------

def _read_page(doc: Document, form: AcknowledgeForm, status: int = 200, problem: str = ""):
    current = api.current_of(doc)
    if current is None:
        abort(404)
    mine = next((s for s in people(doc, today()) if s.user.id == current_user.id), None)
    signed_current = Acknowledgment.get_or_none((Acknowledgment.version == current)
                                                & (Acknowledgment.user == current_user.id))
    form.version.data, form.text_sha256.data = current.number, current.text_sha256
    return render_page("documents/read.html", title=current.title, doc=doc, version=current, form=form, mine=mine,
                       signed_current=signed_current, statuses_words=STATUSES, problem=problem,
                       may_sign=mine is not None and signed_current is None and doc.ack_from is not None, methods=METHODS,
                       timezone=practice_timezone(), kind=kind_title(doc.kind),
                       breadcrumbs=_breadcrumbs(doc, ("Read and acknowledge", None))), status


@bp.route("/documents/<int:document_id>/read")
@requires("core.documents.read")
def document_read(document_id: int):
    """The version in force to read, and the signature form for the people it is addressed to."""
    return _read_page(_document(document_id), AcknowledgeForm(formdata=None))


@bp.route("/documents/<int:document_id>/acknowledge", methods=["POST"])
@requires("core.documents.read")
def document_acknowledge(document_id: int):
    """Sign the version read with the password re-entered; a wrong password counts as a failed login."""
    doc = _document(document_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _read_page(doc, form, 422)
    try:
        signing.acknowledge(doc, current_user.id, form.password.data, version_number=form.version.data,
                            text_sha256=form.text_sha256.data, address=request.remote_addr or "")
    except signing.SignatureRefused as exc:
        form.password.errors = [str(exc)]
        return _read_page(doc, form, 422)
    except api.DocumentError as exc:
        return _read_page(doc, AcknowledgeForm(formdata=None), 409, problem=str(exc))
    notify(f"Thank you: you acknowledged version {form.version.data} of {doc.title}.")
    return redirect(url_for("core.document_read", document_id=doc.id))


# --- status and paper signatures -------------------------------------------------------------------------

@bp.route("/documents/<int:document_id>/status")
@requires("core.documents.read")
def document_status(document_id: int):
    """Everyone the document is addressed to: acknowledged (which version, when, how), pending or overdue."""
    doc = _document(document_id, manage=True)
    statuses = people(doc, today())
    scans = {s.signature.id: signing.scans_of(s.signature.id) for s in statuses
             if s.signature is not None and s.signature.method == "paper"}
    return render_page("documents/status.html", title=f"Who acknowledged: {doc.title}", doc=doc, statuses=statuses,
                       counts=counts(statuses), scans=scans, words=STATUSES, methods=METHODS, timezone=practice_timezone(),
                       no_login=staff_without_login(stored(doc)),
                       breadcrumbs=_breadcrumbs(doc, ("Who acknowledged", None)))


@bp.route("/documents/<int:document_id>/paper", methods=["GET", "POST"])
@requires("core.documents.read")
@receives_uploads
def document_paper(document_id: int):
    """Record a signature given on paper, with the scanned page (sealed as it streams in, through core's files)."""
    if request.method == "POST":
        check_csrf_early()  # before anything is looked up, as every other form's token is
    doc = _document(document_id, manage=True)
    uploads, status = [], 200
    try:
        problem = ""
        if request.method == "POST":
            try:
                _fields, uploads = receive_files(file_api.kind_named(signing.SCAN_KIND), field="scan")
            except file_api.FileError as exc:
                problem, status = str(exc), exc.status
        form = PaperForm()
        statuses = people(doc, today())
        form.person.choices = choices((s.user.id, f"{s.user.full_name} ({STATUSES[s.status].lower()})")
                                      for s in statuses)
        published = list(DocumentVersion.select().where((DocumentVersion.document == doc)
                                                        & (DocumentVersion.state != "draft"))
                         .order_by(DocumentVersion.number.desc()))
        if not published:
            abort(404)
        form.version.choices = choices((v.number, f"Version {v.number} ({VERSION_STATES[v.state].lower()})")
                                       for v in published)
        if request.method == "GET":
            form.version.data = doc.current_number or published[0].number
            form.signed_on.data = today()
            wanted = request.args.get("person", "")
            form.person.data = int(wanted) if wanted.isdecimal() and len(wanted) < 10 else None
        elif not problem and form.validate_on_submit():
            if not uploads:
                form.scan.errors = ["Attach the scanned page of the signature."]
            else:
                try:
                    signing.record_paper(doc, form.version.data, form.person.data, signed_on=form.signed_on.data,
                                         note=form.note.data or "", recorded_by=current_user.id, scans=uploads)
                except api.DocumentError as exc:
                    form.note.errors = [str(exc)]
                else:
                    notify("Paper signature recorded.")
                    return redirect(url_for("core.document_status", document_id=doc.id))
        if request.method == "POST" and status == 200:
            status = 422
        return render_page("documents/paper.html", title=f"Paper signature: {doc.title}", form=form, doc=doc,
                           problem=problem,
                           breadcrumbs=_breadcrumbs(doc, ("Who acknowledged", url_for("core.document_status",
                                                                                      document_id=doc.id)),
                                                    ("Paper signature", None))), status
    finally:
        for upload in uploads:
            upload.discard()
