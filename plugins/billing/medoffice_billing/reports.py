"""Billing reports through core's report registry; every figure is aggregated in SQL.

AR aging (by payer, by patient), days in AR, net collection rate, denial rate by payer x CARC x
procedure code, charges and receipts by provider and month, payer mix, end-of-day desk
payments and the statement run summary. Core renders each as a table, CSV, PDF and chart.
"""
from __future__ import annotations

import datetime as dt

from medoffice import ChartSpec, Column, ReportParam, ReportResult, ReportSpec, settings
from medoffice.db import db, is_sqlite
from medoffice.models import Patient, StaffMember
from peewee import JOIN, SQL, Case, Cast, Select, Value, Window, fn

from . import aging, payments
from .aging import BUCKET_KEYS, BUCKET_LABELS
from .ledger import LT, as_date, sum_if
from .models import Claim, ClaimLine, Encounter, Payer, ServiceLine, StatementRun
from .x12.codes import ADJUSTMENT_REASONS

PERMISSION = "billing.reports.view"
CATEGORY = "Billing"
SELF_PAY = "Self-pay"
RECEIPT_KINDS = ("payment", "patient_payment", "refund")
# Contractual allowances: the fee schedule's maximum (CARC 45) and sequestration (253); denials are not.
CONTRACTUAL_CARCS = ("45", "253")
BUCKET_COLUMNS = [Column(key, BUCKET_LABELS[key], "cents") for key in BUCKET_KEYS]


def share_basis_points(part: int, whole: int) -> int:
    """``part`` as a share of ``whole`` in basis points, rounded half up (0 when whole is 0)."""
    return (part * 20000 + whole) // (whole * 2) if whole > 0 else 0


def month_of(column):
    """The "YYYY-MM" of a date column, in SQL (the engines spell it differently)."""
    # The format is SQL text, not a parameter: PostgreSQL only matches a GROUP BY expression to the
    # selected one when they are written the same way.
    return fn.strftime(SQL("'%Y-%m'"), column) if is_sqlite() else fn.to_char(column, SQL("'YYYY-MM'"))


def check_range(start: dt.date, end: dt.date, **_) -> dict[str, str]:
    """The end date may not come before the start date, and a range spans at most ten years."""
    if end < start:
        return {"end": "The end date must be on or after the start date."}
    if (end - start).days > 3660:
        return {"start": "Choose at most ten years."}
    return {}


def _start_default() -> dt.date:
    today = settings.today()
    return today.replace(year=today.year - 1) + dt.timedelta(days=1) if not (today.month == 2 and today.day == 29) \
        else today - dt.timedelta(days=365)


def _range_params(start_default=_start_default):
    return [ReportParam("start", "From", kind="date", required=True, default=start_default),
            ReportParam("end", "To", kind="date", required=True, default=settings.today)]


def _totals(rows: list[dict], keys) -> dict:
    return {key: sum(int(r[key] or 0) for r in rows) for key in keys}


# --- AR aging -------------------------------------------------------------------------------------------

def ar_aging_payer(as_of: dt.date) -> ReportResult:
    """Insurance balances per payer, aged from the date of service."""
    rows = [{"payer": r["name"] or "(no claim)", **{k: int(r[k]) for k in BUCKET_KEYS}, "total": int(r["total"])}
            for r in aging.payer_aging_query(as_of).dicts() if r["total"]]
    return ReportResult(
        columns=[Column("payer", "Payer"), *BUCKET_COLUMNS, Column("total", "Total", "cents")],
        rows=rows, totals=_totals(rows, (*BUCKET_KEYS, "total")),
        chart=ChartSpec("stacked_bar", x="payer", series=BUCKET_KEYS, title="Insurance AR by payer and age"),
        notes="What each payer still owes, by days since the date of service. A line's balance belongs to the "
              "payer of the newest claim billing it.")


def ar_aging_patient(as_of: dt.date, min_balance: int | None = None, bucket: str | None = None) -> ReportResult:
    """Patient balances per patient, aged from the day each amount became the patient's."""
    minimum = max(1, (min_balance or 0) * 100)
    lines = aging.line_sums(as_of).alias("ls")
    query = (ServiceLine.select(*aging.patient_columns(lines, as_of, insurance=False), Patient.account_number,
                                Patient.last_name, Patient.first_name)
             .from_(lines).join(Patient, on=(Patient.id == lines.c.patient_id))
             .group_by(lines.c.patient_id, Patient.account_number, Patient.last_name, Patient.first_name)
             .having(fn.SUM(lines.c.pat) >= minimum))
    if bucket in BUCKET_KEYS:
        owes = lines.c.line_id.is_null(False) & (lines.c.pat > 0)
        cutoff = aging.bounds(as_of)[BUCKET_KEYS.index(bucket) - 1]  # older than the bucket before it
        query = query.having(fn.SUM(Case(None, [(owes & (lines.c.since < cutoff), lines.c.pat)], 0)) > 0)
    # Read as the driver's tuples: one report row per patient owing (tens of thousands), each cell converted once
    rows = [{"account": account, "patient": f"{last}, {first}", "b0": int(b0), "b1": int(b1), "b2": int(b2),
             "b3": int(b3), "b4": int(b4), "credit": int(credit), "total": int(total), "owed_since": as_date(since)}
            for _patient, total, credit, b0, b1, b2, b3, b4, since, account, last, first
            in db.execute_sql(*query.order_by(Patient.last_name, Patient.first_name).sql())]
    return ReportResult(
        columns=[Column("account", "Account"), Column("patient", "Patient"), *BUCKET_COLUMNS,
                 Column("credit", "Credit", "cents"), Column("total", "Balance", "cents"),
                 Column("owed_since", "Owed since", "date")],
        rows=rows, totals=_totals(rows, (*BUCKET_KEYS, "credit", "total")),
        notes="Patient responsibility only; each amount ages from the day it became the patient's "
              "(a copay from the day the payer's remittance moved it over).")


# --- Days in AR --------------------------------------------------------------------------------------------

def _month_start(month: str, back: int = 0) -> dt.date:
    """The first day of the month ``back`` months before "YYYY-MM"."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(month: str) -> dt.date:
    year, mon = int(month[:4]), int(month[5:7])
    first_next = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _months(first: dt.date, count: int) -> list[str]:
    """``count`` consecutive "YYYY-MM" from the month of ``first``."""
    year, month = first.year, first.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _calendar(months: list[str]):
    """A derived table with one row per month (so months without entries still show)."""
    rows = [Select(columns=[Cast(Value(m), "text").alias("month")]) for m in months]
    union = rows[0]
    for row in rows[1:]:
        union = union + row  # UNION ALL
    return union.alias("cal")


def days_in_ar(end: dt.date, months: int | None = 12) -> ReportResult:
    """Per month: charges, receipts, AR at the month's end and days in AR (AR / average daily charges
    over the three months to that month's end)."""
    months = max(1, min(int(months or 12), 60))
    first = end.replace(day=1)
    for _ in range(months + 1):  # two months before the first shown feed its three-month average
        first = (first - dt.timedelta(days=1)).replace(day=1)
    month = month_of(LT.effective_date)
    monthly = (LT.select(month.alias("month"), sum_if(LT.kind == "charge").alias("charges"),
                         sum_if(LT.kind.in_(RECEIPT_KINDS), 0 - LT.amount_cents).alias("receipts"),
                         fn.SUM(LT.amount_cents).alias("net"))
               .where((LT.effective_date >= first) & (LT.effective_date <= end))
               .group_by(month)).alias("m")
    calendar = _calendar(_months(first, months + 2))
    charges = fn.COALESCE(monthly.c.charges, 0)
    opening = LT.select(fn.COALESCE(fn.SUM(LT.amount_cents), 0)).where(LT.effective_date < first)
    running = fn.SUM(fn.COALESCE(monthly.c.net, 0)).over(order_by=[calendar.c.month])
    trailing = fn.SUM(charges).over(order_by=[calendar.c.month], start=Window.preceding(2), end=Window.CURRENT_ROW)
    query = (LT.select(calendar.c.month, charges.alias("charges"),
                       fn.COALESCE(monthly.c.receipts, 0).alias("receipts"),
                       (running + opening).alias("ar"), trailing.alias("trailing"))
             .from_(calendar).join(monthly, JOIN.LEFT_OUTER, on=(monthly.c.month == calendar.c.month))
             .order_by(calendar.c.month))
    rows = []
    for r in list(query.dicts())[-months:]:
        month_end = min(_month_end(r["month"]), end)
        daily = int(r["trailing"]) / ((month_end - _month_start(r["month"], back=2)).days + 1)
        rows.append({"month": r["month"], "charges": int(r["charges"]), "receipts": int(r["receipts"]),
                     "ar": int(r["ar"]), "days": round(int(r["ar"]) / daily) if daily > 0 else None})
    return ReportResult(
        columns=[Column("month", "Month"), Column("charges", "Charges", "cents"), Column("receipts", "Receipts", "cents"),
                 Column("ar", "AR at month end", "cents"), Column("days", "Days in AR", "int")],
        rows=rows, totals=_totals(rows, ("charges", "receipts")),
        chart=ChartSpec("line", x="month", series=("days",), title="Days in AR"),
        notes="Days in AR = AR at the month's end ÷ average daily charges over the three months to then. "
              "Receipts are insurance and patient payments less refunds.")


# --- Collection and denial rates -------------------------------------------------------------------------

def primary_payers():
    """Per service line, the payer of its first primary claim (void claims aside)."""
    first = (ClaimLine.select(ClaimLine.service_line.alias("line_id"), fn.MIN(ClaimLine.claim).alias("claim_id"))
             .join(Claim).where((Claim.responsibility == "P") & (Claim.frequency_code != "8"))
             .group_by(ClaimLine.service_line)).alias("first_claim")
    return first


def net_collection_rate(start: dt.date, end: dt.date) -> ReportResult:
    """By primary payer, for services in the range: payments / (charges - contractual adjustments)."""
    first = primary_payers()
    payer = fn.COALESCE(Payer.name, SELF_PAY)
    contractual = (LT.kind == "adjustment") & (LT.group_code == "CO") & LT.carc.in_(CONTRACTUAL_CARCS)
    query = (ServiceLine.select(payer.alias("payer"), sum_if(LT.kind == "charge").alias("charges"),
                                sum_if(contractual, 0 - LT.amount_cents).alias("contractual"),
                                sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("insurance_paid"),
                                sum_if(LT.kind == "patient_payment", 0 - LT.amount_cents).alias("patient_paid"))
             .join(LT, on=(LT.service_line == ServiceLine.id))
             .join(first, JOIN.LEFT_OUTER, on=(first.c.line_id == ServiceLine.id))
             .join(Claim, JOIN.LEFT_OUTER, on=(Claim.id == first.c.claim_id))
             .join(Payer, JOIN.LEFT_OUTER, on=(Payer.id == Claim.payer))
             .where(ServiceLine.service_date.between(start, end))
             .group_by(Payer.name).order_by(Payer.name))
    rows = []
    for r in query.dicts():
        paid = int(r["insurance_paid"]) + int(r["patient_paid"])
        rows.append({"payer": r["payer"], "charges": int(r["charges"]), "contractual": int(r["contractual"]),
                     "insurance_paid": int(r["insurance_paid"]), "patient_paid": int(r["patient_paid"]),
                     "rate": share_basis_points(paid, int(r["charges"]) - int(r["contractual"]))})
    totals = _totals(rows, ("charges", "contractual", "insurance_paid", "patient_paid"))
    totals["rate"] = share_basis_points(totals["insurance_paid"] + totals["patient_paid"],
                                        totals["charges"] - totals["contractual"])
    return ReportResult(
        columns=[Column("payer", "Primary payer"), Column("charges", "Charges", "cents"),
                 Column("contractual", "Contractual adjustments", "cents"),
                 Column("insurance_paid", "Insurance paid", "cents"), Column("patient_paid", "Patients paid", "cents"),
                 Column("rate", "Net collection rate", "percent")],
        rows=rows, totals=totals,
        chart=ChartSpec("bar", x="payer", series=("rate",), title="Net collection rate by primary payer"),
        notes="For services dated in the range: (insurance + patient payments) ÷ (charges − contractual "
              "adjustments: CO-45 and CO-253). Denials and open balances lower the rate.")


def _era_lines(start: dt.date, end: dt.date, payer_id: int | None):
    """Per (claim, line, payer) adjudicated by an 835 in the range: what the payer paid (reversed postings aside)."""
    reversal = LT.alias("reversal")
    query = (LT.select(LT.claim.alias("claim_id"), LT.service_line.alias("line_id"), LT.payer.alias("payer_id"),
                       sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("paid"))
             .where((LT.source == "era") & LT.claim.is_null(False) & LT.reverses.is_null()
                    & LT.effective_date.between(start, end)
                    & ~fn.EXISTS(reversal.select(reversal.id).where(reversal.reverses == LT.id)))
             .group_by(LT.claim, LT.service_line, LT.payer))
    if payer_id:
        query = query.where(LT.payer == payer_id)
    return query


def denial_rate(start: dt.date, end: dt.date, payer: str | None = None) -> ReportResult:
    """Denied lines per payer, reason (CARC) and procedure code, against the lines that payer adjudicated."""
    payer_id = int(payer) if payer and payer.isdecimal() else None
    era = _era_lines(start, end, payer_id).cte("era", columns=("claim_id", "line_id", "payer_id", "paid"))
    per_code = (ServiceLine.select(era.c.payer_id.alias("payer_id"), ServiceLine.code.alias("code"),
                                   fn.COUNT(era.c.line_id).alias("lines"))
                .from_(era).join(ServiceLine, on=(ServiceLine.id == era.c.line_id))
                .group_by(era.c.payer_id, ServiceLine.code)).cte("per_code", columns=("payer_id", "code", "lines"))
    reasons = (LT.select(era.c.payer_id.alias("payer_id"), era.c.line_id.alias("line_id"), LT.carc.alias("carc"),
                         fn.SUM(0 - LT.amount_cents).alias("cents"))
               .from_(era)
               .join(LT, on=((LT.claim == era.c.claim_id) & (LT.service_line == era.c.line_id)))
               .where((era.c.paid == 0) & LT.kind.in_(("adjustment", "writeoff")) & (LT.group_code != "PR")
                      & (LT.source == "era") & (LT.carc != "") & LT.reverses.is_null())
               .group_by(era.c.payer_id, era.c.line_id, era.c.claim_id, LT.carc)
               ).cte("reasons", columns=("payer_id", "line_id", "carc", "cents"))
    query = (Payer.select(Payer.name.alias("payer"), reasons.c.carc.alias("carc"), ServiceLine.code.alias("code"),
                          fn.COUNT(reasons.c.line_id).alias("denied"), fn.SUM(reasons.c.cents).alias("cents"),
                          per_code.c.lines.alias("adjudicated"))
             .join(reasons, on=(reasons.c.payer_id == Payer.id))
             .join(ServiceLine, on=(ServiceLine.id == reasons.c.line_id))
             .join(per_code, on=((per_code.c.payer_id == Payer.id) & (per_code.c.code == ServiceLine.code)))
             .group_by(Payer.name, reasons.c.carc, ServiceLine.code, per_code.c.lines)
             .order_by(Payer.name, fn.COUNT(reasons.c.line_id).desc(), reasons.c.carc, ServiceLine.code)
             .with_cte(era, per_code, reasons))
    rows = [{"payer": r["payer"], "carc": r["carc"], "reason": ADJUSTMENT_REASONS.get(r["carc"], "")[:80],
             "code": r["code"], "denied": int(r["denied"]), "adjudicated": int(r["adjudicated"]),
             "cents": int(r["cents"] or 0), "rate": share_basis_points(int(r["denied"]), int(r["adjudicated"]))}
            for r in query.dicts()]
    return ReportResult(
        columns=[Column("payer", "Payer"), Column("carc", "CARC"), Column("reason", "Reason"), Column("code", "Code"),
                 Column("denied", "Lines denied", "int"), Column("adjudicated", "Lines adjudicated", "int"),
                 Column("rate", "Denial rate", "percent"), Column("cents", "Amount denied", "cents")],
        rows=rows, totals=_totals(rows, ("denied", "cents")),
        notes="A line is denied when an 835 in the range paid nothing on it; each reason (CARC, groups CO, OA and "
              "PI) it gave counts once. The rate is against every line of that code the payer adjudicated.")


def _payer_choices():
    return [(str(p.id), p.name) for p in Payer.select(Payer.id, Payer.name).order_by(Payer.name)]


# --- Charges, receipts and mix ---------------------------------------------------------------------------

def charges_and_receipts(start: dt.date, end: dt.date, provider: int | None = None) -> ReportResult:
    """Charges (by date of service) and receipts (by payment date) per rendering provider and month."""
    month = month_of(LT.effective_date)
    query = (LT.select(month.alias("month"), StaffMember.last_name, StaffMember.first_name,
                       sum_if(LT.kind == "charge").alias("charges"),
                       sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("insurance"),
                       sum_if(LT.kind.in_(("patient_payment", "refund")) & (LT.party == "patient"),
                              0 - LT.amount_cents).alias("patient"))
             .join(ServiceLine, JOIN.LEFT_OUTER, on=(ServiceLine.id == LT.service_line))
             .join(Encounter, JOIN.LEFT_OUTER, on=(Encounter.id == ServiceLine.encounter))
             .join(StaffMember, JOIN.LEFT_OUTER, on=(StaffMember.id == Encounter.rendering_provider_id))
             .where(LT.effective_date.between(start, end) & LT.kind.in_(("charge", *RECEIPT_KINDS)))
             .group_by(month, StaffMember.last_name, StaffMember.first_name)
             .order_by(month, StaffMember.last_name, StaffMember.first_name))
    if provider is not None:
        query = query.where(Encounter.rendering_provider_id == provider)
    rows = [{"month": r["month"],
             "provider": f"{r['last_name']}, {r['first_name']}" if r["last_name"] else "(no provider)",
             "charges": int(r["charges"]), "insurance": int(r["insurance"]), "patient": int(r["patient"]),
             "receipts": int(r["insurance"]) + int(r["patient"])} for r in query.dicts()]
    return ReportResult(
        columns=[Column("month", "Month"), Column("provider", "Rendering provider"), Column("charges", "Charges", "cents"),
                 Column("insurance", "Insurance receipts", "cents"), Column("patient", "Patient receipts", "cents"),
                 Column("receipts", "Total receipts", "cents")],
        rows=rows, totals=_totals(rows, ("charges", "insurance", "patient", "receipts")),
        chart=ChartSpec("bar", x="month", series=("charges", "receipts"), title="Charges and receipts"),
        notes="Patient receipts are desk payments less refunds; credit not yet applied to a visit shows under "
              "(no provider).")


def payer_mix(start: dt.date, end: dt.date) -> ReportResult:
    """Encounters and charges per primary payer (or self-pay) for services in the range."""
    first = primary_payers()
    payer = fn.COALESCE(Payer.name, SELF_PAY)
    query = (ServiceLine.select(payer.alias("payer"), fn.COUNT(fn.DISTINCT(ServiceLine.encounter)).alias("encounters"),
                                fn.SUM(ServiceLine.charge_cents).alias("charges"))
             .join(first, JOIN.LEFT_OUTER, on=(first.c.line_id == ServiceLine.id))
             .join(Claim, JOIN.LEFT_OUTER, on=(Claim.id == first.c.claim_id))
             .join(Payer, JOIN.LEFT_OUTER, on=(Payer.id == Claim.payer))
             .join(Encounter, on=(Encounter.id == ServiceLine.encounter))
             .where(ServiceLine.service_date.between(start, end) & (ServiceLine.active == True)  # noqa: E712
                    & (Encounter.status == "posted"))
             .group_by(Payer.name).order_by(fn.SUM(ServiceLine.charge_cents).desc()))
    rows = [{"payer": r["payer"], "encounters": int(r["encounters"]), "charges": int(r["charges"])} for r in query.dicts()]
    totals = _totals(rows, ("encounters", "charges"))
    for row in rows:
        row["share"] = share_basis_points(row["charges"], totals["charges"])
    totals["share"] = 10000 if totals["charges"] else 0
    return ReportResult(
        columns=[Column("payer", "Primary payer"), Column("encounters", "Encounters", "int"),
                 Column("charges", "Charges", "cents"), Column("share", "Share of charges", "percent")],
        rows=rows, totals=totals, chart=ChartSpec("pie", x="payer", series=("charges",), title="Payer mix"),
        notes="Posted encounters with a date of service in the range, by the payer of their first primary claim.")


# --- The desk and statements -------------------------------------------------------------------------------

def end_of_day(start: dt.date, end: dt.date) -> ReportResult:
    """Desk payments and refunds per user and method (voided receipts left out)."""
    rows = [{"user": r["user"] or "(unknown)", "method": payments.METHODS.get(r["method"], r["method"]),
             "payments": int(r["payments"]), "payment_cents": int(r["payment_cents"]),
             "refunds": int(r["refunds"]), "refund_cents": int(r["refund_cents"]), "net": int(r["net_cents"])}
            for r in payments.end_of_day(start, end)]
    return ReportResult(
        columns=[Column("user", "Taken by"), Column("method", "Method"), Column("payments", "Payments", "int"),
                 Column("payment_cents", "Received", "cents"), Column("refunds", "Refunds", "int"),
                 Column("refund_cents", "Refunded", "cents"), Column("net", "Net", "cents")],
        rows=rows, totals=_totals(rows, ("payments", "payment_cents", "refunds", "refund_cents", "net")),
        notes="Count the drawer against the cash and check rows; card rows match the card terminal's batch.")


def statement_runs(start: dt.date, end: dt.date) -> ReportResult:
    """Each statement run in the range with who got a statement and why others did not."""
    keys = ("considered", "statements", "total_cents", "below_minimum", "not_due", "held_insurance",
            "held_plan", "held_manual", "held_collections")
    # The totals come with the rows (window sums over the range): one query.
    query = (StatementRun.select(StatementRun.id, StatementRun.run_date, StatementRun.trigger, StatementRun.username,
                                 *(getattr(StatementRun, k) for k in keys),
                                 *(fn.SUM(getattr(StatementRun, k)).over().alias(f"sum_{k}") for k in keys))
             .where(StatementRun.run_date.between(start, end))
             .order_by(StatementRun.run_date.desc(), StatementRun.id.desc()))
    found = list(query.dicts())
    rows = [{"run": r["id"], "date": r["run_date"], "trigger": r["trigger"], "user": r["username"],
             **{k: int(r[k]) for k in keys}} for r in found]
    sums = {k: int(found[0][f"sum_{k}"]) if found else 0 for k in keys}
    return ReportResult(
        columns=[Column("run", "Run", "int"), Column("date", "Date", "date"), Column("trigger", "Started from"),
                 Column("user", "By"), Column("considered", "Owing", "int"), Column("statements", "Statements", "int"),
                 Column("total_cents", "Billed", "cents"), Column("below_minimum", "Below minimum", "int"),
                 Column("not_due", "Not due yet", "int"), Column("held_insurance", "Held: insurance", "int"),
                 Column("held_plan", "Held: plan", "int"), Column("held_manual", "Held: by hand", "int"),
                 Column("held_collections", "Held: agency", "int")],
        rows=rows, totals=sums)


def billing_reports() -> list[ReportSpec]:
    """The billing reports."""
    as_of = [ReportParam("as_of", "As of", kind="date", required=True, default=settings.today)]
    buckets = [(key, f"{BUCKET_LABELS[key]} or older") for key in BUCKET_KEYS[1:]]
    return [
        ReportSpec("billing.ar_aging_payer", "AR aging by payer", PERMISSION, ar_aging_payer, category=CATEGORY,
                   description="What each payer owes, in buckets of 0-30 to over 120 days.", params=as_of),
        ReportSpec("billing.ar_aging_patient", "AR aging by patient", PERMISSION, ar_aging_patient, category=CATEGORY,
                   description="What each patient owes, aged from the day it became theirs.",
                   params=[*as_of, ReportParam("min_balance", "Owes at least ($)", kind="int", default=0),
                           ReportParam("bucket", "With an amount", kind="choice", choices=buckets)]),
        ReportSpec("billing.days_in_ar", "Days in AR", PERMISSION, days_in_ar, category=CATEGORY,
                   description="AR at each month's end against average daily charges.",
                   params=[ReportParam("end", "Up to", kind="date", required=True, default=settings.today),
                           ReportParam("months", "Months", kind="int", default=12)]),
        ReportSpec("billing.net_collection_rate", "Net collection rate", PERMISSION, net_collection_rate,
                   category=CATEGORY, check=check_range, params=_range_params(),
                   description="Payments against charges less contractual adjustments, by primary payer."),
        ReportSpec("billing.denial_rate", "Denial rate by payer, reason and code", PERMISSION, denial_rate,
                   category=CATEGORY, check=check_range,
                   params=[*_range_params(), ReportParam("payer", "Payer", kind="choice", choices=_payer_choices)],
                   description="Lines denied by 835s, by payer × CARC × procedure code."),
        ReportSpec("billing.charges_receipts", "Charges and receipts by provider and month", PERMISSION,
                   charges_and_receipts, category=CATEGORY, check=check_range,
                   params=[*_range_params(), ReportParam("provider", "Rendering provider", kind="provider")],
                   description="Charges by date of service and money received by payment date."),
        ReportSpec("billing.payer_mix", "Payer mix", PERMISSION, payer_mix, category=CATEGORY, check=check_range,
                   params=_range_params(), description="Encounters and charges per primary payer."),
        ReportSpec("billing.end_of_day", "End-of-day desk payments", PERMISSION, end_of_day, category=CATEGORY,
                   check=check_range, params=_range_params(settings.today),
                   description="Patient payments and refunds by method and by who took them."),
        ReportSpec("billing.statement_runs", "Statement runs", PERMISSION, statement_runs, category=CATEGORY,
                   check=check_range, params=_range_params(),
                   description="Each run's statements, amounts and the patients held back, by reason."),
    ]
