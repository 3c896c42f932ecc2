"""Reference data: payers, the fee schedule, imported code lists and the public code tables.

CPT is licensed by the AMA, so no CPT description ships here: the practice imports its own
code file (``medoffice billing import-codes``) and writes its own fee descriptions. Diagnoses need
no import: they are checked against the whole ICD-10-CM code set (``icd10.py``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from medoffice import audit
from medoffice.db import transaction, utcnow
from peewee import EXCLUDED, chunked

from . import underpayments
from .models import CodeEntry, ExpectedAmount, Fee, Payer

# CMS place-of-service code set (codes not listed are unassigned).
PLACES_OF_SERVICE = {
    "01": "Pharmacy", "02": "Telehealth, not in the patient's home", "03": "School",
    "04": "Homeless shelter", "05": "Indian Health Service, free-standing",
    "06": "Indian Health Service, provider-based", "07": "Tribal 638, free-standing",
    "08": "Tribal 638, provider-based", "09": "Prison or correctional facility",
    "10": "Telehealth, in the patient's home", "11": "Office", "12": "Home",
    "13": "Assisted living facility", "14": "Group home", "15": "Mobile unit",
    "16": "Temporary lodging", "17": "Walk-in retail health clinic", "18": "Place of employment",
    "19": "Off-campus outpatient hospital", "20": "Urgent care facility",
    "21": "Inpatient hospital", "22": "On-campus outpatient hospital",
    "23": "Emergency room, hospital", "24": "Ambulatory surgical center", "25": "Birthing center",
    "26": "Military treatment facility", "27": "Outreach site or street",
    "31": "Skilled nursing facility", "32": "Nursing facility", "33": "Custodial care facility",
    "34": "Hospice", "41": "Ambulance, land", "42": "Ambulance, air or water",
    "49": "Independent clinic", "50": "Federally qualified health center",
    "51": "Inpatient psychiatric facility", "52": "Psychiatric facility, partial hospitalization",
    "53": "Community mental health center", "54": "Intermediate care facility, intellectual disability",
    "55": "Residential substance abuse treatment", "56": "Psychiatric residential treatment center",
    "57": "Non-residential substance abuse treatment", "58": "Non-residential opioid treatment",
    "60": "Mass immunization center", "61": "Comprehensive inpatient rehabilitation",
    "62": "Comprehensive outpatient rehabilitation", "65": "End-stage renal disease treatment",
    "66": "PACE center", "71": "State or local public health clinic", "72": "Rural health clinic",
    "81": "Independent laboratory", "99": "Other place of service",
}

# X12 claim filing indicator codes (SBR09).
FILING_INDICATORS = {
    "CI": "Commercial insurance", "BL": "Blue Cross / Blue Shield", "HM": "HMO",
    "12": "PPO", "13": "Point of service", "14": "EPO", "15": "Indemnity",
    "16": "HMO Medicare risk", "MA": "Medicare Part A", "MB": "Medicare Part B",
    "MC": "Medicaid", "CH": "TRICARE", "VA": "Veterans Affairs", "WC": "Workers' compensation",
    "AM": "Automobile medical", "LM": "Liability medical", "OF": "Other federal program",
    "11": "Other non-federal program", "ZZ": "Mutually defined",
}

CODE_KINDS = ("cpt",)
PROCEDURE_CODE = re.compile(r"^(?:\d{4}[0-9FTU]|[A-V]\d{4})$")  # CPT I/II/III/PLA or HCPCS II
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")


def procedure_code_is_valid_format(code: str) -> bool:
    """True for a CPT (5 digits, or 4 digits and F, T or U) or HCPCS Level II (A-V + 4 digits) code."""
    return bool(PROCEDURE_CODE.match(code or ""))


def modifier_is_valid_format(modifier: str) -> bool:
    """True for a two-character procedure modifier such as 25, 59 or GT."""
    return bool(MODIFIER.match(modifier or ""))


def display_icd10(code: str) -> str:
    """A stored diagnosis code with its dot back (``E119`` -> ``E11.9``)."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


# --- Payers ---------------------------------------------------------------------------------

PAYER_FIELDS = ("name", "payer_id", "address1", "address2", "city", "state", "zip", "phone",
                "filing_indicator", "timely_filing_days", "electronic", "secondary_electronic",
                "active", "notes")


class ReferenceDataError(ValueError):
    """A change to reference data was refused; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def save_payer(values: dict, payer: Payer | None = None) -> Payer:
    """Create or update a payer from cleaned form values (audited with the changed field names)."""
    values = {k: values[k] for k in PAYER_FIELDS if k in values}
    clash = Payer.select().where(Payer.name == values["name"])
    if payer is not None:
        clash = clash.where(Payer.id != payer.id)
    if clash.exists():
        raise ReferenceDataError("name", f"A payer named {values['name']!r} already exists.")
    with transaction():
        if payer is None:
            payer = Payer.create(**values)
            audit.record("billing.payer.create", "billing_payer", payer.id, detail={"name": payer.name})
            return payer
        changed = sorted(k for k, v in values.items() if getattr(payer, k) != v)
        Payer.update(updated_at=utcnow(), **values).where(Payer.id == payer.id).execute()
        audit.record("billing.payer.update", "billing_payer", payer.id, detail={"fields": changed})
    return Payer.get_by_id(payer.id)


# --- The fee schedule ---------------------------------------------------------------------------

def fee_for(code: str, modifiers: list[str] = ()) -> Fee | None:
    """The active fee for ``code``: the entry for its first modifier if there is one, else the plain one."""
    first = modifiers[0] if modifiers else ""
    rows = {f.modifier: f for f in Fee.select().where(
        (Fee.code == code) & (Fee.active == True) & (Fee.modifier.in_({first, ""})))}  # noqa: E712
    return rows.get(first) or rows.get("")


def default_charge_cents(code: str, modifiers: list[str] = (), units: int = 1) -> int | None:
    """The fee schedule's charge for ``units`` of ``code``, or None when the code has no fee."""
    fee = fee_for(code, modifiers)
    return None if fee is None else fee.charge_cents * max(units, 1)


def expected_allowed(payer_id: int, codes: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """What ``payer_id`` is expected to allow per (code, modifier), for the pairs that have an amount.

    An entry for the modifier wins; the code's plain entry applies otherwise.
    """
    wanted_codes = {code for code, _ in codes}
    if not wanted_codes:
        return {}
    rows = (ExpectedAmount.select(Fee.code, Fee.modifier, ExpectedAmount.allowed_cents)
            .join(Fee).where((ExpectedAmount.payer == payer_id) & Fee.code.in_(wanted_codes)).tuples())
    by_key = {(code, modifier): cents for code, modifier, cents in rows}
    result = {}
    for code, modifier in codes:
        cents = by_key.get((code, modifier), by_key.get((code, "")))
        if cents is not None:
            result[(code, modifier)] = cents
    return result


def save_fee(values: dict, allowed: dict[int, int | None], fee: Fee | None = None) -> Fee:
    """Create or update a fee and set its expected amounts for the payers in ``allowed`` (None removes one)."""
    clash = Fee.select().where((Fee.code == values["code"]) & (Fee.modifier == values["modifier"]))
    if fee is not None:
        clash = clash.where(Fee.id != fee.id)
    if clash.exists():
        label = values["code"] + (f"-{values['modifier']}" if values["modifier"] else "")
        raise ReferenceDataError("code", f"The fee schedule already has {label}; edit that entry instead.")
    codes = {values["code"]} | ({fee.code} if fee is not None else set())
    with transaction():
        if fee is None:
            fee = Fee.create(**values)
            action = "billing.fee.create"
        else:
            Fee.update(updated_at=utcnow(), **values).where(Fee.id == fee.id).execute()
            fee = Fee.get_by_id(fee.id)
            action = "billing.fee.update"
        if allowed:
            ExpectedAmount.delete().where((ExpectedAmount.fee == fee)
                                          & ExpectedAmount.payer.in_(list(allowed))).execute()
        rows = [{"fee": fee.id, "payer": payer_id, "allowed_cents": cents}
                for payer_id, cents in allowed.items() if cents is not None]
        if rows:
            ExpectedAmount.insert_many(rows).execute()
        audit.record(action, "billing_fee", fee.id, detail={"code": fee.code, "modifier": fee.modifier,
                                                            "charge_cents": fee.charge_cents})
        underpayments.refresh_codes(codes)
    return fee


# --- Code lists -----------------------------------------------------------------------------------

class CodeFileError(ValueError):
    """A code file was refused; ``problems`` lists every bad row (nothing was imported)."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the code file; nothing was imported")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows read, codes added, descriptions changed, codes already up to date."""

    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


def read_code_file(kind: str, text: str) -> list[tuple[str, str]]:
    """Parse and check a ``code,description`` CSV (a header row is optional).

    Every row is checked before anything is returned; all problems are reported at once.
    :raises CodeFileError: listing each bad row by line number.
    """
    if kind not in CODE_KINDS:
        raise CodeFileError([f"unknown code kind {kind!r}; use cpt"])
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not any(cell.strip() for cell in record):
            continue
        code = record[0].strip().upper()
        if number == 1 and code == "CODE":
            continue
        description = record[1].strip() if len(record) > 1 else ""
        if len(record) > 2:
            problems.append(f"line {number}: expected 2 columns (code,description), found {len(record)}")
            continue
        if not procedure_code_is_valid_format(code):
            problems.append(f"line {number}: {code!r} is not a CPT or HCPCS code")
            continue
        if len(description) > 255:
            problems.append(f"line {number}: the description is longer than 255 characters")
            continue
        if code in seen:
            problems.append(f"line {number}: {code} is already on line {seen[code]}")
            continue
        seen[code] = number
        rows.append((code, description))
    if problems:
        raise CodeFileError(problems)
    if not rows:
        raise CodeFileError(["the file holds no codes"])
    return rows


def import_codes(kind: str, rows: list[tuple[str, str]], batch: int = 500) -> ImportResult:
    """Upsert checked ``(code, description)`` rows into the code list, in one transaction.

    Importing the same file again changes nothing (every row counts as unchanged).
    """
    existing = dict(CodeEntry.select(CodeEntry.code, CodeEntry.description)
                    .where(CodeEntry.kind == kind).tuples())
    new = [r for r in rows if r[0] not in existing]
    changed = [r for r in rows if r[0] in existing and existing[r[0]] != r[1]]
    now = utcnow()
    with transaction():
        for part in chunked(new, batch):
            CodeEntry.insert_many([{"kind": kind, "code": c, "description": d, "imported_at": now}
                                   for c, d in part]).execute()
        for part in chunked(changed, batch):
            (CodeEntry.insert_many([{"kind": kind, "code": c, "description": d, "imported_at": now}
                                    for c, d in part])
             .on_conflict(conflict_target=[CodeEntry.kind, CodeEntry.code],
                          update={CodeEntry.description: EXCLUDED.description,
                                  CodeEntry.imported_at: now})
             .execute())
        audit.record("billing.codes.import", "billing_code", kind,
                     detail={"rows": len(rows), "inserted": len(new), "updated": len(changed)})
    return ImportResult(kind, len(rows), len(new), len(changed), len(rows) - len(new) - len(changed))
