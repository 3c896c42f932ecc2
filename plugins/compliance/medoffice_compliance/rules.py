"""Compliance's pure rules: credential kinds and their cycles, the NPI check digit, the board's
colours, the legal clocks of privacy requests and breaches (45 CFR 164), and the name keys
exclusion screening matches on. No database here: everything is tested once, as plain logic."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class CredentialKind:
    """A kind of credential: whether it belongs to a provider or the practice, whether it is per
    state, and its renewal cycle in days when the next due date follows from the last one."""

    key: str
    title: str
    scope: str  # "provider" or "practice"
    per_state: bool = False
    cycle_days: int | None = None
    needs_payer: bool = False


CREDENTIAL_KINDS = (
    CredentialKind("state_licence", "State licence", "provider", per_state=True),
    CredentialKind("dea", "DEA registration", "provider", per_state=True),
    CredentialKind("state_csr", "State controlled-substance registration", "provider", per_state=True),
    CredentialKind("board_certification", "Board certification", "provider"),
    CredentialKind("malpractice", "Malpractice cover", "provider"),
    CredentialKind("hospital_privileges", "Hospital privileges", "provider"),
    CredentialKind("caqh", "CAQH ProView attestation", "provider", cycle_days=120),
    CredentialKind("medicare_revalidation", "Medicare revalidation", "provider", cycle_days=5 * 365),
    CredentialKind("medicaid_revalidation", "Medicaid revalidation", "provider", per_state=True),
    CredentialKind("payer_enrollment", "Payer enrollment", "provider", needs_payer=True),
    CredentialKind("clia", "CLIA certificate", "practice"),
    CredentialKind("facility_licence", "Facility licence", "practice", per_state=True),
    CredentialKind("location_dea", "Location DEA registration", "practice", per_state=True),
    CredentialKind("radiology", "Radiology registration", "practice", per_state=True),
    CredentialKind("other_practice", "Other practice licence or certificate", "practice"),
)
KIND_BY_KEY = {k.key: k for k in CREDENTIAL_KINDS}
PROVIDER_KINDS = tuple(k for k in CREDENTIAL_KINDS if k.scope == "provider")
PRACTICE_KINDS = tuple(k for k in CREDENTIAL_KINDS if k.scope == "practice")
ENROLLMENT_STATUSES = (("applied", "Applied"), ("in_process", "In process"), ("enrolled", "Enrolled"),
                       ("denied", "Denied"))
STATES = tuple("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
               "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split())
AMBER_DAYS = 90


def label(pairs, key: str) -> str:
    """The label of ``key`` among (key, label) pairs (the key itself when unknown)."""
    return dict(pairs).get(key, key)


def npi_is_valid(npi: str) -> bool:
    """True for a ten-digit NPI whose last digit is its Luhn check digit over the prefix 80840."""
    if not re.fullmatch(r"[12][0-9]{9}", npi or ""):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_due(kind: CredentialKind, effective_on: dt.date | None, expires_on: dt.date | None) -> dt.date | None:
    """When the credential must be renewed: its expiry when given, else its cycle from its effective
    date (CAQH re-attestation 120 days after the last, Medicare revalidation five years later)."""
    if expires_on is not None:
        return expires_on
    if kind.cycle_days and effective_on is not None:
        if kind.key == "medicare_revalidation":
            return add_years(effective_on, 5)
        return effective_on + dt.timedelta(days=kind.cycle_days)
    return None


def colour(due: dt.date | None, today: dt.date, *, effective_on: dt.date | None = None,
           status: str = "") -> str:
    """The board's colour: red when lapsed, denied or not yet in force, amber when due within 90
    days (or an enrollment still pending), green otherwise."""
    if status == "denied" or (due is not None and due < today):
        return "red"
    if effective_on is not None and effective_on > today:
        return "amber"
    if status in ("applied", "in_process"):
        return "amber"
    if due is not None and (due - today).days <= AMBER_DAYS:
        return "amber"
    return "green"


COLOUR_RANK = {"green": 0, "amber": 1, "red": 2}


def worst(colours) -> str:
    """The worst of the colours (red over amber over green); "" for none."""
    colours = list(colours)
    return max(colours, key=COLOUR_RANK.__getitem__) if colours else ""


def current_on(day: dt.date, effective_on: dt.date | None, due: dt.date | None) -> bool:
    """True when a credential is in force on ``day`` (from its effective date to its due date)."""
    return (effective_on is None or effective_on <= day) and (due is None or day <= due)


# --- privacy rights: each request a legal clock ---------------------------------------------------

@dataclass(frozen=True)
class RequestKind:
    """A kind of privacy request, with its legal answer time and one extension (days), if any."""

    key: str
    title: str
    answer_days: int | None
    extension_days: int | None


REQUEST_KINDS = (
    RequestKind("access", "Right of access", 30, 30),
    RequestKind("amendment", "Amendment", 60, 30),
    RequestKind("accounting", "Accounting of disclosures", 60, 30),
    RequestKind("restriction", "Restriction", None, None),
    RequestKind("confidential_communication", "Confidential communications", None, None),
)
REQUEST_BY_KEY = {k.key: k for k in REQUEST_KINDS}
ACCESS_FORMATS = (("paper", "Paper copy"), ("electronic", "Electronic copy (portable media)"),
                  ("email", "E-mail"), ("portal", "Patient portal"), ("inspection", "Inspection in person"))
DISCLOSURE_LOOKBACK_YEARS = 6


def request_due(kind: RequestKind, received_on: dt.date, extended: bool = False) -> dt.date | None:
    """The day the answer is due: received plus the legal days, plus the extension once taken.
    Calendar days, so a month's end or 29 February counts like any other day."""
    if kind.answer_days is None:
        return None
    days = kind.answer_days + (kind.extension_days if extended else 0)
    return received_on + dt.timedelta(days=days)


def extension_problem(kind: RequestKind, received_on: dt.date, extended: bool, today: dt.date) -> str | None:
    """Why the request cannot be extended today, or None: one extension only, for a kind that has
    one, and its written notice must go before the first period ends."""
    if kind.extension_days is None:
        return f"A {kind.title.lower()} request has no extension."
    if extended:
        return "The request was already extended once; the law allows one extension."
    first_due = request_due(kind, received_on)
    if today > first_due:
        return (f"The first {kind.answer_days} days ended on {first_due.isoformat()}: the extension notice "
                "had to reach the patient before then.")
    return None


def lookback_start(requested_on: dt.date) -> dt.date:
    """The first day of the six years an accounting of disclosures covers."""
    return add_years(requested_on, -DISCLOSURE_LOOKBACK_YEARS)


def on_time(due: dt.date | None, answered_on: dt.date | None) -> bool | None:
    """Whether an answer came by its due date (None when there is no clock or no answer yet)."""
    if due is None or answered_on is None:
        return None
    return answered_on <= due


# --- breaches ------------------------------------------------------------------------------------

BREACH_NOTICE_DAYS = 60
MAJOR_BREACH = 500  # HHS within 60 days at 500 or more affected
MEDIA_THRESHOLD = 500  # media notice when more than 500 residents of a state
DECISIONS = (("breach", "Breach: notify"), ("low_probability", "Low probability of compromise: no breach"))
FACTORS = (
    ("factor_nature", "1. Nature and extent of the PHI (identifiers, sensitivity, likelihood of re-identification)"),
    ("factor_recipient", "2. The unauthorised person who used or received it"),
    ("factor_acquired", "3. Whether the PHI was actually acquired or viewed"),
    ("factor_mitigation", "4. How far the risk has been mitigated"),
)


@dataclass(frozen=True)
class BreachClocks:
    """The notices a breach owes and their due dates."""

    individuals: dt.date
    hhs: dt.date
    hhs_on_annual_log: bool
    media: dt.date | None
    media_states: tuple[str, ...]


def annual_log_due(discovered_on: dt.date) -> dt.date:
    """A small breach goes on the year's log, due to HHS 60 days after that calendar year ends."""
    return dt.date(discovered_on.year, 12, 31) + dt.timedelta(days=BREACH_NOTICE_DAYS)


def breach_clocks(discovered_on: dt.date, affected_by_state: dict[str, int]) -> BreachClocks:
    """The clocks a breach starts on its discovery: individuals within 60 days; HHS within 60 days
    when 500 or more are affected, else on the annual log; media within 60 days for each state
    with more than 500 residents affected."""
    deadline = discovered_on + dt.timedelta(days=BREACH_NOTICE_DAYS)
    total = sum(affected_by_state.values())
    media_states = tuple(sorted(s for s, n in affected_by_state.items() if n > MEDIA_THRESHOLD))
    major = total >= MAJOR_BREACH
    return BreachClocks(individuals=deadline, hhs=deadline if major else annual_log_due(discovered_on),
                        hhs_on_annual_log=not major, media=deadline if media_states else None,
                        media_states=media_states)


# --- exclusion screening -------------------------------------------------------------------------

def fold(text: str) -> str:
    """Text without accents, case or punctuation (letters and spaces), as names are compared."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z ]+", " ", plain.replace("'", "").replace("-", " "))


def name_key(last: str, first: str) -> str:
    """The key two names match on: accents, case, punctuation and middle names dropped; the last
    name's words joined, the first name's first word ("O'Brien-Smith, José María" -> "obriensmith|jose")."""
    last_words = fold(last).split()
    first_words = fold(first).split()
    if not last_words or not first_words:
        return ""
    return f"{''.join(last_words)}|{first_words[0]}"


def clean_npi(text: str) -> str:
    """The NPI as ten digits, or "" for none (the LEIE writes 0000000000 when it is unknown)."""
    digits = (text or "").strip()
    return digits if re.fullmatch(r"[0-9]{10}", digits) and digits != "0000000000" else ""


# --- medical-records retention -------------------------------------------------------------------

HIPAA_DOCUMENTATION_YEARS = 6


def destroy_after(last_service_on: dt.date, date_of_birth: dt.date | None, adult_years: int, majority_age: int,
                  minor_years: int) -> dt.date:
    """The first day a patient's record may be destroyed: ``adult_years`` after the last visit; for
    a patient who was a minor at the last visit, not before the age of majority plus
    ``minor_years`` either (whichever is later)."""
    adult_end = add_years(last_service_on, adult_years)
    if date_of_birth is None:
        return adult_end
    majority = add_years(date_of_birth, majority_age)
    if last_service_on >= majority:
        return adult_end
    return max(adult_end, add_years(majority, minor_years))
