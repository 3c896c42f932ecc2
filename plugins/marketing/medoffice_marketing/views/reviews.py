"""Online reviews: the log, reply drafts checked by the guard, approval and posting."""
from __future__ import annotations

from flask import abort, redirect, url_for
from medoffice.auth import can, requires
from medoffice.web.forms import form_values
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template

from .. import reviews
from ..models import REVIEWS, Review
from . import bp
from .common import form_page, newest_first, username
from .forms import ReplyForm, ReviewForm


@bp.route("/reviews")
@requires("marketing.experience.view")
def reviews_list():
    """Reviews logged, newest first, with the state of each reply."""
    link = url_template("marketing.review", "review_id")
    table = paginate(
        Review.select(), id="reviews-table", key="marketing.reviews", kept_by=REVIEWS.key,
        columns=[TableColumn("reviewed_on", "Posted", sort=newest_first(Review.reviewed_on), kind="date",
                             link=lambda r: link(r.id)),
                 TableColumn("site", "Site", sort=Review.site), TableColumn("rating", "Stars", sort=Review.rating, kind="number"),
                 TableColumn("text", "Review", value=lambda r: r.text[:120]),
                 TableColumn("reply_state", "Reply", sort=Review.reply_state, value=lambda r: reviews.STATES[r.reply_state])],
        search=lambda text: Review.text ** f"%{text}%", default_sort="reviewed_on", endpoint="marketing.reviews_list",
        noun="review", noun_plural="reviews", search_placeholder="Words in the review", empty_message="No reviews logged.")
    return render_page("marketing/reviews.html", title="Online reviews", table=table, breadcrumbs=[("Online reviews", None)])


@bp.route("/reviews/new", methods=["GET", "POST"])
@requires("marketing.experience.edit")
def review_new():
    """Log a review seen online."""
    form = ReviewForm()
    if form.validate_on_submit():
        review = reviews.log_review(form_values(form))
        notify("Logged the review.")
        return redirect(url_for("marketing.review", review_id=review.id))
    return form_page(form, "Log a review", [("Online reviews", url_for("marketing.reviews_list"))],
                     cancel=url_for("marketing.reviews_list"))


def _review(review_id: int) -> Review:
    return Review.get_or_none(Review.id == review_id) or abort(404)


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@requires("marketing.experience.view")
def review(review_id: int):
    """A review and its reply draft; saving shows what the guard flags."""
    row = _review(review_id)
    form = ReplyForm(obj=row)
    status = 200
    if form.validate_on_submit():
        if not _may_edit():
            abort(403)
        try:
            flags = reviews.save_reply(row, form.reply.data or "")
        except reviews.ReviewError as exc:
            form.reply.errors.append(str(exc))
            status = 422
        else:
            notify("Saved the draft." + (" The guard flags it: see below." if flags else ""),
                   "error" if flags else "success")
            return redirect(url_for("marketing.review", review_id=row.id))
    elif form.errors:
        status = 422
    return render_page("marketing/review.html", title=f"{row.site} review", review=row, form=form,
                       flags=reviews.guard(row.reply, row.reviewer) if row.reply else [], states=reviews.STATES,
                       breadcrumbs=[("Online reviews", url_for("marketing.reviews_list")), (f"#{row.id}", None)]), status


def _may_edit() -> bool:
    return can("marketing.experience.edit")


@bp.route("/reviews/<int:review_id>/approve", methods=["POST"])
@requires("marketing.reviews.approve")
def review_approve(review_id: int):
    """Approve the reply draft, if the guard passes it."""
    row = _review(review_id)
    try:
        reviews.approve_reply(row, username())
    except reviews.ReviewError as exc:
        notify(str(exc), "error")
    else:
        notify("Approved: the reply may be posted.")
    return redirect(url_for("marketing.review", review_id=row.id))


@bp.route("/reviews/<int:review_id>/posted", methods=["POST"])
@requires("marketing.experience.edit")
def review_posted(review_id: int):
    """Record that the approved reply is on the site."""
    row = _review(review_id)
    try:
        reviews.mark_posted(row)
    except reviews.ReviewError as exc:
        notify(str(exc), "error")
    else:
        notify("Recorded as posted.")
    return redirect(url_for("marketing.review", review_id=row.id))
