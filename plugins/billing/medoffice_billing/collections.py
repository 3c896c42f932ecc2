"""Collections: dunning stages, the pre-collections list, placement with an outside agency (recorded,
exported as CSV), recall from the agency, and bad-debt write-offs. Every action is audited.

Dunning stages are rows of ``billing_dunning_stage`` (days past due, name), edited on the
collections page; until the practice edits them the defaults below apply. Days past due count
from the day the oldest open amount became the patient's (see ``aging``). An account at the
last stage, not placed, not on a payment plan and not held, is on the pre-collections list.
"""
from __future__ import annotations

import datetime as dt

from medoffice import SettingSpec, audit, prepared, settings
from medoffice.data_versions import kept
from medoffice.csvexport import Cents, CsvWriter
from medoffice.db import db, transaction, utcnow
from medoffice.events import publish_all
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from peewee import JOIN, SQL, fn

from . import aging, ledger
from .actor import acting_user
from .models import (COLLECTIONS, AgingSnapshot, CollectionPlacement, DunningStage, GoodFaithEstimate,
                     LineTransaction, PatientAccount, PatientAging, PatientPayment, PaymentPlan, Statement,
                     StatementHold)

DEFAULT_STAGES = ((30, "Reminder"), (60, "Second notice"), (90, "Final notice"), (120, "Pre-collections"))
WRITE_OFF_REASONS = {
    "uncollectible": "Uncollectible after collection efforts",
    "agency": "Placed with a collection agency",
    "bankruptcy": "Bankruptcy",
    "deceased": "Patient deceased, no estate",
    "hardship": "Financial hardship",
    "small_balance": "Small balance",
}
COLLECTION_SETTINGS = [
    SettingSpec("billing.collection_agency", "Collection agency the practice places accounts with",
                help="Offered when an account is placed; each placement records the agency it went to."),
]
EXPORT_COLUMNS = ("placement_id", "account_number", "last_name", "first_name", "date_of_birth", "address1",
                  "address2", "city", "state", "zip", "phone", "guarantor_name", "guarantor_address",
                  "balance", "placed_on", "owed_since", "last_payment_on", "last_statement_on", "agency")


class CollectionsError(ValueError):
    """A collections action was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- Dunning stages -----------------------------------------------------------------------------

_STAGES = DunningStage.select(DunningStage.days, DunningStage.name).order_by(DunningStage.days).tuples()


def stages() -> list[tuple[int, str]]:
    """(days past due, name) of each stage, in order (the defaults until the practice edits them)."""
    return kept(COLLECTIONS.key, "stages", lambda: prepared.rows(_STAGES, "billing.dunning_stages")) or list(
        DEFAULT_STAGES)


def stage_for(days_past_due: int | None, stage_list: list[tuple[int, str]] | None = None) -> str:
    """The name of the stage an account this many days past due is at ("" before the first)."""
    if days_past_due is None:
        return ""
    reached = [name for days, name in (stage_list or stages()) if days_past_due >= days]
    return reached[-1] if reached else ""


def _seed_defaults() -> None:
    if not DunningStage.select().exists():
        DunningStage.insert_many([{"days": d, "name": n} for d, n in DEFAULT_STAGES]).execute()


def save_stage(days: int | None, name: str) -> None:
    """Add a stage, or rename the stage at ``days``; audited."""
    name = (name or "").strip()
    if days is None or not 1 <= days <= 3650:
        raise CollectionsError("days", "Enter the days past due, from 1 to 3650.")
    if not name or len(name) > 60:
        raise CollectionsError("name", "Name the stage (at most 60 characters).")
    with transaction():
        _seed_defaults()
        DunningStage.insert(days=days, name=name).on_conflict(
            conflict_target=[DunningStage.days], update={DunningStage.name: name}).execute()
        audit.record("billing.dunning.save", "billing_dunning_stage", days, detail={"days": days, "name": name})


def delete_stage(days: int) -> None:
    """Remove the stage at ``days`` (one stage always stays); audited."""
    with transaction():
        _seed_defaults()
        if DunningStage.select().count() <= 1:
            raise CollectionsError("days", "Keep at least one stage.")
        if not DunningStage.delete().where(DunningStage.days == days).execute():
            raise CollectionsError("days", "There is no stage at that many days.")
        audit.record("billing.dunning.delete", "billing_dunning_stage", days, detail={"days": days})


# --- Lists ----------------------------------------------------------------------------------------------

def _held(today: dt.date):
    """The patients whose statements are held on ``today`` (a patient has one hold at most)."""
    return StatementHold.select(StatementHold.patient_id).where(StatementHold.until.is_null()
                                                                | (StatementHold.until >= today))


def _past_due(minimum, since, *columns):
    return PlainSelect(PatientAging, columns).where((PatientAging.patient_cents >= minimum)
                                               & (PatientAging.oldest_on <= since))


def _not_arranged(query):
    # Placements and plans are stored on the aging row (kept current by placements and plans).
    return query.where(PatientAging.placed_or_planned == False)  # noqa: E712  (SQL, not Python)


def _disputed(patient_id):
    """An open Good Faith Estimate dispute flag: the account may not go to an agency."""
    return GoodFaithEstimate.select(SQL("1")).where((GoodFaithEstimate.patient_id == patient_id)
                                                    & GoodFaithEstimate.dispute_flagged_on.is_null(False)
                                                    & GoodFaithEstimate.dispute_closed_on.is_null())


def _not_collecting(query, today):
    # The holds (few, one a patient) are read once as a list, not looked up per listed account; a dispute is looked
    # up per account with a correlated NOT EXISTS on the estimates' patient index (a list would read every estimate).
    return _not_arranged(query).where(PatientAging.patient_id.not_in(_held(today))
                                      & ~fn.EXISTS(_disputed(PatientAging.patient_id)))


def _minimum_cents() -> int:
    return max(int(settings.get("billing.statement_min_balance_cents", 500) or 0), 1)


def past_due_query(today: dt.date, min_days: int, arranged: bool = False):
    """Stored aging of the patients owing at least the statement minimum for ``min_days`` days or more,
    leaving out accounts on an active payment plan or with an agency (``arranged``: those too)."""
    query = _past_due(_minimum_cents(), today - dt.timedelta(days=min_days), *PatientAging._meta.sorted_fields)
    return query if arranged else _not_arranged(query)


def precollections_query(today: dt.date, stage_list: list[tuple[int, str]] | None = None):
    """The pre-collections list: at the last dunning stage, not placed, not on a plan, not held."""
    last = (stage_list or stages())[-1][0]
    return _not_collecting(past_due_query(today, last, arranged=True), today)


# What the aging lists show: selecting only these lets the count read the aging index alone.
_LIST_COLUMNS = (PatientAging.patient_id, PatientAging.patient_cents, PatientAging.oldest_on)
AGING_LISTS = {
    # Past due: being dunned. An account on a payment plan or with an agency is not (the plan or the
    # agency deals with it): it shows only when asked for, with its plan and agency.
    "past_due": _not_arranged(_past_due(slot("minimum"), slot("since"), *_LIST_COLUMNS)),
    "past_due_arranged": _past_due(slot("minimum"), slot("since"), *_LIST_COLUMNS, PatientAging.placed_or_planned),
    "precollections": _not_collecting(_past_due(slot("minimum"), slot("since"), *_LIST_COLUMNS), slot("today")),
}


def aging_list_values(tab: str, today: dt.date, stage_list: list[tuple[int, str]]) -> dict:
    """The values for ``AGING_LISTS[tab]``'s slots: past due from the first stage, pre-collections from the last."""
    days = stage_list[-1 if tab == "precollections" else 0][0]
    return {"minimum": _minimum_cents(), "since": today - dt.timedelta(days=days), "today": today}


def _arranged_queries(slots: list):
    plans = (PaymentPlan.select(PaymentPlan.id, PaymentPlan.patient_id, PaymentPlan.installment_cents,
                                PaymentPlan.frequency)
             .where((PaymentPlan.status == "active") & PaymentPlan.patient_id.in_(slots)))
    placed = (CollectionPlacement.select(CollectionPlacement.id, CollectionPlacement.patient_id,
                                         CollectionPlacement.agency, CollectionPlacement.placed_on)
              .where((CollectionPlacement.status == "placed") & CollectionPlacement.patient_id.in_(slots)))
    return plans, placed


def arrangements(patient_ids) -> tuple[dict[int, PaymentPlan], dict[int, CollectionPlacement]]:
    """The active payment plan and the current agency placement of each of ``patient_ids`` that has one
    (two prepared queries, whatever the number of patients)."""
    ids = sorted(set(patient_ids))
    if not ids:
        return {}, {}
    slots, values = ledger.id_slots(ids)
    plans_query, placed_query = _arranged_queries(slots)
    found_plans = {p.patient_id: p for p in prepared.run(plans_query, ("billing.arranged_plans", len(ids)), **values)}
    placed = {p.patient_id: p for p in prepared.run(placed_query, ("billing.arranged_placements", len(ids)), **values)}
    return found_plans, placed


def placements_query(status: str | None, *columns):
    """Placements, of one status or all, as plain rows of ``columns`` (:class:`~.plain.PlainSelect`)."""
    query = PlainSelect(CollectionPlacement, columns)
    if status:
        query = query.where(CollectionPlacement.status == status)
    return query


def current_placement(patient_id: int) -> CollectionPlacement | None:
    """The patient's account placement with an agency now, if any."""
    return CollectionPlacement.get_or_none((CollectionPlacement.patient_id == patient_id)
                                           & (CollectionPlacement.status == "placed"))


# --- Actions ----------------------------------------------------------------------------------------------

def place(patient_id: int, agency: str, note: str = "") -> CollectionPlacement:
    """Place the patient's account with an outside agency (what they owe now is recorded); audited.

    :raises CollectionsError: nothing owed, already placed, or no agency named.
    """
    agency = (agency or "").strip() or str(settings.get("billing.collection_agency", "") or "").strip()
    if not agency:
        raise CollectionsError("agency", "Name the agency (or set the practice's agency in the settings).")
    if len(agency) > 120:
        raise CollectionsError("agency", "The agency's name has at most 120 characters.")
    if Patient.get_or_none(Patient.id == patient_id) is None:
        raise CollectionsError("agency", "There is no such patient.")
    _, username = acting_user()
    today = settings.today()
    with transaction():
        if current_placement(patient_id) is not None:
            raise CollectionsError("agency", "The account is already with an agency.")
        if _disputed(patient_id).exists():
            raise CollectionsError("agency", "The charges exceed the patient's Good Faith Estimate by $400 or more: the "
                                             "patient may dispute them, so the account cannot go to an agency until "
                                             "the dispute flag is closed.")
        owed = ledger.patient_balances(patient_id).patient_cents
        if owed <= 0:
            raise CollectionsError("agency", "The patient owes nothing: there is nothing to place.")
        placement = CollectionPlacement.create(patient_id=patient_id, agency=agency, balance_cents=owed,
                                               placed_on=today, placed_by=username, note=(note or "").strip()[:200])
        aging.mark_placed_or_planned(patient_id)
        audit.record("billing.collections.place", "billing_collection_placement", placement.id,
                     patient_id=patient_id, detail={"agency": agency, "balance_cents": owed})
    return placement


def recall(placement: CollectionPlacement, reason: str) -> CollectionPlacement:
    """Take an account back from the agency (the patient paid us, disputes, was placed in error); audited."""
    reason = (reason or "").strip()
    if not reason:
        raise CollectionsError("reason", "Say why the account comes back from the agency.")
    _, username = acting_user()
    with transaction():
        if not CollectionPlacement.update(status="recalled", recalled_at=utcnow(), recalled_by=username,
                                          recall_reason=reason[:200]).where(
                (CollectionPlacement.id == placement.id) & (CollectionPlacement.status == "placed")).execute():
            raise CollectionsError("reason", "The account is not with the agency any more.")
        aging.mark_placed_or_planned(placement.patient_id)
        audit.record("billing.collections.recall", "billing_collection_placement", placement.id,
                     patient_id=placement.patient_id, detail={"reason": reason[:200], "agency": placement.agency})
    return CollectionPlacement.get_by_id(placement.id)


def write_off(patient_id: int, reason: str, note: str = "") -> int:
    """Write off everything the patient owes as bad debt, line by line, with the reason; audited.

    One transaction, which publishes ``billing.adjustment_posted`` (kind writeoff, party patient) per entry.
    :return: the cents written off.
    :raises CollectionsError: an unknown reason, or nothing owed.
    """
    if db.in_transaction():
        raise RuntimeError("write_off commits its own transaction; call it outside one")
    with transaction():
        total, events = record_write_off(patient_id, reason, note)
        publish_all(events)
    return total


def record_write_off(patient_id: int, reason: str, note: str = "") -> tuple[int, list[tuple[str, dict]]]:
    """``write_off`` inside the caller's transaction: returns the cents and the events to publish in it."""
    if reason not in WRITE_OFF_REASONS:
        raise CollectionsError("reason", "Choose the reason for the write-off.")
    note = (note or "").strip()[:120]
    memo = f"bad debt: {WRITE_OFF_REASONS[reason]}" + (f" ({note})" if note else "")
    user_id, _ = acting_user()
    events: list[tuple[str, dict]] = []
    with transaction():
        ledger.lock_account(patient_id)
        lines = ledger.open_patient_lines(patient_id)
        total = sum(amount for _line, amount in lines)
        if total <= 0:
            raise CollectionsError("reason", "The patient owes nothing: there is nothing to write off.")
        now, day = utcnow(), settings.today()
        rows = [{"kind": "writeoff", "party": "patient", "patient_id": patient_id, "service_line": line_id,
                 "amount_cents": -amount, "source": "manual", "reference": f"bad-debt:{reason}"[:60],
                 "effective_date": day, "posted_at": now, "posted_by_user_id": user_id, "memo": memo[:200]}
                for line_id, amount in lines]
        stored = (LineTransaction.insert_many(rows)
                  .returning(LineTransaction.id, LineTransaction.amount_cents).tuples().execute())
        for tx_id, amount in stored:
            events.append(("billing.adjustment_posted", {
                "transaction_id": tx_id, "patient_id": patient_id, "payer_id": None, "claim_id": None,
                "amount_cents": amount, "kind": "writeoff", "group_code": "", "carc": "", "effective_date": day,
                "posted_at": now, "reference": f"bad-debt:{reason}"[:60], "party": "patient",
                "reverses_transaction_id": None}))
        audit.record("billing.collections.writeoff", "patient", patient_id, patient_id=patient_id,
                     detail={"reason": reason, "note": note, "amount_cents": total, "lines": len(rows)})
        aging.refresh_patient(patient_id, day)
    return total, events


# --- The agency file ------------------------------------------------------------------------------------

def _export_query(include_all: bool):
    """Placements with the patient, guarantor, when owed since, last payment and last statement (one query)."""
    last_payment = (PatientPayment.select(PatientPayment.patient_id, fn.MAX(PatientPayment.received_on).alias("day"))
                    .where((PatientPayment.kind == "payment") & PatientPayment.voided_at.is_null())
                    .group_by(PatientPayment.patient_id)).alias("last_payment")
    last_statement = (Statement.select(Statement.patient_id, fn.MAX(Statement.statement_date).alias("day"))
                      .group_by(Statement.patient_id)).alias("last_statement")
    account = PatientAccount
    query = (CollectionPlacement.select(
        CollectionPlacement.id.alias("placement_id"), Patient.account_number, Patient.last_name, Patient.first_name,
        Patient.date_of_birth, Patient.address1, Patient.address2, Patient.city, Patient.state, Patient.zip,
        Patient.phone, Patient.mobile, account.guarantor_relationship, account.guarantor_first_name,
        account.guarantor_last_name, account.guarantor_address1, account.guarantor_address2, account.guarantor_city,
        account.guarantor_state, account.guarantor_zip, CollectionPlacement.balance_cents,
        CollectionPlacement.placed_on, PatientAging.oldest_on, last_payment.c.day.alias("last_payment_on"),
        last_statement.c.day.alias("last_statement_on"), CollectionPlacement.agency)
        .join(Patient, on=(Patient.id == CollectionPlacement.patient_id))
        .join(account, JOIN.LEFT_OUTER, on=(account.patient_id == CollectionPlacement.patient_id))
        .join(PatientAging, JOIN.LEFT_OUTER, on=(PatientAging.patient_id == CollectionPlacement.patient_id))
        .join(last_payment, JOIN.LEFT_OUTER, on=(last_payment.c.patient_id == CollectionPlacement.patient_id))
        .join(last_statement, JOIN.LEFT_OUTER, on=(last_statement.c.patient_id == CollectionPlacement.patient_id))
        .where(CollectionPlacement.status == "placed")
        .order_by(CollectionPlacement.id))
    if not include_all:
        query = query.where(CollectionPlacement.exported_at.is_null())
    return query.dicts()


def _guarantor(row: dict) -> tuple[str, str]:
    if not row["guarantor_relationship"] or row["guarantor_relationship"] == "18":
        return "", ""
    name = f"{row['guarantor_first_name']} {row['guarantor_last_name']}".strip()
    address = ", ".join(row[k] for k in ("guarantor_address1", "guarantor_address2", "guarantor_city",
                                          "guarantor_state", "guarantor_zip") if row[k])
    return name, address


def export_placements(stream, include_all: bool = False) -> int:
    """Write the placements for the agency as CSV to ``stream`` and mark them exported; audited.

    :param include_all: every account with the agency now, not only those never sent before.
    :return: the number of placements written.
    """
    writer = CsvWriter(stream)
    writer.writerow(EXPORT_COLUMNS)
    ids = []
    with transaction():
        for row in _export_query(include_all):
            guarantor, guarantor_address = _guarantor(row)
            writer.writerow([row["placement_id"], row["account_number"], row["last_name"], row["first_name"],
                             ledger.as_date(row["date_of_birth"]), row["address1"], row["address2"],
                             row["city"], row["state"], row["zip"], row["phone"] or row["mobile"], guarantor,
                             guarantor_address, Cents(row["balance_cents"]),
                             ledger.as_date(row["placed_on"]), ledger.as_date(row["oldest_on"]),
                             ledger.as_date(row["last_payment_on"]),
                             ledger.as_date(row["last_statement_on"]), row["agency"]])
            ids.append(row["placement_id"])
        if ids:
            CollectionPlacement.update(exported_at=utcnow()).where(CollectionPlacement.id.in_(ids)).execute()
        audit.record("billing.collections.export", "billing_collection_placement", "export",
                     detail={"placements": len(ids), "all": include_all, "ids": ids[:500]})
    return len(ids)


_PLACED_TOTALS = (CollectionPlacement.select(fn.COUNT(SQL("*")), fn.SUM(CollectionPlacement.balance_cents))
                  .where(CollectionPlacement.status == "placed").tuples())
_LAST_SNAPSHOT = AgingSnapshot.select(fn.MAX(AgingSnapshot.snapshot_date)).tuples()


def last_snapshot_date() -> dt.date | None:
    """The day of the last nightly aging snapshot (None before the first)."""
    return ledger.as_date(prepared.scalar(_LAST_SNAPSHOT, "billing.aging.last_snapshot"))


def summary(stage_list: list[tuple[int, str]] | None = None) -> dict:
    """The collections page header: accounts with the agency (count and cents), the stages, the minimum
    and the day of the last nightly aging snapshot."""
    placed, placed_cents, refreshed = kept(COLLECTIONS.key, "summary", lambda: (
        *prepared.rows(_PLACED_TOTALS, "billing.collections.placed_totals")[0], last_snapshot_date()))
    return {"placed": int(placed or 0), "placed_cents": int(placed_cents or 0),
            "stages": stage_list or stages(), "refreshed": refreshed,
            "minimum": format_cents(int(settings.get("billing.statement_min_balance_cents", 500) or 0))}
