"""CMS-1500 (02/12) paper claims: the form's items filled from a claim, rendered to PDF by WeasyPrint.

The items come from the same 837P dataclasses the electronic export builds (``export837.to_x12``),
so a paper claim says exactly what the electronic one would. The template places every item on
the form's grid (absolute positions in millimetres on a Letter page, in ``static/cms1500.css``),
each box labelled with its item number, so the form reads on plain paper. A claim with more than
six lines continues on further pages; the total charge is printed on the last one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from flask import render_template
from medoffice import settings
from medoffice.money import format_cents

from . import export837, scrubber, x12
from .models import Claim, Payer

LINES_PER_PAGE = 6
STYLESHEET = Path(__file__).resolve().parent / "static" / "cms1500.css"
DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"
# Item 1: the kind of coverage, from the claim filing indicator (SBR09).
INSURANCE_TYPES = {"MA": "medicare", "MB": "medicare", "MC": "medicaid", "CH": "tricare", "VA": "champva",
                   "CI": "group", "BL": "group", "HM": "group", "12": "group", "13": "group", "14": "group",
                   "15": "group", "16": "group", "HN": "group", "LM": "group", "DS": "group", "FI": "feca"}
RELATIONSHIPS = {"18": "self", "01": "spouse", "19": "child"}


@dataclass
class FormLine:
    """Item 24, one service line: dates, place, code and modifiers, pointers, charge, units, NPI."""

    from_date: str
    to_date: str
    place: str
    code: str
    modifiers: list[str]
    pointers: str
    charge: str
    units: str
    npi: str


@dataclass
class FormPage:
    """One printed page of a claim: item number -> text, the boxes to tick, and up to six lines."""

    items: dict[str, str]
    checks: set[str]
    lines: list[FormLine]
    page: int = 1
    pages: int = 1
    carrier: list[str] = field(default_factory=list)


def _d(day: dt.date | None) -> str:
    return day.strftime("%m %d %Y") if day else ""


def _name(last: str, first: str, middle: str = "") -> str:
    return ", ".join(part for part in (last, " ".join(p for p in (first, middle[:1]) if p)) if part).upper()


def _street(address: x12.Address | None) -> str:
    return " ".join(p for p in (address.line1, address.line2) if p).upper() if address else ""


def _zip(address: x12.Address | None) -> str:
    digits = address.postal_code if address else ""
    return f"{digits[:5]}-{digits[5:]}" if len(digits) == 9 else digits


def _amount(cents: int) -> str:
    return format_cents(cents).replace("$", "").replace(",", "")


def form_pages(claim: x12.Claim, provider: x12.BillingProvider, payer_address: list[str],
               phone: str = "") -> list[FormPage]:
    """The printed pages of one claim (six service lines per page)."""
    subscriber, patient = claim.subscriber, claim.patient
    same = patient is None
    items = {
        "1a": subscriber.member_id,
        "2": _name(patient.last_name, patient.first_name, patient.middle_name) if patient else
        _name(subscriber.last_name, subscriber.first_name, subscriber.middle_name),
        "3": _d(patient.birth_date if patient else subscriber.birth_date),
        "4": _name(subscriber.last_name, subscriber.first_name, subscriber.middle_name),
        "11": subscriber.group_number or "NONE",
        "11a": _d(subscriber.birth_date), "11c": subscriber.payer.name.upper(),
        "12": "SIGNATURE ON FILE", "13": "SIGNATURE ON FILE",
        "21ind": "0", "22code": claim.frequency_code if claim.frequency_code != "1" else "",
        "22ref": claim.original_claim_number, "23": claim.prior_authorization,
        "25": "".join(ch for ch in provider.tax_id if ch.isdecimal()), "26": claim.patient_control_number,
        "31": "SIGNATURE ON FILE", "33": provider.name.upper(), "33a": provider.npi, "33b": provider.taxonomy,
        "33phone": phone,
    }
    address = patient.address if patient else subscriber.address
    items.update({"5street": _street(address), "5city": (address.city if address else "").upper(),
                  "5state": (address.state if address else "").upper(), "5zip": _zip(address)})
    insured_address = subscriber.address if subscriber.address else (address if same else None)
    items.update({"7street": _street(insured_address), "7city": (insured_address.city if insured_address else "").upper(),
                  "7state": (insured_address.state if insured_address else "").upper(),
                  "7zip": _zip(insured_address)})
    items.update({"33street": _street(provider.address), "33city": f"{provider.address.city} "
                  f"{provider.address.state} {_zip(provider.address)}".upper()})
    checks = {f"1-{INSURANCE_TYPES.get(subscriber.filing_indicator, 'other')}", "10a-no", "10b-no", "10c-no", "27-yes"}
    sex = patient.sex if patient else subscriber.sex
    if sex in ("F", "M"):
        checks.add(f"3-{sex}")
    if subscriber.sex in ("F", "M"):
        checks.add(f"11a-{subscriber.sex}")
    checks.add(f"6-{RELATIONSHIPS.get(patient.relationship, 'other') if patient else 'self'}")
    others = claim.other_payers
    checks.add("11d-yes" if others else "11d-no")
    if others:
        other = others[0]
        items.update({"9": _name(other.insured_last_name, other.insured_first_name),
                      "9a": other.insured_member_id + (f" {other.group_number}" if other.group_number else ""),
                      "9d": other.payer.name.upper()})
    paid = sum(o.paid_cents or 0 for o in others)
    for index, code in enumerate(claim.diagnoses):
        items[f"21{DIAGNOSIS_LETTERS[index]}"] = code[:3] + ("." + code[3:] if len(code) > 3 else "")
    if claim.referring_provider is not None:
        ref = claim.referring_provider
        items.update({"17": _name(ref.last_name, ref.first_name), "17qual": "DN", "17b": ref.npi})
    facility = claim.service_facility
    if facility is not None:
        items.update({"32": facility.name.upper(), "32street": _street(facility.address),
                      "32city": f"{facility.address.city} {facility.address.state} {_zip(facility.address)}".upper(),
                      "32a": facility.npi})
    rendering = claim.rendering_provider.npi if claim.rendering_provider else provider.npi
    lines = [FormLine(
        from_date=_d(line.service_date), to_date=_d(line.service_end_date or line.service_date),
        place=line.place_of_service or claim.place_of_service, code=line.procedure_code,
        modifiers=list(line.modifiers), pointers="".join(DIAGNOSIS_LETTERS[p - 1] for p in line.diagnosis_pointers
                                                         if 0 < p <= len(DIAGNOSIS_LETTERS)),
        charge=_amount(line.charge_cents), units=format(line.units.normalize(), "f"), npi=rendering)
        for line in claim.lines]
    chunks = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        last = number == len(chunks)
        page_items = {**items, "28": _amount(claim.total_charge_cents) if last else "CONTINUED",
                      "29": _amount(paid) if last and paid else ""}
        pages.append(FormPage(page_items, set(checks), chunk, number, len(chunks), payer_address))
    return pages


def _payer_block(payer: Payer) -> list[str]:
    """The carrier block (top right): where the form is mailed."""
    city = " ".join(p for p in (payer.city, payer.state, payer.zip) if p)
    return [line.upper() for line in (payer.name, payer.address1, payer.address2, city) if line]


def render_pdf(pages: list[FormPage]) -> bytes:
    """The pages as one PDF (Letter paper)."""
    from weasyprint import CSS, HTML

    html = render_template("billing/cms1500.html", pages=pages)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


def _practice_phone() -> str:
    return str(settings.get("core.phone", "") or "")


def claim_pdf(claim: Claim) -> bytes:
    """The CMS-1500 of one claim as it stands now, as a PDF."""
    facts = scrubber.gather(claim)
    form = export837.to_x12(facts, export837.PriorPayers([facts.claim]))
    return render_pdf(form_pages(form, export837.billing_provider(), _payer_block(facts.payer), _practice_phone()))


def paper_batch(payer: Payer | None = None) -> export837.ExportResult:
    """Print the ready paper claims (of ``payer``, or all) as one PDF; record the batch and submit them.

    Claims the scrubber refuses stay ready and are listed as skipped.
    """
    candidates = list(export837.ready_claims(payer.id if payer else None, paper=True))
    if not candidates:
        return export837.ExportResult(None)
    prepared, skipped = export837.prepare(candidates, electronic=False)
    if not prepared:
        return export837.ExportResult(None, skipped)
    provider, phone = export837.billing_provider(), _practice_phone()
    payers = {p.id: p for p in Payer.select().where(Payer.id.in_({c.claim.payer_id for c in prepared}))}
    pages = [page for item in prepared
             for page in form_pages(item.form, provider, _payer_block(payers[item.claim.payer_id]), phone)]
    data = render_pdf(pages)
    name = f"CMS1500-{dt.datetime.now(settings.practice_timezone()):%Y%m%d-%H%M%S}.pdf"
    batch = export837.record_batch("cms1500", [p.claim for p in prepared], name, data, payer, None, "",
                                   f"Printed on CMS-1500 forms ({name}) for mailing.")
    return export837.ExportResult(batch, skipped)
