"""Eligibility inquiries (270) and answers (271), 005010X279A1.

``build_270`` writes one interchange asking each payer whether each subscriber (or their
dependent) is covered on a date, with our trace number per inquiry (TRN*1). ``read_271`` reads a
payer's answer back: the trace it echoes (TRN*2), whether coverage is active, plan dates and the
benefits (copay, coinsurance, deductible and out-of-pocket, with what remains), per service type.
Money is integer cents, percentages are ``Decimal`` fractions (0.2 = 20 %).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..validators import npi_is_valid
from .claim837 import DELIMITERS, Interchange, _d8, _isa, _text
from .segments import X12SyntaxError, envelope_problems, get_element, join_segments, tokenize

VERSION_270 = "005010X279A1"
ACTIVE = {"1": "Active coverage", "2": "Active: full risk capitation", "3": "Active: services capitated",
          "4": "Active: services capitated to primary care physician", "5": "Active: pending investigation"}
INACTIVE = {"6": "Inactive", "7": "Inactive: pending eligibility update", "8": "Inactive: pending investigation"}
BENEFITS = {**ACTIVE, **INACTIVE, "A": "Coinsurance", "B": "Copay", "C": "Deductible", "D": "Benefit description",
            "E": "Exclusions", "F": "Limitations", "G": "Out-of-pocket maximum", "H": "Unlimited", "I": "Not covered",
            "J": "Cost containment", "L": "Primary care provider", "N": "Services restricted to a provider",
            "P": "Benefit disclaimer", "R": "Other or additional payer", "U": "Contact another entity for benefits",
            "V": "Cannot process", "Y": "Spend down", "CB": "Coverage basis", "MC": "Managed care coordinator"}
SERVICE_TYPES = {
    "1": "Medical care", "2": "Surgical", "3": "Consultation", "4": "Diagnostic X-ray", "5": "Diagnostic lab",
    "12": "Durable medical equipment purchase", "18": "Durable medical equipment rental", "30": "Health benefit plan",
    "33": "Chiropractic", "35": "Dental", "42": "Home health care", "45": "Hospice", "47": "Hospital",
    "48": "Hospital inpatient", "50": "Hospital outpatient", "51": "Hospital emergency, accident",
    "52": "Hospital emergency, medical", "62": "MRI or CAT scan", "67": "Smoking cessation", "68": "Well baby care",
    "73": "Diagnostic medical", "76": "Dialysis", "80": "Immunizations", "81": "Routine physical",
    "82": "Family planning", "86": "Emergency services", "88": "Pharmacy", "93": "Podiatry",
    "96": "Professional (physician)", "98": "Office visit", "99": "Inpatient professional visit",
    "A0": "Outpatient professional visit", "A4": "Psychiatric", "A6": "Psychotherapy", "AD": "Occupational therapy",
    "AE": "Physical medicine", "AL": "Vision", "BZ": "Office visit, well", "MH": "Mental health",
    "PT": "Physical therapy", "UC": "Urgent care",
}
TIME_PERIODS = {"6": "per hour", "7": "per day", "13": "per 24 hours", "21": "per year", "22": "per service year",
                "23": "per calendar year", "24": "year to date", "25": "per contract", "26": "per episode",
                "27": "per visit", "29": "remaining", "30": "exceeded", "32": "lifetime", "33": "lifetime remaining",
                "34": "per month", "35": "per week", "36": "per admission"}
REMAINING = ("29", "33")
REJECTIONS = {  # AAA03
    "15": "required application data missing", "41": "authorization or access restrictions",
    "42": "the payer cannot respond now; ask again later", "43": "invalid or missing provider identification",
    "44": "invalid or missing provider name", "45": "invalid or missing provider specialty",
    "47": "invalid or missing provider state", "50": "provider ineligible for inquiries",
    "51": "provider not on file", "52": "service dates not within the provider's plan enrollment",
    "56": "inappropriate date", "57": "invalid or missing date of service", "58": "invalid or missing date of birth",
    "60": "date of birth follows the date of service", "61": "date of death precedes the date of service",
    "62": "date of service not within the allowable inquiry period", "63": "date of service in the future",
    "64": "invalid or missing patient ID", "65": "invalid or missing patient name",
    "66": "invalid or missing patient gender", "67": "patient not found", "68": "duplicate patient ID",
    "71": "the patient's birth date does not match the payer's records",
    "72": "invalid or missing subscriber (member) ID", "73": "invalid or missing subscriber name",
    "74": "invalid or missing subscriber gender", "75": "subscriber not found", "76": "duplicate subscriber ID",
    "77": "subscriber found, patient not found", "78": "subscriber not in the group or plan identified",
    "79": "invalid participant identification", "80": "no response received; transaction terminated",
    "97": "invalid or missing provider address", "T4": "payer name or identifier missing",
}


# --- 270 -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """A subscriber or dependent as the payer knows them."""

    last_name: str
    first_name: str
    birth_date: date | None = None
    sex: str = "U"
    middle_name: str = ""


@dataclass(frozen=True)
class Inquiry:
    """One question: is ``subscriber`` (or their ``dependent``) covered by this payer on ``service_date``?"""

    trace_number: str
    payer_name: str
    payer_id: str
    member_id: str
    subscriber: Person
    service_date: date
    dependent: Person | None = None
    service_types: tuple[str, ...] = ("30",)


@dataclass(frozen=True)
class Provider:
    """The practice asking (loop 2100B)."""

    name: str
    npi: str


def inquiry_problems(inquiry: Inquiry) -> list[str]:
    """Why an inquiry cannot be sent, in plain words ([] when it can)."""
    problems = []
    who = f"{inquiry.subscriber.last_name}, {inquiry.subscriber.first_name}"
    if not _text(inquiry.member_id):
        problems.append(f"{who}: the policy has no member ID.")
    if not _text(inquiry.payer_id):
        problems.append(f"{who}: the payer {inquiry.payer_name} has no payer ID.")
    if not _text(inquiry.subscriber.last_name):
        problems.append(f"{who}: the subscriber's last name is missing.")
    if inquiry.dependent is not None and not _text(inquiry.dependent.last_name):
        problems.append(f"{who}: the patient's last name is missing.")
    if not (1 <= len(inquiry.trace_number) <= 50):
        problems.append(f"{who}: the trace number must be 1 to 50 characters.")
    return problems


def build_270(interchange: Interchange, provider: Provider, inquiries: Sequence[Inquiry], *, control_number: int,
              usage_indicator: str, created: datetime, originator: str) -> str:
    """One 270 interchange for all ``inquiries``, grouped by payer.

    ``originator`` is TRN03: "1" followed by the practice's 9-digit EIN, or "9" and an ID of
    ours. Raises ``ValueError`` listing every problem when something would make the file invalid.
    """
    problems = [p for inquiry in inquiries for p in inquiry_problems(inquiry)]
    if not npi_is_valid(provider.npi):
        problems.append("The practice NPI (Admin > Settings) is not a valid NPI.")
    if not _text(provider.name):
        problems.append("The practice name (Admin > Settings) is missing.")
    if not inquiries:
        problems.append("There is no policy to ask about.")
    if len(originator) != 10 or not originator.isalnum():
        problems.append("The trace originator must be 10 letters or digits.")
    if not 1 <= control_number <= 999_999_999:
        problems.append("The control number must be from 1 to 999999999.")
    if problems:
        raise ValueError(" ".join(problems))
    st02 = f"{control_number:04d}"
    body: list[list] = [["ST", "270", st02, VERSION_270],
                        ["BHT", "0022", "13", st02, _d8(created.date()), created.strftime("%H%M")]]
    number = 0
    payers: dict[tuple[str, str], list[Inquiry]] = {}
    for inquiry in inquiries:
        payers.setdefault((inquiry.payer_name, inquiry.payer_id), []).append(inquiry)
    for (payer_name, payer_id), asked in payers.items():
        number += 1
        source = number
        body += [["HL", str(source), "", "20", "1"], ["NM1", "PR", "2", _text(payer_name), "", "", "", "", "PI",
                                                     _text(payer_id)]]
        number += 1
        receiver = number
        body += [["HL", str(receiver), str(source), "21", "1"],
                 ["NM1", "1P", "2", _text(provider.name), "", "", "", "", "XX", provider.npi]]
        for inquiry in asked:
            number += 1
            subscriber_hl = number
            body.append(["HL", str(subscriber_hl), str(receiver), "22", "1" if inquiry.dependent else "0"])
            if inquiry.dependent is None:
                body.append(["TRN", "1", _text(inquiry.trace_number), originator])
            body.append(_person("IL", inquiry.subscriber, inquiry.member_id))
            if inquiry.dependent is None:
                body += _demographics(inquiry.subscriber) + _question(inquiry)
                continue
            number += 1
            body += [["HL", str(number), str(subscriber_hl), "23", "0"],
                     ["TRN", "1", _text(inquiry.trace_number), originator],
                     _person("03", inquiry.dependent, "")]
            body += _demographics(inquiry.dependent) + _question(inquiry)
    body.append(["SE", str(len(body) + 1), st02])
    isa13 = f"{control_number:09d}"
    segments = [_isa(interchange, isa13, usage_indicator, created),
                ["GS", "HS", _text(interchange.application_sender or interchange.sender_id),
                 _text(interchange.application_receiver or interchange.receiver_id), _d8(created.date()),
                 created.strftime("%H%M"), str(control_number), "X", VERSION_270],
                *body, ["GE", "1", str(control_number)], ["IEA", "1", isa13]]
    return join_segments(segments, DELIMITERS)


def _person(entity: str, person: Person, member_id: str) -> list:
    return ["NM1", entity, "1", _text(person.last_name), _text(person.first_name), _text(person.middle_name), "", "",
            "MI" if member_id else "", _text(member_id)]


def _demographics(person: Person) -> list[list]:
    if person.birth_date is None:
        return []
    return [["DMG", "D8", _d8(person.birth_date), person.sex if person.sex in ("F", "M") else "U"]]


def _question(inquiry: Inquiry) -> list[list]:
    return [["DTP", "291", "D8", _d8(inquiry.service_date)],
            *(["EQ", code] for code in inquiry.service_types)]


# --- 271 -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Benefit:
    """One EB segment: what the plan says about a kind of service."""

    code: str  # EB01
    coverage_level: str  # EB02: IND, FAM...
    service_types: tuple[str, ...]
    plan: str  # EB05
    time_period: str  # EB06
    amount_cents: int | None
    percent: Decimal | None
    in_network: str  # EB12: Y, N, W (both), U or ""
    messages: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The kind of benefit in words."""
        return BENEFITS.get(self.code, f"Benefit {self.code}")

    @property
    def services(self) -> str:
        """The service types in words."""
        return ", ".join(SERVICE_TYPES.get(code, f"service type {code}") for code in self.service_types)

    @property
    def remaining(self) -> bool:
        """The amount is what remains (of a deductible or out-of-pocket maximum)."""
        return self.time_period in REMAINING

    def as_dict(self) -> dict:
        """JSON-ready form (kept on the eligibility check)."""
        return {"code": self.code, "coverage_level": self.coverage_level, "service_types": list(self.service_types),
                "plan": self.plan, "time_period": self.time_period, "amount_cents": self.amount_cents,
                "percent": str(self.percent) if self.percent is not None else None, "in_network": self.in_network,
                "messages": list(self.messages)}

    @classmethod
    def from_dict(cls, data: dict) -> Benefit:
        """The inverse of ``as_dict``."""
        return cls(data["code"], data["coverage_level"], tuple(data["service_types"]), data["plan"],
                   data["time_period"], data["amount_cents"],
                   Decimal(data["percent"]) if data.get("percent") is not None else None, data["in_network"],
                   tuple(data.get("messages", ())))


@dataclass(frozen=True)
class Answer:
    """A 271 answer about one person, found by the trace number we sent."""

    trace_number: str
    member_id: str
    last_name: str
    first_name: str
    birth_date: date | None
    plan_begin: date | None
    plan_end: date | None
    benefits: tuple[Benefit, ...]
    rejections: tuple[str, ...]
    payer_name: str
    payer_id: str

    @property
    def active(self) -> bool | None:
        """True when a benefit says active coverage, False when one says inactive (and none active), None when
        the payer did not say (a rejected inquiry)."""
        if any(b.code in ACTIVE for b in self.benefits):
            return True
        if any(b.code in INACTIVE for b in self.benefits):
            return False
        return None

    @property
    def plan_name(self) -> str:
        """The plan the active coverage names."""
        return next((b.plan for b in self.benefits if b.code in ACTIVE and b.plan), "")


@dataclass
class _Person:
    trace: str = ""
    name: tuple[str, str, str] = ("", "", "")
    birth: date | None = None
    begin: date | None = None
    end: date | None = None
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)


def read_271(text: str) -> tuple[list[Answer], list[str]]:
    """Parse a 271 file; returns the answers and every reason to refuse it ([] when it can be imported)."""
    try:
        segments, delimiters = tokenize(text)
    except X12SyntaxError as exc:
        return [], [str(exc)]
    problems = envelope_problems(text, segments, delimiters)
    st = next((get_element(s, 1) for s in segments if s[0] == "ST"), "")
    if st != "271":
        return [], problems + [f"This file is not a 271 eligibility answer (its transaction is {st or 'missing'})."]
    answers: list[Answer] = []
    payer = ("", "")
    person: _Person | None = None
    level = ""
    benefit_index = -1

    def close():
        if person is not None:
            answers.append(Answer(person.trace, person.name[2], person.name[0], person.name[1], person.birth,
                                  person.begin, person.end, tuple(person.benefits), tuple(person.rejections),
                                  *payer))

    for segment in segments:
        tag = segment[0]
        if tag == "HL":
            level = get_element(segment, 3)
            if level in ("22", "23"):
                if level == "23" and person is not None and not person.trace:
                    subscriber = person  # the subscriber's details stay with the dependent's answer
                    person = _Person(name=("", "", subscriber.name[2]))
                else:
                    close()
                    person = _Person()
                benefit_index = -1
            elif level in ("20", "21"):
                close()
                person = None
        elif tag == "NM1" and level == "20" and get_element(segment, 1) == "PR":
            payer = (get_element(segment, 3), get_element(segment, 9))
        elif person is None:
            if tag == "AAA":
                problems.append(f"The payer refused the inquiry: {_rejection(segment)}.")
        elif tag == "TRN" and get_element(segment, 1) == "2":
            person.trace = get_element(segment, 2)
        elif tag == "NM1" and get_element(segment, 1) in ("IL", "03"):
            member = get_element(segment, 9) or person.name[2]
            person.name = (get_element(segment, 3), get_element(segment, 4), member)
        elif tag == "DMG":
            person.birth = _date(get_element(segment, 2))
        elif tag == "DTP" and benefit_index < 0:
            _plan_dates(person, segment)
        elif tag == "AAA":
            person.rejections.append(_rejection(segment))
        elif tag == "EB":
            try:
                person.benefits.append(_benefit(segment, delimiters.repetition))
            except (InvalidOperation, ValueError):
                problems.append(f"An EB segment has an unreadable amount or percent: {'*'.join(segment)[:60]}.")
                continue
            benefit_index = len(person.benefits) - 1
        elif tag == "MSG" and benefit_index >= 0:
            last = person.benefits[benefit_index]
            person.benefits[benefit_index] = Benefit(**{**last.__dict__, "messages": (*last.messages,
                                                                                       get_element(segment, 1))})
    close()
    for answer in answers:
        if not answer.trace_number:
            problems.append(f"The answer about {answer.last_name or 'a person'} has no TRN*2 trace number: it cannot "
                            "be matched to a question we asked.")
    if not answers and not problems:
        problems.append("The 271 holds no answer about a subscriber or patient.")
    return answers, problems


def _rejection(segment: list[str]) -> str:
    code = get_element(segment, 3)
    return REJECTIONS.get(code, f"reason code {code}")


def _date(value: str) -> date | None:
    if len(value) == 8 and value.isdecimal():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


def _plan_dates(person: _Person, segment: list[str]) -> None:
    qualifier, form, value = get_element(segment, 1), get_element(segment, 2), get_element(segment, 3)
    first, _, last = value.partition("-")
    begin, end = _date(first), _date(last) if form == "RD8" else None
    if qualifier in ("346", "356", "291", "307"):
        person.begin = person.begin or begin
        person.end = person.end or end
    elif qualifier in ("347", "357"):
        person.end = begin


def _benefit(segment: list[str], repetition: str) -> Benefit:
    types = get_element(segment, 3)
    amount = get_element(segment, 7)
    percent = get_element(segment, 8)
    return Benefit(
        code=get_element(segment, 1), coverage_level=get_element(segment, 2),
        service_types=tuple(t for t in (types.split(repetition) if repetition else [types]) if t),
        plan=get_element(segment, 5), time_period=get_element(segment, 6),
        amount_cents=int((Decimal(amount) * 100).to_integral_value()) if amount else None,
        percent=Decimal(percent) if percent else None, in_network=get_element(segment, 12))
