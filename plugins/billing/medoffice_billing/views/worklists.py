"""Worklists: claims the payers have not answered after N days (by payer, assignable to a user), rejected
claims, denied claims and the 835 payments that matched no claim."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import prepared, settings
from medoffice.auth import can, requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient, User
from medoffice.money import format_cents
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.web.kept import kept_template
from medoffice.web.query import parse_id, record_id, whole_number
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import fn

from .. import claims as claim_service
from .. import denials, ledger
from ..claims import STATE_LABELS, ClaimError
from ..jobs import follow_up_days, unanswered_condition
from ..models import (CLAIMS, DENIALS, PAYERS, QUEUES, REMITTANCES, Claim, DenialLine, Payer, RemitClaim,
                      Remittance)
from . import bp
from .bulk import saved_context
from .ledger import attach_patients, audit_list, needs_patient_join

TABS = {"unpaid": "Not answered", "rejected": "Rejected", "denied": "Denied", "exceptions": "835 exceptions"}
MAX_DAYS = 3650


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    return whole_number(name, default, minimum=low, maximum=high)


def _checkbox(claim) -> Markup:
    return Markup(f'<input type="checkbox" name="claim_id" value="{int(claim.id)}" form="assign-form" '
                  f'aria-label="Select claim {escape(claim.claim_number)}">')


# The page runs these on every view: compiled once. Rows come as tuples or plain rows, not peewee's namedtuples
# (peewee makes a namedtuple class for each query it runs: ~60 µs).
_PAYERS = Payer.select(Payer.id, Payer.name).order_by(Payer.name).tuples()
_STAFF = PlainSelect(User, [User.id, User.full_name, User.active]).order_by(User.full_name)
_SHOWN_CLAIM_COLUMNS = (Claim.id, Claim.claim_number, Claim.patient_id, Claim.payer.alias("payer_id"),
                        Claim.service_date, Claim.submitted_at, Claim.status, Claim.total_charge_cents,
                        Claim.assigned_user_id)
_SHOWN_EXCEPTION_COLUMNS = (RemitClaim.id, RemitClaim.patient_control_number, RemitClaim.patient_name,
                            RemitClaim.charge_cents, RemitClaim.problem, Payer.name.alias("payer_name"))


def _payers() -> list[tuple[int, str]]:
    """(id, name) of every payer, by name."""
    return kept(PAYERS.key, "payers by name", lambda: prepared.rows(_PAYERS, "billing.worklist.payers"))


def _claims_table(condition, shape: tuple, values: dict, args: dict, user_names: dict[int, str],
                  payer_names: dict[int, str], count_query=None, kept=None):
    """The page of claims matching ``condition`` (built with slots filled from ``values``; ``shape`` names
    what else changes its SQL); ``count_query``: the same claims to count, when cheaper (see ``paginate``).
    ``kept``: read the claims through these kept rows (one per claim, with the claim's date of service: the
    denial worklist's), so a page by date walks their index and looks up only the claims it shows."""
    if kept is None:
        query = PlainSelect(Claim, _SHOWN_CLAIM_COLUMNS).where(condition)
        by_date = Claim.service_date
    else:
        query = PlainSelect(kept, _SHOWN_CLAIM_COLUMNS).join(Claim, on=(Claim.id == kept.claim)).where(condition)
        by_date = kept.service_date
    patient_joined = needs_patient_join("patient")
    if patient_joined:
        query = query.join(Patient, on=(Claim.patient_id == Patient.id))
    payer_joined = request.args.get("sort") == "payer"
    if payer_joined:
        query = query.switch(Claim).join(Payer)
    today = settings.today()
    zone = settings.practice_timezone()
    claim_url = url_template("billing.claim", "claim_id")

    def age(claim):
        if claim.submitted_at is None:
            return ""
        sent = claim.submitted_at
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=dt.timezone.utc)  # stored timestamps are UTC (as to_local reads them)
        return (today - sent.astimezone(zone).date()).days

    def search(text):
        like = f"%{text}%"
        return (Claim.claim_number ** like) | (Patient.last_name ** like)

    table = paginate(
        query, id="worklist-table",
        columns=[
            TableColumn("select", "Select", value=_checkbox, export=False),
            TableColumn("claim_number", "Claim", sort=Claim.claim_number, link=lambda c: claim_url(c.id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda c: f"{c.patient.last_name}, {c.patient.first_name}"),
            TableColumn("payer", "Payer", sort=Payer.name, value=lambda c: payer_names.get(c.payer_id, "")),
            TableColumn("service_date", "Service date", sort=by_date, kind="date"),
            TableColumn("age", "Days since sent", sort=Claim.submitted_at, numeric=True, value=age),
            TableColumn("status", "Status", sort=Claim.status, value=lambda c: STATE_LABELS[c.status]),
            TableColumn("total", "Charges", sort=Claim.total_charge_cents, numeric=True,
                        value=lambda c: format_cents(c.total_charge_cents)),
            TableColumn("owed", "Payer still owes", numeric=True, value=lambda c: format_cents(c.owed_cents)),
            TableColumn("assignee", "Assigned to", value=lambda c: user_names.get(c.assigned_user_id, "")),
        ],
        search=search, default_sort="service_date", endpoint="billing.worklists", endpoint_args=args, noun="claim",
        noun_plural="claims", search_placeholder="Claim number or patient", empty_message="Nothing to work here.",
        key=("billing.worklist", *shape, patient_joined, payer_joined), values=values, count_query=count_query,
        # the ages count from today; what payers still owe is read from the ledger (billing.denials covers it)
        kept_by=(CLAIMS.key, DENIALS.key, PATIENTS_KEY), kept_with=(today,), attach=_attach_patients_and_owed)
    return table


def _attach_patients_and_owed(claims: list) -> None:
    attach_patients(claims)
    owed = ledger.claims_owed([claim.id for claim in claims], "insurance")
    for claim in claims:
        claim.owed_cents = owed.get(claim.id, 0)


def _exceptions_table(args: dict):
    query = (PlainSelect(RemitClaim, _SHOWN_EXCEPTION_COLUMNS)
             .join(Remittance).join(Payer)
             .where((RemitClaim.queue == "exception") & (RemitClaim.resolved == False)))  # noqa: E712
    exceptions_url = url_for("billing.exceptions")  # each row links to the page where it is matched

    def search(text):
        like = f"%{text}%"
        return (RemitClaim.patient_name ** like) | (RemitClaim.patient_control_number ** like)

    return paginate(
        query, id="worklist-table",
        columns=[
            TableColumn("number", "Claim number (835)", sort=RemitClaim.patient_control_number,
                        value=lambda r: r.patient_control_number, link=lambda r: exceptions_url),
            TableColumn("patient", "Patient as the payer wrote it", sort=RemitClaim.patient_name,
                        value=lambda r: r.patient_name),
            TableColumn("payer", "Payer", sort=Payer.name, value=lambda r: r.payer_name),
            TableColumn("charge", "Charge", sort=RemitClaim.charge_cents, numeric=True,
                        value=lambda r: format_cents(r.charge_cents)),
            TableColumn("problem", "Why it matched nothing", value=lambda r: r.problem),
        ],
        search=search, default_sort="number", endpoint="billing.worklists", endpoint_args=args,
        noun="claim payment", noun_plural="claim payments", search_placeholder="Claim number or patient",
        empty_message="Every 835 claim payment found its claim.", key=("billing.worklist", "exceptions"),
        kept_by=(QUEUES.key, REMITTANCES.key))


def _tab_filter(key: str, days: int) -> tuple:
    """Which claims a worklist tab holds (not the exceptions tab: those are 835 claim payments), as
    (condition with slots, their values, the shape naming the condition for a prepared key).

    The unanswered claims' cutoff is a fixed value, so their shape names its day and ``days``.
    """
    if key == "unpaid":
        today = settings.today()
        return unanswered_condition(today, days), {}, (key, today, days)
    if key == "denied":  # the Denials page's claims, whatever their state
        return denials.kept_claims(), {}, (key,)
    return Claim.status == slot("status"), {"status": key}, (key,)  # "rejected"


def _totals_by_payer(key: str, days: int) -> list[dict]:
    """Claims and charges per payer (id, name, claims, cents), by payer name: grouped on the claims'
    index alone, the names put on after (joining the payers first made SQLite sort every claim)."""
    condition, values, shape = _tab_filter(key, days)
    names = dict(_payers())
    query = (Claim.select(Claim.payer, fn.COUNT(Claim.id), fn.SUM(Claim.total_charge_cents))
             .where(condition).group_by(Claim.payer).tuples())
    rows = prepared.run(query, ("billing.worklist.totals", *shape), **values)
    return sorted(({"id": payer, "name": names.get(payer, ""), "claims": count, "cents": cents}
                   for payer, count, cents in rows), key=lambda row: row["name"])


@bp.route("/worklists")
@requires("billing.view")
def worklists():
    """The billing worklists, filterable by payer and by who the claim is assigned to."""
    key = request.args.get("tab", "unpaid")
    key = key if key in TABS else "unpaid"
    days = _int_arg("days", follow_up_days(), 1, MAX_DAYS)
    payer_id = record_id("payer")
    who = request.args.get("who", "all")
    who = who if who in ("all", "mine", "unassigned") else "all"
    args = {"tab": key, "days": days if key == "unpaid" else None, "payer": payer_id,
            "who": who if who != "all" else None}
    args = {k: v for k, v in args.items() if v is not None}
    staff = kept(ACCESS_KEY, "billing: users with their state",
                 lambda: list(prepared.run(_STAFF, "billing.worklist.staff")))
    payers = _payers()
    if key == "exceptions":
        table = _exceptions_table(args)
    else:
        condition, values, shape = _tab_filter(key, days)
        if key == "denied":  # the page reads the claims through the kept rows themselves
            condition = denials.kept_claim_rows()
        if payer_id:
            condition &= Claim.payer == slot("payer")
            values["payer"] = payer_id
        if who == "mine":
            condition &= Claim.assigned_user_id == slot("user")
            values["user"] = current_user.id
        elif who == "unassigned":
            condition &= Claim.assigned_user_id.is_null()
        # the denied tab unfiltered counts the kept claim ids alone, not each of them looked up among the claims
        counted = denials.kept_claim_ids() if key == "denied" and not payer_id and who == "all" else None
        table = _claims_table(condition, (*shape, bool(payer_id), who), values, args,
                              {u.id: u.full_name for u in staff}, dict(payers), counted,
                              DenialLine if key == "denied" else None)
    audit_list("billing.worklist.list", table.rows, tab=key)
    tools_html = kept_template(
        (PAYERS.key,), (key, days, payer_id, who, can("billing.claims.edit")),  # args are made from these
        "billing/_worklist_tools.html", lambda: {"tabs": TABS, "current": key, "days": days, "payer_id": payer_id,
                                                 "who": who, "payers": payers, "args": args,
                                                 "users": [u for u in staff if u.active]})
    return render_page("billing/worklists.html", title="Worklists", table=table, tools_html=tools_html,
                       **saved_context("worklists"), breadcrumbs=[("Worklists", None)])


@bp.route("/worklists/by-payer")
@requires("billing.view")
def worklist_totals():
    """A worklist's claims and charges per payer (loaded when the user opens "By payer")."""
    key = request.args.get("tab", "unpaid")
    if key not in TABS or key == "exceptions":
        abort(404)
    days = _int_arg("days", follow_up_days(), 1, MAX_DAYS)
    args = {"tab": key, **({"days": days} if key == "unpaid" else {})}
    return render_template("billing/_worklist_totals.html", by_payer=_totals_by_payer(key, days), args=args)


@bp.route("/worklists/assign", methods=["POST"])
@requires("billing.claims.edit")
def worklist_assign():
    """Assign the selected claims to a user (or to nobody); each claim's history records it."""
    ids = [claim_id for v in request.form.getlist("claim_id") if (claim_id := parse_id(v)) is not None]
    target = request.form.get("user_id", "").strip()
    user_id = parse_id(target) if target not in ("", "0") else None
    back = {k: request.form[k] for k in ("tab", "days", "payer", "who") if request.form.get(k)}
    if not ids:
        notify("Select the claims to assign first.", "error")
        return redirect(url_for("billing.worklists", **back))
    if target not in ("", "0") and user_id is None:
        notify("Choose an active user to assign the claims to.", "error")
        return redirect(url_for("billing.worklists", **back))
    done = 0
    try:
        for claim in Claim.select().where(Claim.id.in_(ids)).order_by(Claim.id):
            claim_service.assign(claim, user_id)
            done += 1
    except ClaimError as exc:
        notify(str(exc), "error")
        return redirect(url_for("billing.worklists", **back))
    notify(f"{done} claim{'s' if done != 1 else ''} {'assigned' if user_id else 'unassigned'}.")
    return redirect(url_for("billing.worklists", **back))
