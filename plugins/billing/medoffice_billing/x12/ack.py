"""Read acknowledgments of the claims we send: the 999 (005010X231A1) and the 277CA (005010X214).

A 999 says, per functional group and per transaction set of an 837 file, whether the
clearinghouse accepted it (A), accepted it with errors (E) or rejected it (R), with the segment
and element at fault. A 277CA says, per claim, whether the payer or clearinghouse took it into
adjudication, with status category and status codes, and gives the payer's claim number.

``read_ack`` checks the envelope and structure and returns the parsed acknowledgment with every
reason to refuse the file; it never raises on bad input.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .ack_codes import (ACCEPTED_CATEGORIES, ACK_CODES, ELEMENT_ERRORS, GROUP_ERRORS, REJECTED_CATEGORIES,
                        SEGMENT_ERRORS, TRANSACTION_ERRORS, status_text)
from .segments import X12SyntaxError, envelope_problems, get_element, tokenize

VERSION_999 = "005010X231A1"
VERSION_277CA = "005010X214"


@dataclass(frozen=True)
class ElementError:
    """An IK4: which element of the segment was wrong, and how."""

    position: str  # IK401, e.g. "9" or "5:1" for a component
    code: str
    bad_value: str = ""

    def text(self, segment_id: str) -> str:
        """The error in plain words."""
        where = f"{segment_id}{self.position.split(':')[0].zfill(2)}" if segment_id else f"element {self.position}"
        said = ELEMENT_ERRORS.get(self.code, f"error code {self.code}")
        return f"{where}: {said}" + (f" (the value sent was {self.bad_value!r})" if self.bad_value else "")


@dataclass(frozen=True)
class SegmentError:
    """An IK3 and its IK4s: a segment of the transaction at fault."""

    segment_id: str
    position: str  # counted from ST = 1
    loop: str
    code: str
    elements: tuple[ElementError, ...] = ()

    def text(self) -> str:
        """The error in plain words, with its elements'."""
        loop = f" in loop {self.loop}" if self.loop else ""
        head = (f"Segment {self.segment_id} (segment {self.position} of the transaction{loop}): "
                f"{SEGMENT_ERRORS.get(self.code, 'error code ' + self.code) if self.code else 'element errors'}")
        return head + "".join(f"; {element.text(self.segment_id)}" for element in self.elements) + "."


@dataclass(frozen=True)
class TransactionAck:
    """An AK2..IK5: the verdict on one transaction set (ST02) we sent."""

    transaction_set: str
    control_number: str
    status: str  # IK501: A, E, M, R, W, X
    codes: tuple[str, ...]
    segments: tuple[SegmentError, ...]

    @property
    def rejected(self) -> bool:
        """The transaction was not accepted."""
        return self.status not in ("A", "E")

    def reasons(self) -> list[str]:
        """Why, in plain words: the transaction-level codes, then each segment at fault."""
        found = [f"Transaction {self.control_number}: {TRANSACTION_ERRORS.get(c, 'error code ' + c)}."
                 for c in self.codes]
        return found + [segment.text() for segment in self.segments]


@dataclass(frozen=True)
class Ack999:
    """One 999 transaction: the verdict on one functional group (GS06) we sent."""

    functional_id: str  # AK101: HC for an 837
    group_control_number: str  # AK102
    version: str  # AK103
    status: str  # AK901: A, E, P, R...
    included: int
    received: int
    accepted: int
    codes: tuple[str, ...]
    transactions: tuple[TransactionAck, ...]

    @property
    def status_text(self) -> str:
        """AK901 in words."""
        return ACK_CODES.get(self.status, f"status {self.status}")

    def reasons(self) -> list[str]:
        """Every group- and transaction-level reason in plain words."""
        found = [f"Group {self.group_control_number}: {GROUP_ERRORS.get(c, 'error code ' + c)}." for c in self.codes]
        for transaction in self.transactions:
            found.extend(transaction.reasons())
        return found


@dataclass(frozen=True)
class ClaimStatus:
    """One STC composite: category, status code, entity."""

    category: str
    code: str
    entity: str

    def text(self) -> str:
        """In plain words."""
        return status_text(self.category, self.code, self.entity)


@dataclass(frozen=True)
class ClaimAck:
    """A 277CA patient-level answer: one claim we sent, by its patient control number (TRN02)."""

    patient_control_number: str
    statuses: tuple[ClaimStatus, ...]
    action: str  # STC03: WQ accepted, U rejected
    charge_cents: int | None
    status_date: date | None
    payer_claim_number: str  # REF*1K
    clearinghouse_trace: str  # REF*D9
    patient_last_name: str
    patient_first_name: str
    member_id: str
    messages: tuple[str, ...]

    @property
    def rejected(self) -> bool:
        """Rejected claims: a rejecting category, or action U."""
        return self.action == "U" or any(s.category in REJECTED_CATEGORIES for s in self.statuses)

    @property
    def accepted(self) -> bool:
        """Taken into adjudication (or forwarded): never rejected, and an accepting category."""
        return not self.rejected and any(s.category in ACCEPTED_CATEGORIES for s in self.statuses)

    def reason(self) -> str:
        """The statuses (and free-text messages) in plain words."""
        return ". ".join([s.text() for s in self.statuses] + list(self.messages)) + "."


@dataclass(frozen=True)
class Ack277:
    """One 277CA transaction."""

    control_number: str
    reference: str  # BHT03
    payer_name: str
    payer_id: str
    batch_reference: str  # the information receiver's TRN02: often our BHT03 or the clearinghouse's batch id
    claims: tuple[ClaimAck, ...]


@dataclass(frozen=True)
class AckFile:
    """A read acknowledgment file: ``kind`` "999" or "277CA" and its transactions."""

    kind: str
    acks_999: tuple[Ack999, ...] = ()
    acks_277: tuple[Ack277, ...] = ()


def detect_kind(segments: list[list[str]]) -> str:
    """'999', '277CA', '835', '271' or '' from the first ST (and GS08)."""
    version = next((get_element(s, 8) for s in segments if s[0] == "GS"), "")
    st = next((get_element(s, 1) for s in segments if s[0] == "ST"), "")
    if st == "277" and version.startswith("005010X214"):
        return "277CA"
    return st if st in ("999", "835", "271", "837", "270") else ("277" if st == "277" else "")


def read_ack(text: str) -> tuple[AckFile | None, list[str]]:
    """Parse a 999 or 277CA file and list every reason to refuse it ([] when it can be imported)."""
    try:
        segments, delimiters = tokenize(text)
    except X12SyntaxError as exc:
        return None, [str(exc)]
    problems = envelope_problems(text, segments, delimiters)
    kind = detect_kind(segments)
    if kind == "999":
        acks, found = _read_999(segments)
        return AckFile("999", acks_999=tuple(acks)), problems + found
    if kind == "277CA":
        acks, found = _read_277(segments, delimiters.component)
        return AckFile("277CA", acks_277=tuple(acks)), problems + found
    named = {"835": "an 835 remittance (import it under Remittances)", "271": "a 271 eligibility answer",
             "277": "a 277 claim status answer, not a 277CA acknowledgment (GS08 is not 005010X214)"}.get(kind)
    return None, [f"This file is {named}." if named else
                  "This file is neither a 999 nor a 277CA acknowledgment (its ST names another transaction)."]


def _transactions(segments: list[list[str]]):
    """Each ST..SE span of the file."""
    current: list[list[str]] | None = None
    for segment in segments:
        if segment[0] == "ST":
            current = [segment]
        elif current is not None:
            current.append(segment)
            if segment[0] == "SE":
                yield current
                current = None


def _int(value: str) -> int:
    return int(value) if value.isdecimal() else 0


def _read_999(segments: list[list[str]]) -> tuple[list[Ack999], list[str]]:
    acks, problems = [], []
    for body in _transactions(segments):
        if get_element(body[0], 1) != "999":
            problems.append(f"Transaction {get_element(body[0], 2)} is a {get_element(body[0], 1)}, not a 999.")
            continue
        ak1 = next((s for s in body if s[0] == "AK1"), None)
        ak9 = next((s for s in body if s[0] == "AK9"), None)
        if ak1 is None or ak9 is None:
            problems.append(f"999 transaction {get_element(body[0], 2)} lacks its "
                            f"{'AK1' if ak1 is None else 'AK9'} segment.")
            continue
        transactions, current, segment_errors = [], None, []
        for segment in body:
            tag = segment[0]
            if tag == "AK2":
                current, segment_errors = segment, []
            elif tag == "IK3" and current is not None:
                segment_errors.append(SegmentError(get_element(segment, 1), get_element(segment, 2),
                                                   get_element(segment, 3), get_element(segment, 4)))
            elif tag == "IK4" and segment_errors:
                last = segment_errors[-1]
                element = ElementError(get_element(segment, 1), get_element(segment, 3), get_element(segment, 4))
                segment_errors[-1] = SegmentError(last.segment_id, last.position, last.loop, last.code,
                                                  (*last.elements, element))
            elif tag == "IK5" and current is not None:
                transactions.append(TransactionAck(
                    get_element(current, 1), get_element(current, 2), get_element(segment, 1),
                    tuple(c for c in segment[2:7] if c), tuple(segment_errors)))
                current = None
        if current is not None:
            problems.append(f"999 transaction {get_element(body[0], 2)}: the AK2 for transaction "
                            f"{get_element(current, 2)} has no IK5 verdict.")
        status = get_element(ak9, 1)
        if status not in ACK_CODES:
            problems.append(f"999 transaction {get_element(body[0], 2)}: AK901 {status!r} is not an acknowledgment code.")
        if not get_element(ak1, 2).isdecimal():
            problems.append(f"999 transaction {get_element(body[0], 2)}: AK102 {get_element(ak1, 2)!r} is not a "
                            "group control number.")
        acks.append(Ack999(get_element(ak1, 1), get_element(ak1, 2).lstrip("0") or "0", get_element(ak1, 3), status,
                           _int(get_element(ak9, 2)), _int(get_element(ak9, 3)), _int(get_element(ak9, 4)),
                           tuple(c for c in ak9[5:10] if c), tuple(transactions)))
    if not acks and not problems:
        problems.append("The file holds no 999 transaction.")
    return acks, problems


def _cents(value: str) -> int | None:
    try:
        return int((Decimal(value) * 100).to_integral_value()) if value else None
    except InvalidOperation:
        return None


def _d8(value: str) -> date | None:
    if len(value) == 8 and value.isdecimal():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


class _ClaimBuilder:
    """Collects one patient-level (HL 22 or PT) answer of a 277CA."""

    def __init__(self) -> None:
        self.name = ("", "", "")
        self.trace = ""
        self.statuses: list[ClaimStatus] = []
        self.action = ""
        self.charge: int | None = None
        self.day: date | None = None
        self.refs: dict[str, str] = {}
        self.messages: list[str] = []

    def build(self) -> ClaimAck:
        return ClaimAck(self.trace, tuple(self.statuses), self.action, self.charge, self.day,
                        self.refs.get("1K", ""), self.refs.get("D9", ""), self.name[0], self.name[1], self.name[2],
                        tuple(self.messages))


def _stc_statuses(segment: list[str], component: str) -> list[ClaimStatus]:
    found = []
    for index in (1, 10, 11):
        parts = get_element(segment, index).split(component)
        if parts and parts[0]:
            found.append(ClaimStatus(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""))
    return found


def _read_277(segments: list[list[str]], component: str) -> tuple[list[Ack277], list[str]]:
    acks, problems = [], []
    for body in _transactions(segments):
        control = get_element(body[0], 2)
        claims: list[ClaimAck] = []
        payer_name = payer_id = batch_reference = reference = ""
        level = ""
        builder: _ClaimBuilder | None = None
        in_service_line = False
        for segment in body:
            tag = segment[0]
            if tag == "BHT":
                reference = get_element(segment, 3)
            elif tag == "HL":
                if builder is not None:
                    claims.append(builder.build())
                    builder = None
                level = get_element(segment, 3)
                in_service_line = False
                if level in ("PT", "22", "23"):
                    builder = _ClaimBuilder()
            elif tag == "NM1":
                if get_element(segment, 1) == "PR" and level == "20":
                    payer_name, payer_id = get_element(segment, 3), get_element(segment, 9)
                elif builder is not None and get_element(segment, 1) in ("QC", "IL"):
                    builder.name = (get_element(segment, 3), get_element(segment, 4), get_element(segment, 9))
            elif tag == "TRN":
                if builder is not None:
                    builder.trace = get_element(segment, 2)
                elif level == "21":
                    batch_reference = get_element(segment, 2)
            elif tag == "SVC":
                in_service_line = True
            elif tag == "STC" and builder is not None and not in_service_line:
                builder.statuses.extend(_stc_statuses(segment, component))
                builder.day = builder.day or _d8(get_element(segment, 2))
                builder.action = builder.action or get_element(segment, 3)
                if builder.charge is None:
                    builder.charge = _cents(get_element(segment, 4))
                if get_element(segment, 12):
                    builder.messages.append(get_element(segment, 12))
            elif tag == "REF" and builder is not None and not in_service_line:
                builder.refs.setdefault(get_element(segment, 1), get_element(segment, 2))
        if builder is not None:
            claims.append(builder.build())
        for claim in claims:
            if not claim.patient_control_number:
                problems.append(f"277CA transaction {control}: a claim answer has no TRN*2 with our claim number.")
            if not claim.statuses:
                problems.append(f"277CA transaction {control}: claim {claim.patient_control_number or '?'} has no "
                                "STC status.")
        acks.append(Ack277(control, reference, payer_name, payer_id, batch_reference, tuple(claims)))
    if not any(ack.claims for ack in acks) and not problems:
        problems.append("The 277CA holds no claim-level answer.")
    return acks, problems
