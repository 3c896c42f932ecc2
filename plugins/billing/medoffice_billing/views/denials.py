"""Denials: the worklist of denied lines (sortable, filtered by payer, reason and age), and marking a
claim's denial worked from the claim page."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from flask import abort, redirect, request, url_for
from markupsafe import Markup
from medoffice import prepared, settings
from medoffice.auth import requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient, User
from medoffice.web.kept import kept_template
from medoffice.web.query import record_id, whole_number
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import COUNT_AHEAD, TableColumn, count_label, paginate, url_template

from .. import denials, remit_queues
from ..claims import ClaimError
from ..models import DENIALS, PAYERS, Claim, ClaimLine, LineTransaction, Payer, RemitClaim
from ..x12.codes import ADJUSTMENT_GROUPS, ADJUSTMENT_REASONS, REMARK_CODES
from . import bp
from .bulk import saved_context
from .claims import claim_page
from .ledger import attach_patients, audit_list, needs_patient_join, patient_search

LT = LineTransaction
MAX_DAYS = 3650
CARC = re.compile(r"[A-Z0-9]{1,5}")
_PAYERS = Payer.select(Payer.id, Payer.name).order_by(Payer.name).tuples()
_STAFF = User.select(User.id, User.full_name).tuples()


def _codes(text: str, names: dict[str, str]) -> Markup:
    """Codes with their meaning, one per line ("N14: Paid under a contract...")."""
    return Markup("<br>").join(Markup("<strong>{}</strong> {}").format(code, names.get(code, ""))
                               for code in text.split())


# The codes' meanings are fixed: each cell is written once per process rather than once per page.
@lru_cache(maxsize=256)
def _group(code: str | None) -> Markup | str:
    return Markup('<abbr title="{}">{}</abbr>').format(ADJUSTMENT_GROUPS.get(code, ""), code) if code else ""


@lru_cache(maxsize=4096)
def _reasons(text: str | None) -> Markup | str:
    return _codes(text, ADJUSTMENT_REASONS) if text else ""


@lru_cache(maxsize=4096)
def _remarks(text: str | None) -> Markup:
    return _codes(text or "", REMARK_CODES)


def _columns(payer_names: dict[int, str], user_names: dict[int, str]) -> list[TableColumn]:
    today = settings.today()
    zone = settings.practice_timezone()
    claim_url = url_template("billing.claim", "claim_id")

    def line(row):
        return f"{row.line_number} · {row.code}" if row.line_number else "Whole claim"

    def age(row):
        at = row.posted_at or row.status_changed_at
        if at is None:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)  # stored timestamps are UTC (as to_local reads them)
        return (today - at.astimezone(zone).date()).days

    def amount(row):
        return -row.amount_cents if row.entry_id else row.total_charge_cents

    return [
        TableColumn("claim", "Claim", sort=Claim.claim_number, value=lambda r: r.claim_number,
                    link=lambda r: claim_url(r.claim_id)),
        TableColumn("patient", "Patient", sort=Patient.last_name,
                    value=lambda r: f"{r.patient.last_name}, {r.patient.first_name}" if r.patient else ""),
        TableColumn("payer", "Payer", sort=Payer.name, value=lambda r: payer_names.get(r.payer_id, "")),
        TableColumn("service_date", "Date of service", sort=Claim.service_date, kind="date",
                    value=lambda r: r.service_date),
        TableColumn("line", "Line and code", sort=ClaimLine.code, value=line),
        TableColumn("group", "Group", sort=LT.group_code, value=lambda r: _group(r.group_code)),
        TableColumn("carc", "Reason (CARC)", sort=LT.carc, value=lambda r: _reasons(r.carc)),
        TableColumn("rarc", "Remarks (RARC)", value=lambda r: _remarks(r.remark_codes)),
        TableColumn("amount", "Amount", sort=denials.AMOUNT, kind="money", value=amount),
        TableColumn("age", "Age (days)", sort=denials.DL.denied_at, kind="number", value=age),
        TableColumn("assignee", "Assigned to", value=lambda r: user_names.get(r.assigned_user_id, "")),
    ]


@bp.route("/denials", endpoint="denials")
@requires("billing.view")
def denials_page():
    """Every denied line of the claims to work, with the payer's reasons in words; filter by payer,
    reason and age. The Worklists "Denied" tab lists the same claims."""
    payer_id = record_id("payer")
    reason = request.args.get("reason", "").strip().upper()
    if reason and not CARC.fullmatch(reason):
        abort(400, description="reason: a claim adjustment reason code is one to five letters or digits.")
    days = whole_number("age", None, minimum=1, maximum=MAX_DAYS)
    filters = {"payer": bool(payer_id), "reason": bool(reason), "age": bool(days)}
    query = denials.worklist_query(**filters)
    patient_joined = needs_patient_join("patient")
    if patient_joined:
        query = query.switch(Claim).join(Patient, on=(Patient.id == Claim.patient_id))
    payer_joined = request.args.get("sort") == "payer"
    if payer_joined:
        query = query.switch(Claim).join(Payer, on=(Payer.id == Claim.payer))
    payers = kept(PAYERS.key, "payers by name", lambda: prepared.rows(_PAYERS, "billing.denials.payers"))
    staff = dict(kept(ACCESS_KEY, "billing: user names", lambda: prepared.rows(_STAFF, "billing.denials.staff")))
    values = {"payer": payer_id, "reason": reason,
              "denied_before": denials.denied_before(settings.today(), days) if days else None}
    args = {k: v for k, v in (("payer", payer_id), ("reason", reason), ("age", days)) if v}

    def search(text):
        return (Claim.claim_number ** f"%{text}%") | patient_search(text)

    table = paginate(
        query, id="denials-table", columns=_columns(dict(payers), staff), search=search,
        default_sort="age", endpoint="billing.denials", endpoint_args=args, noun="denied line",
        noun_plural="denied lines", search_placeholder="Claim number or patient",
        empty_message="No denial is waiting.",
        key=("billing.denials", bool(payer_id), bool(reason), bool(days), patient_joined, payer_joined),
        values=values, count_query=denials.worklist_count_query(**filters),
        kept_by=(DENIALS.key, PATIENTS_KEY), kept_with=(settings.today(),),  # ages count from today
        attach=attach_patients)
    audit_list("billing.denials.list", table.rows)
    claims = denials.claim_count_upto(COUNT_AHEAD + 1)  # "1,000+ claims", as the lists count
    filter_html = kept_template((DENIALS.key, PAYERS.key), (payer_id, reason, days), "billing/_denials_filter.html",
                                lambda: {"payers": payers, "payer_id": payer_id, "reasons": denials.reasons(),
                                         "reason": reason, "reason_names": ADJUSTMENT_REASONS, "days": days})
    return render_page("billing/denials.html", title="Denials", table=table, filter_html=filter_html,
                       claims=count_label(min(claims, COUNT_AHEAD), claims > COUNT_AHEAD, "claim", "claims"),
                       **saved_context("denials"), breadcrumbs=[("Denials", None)])


@bp.route("/denials/<int:entry_id>/close", methods=["POST"])
@requires("billing.claims.edit")
def denial_close(entry_id: int):
    """Mark a claim's denial worked (appealed, corrected, written off...), saying what was done."""
    entry = RemitClaim.get_or_none((RemitClaim.id == entry_id) & RemitClaim.claim.is_null(False)) or abort(404)
    try:
        remit_queues.close_entry(entry, "denial", request.form.get("reason", ""))
    except ClaimError as exc:
        return claim_page(Claim.get_by_id(entry.claim_id), denial_errors={entry.id: str(exc)}), 422
    notify("The denial is marked worked.")
    return redirect(url_for("billing.claim", claim_id=entry.claim_id))
