"""Read 835 remittance advice (005010X221A1) into frozen dataclasses and check its arithmetic.

Money is integer cents; dates are ``datetime.date``. Parsing is lenient:
deviations from the implementation guide are collected in
``Remittance.problems`` instead of stopping the read, so the caller decides
whether to refuse the file. ``check_835`` gathers every problem for an import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..validators import format_cents
from .codes import ADJUSTMENT_GROUPS, CLAIM_STATUS
from .segments import X12SyntaxError, envelope_problems, get_element, segment_count_problem, tokenize

VERSION_835 = "005010X221A1"


@dataclass(frozen=True)
class Adjustment:
    """One CAS reason/amount/quantity triplet with its group code (CO, PR, OA, PI)."""

    group_code: str
    reason_code: str
    amount_cents: int
    quantity: Decimal | None = None


@dataclass(frozen=True)
class Party:
    """A person named in an NM1 segment, with the identifier the payer sent."""

    last_name: str
    first_name: str = ""
    middle_name: str = ""
    id_qualifier: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class ServiceLine:
    """A service line payment (SVC loop 2110)."""

    procedure_qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge_cents: int
    paid_cents: int
    units: Decimal
    original_procedure_code: str | None
    original_modifiers: tuple[str, ...]
    control_number: str | None
    service_date: date | None
    service_end_date: date | None
    adjustments: tuple[Adjustment, ...]
    remark_codes: tuple[str, ...]
    allowed_cents: int | None


@dataclass(frozen=True)
class ClaimPayment:
    """A claim payment (CLP loop 2100) with its adjustments and service lines."""

    patient_control_number: str
    status_code: str
    charge_cents: int
    paid_cents: int
    patient_responsibility_cents: int
    filing_indicator: str
    payer_claim_number: str
    adjustments: tuple[Adjustment, ...]
    lines: tuple[ServiceLine, ...]
    patient: Party | None
    insured: Party | None
    remark_codes: tuple[str, ...]
    received_date: date | None
    service_start_date: date | None
    service_end_date: date | None

    @property
    def member_id(self) -> str:
        """The subscriber's member ID: NM1*IL when sent, else the patient's NM1*QC ID."""
        party = self.insured or self.patient
        return party.identifier if party else ""


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment; a positive amount reduces the payment, a negative one increases it."""

    provider_id: str
    fiscal_period_end: date | None
    reason_code: str
    reference: str
    amount_cents: int


@dataclass(frozen=True)
class InterchangeInfo:
    """Envelope details of the file that carried a remittance (ISA and GS)."""

    sender_id: str
    receiver_id: str
    control_number: str
    usage_indicator: str
    group_control_number: str
    application_sender: str
    application_receiver: str
    created: datetime | None
    version: str


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction (ST...SE): a single payment or notice and the claims it covers."""

    interchange: InterchangeInfo
    transaction_control_number: str
    handling_code: str
    total_paid_cents: int
    payment_method: str
    payment_date: date | None
    trace_number: str
    trace_payer_id: str
    production_date: date | None
    payer_name: str
    payer_id: str
    payee_name: str
    payee_npi: str
    payee_tax_id: str
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    segment_count: int
    declared_segment_count: str
    problems: tuple[str, ...]


def parse_835(text: str) -> list[Remittance]:
    """Parse every 835 transaction in ``text`` into a ``Remittance``.

    Raises ``X12SyntaxError`` when the text is not X12, holds a transaction
    other than an 835, or carries an unreadable amount.
    """
    segments, delimiters = tokenize(text)
    return _FileParser(delimiters.component).parse(segments)


def check_balance(remittance: Remittance) -> list[str]:
    """Check the 835 arithmetic a payment poster relies on; return problems in plain English.

    Per line: charge - paid = line adjustments. Per claim: charge - paid =
    claim + line adjustments; with lines, the line charges add up to the claim
    charge and line payments minus claim adjustments equal the claim payment;
    patient responsibility equals the PR adjustments. Per payment: total =
    claim payments - provider adjustments (zero for a notice without money),
    and the SE trailer's segment count is right.
    """
    problems: list[str] = []
    for number, claim in enumerate(remittance.claims, start=1):
        problems.extend(_claim_balance(claim, number))
    claims_paid = sum(claim.paid_cents for claim in remittance.claims)
    provider_total = sum(adjustment.amount_cents for adjustment in remittance.provider_adjustments)
    payment = f"Payment {remittance.trace_number or remittance.transaction_control_number}"
    if remittance.total_paid_cents != claims_paid - provider_total:
        problems.append(
            f"{payment}: the payment total is {format_cents(remittance.total_paid_cents)}, but claim payments "
            f"{format_cents(claims_paid)} minus provider-level adjustments {format_cents(provider_total)} "
            f"come to {format_cents(claims_paid - provider_total)}."
        )
    no_money = remittance.handling_code == "H" or remittance.payment_method == "NON"
    if no_money and remittance.total_paid_cents != 0:
        problems.append(f"{payment}: this remittance is marked as carrying no money, yet its total is "
                        f"{format_cents(remittance.total_paid_cents)}.")
    count_problem = segment_count_problem(remittance.transaction_control_number,
                                          remittance.declared_segment_count, remittance.segment_count)
    if count_problem:
        problems.append(count_problem)
    return problems


def _claim_balance(claim: ClaimPayment, number: int) -> list[str]:
    problems: list[str] = []
    label = _claim_label(claim, number)
    claim_adjusted = sum(adjustment.amount_cents for adjustment in claim.adjustments)
    line_adjusted = 0
    for line_number, line in enumerate(claim.lines, start=1):
        adjusted = sum(adjustment.amount_cents for adjustment in line.adjustments)
        line_adjusted += adjusted
        if line.charge_cents - line.paid_cents != adjusted:
            problems.append(
                f"{label}, line {line_number} ({_line_label(line)}): charge {format_cents(line.charge_cents)} "
                f"minus paid {format_cents(line.paid_cents)} is {format_cents(line.charge_cents - line.paid_cents)}, "
                f"but the line's adjustments add up to {format_cents(adjusted)}."
            )
    unpaid = claim.charge_cents - claim.paid_cents
    if unpaid != claim_adjusted + line_adjusted:
        problems.append(
            f"{label}: charge {format_cents(claim.charge_cents)} minus paid {format_cents(claim.paid_cents)} "
            f"is {format_cents(unpaid)}, but claim and line adjustments add up to "
            f"{format_cents(claim_adjusted + line_adjusted)}."
        )
    if claim.lines:
        line_charges = sum(line.charge_cents for line in claim.lines)
        line_paid = sum(line.paid_cents for line in claim.lines)
        if line_charges != claim.charge_cents:
            problems.append(f"{label}: the service lines are billed at {format_cents(line_charges)} in total, "
                            f"but the claim charge is {format_cents(claim.charge_cents)}.")
        if line_paid - claim_adjusted != claim.paid_cents:
            problems.append(
                f"{label}: line payments {format_cents(line_paid)} minus claim-level adjustments "
                f"{format_cents(claim_adjusted)} come to {format_cents(line_paid - claim_adjusted)}, "
                f"but the claim says {format_cents(claim.paid_cents)} was paid."
            )
    every_adjustment = list(claim.adjustments) + [item for line in claim.lines for item in line.adjustments]
    patient_share = sum(item.amount_cents for item in every_adjustment if item.group_code == "PR")
    if patient_share != claim.patient_responsibility_cents:
        problems.append(
            f"{label}: patient responsibility is {format_cents(claim.patient_responsibility_cents)}, but the "
            f"patient-responsibility (PR) adjustments add up to {format_cents(patient_share)}."
        )
    return problems


def _claim_label(claim: ClaimPayment, number: int) -> str:
    patient = claim.patient
    name = ", ".join(part for part in (patient.last_name, patient.first_name) if part) if patient else ""
    who = f", patient {name}" if name else ""
    return f"Claim {claim.patient_control_number} (#{number} in this remittance{who})"


def _line_label(line: ServiceLine) -> str:
    code = ":".join((line.procedure_code,) + line.modifiers)
    return f"{code} on {line.service_date.isoformat()}" if line.service_date else code


def check_835(text: str) -> list[str]:
    """Every reason to refuse an 835 file: envelope, guide deviations and arithmetic.

    An empty list means the file can be posted.
    """
    return read_835(text)[1]


def read_835(text: str) -> tuple[list[Remittance], list[str]]:
    """Parse and check an 835 file in one pass over its segments (an import needs both).

    :return: the remittances (``[]`` when the text cannot be read) and every reason to refuse
        the file, exactly as ``check_835`` gives them (``[]``: it can be posted).
    """
    try:
        segments, delimiters = tokenize(text)
    except X12SyntaxError as error:
        return [], [str(error)]
    problems = envelope_problems(text, segments, delimiters)
    try:
        remittances = _FileParser(delimiters.component).parse(segments)
    except X12SyntaxError as error:
        return [], list(dict.fromkeys(problems + [str(error)]))
    for remittance in remittances:
        problems.extend(remittance.problems)
        problems.extend(check_balance(remittance))
    return remittances, list(dict.fromkeys(problems))


class _FileParser:
    """Walks the segments of a file and hands each ST...SE span to a _TransactionParser."""

    def __init__(self, component: str) -> None:
        self.component = component

    def parse(self, segments: list[list[str]]) -> list[Remittance]:
        remittances: list[Remittance] = []
        isa: list[str] = []
        gs: list[str] = []
        transaction: _TransactionParser | None = None
        for position, segment in enumerate(segments, start=1):
            tag = segment[0]
            if tag == "ST":
                if transaction is not None:
                    remittances.append(transaction.finish(_interchange_info(isa, gs)))
                if get_element(segment, 1) != "835":
                    raise X12SyntaxError(f"Transaction {get_element(segment, 2)} is a "
                                         f"{get_element(segment, 1) or 'unknown'} transaction, not an 835 remittance.")
                transaction = _TransactionParser(self.component, segment, gs)
            elif transaction is not None:
                transaction.feed(segment, position)
                if tag == "SE":
                    remittances.append(transaction.finish(_interchange_info(isa, gs)))
                    transaction = None
            elif tag == "ISA":
                isa = segment
            elif tag == "GS":
                gs = segment
        if transaction is not None:
            remittances.append(transaction.finish(_interchange_info(isa, gs)))
        if not remittances:
            raise X12SyntaxError("The file holds no 835 remittance transaction (ST*835).")
        return remittances


def _interchange_info(isa: list[str], gs: list[str]) -> InterchangeInfo:
    created = None
    stamp = get_element(gs, 4) + get_element(gs, 5)[:4]
    if len(stamp) == 12 and stamp.isdecimal():
        try:
            created = datetime.strptime(stamp, "%Y%m%d%H%M")
        except ValueError:
            created = None
    return InterchangeInfo(
        sender_id=get_element(isa, 6).strip(),
        receiver_id=get_element(isa, 8).strip(),
        control_number=get_element(isa, 13),
        usage_indicator=get_element(isa, 15),
        group_control_number=get_element(gs, 6),
        application_sender=get_element(gs, 2),
        application_receiver=get_element(gs, 3),
        created=created,
        version=get_element(gs, 8),
    )


class _LineDraft:
    """Mutable service line while its 2110 loop is being read."""

    def __init__(self, procedure: list[str], original: list[str], segment: list[str], cents: Callable) -> None:
        self.procedure = procedure
        self.original = original
        self.charge = cents(get_element(segment, 2), 2)
        self.paid = cents(get_element(segment, 3), 3)
        self.units = _quantity(get_element(segment, 5)) or Decimal(1)
        self.control_number: str | None = None
        self.service_date: date | None = None
        self.service_end_date: date | None = None
        self.adjustments: list[Adjustment] = []
        self.remark_codes: list[str] = []
        self.allowed: int | None = None

    def freeze(self) -> ServiceLine:
        return ServiceLine(
            procedure_qualifier=self.procedure[0],
            procedure_code=get_element(self.procedure, 1),
            modifiers=tuple(modifier for modifier in self.procedure[2:6] if modifier),
            charge_cents=self.charge,
            paid_cents=self.paid,
            units=self.units,
            original_procedure_code=get_element(self.original, 1) or None,
            original_modifiers=tuple(modifier for modifier in self.original[2:6] if modifier),
            control_number=self.control_number,
            service_date=self.service_date,
            service_end_date=self.service_end_date,
            adjustments=tuple(self.adjustments),
            remark_codes=tuple(self.remark_codes),
            allowed_cents=self.allowed,
        )


class _ClaimDraft:
    """Mutable claim while its 2100 loop is being read."""

    def __init__(self, segment: list[str], cents: Callable) -> None:
        self.segment = segment
        self.charge = cents(get_element(segment, 3), 3)
        self.paid = cents(get_element(segment, 4), 4)
        self.patient_share = cents(get_element(segment, 5), 5) if get_element(segment, 5) else 0
        self.adjustments: list[Adjustment] = []
        self.lines: list[ServiceLine] = []
        self.patient: Party | None = None
        self.insured: Party | None = None
        self.remark_codes: list[str] = []
        self.received_date: date | None = None
        self.service_start: date | None = None
        self.service_end: date | None = None

    def freeze(self) -> ClaimPayment:
        return ClaimPayment(
            patient_control_number=get_element(self.segment, 1),
            status_code=get_element(self.segment, 2),
            charge_cents=self.charge,
            paid_cents=self.paid,
            patient_responsibility_cents=self.patient_share,
            filing_indicator=get_element(self.segment, 6),
            payer_claim_number=get_element(self.segment, 7),
            adjustments=tuple(self.adjustments),
            lines=tuple(self.lines),
            patient=self.patient,
            insured=self.insured,
            remark_codes=tuple(self.remark_codes),
            received_date=self.received_date,
            service_start_date=self.service_start,
            service_end_date=self.service_end,
        )


class _TransactionParser:
    """Reads the segments of one ST...SE span in order, tracking the current loop."""

    def __init__(self, component: str, st: list[str], gs: list[str]) -> None:
        self.component = component
        self.control_number = get_element(st, 2)
        self.position = 0
        self.segment_count = 1
        self.declared_count = ""
        self.problems: list[str] = []
        if get_element(gs, 8) != VERSION_835:
            self.problems.append(f"The file declares version {get_element(gs, 8) or 'none'} in GS08; "
                                 f"an 835 must use {VERSION_835}.")
        self.loop = "header"
        self.bpr: list[str] | None = None
        self.total_paid = 0
        self.payment_date: date | None = None
        self.trn: list[str] | None = None
        self.production_date: date | None = None
        self.payer_name: str | None = None
        self.payer_id = ""
        self.payer_contact = False
        self.payee_name: str | None = None
        self.payee_npi = ""
        self.payee_tax_id = ""
        self.claims: list[ClaimPayment] = []
        self.claim: _ClaimDraft | None = None
        self.line: _LineDraft | None = None
        self.provider_adjustments: list[ProviderAdjustment] = []
        self.handlers = {
            "BPR": self._bpr, "TRN": self._trn, "DTM": self._dtm, "N1": self._n1, "REF": self._ref,
            "PER": self._per, "LX": self._close_claim, "CLP": self._clp, "CAS": self._cas, "NM1": self._nm1,
            "MOA": self._moa, "MIA": self._mia, "SVC": self._svc, "AMT": self._amt, "LQ": self._lq,
            "PLB": self._plb, "SE": self._se,
        }

    def feed(self, segment: list[str], position: int) -> None:
        self.position = position
        self.segment_count += 1
        handler = self.handlers.get(segment[0])
        if handler is not None:
            handler(segment)

    def finish(self, interchange: InterchangeInfo) -> Remittance:
        self._close_claim()
        self._require_header_segments()
        bpr = self.bpr or ["BPR"]
        trn = self.trn or ["TRN"]
        return Remittance(
            interchange=interchange,
            transaction_control_number=self.control_number,
            handling_code=get_element(bpr, 1),
            total_paid_cents=self.total_paid,
            payment_method=get_element(bpr, 4),
            payment_date=self.payment_date,
            trace_number=get_element(trn, 2),
            trace_payer_id=get_element(trn, 3),
            production_date=self.production_date,
            payer_name=self.payer_name or "",
            payer_id=self.payer_id,
            payee_name=self.payee_name or "",
            payee_npi=self.payee_npi,
            payee_tax_id=self.payee_tax_id,
            claims=tuple(self.claims),
            provider_adjustments=tuple(self.provider_adjustments),
            segment_count=self.segment_count,
            declared_segment_count=self.declared_count,
            problems=tuple(self.problems),
        )

    def _require_header_segments(self) -> None:
        where = f"Transaction {self.control_number}"
        if self.bpr is None:
            self.problems.append(f"{where}: the payment segment (BPR) is missing.")
        elif not get_element(self.bpr, 16):
            self.problems.append(f"{where}: the check or EFT effective date (BPR16) is missing.")
        if self.trn is None:
            self.problems.append(f"{where}: the check/EFT trace number segment (TRN) is missing.")
        if self.payer_name is None:
            self.problems.append(f"{where}: the payer identification (N1*PR, loop 1000A) is missing.")
        elif not self.payer_contact:
            self.problems.append(f"{where}: the payer's technical contact (PER*BL in loop 1000A) is missing; "
                                 f"the 835 guide requires it.")
        if self.payee_name is None:
            self.problems.append(f"{where}: the payee identification (N1*PE, loop 1000B) is missing.")

    def _cents(self, text: str, element: int) -> int:
        try:
            value = Decimal(text) * 100
            if value.is_finite() and value == value.to_integral_value():
                return int(value)
        except InvalidOperation:
            pass
        raise X12SyntaxError(f"Segment {self.position}, element {element}: {text!r} is not a valid amount "
                             f"in dollars and cents.")

    def _date(self, text: str, what: str) -> date | None:
        if len(text) == 8 and text.isdecimal():
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                pass
        self.problems.append(f"Segment {self.position}: {what} {text!r} is not a valid date (CCYYMMDD).")
        return None

    def _composite(self, text: str, what: str) -> list[str]:
        if self.component in text or not text:
            return text.split(self.component)
        separator = text[2:3]
        if separator and not separator.isalnum():
            self.problems.append(
                f"Segment {self.position} ({what}): {text!r} is not split with the component separator "
                f"{self.component!r} that ISA16 declares (it uses {separator!r}); "
                f"the file's delimiters are inconsistent."
            )
            return text.split(separator)
        self.problems.append(f"Segment {self.position} ({what}): {text!r} has no procedure code qualifier.")
        return ["", text]

    def _bpr(self, segment: list[str]) -> None:
        self.bpr = segment
        self.total_paid = self._cents(get_element(segment, 2), 2)
        if get_element(segment, 16):
            self.payment_date = self._date(segment[16], "BPR16 payment date")

    def _trn(self, segment: list[str]) -> None:
        self.trn = segment

    def _dtm(self, segment: list[str]) -> None:
        qualifier, value = get_element(segment, 1), get_element(segment, 2)
        if self.line is not None:
            if qualifier in ("472", "150"):
                self.line.service_date = self._date(value, "service date")
            elif qualifier == "151":
                self.line.service_end_date = self._date(value, "service end date")
        elif self.claim is not None:
            if qualifier == "050":
                self.claim.received_date = self._date(value, "claim received date")
            elif qualifier == "232":
                self.claim.service_start = self._date(value, "claim statement start date")
            elif qualifier == "233":
                self.claim.service_end = self._date(value, "claim statement end date")
        elif qualifier == "405":
            self.production_date = self._date(value, "production date")

    def _n1(self, segment: list[str]) -> None:
        entity, name = get_element(segment, 1), get_element(segment, 2)
        if entity == "PR":
            self.loop, self.payer_name = "payer", name
            if get_element(segment, 3) == "XV":
                self.payer_id = get_element(segment, 4)
        elif entity == "PE":
            self.loop, self.payee_name = "payee", name
            if get_element(segment, 3) == "XX":
                self.payee_npi = get_element(segment, 4)
            elif get_element(segment, 3) == "FI":
                self.payee_tax_id = get_element(segment, 4)

    def _ref(self, segment: list[str]) -> None:
        qualifier, value = get_element(segment, 1), get_element(segment, 2)
        if self.line is not None:
            if qualifier == "6R":
                self.line.control_number = value
        elif self.loop == "payer" and qualifier == "2U":
            self.payer_id = value
        elif self.loop == "payee" and qualifier == "TJ" and not self.payee_tax_id:
            self.payee_tax_id = value

    def _per(self, segment: list[str]) -> None:
        if self.loop == "payer" and get_element(segment, 1) == "BL":
            self.payer_contact = True

    def _close_claim(self, _segment: list[str] | None = None) -> None:
        self._close_line()
        if self.claim is not None:
            self.claims.append(self.claim.freeze())
            self.claim = None
        self.loop = "claims"

    def _close_line(self) -> None:
        if self.line is not None and self.claim is not None:
            self.claim.lines.append(self.line.freeze())
        self.line = None

    def _clp(self, segment: list[str]) -> None:
        self._close_claim()
        status = get_element(segment, 2)
        if status not in CLAIM_STATUS:
            self.problems.append(f"Segment {self.position}: claim {get_element(segment, 1)} has an unknown "
                                 f"status code {status!r} (CLP02).")
        self.claim = _ClaimDraft(segment, self._cents)

    def _svc(self, segment: list[str]) -> None:
        self._close_line()
        if self.claim is None:
            self.problems.append(f"Segment {self.position}: a service line (SVC) appears outside of any claim.")
            return
        where = f"claim {get_element(self.claim.segment, 1)}"
        procedure = self._composite(get_element(segment, 1), f"{where}, SVC01 procedure")
        original = self._composite(get_element(segment, 6), f"{where}, SVC06 original procedure")
        self.line = _LineDraft(procedure, original, segment, self._cents)

    def _cas(self, segment: list[str]) -> None:
        target = self.line or self.claim
        if target is None:
            self.problems.append(f"Segment {self.position}: an adjustment (CAS) appears outside of any claim.")
            return
        group = get_element(segment, 1)
        if group not in ADJUSTMENT_GROUPS:
            self.problems.append(f"Segment {self.position}: adjustment group {group!r} is not valid "
                                 f"(use CO, PR, OA or PI).")
        for index in range(2, min(len(segment), 20), 3):
            reason = segment[index]
            if not reason:
                continue
            amount = get_element(segment, index + 1)
            if not amount:
                self.problems.append(f"Segment {self.position}: adjustment {group} {reason} has no amount.")
                continue
            target.adjustments.append(Adjustment(group, reason, self._cents(amount, index + 1),
                                                 _quantity(get_element(segment, index + 2))))

    def _nm1(self, segment: list[str]) -> None:
        if self.claim is None or self.line is not None:
            return
        entity = get_element(segment, 1)
        if entity in ("QC", "IL"):
            party = Party(
                last_name=get_element(segment, 3),
                first_name=get_element(segment, 4),
                middle_name=get_element(segment, 5),
                id_qualifier=get_element(segment, 8),
                identifier=get_element(segment, 9),
            )
            if entity == "QC":
                self.claim.patient = party
            else:
                self.claim.insured = party

    def _moa(self, segment: list[str]) -> None:
        self._claim_remarks(segment, (3, 4, 5, 6, 7))

    def _mia(self, segment: list[str]) -> None:
        self._claim_remarks(segment, (5, 20, 21, 22, 23))

    def _claim_remarks(self, segment: list[str], indexes: tuple[int, ...]) -> None:
        if self.claim is not None:
            self.claim.remark_codes.extend(code for code in (get_element(segment, i) for i in indexes) if code)

    def _amt(self, segment: list[str]) -> None:
        if self.line is not None and get_element(segment, 1) == "B6":
            self.line.allowed = self._cents(get_element(segment, 2), 2)

    def _lq(self, segment: list[str]) -> None:
        if self.line is not None and get_element(segment, 1) == "HE" and get_element(segment, 2):
            self.line.remark_codes.append(segment[2])

    def _plb(self, segment: list[str]) -> None:
        self._close_claim()
        self.loop = "provider adjustments"
        provider, period = get_element(segment, 1), get_element(segment, 2)
        period_end = self._date(period, "PLB02 fiscal period date") if period else None
        for index in range(3, min(len(segment), 15), 2):
            if not segment[index]:
                continue
            reason = segment[index].split(self.component)
            self.provider_adjustments.append(ProviderAdjustment(
                provider_id=provider,
                fiscal_period_end=period_end,
                reason_code=reason[0],
                reference=get_element(reason, 1),
                amount_cents=self._cents(get_element(segment, index + 1), index + 1),
            ))

    def _se(self, segment: list[str]) -> None:
        self._close_claim()
        self.declared_count = get_element(segment, 1)
        if get_element(segment, 2) != self.control_number:
            self.problems.append(f"SE02 {get_element(segment, 2)!r} does not match ST02 {self.control_number!r}.")


def _quantity(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise X12SyntaxError(f"{text!r} is not a valid quantity.") from None
    if not value.is_finite():
        raise X12SyntaxError(f"{text!r} is not a valid quantity.")
    return value
