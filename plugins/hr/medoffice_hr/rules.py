"""HR's pure rules: choices, document kinds, pay rates in effect, masking and validation of the
sensitive fields, the org chart's tree and names as lists show them. No database, no Flask."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

STATUSES = (("active", "Active"), ("on_leave", "On leave"), ("ended", "Employment ended"))
TYPES = (("full_time", "Full-time"), ("part_time", "Part-time"), ("contractor", "Contractor"))
BASES = (("hourly", "Hourly"), ("salary", "Salary (a year)"))


def display_name(last_name: str, first_name: str, credentials: str) -> str:
    """'Last, First, Credentials' as core's ``StaffMember.display_name`` writes it, for lists that read
    the columns rather than whole staff records."""
    name = f"{last_name}, {first_name}"
    return f"{name}, {credentials}" if credentials else name


@dataclass(frozen=True)
class DocumentKindRule:
    """A kind of employee document and whether it expires (never, optionally, or always)."""

    key: str
    title: str
    expiry: str  # "none", "optional" or "required"


DOCUMENT_KINDS = (
    DocumentKindRule("i9", "Form I-9", "optional"),  # expires when work authorisation needs reverifying
    DocumentKindRule("w4", "Form W-4", "none"),
    DocumentKindRule("licence", "Licence or certification", "required"),
    DocumentKindRule("offer_letter", "Offer letter", "none"),
    DocumentKindRule("warning", "Written warning", "none"),
    DocumentKindRule("other", "Other", "optional"),
)
KIND_BY_KEY = {k.key: k for k in DOCUMENT_KINDS}


def label(pairs, key: str) -> str:
    """The label of ``key`` among (key, label) pairs, or the key itself."""
    return dict(pairs).get(key, key)


def expiry_problem(kind: str, expires_on: dt.date | None) -> str | None:
    """Why ``expires_on`` does not suit the document kind, or None."""
    rule = KIND_BY_KEY.get(kind)
    if rule is None:
        return "Choose a kind of document."
    if rule.expiry == "required" and expires_on is None:
        return f"A {rule.title.lower()} needs its expiry date."
    if rule.expiry == "none" and expires_on is not None:
        return f"A {rule.title.lower()} does not expire: leave the expiry date empty."
    return None


def rate_in_effect(rates, on: dt.date):
    """The rate effective on ``on``: the latest whose ``effective_on`` is not after it, or None."""
    current = None
    for rate in rates:
        if rate.effective_on <= on and (current is None or rate.effective_on > current.effective_on):
            current = rate
    return current


def employment_problems(hire_date: dt.date | None, end_date: dt.date | None, status: str,
                        staff_id: int, supervisor_id: int | None) -> dict[str, str]:
    """Field name -> message for employment values that cannot be true together."""
    problems = {}
    if hire_date and end_date and end_date < hire_date:
        problems["end_date"] = "The end date is before the hire date."
    if status == "ended" and end_date is None:
        problems["end_date"] = "An ended employment needs its end date."
    if supervisor_id is not None and supervisor_id == staff_id:
        problems["supervisor"] = "Nobody supervises themselves."
    return problems


def creates_cycle(staff_id: int, supervisor_id: int | None, supervisor_of: dict[int, int | None]) -> bool:
    """True when making ``supervisor_id`` the supervisor of ``staff_id`` would close a loop."""
    seen = set()
    current = supervisor_id
    while current is not None and current not in seen:
        if current == staff_id:
            return True
        seen.add(current)
        current = supervisor_of.get(current)
    return False


SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-?(?!00)\d{2}-?(?!0000)\d{4}$")
ROUTING = re.compile(r"^\d{9}$")
ACCOUNT = re.compile(r"^\d{4,17}$")


def normalise_ssn(text: str) -> str:
    """An SSN as ``123-45-6789``; raises ValueError for one the SSA never issues."""
    text = text.strip()
    if not SSN.match(text):
        raise ValueError("An SSN is nine digits (123-45-6789), not starting with 000, 666 or 9.")
    digits = text.replace("-", "")
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def routing_is_valid(routing: str) -> bool:
    """An ABA routing number: nine digits whose weighted checksum (3, 7, 1) is a multiple of 10."""
    if not ROUTING.match(routing):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(routing, weights)) % 10 == 0


def mask(field: str, value: str) -> str:
    """What the UI shows of a sensitive value without the reveal permission."""
    if not value:
        return ""
    if field == "ssn":
        return f"***-**-{value[-4:]}"
    if field in ("bank_account", "bank_routing"):
        return f"****{value[-4:]}"
    return "••••-••-••"


def org_tree(rows) -> list[dict]:
    """Nest (staff_id, name, title, supervisor_id) rows into trees under the people nobody
    supervises (or whose supervisor is not in ``rows``), each level sorted by name."""
    nodes = {r[0]: {"id": r[0], "name": r[1], "title": r[2], "reports": []} for r in rows}
    roots = []
    for staff_id, _name, _title, supervisor_id in rows:
        parent = nodes.get(supervisor_id) if supervisor_id != staff_id else None
        (parent["reports"] if parent else roots).append(nodes[staff_id])
    for node in nodes.values():
        node["reports"].sort(key=lambda n: n["name"])
    return sorted(roots, key=lambda n: n["name"])
