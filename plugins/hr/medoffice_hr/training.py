"""Training and certifications: courses required by job title fall due after hire and again after
each repeat interval; each due course is a core deadline for the employee (HR when they have no
login), escalated to HR when overdue. A certification's expiry is two deadlines, the employee's and
HR's own, so HR hears of it even when the employee ignores their reminders."""
from __future__ import annotations

import calendar
import datetime as dt
from operator import itemgetter

from medoffice import audit, deadlines, files, prepared, settings
from medoffice.db import transaction, utcnow
from medoffice.models import User
from medoffice.prepared import slot
from peewee import fn

from . import raw
from .employees import HrError
from .models import Employment
from .slots import id_slots, id_values
from .training_models import Certification, Course, CourseCompletion

TRAINING_KIND = "hr.training"
CERTIFICATION_KIND = "hr.certification"
CERTIFICATION_HR_KIND = "hr.certification_hr"
CERTIFICATE_KIND = "hr.certificate"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(hire_date: dt.date, due_days: int, last_completed: dt.date | None, repeat_months: int | None):
    """When a course is next due: ``due_days`` after hire until first completed, then
    ``repeat_months`` after the last completion; None once a one-time course is done."""
    if last_completed is None:
        return hire_date + dt.timedelta(days=due_days)
    if repeat_months:
        return add_months(last_completed, repeat_months)
    return None


def courses_for(job_title: str, courses: list[Course]) -> list[Course]:
    """The courses among ``courses`` that a job title must take."""
    return [c for c in courses if c.active and c.job_title in ("", job_title or "")]


_ACTIVE_COURSES = Course.select().where(Course.active == True).order_by(Course.name)  # noqa: E712


def status(employments: list[Employment]) -> dict[int, list[dict]]:
    """Employment id -> each required course with its last completion and next due date (three queries)."""
    courses = list(prepared.run(_ACTIVE_COURSES, "hr.courses.active"))
    ids = [e.id for e in employments]
    last = {(e, c): d for e, c, d in prepared.run(CourseCompletion.select(
        CourseCompletion.employment, CourseCompletion.course, fn.MAX(CourseCompletion.completed_on))
        .where(CourseCompletion.employment.in_(id_slots(len(ids))))
        .group_by(CourseCompletion.employment, CourseCompletion.course).tuples(), ("hr.training.last", len(ids)),
        **id_values(ids))}
    result = {}
    for employment in employments:
        rows = []
        for course in courses_for(employment.job_title, courses):
            done = last.get((employment.id, course.id))
            if isinstance(done, str):
                done = dt.date.fromisoformat(done)
            rows.append({"course": course, "last": done,
                         "due": next_due(employment.hire_date, course.due_days_after_hire, done, course.repeat_months)})
        result[employment.id] = rows
    return result


_ACTIVE_COURSE_ROWS = (Course.select(Course.id, Course.name, Course.job_title, Course.due_days_after_hire,
                                     Course.repeat_months).where(Course.active == True)  # noqa: E712
                       .order_by(Course.name).tuples())
_CURRENT_LAST_DONE = (CourseCompletion.select(CourseCompletion.employment, CourseCompletion.course,
                                              fn.MAX(CourseCompletion.completed_on))
                      .join(Employment).where(Employment.status != "ended")
                      .group_by(CourseCompletion.employment, CourseCompletion.course).tuples())


def due_by(employments: list, horizon: dt.date) -> list[tuple]:
    """The required courses of the current employees ``employments`` (each with ``id``, ``job_title`` and
    ``hire_date``; every current one, in the order to show) that fall due on or before ``horizon``, as
    (employment, course name, last completed or None, due), soonest first: what :func:`status` gives,
    for HR's overview of everyone, in two queries compiled once and without a row per course kept."""
    courses = [(course_id, name, job_title, dt.timedelta(days=due_days), repeat_months)
               for course_id, name, job_title, due_days, repeat_months in prepared.run(_ACTIVE_COURSE_ROWS,
                                                                                       "hr.courses.active_rows")]
    by_title: dict[str, list] = {}  # a job title's courses (by name), picked once per title, not per person
    last = {(e, c): raw.day(d) for e, c, d in prepared.run(_CURRENT_LAST_DONE, "hr.training.current_last")}
    last_done, found = last.get, []
    for employment in employments:
        job_title = employment.job_title or ""
        required = by_title.get(job_title)
        if required is None:
            required = by_title[job_title] = [c for c in courses if c[2] in ("", job_title)]
        employment_id, hired = employment.id, employment.hire_date
        for course_id, name, _title, after_hire, repeat_months in required:
            done = last_done((employment_id, course_id))
            if done is None:  # never done: due the set days after hire (next_due's first case)
                due = hired + after_hire
            elif repeat_months:
                due = add_months(done, repeat_months)
            else:
                continue
            if due <= horizon:
                found.append((employment, name, done, due))
    found.sort(key=itemgetter(3))
    return found


def _assignee(employment: Employment) -> dict:
    login = User.select(User.id).where((User.staff == employment.staff_id) & (User.active == True)).first()  # noqa: E712
    return {"assignee_user": login.id} if login else {"assignee_role": "hr"}


def sync_training(employment: Employment, rows: list[dict] | None = None) -> None:
    """Keep each required course's next due date as the employee's deadline (idempotent)."""
    rows = rows if rows is not None else status([employment])[employment.id]
    staff = employment.staff
    for row in rows:
        key = f"training:{employment.id}:{row['course'].id}"
        found = deadlines.find("hr", key)
        if row["last"] is not None and found is not None and found.state == "open" and found.due != row["due"]:
            deadlines.complete(found.id, note=f"Completed {row['last'].isoformat()}")
        if row["due"] is None:
            continue
        deadlines.upsert("hr", key, title=f"{row['course'].name}: training of {staff.first_name} {staff.last_name}",
                         due=row["due"], kind=TRAINING_KIND,
                         concerns=("hr_course", row["course"].id, "hr.employee_training", {"staff_id": staff.id}),
                         **_assignee(employment))


def record_completion(employment: Employment, course: Course, completed_on: dt.date, certificate, filename: str,
                      by: str) -> CourseCompletion:
    """Record a completed course with its certificate (checked by core's files service); the
    deadline moves on to the next repeat, or closes for a one-time course."""
    if completed_on > settings.today():
        raise HrError("A course is completed on or before today.", "completed_on")
    with transaction():
        completion = CourseCompletion.create(employment=employment, course=course, completed_on=completed_on,
                                             recorded_by=by)
        if certificate is not None:
            try:
                stored = files.attach("hr", "course_completion", completion.id, CERTIFICATE_KIND, certificate,
                                      filename or "certificate")
            except files.FileError as refused:
                raise HrError(str(refused), "certificate") from None
            completion.certificate_attachment_id = stored.id
            completion.save()
        audit.record("hr.training.complete", "hr_course_completion", completion.id,
                     detail={"staff_id": employment.staff_id, "course_id": course.id,
                             "completed_on": completed_on.isoformat()})
        sync_training(employment)
    return completion


def _certification_title(certification: Certification, staff) -> str:
    return f"{certification.name} of {staff.first_name} {staff.last_name} expires"


def sync_certification(certification: Certification) -> None:
    """Keep a certification's expiry as the employee's deadline and HR's (superseded when removed or
    when it does not expire)."""
    employment = certification.employment
    staff = employment.staff
    keys = (f"certification:{certification.id}", f"certification-hr:{certification.id}")
    if certification.expires_on is None or certification.removed_at is not None or employment.status == "ended":
        for key in keys:
            if deadlines.find("hr", key) is not None:
                deadlines.supersede("hr", key, reason="Certification removed, not expiring, or the person left")
        return
    concerns = ("hr_certification", certification.id, "hr.employee_training", {"staff_id": staff.id})
    deadlines.upsert("hr", keys[0], title=_certification_title(certification, staff), due=certification.expires_on,
                     kind=CERTIFICATION_KIND, concerns=concerns, **_assignee(employment))
    deadlines.upsert("hr", keys[1], title=_certification_title(certification, staff), due=certification.expires_on,
                     kind=CERTIFICATION_HR_KIND, concerns=concerns, assignee_role="hr")


def save_certification(employment: Employment, values: dict, certification: Certification | None = None):
    """Add a certification or renew one (a new expiry opens a new cycle of reminders)."""
    if values["issued_on"] and values["expires_on"] and values["expires_on"] < values["issued_on"]:
        raise HrError("It expires after it was issued.", "expires_on")
    with transaction():
        created = certification is None
        certification = certification or Certification(employment=employment)
        for name in ("name", "number", "issuer", "issued_on", "expires_on"):
            setattr(certification, name, values[name])
        certification.save()
        audit.record("hr.certification.create" if created else "hr.certification.update", "hr_certification",
                     certification.id, detail={"staff_id": employment.staff_id,
                                               "expires_on": values["expires_on"].isoformat()
                                               if values["expires_on"] else None})
        sync_certification(certification)
    return certification


def remove_certification(certification: Certification) -> None:
    """Take a certification off the file (its deadlines are superseded)."""
    with transaction():
        certification.removed_at = utcnow()
        certification.save()
        audit.record("hr.certification.delete", "hr_certification", certification.id,
                     detail={"staff_id": certification.employment.staff_id})
        sync_certification(certification)


def stop_for(employment: Employment) -> None:
    """Someone left: supersede their training and certification deadlines."""
    for row in status([employment])[employment.id]:
        key = f"training:{employment.id}:{row['course'].id}"
        if deadlines.find("hr", key) is not None:
            deadlines.supersede("hr", key, reason="The person left")
    for certification in Certification.select().where(Certification.employment == employment):
        sync_certification(certification)


def sync_all() -> int:
    """Keep every active employee's training and certification deadlines current; returns how many
    employees were checked."""
    employments = list(Employment.select().where(Employment.status != "ended"))
    with transaction():
        rows = status(employments)
        for employment in employments:
            sync_training(employment, rows[employment.id])
        for certification in Certification.select().where(Certification.removed_at.is_null()
                                                           & Certification.employment.in_([e.id for e in employments])):
            sync_certification(certification)
    return len(employments)


_HIPAA_COMPLETIONS = (CourseCompletion.select(Employment.staff, Course.name, CourseCompletion.completed_on)
                      .join(Course).switch(CourseCompletion).join(Employment)
                      .where((CourseCompletion.completed_on >= slot("since")) & Course.name.contains("hipaa")).tuples())


def hipaa_completions(since: dt.date) -> list[tuple[int, str, dt.date]]:
    """Completions of HIPAA courses (a course whose name says HIPAA) on or after ``since``, as
    (staff id, course name, completed on): what HR answers compliance's training hook, one query
    compiled once."""
    return list(prepared.run(_HIPAA_COMPLETIONS, "hr.hipaa_completions", since=since))
