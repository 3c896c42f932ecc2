"""A patient's ledger (charges, insurance payments, adjustments, patient payments, balances) and the
"Account" panel on the patient page. Both are audited."""
from __future__ import annotations

import datetime as dt
from itertools import groupby
from types import SimpleNamespace
from typing import Any, Callable

from flask import redirect, request, url_for
from medoffice import audit, dates, prepared, settings
from medoffice.auth import requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.localtime import to_local
from medoffice.models import Patient, StaffMember
from medoffice.money import format_cents
from medoffice.patients import load_for_change, load_for_display
from medoffice.prepared import slot
from medoffice.web.kept import kept_template
from medoffice.web.shell import notify, render_page

from .. import account_notes, aging, collections, ledger, payments, plans, statements
from ..models import (ACCOUNT_NOTES, CLAIMS, COLLECTIONS, LEDGER, PAYMENTS, PLANS, STATEMENTS, PatientPayment,
                      Statement)
from . import bp


def patient_crumbs(patient: Patient, *tail):
    """Breadcrumbs from the patient list through the patient to the page."""
    return [("Patients", url_for("core.patients")),
            (patient.display_name, url_for("core.patient", patient_id=patient.id)), *tail]


def needs_patient_join(*keys: str) -> bool:
    """True when the request searches, or sorts by one of ``keys`` (patient columns): only then must a
    list's query join the patients; otherwise the page's patients are fetched after it (a count over
    a join costs a lookup per row)."""
    return bool((request.args.get("q") or "").strip()) or request.args.get("sort") in keys


def patient_search(text: str):
    """The lists' search by patient: last name or account number contains ``text`` (patients joined)."""
    like = f"%{text}%"
    return (Patient.last_name ** like) | (Patient.account_number ** like)


def attach_patients(rows: list, attr: str = "patient") -> list:
    """Set ``row.<attr>`` to each row's patient: id, first_name, last_name and account_number, the
    columns lists show (one query for the page's rows)."""
    ids = sorted({row.patient_id for row in rows})
    slots, values = ledger.id_slots(ids)
    # plain rows from the driver (ints and text: nothing to convert), made namespaces here
    patients = {id: SimpleNamespace(id=id, first_name=first, last_name=last, account_number=account)
                for id, first, last, account in prepared.rows(_patients_query(slots),
                                                              ("billing.list_patients", len(ids)), **values)
                } if ids else {}
    for row in rows:
        setattr(row, attr, patients.get(row.patient_id))
    return rows


def _patients_query(slots: list):
    return (Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.account_number)
            .where(Patient.id.in_(slots)).tuples())


def day_formatter() -> Callable[[Any], str]:
    """The ``localdate`` filter with the practice's date format read once: a page of dates (the ledger shows one per
    line, entry and receipt) otherwise reads the setting for each."""
    pattern = dates.pattern()

    def day(value, empty: str = "") -> str:
        if value is None:
            return empty
        if isinstance(value, dt.datetime):
            value = to_local(value)
        return value.strftime(pattern)
    return day


def audit_list(action: str, rows: list, **detail) -> None:
    """Audit a list page that shows patients: which patients the page showed (their ids)."""
    audit.record_list(action, (getattr(row, "patient_id", None) for row in rows), **detail)


class _DaySlot(prepared.Slot):
    """A date placeholder whose earlier days (``day - timedelta``) are slots too, so a query
    over date boundaries computed from the date (aging buckets) compiles once."""

    def __init__(self, name: str):
        super().__init__(name)
        self.offsets: set[int] = set()

    def __sub__(self, delta: dt.timedelta) -> prepared.Slot:
        self.offsets.add(delta.days)
        return slot(f"{self.name}-{delta.days}")

    def values(self, day: dt.date) -> dict:
        """The values of this slot and its offsets for ``day``."""
        return {self.name: day, **{f"{self.name}-{days}": day - dt.timedelta(days=days) for days in self.offsets}}


def _aging_query():
    as_of = _DaySlot("as_of")
    return aging.patient_aging_query(as_of, slot("patient_id")).dicts(), as_of


_PATIENT_AGING, _AGING_AS_OF = _aging_query()


def _ledger_figures(patient_id: int, today: dt.date) -> tuple[dict | None, ledger.Balances]:
    """The patient's live aging row (None when nothing is owed) and balances, read from the ledger and kept until
    it changes (the ledger page and the account panel show them on every view); the row is the caller's to copy."""
    def build():
        row = next(iter(prepared.run(_PATIENT_AGING, "billing.account_aging", patient_id=patient_id,
                                     **_AGING_AS_OF.values(today))), None)
        return row, ledger.patient_balances(patient_id)
    return kept(LEDGER.key, ("account figures", patient_id, today), build)


def account_aging(row: dict | None, today: dt.date) -> dict:
    """The patient's live aging (buckets, credit, oldest date owed) from the row ``_ledger_figures`` read, zeros
    when nothing is owed."""
    empty = {"patient_cents": 0, "insurance_cents": 0, "credit_cents": 0, "oldest_on": None,
             **{key: 0 for key in aging.BUCKET_KEYS}}
    row = {**empty, **(row or {})}
    oldest = ledger.as_date(row["oldest_on"])
    row["days_past_due"] = (today - oldest).days if oldest else None
    row["stage"] = collections.stage_for(row["days_past_due"])
    return row


def _account_state(patient_id: int, today: dt.date) -> dict:
    """The account's plan, what was paid toward it, its holds from statements, its placement and manual hold, kept
    until a plan, a payment, a hold, a placement or a claim changes (the holds depend on the day too)."""
    def build():
        plan = plans.active_plan(patient_id)
        holds = statements.hold_flags(patient_id, today)
        return {
            "plan": plan, "plan_paid": plans.paid_toward([plan.id]).get(plan.id, 0) if plan else 0, "holds": holds,
            # the collections hold is exactly a current placement; most accounts have neither row to fetch
            "placement": collections.current_placement(patient_id) if holds["collections"] else None,
            "hold": statements.manual_hold(patient_id) if holds["manual_on_file"] else None,
        }
    return kept((PLANS.key, COLLECTIONS.key, CLAIMS.key), ("account state", patient_id, today), build)


def account_context(patient: Patient) -> dict:
    """What the ledger page and the account panel show about the account's state."""
    today = settings.today()
    state = _account_state(patient.id, today)
    holds = state["holds"]
    row, balances = _ledger_figures(patient.id, today)
    account = account_aging(row, today)
    if state["plan"] is not None or holds["collections"]:
        account["stage"] = ""  # the plan or the agency deals with the account: no dunning stage applies
    return {
        "balances": balances, "account": account,
        "plan": state["plan"], "plan_paid": state["plan_paid"], "placement": state["placement"],
        "hold": state["hold"], "hold_reasons": [statements.HOLD_REASONS[key] for key in statements.HOLD_REASONS
                                                if holds[key]],
        # a claim waiting on a payer is what the insurance hold means (ledger.insurance_pending)
        "pending": holds["insurance"],
        "bucket_keys": aging.BUCKET_KEYS, "bucket_labels": aging.BUCKET_LABELS,
    }


_PROVIDER_COLUMNS = (StaffMember.id, StaffMember.first_name, StaffMember.last_name, StaffMember.credentials)
_RECEIPTS = (PatientPayment.select(PatientPayment.id, PatientPayment.receipt_number, PatientPayment.kind,
                                   PatientPayment.voided_at, PatientPayment.received_on, PatientPayment.method,
                                   PatientPayment.amount_cents)
             .where(PatientPayment.patient_id == slot("patient_id"))
             .order_by(PatientPayment.posted_at.desc()).limit(25))
_STATEMENTS_SENT = (Statement.select(Statement.id, Statement.statement_date, Statement.amount_cents, Statement.bucket,
                                     Statement.dunning_stage)
                    .where(Statement.patient_id == slot("patient_id")).order_by(Statement.id.desc()).limit(10))


def _provider_names(ids: set) -> dict[int, str]:
    ids = sorted(ids)
    if not ids:
        return {}
    slots, values = ledger.id_slots(ids)
    query = StaffMember.select(*_PROVIDER_COLUMNS).where(StaffMember.id.in_(slots))
    return {s.id: s.display_name for s in prepared.run(query, ("billing.ledger_providers", len(ids)), **values)}


def _ledger_lines(patient_id: int) -> dict:
    """What the ledger's charges and payments table shows: the patient's lines by visit, their totals and the
    providers' names (kept until a ledger entry, a service line, a visit or a staff member changes)."""
    lines = ledger.line_balances(patient_id)
    keys = ("charge_cents", "insurance_paid_cents", "adjusted_cents", "patient_paid_cents", "insurance_cents",
            "patient_cents")
    visits = [(encounter_id, list(group)) for encounter_id, group in groupby(lines, key=lambda l: l.encounter_id)]
    return {"visits": visits,
            "totals": {key: sum(getattr(l, key) for l in lines) for key in keys},
            "providers": _provider_names({l.rendering_provider_id for l in lines if l.rendering_provider_id}),
            "day": day_formatter()}


@bp.route("/patients/<int:patient_id>/ledger")
@requires("billing.view")
def ledger_page(patient_id: int):
    """The patient ledger: every line with what was charged, paid and adjusted, and who owes the rest."""
    patient = load_for_display(patient_id, "billing.ledger.view")
    lines_table = kept_template((LEDGER.key, STAFF_KEY), (patient.id,), "billing/_ledger_lines.html",
                                lambda: _ledger_lines(patient.id))
    entries = kept(LEDGER.key, ("account entries", patient.id), lambda: tuple(ledger.account_entries(patient.id)))
    receipts = kept(PAYMENTS.key, ("ledger receipts", patient.id),
                    lambda: tuple(prepared.run(_RECEIPTS, "billing.ledger_receipts", patient_id=patient.id)))
    sent = kept(STATEMENTS.key, ("statements sent", patient.id),
                lambda: tuple(prepared.run(_STATEMENTS_SENT, "billing.ledger_statements", patient_id=patient.id)))
    notes = kept(ACCOUNT_NOTES.key, ("account notes", patient.id), lambda: tuple(account_notes.current(patient.id)))
    return render_page(
        "billing/ledger.html", title=f"Ledger: {patient.display_name}", patient=patient, lines_table=lines_table,
        account_entries=entries, receipts=receipts,
        statements_sent=sent, methods=payments.METHODS, kind_labels=ledger.KIND_LABELS, day=day_formatter(),
        **account_context(patient),
        notes=notes,
        breadcrumbs=patient_crumbs(patient, ("Ledger", None)))


@bp.route("/patients/<int:patient_id>/account")
@requires("billing.view")
def account_panel(patient_id: int):
    """The patient page's "Account" panel: balances, aging, plan, holds and collections."""
    patient = load_for_display(patient_id, "billing.account.view")
    return render_page("billing/_account_panel.html", title="Account", patient=patient, **account_context(patient))


@bp.route("/patients/<int:patient_id>/apply-credit", methods=["POST"])
@requires("billing.payments.post")
def apply_credit(patient_id: int):
    """Apply the account's unapplied credit to its open charges."""
    patient = load_for_change(patient_id)
    applied = payments.apply_credit(patient.id)
    if applied:
        notify(f"Applied {format_cents(applied)} of credit to open charges.")
    else:
        notify("There was no credit to apply, or nothing is owed.", "info")
    return redirect(url_for("billing.ledger_page", patient_id=patient.id))
