"""Build 837P professional claim files (005010X222A1) from plain frozen dataclasses.

Money is integer cents and dates are ``datetime.date``. ``check_claim`` lists
everything that would make a claim unacceptable (bad NPI, diagnosis pointers,
coordination-of-benefits arithmetic...); ``build_837p`` refuses to write a
file while any claim has such a problem.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from ..validators import format_cents, icd10_is_valid_format, normalize_icd10, npi_is_valid
from .codes import ADJUSTMENT_GROUPS
from .remit835 import Adjustment
from .segments import Delimiters, Element, join_segments

VERSION_837P = "005010X222A1"
DELIMITERS = Delimiters(element="*", component=":", repetition="^", segment="~")
MAX_DIAGNOSES = 12
MAX_LINES = 50
MEDICARE_FILING_INDICATORS = ("MA", "MB")  # SBR09: Medicare Part A, Part B
# SBR05 (insurance type code), sent when Medicare is the payer but not the primary one.
MEDICARE_SECONDARY_TYPES = {
    "12": "Medicare Secondary Working Aged Beneficiary or Spouse with Employer Group Health Plan",
    "13": "Medicare Secondary End-Stage Renal Disease Beneficiary in the Mandated Coordination Period "
          "with an Employer's Group Health Plan",
    "14": "Medicare Secondary, No-fault Insurance including Auto is Primary",
    "15": "Medicare Secondary Worker's Compensation",
    "16": "Medicare Secondary Public Health Service (PHS) or Other Federal Agency",
    "41": "Medicare Secondary Black Lung",
    "42": "Medicare Secondary Veteran's Administration",
    "43": "Medicare Secondary Disabled Beneficiary Under Age 65 with Large Group Health Plan (LGHP)",
    "47": "Medicare Secondary, Other Liability Insurance is Primary",
}
_FORBIDDEN = set("*:^~") | {chr(code) for code in range(32)} | {"\x7f"}  # delimiters and control characters

Segment = list[Element]
_Item = TypeVar("_Item")
_Key = TypeVar("_Key", bound=Hashable)


class ClaimValidationError(ValueError):
    """Raised by ``build_837p`` when claims or envelope settings are not acceptable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The claim file was not built:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Address:
    """A street address; billing provider ZIP codes should have 9 digits."""

    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""


@dataclass(frozen=True)
class Interchange:
    """Trading partner IDs for the ISA and GS envelopes."""

    sender_id: str
    receiver_id: str
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender: str = ""
    application_receiver: str = ""
    acknowledgment_requested: bool = False


@dataclass(frozen=True)
class Submitter:
    """Loop 1000A: who sends the file (ID assigned by the clearinghouse) and whom to call."""

    name: str
    identifier: str
    contact_name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class Receiver:
    """Loop 1000B: the clearinghouse or payer that receives the file."""

    name: str
    identifier: str


@dataclass(frozen=True)
class BillingProvider:
    """Loop 2000A/2010AA. Set ``first_name`` when the billing provider is a person."""

    name: str
    npi: str
    tax_id: str
    address: Address
    taxonomy: str = ""
    first_name: str = ""


@dataclass(frozen=True)
class Payer:
    """An insurance payer with the payer ID used by the clearinghouse."""

    name: str
    payer_id: str
    address: Address | None = None


@dataclass(frozen=True)
class Subscriber:
    """Loop 2000B: the insured person, their coverage and the payer the claim goes to.

    ``responsibility`` is P, S or T (SBR01); ``filing_indicator`` is SBR09 (CI,
    MB, MC, BL, HM...). ``insurance_type`` is SBR05, the Medicare Secondary
    Payer type: set exactly when the payer is Medicare and not primary.
    Address and birth date are required when the subscriber is the patient.
    """

    member_id: str
    last_name: str
    first_name: str
    payer: Payer
    responsibility: str = "P"
    filing_indicator: str = "CI"
    group_number: str = ""
    middle_name: str = ""
    birth_date: date | None = None
    sex: str = "U"
    address: Address | None = None
    insurance_type: str = ""


def medicare_secondary(filing_indicator: str, responsibility: str) -> bool:
    """True when the payer is Medicare and another payer pays first: SBR05 is then required."""
    return filing_indicator in MEDICARE_FILING_INDICATORS and responsibility != "P"


@dataclass(frozen=True)
class Patient:
    """Loop 2000C: a dependent patient; ``relationship`` is PAT01 (19 child, 01 spouse...)."""

    relationship: str
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    address: Address
    middle_name: str = ""


@dataclass(frozen=True)
class Provider:
    """A person acting as referring (2310A) or rendering (2310B) provider."""

    last_name: str
    first_name: str
    npi: str
    taxonomy: str = ""
    middle_name: str = ""


@dataclass(frozen=True)
class ServiceFacility:
    """Loop 2310C: where the service was given, when that is not the billing address."""

    name: str
    address: Address
    npi: str = ""


@dataclass(frozen=True)
class OtherPayer:
    """Loops 2320/2330A/2330B: another coverage, and what that payer did with the claim.

    ``paid_cents`` (AMT*D) and ``adjustments`` (claim-level CAS) are set once
    that payer has adjudicated the claim. ``relationship`` is SBR02, the
    patient's relationship to the other insured; ``insurance_type`` is SBR05,
    as for ``Subscriber``.
    """

    payer: Payer
    responsibility: str
    insured_last_name: str
    insured_first_name: str
    insured_member_id: str
    relationship: str = "18"
    filing_indicator: str = "CI"
    group_number: str = ""
    insured_address: Address | None = None
    insurance_type: str = ""
    paid_cents: int | None = None
    adjustments: tuple[Adjustment, ...] = ()
    remaining_patient_liability_cents: int | None = None
    adjudication_date: date | None = None


@dataclass(frozen=True)
class LineAdjudication:
    """Loop 2430: how another payer adjudicated one service line (SVD, CAS, DTP*573)."""

    payer_id: str
    paid_cents: int
    procedure_code: str
    adjudication_date: date
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class ServiceLine:
    """Loop 2400: one billed service. ``diagnosis_pointers`` are 1-based positions in the claim's diagnoses."""

    procedure_code: str
    charge_cents: int
    service_date: date
    diagnosis_pointers: tuple[int, ...] = (1,)
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    unit_code: str = "UN"
    service_end_date: date | None = None
    control_number: str = ""
    place_of_service: str = ""
    prior_adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True)
class Claim:
    """Loop 2300: one claim for one patient, billed to ``subscriber.payer``.

    Leave ``patient`` unset when the subscriber is the patient.
    ``frequency_code`` 7 (replacement) or 8 (void) needs
    ``original_claim_number``, the payer's claim number from the 835 (CLP07).
    """

    patient_control_number: str
    subscriber: Subscriber
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    patient: Patient | None = None
    place_of_service: str = "11"
    frequency_code: str = "1"
    original_claim_number: str = ""
    prior_authorization: str = ""
    referring_provider: Provider | None = None
    rendering_provider: Provider | None = None
    service_facility: ServiceFacility | None = None
    other_payers: tuple[OtherPayer, ...] = ()
    provider_signature: bool = True
    assignment: str = "A"
    benefits_assignment: str = "Y"
    release_of_information: str = "Y"
    patient_signature_source: str = ""

    @property
    def total_charge_cents(self) -> int:
        """CLM02: the sum of the line charges."""
        return sum(line.charge_cents for line in self.lines)


def check_billing_provider(provider: BillingProvider) -> list[str]:
    """Return every reason the billing provider cannot appear on a claim; [] when it is fine."""
    label = f"Billing provider {provider.name}"
    problems: list[str] = []
    if not npi_is_valid(provider.npi):
        problems.append(f"{label}: NPI {provider.npi!r} is not a valid NPI.")
    if len(_digits(provider.tax_id)) != 9:
        problems.append(f"{label}: the tax ID (EIN) must have 9 digits.")
    if len(_digits(provider.address.postal_code)) != 9:
        problems.append(f"{label}: the ZIP code must have 9 digits (ZIP+4).")
    if _text(provider.address.line1).replace(".", "").startswith(("PO BOX", "P O BOX")):
        problems.append(f"{label}: the billing address must be a street address, not a PO box.")
    return problems


def check_claim(claim: Claim) -> list[str]:
    """Return every reason the claim cannot be sent, in plain English; [] when it is ready."""
    label = f"Claim {claim.patient_control_number or '(no number)'}"
    problems = [f"{label}: {problem}" for problem in _claim_problems(claim)]
    for number, line in enumerate(claim.lines, start=1):
        problems.extend(f"{label}, line {number}: {problem}" for problem in _line_problems(claim, line))
    for other in claim.other_payers:
        problems.extend(f"{label}: {problem}" for problem in _other_payer_problems(claim, other))
    return problems


def _claim_problems(claim: Claim) -> list[str]:
    problems: list[str] = []
    if not claim.patient_control_number or len(claim.patient_control_number) > 20:
        problems.append("the patient control number must be 1 to 20 characters.")
    if not 1 <= len(claim.lines) <= MAX_LINES:
        problems.append(f"a claim needs 1 to {MAX_LINES} service lines, it has {len(claim.lines)}.")
    if not 1 <= len(claim.diagnoses) <= MAX_DIAGNOSES:
        problems.append(f"a claim needs 1 to {MAX_DIAGNOSES} diagnoses, it has {len(claim.diagnoses)}.")
    problems.extend(f"diagnosis {code!r} is not a valid ICD-10-CM code."
                    for code in claim.diagnoses if not icd10_is_valid_format(code))
    if claim.frequency_code not in ("1", "7", "8"):
        problems.append(f"frequency code {claim.frequency_code!r} must be 1 (original), 7 (replacement) or 8 (void).")
    elif claim.frequency_code != "1" and not claim.original_claim_number:
        problems.append("a replacement or void claim needs the payer's original claim number (REF*F8).")
    if not (len(claim.place_of_service) == 2 and claim.place_of_service.isdecimal()):
        problems.append(f"place of service {claim.place_of_service!r} must be a 2-digit code.")
    for role, provider in (("referring", claim.referring_provider), ("rendering", claim.rendering_provider)):
        if provider is not None and not npi_is_valid(provider.npi):
            problems.append(f"{role} provider NPI {provider.npi!r} is not a valid NPI.")
    facility = claim.service_facility
    if facility is not None and facility.npi and not npi_is_valid(facility.npi):
        problems.append(f"service facility NPI {facility.npi!r} is not a valid NPI.")
    problems.extend(_people_problems(claim))
    if claim.subscriber.responsibility != "P" and not claim.other_payers:
        problems.append("the claim is billed to a secondary or tertiary payer but no other payer is listed.")
    return problems


def _people_problems(claim: Claim) -> list[str]:
    problems: list[str] = []
    subscriber = claim.subscriber
    if subscriber.responsibility not in ("P", "S", "T"):
        problems.append(f"payer responsibility {subscriber.responsibility!r} must be P, S or T.")
    if not subscriber.member_id or not subscriber.payer.payer_id:
        problems.append("the subscriber's member ID and the payer ID are required.")
    if claim.patient is None and (subscriber.address is None or subscriber.birth_date is None):
        problems.append("the subscriber is the patient, so their address and birth date are required.")
    sexes = [subscriber.sex] + ([claim.patient.sex] if claim.patient else [])
    problems.extend(f"sex {sex!r} must be F, M or U." for sex in sexes if sex not in ("F", "M", "U"))
    if medicare_secondary(subscriber.filing_indicator, subscriber.responsibility) and not subscriber.insurance_type:
        problems.append("the payer is Medicare but not the primary payer, so the Medicare Secondary Payer type "
                        "(SBR05) is required.")
    problems.extend(_insurance_type_problems("the payer", subscriber.filing_indicator, subscriber.responsibility,
                                             subscriber.insurance_type))
    return problems


def _insurance_type_problems(who: str, filing_indicator: str, responsibility: str, insurance_type: str) -> list[str]:
    """A Medicare Secondary Payer type (SBR05) that is not on the code list, or sent where it does not belong."""
    if not insurance_type:
        return []
    if not medicare_secondary(filing_indicator, responsibility):
        return [f"{who} is not Medicare as a secondary or tertiary payer, so it takes no Medicare Secondary "
                "Payer type (SBR05)."]
    if insurance_type not in MEDICARE_SECONDARY_TYPES:
        return [f"{who}: Medicare Secondary Payer type {insurance_type!r} is not one of "
                f"{', '.join(MEDICARE_SECONDARY_TYPES)}."]
    return []


def _line_problems(claim: Claim, line: ServiceLine) -> list[str]:
    problems: list[str] = []
    if not line.procedure_code:
        problems.append("the procedure code is missing.")
    if len(line.modifiers) > 4:
        problems.append(f"a line takes at most 4 modifiers, it has {len(line.modifiers)}.")
    if line.charge_cents < 0:
        problems.append("the charge cannot be negative.")
    if line.units <= 0:
        problems.append("the units must be more than zero.")
    pointers = line.diagnosis_pointers
    if not 1 <= len(pointers) <= 4 or len(set(pointers)) != len(pointers):
        problems.append("a line needs 1 to 4 different diagnosis pointers.")
    bad = [pointer for pointer in pointers if not 1 <= pointer <= len(claim.diagnoses)]
    if bad:
        problems.append(f"diagnosis pointer(s) {bad} point past the {len(claim.diagnoses)} diagnoses on the claim.")
    known_payers = {other.payer.payer_id for other in claim.other_payers}
    for adjudication in line.prior_adjudications:
        if adjudication.payer_id not in known_payers:
            problems.append(f"prior payment from payer {adjudication.payer_id!r} does not match any other payer "
                            f"on the claim.")
        problems.extend(_adjustment_problems(adjudication.adjustments))
    return problems


def _other_payer_problems(claim: Claim, other: OtherPayer) -> list[str]:
    name = f"other payer {other.payer.name}"
    problems = [f"{name}: {problem}" for problem in _adjustment_problems(other.adjustments)]
    problems.extend(_insurance_type_problems(name, other.filing_indicator, other.responsibility, other.insurance_type))
    if other.responsibility not in ("P", "S", "T"):
        problems.append(f"{name}: payer responsibility {other.responsibility!r} must be P, S or T.")
    if other.paid_cents is None:
        return problems
    claim_adjusted = sum(adjustment.amount_cents for adjustment in other.adjustments)
    line_paid = line_adjusted = 0
    for number, line in enumerate(claim.lines, start=1):
        for adjudication in line.prior_adjudications:
            if adjudication.payer_id != other.payer.payer_id:
                continue
            adjusted = sum(adjustment.amount_cents for adjustment in adjudication.adjustments)
            line_paid += adjudication.paid_cents
            line_adjusted += adjusted
            if line.charge_cents != adjudication.paid_cents + adjusted:
                problems.append(f"{name}, line {number}: charge {format_cents(line.charge_cents)} is not paid "
                                f"{format_cents(adjudication.paid_cents)} plus adjustments {format_cents(adjusted)}.")
    accounted = other.paid_cents + claim_adjusted + line_adjusted
    if claim.total_charge_cents != accounted:
        problems.append(f"{name}: claim charge {format_cents(claim.total_charge_cents)} is not paid "
                        f"{format_cents(other.paid_cents)} plus claim adjustments {format_cents(claim_adjusted)} "
                        f"plus line adjustments {format_cents(line_adjusted)}.")
    if line_paid and other.paid_cents != line_paid - claim_adjusted:
        problems.append(f"{name}: paid amount {format_cents(other.paid_cents)} is not the line payments "
                        f"{format_cents(line_paid)} minus claim adjustments {format_cents(claim_adjusted)}.")
    return problems


def _adjustment_problems(adjustments: Sequence[Adjustment]) -> list[str]:
    problems = [f"adjustment group {item.group_code!r} must be CO, PR, OA or PI."
                for item in adjustments if item.group_code not in ADJUSTMENT_GROUPS]
    for group, items in _group_adjustments(adjustments).items():
        if len(items) > 6:
            problems.append(f"at most 6 adjustments of group {group} can be sent, there are {len(items)}.")
    return problems


def build_837p(
    interchange: Interchange,
    submitter: Submitter,
    receiver: Receiver,
    claims_by_billing_provider: Mapping[BillingProvider, Sequence[Claim]],
    *,
    interchange_control_number: int,
    group_control_number: int,
    transaction_control_number: int,
    usage_indicator: str,
    created: datetime,
    reference: str = "",
) -> str:
    """Write one interchange holding one 837P transaction for all the given claims.

    Claims are grouped under their billing provider (2000A), then by
    subscriber and payer (2000B), then by dependent patient (2000C). Control
    numbers come from the caller, who must keep them unique: ISA13 and GS06
    are 1-999999999, ST02 is written with at least 4 digits. ``usage_indicator``
    is ``"T"`` (test) or ``"P"`` (production); ``reference`` is BHT03 and
    defaults to the transaction control number. Raises ``ClaimValidationError``
    listing every problem found.
    """
    problems = _envelope_problems(interchange, interchange_control_number, group_control_number,
                                  transaction_control_number, usage_indicator)
    for provider, claims in claims_by_billing_provider.items():
        problems.extend(check_billing_provider(provider))
        if not claims:
            problems.append(f"Billing provider {provider.name} has no claims.")
        for claim in claims:
            problems.extend(check_claim(claim))
    if not claims_by_billing_provider:
        problems.append("There are no claims to send.")
    if problems:
        raise ClaimValidationError(problems)

    st02 = f"{transaction_control_number:04d}"
    body: list[Segment] = [
        ["ST", "837", st02, VERSION_837P],
        ["BHT", "0019", "00", _text(reference) or st02, _d8(created.date()), created.strftime("%H%M"), "CH"],
        ["NM1", "41", "2", _text(submitter.name), "", "", "", "", "46", _text(submitter.identifier)],
        _submitter_contact(submitter),
        ["NM1", "40", "2", _text(receiver.name), "", "", "", "", "46", _text(receiver.identifier)],
    ]
    body.extend(_HierarchyWriter().write(claims_by_billing_provider))
    body.append(["SE", str(len(body) + 1), st02])
    isa13 = f"{interchange_control_number:09d}"
    segments: list[Segment] = [
        _isa(interchange, isa13, usage_indicator, created),
        ["GS", "HC", _text(interchange.application_sender or interchange.sender_id),
         _text(interchange.application_receiver or interchange.receiver_id), _d8(created.date()),
         created.strftime("%H%M"), str(group_control_number), "X", VERSION_837P],
        *body,
        ["GE", "1", str(group_control_number)],
        ["IEA", "1", isa13],
    ]
    return join_segments(segments, DELIMITERS)


def _envelope_problems(interchange: Interchange, isa13: int, gs06: int, st02: int, usage: str) -> list[str]:
    problems: list[str] = []
    for name, number in (("interchange", isa13), ("group", gs06), ("transaction", st02)):
        if not isinstance(number, int) or not 1 <= number <= 999_999_999:
            problems.append(f"The {name} control number must be a whole number from 1 to 999999999.")
    if usage not in ("T", "P"):
        problems.append(f"The usage indicator must be T (test) or P (production), not {usage!r}.")
    for role, qualifier, value in (("sender", interchange.sender_qualifier, interchange.sender_id),
                                   ("receiver", interchange.receiver_qualifier, interchange.receiver_id)):
        # The ISA is fixed-width: qualifiers are 2 characters and IDs are padded to 15.
        if len(qualifier) != 2 or not 1 <= len(_text(value)) <= 15:
            problems.append(f"The interchange {role} needs a 2-character qualifier and an ID of 1 to 15 characters.")
    return problems


def _isa(interchange: Interchange, isa13: str, usage: str, created: datetime) -> Segment:
    return [
        "ISA", "00", " " * 10, "00", " " * 10,
        interchange.sender_qualifier, _text(interchange.sender_id).ljust(15),
        interchange.receiver_qualifier, _text(interchange.receiver_id).ljust(15),
        created.strftime("%y%m%d"), created.strftime("%H%M"), DELIMITERS.repetition, "00501", isa13,
        "1" if interchange.acknowledgment_requested else "0", usage, DELIMITERS.component,
    ]


def _submitter_contact(submitter: Submitter) -> Segment:
    segment: Segment = ["PER", "IC", _text(submitter.contact_name), "TE", _digits(submitter.phone)]
    if submitter.email:
        segment += ["EM", _text(submitter.email)]
    return segment


class _HierarchyWriter:
    """Writes the HL tree (2000A/B/C) and the claims below it, numbering HL01 as it goes."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.hl_count = 0

    def write(self, claims_by_billing_provider: Mapping[BillingProvider, Sequence[Claim]]) -> list[Segment]:
        for provider, claims in claims_by_billing_provider.items():
            provider_hl = self._hl("", "20", True)
            if provider.taxonomy:
                self.segments.append(["PRV", "BI", "PXC", _text(provider.taxonomy)])
            self.segments.append(_name("85", provider.name, provider.first_name, "XX", provider.npi))
            self.segments.extend(_address(provider.address))
            self.segments.append(["REF", "EI", _digits(provider.tax_id)])
            for subscriber, subscriber_claims in _group(claims, lambda claim: claim.subscriber).items():
                self._subscriber(provider, provider_hl, subscriber, subscriber_claims)
        return self.segments

    def _hl(self, parent: str, level: str, has_children: bool) -> str:
        self.hl_count += 1
        self.segments.append(["HL", str(self.hl_count), parent, level, "1" if has_children else "0"])
        return str(self.hl_count)

    def _subscriber(self, provider: BillingProvider, parent: str, subscriber: Subscriber,
                    claims: list[Claim]) -> None:
        own_claims = [claim for claim in claims if claim.patient is None]
        dependents = _group([claim for claim in claims if claim.patient is not None],
                            lambda claim: claim.patient)
        subscriber_hl = self._hl(parent, "22", bool(dependents))
        self.segments.append(["SBR", subscriber.responsibility, "18" if own_claims else "",
                              _text(subscriber.group_number), "", subscriber.insurance_type, "", "", "",
                              subscriber.filing_indicator])
        self.segments.append(_name("IL", subscriber.last_name, subscriber.first_name, "MI",
                                   subscriber.member_id, subscriber.middle_name))
        if subscriber.address is not None:
            self.segments.extend(_address(subscriber.address))
        if subscriber.birth_date is not None:
            self.segments.append(["DMG", "D8", _d8(subscriber.birth_date), subscriber.sex])
        self.segments.append(_name("PR", subscriber.payer.name, "", "PI", subscriber.payer.payer_id))
        if subscriber.payer.address is not None:
            self.segments.extend(_address(subscriber.payer.address))
        for claim in own_claims:
            self.segments.extend(_ClaimWriter(provider, claim).segments())
        for patient, patient_claims in dependents.items():
            self._hl(subscriber_hl, "23", False)
            self.segments.append(["PAT", patient.relationship])
            self.segments.append(_name("QC", patient.last_name, patient.first_name, "", "", patient.middle_name))
            self.segments.extend(_address(patient.address))
            self.segments.append(["DMG", "D8", _d8(patient.birth_date), patient.sex])
            for claim in patient_claims:
                self.segments.extend(_ClaimWriter(provider, claim).segments())


class _ClaimWriter:
    """Writes the 2300 loop of one claim with its 2310, 2320/2330 and 2400/2430 loops."""

    def __init__(self, provider: BillingProvider, claim: Claim) -> None:
        self.provider = provider
        self.claim = claim

    def segments(self) -> list[Segment]:
        claim = self.claim
        out: list[Segment] = [[
            "CLM", _text(claim.patient_control_number), _amount(claim.total_charge_cents), "", "",
            (claim.place_of_service, "B", claim.frequency_code), "Y" if claim.provider_signature else "N",
            claim.assignment, claim.benefits_assignment, claim.release_of_information, claim.patient_signature_source,
        ]]
        if claim.prior_authorization:
            out.append(["REF", "G1", _text(claim.prior_authorization)])
        if claim.frequency_code != "1":
            out.append(["REF", "F8", _text(claim.original_claim_number)])
        out.append(["HI", *((("ABK" if index == 0 else "ABF"), normalize_icd10(code))
                            for index, code in enumerate(claim.diagnoses))])
        out.extend(self._providers())
        for other in claim.other_payers:
            out.extend(self._other_payer(other))
        for number, line in enumerate(claim.lines, start=1):
            out.extend(self._line(number, line))
        return out

    def _providers(self) -> list[Segment]:
        claim, out = self.claim, []
        referring = claim.referring_provider
        if referring is not None:
            out.append(_name("DN", referring.last_name, referring.first_name, "XX", referring.npi,
                             referring.middle_name))
        rendering = claim.rendering_provider
        if rendering is not None and rendering.npi != self.provider.npi:
            out.append(_name("82", rendering.last_name, rendering.first_name, "XX", rendering.npi,
                             rendering.middle_name))
            if rendering.taxonomy:
                out.append(["PRV", "PE", "PXC", _text(rendering.taxonomy)])
        facility = claim.service_facility
        if facility is not None and facility.address != self.provider.address:
            out.append(["NM1", "77", "2", _text(facility.name), "", "", "", "",
                        "XX" if facility.npi else "", facility.npi])
            out.extend(_address(facility.address))
        return out

    def _other_payer(self, other: OtherPayer) -> list[Segment]:
        claim = self.claim
        out: list[Segment] = [["SBR", other.responsibility, other.relationship, _text(other.group_number),
                               "", other.insurance_type, "", "", "", other.filing_indicator]]
        out.extend(_cas_segments(other.adjustments))
        if other.paid_cents is not None:
            out.append(["AMT", "D", _amount(other.paid_cents)])
        if other.remaining_patient_liability_cents is not None:
            out.append(["AMT", "EAF", _amount(other.remaining_patient_liability_cents)])
        out.append(["OI", "", "", claim.benefits_assignment, "", "", claim.release_of_information])
        out.append(_name("IL", other.insured_last_name, other.insured_first_name, "MI", other.insured_member_id))
        if other.insured_address is not None:
            out.extend(_address(other.insured_address))
        out.append(_name("PR", other.payer.name, "", "PI", other.payer.payer_id))
        if other.payer.address is not None:
            out.extend(_address(other.payer.address))
        has_line_dates = any(adjudication.payer_id == other.payer.payer_id
                             for line in claim.lines for adjudication in line.prior_adjudications)
        if other.adjudication_date is not None and not has_line_dates:
            out.append(["DTP", "573", "D8", _d8(other.adjudication_date)])
        return out

    def _line(self, number: int, line: ServiceLine) -> list[Segment]:
        place = line.place_of_service if line.place_of_service != self.claim.place_of_service else ""
        out: list[Segment] = [
            ["LX", str(number)],
            ["SV1", ("HC", _text(line.procedure_code), *map(_text, line.modifiers)), _amount(line.charge_cents),
             line.unit_code, _units(line.units), place, "", tuple(str(pointer) for pointer in line.diagnosis_pointers)],
        ]
        if line.service_end_date is not None and line.service_end_date != line.service_date:
            out.append(["DTP", "472", "RD8", f"{_d8(line.service_date)}-{_d8(line.service_end_date)}"])
        else:
            out.append(["DTP", "472", "D8", _d8(line.service_date)])
        if line.control_number:
            out.append(["REF", "6R", _text(line.control_number)])
        for adjudication in line.prior_adjudications:
            out.append(["SVD", _text(adjudication.payer_id), _amount(adjudication.paid_cents),
                        ("HC", _text(adjudication.procedure_code), *map(_text, adjudication.modifiers)), "",
                        _units(adjudication.units)])
            out.extend(_cas_segments(adjudication.adjustments))
            out.append(["DTP", "573", "D8", _d8(adjudication.adjudication_date)])
        return out


def _group(items: Iterable[_Item], key: Callable[[_Item], _Key]) -> dict[_Key, list[_Item]]:
    """Group items by key, keeping first-seen order of keys and items."""
    groups: dict[_Key, list[_Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _group_adjustments(adjustments: Sequence[Adjustment]) -> dict[str, list[Adjustment]]:
    return _group(adjustments, lambda adjustment: adjustment.group_code)


def _cas_segments(adjustments: Sequence[Adjustment]) -> list[Segment]:
    segments: list[Segment] = []
    for group, items in _group_adjustments(adjustments).items():
        segment: Segment = ["CAS", group]
        for item in items:
            segment += [_text(item.reason_code), _amount(item.amount_cents),
                        "" if item.quantity is None else _units(item.quantity)]
        segments.append(segment)
    return segments


def _name(entity: str, last: str, first: str, qualifier: str, identifier: str, middle: str = "") -> Segment:
    person = "1" if first else "2"
    return ["NM1", entity, person, _text(last), _text(first), _text(middle), "", "",
            qualifier if identifier else "", _text(identifier)]


def _address(address: Address) -> list[Segment]:
    return [
        ["N3", _text(address.line1), _text(address.line2)],
        ["N4", _text(address.city), _text(address.state), _digits(address.postal_code)],
    ]


def _text(value: str) -> str:
    """Upper-case ASCII without X12 delimiters or doubled spaces, as 837 data must be."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(" " if char in _FORBIDDEN else char for char in ascii_text.upper())
    return " ".join(cleaned.split())


def _digits(value: str) -> str:
    return "".join(char for char in value if char in "0123456789")


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def _amount(cents: int) -> str:
    """X12 decimal without needless zeros: 4300 -> "43", 2150 -> "21.5", -900 -> "-9"."""
    sign = "-" if cents < 0 else ""
    dollars, remainder = divmod(abs(cents), 100)
    if remainder == 0:
        return f"{sign}{dollars}"
    return f"{sign}{dollars}.{remainder:02d}".rstrip("0")


def _units(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f")
