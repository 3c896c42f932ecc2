"""Demo data: payers, a fee schedule, code lists, patients' insurance, encounters and claims.

``small`` walks claims through every state with the real functions (history and audit
included). ``large`` (benchmarks) writes five years of charges for every patient with bulk
inserts in batches, one transaction per slice of patients. Descriptions are our own words:
no AMA CPT text ships here.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from medoffice import audit, settings
from medoffice.db import UTCDateTimeField, db, is_sqlite, transaction, utcnow
from medoffice.events import publish_all
from medoffice.models import Location, Patient, StaffMember, User
from peewee import Case, fn

from . import (aging, claims, collections, denials, encounters, estimates, ledger, numbering, payments, plans,
               statements, underpayments)
from .claims import ClaimError
from .coverage import save_coverage, save_guarantor
from .models import (Claim, ClaimDiagnosis, ClaimEvent, ClaimLine, CollectionPlacement, Coverage, Diagnosis,
                     Encounter, ExpectedAmount, Fee, LineTransaction, PatientPayment, Payer, PaymentPlan, PlanInstallment,
                     ServiceLine)
from .reference import import_codes, read_code_file
from .validators import npi_is_valid

DATA = Path(__file__).resolve().parent / "data"

# name, payer id, filing indicator, timely filing days, electronic, secondary electronic, allowed share (%)
PAYERS = [
    ("Medicare Part B (demo)", "DMB01", "MB", 365, True, True, 55),
    ("State Medicaid (demo)", "DMC01", "MC", 180, True, True, 45),
    ("Acme Health Plan", "ACME1", "CI", 90, True, True, 75),
    ("Blue Horizon PPO", "BHZ22", "BL", 180, True, True, 80),
    ("Summit Care HMO", "SUMHM", "HM", 120, True, False, 70),
    ("Prairie Mutual (paper claims)", "", "CI", 365, False, False, 72),
]

# code, modifier, charge in dollars (descriptions come from data/cpt_demo.csv, written by us)
FEES = [
    ("99202", "", 110), ("99203", "", 165), ("99204", "", 250), ("99205", "", 320), ("99211", "", 35),
    ("99212", "", 75), ("99213", "", 120), ("99214", "", 175), ("99215", "", 240), ("99395", "", 210),
    ("99396", "", 225), ("90471", "", 30), ("90686", "", 38), ("36415", "", 15), ("81002", "", 12),
    ("85025", "", 28), ("80053", "", 42), ("83036", "", 30), ("93000", "", 65), ("94010", "", 70),
    ("71046", "", 95), ("71046", "26", 35), ("11102", "", 150), ("17110", "", 135), ("20610", "", 140),
    ("J1030", "", 18), ("G0438", "", 245),
]

# Visit patterns: diagnoses and (code, modifiers, pointers) lines.
VISITS = [
    (["E119", "I10"], [("99214", [], [1, 2]), ("83036", [], [1]), ("36415", [], [1])]),
    (["J069"], [("99213", [], [1])]),
    (["M5450"], [("99213", ["25"], [1]), ("J1030", [], [1]), ("20610", ["RT"], [1])]),
    (["Z0000", "Z23"], [("99396", [], [1]), ("90686", [], [2]), ("90471", [], [2])]),
    (["E785", "I10"], [("99213", [], [1, 2]), ("80053", [], [1])]),
    (["J45909", "R059"], [("99214", [], [1, 2]), ("94010", [], [1]), ("71046", ["26"], [2])]),
    (["B079"], [("99212", ["25"], [1]), ("17110", [], [1])]),
    (["N390"], [("99213", [], [1]), ("81002", [], [1])]),
    (["F411"], [("99214", [], [1])]),
    (["L821"], [("99213", ["25"], [1]), ("11102", [], [1])]),
]

MEAN_LINES = sum(len(lines) for _, lines in VISITS) / len(VISITS)
FIRST_NAMES = ["Alex", "Jordan", "Sam", "Taylor", "Morgan", "Casey", "Robin", "Jamie", "Lee", "Drew"]
PRACTICE = {"core.practice_npi": "1234567893", "core.tax_id": "12-3456789", "core.address1": "100 Main Street",
            "core.city": "Springfield", "core.state": "IL", "core.zip": "62701-1234",
            # An invented clearinghouse, so the demo can create (test-usage) 837P files at once.
            "billing.x12_sender_id": "RIVERSIDEDEMO", "billing.x12_receiver_id": "DEMOCLEARING",
            "billing.x12_receiver_name": "DEMO CLEARINGHOUSE", "billing.x12_submitter_id": "RIVERSIDEDEMO",
            "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "5555550100",
            "billing.x12_usage": "T"}


def create_demo_data(ctx) -> None:
    """Create the demo set for ``ctx.size`` ("small" or "large")."""
    with transaction():
        payers = _payers()
        _fees(payers)
        import_codes("cpt", read_code_file("cpt", (DATA / "cpt_demo.csv").read_text(encoding="utf-8")))
        practice = {k: v for k, v in PRACTICE.items() if not settings.get(k)}
        zip_code = str(settings.get("core.zip") or "")
        if len(zip_code) == 5 and zip_code.isdecimal():
            practice["core.zip"] = f"{zip_code}-1234"  # electronic claims need the billing ZIP+4
        if practice:
            settings.set_many(practice)
    if ctx.size == "large":
        LargeDemo(ctx, payers).run()
        LargePatientSide(ctx).run()
    else:
        demo = SmallDemo(ctx, payers)
        demo.run()
        SmallPatientSide(demo).run()
        _estimates(ctx.today)


def _estimates(today: dt.date) -> None:
    """Two Good Faith Estimates for patients without insurance: one to deliver, one delivered."""
    insured = Coverage.select(Coverage.patient_id)
    patients = list(Patient.select().where((Patient.active == True) & Patient.id.not_in(insured))  # noqa: E712
                    .order_by(Patient.id).limit(2))
    provider = StaffMember.select().where(StaffMember.is_provider == True).order_by(StaffMember.id).first()  # noqa: E712
    for index, patient in enumerate(patients):
        estimate = estimates.create_estimate(patient.id, {
            "provider_id": provider.id if provider else None, "service_date": today + dt.timedelta(days=12 + index),
            "scheduled_on": today - dt.timedelta(days=index), "diagnosis_codes": "M54.50"},
            [("99214", 1), ("20610", 1), ("J1030", 1)])
        if index:
            estimates.deliver(estimate, "paper")


def _payers() -> list[Payer]:
    existing = {p.name: p for p in Payer.select()}
    result = []
    for name, payer_id, indicator, days, electronic, secondary, _share in PAYERS:
        payer = existing.get(name) or Payer.create(
            name=name, payer_id=payer_id, filing_indicator=indicator, timely_filing_days=days,
            electronic=electronic, secondary_electronic=secondary, address1="PO Box 1000",
            city="Springfield", state="IL", zip="62701")
        result.append(payer)
    return result


def _fees(payers: list[Payer]) -> None:
    descriptions = dict(read_code_file("cpt", (DATA / "cpt_demo.csv").read_text(encoding="utf-8")))
    existing = {(f.code, f.modifier) for f in Fee.select(Fee.code, Fee.modifier)}
    shares = {p.id: share for p, (*_, share) in zip(payers, PAYERS)}
    for code, modifier, dollars in FEES:
        if (code, modifier) in existing:
            continue
        fee = Fee.create(code=code, modifier=modifier, charge_cents=dollars * 100,
                         description=descriptions[code] + (" (professional part)" if modifier == "26" else ""))
        ExpectedAmount.insert_many([{"fee": fee.id, "payer": pid, "allowed_cents": dollars * share}
                                    for pid, share in shares.items()]).execute()


def _paid_share(claim_id: int, share: int) -> int:
    """The share of the charge the payer allowed: what the fee schedule expects, but four points less on one
    claim in forty, the underpayments a practice finds on its Underpayments page."""
    return share - 4 if claim_id % 40 == 7 else share


def _remit_rows(claim_id: int, patient_id: int, payer_id: int, lines: list[tuple[int, int]], share: int,
                patient_share_cents: int, day: dt.date, reference: str) -> list[dict]:
    """Ledger entries of a payer paying ``share`` % of each (service line id, charge) pair.

    The patient's part (copay) moves to the patient; the rest is a contractual write-down.
    """
    rows = []
    now = utcnow()
    base = {"patient_id": patient_id, "claim": claim_id, "payer": payer_id, "effective_date": day, "posted_at": now,
            "source": "era", "reference": reference}
    for index, (line_id, charge) in enumerate(lines):
        allowed = charge * share // 100
        patient_part = min(patient_share_cents, allowed) if index == 0 else 0
        paid = allowed - patient_part
        rows.append({**base, "kind": "payment", "party": "insurance", "service_line": line_id, "amount_cents": -paid,
                     "method": "eft"})
        if charge - allowed:
            rows.append({**base, "kind": "adjustment", "party": "insurance", "service_line": line_id,
                         "amount_cents": allowed - charge, "group_code": "CO", "carc": "45"})
        if patient_part:
            for party, sign in (("insurance", -1), ("patient", 1)):
                rows.append({**base, "kind": "transfer", "party": party, "service_line": line_id,
                             "amount_cents": sign * patient_part, "group_code": "PR", "carc": "3"})
    return rows


class SmallDemo:
    """A few dozen encounters and claims in every state, made with the real functions."""

    def __init__(self, ctx, payers: list[Payer]):
        self.ctx, self.rng, self.payers = ctx, ctx.rng, payers
        self.shares = {p.id: share for p, (*_, share) in zip(payers, PAYERS)}
        self.providers = [s.id for s in StaffMember.select(StaffMember.id).where(
            (StaffMember.is_provider == True) & (StaffMember.active == True)).order_by(StaffMember.id)]  # noqa: E712

    def run(self) -> None:
        patients = list(Patient.select().where(Patient.active == True).order_by(Patient.id).limit(400))  # noqa: E712
        if not patients:
            return
        with transaction():
            covered = self._coverage(patients)
        uncovered = [p for p in patients if p.id not in covered]
        plan = ["draft", "draft", "ready", "ready", "ready", "ready", "submitted", "submitted", "accepted",
                "rejected", "paid", "paid", "paid", "paid", "partially_paid", "partially_paid", "denied",
                "denied", "appealed", "closed", "corrected", "voided", "no_provider", "late"]
        covered_patients = [p for p in patients if p.id in covered]
        for index, goal in enumerate(plan):
            if not covered_patients:
                break
            patient = covered_patients[index % len(covered_patients)]
            with transaction():
                self._claim_in_state(patient, covered[patient.id], goal, index)
        for patient in uncovered[:3]:
            with transaction():
                encounter = self._encounter(patient, self.ctx.today - dt.timedelta(days=self.rng.randint(3, 40)))
                encounters.post_charges(encounter)

    def _coverage(self, patients) -> dict[int, Payer]:
        """Give about 85% of the patients a primary policy (some a secondary too); returns the primary payers."""
        primary = {}
        electronic = [p for p in self.payers if p.electronic]
        for patient in patients:
            if self.rng.random() >= 0.85:
                continue
            age = (self.ctx.today - patient.date_of_birth).days // 365
            payer = self.payers[0] if age >= 65 else self.rng.choice(self.payers[1:])
            values = {"payer": payer, "rank": 1, "member_id": f"{payer.payer_id or 'PM'}{self.rng.randint(10**7, 10**8 - 1)}",
                      "group_number": f"G{self.rng.randint(1000, 9999)}", "plan_name": "", "relationship": "18",
                      "effective_date": self.ctx.today - dt.timedelta(days=self.rng.randint(400, 2000)),
                      "end_date": None, "copay_cents": self.rng.choice([0, 2000, 2500, 3000])}
            if age < 18:
                values.update(relationship="19", subscriber_first_name=self.rng.choice(FIRST_NAMES),
                              subscriber_last_name=patient.last_name, subscriber_sex=self.rng.choice("FM"),
                              subscriber_date_of_birth=patient.date_of_birth - dt.timedelta(days=365 * 28),
                              subscriber_address1=patient.address1, subscriber_city=patient.city,
                              subscriber_state=patient.state, subscriber_zip=patient.zip)
                save_guarantor(patient.id, {
                    "guarantor_relationship": "19", "guarantor_first_name": values["subscriber_first_name"],
                    "guarantor_last_name": patient.last_name, "guarantor_address1": patient.address1,
                    "guarantor_city": patient.city, "guarantor_state": patient.state, "guarantor_zip": patient.zip,
                    "guarantor_phone": patient.phone})
            save_coverage(patient.id, values)
            primary[patient.id] = payer
            if self.rng.random() < 0.2:
                second = self.rng.choice([p for p in electronic if p.id != payer.id])
                # Medicare after an employer plan: "working aged" (12), the most common reason.
                save_coverage(patient.id, {**values, "payer": second, "rank": 2, "copay_cents": 0,
                                           "member_id": f"{second.payer_id}{self.rng.randint(10**7, 10**8 - 1)}",
                                           "msp_type": "12" if second.filing_indicator in ("MA", "MB") else ""})
        return primary

    def _encounter(self, patient, day: dt.date, provider: bool = True) -> Encounter:
        diagnoses, lines = self.rng.choice(VISITS)
        encounter = encounters.create_encounter(patient.id, {
            "service_date": day, "place_of_service": "11",
            "rendering_provider_id": self.rng.choice(self.providers) if provider and self.providers else None})
        for code in diagnoses:
            encounters.add_diagnosis(encounter, code)
        for code, modifiers, pointers in lines:
            encounters.add_line(encounter, {"code": code, "modifiers": modifiers, "units": 1, "charge_cents": None,
                                            "pointers": pointers})
        return Encounter.get_by_id(encounter.id)

    def _claim_in_state(self, patient, payer: Payer, goal: str, index: int) -> None:
        if goal == "late":
            limit = payer.timely_filing_days
            day = self.ctx.today - dt.timedelta(days=limit + 20)
        elif goal in ("draft", "ready", "no_provider"):
            day = self.ctx.today - dt.timedelta(days=self.rng.randint(1, 10))
        else:
            day = self.ctx.today - dt.timedelta(days=self.rng.randint(20, 75))
        encounter = self._encounter(patient, day, provider=goal != "no_provider")
        claim = claims.create_claim(encounter)
        path = {
            "draft": [], "no_provider": [], "late": [], "ready": ["ready"],
            "submitted": ["ready", "submitted"], "accepted": ["ready", "submitted", "accepted"],
            "rejected": ["ready", "submitted", "rejected"], "paid": ["ready", "submitted", "accepted", "paid"],
            "partially_paid": ["ready", "submitted", "accepted", "partially_paid"],
            "denied": ["ready", "submitted", "accepted", "denied"],
            "appealed": ["ready", "submitted", "accepted", "denied", "appealed"],
            "closed": ["ready", "submitted", "accepted", "paid", "closed"],
            "corrected": ["ready", "submitted", "accepted", "paid"], "voided": ["ready", "submitted", "accepted"],
        }[goal]
        reasons = {"rejected": "Clearinghouse: the subscriber id was not found.",
                   "denied": "CO-197: prior authorization was missing.",
                   "appealed": "Appeal sent with the visit notes and the referral.",
                   "closed": "Paid in full; nothing left to do."}
        try:
            for step in path:
                number = f"PCN{day:%y%m%d}{index:04d}" if step in ("accepted", "paid") else None
                claim = claims.transition(claim, step, reasons.get(step, ""), number)
        except ClaimError:
            return  # the scrubber stopped it (e.g. the practice's providers lack NPIs): it stays a draft
        if claim.status in ("paid", "closed", "partially_paid"):
            lines = [(l.service_line_id, l.charge_cents) for l in claims.claim_lines(claim)]
            if claim.status == "partially_paid":
                lines = lines[:1]
            share = _paid_share(claim.id, self.shares[payer.id])
            rows = _remit_rows(claim.id, claim.patient_id, payer.id, lines, share,
                               Coverage.get_by_id(claim.coverage_id).copay_cents, day + dt.timedelta(days=18),
                               f"EFT{claim.claim_number}")
            LineTransaction.insert_many(rows).execute()
        if goal == "corrected":
            claims.correct(claim, "The visit level was coded one step too high.")
        elif goal == "voided":
            claims.void(claim, "Billed to the wrong payer.")


class LargeDemo:
    """Five years of charges for every patient (>= 500,000 service lines), written in bulk."""

    TARGET_LINES = 520_000
    PATIENTS_PER_SLICE = 2_000
    YEARS = 5

    def __init__(self, ctx, payers: list[Payer]):
        self.ctx, self.rng, self.payers = ctx, ctx.rng, payers
        self.shares = {p.id: share for p, (*_, share) in zip(payers, PAYERS)}
        self.providers = [s.id for s in StaffMember.select(StaffMember.id, StaffMember.npi).where(
            (StaffMember.is_provider == True) & (StaffMember.npi != "")).order_by(StaffMember.id)  # noqa: E712
            if npi_is_valid(s.npi or "")] or [None]
        self.fees = {(f.code, f.modifier): f.charge_cents for f in Fee.select()}

    def run(self) -> None:
        patients = list(Patient.select(Patient.id, Patient.date_of_birth).where(Patient.active == True)  # noqa: E712
                        .order_by(Patient.id).tuples())
        if not patients:
            return
        per_patient = self.TARGET_LINES / len(patients)
        ids = {model: (model.select(fn.MAX(model.id)).scalar() or 0) + 1
               for model in (Coverage, Encounter, ServiceLine, Claim)}
        written = 0
        for start in range(0, len(patients), self.PATIENTS_PER_SLICE):
            chunk = patients[start:start + self.PATIENTS_PER_SLICE]
            wanted = round(per_patient * (start + len(chunk))) - written
            with transaction():
                written += self._slice(chunk, ids, wanted)
        if not is_sqlite():
            for model in (Coverage, Encounter, ServiceLine, Claim):
                table = model._meta.table_name
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        audit.record("billing.demo.large", "billing", "demo", detail={"patients": len(patients), "lines": written})

    def _slice(self, chunk, ids, wanted_lines: int) -> int:
        """Write one slice of patients: coverage, encounters, lines, claims, history and ledger."""
        rng, today = self.rng, self.ctx.today
        start_day = today - dt.timedelta(days=365 * self.YEARS)
        span = (today - start_day).days
        rows = {name: [] for name in ("coverage", "encounter", "diagnosis", "line", "claim", "claim_line",
                                      "claim_diagnosis", "event", "ledger")}
        visits = []
        lines_left = wanted_lines
        for position, (patient_id, born) in enumerate(chunk):
            remaining = len(chunk) - position
            count = max(1, round(lines_left / remaining / MEAN_LINES + rng.uniform(-1.5, 1.5)))
            covered = rng.random() < 0.85
            payer = None
            if covered:
                age = (today - born).days // 365
                payer = self.payers[0] if age >= 65 else rng.choice(self.payers[1:])
                coverage_id = ids[Coverage]
                ids[Coverage] += 1
                rows["coverage"].append((coverage_id, patient_id, payer.id, 1,
                                         f"{payer.payer_id or 'PM'}{rng.randint(10**7, 10**8 - 1)}",
                                         start_day - dt.timedelta(days=rng.randint(0, 900)),
                                         rng.choice([0, 2000, 2500])))
            last = remaining == 1
            while count > 0 or (last and lines_left > 0):  # the slice's last patient tops it up
                day = start_day + dt.timedelta(days=rng.randrange(span))
                pattern = rng.choice(VISITS)
                visits.append((patient_id, day, pattern, payer, coverage_id if covered else None))
                lines_left -= len(pattern[1])
                count -= 1
        first_control = numbering.allocate(numbering.LINE_COUNTER, sum(len(v[2][1]) for v in visits))
        first_claim = numbering.allocate(numbering.CLAIM_COUNTER, sum(1 for v in visits if v[3] is not None))
        now = utcnow()
        control = first_control
        claim_seq = first_claim
        lines_written = 0
        for patient_id, day, (diagnoses, lines), payer, coverage_id in visits:
            encounter_id = ids[Encounter]
            ids[Encounter] += 1
            rows["encounter"].append((encounter_id, patient_id, day, "11", rng.choice(self.providers), "posted", now, now))
            for position, code in enumerate(diagnoses, start=1):
                rows["diagnosis"].append((encounter_id, position, code))
            billed = []
            party = "insurance" if payer is not None else "patient"
            for number, (code, modifiers, pointers) in enumerate(lines, start=1):
                line_id = ids[ServiceLine]
                ids[ServiceLine] += 1
                charge = self.fees.get((code, (modifiers or [""])[0]), self.fees.get((code, ""), 10000))
                padded = list(modifiers) + [""] * (4 - len(modifiers))
                points = list(pointers) + [None] * (4 - len(pointers))
                rows["line"].append((line_id, encounter_id, patient_id, number, day, code, *padded, 1, charge,
                                     *points, numbering.line_control_number(control), now, now))
                control += 1
                rows["ledger"].append({"kind": "charge", "party": party, "patient_id": patient_id,
                                       "service_line": line_id, "amount_cents": charge, "source": "charge_entry",
                                       "effective_date": day, "posted_at": now, "memo": "charge"})
                billed.append((line_id, code, ":".join(modifiers), charge, ":".join(map(str, pointers))))
                lines_written += 1
            if payer is not None:
                self._claim(rows, ids, numbering.claim_number(claim_seq), encounter_id, patient_id, coverage_id,
                            payer, day, billed, diagnoses, now)
                claim_seq += 1
        self._write(rows)
        return lines_written

    def _claim(self, rows, ids, number, encounter_id, patient_id, coverage_id, payer, day, billed, diagnoses,
               now) -> None:
        rng, age = self.rng, (self.ctx.today - day).days
        if age < 7:
            status = rng.choice(["draft", "ready", "ready"])
        elif age < 30:
            status = rng.choice(["submitted", "accepted", "accepted", "rejected", "paid"])
        else:
            status = rng.choices(["paid", "partially_paid", "denied", "appealed", "closed"], [70, 10, 6, 2, 12])[0]
        claim_id = ids[Claim]
        ids[Claim] += 1
        total = sum(b[3] for b in billed)
        sent = status not in ("draft", "ready")
        at = dt.datetime.combine(day, dt.time(17), dt.timezone.utc)
        rows["claim"].append((claim_id, number, encounter_id, patient_id, coverage_id, payer.id, day, total, status,
                              f"PCN{claim_id}" if sent and status != "rejected" else "", 0,
                              at + dt.timedelta(days=2) if sent else None, now, now))
        for line_number, (line_id, code, modifiers, charge, pointers) in enumerate(billed, start=1):
            rows["claim_line"].append((claim_id, line_id, line_number, code, modifiers, 1, charge, pointers))
        rows["claim_diagnosis"].extend((claim_id, position, code) for position, code in enumerate(diagnoses, start=1))
        rows["event"].append((claim_id, at, "system", "created", "", "draft", "Demo data."))
        if sent:
            rows["event"].append((claim_id, at + dt.timedelta(days=2), "system", "status", "ready", "submitted", ""))
            if status != "submitted":
                rows["event"].append((claim_id, at + dt.timedelta(days=20), "system", "status", "submitted", status,
                                      "Demo remittance." if status != "rejected" else "Demo rejection."))
        if status in ("paid", "partially_paid", "closed"):
            paid_lines = [(b[0], b[3]) for b in billed][: 1 if status == "partially_paid" else None]
            rows["ledger"].extend(_remit_rows(claim_id, patient_id, payer.id, paid_lines,
                                              _paid_share(claim_id, self.shares[payer.id]),
                                              rng.choice([0, 2000]), day + dt.timedelta(days=20), f"EFT{claim_id}"))

    def _write(self, rows) -> None:
        plan = [
            (Coverage, ["id", "patient_id", "payer", "rank", "member_id", "effective_date", "copay_cents"], "coverage"),
            (Encounter, ["id", "patient_id", "service_date", "place_of_service", "rendering_provider_id", "status",
                         "created_at", "updated_at"], "encounter"),
            (Diagnosis, ["encounter", "position", "code"], "diagnosis"),
            (ServiceLine, ["id", "encounter", "patient_id", "line_number", "service_date", "code", "modifier1",
                           "modifier2", "modifier3", "modifier4", "units", "charge_cents", "pointer1", "pointer2",
                           "pointer3", "pointer4", "control_number", "created_at", "updated_at"], "line"),
            (Claim, ["id", "claim_number", "encounter", "patient_id", "coverage", "payer", "service_date",
                     "total_charge_cents", "status", "payer_claim_number", "scrub_errors", "submitted_at",
                     "created_at", "updated_at"], "claim"),
            (ClaimLine, ["claim", "service_line", "line_number", "code", "modifiers", "units", "charge_cents",
                         "diagnosis_pointers"], "claim_line"),
            (ClaimDiagnosis, ["claim", "position", "code"], "claim_diagnosis"),
            (ClaimEvent, ["claim", "at", "username", "action", "from_status", "to_status", "reason"], "event"),
        ]
        for model, names, key in plan:
            fields = [getattr(model, name) for name in names]
            bulk_insert(model, rows[key], fields)
        ledger = rows["ledger"]
        columns = sorted({k for row in ledger for k in row})
        bulk_insert(LineTransaction, [tuple(row.get(c, _DEFAULTS.get(c)) for c in columns) for row in ledger],
                    [getattr(LineTransaction, c) for c in columns])


_DEFAULTS = {"group_code": "", "carc": "", "method": "", "reference": "", "memo": "", "claim": None, "payer": None}


def bulk_insert(model, rows: list[tuple], fields: list, batch: int = 5_000) -> None:
    """Insert tuples with one prepared statement per table (the driver's executemany).

    peewee's query builder costs far more per value than the insert itself at this volume, so
    the values go to the driver as they are: ints, strings, dates and naive-UTC timestamps,
    which both engines store exactly as peewee would. Columns not given get the model default
    (computed once).
    """
    given = {f.name for f in fields}
    extra = [f for f in model._meta.sorted_fields if f.name not in given and f.default is not None]
    constants = tuple(_plain(f.default() if callable(f.default) else f.default) for f in extra)
    columns = ", ".join(f'"{f.column_name}"' for f in (*fields, *extra))
    marks = ", ".join([db.obj.param] * (len(fields) + len(extra)))
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    stamps = [i for i, f in enumerate(fields) if isinstance(f, UTCDateTimeField)]
    cursor = db.cursor()
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        if stamps:
            part = [_naive_stamps(row, stamps) for row in part]
        cursor.executemany(sql, [row + constants for row in part])


def _naive_stamps(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for i in positions:
        values[i] = _plain(values[i])
    return tuple(values)


def _plain(value):
    """A value as the driver takes it: aware timestamps become naive UTC (as UTCDateTimeField stores them)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


# --- The patient side: desk payments, statements, payment plans and collections ------------------------

AGENCY = "Riverside Recovery Services (demo)"
DENIAL_REASONS = ("50", "197", "16", "29", "96", "18", "B7")
DESK_METHODS = (("card", 55), ("cash", 25), ("check", 20))
DESK_LOGINS = ("frontdesk", "biller", "manager")


def _desk_users() -> list[tuple[int | None, str]]:
    """(user id, user name) of the demo's desk logins (the system when core made none)."""
    users = [(u.id, u.username) for u in User.select(User.id, User.username).where(User.username.in_(DESK_LOGINS))]
    return users or [(None, "system")]


def _reference(rng, method: str) -> str:
    if method == "check":
        return str(rng.randint(1001, 9899))
    return f"{rng.randint(0, 9999):04d}" if method == "card" else ""


class SmallPatientSide:
    """A few of everything on the patient side, made with the real functions: older self-pay balances
    (every aging bucket), desk payments with receipts, a payment plan, a manual statement hold, an
    account placed with the agency and one recalled, a bad-debt write-off, a statement run, and the
    stored aging. Their events are published as the desk's are (the insurance payments the demo writes
    straight into the ledger publish none, like a ledger kept before events existed)."""

    def __init__(self, demo: SmallDemo):
        self.demo, self.rng, self.today = demo, demo.rng, demo.ctx.today

    def run(self) -> None:
        patients = list(Patient.select().where(Patient.active == True).order_by(Patient.id).limit(400))  # noqa: E712
        if len(patients) < 12:
            return
        if not settings.get("billing.collection_agency"):
            settings.set_many({"billing.collection_agency": AGENCY})
        old = patients[-6:]
        for days, patient in zip((45, 75, 100, 150, 200, 260), old):
            with transaction():
                encounters.post_charges(self.demo._encounter(patient, self.today - dt.timedelta(days=days)))
        owing = {pid: b.patient_cents for pid, b in ledger.balances_for([p.id for p in patients]).items()
                 if b.patient_cents > 0}
        desk = _desk_users()
        offices = [i for (i,) in Location.select(Location.id).where(Location.active == True)  # noqa: E712
                   .order_by(Location.id).tuples()] or [None]
        receipts = []
        for index, pid in enumerate(sorted(pid for pid in owing if pid not in {p.id for p in old})[:6]):
            method = DESK_METHODS[index % len(DESK_METHODS)][0]
            amount = owing[pid] if index % 2 == 0 else max(100, owing[pid] // 2)
            day = self.today - dt.timedelta(days=0 if index < 4 else self.rng.randint(2, 20))
            with transaction():
                payment, events = payments.record_payment(pid, amount, method, _reference(self.rng, method), day,
                                                          location_id=offices[index % len(offices)])
                publish_all(events)
            receipts.append((payment.id, desk[index % len(desk)]))
        for payment_id, (user_id, username) in receipts:  # taken by the demo's desk logins
            PatientPayment.update(user_id=user_id, username=username).where(PatientPayment.id == payment_id).execute()
        planned, held, placed, recalled, written_off = old[1], old[0], old[4], old[5], old[3]
        plans.create_plan(planned.id, owing[planned.id], max(1000, owing[planned.id] // 4), "monthly",
                          self.today + dt.timedelta(days=7), "Four monthly payments (demo)")
        statements.set_hold(held.id, "Disputes a charge; the office manager is reviewing it (demo)")
        collections.place(placed.id, AGENCY, "Three statements unanswered (demo)")
        back = collections.place(recalled.id, AGENCY, "Placed in error (demo)")
        collections.recall(back, "Paid in full at the desk after placement (demo)")
        with transaction():
            publish_all(collections.record_write_off(written_off.id, "hardship", "demo")[1])
        statements.record_run(self.today, trigger="job", username="system")
        underpayments.rebuild()
        denials.rebuild()
        aging.refresh_patient_aging(self.today)
        aging.take_snapshot(self.today)


class LargePatientSide:
    """Five years of the patient side in bulk for the benchmarks: denials posted on denied lines, desk
    payments with receipts (most patient balances paid within weeks), bad-debt write-offs, accounts
    with the agency, payment plans, one statement run and the stored aging and snapshot."""

    SLICE = 2_000

    def __init__(self, ctx):
        self.ctx, self.rng, self.today = ctx, ctx.rng, ctx.today
        self.users = _desk_users()

    def run(self) -> None:
        with transaction():
            self._denials()
        ids = [pid for (pid,) in Patient.select(Patient.id).where(Patient.active == True)  # noqa: E712
               .order_by(Patient.id).tuples()]
        plan_id = (PaymentPlan.select(fn.MAX(PaymentPlan.id)).scalar() or 0) + 1
        for start in range(0, len(ids), self.SLICE):
            with transaction():
                plan_id = self._slice(ids[start:start + self.SLICE], plan_id)
        if not is_sqlite():
            db.execute_sql("SELECT setval(pg_get_serial_sequence('billing_payment_plan', 'id'), "
                           "(SELECT COALESCE(MAX(id), 1) FROM billing_payment_plan))")
        with transaction():
            statements.record_run(self.today, trigger="job", username="system")
            underpayments.rebuild()
            denials.rebuild()
            aging.refresh_patient_aging(self.today)
            aging.take_snapshot(self.today)

    def _denials(self) -> None:
        """Post a denial (CO with a reason) on every line of a denied claim, and on the unpaid lines of
        partially paid claims, as their 835s would have."""
        posted = (LineTransaction.select(LineTransaction.id)
                  .where((LineTransaction.claim == ClaimLine.claim) & (LineTransaction.service_line == ClaimLine.service_line)
                         & (LineTransaction.source == "era")))
        query = (ClaimLine.select(ClaimLine.claim, ClaimLine.service_line, ClaimLine.charge_cents, Claim.patient_id,
                                  Claim.payer, Claim.service_date)
                 .join(Claim).where(Claim.status.in_(("denied", "partially_paid")) & ~fn.EXISTS(posted))
                 .order_by(ClaimLine.id).tuples())
        now = utcnow()
        rows = []
        for claim_id, line_id, charge, patient_id, payer_id, day in query.iterator():
            rows.append(("adjustment", "insurance", patient_id, line_id, claim_id, payer_id, -charge, "CO",
                         self.rng.choice(DENIAL_REASONS), "era", f"DEN{claim_id}", day + dt.timedelta(days=21), now,
                         "denied by the payer (demo)"))
        fields = ["kind", "party", "patient_id", "service_line", "claim", "payer", "amount_cents", "group_code", "carc",
                  "source", "reference", "effective_date", "posted_at", "memo"]
        bulk_insert(LineTransaction, rows, [getattr(LineTransaction, f) for f in fields])

    def _slice(self, patient_ids: list[int], plan_id: int) -> int:
        """Payments, write-offs, placements and plans for one slice of patients; returns the next plan id."""
        rng, today = self.rng, self.today
        since = fn.MIN(Case(None, [(LineTransaction.amount_cents > 0, LineTransaction.effective_date)], None))
        owed = fn.SUM(LineTransaction.amount_cents)
        query = (LineTransaction.select(LineTransaction.patient_id, LineTransaction.service_line, owed, since)
                 .where(LineTransaction.patient_id.in_(patient_ids) & (LineTransaction.party == "patient")
                        & LineTransaction.service_line.is_null(False))
                 .group_by(LineTransaction.patient_id, LineTransaction.service_line).having(owed > 0)
                 .order_by(LineTransaction.patient_id, LineTransaction.service_line).tuples())
        receipts: dict[tuple[int, dt.date], list[tuple[int, int]]] = {}
        written_off, unpaid = [], {}
        for patient_id, line_id, amount, start in query:
            start = ledger.as_date(start)
            roll = rng.random()
            pay_day = start + dt.timedelta(days=rng.randint(0, 45))
            if roll < 0.8 and pay_day <= today:
                share = amount if roll < 0.7 else amount // 2
                receipts.setdefault((patient_id, pay_day), []).append((line_id, share))
            elif (today - start).days > 400 and roll < 0.9:
                written_off.append((patient_id, line_id, amount))
            else:
                unpaid.setdefault(patient_id, []).append((start, amount))
        self._receipts(receipts)
        self._write_offs(written_off)
        self._placements(unpaid)
        return self._plans(unpaid, plan_id)

    def _receipts(self, receipts: dict) -> None:
        if not receipts:
            return
        first = numbering.allocate(payments.RECEIPT_COUNTER, len(receipts))
        methods, weights = zip(*DESK_METHODS)
        now = utcnow()
        headers, entries = [], []
        for offset, ((patient_id, day), parts) in enumerate(sorted(receipts.items())):
            number = payments.receipt_number(first + offset)
            method = self.rng.choices(methods, weights)[0]
            user_id, username = self.rng.choice(self.users)
            total = sum(share for _line, share in parts)
            headers.append((number, "payment", patient_id, total, total, method, _reference(self.rng, method), day,
                            user_id, username, now))
            for line_id, share in parts:
                entries.append(("patient_payment", "patient", patient_id, line_id, -share, method, "desk", number, day,
                                now, user_id, "patient payment"))
        bulk_insert(PatientPayment, headers, [getattr(PatientPayment, f) for f in (
            "receipt_number", "kind", "patient_id", "amount_cents", "applied_cents", "method", "reference",
            "received_on", "user_id", "username", "posted_at")])
        bulk_insert(LineTransaction, entries, [getattr(LineTransaction, f) for f in (
            "kind", "party", "patient_id", "service_line", "amount_cents", "method", "source", "reference",
            "effective_date", "posted_at", "posted_by_user_id", "memo")])

    def _write_offs(self, items: list) -> None:
        now = utcnow()
        rows = [("writeoff", "patient", patient_id, line_id, -amount, "manual", "bad-debt:uncollectible",
                 self.today - dt.timedelta(days=self.rng.randint(30, 300)), now,
                 f"bad debt: {collections.WRITE_OFF_REASONS['uncollectible']}") for patient_id, line_id, amount in items]
        bulk_insert(LineTransaction, rows, [getattr(LineTransaction, f) for f in (
            "kind", "party", "patient_id", "service_line", "amount_cents", "source", "reference", "effective_date",
            "posted_at", "memo")])

    def _placements(self, unpaid: dict) -> None:
        now = utcnow()
        rows = []
        for patient_id, items in unpaid.items():
            oldest = min(start for start, _amount in items)
            if (self.today - oldest).days < 180 or self.rng.random() > 0.25:
                continue
            placed = min(self.today, oldest + dt.timedelta(days=150))
            recalled = self.rng.random() < 0.1
            rows.append((patient_id, AGENCY, "recalled" if recalled else "placed", sum(a for _s, a in items), placed,
                         "biller", now, now if not recalled else None, now if recalled else None,
                         "biller" if recalled else "", "The patient paid us directly (demo)" if recalled else ""))
        bulk_insert(CollectionPlacement, rows, [getattr(CollectionPlacement, f) for f in (
            "patient_id", "agency", "status", "balance_cents", "placed_on", "placed_by", "placed_at", "exported_at",
            "recalled_at", "recalled_by", "recall_reason")])

    def _plans(self, unpaid: dict, plan_id: int) -> int:
        plans_rows, installments = [], []
        for patient_id, items in unpaid.items():
            total = sum(a for _s, a in items)
            newest = max(start for start, _amount in items)
            if total < 10_000 or (self.today - newest).days > 120 or self.rng.random() > 0.2:
                continue
            count = self.rng.randint(3, 8)
            start = self.today - dt.timedelta(days=self.rng.randint(0, 80))
            part = -(-total // count)
            plans_rows.append((plan_id, patient_id, "active", total, part, "monthly", start, "biller",
                               dt.datetime.combine(start, dt.time(15), dt.timezone.utc)))
            for number, (due, cents) in enumerate(zip(
                    plans.due_dates(start + dt.timedelta(days=14), "monthly", count),
                    [part] * (count - 1) + [total - part * (count - 1)]), start=1):
                installments.append((plan_id, number, due, cents))
            plan_id += 1
        bulk_insert(PaymentPlan, plans_rows, [getattr(PaymentPlan, f) for f in (
            "id", "patient_id", "status", "total_cents", "installment_cents", "frequency", "start_date", "created_by",
            "created_at")])
        bulk_insert(PlanInstallment, installments, [getattr(PlanInstallment, f) for f in (
            "plan", "number", "due_date", "amount_cents")])
        return plan_id
