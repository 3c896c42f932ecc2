"""Appeal letters: a claim's letter from a template (preview), and its PDF (logged on the claim)."""
from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from medoffice.auth import requires
from medoffice.messages.templating import MessageTemplateError
from medoffice.patients import load_record_for_display
from medoffice.web.shell import notify, render_page

from .. import appeals
from ..models import Claim
from . import bp


def _template_key(value: str | None) -> str:
    key = value or appeals.TEMPLATES[0].key
    if key not in appeals.BY_KEY:
        abort(404)
    return key


@bp.route("/claims/<int:claim_id>/appeal")
@requires("billing.view")
def claim_appeal(claim_id: int):
    """The claim's appeal letter from a template, filled in, to read before printing. Audited."""
    key = _template_key(request.args.get("template"))
    claim, _patient = load_record_for_display(Claim, claim_id, "billing.appeal.view")
    try:
        letter = appeals.render_letter(claim, key)
    except MessageTemplateError as exc:
        notify(f"The letter cannot be filled in: {exc}", "error")
        return redirect(url_for("billing.claim", claim_id=claim.id))
    return render_page("billing/appeal.html", title=f"Appeal letter: claim {claim.claim_number}", claim=claim,
                       letter=letter, current=appeals.BY_KEY[key], templates=appeals.TEMPLATES,
                       breadcrumbs=[("Claims", url_for("billing.claims")),
                                    (claim.claim_number, url_for("billing.claim", claim_id=claim.id)),
                                    ("Appeal letter", None)])


@bp.route("/claims/<int:claim_id>/appeal.pdf", methods=["POST"])
@requires("billing.claims.edit")
def claim_appeal_pdf(claim_id: int):
    """Print the appeal letter as a PDF; the claim's history notes it and the audit trail records the file."""
    claim = Claim.get_or_none(Claim.id == claim_id) or abort(404)
    key = _template_key(request.form.get("template"))
    try:
        data = appeals.letter_pdf(claim, key)
    except MessageTemplateError as exc:
        notify(f"The letter cannot be filled in: {exc}", "error")
        return redirect(url_for("billing.claim_appeal", claim_id=claim.id, template=key))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="appeal-{claim.claim_number}.pdf"'})
