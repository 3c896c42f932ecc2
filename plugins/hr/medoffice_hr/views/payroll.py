"""Payroll pages: runs (a draft's blocking problems, bonuses, posting, correcting runs), the
register, the CSV export for an outside provider, the direct-deposit (NACHA) file, pay stub PDFs
(HR, and each employee their own), one's own pay stubs, a person's W-4 and deductions, and the
Form 941 and W-2 figures."""
from __future__ import annotations

import io
import math
from types import SimpleNamespace
from decimal import Decimal

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import audit, dates, prepared, settings
from medoffice.auth import can, requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.csvexport import Cents, CsvWriter
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.db import transaction, utcnow
from medoffice.models import StaffMember, User
from medoffice.money import parse_cents
from medoffice.prepared import slot
from medoffice.web.field_html import render_form
from medoffice.web.forms import blank_form_html, choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import page_number
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import url_template
from peewee import fn

from .. import nacha, paycheck, payroll, payroll_reports, rules, sealing
from ..access import FULL, my_staff_id, require_relation
from ..employees import HrError, employment_of, reveal_value
from ..models import PEOPLE, Employment
from ..payroll_models import PAY_FIGURES, PAY_RUNS, WITHHOLDING, Deduction, PayRun, PayStub
from ..pdf import html_to_pdf
from . import bp
from .payroll_forms import BonusForm, DeductionForm, RunActionForm, RunForm, W4Form, percent_bp

ACH_SETTINGS = ("hr.ach_immediate_destination", "hr.ach_destination_name", "hr.ach_immediate_origin",
                "hr.ach_company_id", "hr.ach_originating_dfi")


@bp.route("/payroll", methods=["GET", "POST"])
@requires("hr.payroll.view")
def payroll_runs():
    """The pay runs, newest first, and a form for the next one."""
    form = RunForm() if request.method == "POST" else None
    status = 200
    if form is not None:
        if not can("hr.payroll.run"):
            abort(403)
        status = 422
        if form.validate_on_submit():
            try:
                run = payroll.create_run(form.period_day.data, form.pay_date.data, current_user.username)
            except (HrError, ValueError) as refused:
                form.period_day.errors = [str(refused)]
            else:
                return redirect(url_for("hr.payroll_run", pay_run_id=run.id))
    run_form = None
    if can("hr.payroll.run"):
        run_form = (blank_form_html(("hr", "new pay run"), RunForm, _run_form_html) if form is None
                    else _run_form_html(form))
    runs = kept((PAY_RUNS.key, ACCESS_KEY), "pay runs", lambda: _run_rows(prepared.run(_RUNS, "hr.pay_runs")))
    return render_page("hr/payroll.html", title="Payroll", runs=runs,
                       run_form=run_form, today=settings.today()), status


def _run_form_html(form) -> Markup:
    return render_form(form, submit="Start run")


# The hundred latest runs, newest first (built once).
_RUNS = (PayRun.select(PayRun.id, PayRun.period_start, PayRun.period_end, PayRun.pay_date, PayRun.kind,
                       PayRun.corrects, PayRun.status)
         .order_by(PayRun.pay_date.desc(), PayRun.id.desc()).limit(100).tuples())


def _run_rows(runs) -> Markup:
    """The runs list's ``<tr>`` rows, built in one pass (a template loop with filters and a macro per
    row costs several times more); kept by the page until a run or a setting (the date format) changes."""
    link, day = url_template("hr.payroll_run", "pay_run_id"), dates.pattern()
    html = []
    for run_id, start, end, paid, kind, corrects, status in runs:
        what = f"Correction of run {corrects}" if kind == "correcting" else "Regular"
        html.append(f'<tr><td><a href="{link(run_id)}">Pay run {run_id}</a></td>'
                    f'<td>{start.strftime(day)} to {end.strftime(day)}</td><td>{paid.strftime(day)}</td><td>{what}</td>'
                    f'<td><span class="chip chip-{escape(status)}">{escape(status.capitalize())}</span></td></tr>')
    return Markup("".join(html))


_PAY_RUN = PayRun.select().where(PayRun.id == slot("id"))


def _run_or_404(run_id: int) -> PayRun:
    run = next(iter(prepared.run(_PAY_RUN, "hr.pay_run", id=run_id)), None)
    if run is None:
        abort(404)
    return run


def _run_content(run: PayRun, problems=None, bonus_form=None, error=None) -> str:
    """A run's page content, the CSRF token a slot: a draft's blocking ``problems`` (computed when not given, which
    recomputes the draft) and bonus form, a posted run's links, and a page of its register."""
    if run.status == "draft" and problems is None:
        problems = payroll.compute(run)
    if run.status != "draft":
        bonus_form = None  # the form is shown on a draft only: not built for a posted run's register
    elif can("hr.payroll.run"):
        bonus_form = bonus_form or BonusForm(formdata=None)
        people = (Employment.select(Employment.id, StaffMember.last_name, StaffMember.first_name,
                                    StaffMember.credentials)
                  .join(StaffMember, on=(Employment.staff == StaffMember.id))
                  .where(Employment.status != "ended").order_by(StaffMember.last_name).tuples())
        bonus_form.employment.choices = choices([(str(i), rules.display_name(*names)) for i, *names in people])
    return slotted(render_template("hr/_payroll_run.html", title=f"Pay run {run.id}", run=run, register=_register(run),
                                   problems=problems or [], bonus_form=bonus_form, posted_by=_posted_by(run),
                                   action_form=RunActionForm(formdata=None), error=error))


def _run_page(run: PayRun, status: int = 200, problems=None, bonus_form=None, error=None):
    """A run's page built afresh: a draft (recomputed on every view) or a refused action's answer."""
    return _run_html_page(run.id, _run_content(run, problems, bonus_form, error), status)


def _run_html_page(run_id: int, html: str, status: int = 200):
    return render_page("hr/payroll_run.html", title=f"Pay run {run_id}", content=with_csrf_token(html),
                       breadcrumbs=[("Payroll", url_for("hr.payroll_runs"))]), status


_RUN_STATUS = PayRun.select(PayRun.status).where(PayRun.id == slot("id"))


def _posted_run_html(run_id: int) -> str:
    """A posted run's content (a page of its register) as everyone with the same payroll permission sees it: kept
    until a run, a stub, an employment, the staff or the users (who posted) change. A posted run never changes but
    a SQL console may."""
    def build() -> str | None:
        run = next(iter(prepared.run(_PAY_RUN, "hr.pay_run", id=run_id)), None)
        return _run_content(run) if run is not None and run.status == "posted" else None

    return kept_part((PAY_FIGURES.key, PEOPLE.key, STAFF_KEY),
                     ("posted run", run_id, page_number(), REGISTER_PER_PAGE, can("hr.payroll.run")), build)


_REGISTER_AMOUNTS = [PayStub.gross_cents, PayStub.pretax_401k_cents + PayStub.pretax_125_cents,
                     PayStub.federal_income_tax_cents, PayStub.social_security_cents,
                     PayStub.medicare_cents + PayStub.additional_medicare_cents, PayStub.state_income_tax_cents,
                     PayStub.posttax_cents, PayStub.net_cents,
                     PayStub.employer_social_security_cents + PayStub.employer_medicare_cents
                     + PayStub.employer_futa_cents + PayStub.employer_suta_cents]
_REGISTER = (PayStub.select(PayStub.id, StaffMember.last_name, StaffMember.first_name, StaffMember.credentials,
                            PayStub.regular_minutes + PayStub.overtime_minutes, *_REGISTER_AMOUNTS)
             .join(Employment).join(StaffMember, on=(Employment.staff == StaffMember.id))
             .where(PayStub.run == slot("run")).order_by(StaffMember.last_name, StaffMember.first_name, PayStub.id)
             .limit(slot("limit")).offset(slot("offset")))
_REGISTER_TOTALS = PayStub.select(fn.COUNT(PayStub.id), *[fn.COALESCE(fn.SUM(amount), 0) for amount in _REGISTER_AMOUNTS]
                                  ).where(PayStub.run == slot("run"))
REGISTER_PER_PAGE = 25


def _register(run: PayRun) -> SimpleNamespace:
    """One page of the register (``REGISTER_PER_PAGE`` stubs by name, the request's ``page``) as ``<tr>``
    rows, the whole run's totals' cells (summed in SQL), the page and how many pages. The rows are built
    here in one pass, as a template loop with a filter per cell costs several times more; a page, not the
    whole run, is formatted (every stub is in the run's CSV)."""
    stub = url_template("hr.pay_stub_pdf", "stub_id") if run.status == "posted" else None
    count, *totals = prepared.run(_REGISTER_TOTALS, "hr.register_totals", run=run.id).cursor.fetchone()
    pages = max(1, math.ceil(count / REGISTER_PER_PAGE))
    page = min(page_number(), pages)
    found = prepared.run(_REGISTER, "hr.register", run=run.id, limit=REGISTER_PER_PAGE,
                         offset=(page - 1) * REGISTER_PER_PAGE).cursor.fetchall()  # raw rows: numbers and text
    rows = []
    for stub_id, last, first, credentials, minutes, *amounts in found:
        link = f'<a href="{stub(stub_id)}" hx-boost="false">Stub</a>' if stub else ""
        rows.append(f'<tr><td>{escape(rules.display_name(last, first, credentials))}</td>'
                    f'<td class="numeric">{minutes / 60:.2f}</td>{_money_cells(amounts)}<td>{link}</td></tr>')
    return SimpleNamespace(rows=Markup("".join(rows)), totals=Markup(_money_cells(int(t) for t in totals)),
                           count=count, page=page, pages=pages)


def _money_cells(amounts) -> str:
    """Numeric cells of cent amounts, each as ``format_cents`` writes it ("-$1,234.50"), formatted inline:
    a register of a hundred people has a thousand of them and the call per amount was a third of the page."""
    cells = []
    for cents in amounts:
        if 0 <= cents < 100000:  # most of a stub's amounts: no sign, no thousands to group
            cells.append(f'<td class="numeric">${cents // 100}.{cents % 100:02d}</td>')
        else:
            sign, cents = ("-", -cents) if cents < 0 else ("", cents)
            cells.append(f'<td class="numeric">{sign}${cents // 100:,}.{cents % 100:02d}</td>')
    return "".join(cells)


_USER_NAME = User.select(User.full_name).where(User.username == slot("username"))


def _posted_by(run: PayRun) -> str:
    """Who posted the run, by name as ``person_name`` shows it, in one compiled query (not every user's name)."""
    if not run.posted_by:
        return ""
    return prepared.scalar(_USER_NAME, "hr.user_full_name", username=run.posted_by) or run.posted_by


@bp.route("/payroll/<int:pay_run_id>")
@requires("hr.payroll.view")
def payroll_run(pay_run_id: int):
    """A run: its blocking problems while a draft (recomputed on every view), and its register (a page of stubs and
    the run's totals), kept while the run is posted."""
    status = kept(PAY_RUNS.key, ("run status", pay_run_id),
                  lambda: prepared.scalar(_RUN_STATUS, "hr.pay_run_status", id=pay_run_id))
    html = _posted_run_html(pay_run_id) if status == "posted" else None
    if html is None:
        return _run_page(_run_or_404(pay_run_id))
    return _run_html_page(pay_run_id, html)


@bp.route("/payroll/<int:pay_run_id>/bonus", methods=["POST"])
@requires("hr.payroll.run")
def payroll_bonus(pay_run_id: int):
    """Add a bonus to a draft run."""
    run = _run_or_404(pay_run_id)
    form = BonusForm()
    form.employment.choices = choices([(str(e.id), "") for e in Employment.select(Employment.id)])
    if form.validate_on_submit():
        try:
            payroll.add_bonus(run, Employment.get_by_id(int(form.employment.data)), parse_cents(form.amount.data),
                              (form.note.data or "").strip())
        except HrError as refused:
            return _run_page(run, 422, error=str(refused))
        except ValueError as bad:
            form.amount.errors = [str(bad)]
        else:
            notify("Bonus added.")
            return redirect(url_for("hr.payroll_run", pay_run_id=run.id))
    return _run_page(run, 422, bonus_form=form)


@bp.route("/payroll/<int:pay_run_id>/post", methods=["POST"])
@requires("hr.payroll.run")
def payroll_post(pay_run_id: int):
    """Post the run (refused while anything blocks it)."""
    run = _run_or_404(pay_run_id)
    if not RunActionForm().validate_on_submit():
        abort(400)
    try:
        payroll.post(run, current_user.username)
    except HrError as refused:
        return _run_page(run, 422, error=str(refused))
    notify("Pay run posted: stubs are in each employee's self-service and the journal is published.")
    return redirect(url_for("hr.payroll_run", pay_run_id=run.id))


@bp.route("/payroll/<int:pay_run_id>/delete", methods=["POST"])
@requires("hr.payroll.run")
def payroll_delete(pay_run_id: int):
    """Throw away a draft run."""
    run = _run_or_404(pay_run_id)
    if not RunActionForm().validate_on_submit():
        abort(400)
    try:
        payroll.delete_draft(run)
    except HrError as refused:
        return _run_page(run, 422, error=str(refused))
    notify("Draft run deleted.")
    return redirect(url_for("hr.payroll_runs"))


@bp.route("/payroll/<int:pay_run_id>/correct", methods=["POST"])
@requires("hr.payroll.run")
def payroll_correct(pay_run_id: int):
    """Start a correcting run for a posted run's period."""
    run = _run_or_404(pay_run_id)
    if not RunActionForm().validate_on_submit():
        abort(400)
    try:
        correcting = payroll.create_run(run.period_start, max(settings.today(), run.pay_date), current_user.username,
                                        corrects=run)
    except HrError as refused:
        return _run_page(run, 422, error=str(refused))
    notify("Correcting run started: add the pay that was missed, then post it.")
    return redirect(url_for("hr.payroll_run", pay_run_id=correcting.id))


def _posted_or_404(run_id: int) -> PayRun:
    run = _run_or_404(run_id)
    if run.status != "posted":
        abort(404)
    return run


@bp.route("/payroll/<int:pay_run_id>/export.csv")
@requires("hr.payroll.view")
def payroll_csv(pay_run_id: int):
    """The run for a payroll provider: hours, rates and earnings per employee, as CSV."""
    run = _posted_or_404(pay_run_id)
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["employee_id", "last_name", "first_name", "period_start", "period_end", "pay_date", "basis",
                     "rate", "regular_hours", "overtime_hours", "leave_hours", "regular_pay", "overtime_pay",
                     "leave_pay", "bonus", "gross", "pretax_401k", "pretax_section_125", "post_tax_deductions"])

    def hours(minutes: int) -> Decimal:
        return (Decimal(minutes) / 60).quantize(Decimal("0.01"))

    for stub in PayStub.select(PayStub, Employment, StaffMember).join(Employment).join(
            StaffMember, on=(Employment.staff == StaffMember.id)).where(PayStub.run == run).order_by(StaffMember.last_name):
        writer.writerow([stub.employment.staff_id, stub.employment.staff.last_name, stub.employment.staff.first_name,
                         run.period_start, run.period_end, run.pay_date, stub.basis, Cents(stub.rate_cents),
                         hours(stub.regular_minutes), hours(stub.overtime_minutes), hours(stub.leave_minutes),
                         *(Cents(c) for c in (stub.regular_cents, stub.overtime_cents, stub.leave_cents,
                                              stub.bonus_cents, stub.gross_cents, stub.pretax_401k_cents,
                                              stub.pretax_125_cents, stub.posttax_cents))])
    with transaction():
        audit.record("hr.pay_run.export", "hr_pay_run", run.id, detail={"format": "csv"})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="pay-run-{run.id}.csv"'
    return response


@bp.route("/payroll/<int:pay_run_id>/direct-deposit.ach")
@requires("hr.payroll.run")
def payroll_ach(pay_run_id: int):
    """The NACHA direct-deposit file of a posted run (it opens the sealed bank numbers: audited)."""
    run = _posted_or_404(pay_run_id)
    values = {name: (settings.get(name) or "").strip() for name in ACH_SETTINGS}
    if not all(values.values()):
        return _run_page(run, 422, error="Fill in the direct-deposit settings (Settings → HR: direct deposit) first.")
    originator = nacha.Originator(values["hr.ach_immediate_destination"], values["hr.ach_destination_name"],
                                  values["hr.ach_immediate_origin"], settings.get("core.practice_name") or "Practice",
                                  values["hr.ach_company_id"], values["hr.ach_originating_dfi"])
    credits, missing = [], []
    stubs = list(PayStub.select(PayStub, Employment, StaffMember).join(Employment)
                 .join(StaffMember, on=(Employment.staff == StaffMember.id)).where(PayStub.run == run))
    try:
        for stub in stubs:
            routing = reveal_value(stub.employment, "bank_routing")
            account = reveal_value(stub.employment, "bank_account")
            if not (routing and account):
                missing.append(stub.employment.staff.display_name)
                continue
            if stub.net_cents > 0:
                credits.append(nacha.Credit(routing, account, stub.net_cents, str(stub.employment.staff_id),
                                            f"{stub.employment.staff.first_name} {stub.employment.staff.last_name}"))
        text = nacha.build(originator, credits, run.pay_date, utcnow())
    except (nacha.NachaError, sealing.SealError) as refused:
        return _run_page(run, 422, error=str(refused))
    with transaction():
        audit.record("hr.pay_run.ach", "hr_pay_run", run.id,
                     detail={"credits": len(credits), "paper_checks": len(missing)})
    response = Response(text, mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="pay-run-{run.id}.ach"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stub_or_404(stub_id: int) -> PayStub:
    stub = PayStub.get_or_none(PayStub.id == stub_id)
    if stub is None or stub.run.status != "posted":
        abort(404)
    if not can("hr.payroll.view"):
        require_relation(stub.employment.staff_id, None, allowed=(FULL, "self"))
    return stub


@bp.route("/pay-stubs/<int:stub_id>.pdf")
@requires("hr.self.view")
def pay_stub_pdf(stub_id: int):
    """A pay stub (current and year to date) as a PDF: payroll staff, or the employee their own."""
    stub = _stub_or_404(stub_id)
    html = render_template("hr/pay_stub_pdf.html", stub=stub, run=stub.run, staff=stub.employment.staff,
                           ytd=payroll_reports.year_to_date(stub), practice=settings.get("core.practice_name"))
    with transaction():
        audit.record("hr.pay_stub.open", "hr_pay_stub", stub.id, detail={"staff_id": stub.employment.staff_id})
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="pay-stub-{stub.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/me/pay")
@requires("hr.self.view")
def my_pay():
    """One's own pay stubs of posted runs."""
    mine = my_staff_id()
    employment = employment_of(mine) if mine else None
    if employment is None:
        return render_page("hr/no_file.html", title="My pay")
    stubs = list(PayStub.select(PayStub, PayRun).join(PayRun).where((PayStub.employment == employment)
                                                                    & (PayRun.status == "posted"))
                 .order_by(PayRun.pay_date.desc()).limit(60))
    return render_page("hr/my_pay.html", title="My pay", stubs=stubs)


def _w4_form(current: paycheck.W4 | None) -> W4Form:
    """The W-4 form holding the W-4 on file (blank when there is none)."""
    form = W4Form(formdata=None)
    if current:
        form.filing_status.data, form.step2.data = current.filing_status, current.step2
        for name in ("step3", "step4a", "step4b", "step4c"):
            cents = getattr(current, f"{name}_cents")
            getattr(form, name).data = f"{cents // 100}.{cents % 100:02d}"
        form.state_allowances.data = current.state_allowances
    return form


def _employee_payroll_content(staff_id: int, form: W4Form | None) -> tuple[str, str] | None:
    """A person's payroll page content: (their name, their W-4 form and deductions with the CSRF token a slot); None
    when HR has no file for them. ``form`` is a refused W-4, shown again (the one on file when None)."""
    employment = employment_of(staff_id)
    if employment is None:
        return None
    current = payroll.w4_of(employment)
    deductions = list(Deduction.select().where(Deduction.employment == employment).order_by(Deduction.starts_on.desc()))
    name = employment.staff.display_name
    html = render_template("hr/_employee_payroll.html", title=f"Payroll of {name}", staff=employment.staff,
                           form=form or _w4_form(current), deduction_form=DeductionForm(formdata=None),
                           deductions=deductions, has_w4=current is not None, kinds=dict(payroll.DEDUCTION_KINDS))
    return name, slotted(html)


def _employee_payroll_page(staff_id: int, content: tuple[str, str] | None, status: int):
    if content is None:
        abort(404)
    name, html = content
    return render_page("hr/employee_payroll.html", title=f"Payroll of {name}", content=with_csrf_token(html),
                       breadcrumbs=[(name, url_for("hr.employee", staff_id=staff_id))]), status


@bp.route("/employees/<int:staff_id>/payroll", methods=["GET", "POST"])
@requires("hr.payroll.view")
def employee_payroll(staff_id: int):
    """A person's W-4 and standing deductions (changes need hr.payroll.run): kept until W-4s, deductions, employments
    or the staff change, for who may change them."""
    if request.method == "GET":
        content = kept_part((WITHHOLDING.key, PEOPLE.key, STAFF_KEY),
                            ("employee payroll", staff_id, can("hr.payroll.run")),
                            lambda: _employee_payroll_content(staff_id, None))
        return _employee_payroll_page(staff_id, content, 200)
    employment = employment_of(staff_id)
    if employment is None:
        abort(404)
    if not can("hr.payroll.run"):
        abort(403)
    form = W4Form()
    if form.validate_on_submit():
        try:
            amounts = {name: parse_cents(getattr(form, name).data or "0") for name in ("step3", "step4a", "step4b",
                                                                                        "step4c")}
            payroll.save_w4(employment, paycheck.W4(form.filing_status.data, bool(form.step2.data),
                                                    amounts["step3"], amounts["step4a"], amounts["step4b"],
                                                    amounts["step4c"], form.state_allowances.data or 0))
        except HrError as refused:
            getattr(form, refused.field, form.filing_status).errors = [str(refused)]
        except ValueError as bad:
            form.step3.errors = [f"Amounts are in dollars and cents, not below zero: {bad}"]
        else:
            notify("W-4 saved.")
            return redirect(url_for("hr.employee_payroll", staff_id=staff_id))
    return _employee_payroll_page(staff_id, _employee_payroll_content(staff_id, form), 422)


@bp.route("/employees/<int:staff_id>/deductions", methods=["POST"])
@requires("hr.payroll.run")
def deduction_add(staff_id: int):
    """Add a standing deduction."""
    employment = employment_of(staff_id)
    if employment is None:
        abort(404)
    form = DeductionForm()
    if form.validate_on_submit():
        try:
            amount = parse_cents(form.amount.data) if form.amount.data else 0
            percent = percent_bp(form.percent.data) if form.percent.data else 0
            payroll.add_deduction(employment, form.kind.data, (form.description.data or "").strip(), amount, percent,
                                  form.starts_on.data, form.ends_on.data)
        except HrError as refused:
            notify(str(refused), "error")
        except ValueError:
            notify("Give the amount in dollars and cents, or the percent as a number.", "error")
        else:
            notify("Deduction added.")
            return redirect(url_for("hr.employee_payroll", staff_id=staff_id))
    return render_page("hr/form_error.html", title="Deduction refused",
                       message="Check the kind, the amount or percent and the dates.",
                       back=url_for("hr.employee_payroll", staff_id=staff_id)), 422


@bp.route("/payroll/reports/941")
@requires("hr.payroll.view")
def report_941():
    """Form 941 figures for a quarter."""
    today = settings.today()
    try:
        year = int(request.args.get("year", today.year))
        quarter = int(request.args.get("quarter", (today.month - 1) // 3 + 1))
    except ValueError:
        abort(400)
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        abort(400)
    try:
        figures = kept(PAY_FIGURES.key, ("941", year, quarter), lambda: payroll_reports.form_941(year, quarter))
    except ValueError as missing:
        return render_page("hr/form_error.html", title="Form 941", message=str(missing),
                           back=url_for("hr.payroll_runs")), 404
    return render_page("hr/report_941.html", title=f"Form 941: {year} Q{quarter}",
                       breadcrumbs=[("Payroll", url_for("hr.payroll_runs"))], f=figures, year=year, quarter=quarter)


@bp.route("/payroll/reports/w2")
@requires("hr.payroll.view")
def report_w2():
    """W-2 box totals per employee for a year."""
    try:
        year = int(request.args.get("year", settings.today().year))
    except ValueError:
        abort(400)
    if not 2000 <= year <= 2100:
        abort(400)
    try:
        rows = kept((PAY_FIGURES.key, PEOPLE.key, STAFF_KEY), ("w2", year),
                    lambda: _w2_rows(payroll_reports.w2_boxes(year)))
    except ValueError as missing:
        return render_page("hr/form_error.html", title="W-2", message=str(missing),
                           back=url_for("hr.payroll_runs")), 404
    return render_page("hr/report_w2.html", title=f"W-2 totals: {year}",
                       breadcrumbs=[("Payroll", url_for("hr.payroll_runs"))], rows=rows, year=year)


W2_BOXES = ("box1", "box2", "box3", "box4", "box5", "box6", "box12d", "box16", "box17")


def _w2_rows(boxes: list[dict]) -> Markup:
    """The W-2 table's ``<tr>`` rows (a name and nine amounts each), built in one pass: a template loop with a
    filter per amount cost most of the page; kept with the figures until a run, a stub or a name changes."""
    return Markup("".join(f"<tr><td>{escape(row['name'])}</td>{_money_cells(row[box] for box in W2_BOXES)}</tr>"
                          for row in boxes))

