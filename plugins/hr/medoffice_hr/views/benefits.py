"""Benefits pages: plans with tiers and open enrollment windows (HR), a person's enrollments and
benefits summary (HR changes them any time; the employee during open enrollment)."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from medoffice import audit, prepared, settings
from medoffice.auth import can, requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.db import transaction
from medoffice.money import parse_cents
from medoffice.web.field_html import render_form
from medoffice.web.forms import blank_form_html, choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page

from .. import benefits
from ..access import FULL, my_staff_id, require_relation
from ..benefits_models import BENEFITS, BenefitPlan, BenefitTier, EnrollmentWindow
from ..employees import HrError, employment_of
from ..models import PEOPLE
from . import bp
from .payroll_forms import EnrollForm, PlanForm, TierForm, WindowForm, percent_bp


_PLANS = BenefitPlan.select().order_by(BenefitPlan.name)  # built once
_WINDOWS = EnrollmentWindow.select().order_by(EnrollmentWindow.opens_on.desc())


def _plan_form_html(form) -> Markup:
    return render_form(form, extra_hidden={"form": "plan"}, submit="Add plan")


def _window_form_html(form) -> Markup:
    return render_form(form, extra_hidden={"form": "window"}, submit="Schedule")


@bp.route("/benefits", methods=["GET", "POST"])
@requires("hr.benefits.manage")
def benefits_page():
    """Plans, their tiers and the open enrollment windows; forms for a new plan and window."""
    plan_form = window_form = None  # blank: kept rendered (only the CSRF token put in)
    status = 200
    if request.method == "POST":
        status = 422
        if request.form.get("form") == "plan":
            plan_form = PlanForm()
            if plan_form.validate_on_submit():
                if BenefitPlan.select().where(BenefitPlan.name == plan_form.name.data.strip()).exists():
                    plan_form.name.errors = ["Another plan has that name."]
                else:
                    with transaction():
                        plan = BenefitPlan.create(name=plan_form.name.data.strip(), kind=plan_form.kind.data,
                                                  pretax=bool(plan_form.pretax.data), active=bool(plan_form.active.data))
                        audit.record("hr.benefit_plan.create", "hr_benefit_plan", plan.id)
                    notify("Plan added: give it its tiers.")
                    return redirect(url_for("hr.benefit_plan", benefit_plan_id=plan.id))
        else:
            window_form = WindowForm()
            if window_form.validate_on_submit():
                if window_form.closes_on.data < window_form.opens_on.data:
                    window_form.closes_on.errors = ["It closes after it opens."]
                else:
                    with transaction():
                        window = EnrollmentWindow.create(name=window_form.name.data.strip(),
                                                         opens_on=window_form.opens_on.data,
                                                         closes_on=window_form.closes_on.data,
                                                         effective_on=window_form.effective_on.data)
                        audit.record("hr.enrollment_window.create", "hr_enrollment_window", window.id)
                    notify("Open enrollment scheduled.")
                    return redirect(url_for("hr.benefits_page"))
    return render_page("hr/benefits.html", title="Benefits", plans=list(prepared.run(_PLANS, "hr.benefit_plans")),
                       windows=list(prepared.run(_WINDOWS, "hr.enrollment_windows")),
                       plan_form=_plan_form_html(plan_form) if plan_form else blank_form_html(
                           ("hr", "new benefit plan"), PlanForm, _plan_form_html),
                       window_form=_window_form_html(window_form) if window_form else blank_form_html(
                           ("hr", "new enrollment window"), WindowForm, _window_form_html),
                       kinds=dict(benefits.KINDS)), status



@bp.route("/benefits/plans/<int:benefit_plan_id>", methods=["GET", "POST"])
@requires("hr.benefits.manage")
def benefit_plan(benefit_plan_id: int):
    """A plan's tiers and a form for another."""
    plan = BenefitPlan.get_or_none(BenefitPlan.id == benefit_plan_id)
    if plan is None:
        abort(404)
    form = TierForm() if request.method == "POST" else TierForm(formdata=None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            employee, employer = parse_cents(form.employee_monthly.data), parse_cents(form.employer_monthly.data or "0")
        except ValueError as bad:
            form.employee_monthly.errors = [str(bad)]
        else:
            if BenefitTier.select().where((BenefitTier.plan == plan) & (BenefitTier.name == form.name.data.strip())).exists():
                form.name.errors = ["The plan has a tier of that name."]
            else:
                with transaction():
                    tier = BenefitTier.create(plan=plan, name=form.name.data.strip(), employee_monthly_cents=employee,
                                              employer_monthly_cents=employer)
                    audit.record("hr.benefit_tier.create", "hr_benefit_tier", tier.id, detail={"plan_id": plan.id})
                notify("Tier added.")
                return redirect(url_for("hr.benefit_plan", benefit_plan_id=plan.id))
    return render_page("hr/benefit_plan.html", title=plan.name, breadcrumbs=[("Benefits", url_for("hr.benefits_page"))],
                       plan=plan, tiers=list(plan.tiers.order_by(BenefitTier.employee_monthly_cents)), form=form,
                       kinds=dict(benefits.KINDS)), (422 if request.method == "POST" else 200)


def _enroll_form(form: EnrollForm | None = None) -> EnrollForm:
    form = form or EnrollForm(formdata=None)
    plans = list(BenefitPlan.select().where(BenefitPlan.active == True).order_by(BenefitPlan.name))  # noqa: E712
    form.plan.choices = choices([(str(p.id), p.name) for p in plans])
    form.tier.choices = choices([("", "None (waive or retirement)")] + [
        (str(t.id), f"{t.plan.name}: {t.name}") for t in BenefitTier.select(BenefitTier, BenefitPlan).join(BenefitPlan)
        .where(BenefitPlan.active == True).order_by(BenefitPlan.name, BenefitTier.name)])  # noqa: E712
    return form


def _benefits_content(staff_id: int, may_change: bool, day: dt.date, form=None, error=None) -> tuple[str, str]:
    """A person's benefits page content on ``day`` as everyone who ``may_change`` it (or not) sees it: (their name,
    the summary and the enrollment form with the CSRF token a slot). ``form`` and ``error`` are a refused
    enrollment's, shown again."""
    employment = employment_of(staff_id)
    name = employment.staff.display_name
    html = render_template("hr/_employee_benefits.html", title=f"Benefits of {name}", staff=employment.staff,
                           rows=benefits.summary(employment, day), window=_window_open(day), may_change=may_change,
                           form=_enroll_form(form), error=error, kinds=dict(benefits.KINDS))
    return name, slotted(html)


def _window_open(day: dt.date):
    """The enrollment window open on ``day``, kept until benefits change (shared: read, do not change)."""
    return kept(BENEFITS.key, ("window open", day), lambda: benefits.window_open(day))


def _benefits_page(staff_id: int, status: int = 200, form=None, error=None):
    """A person's benefits: kept for the day until plans, tiers, windows, enrollments, employments or the staff
    change, per who may change them; built afresh to show a refused enrollment."""
    employment = kept(PEOPLE.key, ("employment of", staff_id), lambda: employment_of(staff_id))
    if employment is None:
        abort(404)
    relation = require_relation(staff_id, employment.supervisor_id, allowed=(FULL, "self"))
    day = settings.today()
    manage = can("hr.benefits.manage")
    may_change = (relation == FULL and manage) or (relation == "self" and _window_open(day) is not None)
    if form is not None or error is not None:
        name, html = _benefits_content(staff_id, may_change, day, form, error)
    else:
        name, html = kept_part((BENEFITS.key, PEOPLE.key, STAFF_KEY), ("benefits", staff_id, may_change, manage, day),
                               lambda: _benefits_content(staff_id, may_change, day))
    return render_page("hr/employee_benefits.html", title=f"Benefits of {name}", content=with_csrf_token(html),
                       breadcrumbs=[(name, url_for("hr.employee", staff_id=staff_id))]), status


@bp.route("/employees/<int:staff_id>/benefits")
@requires("hr.self.view")
def employee_benefits(staff_id: int):
    """A person's benefits summary: HR, or the employee their own."""
    return _benefits_page(staff_id)


@bp.route("/employees/<int:staff_id>/benefits", methods=["POST"])
@requires("hr.self.view")
def employee_enroll(staff_id: int):
    """Enroll or change: HR any time, from the date given; the employee during open enrollment,
    effective when the window says."""
    employment = employment_of(staff_id)
    if employment is None:
        abort(404)
    relation = require_relation(staff_id, employment.supervisor_id, allowed=(FULL, "self"))
    window = benefits.window_open(settings.today())
    if not ((relation == FULL and can("hr.benefits.manage")) or (relation == "self" and window is not None)):
        abort(403)
    form = _enroll_form(EnrollForm())
    if form.validate_on_submit():
        plan = BenefitPlan.get_or_none(BenefitPlan.id == int(form.plan.data))
        tier = BenefitTier.get_or_none(BenefitTier.id == int(form.tier.data)) if form.tier.data else None
        starts_on = form.starts_on.data if relation == FULL else window.effective_on
        try:
            if starts_on is None:
                raise HrError("Give the date the change takes effect.")
            percent = percent_bp(form.percent.data) if form.percent.data else 0
            benefits.enroll(employment, plan, tier, percent, starts_on, current_user.username)
        except HrError as refused:
            return _benefits_page(staff_id, 422, form, str(refused))
        except ValueError:
            return _benefits_page(staff_id, 422, form, "Give the percent as a number.")
        notify("Enrollment saved: payroll deducts it from its effective date.")
        return redirect(url_for("hr.employee_benefits", staff_id=staff_id))
    return _benefits_page(staff_id, 422, form, "Choose the plan.")


@bp.route("/me/benefits")
@requires("hr.self.view")
def my_benefits():
    """One's own benefits summary."""
    mine = my_staff_id()
    if mine is None or employment_of(mine) is None:
        return render_page("hr/no_file.html", title="My benefits")
    return redirect(url_for("hr.employee_benefits", staff_id=mine))
