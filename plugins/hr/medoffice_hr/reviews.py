"""Performance reviews, coaching notes and written warnings. A cycle gives every employee (not
contractors) a review with two deadlines: their self-review and their supervisor's. Reviews and
notes are private to HR and the supervisor; the employee writes their self-review, sees the
supervisor's once it is submitted, and acknowledges it and any written warning. Every read of a
review or of the notes is audited."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, deadlines
from medoffice.db import transaction, utcnow
from medoffice.models import User

from .employees import HrError
from .models import Employment
from .training_models import EmployeeNote, Review, ReviewCycle

REVIEW_KIND = "hr.review"
NOTE_KINDS = (("coaching", "Coaching note"), ("warning", "Written warning"))


def _login(staff_id: int | None) -> int | None:
    if staff_id is None:
        return None
    row = User.select(User.id).where((User.staff == staff_id) & (User.active == True)).first()  # noqa: E712
    return row.id if row else None


def _assignee(staff_id: int | None) -> dict:
    login = _login(staff_id)
    return {"assignee_user": login} if login else {"assignee_role": "hr"}


def start_cycle(name: str, period_start: dt.date, period_end: dt.date, due_on: dt.date, by: str) -> ReviewCycle:
    """Open a review cycle: a review for every current employee (not contractors), each with a
    self-review deadline and a supervisor's review deadline."""
    if period_end < period_start:
        raise HrError("The period ends after it starts.", "period_end")
    if due_on < period_start:
        raise HrError("Reviews are due after the period starts.", "due_on")
    employments = list(Employment.select().where((Employment.status != "ended")
                                                 & (Employment.employment_type != "contractor")))
    with transaction():
        cycle = ReviewCycle.create(name=name, period_start=period_start, period_end=period_end, due_on=due_on,
                                   created_by=by)
        for employment in employments:
            review = Review.create(cycle=cycle, employment=employment)
            staff = employment.staff
            concerns = ("hr_review", review.id, "hr.review", {"review_id": review.id})
            deadlines.upsert("hr", f"review-self:{review.id}", title=f"{name}: self-review of {staff.first_name} "
                             f"{staff.last_name}", due=due_on, kind=REVIEW_KIND, concerns=concerns,
                             **_assignee(employment.staff_id))
            deadlines.upsert("hr", f"review-supervisor:{review.id}", title=f"{name}: review of {staff.first_name} "
                             f"{staff.last_name}", due=due_on, kind=REVIEW_KIND, concerns=concerns,
                             **_assignee(employment.supervisor_id))
        audit.record("hr.review_cycle.create", "hr_review_cycle", cycle.id, detail={"reviews": len(employments)})
    return cycle


def _close(key: str) -> None:
    found = deadlines.find("hr", key)
    if found is not None and found.state == "open":
        deadlines.complete(found.id, note="Submitted in HR")


def save_self(review: Review, text: str, submit: bool) -> None:
    """The employee saves (or submits, closing their deadline) their self-review."""
    if review.self_submitted_at is not None:
        raise HrError("The self-review is already submitted.", "self_text")
    if submit and not text.strip():
        raise HrError("Write the self-review before submitting it.", "self_text")
    with transaction():
        review.self_text = text
        if submit:
            review.self_submitted_at = utcnow()
            _close(f"review-self:{review.id}")
        review.save()
        audit.record("hr.review.self_submit" if submit else "hr.review.self_save", "hr_review", review.id,
                     detail={"staff_id": review.employment.staff_id})


def save_supervisor(review: Review, text: str, rating: int | None, submit: bool, by: str) -> None:
    """The supervisor (or HR) saves or submits the review with a rating of 1 to 5."""
    if review.supervisor_submitted_at is not None:
        raise HrError("The review is already submitted.", "supervisor_text")
    if rating is not None and not 1 <= rating <= 5:
        raise HrError("A rating is 1 to 5.", "rating")
    if submit and (not text.strip() or rating is None):
        raise HrError("Write the review and give a rating before submitting it.", "supervisor_text")
    with transaction():
        review.supervisor_text, review.rating, review.supervisor_by = text, rating, by
        if submit:
            review.supervisor_submitted_at = utcnow()
            _close(f"review-supervisor:{review.id}")
        review.save()
        audit.record("hr.review.submit" if submit else "hr.review.save", "hr_review", review.id,
                     detail={"staff_id": review.employment.staff_id, "rating": rating})


def acknowledge_review(review: Review) -> None:
    """The employee acknowledges the submitted review (not agreement: that they have read it)."""
    if review.supervisor_submitted_at is None:
        raise HrError("There is nothing to acknowledge yet.")
    if review.acknowledged_at is None:
        with transaction():
            review.acknowledged_at = utcnow()
            review.save()
            audit.record("hr.review.acknowledge", "hr_review", review.id, detail={"staff_id": review.employment.staff_id})


def add_note(employment: Employment, kind: str, text: str, by: str) -> EmployeeNote:
    """Write a coaching note or a written warning."""
    if kind not in dict(NOTE_KINDS):
        raise HrError("Choose a coaching note or a written warning.", "kind")
    if not text.strip():
        raise HrError("Write the note.", "text")
    with transaction():
        note = EmployeeNote.create(employment=employment, kind=kind, text=text.strip(), author=by)
        audit.record("hr.note.create", "hr_employee_note", note.id, detail={"staff_id": employment.staff_id,
                                                                           "kind": kind})
    return note


def acknowledge_warning(note: EmployeeNote) -> None:
    """The employee acknowledges a written warning addressed to them."""
    if note.kind != "warning":
        raise HrError("Only a written warning is acknowledged.")
    if note.acknowledged_at is None:
        with transaction():
            note.acknowledged_at = utcnow()
            note.save()
            audit.record("hr.note.acknowledge", "hr_employee_note", note.id,
                         detail={"staff_id": note.employment.staff_id})


def record_read(action: str, object_type: str, object_id, staff_id: int) -> None:
    """Audit a read of a review or of the notes (they are private: every read is on the trail)."""
    with transaction():
        audit.record(action, object_type, object_id, detail={"staff_id": staff_id})
