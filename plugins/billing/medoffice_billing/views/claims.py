"""Claims: the worklist and the claim page (scrubber results beside the fields, history, actions)."""
from __future__ import annotations


from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from medoffice import prepared
from medoffice.auth import can, require, requires
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient, User
from medoffice.money import format_cents
from medoffice.patients import load_record_for_display
from medoffice.plain import PlainSelect
from medoffice.web.kept import kept_template
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.prepared import slot
from medoffice.web.tables import TableColumn, paginate, url_template

from .. import claims as claim_service
from .. import adjudication, claim_bulk, denials, posting, scrubber, underpayments
from ..claims import STATE_LABELS, ClaimError
from ..coverage import RELATIONSHIPS
from ..models import CLAIMS, OPEN_STATES, PAYERS, Claim, Payer
from ..reference import FILING_INDICATORS, PLACES_OF_SERVICE, display_icd10, expected_allowed
from ..x12.claim837 import MEDICARE_SECONDARY_TYPES
from ..x12.codes import ADJUSTMENT_REASONS, REMARK_CODES
from . import bp
from .bulk import saved_context, select_box
from .ledger import attach_patients, audit_list, needs_patient_join

FILTERS = {
    "open": ("Open", Claim.status.in_(OPEN_STATES)),
    "problems": ("With scrubber errors", Claim.status.in_(OPEN_STATES) & (Claim.scrub_errors > 0)),
    "ready": ("Ready to submit", (Claim.status == "ready") & (Claim.on_hold == False)),  # noqa: E712
    "held": ("On hold", Claim.on_hold == True),  # noqa: E712
    **{s: (STATE_LABELS[s], Claim.status == s) for s in ("submitted", "accepted", "rejected", "denied",
                                                        "appealed", "partially_paid", "paid", "closed")},
    "all": ("All", None),
}


# what the list shows of a claim (the patient's name comes from attach_patients)
_LIST_COLUMNS = (Claim.id, Claim.claim_number, Claim.patient_id, Claim.service_date, Claim.payer.alias("payer_id"),
                 Claim.status, Claim.on_hold, Claim.scrub_errors, Claim.total_charge_cents)
_PAYER_NAMES = Payer.select(Payer.id, Payer.name).tuples()
_ACTIVE_USERS = (User.select(User.id, User.full_name).where(User.active == True)  # noqa: E712
                 .order_by(User.full_name).tuples())


def _claim(claim_id: int) -> Claim:
    return Claim.get_or_none(Claim.id == claim_id) or abort(404)


@bp.route("/claims")
@requires("billing.view")
def claims():
    """The claims worklist: by state, mine or everyone's, searchable by claim number or patient."""
    if "sort" not in request.args:  # newest service first unless the user chose an order
        return redirect(url_for("billing.claims", **{**request.args.to_dict(), "sort": "service_date", "desc": 1}))
    key = request.args.get("status", "open")
    key = key if key in FILTERS else "open"
    mine = request.args.get("mine") == "1"
    query = PlainSelect(Claim, _LIST_COLUMNS)
    joined = needs_patient_join("patient")
    if joined:
        query = query.join(Patient, on=(Claim.patient_id == Patient.id))
    if request.args.get("sort") == "payer":
        query = query.switch(Claim).join(Payer)
    payers = dict(kept(PAYERS.key, "payer names", lambda: prepared.rows(_PAYER_NAMES, "billing.payer_names")))
    condition = FILTERS[key][1]
    if condition is not None:
        query = query.where(condition)
    if mine:
        query = query.where(Claim.assigned_user_id == slot("user_id"))
    claim_url = url_template("billing.claim", "claim_id")

    def search(text):
        like = f"%{text}%"
        return (Claim.claim_number ** like) | (Patient.last_name ** like) | (Patient.first_name ** like)

    args = {"status": key, **({"mine": 1} if mine else {})}
    may_edit = can("billing.claims.edit")
    table = paginate(
        query, id="claims-table",
        columns=[
            *([TableColumn("select", "Select", value=select_box, export=False)] if may_edit else []),
            TableColumn("claim_number", "Claim", sort=Claim.claim_number,
                        link=lambda c: claim_url(c.id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda c: f"{c.patient.last_name}, {c.patient.first_name}"),
            TableColumn("service_date", "Service date", sort=Claim.service_date),
            TableColumn("payer", "Payer", sort=Payer.name, value=lambda c: payers.get(c.payer_id, "")),
            TableColumn("status", "Status", sort=Claim.status,
                        value=lambda c: STATE_LABELS[c.status] + (" (on hold)" if c.on_hold else "")),
            TableColumn("problems", "Scrubber errors", sort=Claim.scrub_errors, numeric=True,
                        value=lambda c: "" if c.status not in OPEN_STATES else c.scrub_errors),
            TableColumn("total", "Charges", sort=Claim.total_charge_cents, numeric=True,
                        value=lambda c: format_cents(c.total_charge_cents)),
        ],
        search=search, default_sort="service_date", endpoint="billing.claims", endpoint_args=args,
        noun="claim", noun_plural="claims", search_placeholder="Claim number or patient",
        empty_message="No claims here. Claims are created from an encounter's charge entry page.",
        key=("billing.claims", key, mine, joined, request.args.get("sort") == "payer"),
        values={"user_id": current_user.id}, kept_by=(CLAIMS.key, PATIENTS_KEY), kept_with=(may_edit,),
        attach=attach_patients,
    )
    audit_list("billing.claims.list", table.rows, filter=key)
    # the list's view goes back with the bulk form, so the page comes back as it was
    carried = tuple((name, request.args.get(name, "")) for name in ("status", "mine", "sort", "desc", "q", "page"))
    bulk_form_html = kept_template((), (carried,), "billing/_claims_bulk_form.html", lambda: {
        "bulk_actions": claim_bulk.ACTIONS, "carried": carried,
        "users": prepared.rows(_ACTIVE_USERS, "billing.claims.users")}) if may_edit else ""
    # the tabs' URLs as url_for writes them (the keys are plain words), built from one url_for, not one each
    base, mine_arg = url_for("billing.claims"), "&mine=1" if mine else ""
    tabs = [(tab, label, f"{base}?status={tab}{mine_arg}") for tab, (label, _) in FILTERS.items()]
    return render_page("billing/claims.html", title="Claims", table=table, tabs=tabs, current=key,
                       mine=mine, bulk_form_html=bulk_form_html, **saved_context("claims"),
                       breadcrumbs=[("Claims", None)])


FIX_ENDPOINTS = {
    "patient": ("core.patient_edit", "patient_id"),
    "coverage": ("billing.coverage_edit", "coverage_id"),
    "payer": ("billing.payer_edit", "payer_id"),
    "encounter": ("billing.encounter", "encounter_id"),
    "diagnoses": ("billing.encounter", "encounter_id"),
    "lines": ("billing.encounter", "encounter_id"),
    "practice": ("core.settings", None),
    "providers": ("core.staff", None),
}


def _fix_links(facts: scrubber.Facts) -> dict[str, str]:
    """Where each section's data is edited (only pages that exist in this installation)."""
    ids = {"patient_id": facts.claim.patient_id, "coverage_id": facts.coverage.id, "payer_id": facts.payer.id,
           "encounter_id": facts.encounter.id}
    links = {}
    for section, (endpoint, arg) in FIX_ENDPOINTS.items():
        if endpoint in current_app.view_functions:
            links[section] = url_for(endpoint, **({arg: ids[arg]} if arg else {}))
    return links


@bp.route("/claims/<int:claim_id>")
@requires("billing.view")
def claim(claim_id: int):
    """The claim: its data with each scrubber problem beside its field, the history and the actions. Audited."""
    record, _patient = load_record_for_display(Claim, claim_id, "billing.claim.view")
    return claim_page(record)


def claim_page(record: Claim, denial_errors: dict[int, str] | None = None) -> str:
    """The claim page of a claim loaded (and its read audited) by the caller; ``denial_errors`` are
    messages beside its open denials' "mark worked" forms."""
    facts = scrubber.gather(record)
    problems = scrubber.check(facts) if record.status in OPEN_STATES else []
    if problems or record.status in OPEN_STATES:
        record.scrub_errors = scrubber.record(record, problems)
    by_field: dict[str, list] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(problem)
    expected = expected_allowed(record.payer_id, [(l.code, (l.modifiers.split(":") or [""])[0]) for l in facts.lines])
    answers = adjudication.claim_answers(record.id, record.payer_id)
    users = list(User.select().where(User.active == True).order_by(User.full_name))  # noqa: E712
    original = Claim.get_or_none(Claim.id == record.original_claim_id) if record.original_claim_id else None
    follow_ups = list(Claim.select().where(Claim.original_claim == record).order_by(Claim.id))
    submit_ok = can("billing.claims.submit")
    next_states = [s for s in claim_service.allowed_transitions(record)
                   if s != "ready" and (s != "submitted" or submit_ok)]
    return render_page(
        "billing/claim.html", title=f"Claim {record.claim_number}", claim=record, facts=facts, problems=problems,
        by_field=by_field, errors=sum(1 for p in problems if p.severity == "error"), sections=scrubber.SECTIONS,
        fix_links=_fix_links(facts), history=claim_service.history(record), state_labels=STATE_LABELS,
        next_states=next_states, expected=expected, users=users, original=original, follow_ups=follow_ups,
        assigned=next((u for u in users if u.id == record.assigned_user_id), None),
        relationships=RELATIONSHIPS, places=PLACES_OF_SERVICE, filing=FILING_INDICATORS, display_icd10=display_icd10,
        msp_types=MEDICARE_SECONDARY_TYPES,
        open_states=OPEN_STATES, correctable=claim_service.CORRECTABLE,
        open_denials=denials.open_entries(record.id), denial_errors=denial_errors or {},
        answers=answers, shortfalls=underpayments.line_shortfalls(record, answers, facts.lines, expected),
        adjustment_reasons=ADJUSTMENT_REASONS,
        remark_codes=REMARK_CODES,
        reason_text=posting.reason_text, remark_text=posting.remark_text,
        breadcrumbs=[("Claims", url_for("billing.claims")), (record.claim_number, None)],
    )


def _back(record: Claim):
    return redirect(url_for("billing.claim", claim_id=record.id))


def _act(record: Claim, action, success: str):
    """Run a claim action; a refusal becomes an error toast on the claim page."""
    try:
        result = action()
    except ClaimError as exc:
        notify(str(exc), "error")
        return _back(record)
    notify(success.format(claim=result))
    return redirect(url_for("billing.claim", claim_id=result.id))


@bp.route("/claims/<int:claim_id>/ready", methods=["POST"])
@requires("billing.claims.edit")
def claim_ready(claim_id: int):
    """Mark a draft ready to submit (only when the scrubber passes)."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.mark_ready(record), "Claim {claim.claim_number} is ready to submit.")


@bp.route("/claims/<int:claim_id>/hold", methods=["POST"])
@requires("billing.claims.edit")
def claim_hold(claim_id: int):
    """Hold an unsent claim, with a reason."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.hold(record, request.form.get("reason", "")), "The claim is on hold.")


@bp.route("/claims/<int:claim_id>/release", methods=["POST"])
@requires("billing.claims.edit")
def claim_release(claim_id: int):
    """Take a claim off hold."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.release(record), "The claim is off hold.")


@bp.route("/claims/<int:claim_id>/status", methods=["POST"])
@requires("billing.claims.edit")
def claim_status(claim_id: int):
    """Record the claim's next state (submitted needs billing.claims.submit), with the reason."""
    record = _claim(claim_id)
    to_status = request.form.get("to_status", "")
    if to_status == "submitted":
        require("billing.claims.submit")
    number = request.form.get("payer_claim_number")
    return _act(record, lambda: claim_service.transition(record, to_status, request.form.get("reason", ""),
                                                         number if number else None),
                "Claim {claim.claim_number} is now " + STATE_LABELS.get(to_status, to_status).lower() + ".")


@bp.route("/claims/<int:claim_id>/correct", methods=["POST"])
@requires("billing.claims.edit")
def claim_correct(claim_id: int):
    """Start a replacement claim (frequency 7)."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.correct(record, request.form.get("reason", "")),
                "Replacement claim {claim.claim_number} created: change the charges, then mark it ready.")


@bp.route("/claims/<int:claim_id>/void", methods=["POST"])
@requires("billing.claims.edit")
def claim_void(claim_id: int):
    """Void a claim: close an unsent one, or create a void claim (frequency 8) for one the payer has."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.void(record, request.form.get("reason", "")),
                "Claim {claim.claim_number}: " + ("closed." if record.status in OPEN_STATES + ("rejected",)
                                                  else "void claim created; submit it to the payer."))


@bp.route("/claims/<int:claim_id>/assign", methods=["POST"])
@requires("billing.claims.edit")
def claim_assign(claim_id: int):
    """Assign the claim to a user's worklist (or nobody)."""
    record = _claim(claim_id)
    user = request.form.get("user_id", "").strip()
    user_id = parse_id(user) if user not in ("", "0") else None
    if user not in ("", "0") and user_id is None:
        notify("Choose an active user to assign the claim to.", "error")
        return _back(record)
    return _act(record, lambda: claim_service.assign(record, user_id), "Saved the assignment.")


@bp.route("/claims/<int:claim_id>/payer-number", methods=["POST"])
@requires("billing.claims.edit")
def claim_payer_number(claim_id: int):
    """Record the payer's claim number."""
    record = _claim(claim_id)
    return _act(record, lambda: claim_service.set_payer_claim_number(record, request.form.get("payer_claim_number", "")),
                "Saved the payer's claim number.")


@bp.route("/claims/scrub", methods=["POST"])
@requires("billing.claims.edit")
def claims_scrub():
    """Scrub every open claim again (dates move filing deadlines; reference data changes)."""
    message = claim_service.rescrub_open_claims()
    notify(message)
    return redirect(url_for("billing.claims", status="problems"))
