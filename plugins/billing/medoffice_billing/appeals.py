"""Appeal letters to payers: core's message templates (staff reword them on Admin → Message templates)
filled with a claim's data, printed as a PDF on the practice's letterhead, each printing logged on the
claim's history and audited.

A letter goes to a payer, not to a patient, so it never passes the messages gate (patient consent is
about contacting the patient); it uses the gate's template machinery only: the declared fields, the
sandboxed rendering and the letter's stylesheet. Its clinical fields (services, diagnoses) are
allowed because the templates may only be letters.
"""
from __future__ import annotations

from flask import render_template
from medoffice import audit
from medoffice.db import transaction
from medoffice.messages.letters import STYLESHEET, letterhead
from medoffice.messages.templating import MessageTemplate, Rendered, TemplateField, practice_values, render, wording
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.settings import today

from . import adjudication
from .actor import acting_user
from .models import Claim, ClaimDiagnosis, ClaimEvent, ClaimLine, Coverage, Payer
from .reference import display_icd10
from .statements import to_pdf
from .x12.codes import ADJUSTMENT_REASONS

FIELDS = (
    TemplateField("payer_name", "The payer's name", example="Acme Health"),
    TemplateField("payer_address", "The payer's address, on one line", example="PO Box 1, Springfield, IL 62701"),
    TemplateField("claim_number", "Our claim number", example="C0000123"),
    TemplateField("payer_claim_number", "The payer's claim number", example="94060555410000"),
    TemplateField("patient_name", "The patient's name", example="Rosa Diaz"),
    TemplateField("date_of_birth", "The patient's date of birth", example="1970-05-06"),
    TemplateField("member_id", "The patient's member ID", example="M123456"),
    TemplateField("service_date", "The date of service", example="2026-03-01"),
    TemplateField("total_charge", "What the claim billed", example="$135.00"),
    TemplateField("paid", "What the payer paid", example="$0.00"),
    TemplateField("denial_reasons", "The payer's reasons (adjustment codes in words)",
                  example="CO-197 Prior authorization or precertification was missing"),
    TemplateField("services", "The procedure codes billed", clinical=True, example="99213, 36415"),
    TemplateField("diagnoses", "The diagnosis codes billed", clinical=True, example="E11.9, I10"),
)
_REFERENCE = ("Patient: {{ patient_name }}, date of birth {{ date_of_birth }}  \n"
              "Member ID: {{ member_id }}  \nOur claim number: {{ claim_number }}  \n"
              "Your claim number: {{ payer_claim_number }}  \nDate of service: {{ service_date }}  \n"
              "Billed: {{ total_charge }}, paid: {{ paid }}\n\n")
TEMPLATES = (
    MessageTemplate(
        key="billing.appeal_reconsideration", title="Appeal: request for reconsideration", purpose="billing",
        subject="Request for reconsideration of claim {{ claim_number }}",
        body=("{{ payer_name }}  \n{{ payer_address }}\n\n**Request for reconsideration**\n\n" + _REFERENCE
              + "We ask you to reconsider your decision on this claim. Your remittance gave: {{ denial_reasons }}.\n\n"
                "The services billed ({{ services }}) were medically necessary for the diagnoses billed "
                "({{ diagnoses }}); the visit note is enclosed. Please reprocess the claim and pay it.\n\n"
                "Sincerely,\n\n{{ practice_name }}  \n{{ practice_phone }}\n"),
        fields=FIELDS, channels=("core.letter",),
        description="A letter to the payer asking it to reconsider a denied or underpaid claim; printed from the "
                    "claim page."),
    MessageTemplate(
        key="billing.appeal_timely_filing", title="Appeal: claim filed on time", purpose="billing",
        subject="Appeal of the timely filing denial of claim {{ claim_number }}",
        body=("{{ payer_name }}  \n{{ payer_address }}\n\n**Appeal of a timely filing denial**\n\n" + _REFERENCE
              + "Your remittance denied this claim as filed late ({{ denial_reasons }}). We sent it within your "
                "filing limit; our proof of timely submission (the clearinghouse acceptance report) is enclosed. "
                "Please reprocess the claim.\n\nSincerely,\n\n{{ practice_name }}  \n{{ practice_phone }}\n"),
        fields=FIELDS, channels=("core.letter",),
        description="A letter to the payer showing a claim it denied as late was filed on time."),
)
BY_KEY = {t.key: t for t in TEMPLATES}


def letter_values(claim: Claim) -> dict[str, str]:
    """The template's values for ``claim``: payer, patient, policy, amounts, reasons and codes."""
    payer = Payer.get_by_id(claim.payer_id)
    patient = Patient.get_by_id(claim.patient_id)
    coverage = Coverage.get_by_id(claim.coverage_id)
    answers = adjudication.claim_answers(claim.id, claim.payer_id)
    reasons = list(dict.fromkeys(f"{a.group}-{a.carc} {ADJUSTMENT_REASONS.get(a.carc, '')}".strip()
                                 for answer in answers for a in answer.adjustments if a.group != "PR"))
    codes = [line.code + (f"-{line.modifiers.replace(':', '-')}" if line.modifiers else "") for line in
             ClaimLine.select(ClaimLine.code, ClaimLine.modifiers).where(ClaimLine.claim == claim.id)
             .order_by(ClaimLine.line_number)]
    diagnoses = [display_icd10(d.code) for d in ClaimDiagnosis.select(ClaimDiagnosis.code)
                 .where(ClaimDiagnosis.claim == claim.id).order_by(ClaimDiagnosis.position)]
    address = ", ".join(part for part in (payer.address1, payer.address2,
                                          f"{payer.city}, {payer.state} {payer.zip}".strip(", ")) if part.strip())
    return {**practice_values(), "first_name": "", "last_name": "", "full_name": payer.name,
            "payer_name": payer.name, "payer_address": address, "claim_number": claim.claim_number,
            "payer_claim_number": claim.payer_claim_number or "not given", "patient_name": patient.display_name,
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else "",
            "member_id": coverage.member_id, "service_date": claim.service_date.isoformat(),
            "total_charge": format_cents(claim.total_charge_cents),
            "paid": format_cents(sum(a.paid_cents for a in answers)),
            "denial_reasons": "; ".join(reasons) or "no reason given", "services": ", ".join(codes),
            "diagnoses": ", ".join(diagnoses)}


def render_letter(claim: Claim, key: str) -> Rendered:
    """The letter ``key`` (its wording as staff last saved it) filled with the claim's data.

    :raises KeyError: no such appeal template.
    """
    subject, body = wording(BY_KEY[key])
    return render(subject, body, letter_values(claim))


def letter_pdf(claim: Claim, key: str) -> bytes:
    """The letter as a PDF on the practice's letterhead, logged on the claim's history and audited as a file
    that leaves the application."""
    letter = render_letter(claim, key)
    html = render_template("billing/appeal_pdf.html", letter=letter, head=letterhead(), date=today())
    data = to_pdf(html, STYLESHEET)
    user_id, username = acting_user()
    with transaction():
        ClaimEvent.create(claim=claim.id, user_id=user_id, username=username, action="appeal_letter",
                          reason=f"{BY_KEY[key].title}: {letter.subject}"[:2000])
        audit.record("billing.appeal.letter", "billing_claim", claim.id, patient_id=claim.patient_id,
                     detail={"template": key})
    return data
