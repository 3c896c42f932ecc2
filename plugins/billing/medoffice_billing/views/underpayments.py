"""Underpayments: the lines payers allowed less for than the fee schedule expects, by payer, with the
difference."""
from __future__ import annotations


from flask import redirect, request, url_for
from medoffice import prepared, settings
from medoffice.auth import requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient, User
from medoffice.web.kept import kept_template
from medoffice.web.query import record_id, whole_number
from medoffice.web.shell import render_page
from medoffice.web.tables import TableColumn, paginate, url_template

from .. import underpayments
from ..ledger import as_date
from ..models import PAYERS, UNDERPAYMENTS, Claim, Payer, UnderpaidLine
from . import bp
from .bulk import saved_context
from .ledger import attach_patients, audit_list, needs_patient_join, patient_search

MAX_DAYS = 3650
_PAYERS = Payer.select(Payer.id, Payer.name).order_by(Payer.name).tuples()
_STAFF = User.select(User.id, User.full_name).tuples()
_CLAIM_SORTS = ("claim", "patient", "payer", "service_date")  # the columns sorted by the claim's (or its patient's)


def _attach_claims(rows: list) -> None:
    """The claim's columns (read without the claim joined), then its patient."""
    underpayments.attach_claims(rows)
    attach_patients(rows)


@bp.route("/underpayments")
@requires("billing.view")
def underpayments_page():
    """Underpaid lines of the payers' recent answers, the most short first, with each payer's total."""
    if "sort" not in request.args:  # the largest shortfall first unless the user chose an order
        return redirect(url_for("billing.underpayments_page", **{**request.args.to_dict(), "sort": "difference",
                                                                 "desc": 1}))
    payer_id = record_id("payer")
    days = whole_number("days", underpayments.DEFAULT_DAYS, minimum=1, maximum=MAX_DAYS)
    since = underpayments.since_for(settings.today(), days)
    payers = kept(PAYERS.key, "payers by name", lambda: prepared.rows(_PAYERS, "billing.underpayments.payers"))
    names = dict(payers)
    staff = dict(kept(ACCESS_KEY, "billing: user names", lambda: prepared.rows(_STAFF, "billing.underpayments.staff")))
    patient_joined = needs_patient_join("patient")
    # the claim is joined only to sort or search by its columns; else a page of lines is read alone
    claim_joined = patient_joined or request.args.get("sort") in _CLAIM_SORTS
    query = underpayments.lines_query(payer=bool(payer_id), claim=claim_joined)
    if patient_joined:
        query = query.switch(Claim).join(Patient, on=(Patient.id == Claim.patient_id))
    payer_joined = request.args.get("sort") == "payer"
    if payer_joined:
        query = query.switch(Claim).join(Payer, on=(Payer.id == Claim.payer))
    claim_url = url_template("billing.claim", "claim_id")
    args = {k: v for k, v in (("payer", payer_id), ("days", days if days != underpayments.DEFAULT_DAYS else None))
            if v}

    def line(row):
        modifiers = f"-{row.modifiers.replace(':', '-')}" if row.modifiers else ""
        return f"{row.line_number} · {row.code}{modifiers}" + (f" × {row.units}" if row.units != 1 else "")

    def search(text):
        return (Claim.claim_number ** f"%{text}%") | patient_search(text)

    table = paginate(
        query, id="underpayments-table",
        columns=[
            TableColumn("claim", "Claim", sort=Claim.claim_number, value=lambda r: r.claim_number,
                        link=lambda r: claim_url(r.claim_id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda r: f"{r.patient.last_name}, {r.patient.first_name}" if r.patient else ""),
            TableColumn("payer", "Payer", sort=Payer.name, value=lambda r: names.get(r.payer_id, "")),
            TableColumn("service_date", "Date of service", sort=Claim.service_date, kind="date",
                        value=lambda r: r.service_date),
            TableColumn("line", "Line and code", sort=UnderpaidLine.code, value=line),
            TableColumn("expected", "Expected", sort=UnderpaidLine.expected_cents, kind="money",
                        value=lambda r: r.expected_cents),
            TableColumn("allowed", "Allowed", sort=UnderpaidLine.allowed_cents, kind="money",
                        value=lambda r: r.allowed_cents),
            TableColumn("paid", "Paid", sort=UnderpaidLine.paid_cents, kind="money", value=lambda r: r.paid_cents),
            TableColumn("difference", "Short by", sort=UnderpaidLine.difference_cents, kind="money",
                        value=lambda r: r.difference_cents),
            TableColumn("answered", "Answered on", sort=UnderpaidLine.answered_on, kind="date",
                        value=lambda r: as_date(r.answered_on)),
            TableColumn("assignee", "Assigned to", value=lambda r: staff.get(r.assigned_user_id, "")),
        ],
        search=search, default_sort="difference", endpoint="billing.underpayments_page", endpoint_args=args,
        noun="underpaid line", noun_plural="underpaid lines", search_placeholder="Claim number or patient",
        empty_message="No line was paid below what its payer is expected to allow.",
        key=("billing.underpayments", bool(payer_id), claim_joined, patient_joined, payer_joined),
        values={"since": since, "payer": payer_id}, count_query=underpayments.lines_count_query(payer=bool(payer_id)),
        kept_by=(UNDERPAYMENTS.key, PATIENTS_KEY), attach=attach_patients if claim_joined else _attach_claims)
    audit_list("billing.underpayments.list", table.rows)

    def summary():
        payer_url = url_template("billing.underpayments_page", "payer", days=days)
        totals = [(payer_url(payer), names.get(payer, ""), count, cents)
                  for payer, count, cents in underpayments.by_payer(since)]
        return {"payers": payers, "payer_id": payer_id, "days": days, "totals": sorted(totals, key=lambda t: t[1])}
    summary_html = kept_template((UNDERPAYMENTS.key, PAYERS.key), (payer_id, days, since),
                                 "billing/_underpayments_summary.html", summary)
    return render_page("billing/underpayments.html", title="Underpayments", table=table, days=days,
                       summary_html=summary_html, **saved_context("underpayments"),
                       breadcrumbs=[("Underpayments", None)])
