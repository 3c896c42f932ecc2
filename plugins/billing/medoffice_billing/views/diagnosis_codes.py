"""ICD-10-CM in charge entry: the code search (an htmx fragment under the diagnosis box) and each rendering
provider's favourite codes."""
from __future__ import annotations

from flask import abort, render_template, request
from medoffice.auth import requires
from medoffice.web.query import record_id

from .. import favorites, icd10
from ..models import Encounter
from . import bp
from .encounters import _encounter, _respond


@bp.route("/icd10/search")
@requires("billing.charges.edit")
def icd10_search():
    """Codes matching what is typed in an encounter's diagnosis box (``dx-code``) or ``q``: by code prefix or
    by words, billable codes addable in one click. Shows nothing of a patient."""
    encounter_id = record_id("encounter") or abort(404)
    encounter = Encounter.get_or_none(Encounter.id == encounter_id) or abort(404)
    text = (request.args.get("dx-code") or request.args.get("q") or "").strip()[:80]
    return render_template("billing/_icd10_results.html", encounter=encounter, text=text,
                           results=icd10.search(text), favorite_codes={
                               c.code for c in favorites.favorites(encounter.rendering_provider_id)})


@bp.route("/encounters/<int:encounter_id>/favorites", methods=["POST"])
@requires("billing.charges.edit")
def favorite_toggle(encounter_id: int):
    """Add a code to (or, with ``remove``, take it off) the favourites of the encounter's rendering provider."""
    record = _encounter(encounter_id)
    if not record.rendering_provider_id:
        return _respond(record, 422, message="Choose the rendering provider first: favourites are per provider.")
    code = request.form.get("code", "")
    try:
        if request.form.get("remove"):
            favorites.remove(record.rendering_provider_id, code)
        else:
            favorites.add(record.rendering_provider_id, code)
    except favorites.FavoriteError as exc:
        return _respond(record, 422, message=str(exc))
    return _respond(record)

