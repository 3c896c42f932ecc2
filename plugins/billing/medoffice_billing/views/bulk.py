"""Working lists in bulk: actions on the claims picked from a list, and saved filters of the lists."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice.auth import requires
from medoffice.web.query import parse_id
from medoffice.web.shell import notify

from .. import claim_bulk, saved_filters
from ..claims import ClaimError
from . import bp

BACK_ARGS = ("status", "mine", "sort", "desc", "q", "page")


def select_box(claim) -> Markup:
    """A row's checkbox for the bulk form of a claims list (``form="bulk-form"``)."""
    return Markup(f'<input type="checkbox" name="claim_id" value="{int(claim.id)}" form="bulk-form" '
                  f'aria-label="Select claim {escape(claim.claim_number)}">')


def saved_context(page: str) -> dict:
    """What a list page needs for its saved filters: the user's saved views and the view to save."""
    return {"saved_page": page, "saved_views": saved_filters.saved(current_user.id, page),
            "saved_query": saved_filters.clean_query(request.query_string.decode("ascii", "replace"))}


@bp.route("/claims/bulk", methods=["POST"])
@requires("billing.claims.edit")
def claims_bulk():
    """Mark ready, hold or assign the claims selected on the claims list, each as its own page would."""
    ids = [claim_id for v in request.form.getlist("claim_id") if (claim_id := parse_id(v)) is not None]
    action = request.form.get("action", "")
    target = request.form.get("user_id", "").strip()
    user_id = parse_id(target) if target not in ("", "0") else None
    back = {k: request.form[k] for k in BACK_ARGS if request.form.get(k)}
    try:
        if action == "assign" and target not in ("", "0") and user_id is None:
            raise ClaimError("Choose an active user to assign the claims to.")
        result = claim_bulk.apply(action, ids, reason=request.form.get("reason", ""), user_id=user_id)
    except ClaimError as exc:
        notify(str(exc), "error")
        return redirect(url_for("billing.claims", **back))
    done = len(result.done)
    label = {"ready": "marked ready", "hold": "held", "assign": "assigned" if user_id else "unassigned"}[action]
    notify(f"{done} claim{'s' if done != 1 else ''} {label}.", "success" if done else "info")
    if result.refused:
        notify("Not changed: " + "; ".join(f"{number}: {why}" for number, why in result.refused), "error")
    return redirect(url_for("billing.claims", **back))


@bp.route("/saved-filters", methods=["POST"])
@requires("billing.lists.save")
def saved_filter_save():
    """Save the list view the user is looking at under a name, and open it."""
    page = request.form.get("page", "")
    try:
        saved = saved_filters.save(current_user.id, page, request.form.get("name", ""), request.form.get("query", ""))
    except saved_filters.SavedFilterError as exc:
        notify(str(exc), "error")
        query = saved_filters.clean_query(request.form.get("query", ""))
        return redirect(url_for(saved_filters.PAGES.get(page, "billing.claims")) + (f"?{query}" if query else ""))
    notify(f"Saved the filter {saved.name}.")
    return redirect(url_for(saved_filters.PAGES[page]) + (f"?{saved.query}" if saved.query else ""))


@bp.route("/saved-filters/<int:filter_id>/delete", methods=["POST"])
@requires("billing.lists.save")
def saved_filter_delete(filter_id: int):
    """Remove one of the user's saved filters."""
    page = request.form.get("page", "")
    notify("Removed the saved filter." if saved_filters.delete(current_user.id, filter_id)
           else "There is no such saved filter.", "success")
    return redirect(url_for(saved_filters.PAGES.get(page, "billing.claims")))
