"""The claim scrubber: every reason a claim would bounce, named by the field to fix.

``scrub(claim)`` gathers the claim's facts in a fixed number of queries (``gather_many`` does
the same for a whole batch) and returns ``Problem`` records; errors block a claim from becoming
ready or being submitted, warnings are shown but let it go. ``record`` stores the error count on the claim for the worklists.
Other plugins add holds through the ``billing_claim_holds`` hook (compliance: a provider's lapsed licence),
asked once per batch of claims.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from medoffice import settings
from medoffice.app import medoffice_runtime
from medoffice.db import utcnow
from medoffice.models import Location, Patient, StaffMember
from medoffice.money import format_cents

from . import icd10
from .coverage import RANK_RESPONSIBILITY
from .in_list import one_of
from .models import (Claim, ClaimDiagnosis, ClaimLine, CodeEntry, Coverage, EligibilityCheck, Encounter, Fee, Payer,
                     ServiceLine)
from .reference import (FILING_INDICATORS, PLACES_OF_SERVICE, display_icd10, modifier_is_valid_format,
                        procedure_code_is_valid_format)
from .validators import icd10_is_valid_format, npi_is_valid
from .x12.claim837 import medicare_secondary

MAX_DIAGNOSES = 12
MAX_LINES = 50
GATHER_CHUNK = 500  # claims per round of queries: bounds the IN lists
SECTIONS = {
    "practice": "Billing provider (practice)", "patient": "Patient", "coverage": "Insurance policy",
    "other_coverage": "Other insurance", "payer": "Payer", "providers": "Providers", "encounter": "Encounter", "diagnoses": "Diagnoses",
    "lines": "Service lines", "claim": "Claim",
}


@dataclass(frozen=True)
class Problem:
    """One scrubber finding: the field at fault (``section.name``), what is wrong, and how to fix it."""

    field: str
    message: str
    fix: str
    severity: str = "error"

    @property
    def section(self) -> str:
        """The part of the claim the field belongs to (a key of ``SECTIONS``)."""
        return self.field.split(".", 1)[0]


@dataclass
class Facts:
    """Everything the checks look at, loaded once per scrub."""

    claim: Claim
    encounter: Encounter
    coverage: Coverage
    payer: Payer
    patient: Patient | None
    staff: dict[int, StaffMember]
    location: Location | None
    diagnoses: list[ClaimDiagnosis]  # as the claim bills them (its copy of the encounter's)
    lines: list[ClaimLine]
    practice: dict[str, str]
    today: dt.date
    known_codes: dict[str, set[str]]
    fees: dict[tuple[str, str], int]
    duplicates: list[str] = field(default_factory=list)
    other_coverages: list[Coverage] = field(default_factory=list)  # the patient's other policies in force (2320)
    eligibility: EligibilityCheck | None = None  # the payer's latest answer (271) about the policy
    holds: list[str] = field(default_factory=list)  # why other plugins hold the claim (billing_claim_holds)
    filing_warn_days: int = 30  # billing.timely_filing_warn_days, read once per gather


def _digits(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isdecimal())


def gather(claim: Claim) -> Facts:
    """Load one claim's facts (see ``gather_many``).

    :raises Claim.DoesNotExist: the claim was deleted.
    """
    facts = gather_many([claim.id]).get(claim.id)
    if facts is None:
        raise Claim.DoesNotExist(f"claim {claim.id} does not exist")
    return facts


def gather_many(claim_ids: list[int]) -> dict[int, Facts]:
    """Load the facts of many claims (a batch going out) in a few queries per chunk of claims, by claim id."""
    practice = {k: str(settings.get(f"core.{k}", "") or "").strip()
                for k in ("practice_name", "practice_npi", "tax_id", "address1", "city", "state", "zip")}
    today = settings.today()
    warn_days = int(settings.get("billing.timely_filing_warn_days", 30) or 0)
    imported = {}  # whether each code list was imported at all, asked once
    facts: dict[int, Facts] = {}
    ids = list(dict.fromkeys(claim_ids))
    for start in range(0, len(ids), GATHER_CHUNK):
        facts.update(_gather_chunk(ids[start:start + GATHER_CHUNK], practice, today, imported, warn_days))
    return facts


def _gather_chunk(ids: list[int], practice: dict[str, str], today: dt.date, imported: dict[str, bool],
                  warn_days: int) -> dict[int, Facts]:
    # The claims with their encounters; their policies and payers come from the patients' policies and the few
    # payers below, each read once (a policy is both a claim's own and another claim's other coverage).
    claims = list(Claim.select(Claim, Encounter).join(Encounter).where(one_of(Claim.id, ids)))
    policies: dict[int, list[Coverage]] = defaultdict(list)
    by_policy: dict[int, Coverage] = {}
    for policy in (Coverage.select().where(one_of(Coverage.patient_id, {c.patient_id for c in claims}))
                   .order_by(Coverage.rank)):
        policies[policy.patient_id].append(policy)
        by_policy[policy.id] = policy
    missing = {c.coverage_id for c in claims} - by_policy.keys()  # a policy of another patient (not expected)
    by_policy.update(_by_id(Coverage, missing))
    payers = _by_id(Payer, {c.payer_id for c in claims} | {p.payer_id for p in by_policy.values()})
    for policy in by_policy.values():
        policy.payer = payers[policy.payer_id]
    claims = [c for c in claims if c.coverage_id in by_policy and c.payer_id in payers]  # as an inner join would
    for claim in claims:
        claim.coverage, claim.payer = by_policy[claim.coverage_id], payers[claim.payer_id]
    lines: dict[int, list[ClaimLine]] = defaultdict(list)
    for line in (ClaimLine.select(ClaimLine, ServiceLine).join(ServiceLine)
                 .where(one_of(ClaimLine.claim, ids)).order_by(ClaimLine.claim, ClaimLine.line_number)):
        lines[line.claim_id].append(line)
    diagnoses: dict[int, list[ClaimDiagnosis]] = defaultdict(list)
    for diagnosis in (ClaimDiagnosis.select().where(one_of(ClaimDiagnosis.claim, ids))
                      .order_by(ClaimDiagnosis.claim, ClaimDiagnosis.position)):
        diagnoses[diagnosis.claim_id].append(diagnosis)
    # Diagnoses are checked against the whole ICD-10-CM code set (icd10), not an imported list.
    wanted = {"cpt": {l.code for found in lines.values() for l in found}}
    known = {}
    for kind, codes in wanted.items():
        if codes and kind not in imported:
            imported[kind] = CodeEntry.select().where(CodeEntry.kind == kind).exists()
        # A list the practice never imported cannot say a code is unknown.
        if codes and imported[kind]:
            known[kind] = {code for (code,) in CodeEntry.select(CodeEntry.code).where(
                (CodeEntry.kind == kind) & CodeEntry.code.in_(codes)).tuples()}
    fees = {}
    if wanted["cpt"]:
        fees = {(f.code, f.modifier): f.charge_cents for f in Fee.select().where(
            Fee.code.in_(wanted["cpt"]) & (Fee.active == True))}  # noqa: E712
    encounters = [c.encounter for c in claims]
    patients = _by_id(Patient, {c.patient_id for c in claims})
    staff = _by_id(StaffMember, {i for e in encounters for i in (e.rendering_provider_id, e.referring_provider_id) if i})
    locations = _by_id(Location, {e.location_id for e in encounters if e.location_id})
    duplicates = _duplicates(ids)
    answers: dict[int, EligibilityCheck] = {}
    for check in (EligibilityCheck.select()
                  .where(one_of(EligibilityCheck.coverage, {c.coverage_id for c in claims})
                         & EligibilityCheck.answered_at.is_null(False))
                  .order_by(EligibilityCheck.coverage, EligibilityCheck.answered_at.desc(), EligibilityCheck.id.desc())):
        answers.setdefault(check.coverage_id, check)
    gathered = {}
    for claim in claims:
        encounter, claim_lines, claim_diagnoses = claim.encounter, lines[claim.id], diagnoses[claim.id]
        codes = {"icd10": {d.code for d in claim_diagnoses}, "cpt": {l.code for l in claim_lines}}
        gathered[claim.id] = Facts(
            claim=claim, encounter=encounter, coverage=claim.coverage, payer=claim.payer,
            patient=patients.get(claim.patient_id),
            staff={i: staff[i] for i in (encounter.rendering_provider_id, encounter.referring_provider_id)
                   if i in staff},
            location=locations.get(encounter.location_id), diagnoses=claim_diagnoses, lines=claim_lines,
            practice=practice, today=today,
            known_codes={kind: found & codes[kind] for kind, found in known.items() if codes[kind]},
            fees={key: cents for key, cents in fees.items() if key[0] in codes["cpt"]},
            duplicates=duplicates.get(claim.id, []),
            other_coverages=[p for p in policies[claim.patient_id]
                             if p.id != claim.coverage_id and p.covers(encounter.service_date)],
            eligibility=answers.get(claim.coverage_id), filing_warn_days=warn_days,
        )
    for claim_id, reason in _holds(gathered.values()):
        if claim_id in gathered:
            gathered[claim_id].holds.append(reason)
    return gathered


def _holds(facts) -> list[tuple[int, str]]:
    """Ask the plugins that implement ``billing_claim_holds`` about these claims, in one call."""
    questions = []
    for f in facts:
        rendering = f.staff.get(f.encounter.rendering_provider_id)
        questions.append({"claim_id": f.claim.id, "rendering_npi": (rendering.npi or "") if rendering else "",
                          "billing_npi": f.practice["practice_npi"], "payer_id": f.payer.payer_id,
                          "service_date": f.encounter.service_date,
                          "service_state": ((f.location.state or "") if f.location else "").upper()})
    if not questions:
        return []
    return medoffice_runtime().host.call("billing_claim_holds", claims=questions)


def _by_id(model, ids: set[int]) -> dict:
    """Rows of ``model`` with these ids, by id."""
    return {row.id: row for row in model.select().where(one_of(model.id, ids))} if ids else {}


def _duplicates(ids: list[int]) -> dict[int, list[str]]:
    """Per original claim (frequency 1) of ``ids``: the numbers of other live claims billing one of its
    codes to the same payer for the same patient and day (its own corrections and its original left out)."""
    other, other_line, own_line = Claim.alias(), ClaimLine.alias(), ClaimLine.alias()
    # "payer + 0": SQLite (no table statistics) would otherwise look the others up by payer, thousands
    # of claims each, instead of by patient.
    query = (Claim.select(Claim.id, other.claim_number)
             .join(other, on=((other.patient_id == Claim.patient_id) & (other.payer + 0 == Claim.payer)
                              & (other.service_date == Claim.service_date) & (other.id != Claim.id)))
             .join(other_line, on=(other_line.claim == other.id))
             .join(own_line, on=((own_line.claim == Claim.id) & (own_line.code == other_line.code)))
             .where(one_of(Claim.id, ids) & (Claim.frequency_code == "1") & (other.status != "closed")
                    & (other.frequency_code != "8")
                    & (other.original_claim.is_null() | (other.original_claim != Claim.id))
                    & (Claim.original_claim.is_null() | (other.id != Claim.original_claim)))
             .distinct().order_by(Claim.id, other.claim_number).tuples())
    found: dict[int, list[str]] = defaultdict(list)
    for claim_id, number in query:
        found[claim_id].append(number)
    return found


# --- The checks ------------------------------------------------------------------------------------

def _practice(f: Facts) -> list[Problem]:
    p, out = f.practice, []
    fix_settings = "Enter it on the practice settings page (Admin > Settings)."
    if not p["practice_npi"]:
        out.append(Problem("practice.npi", "The practice's billing NPI is missing.", fix_settings))
    elif not npi_is_valid(p["practice_npi"]):
        out.append(Problem("practice.npi", f"The practice NPI {p['practice_npi']} fails the check digit "
                           "(Luhn with the 80840 prefix): a digit is wrong.", fix_settings))
    if len(_digits(p["tax_id"])) != 9:
        out.append(Problem("practice.tax_id", "The practice's federal tax id (EIN) must have 9 digits.", fix_settings))
    if not (p["address1"] and p["city"] and p["state"]):
        out.append(Problem("practice.address", "The practice's billing street address, city and state are required.",
                           fix_settings))
    zip_digits = len(_digits(p["zip"]))
    if f.payer.electronic and zip_digits != 9:
        out.append(Problem("practice.zip", "Electronic claims need the billing ZIP code with 9 digits (ZIP+4).",
                           fix_settings))
    elif zip_digits not in (5, 9):
        out.append(Problem("practice.zip", "The practice's ZIP code must have 5 or 9 digits.", fix_settings))
    return out


def _patient(f: Facts) -> list[Problem]:
    pt = f.patient
    fix = "Edit the patient's demographics."
    if pt is None:
        return [Problem("patient.record", "The patient record no longer exists.", "Bill the encounter to an existing patient.")]
    out = []
    if not (pt.first_name and pt.last_name):
        out.append(Problem("patient.name", "The patient's first and last name are required.", fix))
    if pt.date_of_birth is None or pt.date_of_birth > f.encounter.service_date:
        out.append(Problem("patient.date_of_birth", "The patient's date of birth is missing or after the service date.", fix))
    if pt.sex not in ("F", "M"):
        out.append(Problem("patient.sex", "The patient's sex is unknown; most payers reject claims without F or M.",
                           fix, "warning"))
    if not (pt.address1 and pt.city and pt.state and len(_digits(pt.zip)) in (5, 9)):
        out.append(Problem("patient.address", "The patient's street address, city, state and ZIP code are required.", fix))
    return out


def _coverage(f: Facts) -> list[Problem]:
    c, out = f.coverage, []
    fix = "Edit the insurance policy."
    if c.patient_id != f.claim.patient_id:
        out.append(Problem("coverage.patient", "The policy belongs to another patient.", "Create the claim again from the encounter."))
    if not c.covers(f.encounter.service_date):
        span = c.effective_date.isoformat() + (f" to {c.end_date.isoformat()}" if c.end_date else " on")
        out.append(Problem("coverage.dates", f"The policy (in force {span}) does not cover the service date "
                           f"{f.encounter.service_date.isoformat()}.",
                           "Check the policy dates, or bill the policy that was in force."))
    if not c.member_id.strip():
        out.append(Problem("coverage.member_id", "The member id is missing.", fix))
    answer = f.eligibility
    if answer is not None and answer.active is False:
        out.append(Problem("coverage.eligibility", f"{f.payer.name} answered an eligibility check for "
                           f"{answer.service_date.isoformat()} that this policy is not active.",
                           "Check the patient's insurance card and ask again, or bill the policy in force.",
                           severity="warning"))
    if c.relationship != "18":
        if not (c.subscriber_first_name and c.subscriber_last_name):
            out.append(Problem("coverage.subscriber", "The subscriber's name is missing (the patient is not the subscriber).", fix))
        if c.subscriber_date_of_birth is None:
            out.append(Problem("coverage.subscriber", "The subscriber's date of birth is missing.", fix))
    if medicare_secondary(f.payer.filing_indicator, f.claim.responsibility) and not c.msp_type:
        out.append(Problem("coverage.msp_type", "Medicare secondary claims need the Medicare Secondary Payer type.",
                           "Choose it on the insurance policy: why the other insurance pays before Medicare."))
    for other in f.other_coverages:
        if medicare_secondary(other.payer.filing_indicator, RANK_RESPONSIBILITY.get(other.rank, "T")) \
                and not other.msp_type:
            out.append(Problem("other_coverage.msp_type",
                               f"The patient's {other.payer.name} policy is Medicare paying after another payer, and has "
                               "no Medicare Secondary Payer type: the claim must send it for that policy.",
                               f"Choose it on the {other.payer.name} policy (the patient's insurance): why the other "
                               "insurance pays before Medicare."))
    return out


def _payer(f: Facts) -> list[Problem]:
    p, out = f.payer, []
    fix = "Edit the payer."
    if not p.active:
        out.append(Problem("payer.active", f"{p.name} is marked inactive.", "Reactivate the payer or bill the right one."))
    if p.electronic and not p.payer_id.strip():
        out.append(Problem("payer.payer_id", f"{p.name} takes electronic claims but has no payer id.", fix))
    if p.filing_indicator not in FILING_INDICATORS:
        out.append(Problem("payer.filing_indicator", f"Claim filing indicator {p.filing_indicator!r} is not valid.", fix))
    if not p.electronic:
        out.append(Problem("payer.electronic", f"{p.name} takes paper claims only.",
                           "Print a CMS-1500 form and mail it, then mark the claim submitted.", "warning"))
    elif f.claim.responsibility != "P" and not p.secondary_electronic:
        out.append(Problem("payer.secondary_electronic", f"{p.name} does not take secondary claims electronically.",
                           "Print the claim with the primary payer's remittance and mail it.", "warning"))
    return out


def _providers(f: Facts) -> list[Problem]:
    out, enc = [], f.encounter
    fix_staff = "Edit the provider in the staff directory."
    rendering = f.staff.get(enc.rendering_provider_id) if enc.rendering_provider_id else None
    if rendering is None:
        out.append(Problem("providers.rendering", "The rendering provider is missing.",
                           "Choose the provider who saw the patient on the encounter."))
    else:
        if not rendering.is_provider:
            out.append(Problem("providers.rendering", f"{rendering.display_name} is not marked as a provider.", fix_staff))
        if not rendering.npi:
            out.append(Problem("providers.rendering_npi", f"{rendering.display_name} has no NPI.", fix_staff))
        elif not npi_is_valid(rendering.npi):
            out.append(Problem("providers.rendering_npi", f"NPI {rendering.npi} of {rendering.display_name} fails "
                               "the check digit (Luhn with the 80840 prefix).", fix_staff))
        if not rendering.taxonomy:
            out.append(Problem("providers.rendering_taxonomy", f"{rendering.display_name} has no taxonomy code; "
                               "many payers require it.", fix_staff, "warning"))
    if enc.referring_provider_id:
        referring = f.staff.get(enc.referring_provider_id)
        if referring is None:
            out.append(Problem("providers.referring", "The referring provider no longer exists.",
                               "Choose another referring provider on the encounter, or none."))
        elif not npi_is_valid(referring.npi or ""):
            out.append(Problem("providers.referring_npi", f"The referring provider's NPI {referring.npi or '(none)'} "
                               "is missing or fails the check digit.", fix_staff))
    if f.location is not None and f.location.npi and not npi_is_valid(f.location.npi):
        out.append(Problem("encounter.location", f"The NPI {f.location.npi} of location {f.location.name} fails the "
                           "check digit.", "Edit the location."))
    return out


def _held(f: Facts) -> list[Problem]:
    return [Problem("providers.credentials", reason, "Bring the credential up to date (Compliance, Credentials), "
                    "or bill the visit under a provider who may bill it; then scrub the claim again.")
            for reason in f.holds]


def _encounter(f: Facts) -> list[Problem]:
    out, enc = [], f.encounter
    if enc.place_of_service not in PLACES_OF_SERVICE:
        out.append(Problem("encounter.place_of_service", f"Place of service {enc.place_of_service!r} is not a "
                           "CMS place-of-service code.", "Choose one from the list, such as 11 (office)."))
    if enc.service_date > f.today:
        out.append(Problem("encounter.service_date", f"The service date {enc.service_date.isoformat()} is in the "
                           "future.", "Bill the visit after it happened, or fix the date."))
    if f.claim.frequency_code == "1" and f.claim.submitted_at is None:
        deadline = enc.service_date + dt.timedelta(days=f.payer.timely_filing_days)
        left = (deadline - f.today).days
        if left < 0:
            out.append(Problem("encounter.timely_filing", f"{f.payer.name}'s {f.payer.timely_filing_days}-day filing "
                               f"limit passed on {deadline.isoformat()}.",
                               "Send it only with proof of timely filing, or write it off."))
        elif left <= f.filing_warn_days:
            out.append(Problem("encounter.timely_filing", f"Only {left} day{'s' if left != 1 else ''} left to file "
                               f"with {f.payer.name} (deadline {deadline.isoformat()}).", "Submit it now.", "warning"))
    return out


def _diagnoses(f: Facts) -> list[Problem]:
    out = []
    fix = "Fix the diagnosis list on the encounter's charge entry page."
    if not f.diagnoses:
        out.append(Problem("diagnoses", "The claim has no diagnosis.", "Add at least one ICD-10-CM code."))
    if len(f.diagnoses) > MAX_DIAGNOSES:
        out.append(Problem("diagnoses", f"A claim carries at most {MAX_DIAGNOSES} diagnoses.", fix))
    seen = set()
    for dx in f.diagnoses:
        key = f"diagnoses.{dx.position}"
        found = icd10.find(dx.code) if icd10_is_valid_format(dx.code) else None
        if not icd10_is_valid_format(dx.code):
            out.append(Problem(key, f"{dx.code!r} is not an ICD-10-CM code.", fix))
        elif found is None:
            out.append(Problem(key, f"{display_icd10(dx.code)} is not in the ICD-10-CM code set.", fix))
        elif not found.billable:
            below = ", ".join(f"{c.dotted} ({c.description})" for c in icd10.billable_below(found.code))
            out.append(Problem(key, f"{found.dotted} ({found.description}) is a category, not a billable code: "
                                    "a claim needs its most specific code.",
                               f"Choose a code under it on the charge entry page, such as {below}."))
        if dx.code in seen:
            out.append(Problem(key, f"{display_icd10(dx.code)} is listed twice.", fix))
        seen.add(dx.code)
    return out


def _lines(f: Facts) -> list[Problem]:
    out = []
    fix = "Fix the line on the encounter's charge entry page."
    count = len(f.diagnoses)
    known = f.known_codes.get("cpt")
    for line in f.lines:
        key, service = f"lines.{line.line_number}", line.service_line
        if not procedure_code_is_valid_format(line.code):
            out.append(Problem(f"{key}.code", f"{line.code!r} is not a CPT or HCPCS code.", fix))
        elif known is not None and line.code not in known:
            out.append(Problem(f"{key}.code", f"{line.code} is not in the imported procedure code list.",
                               "Check the code, or import the current code list.", "warning"))
        modifiers = [m for m in line.modifiers.split(":") if m]
        bad = [m for m in modifiers if not modifier_is_valid_format(m)]
        if bad or len(modifiers) > 4 or len(set(modifiers)) != len(modifiers):
            out.append(Problem(f"{key}.modifiers", "Modifiers are 2 letters or digits, at most 4, none repeated.", fix))
        if line.units < 1:
            out.append(Problem(f"{key}.units", "Units must be at least 1.", fix))
        if line.charge_cents <= 0:
            out.append(Problem(f"{key}.charge", "The charge must be more than $0.00.", fix))
        else:
            fee = f.fees.get((line.code, modifiers[0] if modifiers else ""), f.fees.get((line.code, "")))
            if fee is not None and fee * line.units != line.charge_cents:
                out.append(Problem(f"{key}.charge", f"The charge {format_cents(line.charge_cents)} differs from the fee "
                                   f"schedule ({format_cents(fee * line.units)} for {line.units} unit"
                                   f"{'s' if line.units != 1 else ''}).",
                                   "Check the charge; leave it if the difference is intended.", "warning"))
        if service.service_date > f.today:
            out.append(Problem(f"{key}.service_date", f"The line's service date {service.service_date.isoformat()} is "
                               "in the future.", fix))
        pointers = line.pointers
        if not 1 <= len(pointers) <= 4 or len(set(pointers)) != len(pointers):
            out.append(Problem(f"{key}.pointers", "A line needs 1 to 4 different diagnosis pointers.", fix))
        outside = [p for p in pointers if not 1 <= p <= count]
        if outside:
            out.append(Problem(f"{key}.pointers", f"Pointer {outside[0]} is outside the {count} diagnos"
                               f"{'es' if count != 1 else 'is'} on the claim.",
                               f"Point the line at a diagnosis from 1 to {count}." if count else "Add a diagnosis."))
    return out


def _claim(f: Facts) -> list[Problem]:
    out, claim = [], f.claim
    if not f.lines:
        out.append(Problem("claim.lines", "The claim has no service lines.", "Enter the charges on the encounter."))
    if len(f.lines) > MAX_LINES:
        out.append(Problem("claim.lines", f"A claim carries at most {MAX_LINES} lines.", "Split the encounter."))
    total = sum(l.charge_cents for l in f.lines)
    if claim.total_charge_cents != total:
        out.append(Problem("claim.total", f"The claim total {format_cents(claim.total_charge_cents)} does not equal "
                           f"its lines ({format_cents(total)}).", "Save the encounter again to recalculate the claim."))
    elif f.lines and total <= 0:
        out.append(Problem("claim.total", "The claim total must be more than $0.00.", "Enter the charges."))
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_number.strip():
        kind = "replacement" if claim.frequency_code == "7" else "void"
        out.append(Problem("claim.payer_claim_number", f"A {kind} claim must quote the payer's claim number for the "
                           "original claim.", "Enter it from the payer's remittance (835) or portal."))
    if f.duplicates:
        out.append(Problem("claim.duplicate", f"Claim {', '.join(f.duplicates)} already bills "
                           "the same service to this payer for this patient and day.",
                           "Close one of them, or correct the other claim instead."))
    return out


CHECKS = (_practice, _patient, _coverage, _payer, _providers, _held, _encounter, _diagnoses, _lines, _claim)


def check(facts: Facts) -> list[Problem]:
    """Every problem in gathered facts, errors first, each group in the order of the claim form."""
    problems = [p for run in CHECKS for p in run(facts)]
    return sorted(problems, key=lambda p: p.severity != "error")


def scrub(claim: Claim) -> list[Problem]:
    """Every problem with the claim as it is in the database now."""
    return check(gather(claim))


def record(claim: Claim, problems: list[Problem]) -> int:
    """Store the error count of a scrub on the claim; returns it."""
    errors = sum(1 for p in problems if p.severity == "error")
    Claim.update(scrub_errors=errors, scrubbed_at=utcnow()).where(Claim.id == claim.id).execute()
    return errors


def record_many(problems: dict[int, list[Problem]], now: dt.datetime | None = None) -> dict[int, int]:
    """Store the error counts of many scrubs (by claim id), one statement per distinct count, scrubbed ``now``
    (default: this moment); returns them."""
    counts = {claim_id: sum(1 for p in found if p.severity == "error") for claim_id, found in problems.items()}
    now = now or utcnow()
    for errors in sorted(set(counts.values())):
        ids = [claim_id for claim_id, count in counts.items() if count == errors]
        for start in range(0, len(ids), GATHER_CHUNK):
            Claim.update(scrub_errors=errors, scrubbed_at=now).where(one_of(Claim.id, ids[start:start + GATHER_CHUNK])).execute()
    return counts
