"""Payment plans: a balance paid in installments with due dates, and finding missed payments.

What a plan has received is the sum of the desk payments taken toward it (voided receipts left
out). Installments are met in order: installment k is paid once the payments reach the sum of
installments 1..k. A plan misses a payment when, ``billing.plan_grace_days`` after a due date,
the payments are short of everything due by then. An active plan holds the patient's
statements; it completes when fully paid.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from medoffice import SettingSpec, audit, prepared, settings
from medoffice.db import transaction, utcnow
from medoffice.money import format_cents
from medoffice.prepared import slot
from peewee import JOIN, fn

from . import aging, ledger
from .actor import acting_user
from .models import PatientPayment, PaymentPlan, PlanInstallment

FREQUENCIES = {"monthly": "Every month", "biweekly": "Every two weeks", "weekly": "Every week"}
STATUS_LABELS = {"active": "Active", "completed": "Paid off", "cancelled": "Cancelled"}
MAX_INSTALLMENTS = 60
PLAN_SETTINGS = [
    SettingSpec("billing.plan_grace_days", "Payment plans: days after a due date before a payment counts as missed",
                kind="int", default=5, minimum=0, maximum=90),
]


class PlanError(ValueError):
    """A plan change was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(first_due: dt.date, frequency: str, count: int) -> list[dt.date]:
    """The due dates of ``count`` installments from ``first_due`` (monthly keeps the day of the month)."""
    if frequency == "monthly":
        return [_add_months(first_due, n) for n in range(count)]
    step = {"weekly": 7, "biweekly": 14}[frequency]
    return [first_due + dt.timedelta(days=step * n) for n in range(count)]


def schedule(total_cents: int, installment_cents: int, frequency: str, first_due: dt.date) -> list[tuple[int, dt.date, int]]:
    """(number, due date, cents) of each installment; the last one takes what is left."""
    count = -(-total_cents // installment_cents)
    amounts = [installment_cents] * (count - 1) + [total_cents - installment_cents * (count - 1)]
    return [(n, day, cents) for n, (day, cents) in enumerate(zip(due_dates(first_due, frequency, count), amounts), 1)]


_ACTIVE_PLAN = (PaymentPlan.select().where((PaymentPlan.patient_id == slot("patient_id"))
                                           & (PaymentPlan.status == "active"))
                .order_by(PaymentPlan.id.desc()).limit(1))


def active_plan(patient_id: int) -> PaymentPlan | None:
    """The patient's active payment plan, if any."""
    return next(iter(prepared.run(_ACTIVE_PLAN, "billing.active_plan", patient_id=patient_id)), None)


def create_plan(patient_id: int, total_cents: int | None, installment_cents: int | None, frequency: str,
                first_due: dt.date | None, note: str = "") -> PaymentPlan:
    """Agree a plan for (part of) the patient's balance; audited.

    :raises PlanError: an active plan exists, the total is more than the patient owes, or the
        installments are too many, too small or start in the past.
    """
    today = settings.today()
    if active_plan(patient_id) is not None:
        raise PlanError("total", "The patient already has an active payment plan: cancel it first.")
    owed = ledger.patient_balances(patient_id).patient_cents
    if not total_cents or total_cents <= 0:
        raise PlanError("total", "Enter the amount the plan covers.")
    if total_cents > owed:
        raise PlanError("total", f"The patient owes {format_cents(max(owed, 0))}: a plan cannot cover more.")
    if not installment_cents or installment_cents <= 0:
        raise PlanError("installment", "Enter the amount of each installment.")
    if installment_cents > total_cents:
        raise PlanError("installment", "An installment cannot be more than the plan's total.")
    if frequency not in FREQUENCIES:
        raise PlanError("frequency", "Choose how often the patient pays.")
    if -(-total_cents // installment_cents) > MAX_INSTALLMENTS:
        raise PlanError("installment", f"That makes more than {MAX_INSTALLMENTS} installments: raise the installment.")
    if first_due is None or first_due < today:
        raise PlanError("first_due", "The first payment is due today or later.")
    if first_due > today + dt.timedelta(days=90):
        raise PlanError("first_due", "Start the plan within 90 days.")
    _, username = acting_user()
    with transaction():
        plan = PaymentPlan.create(patient_id=patient_id, total_cents=total_cents, installment_cents=installment_cents,
                                  frequency=frequency, start_date=today, note=(note or "").strip()[:200],
                                  created_by=username)
        rows = [{"plan": plan.id, "number": n, "due_date": day, "amount_cents": cents}
                for n, day, cents in schedule(total_cents, installment_cents, frequency, first_due)]
        PlanInstallment.insert_many(rows).execute()
        aging.mark_placed_or_planned(patient_id)
        audit.record("billing.plan.create", "billing_payment_plan", plan.id, patient_id=patient_id,
                     detail={"total_cents": total_cents, "installment_cents": installment_cents,
                             "frequency": frequency, "installments": len(rows), "first_due": first_due})
    return PaymentPlan.get_by_id(plan.id)


def end_plan(plan: PaymentPlan, status: str, reason: str) -> PaymentPlan:
    """Close an active plan as cancelled (with the reason) or completed; audited."""
    reason = (reason or "").strip()
    if status == "cancelled" and not reason:
        raise PlanError("reason", "Say why the plan ends.")
    with transaction():
        if not PaymentPlan.update(status=status, ended_at=utcnow(), end_reason=reason[:200]).where(
                (PaymentPlan.id == plan.id) & (PaymentPlan.status == "active")).execute():
            raise PlanError("reason", "The plan is not active any more.")
        aging.mark_placed_or_planned(plan.patient_id)
        audit.record(f"billing.plan.{'cancel' if status == 'cancelled' else 'complete'}", "billing_payment_plan",
                     plan.id, patient_id=plan.patient_id, detail={"reason": reason[:200]})
    return PaymentPlan.get_by_id(plan.id)


def _paid_query():
    return (PatientPayment.select(PatientPayment.plan, fn.SUM(PatientPayment.amount_cents).alias("paid"))
            .where((PatientPayment.kind == "payment") & PatientPayment.voided_at.is_null()
                   & PatientPayment.plan.is_null(False))
            .group_by(PatientPayment.plan))


def paid_toward(plan_ids) -> dict[int, int]:
    """Cents paid toward each plan (one GROUP BY)."""
    ids = sorted(set(plan_ids))
    if not ids:
        return {}
    slots, values = ledger.id_slots(ids)
    query = _paid_query().where(PatientPayment.plan.in_(slots)).tuples()
    return {pid: int(paid) for pid, paid in prepared.run(query, ("billing.plan_paid", len(ids)), **values)}


def complete_if_paid(plan_id: int) -> bool:
    """Mark an active plan completed once its payments reach its total; True when it did."""
    plan = PaymentPlan.get_or_none((PaymentPlan.id == plan_id) & (PaymentPlan.status == "active"))
    if plan is None or paid_toward([plan.id]).get(plan.id, 0) < plan.total_cents:
        return False
    end_plan(plan, "completed", "Paid in full.")
    return True


def complete_paid_off() -> int:
    """Mark completed every active plan whose payments reached its total; returns how many."""
    paid = _paid_query().alias("paid")
    done = list(PaymentPlan.select(PaymentPlan).join(paid, on=(paid.c.plan_id == PaymentPlan.id))
                .where((PaymentPlan.status == "active") & (paid.c.paid >= PaymentPlan.total_cents)))
    for plan in done:
        end_plan(plan, "completed", "Paid in full.")
    return len(done)


@dataclass(frozen=True)
class InstallmentState:
    """An installment and where it stands: paid, partly paid, missed, due (within grace) or upcoming."""

    number: int
    due_date: dt.date
    amount_cents: int
    covered_cents: int
    state: str


def progress(plan: PaymentPlan, today: dt.date | None = None) -> tuple[int, list[InstallmentState]]:
    """(cents paid toward the plan, each installment's state)."""
    today = today or settings.today()
    grace = dt.timedelta(days=int(settings.get("billing.plan_grace_days", 5) or 0))
    paid = paid_toward([plan.id]).get(plan.id, 0)
    left, states = paid, []
    for item in PlanInstallment.select().where(PlanInstallment.plan == plan.id).order_by(PlanInstallment.number):
        covered = max(0, min(item.amount_cents, left))
        left -= covered
        if covered >= item.amount_cents:
            state = "paid"
        elif item.due_date + grace < today and plan.status == "active":
            state = "missed"
        elif item.due_date <= today:
            state = "due"
        else:
            state = "partly paid" if covered else "upcoming"
        states.append(InstallmentState(item.number, item.due_date, item.amount_cents, covered, state))
    return paid, states


def missed_cutoff(today: dt.date) -> dt.date:
    """The due dates a payment counts as missed by on ``today``: before ``billing.plan_grace_days`` ago."""
    return today - dt.timedelta(days=int(settings.get("billing.plan_grace_days", 5) or 0))


def missed_query(today: dt.date):
    """Active plans whose payments fall short of what was due by ``today`` minus the grace days.

    Selects the plan with ``due`` (cents due by then), ``paid`` and ``last_due`` (the latest due date counted).
    """
    return missed_by(missed_cutoff(today))


def missed_by(cutoff):
    """Active plans whose payments fall short of what was due before ``cutoff`` (a date, or a slot for one);
    see :func:`missed_query`."""
    due = (PlanInstallment.select(PlanInstallment.plan.alias("plan_id"),
                                  fn.SUM(PlanInstallment.amount_cents).alias("due"),
                                  fn.MAX(PlanInstallment.due_date).alias("last_due"))
           .where(PlanInstallment.due_date < cutoff).group_by(PlanInstallment.plan)).alias("due")
    paid = _paid_query().alias("paid")
    paid_cents = fn.COALESCE(paid.c.paid, 0)
    return (PaymentPlan.select(PaymentPlan, due.c.due.alias("due"), paid_cents.alias("paid"),
                               due.c.last_due.alias("last_due"))
            .join(due, on=(due.c.plan_id == PaymentPlan.id))
            .join(paid, JOIN.LEFT_OUTER, on=(paid.c.plan_id == PaymentPlan.id))
            .where((PaymentPlan.status == "active") & (paid_cents < due.c.due)))


def missed_count(today: dt.date) -> int:
    """How many active plans have missed a payment (one query)."""
    return missed_query(today).count()


def flag_missed(today: dt.date) -> int:
    """Record each newly missed payment on its plan (audited, for follow-up); returns how many were new."""
    flagged = 0
    for plan in missed_query(today).objects():
        last_due = ledger.as_date(plan.last_due)
        if plan.missed_flagged_on == last_due:
            continue
        with transaction():
            PaymentPlan.update(missed_flagged_on=last_due).where(PaymentPlan.id == plan.id).execute()
            audit.record("billing.plan.missed", "billing_payment_plan", plan.id, patient_id=plan.patient_id,
                         detail={"due_cents": int(plan.due), "paid_cents": int(plan.paid), "due_date": last_due})
        flagged += 1
    return flagged
