"""The materials library: pieces in core's documents with their reading grade, approval, images and
review date. Writing, publishing, printing and the PDF happen on core's document pages."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from medoffice import documents, prepared
from medoffice.auth import can, require, requires
from medoffice.data_versions import STAFF_KEY
from medoffice.documents.models import Document
from medoffice.documents.status import DOCUMENTS_VERSION
from medoffice.web.forms import with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page

from .. import materials
from ..models import MATERIALS, Material
from . import bp
from .common import form_page
from .forms import MaterialForm, ReviewDateForm


# Compiled once (peewee built the statement on every view).
_MATERIALS = Material.select(Material).join(Document, on=(Material.document_id == Document.id)).order_by(Document.title)


@bp.route("/materials")
@requires("marketing.materials.view")
def materials_list():
    """Every piece with its kind, state, approval, reading grade against the target and review date."""
    rows = list(prepared.run(_MATERIALS, "marketing.materials"))
    pieces = materials.statuses(rows)
    return render_page("marketing/materials.html", title="Materials", pieces=pieces, kinds=materials.KINDS,
                       target=materials.target(), breadcrumbs=[("Materials", None)])


@bp.route("/materials/new", methods=["GET", "POST"])
@requires("marketing.materials.manage")
def material_new():
    """Start a piece: its first version is a draft on core's document pages."""
    form = MaterialForm()
    if form.validate_on_submit():
        try:
            material = materials.create(form.title.data, form.kind.data, form.clinical.data, form.review_on.data,
                                        form.body.data or "", current_user.id)
        except (materials.MaterialError, documents.DocumentError) as exc:
            form.title.errors.append(str(exc))
        else:
            notify("Added the piece. Write and publish it on its document page.")
            return redirect(url_for("marketing.material", material_id=material.id))
    return form_page(form, "New material", [("Materials", url_for("marketing.materials_list"))],
                     cancel=url_for("marketing.materials_list"))


def _material(material_id: int) -> Material:
    return Material.get_or_none(Material.id == material_id) or abort(404)


@bp.route("/materials/<int:material_id>", methods=["GET", "POST"])
@requires("marketing.materials.view")
def material(material_id: int):
    """A piece: reading grade and target, approval of the version in force, images, review date."""
    if request.method == "GET":
        found = kept_part(_MATERIAL_KEYS, ("material", material_id), lambda: _piece_and_status(material_id))
        if found is None:
            abort(404)
        piece, state = found
        manage = can("marketing.materials.manage")
        problem = _approve_problem(piece) if manage else None
        head, review = kept_part(_MATERIAL_KEYS, ("material page", material_id, manage, problem),
                                 lambda: _parts(piece, state, ReviewDateForm(formdata=None, obj=piece), problem))
        return _material_page(piece, state, with_csrf_token(head), with_csrf_token(review))
    piece = _material(material_id)
    form = ReviewDateForm(obj=piece)
    if form.validate_on_submit():
        require("marketing.materials.manage")
        materials.set_review(piece, form.review_on.data)
        notify("Saved the review date.")
        return redirect(url_for("marketing.material", material_id=piece.id))
    state = materials.status(piece)
    head, review = _parts(piece, state, form, materials.may_approve(current_user.id, piece))
    return _material_page(piece, state, with_csrf_token(head), with_csrf_token(review)), (422 if form.errors else 200)


# A piece's page shows its row, core's document and versions, the practice's target grades and users' names (in
# the access version, with the settings) and whether the user's staff record is a provider's.
_MATERIAL_KEYS = (MATERIALS.key, DOCUMENTS_VERSION.key, STAFF_KEY)


def _piece_and_status(material_id: int) -> tuple[Material, dict] | None:
    """The piece and its ``materials.status`` (None when there is no such piece)."""
    piece = Material.get_or_none(Material.id == material_id)
    return None if piece is None else (piece, materials.status(piece))


def _approve_problem(piece: Material) -> str | None:
    """Why the user may not approve the piece (``materials.may_approve``), kept per user: only clinical content
    asks who they are."""
    if not piece.clinical:
        return None
    return kept_part(_MATERIAL_KEYS, ("approver", current_user.id), lambda: materials.may_approve(current_user.id, piece))


def _parts(piece: Material, state: dict, form: ReviewDateForm, problem: str | None) -> tuple[str, str]:
    """The page above the images (facts, approval) and below them (the review date, ``form``), their CSRF tokens
    left as slots."""
    head = render_template("marketing/_material_head.html", piece=piece, s=state, kinds=materials.KINDS,
                           target=materials.target(), approve_problem=problem)
    return slotted(head), slotted(render_template("marketing/_material_review.html", piece=piece, form=form))


def _material_page(piece: Material, state: dict, head: Markup, review: Markup):
    """The page: ``head``, the images (core's files panel, drawn for the user with its audit entry), ``review``."""
    title = state["document"].title
    return render_page("marketing/material.html", title=title, piece=piece, head=head, review=review,
                       breadcrumbs=[("Materials", url_for("marketing.materials_list")), (title, None)])


@bp.route("/materials/<int:material_id>/approve", methods=["POST"])
@requires("marketing.materials.manage")
def material_approve(material_id: int):
    """Approve the version in force (a clinician's login for clinical content)."""
    piece = _material(material_id)
    try:
        number = materials.approve(piece, current_user.id, current_user.username)
    except materials.MaterialError as exc:
        notify(str(exc), "error")
    else:
        notify(f"Approved version {number}.")
    return redirect(url_for("marketing.material", material_id=piece.id))
