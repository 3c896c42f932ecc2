"""The materials library: pieces in core's documents with their reading grade, approval, images and
review date. Writing, publishing, printing and the PDF happen on core's document pages."""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_login import current_user
from medoffice import documents, prepared
from medoffice.auth import require, requires
from medoffice.documents.models import Document
from medoffice.web.shell import notify, render_page

from .. import materials
from ..models import Material
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
    piece = _material(material_id)
    form = ReviewDateForm(obj=piece)
    if form.validate_on_submit():
        require("marketing.materials.manage")
        materials.set_review(piece, form.review_on.data)
        notify("Saved the review date.")
        return redirect(url_for("marketing.material", material_id=piece.id))
    state = materials.status(piece)
    return render_page("marketing/material.html", title=state["document"].title, piece=piece, s=state, form=form,
                       kinds=materials.KINDS, target=materials.target(),
                       approve_problem=materials.may_approve(current_user.id, piece),
                       breadcrumbs=[("Materials", url_for("marketing.materials_list")), (state["document"].title, None)]), \
        (422 if form.errors else 200)


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
