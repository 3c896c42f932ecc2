"""Patient statements: who gets one, what it says, and one PDF per patient (never two patients in
one document).

A run (batch from the web, the CLI or the nightly job) looks at every patient who owes
something, in SQL, and sorts them out in this order:

1. below ``billing.statement_min_balance_cents``: no statement;
2. held: the account is with a collection agency, on a manual hold, on an active payment plan,
   or a claim still waits on a payer (the patient is billed once the payers have decided, so a
   statement never counts against a patient while insurance is pending);
3. statemented within ``billing.statement_cycle_days``: not due yet;
4. everyone else gets a statement.

The run is one ``billing_statement_run`` row with those counts; each statement is a
``billing_statement`` row (patient, run, amount, aging bucket, dunning stage) holding the
document's content as JSON, so a reprint shows what was mailed. PDFs go one file per patient
into a folder (a zip of that folder for download).
"""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from medoffice import SettingSpec, audit, prepared, settings
from medoffice.db import transaction, utcnow
from medoffice.filemodes import private_dir
from medoffice.markdown_service import render as render_markdown
from medoffice.models import Patient
from medoffice.prepared import slot
from peewee import SQL, Select, fn

from . import aging, collections, ledger
from .actor import acting_user
from .ledger import LT, sum_if
from .models import (Claim, CollectionPlacement, Fee, GoodFaithEstimate, PatientAccount, PatientPayment, PaymentPlan, ServiceLine, Statement,
                     StatementHold, StatementRun)

STYLESHEET = Path(__file__).resolve().parent / "static" / "statement.css"
CHUNK = 500
DEFAULT_MESSAGES = {
    "b0": "Thank you for choosing our practice. This is what remains after your insurance. "
          "Please pay by the due date, or call us to talk about a payment plan.",
    "b1": "Your balance is now more than 30 days old. Please pay it, or call us if you have a question about it.",
    "b2": "Your balance is more than 60 days old. Please pay now, or call us today to set up a payment plan.",
    "b3": "**Your balance is more than 90 days past due.** Please pay now or call us: without payment or a "
          "payment plan, the account may be referred to a collection agency.",
    "b4": "**Final notice.** Your balance is more than 120 days past due. Unless it is paid or you call us within "
          "10 days, the account will be referred to a collection agency.",
}
STATEMENT_SETTINGS = [
    SettingSpec("billing.statement_cycle_days", "Statements: days between two statements to the same patient",
                kind="int", default=30, minimum=1, maximum=365),
    SettingSpec("billing.statement_min_balance_cents", "Statements: smallest balance that gets a statement",
                kind="cents", default=500, minimum=1, maximum=100_000_00),
    SettingSpec("billing.statement_due_days", "Statements: days the patient has to pay", kind="int", default=21,
                minimum=0, maximum=365),
    *(SettingSpec(f"billing.statement_message_{key}", f"Statement message when the oldest amount is "
                  f"{aging.BUCKET_LABELS[key].lower()} old", kind="markdown", default=text)
      for key, text in DEFAULT_MESSAGES.items()),
]
HOLD_REASONS = {
    "collections": "With a collection agency", "manual": "Held by hand", "plan": "On a payment plan",
    "insurance": "Insurance still pending",
    "dispute": "Billed $400 or more over a Good Faith Estimate (dispute process)",
}


class StatementError(ValueError):
    """A statement action was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def minimum_cents() -> int:
    """The smallest balance that gets a statement."""
    return int(settings.get("billing.statement_min_balance_cents", 500) or 0)


def cycle_days() -> int:
    """Days between two statements to the same patient."""
    return int(settings.get("billing.statement_cycle_days", 30) or 0)


# --- Who gets a statement ---------------------------------------------------------------------------

@dataclass
class Sorting:
    """A run's patients sorted out: those who get a statement (aging rows) and the counts of the rest."""

    due: list[dict] = field(default_factory=list)
    considered: int = 0
    below_minimum: int = 0
    not_due: int = 0
    held: dict[str, int] = field(default_factory=lambda: {key: 0 for key in HOLD_REASONS})


def _ids(query) -> set[int]:
    return {pid for (pid,) in query.tuples()}


def _holds(as_of: dt.date) -> dict:
    """Per hold reason: the table and the condition that holds a patient's statements."""
    return {
        "collections": (CollectionPlacement, CollectionPlacement.status == "placed"),
        "manual": (StatementHold, StatementHold.until.is_null() | (StatementHold.until >= as_of)),
        "plan": (PaymentPlan, PaymentPlan.status == "active"),
        "insurance": (Claim, Claim.status.in_(ledger.PENDING_CLAIM_STATES) & (Claim.frequency_code != "8")),
        "dispute": (GoodFaithEstimate, GoodFaithEstimate.dispute_flagged_on.is_null(False)
                    & GoodFaithEstimate.dispute_closed_on.is_null()),
    }


def hold_sets(as_of: dt.date) -> dict[str, set[int]]:
    """Patient ids held from statements, by reason (small tables, and the patients with pending claims)."""
    return {key: _ids(model.select(model.patient_id).where(condition).distinct())
            for key, (model, condition) in _holds(as_of).items()}


def _hold_flags_query():
    patient_id = slot("patient_id")
    # besides the holds in force: whether a manual hold is on file at all (an expired one still shows)
    checks = {**_holds(slot("as_of")), "manual_on_file": (StatementHold, None)}

    def exists(model, condition):
        mine = model.patient_id == patient_id
        return fn.EXISTS(model.select(SQL("1")).where(mine if condition is None else mine & condition))

    return Select(columns=[exists(model, condition).alias(key) for key, (model, condition) in checks.items()]).tuples(), \
        tuple(checks)


# The ledger and the account panel ask on every view: one query of EXISTS, compiled once.
_HOLD_FLAGS, _HOLD_FLAG_KEYS = _hold_flags_query()


def hold_flags(patient_id: int, as_of: dt.date) -> dict[str, bool]:
    """Which holds keep the patient's statements back on ``as_of``, by reason (keys of ``HOLD_REASONS``),
    and ``manual_on_file``: whether a manual hold is recorded, even an expired one."""
    flags = next(iter(prepared.run(_HOLD_FLAGS, "billing.hold_flags", patient_id=patient_id, as_of=as_of)))
    return {key: bool(flag) for key, flag in zip(_HOLD_FLAG_KEYS, flags)}


def hold_reasons(patient_id: int, as_of: dt.date) -> list[str]:
    """Why the patient would not get a statement in a run now (empty: nothing holds it)."""
    flags = hold_flags(patient_id, as_of)
    return [HOLD_REASONS[key] for key in _HOLD_FLAG_KEYS if key in HOLD_REASONS and flags[key]]


def last_statement_dates(patient_ids=None) -> dict[int, dt.date]:
    """Each patient's latest statement date (one GROUP BY)."""
    query = Statement.select(Statement.patient_id, fn.MAX(Statement.statement_date)).group_by(Statement.patient_id)
    if patient_ids is not None:
        query = query.where(Statement.patient_id.in_(list(patient_ids)))
    return {pid: ledger.as_date(day) for pid, day in query.tuples()}


def sort_patients(as_of: dt.date) -> Sorting:
    """Sort every patient who owes something (live aging from the ledger) into the run's groups: what a
    run does, and what the statements page previews."""
    rows = [r for r in aging.patient_aging_query(as_of).dicts() if r["patient_cents"] > 0]
    minimum, cycle = minimum_cents(), cycle_days()
    holds = hold_sets(as_of)
    last = last_statement_dates()
    result = Sorting(considered=len(rows))
    for row in rows:
        pid = row["patient_id"]
        if row["patient_cents"] < minimum:
            result.below_minimum += 1
            continue
        reason = next((key for key in HOLD_REASONS if pid in holds[key]), None)
        if reason:
            result.held[reason] += 1
        elif pid in last and last[pid] > as_of - dt.timedelta(days=cycle):
            result.not_due += 1
        else:
            result.due.append(row)
    return result


# --- What a statement says ----------------------------------------------------------------------------

def practice_details() -> dict:
    """The practice's name, address lines and phone as statements and receipts print them."""
    city = " ".join(x for x in (f"{settings.get('core.city', '') or ''},", settings.get("core.state", "") or "",
                                settings.get("core.zip", "") or "") if x and x != ",")
    lines = [settings.get("core.address1", "") or "", settings.get("core.address2", "") or "", city]
    return {"name": settings.get("core.practice_name", "") or "", "lines": [l for l in lines if l],
            "phone": settings.get("core.phone", "") or ""}


def _mail_to(patient: Patient, account: PatientAccount | None) -> dict:
    if account is not None and account.guarantor_relationship != "18" and account.guarantor_last_name:
        name = f"{account.guarantor_first_name} {account.guarantor_last_name}".strip()
        city = f"{account.guarantor_city}, {account.guarantor_state} {account.guarantor_zip}".strip(", ")
        lines = [account.guarantor_address1, account.guarantor_address2, city]
    else:
        name = f"{patient.first_name} {patient.last_name}"
        lines = [patient.address1, patient.address2, f"{patient.city}, {patient.state} {patient.zip}".strip(", ")]
    return {"name": name, "lines": [l for l in lines if l and l.strip()]}


def _open_items(patient_ids: list[int]) -> dict[int, list[dict]]:
    """Per patient, the service lines the patient still owes on (one query per chunk)."""
    descriptions = {code: text for code, text in Fee.select(Fee.code, Fee.description).where(Fee.modifier == "")
                    .tuples()}
    pat = sum_if(LT.party == "patient")
    query = (ServiceLine.select(ServiceLine.patient_id, ServiceLine.id, ServiceLine.service_date, ServiceLine.code,
                                sum_if(LT.kind == "charge").alias("charge"),
                                sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("ins_paid"),
                                sum_if(LT.kind.in_(("adjustment", "writeoff")), 0 - LT.amount_cents).alias("adjusted"),
                                sum_if(LT.kind == "patient_payment", 0 - LT.amount_cents).alias("pat_paid"),
                                pat.alias("owed"))
             .join(LT, on=(LT.service_line == ServiceLine.id))
             .where(ServiceLine.patient_id.in_(patient_ids))
             .group_by(ServiceLine.patient_id, ServiceLine.id, ServiceLine.service_date, ServiceLine.code)
             .having(pat != 0)
             .order_by(ServiceLine.service_date, ServiceLine.id))
    items: dict[int, list[dict]] = {}
    for pid, _line, day, code, charge, ins_paid, adjusted, pat_paid, owed in query.tuples():
        items.setdefault(pid, []).append({
            "date": ledger.as_date(day).isoformat(), "code": code, "description": descriptions.get(code, ""),
            "charge": int(charge), "insurance_paid": int(ins_paid), "adjusted": int(adjusted),
            "patient_paid": int(pat_paid), "owed": int(owed)})
    return items


def _recent_payments(patient_ids: list[int], since: dict[int, dt.date], as_of: dt.date) -> dict[int, list[dict]]:
    """Per patient, desk payments since the last statement (the last 90 days for a first statement)."""
    earliest = min([*since.values(), as_of - dt.timedelta(days=90)])
    query = (PatientPayment.select().where(PatientPayment.patient_id.in_(patient_ids)
                                           & (PatientPayment.kind == "payment") & PatientPayment.voided_at.is_null()
                                           & (PatientPayment.received_on > earliest)
                                           & (PatientPayment.received_on <= as_of))
             .order_by(PatientPayment.received_on, PatientPayment.id))
    found: dict[int, list[dict]] = {}
    for p in query:
        start = since.get(p.patient_id, as_of - dt.timedelta(days=90))
        if p.received_on > start:
            found.setdefault(p.patient_id, []).append({"date": p.received_on.isoformat(), "receipt": p.receipt_number,
                                                       "method": p.method, "amount": p.amount_cents})
    return found


def build_contents(rows: list[dict], as_of: dt.date) -> dict[int, dict]:
    """Statement contents for aging rows (patient id, balances, buckets), a few queries per chunk."""
    stage_list = collections.stages()
    due_days = int(settings.get("billing.statement_due_days", 21) or 0)
    practice = practice_details()
    messages = {key: settings.get(f"billing.statement_message_{key}", DEFAULT_MESSAGES[key]) or ""
                for key in aging.BUCKET_KEYS}
    contents = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        ids = [r["patient_id"] for r in chunk]
        patients = {p.id: p for p in Patient.select().where(Patient.id.in_(ids))}
        accounts = {a.patient_id: a for a in PatientAccount.select().where(PatientAccount.patient_id.in_(ids))}
        since = last_statement_dates(ids)
        items = _open_items(ids)
        paid = _recent_payments(ids, since, as_of)
        for row in chunk:
            pid = row["patient_id"]
            patient = patients[pid]
            oldest = ledger.as_date(row["oldest_on"])
            days = (as_of - oldest).days if oldest else 0
            bucket_key = aging.BUCKET_KEYS[aging.bucket_index(days)]
            contents[pid] = {
                "patient": {"id": pid, "name": f"{patient.first_name} {patient.last_name}",
                            "account_number": patient.account_number},
                "mail_to": _mail_to(patient, accounts.get(pid)), "practice": practice,
                "statement_date": as_of.isoformat(), "due_date": (as_of + dt.timedelta(days=due_days)).isoformat(),
                "items": items.get(pid, []), "payments": paid.get(pid, []),
                "credit": int(row["credit_cents"]), "insurance_pending": int(row["insurance_cents"]),
                "buckets": {key: int(row[key]) for key in aging.BUCKET_KEYS},
                "amount": int(row["patient_cents"]), "bucket": aging.bucket_label(days),
                "days_past_due": days, "stage": collections.stage_for(days, stage_list),
                "message": messages[bucket_key],
            }
    return contents


# --- Runs ------------------------------------------------------------------------------------------------

def _record(run: StatementRun, contents: dict[int, dict], as_of: dt.date) -> None:
    rows = [{"run": run.id, "patient_id": pid, "statement_date": as_of, "amount_cents": c["amount"],
             "bucket": c["bucket"], "dunning_stage": c["stage"], "content": json.dumps(c, sort_keys=True),
             "created_at": utcnow()} for pid, c in contents.items()]
    for start in range(0, len(rows), CHUNK):
        Statement.insert_many(rows[start:start + CHUNK]).execute()
    audit.record_many([{"action": "billing.statement.create", "object_type": "billing_statement_run",
                        "object_id": run.id, "patient_id": pid,
                        "detail": {"amount_cents": c["amount"], "bucket": c["bucket"], "stage": c["stage"]}}
                       for pid, c in contents.items()])


def default_folder(run: StatementRun) -> Path:
    """Where a run's PDFs go: ``statements/<date>-run<id>`` in the instance folder."""
    return Path(current_app.instance_path) / "statements" / f"{run.run_date.isoformat()}-run{run.id}"


def record_run(as_of: dt.date | None = None, trigger: str = "cli", username: str | None = None,
               user_id: int | None = None, progress=None) -> StatementRun:
    """Sort the patients out and record a statement for each one due, in one transaction; audited.

    The PDFs are not written (``run_statements`` does; a run's zip renders any that are missing).
    :param progress: ``progress(percent, message)`` for a background task, or None.
    """
    as_of = as_of or settings.today()
    if username is None:
        user_id, username = acting_user()
    report = progress or (lambda percent=None, message="": None)
    report(5, "Finding who owes what…")
    sorting = sort_patients(as_of)
    report(30, f"Recording {len(sorting.due)} statements…")
    with transaction():
        contents = build_contents(sorting.due, as_of)
        run = StatementRun.create(
            run_date=as_of, trigger=trigger, user_id=user_id, username=username or "", considered=sorting.considered,
            statements=len(contents), total_cents=sum(c["amount"] for c in contents.values()),
            below_minimum=sorting.below_minimum, not_due=sorting.not_due,
            held_insurance=sorting.held["insurance"], held_plan=sorting.held["plan"],
            held_manual=sorting.held["manual"], held_collections=sorting.held["collections"], finished_at=utcnow())
        _record(run, contents, as_of)
        audit.record("billing.statement.run", "billing_statement_run", run.id,
                     detail={"statements": len(contents), "trigger": trigger, "date": as_of})
    return run


def run_statements(as_of: dt.date | None = None, trigger: str = "cli", out_dir: Path | None = None,
                   username: str | None = None, user_id: int | None = None, progress=None) -> StatementRun:
    """A statement run (``record_run``), then one PDF per patient written into ``out_dir`` (default: the
    instance's statements folder)."""
    run = record_run(as_of, trigger, username, user_id, progress)
    folder = Path(out_dir) if out_dir else default_folder(run)
    write_pdfs(run, folder, progress)
    StatementRun.update(finished_at=utcnow(), output=str(folder)[:500]).where(StatementRun.id == run.id).execute()
    return StatementRun.get_by_id(run.id)


def patient_statement(patient_id: int, as_of: dt.date | None = None) -> Statement:
    """Record one patient's statement now (a run of one, trigger ``patient``), whatever holds it; audited.

    :raises StatementError: the patient owes nothing.
    """
    as_of = as_of or settings.today()
    rows = list(aging.patient_aging_query(as_of, patient_id).dicts())
    if not rows or rows[0]["patient_cents"] <= 0:
        raise StatementError("patient", "The patient owes nothing: there is no statement to send.")
    user_id, username = acting_user()
    with transaction():
        contents = build_contents(rows, as_of)
        run = StatementRun.create(run_date=as_of, trigger="patient", user_id=user_id, username=username,
                                  considered=1, statements=1, total_cents=contents[patient_id]["amount"],
                                  finished_at=utcnow())
        _record(run, contents, as_of)
    return Statement.get((Statement.run == run.id) & (Statement.patient_id == patient_id))


def preview_content(patient_id: int, as_of: dt.date | None = None) -> dict | None:
    """What the patient's statement would say today, without recording it (None: owes nothing)."""
    as_of = as_of or settings.today()
    rows = list(aging.patient_aging_query(as_of, patient_id).dicts())
    if not rows or rows[0]["patient_cents"] <= 0:
        return None
    return build_contents(rows, as_of)[patient_id]


# --- Documents --------------------------------------------------------------------------------------------

def content_of(statement: Statement) -> dict:
    """The statement as it was printed."""
    return json.loads(statement.content)


def statement_html(content: dict, statement_id: int | None = None) -> str:
    """The statement page (for WeasyPrint): exactly one patient's statement.

    Rendered by the template environment alone: runs happen outside requests (the command line,
    the nightly job, a background task), where the page shell's context is not available.
    """
    return current_app.jinja_env.get_template("billing/statement_pdf.html").render(s=content, statement_id=statement_id,
                           message=render_markdown(content.get("message", "")),
                           bucket_labels=aging.BUCKET_LABELS, bucket_keys=aging.BUCKET_KEYS)


def to_pdf(html: str, stylesheet: Path = STYLESHEET) -> bytes:
    """Render one document with WeasyPrint (no network or file access beyond the stylesheet)."""
    import weasyprint  # imported lazily: it loads pango at import time

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(stylesheet))])


def statement_pdf(statement: Statement) -> bytes:
    """One recorded statement as a PDF."""
    return to_pdf(statement_html(content_of(statement), statement.id))


def file_name(statement: Statement, content: dict | None = None) -> str:
    """The PDF's file name: the patient's account number, the date and the statement number."""
    content = content or content_of(statement)
    account = "".join(ch for ch in content["patient"]["account_number"] if ch.isalnum()) or "patient"
    return f"statement-{account}-{statement.statement_date.isoformat()}-{statement.id}.pdf"


def write_pdfs(run: StatementRun, folder: Path, progress=None) -> int:
    """Write each statement of the run to its own PDF in ``folder``; returns how many were written."""
    private_dir(folder)  # patients' statements: private to the account, as the instance folder is
    total = run.statements or 1
    written = 0
    query = Statement.select().where(Statement.run == run.id).order_by(Statement.id)
    for statement in query.iterator():
        content = content_of(statement)
        (folder / file_name(statement, content)).write_bytes(to_pdf(statement_html(content, statement.id)))
        written += 1
        if progress and written % 25 == 0:
            progress(30 + 70 * written // total, f"{written} of {run.statements} PDFs written…")
    return written


def zip_run(run: StatementRun, target) -> int:
    """Write a zip of the run's PDFs (one per patient) to the file object ``target``; returns the file count.

    PDFs missing from the run's folder (moved, or a run of one) are rendered again from the record.
    """
    folder = Path(run.output) if run.output else None
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for statement in Statement.select().where(Statement.run == run.id).order_by(Statement.id).iterator():
            name = file_name(statement)
            path = folder / name if folder else None
            data = path.read_bytes() if path is not None and path.is_file() else statement_pdf(statement)
            archive.writestr(name, data)
            count += 1
    return count


# --- Holds ------------------------------------------------------------------------------------------------

def set_hold(patient_id: int, reason: str, until: dt.date | None = None) -> StatementHold:
    """Hold the patient's statements by hand (until a date, or until released); audited."""
    reason = (reason or "").strip()
    if not reason:
        raise StatementError("reason", "Say why the statements are held.")
    if until is not None and until < settings.today():
        raise StatementError("until", "The hold must last until today or later.")
    _, username = acting_user()
    with transaction():
        StatementHold.insert(patient_id=patient_id, reason=reason[:200], until=until, created_by=username,
                             created_at=utcnow()).on_conflict(
            conflict_target=[StatementHold.patient_id],
            update={StatementHold.reason: reason[:200], StatementHold.until: until,
                    StatementHold.created_by: username, StatementHold.created_at: utcnow()}).execute()
        audit.record("billing.statement.hold", "patient", patient_id, patient_id=patient_id,
                     detail={"reason": reason[:200], "until": until})
    return StatementHold.get(StatementHold.patient_id == patient_id)


def release_hold(patient_id: int) -> None:
    """Release the patient's manual hold; audited."""
    with transaction():
        if not StatementHold.delete().where(StatementHold.patient_id == patient_id).execute():
            raise StatementError("reason", "The patient's statements are not held by hand.")
        audit.record("billing.statement.release", "patient", patient_id, patient_id=patient_id)


def manual_hold(patient_id: int) -> StatementHold | None:
    """The patient's manual hold, if any (an expired one still shows until released)."""
    return StatementHold.get_or_none(StatementHold.patient_id == patient_id)
