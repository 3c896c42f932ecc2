"""Patients' privacy rights: requests with their legal clocks (kept as core deadlines), the one
extension and its written notice, decisions, the disclosure log and the accounting of
disclosures answered as a letter. Letters go through core's messages (purpose
``required_notice``, by letter). Every change is audited naming the patient."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, deadlines, messages, settings
from medoffice.db import transaction
from medoffice.messages import MessageTemplate, TemplateField

from . import rules
from .models import Disclosure, PrivacyRequest

OWNER = "compliance"
DEADLINE_KIND = "compliance.privacy_request"
DECISIONS = (("completed", "Completed / granted"), ("denied", "Denied"))

EXTENSION_NOTICE = MessageTemplate(
    key="compliance.privacy_extension", title="Privacy request: extension notice", purpose="required_notice",
    subject="Your request of {{ received_on }}: we need more time",
    body=("Dear {{ first_name }},\n\nWe received your {{ request_kind }} request on {{ received_on }}. "
          "We need more time to answer it, for this reason: {{ reason }}.\n\n"
          "You will have our answer no later than **{{ new_due }}**.\n\n{{ practice_name }}, {{ practice_phone }}\n"),
    fields=(TemplateField("request_kind", "Kind of request", example="right of access"),
            TemplateField("received_on", "Date received", example="2026-03-02"),
            TemplateField("reason", "Reason for the delay", example="the records are archived off site"),
            TemplateField("new_due", "New due date", example="2026-05-01")),
    channels=("core.letter",), description="The written notice the law requires before a privacy request is extended.")

DECISION_LETTER = MessageTemplate(
    key="compliance.privacy_decision", title="Privacy request: decision", purpose="required_notice",
    subject="Your {{ request_kind }} request of {{ received_on }}",
    body=("Dear {{ first_name }},\n\nWe have {{ decision }} your {{ request_kind }} request received on "
          "{{ received_on }}.\n\n{{ reason }}\n\n{{ practice_name }}, {{ practice_phone }}\n"),
    fields=(TemplateField("request_kind", "Kind of request", example="amendment"),
            TemplateField("received_on", "Date received", example="2026-03-02"),
            TemplateField("decision", "Decision", example="denied"),
            TemplateField("reason", "Reason or details", example="The record is accurate and complete.")),
    channels=("core.letter",), description="The answer to a privacy-rights request, with the reason for a denial.")

ACCOUNTING_LETTER = MessageTemplate(
    key="compliance.accounting_of_disclosures", title="Accounting of disclosures", purpose="required_notice",
    subject="Accounting of disclosures, {{ period_start }} to {{ period_end }}",
    body=("Dear {{ first_name }},\n\nAs you asked on {{ received_on }}, these are the disclosures of your health "
          "information from {{ period_start }} to {{ period_end }}:\n\n{{ disclosures }}\n\n"
          "{{ practice_name }}, {{ practice_phone }}\n"),
    fields=(TemplateField("received_on", "Date requested", example="2026-03-02"),
            TemplateField("period_start", "First day covered", example="2020-03-02"),
            TemplateField("period_end", "Last day covered", example="2026-03-02"),
            TemplateField("disclosures", "The disclosures (date, recipient, what, purpose)", clinical=True,
                          example="2025-01-04: County health department; immunisation record; public health")),
    channels=("core.letter",), description="The answer to a request for an accounting of disclosures (six years).")

TEMPLATES = (EXTENSION_NOTICE, DECISION_LETTER, ACCOUNTING_LETTER)
# Answers that hand over or change the patient's information need the requester's identity verified.
IDENTITY_FIRST = ("access", "accounting", "amendment")


class PrivacyError(ValueError):
    """Input refused, with the field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _kind(request: PrivacyRequest) -> rules.RequestKind:
    return rules.REQUEST_BY_KEY[request.kind]


def deadline_title(request: PrivacyRequest) -> str:
    """The deadline's title: the request's number, kind and date, never the patient."""
    return f"Privacy request #{request.id} ({_kind(request).title.lower()}), received {request.received_on.isoformat()}"


def sync_deadline(request: PrivacyRequest) -> None:
    """Keep the request's due date on core's deadlines (idempotent); done when it is answered."""
    key = f"privacy-request:{request.id}"
    if request.due_on is None:
        return
    row = deadlines.upsert(OWNER, key, title=deadline_title(request), due=request.due_on, kind=DEADLINE_KIND,
                           concerns=("compliance_privacy_request", request.id, "compliance.privacy_request",
                                     {"request_id": request.id}), assignee_role="office_manager")
    if request.status != "open" and row.state == "open":
        deadlines.complete(row.id, note=f"Answered on {request.decided_on.isoformat()}: {request.status}.")


def receive(patient_id: int, kind: str, received_on: dt.date, *, identity_verified: bool, details: str = "",
            access_format: str = "", fee_cents: int = 0, by: str, today: dt.date | None = None) -> PrivacyRequest:
    """Log a request the day it was received; its clock starts then."""
    today = today or settings.today()
    if kind not in rules.REQUEST_BY_KEY:
        raise PrivacyError("Choose the kind of request.", "kind")
    if received_on > today:
        raise PrivacyError("A request cannot be received in the future.", "received_on")
    if kind == "access" and access_format not in dict(rules.ACCESS_FORMATS):
        raise PrivacyError("Choose the form and format the patient asked for.", "access_format")
    if fee_cents < 0:
        raise PrivacyError("A fee cannot be negative.", "fee")
    if fee_cents and kind != "access":
        raise PrivacyError("Only copies under the right of access carry a fee.", "fee")
    with transaction():
        request = PrivacyRequest.create(
            patient=patient_id, kind=kind, received_on=received_on, identity_verified=identity_verified,
            details=details.strip(), access_format=access_format if kind == "access" else "", fee_cents=fee_cents,
            due_on=rules.request_due(rules.REQUEST_BY_KEY[kind], received_on), created_by=by)
        audit.record("compliance.privacy_request.create", "compliance_privacy_request", request.id,
                     patient_id=patient_id, detail={"kind": kind, "received_on": received_on.isoformat()})
        sync_deadline(request)
    return request


def extend(request: PrivacyRequest, reason: str, *, by: str, today: dt.date | None = None) -> PrivacyRequest:
    """Take the one extension: the written notice (a letter through core's messages) is queued in
    the same transaction, so there is no extension without its notice, and none after the first
    period ended."""
    today = today or settings.today()
    if request.status != "open":
        raise PrivacyError("The request is already answered.")
    problem = rules.extension_problem(_kind(request), request.received_on, request.extended_on is not None, today)
    if problem:
        raise PrivacyError(problem)
    if not reason.strip():
        raise PrivacyError("Give the reason for the delay: the notice tells the patient.", "reason")
    new_due = rules.request_due(_kind(request), request.received_on, extended=True)
    with transaction():
        try:
            letter = messages.queue(messages.patient(request.patient_id), EXTENSION_NOTICE.key, {
                "request_kind": _kind(request).title.lower(), "received_on": request.received_on.isoformat(),
                "reason": reason.strip(), "new_due": new_due.isoformat()}, channel="core.letter", by=by)
        except messages.Refused as refused:
            raise PrivacyError(f"The notice could not be queued: {refused.reason}") from None
        request.extended_on = today
        request.extension_reason = reason.strip()[:300]
        request.extension_message_id = letter.id
        request.due_on = new_due
        request.save()
        audit.record("compliance.privacy_request.extend", "compliance_privacy_request", request.id,
                     patient_id=request.patient_id, detail={"due_on": new_due.isoformat(), "message_id": letter.id})
        sync_deadline(request)
    return request


def verify_identity(request: PrivacyRequest, how: str, *, by: str) -> None:
    """Record that the requester's identity was verified, and how (photo ID, portal login...)."""
    if not how.strip():
        raise PrivacyError("Say how the identity was verified.", "reason")
    if request.identity_verified:
        raise PrivacyError("The identity is already verified.")
    with transaction():
        request.identity_verified = True
        request.save()
        audit.record("compliance.privacy_request.identity", "compliance_privacy_request", request.id,
                     patient_id=request.patient_id, detail={"how": how.strip()[:200], "by": by})


def disclosures_for(patient_id: int, requested_on: dt.date) -> list[Disclosure]:
    """The patient's disclosures in the six years up to ``requested_on``, oldest first."""
    return list(Disclosure.select().where((Disclosure.patient == patient_id)
                                          & (Disclosure.disclosed_on >= rules.lookback_start(requested_on))
                                          & (Disclosure.disclosed_on <= requested_on))
                .order_by(Disclosure.disclosed_on, Disclosure.id))


def decide(request: PrivacyRequest, decision: str, reason: str, *, by: str, send_letter: bool = True,
           today: dt.date | None = None) -> PrivacyRequest:
    """Answer the request (completed/granted or denied with its reason) and queue the answer as a
    letter; an accounting of disclosures answers with the six years' disclosures."""
    today = today or settings.today()
    if request.status != "open":
        raise PrivacyError("The request is already answered.")
    if decision not in dict(DECISIONS):
        raise PrivacyError("Choose the decision.", "decision")
    if decision == "denied" and not reason.strip():
        raise PrivacyError("A denial gives the patient its reason.", "reason")
    if request.kind == "accounting" and decision == "denied":
        raise PrivacyError("An accounting of disclosures is owed: it cannot be denied.", "decision")
    if decision == "completed" and not request.identity_verified and request.kind in IDENTITY_FIRST:
        raise PrivacyError("Verify the requester's identity before answering with the patient's information.",
                           "decision")
    kind = _kind(request)
    with transaction():
        letter = None
        if send_letter:
            patient = messages.patient(request.patient_id)
            try:
                if request.kind == "accounting":
                    listed = disclosures_for(request.patient_id, request.received_on)
                    lines = "\n".join(f"- {d.disclosed_on.isoformat()}: {d.recipient}; {d.description}; {d.purpose}"
                                      for d in listed) or "- No disclosure that must be accounted for."
                    letter = messages.queue(patient, ACCOUNTING_LETTER.key, {
                        "received_on": request.received_on.isoformat(),
                        "period_start": rules.lookback_start(request.received_on).isoformat(),
                        "period_end": request.received_on.isoformat(), "disclosures": lines},
                        channel="core.letter", by=by)
                else:
                    letter = messages.queue(patient, DECISION_LETTER.key, {
                        "request_kind": kind.title.lower(), "received_on": request.received_on.isoformat(),
                        "decision": "denied" if decision == "denied" else "granted", "reason": reason.strip()},
                        channel="core.letter", by=by)
            except messages.Refused as refused:
                raise PrivacyError(f"The letter could not be queued: {refused.reason}") from None
        request.status = decision
        request.decided_on = today
        request.decision_reason = reason.strip()
        request.answer_message_id = letter.id if letter else None
        request.save()
        audit.record("compliance.privacy_request.decide", "compliance_privacy_request", request.id,
                     patient_id=request.patient_id,
                     detail={"decision": decision, "on_time": rules.on_time(request.due_on, today)})
        sync_deadline(request)
    return request


def log_disclosure(patient_id: int, disclosed_on: dt.date, recipient: str, description: str, purpose: str,
                   *, by: str) -> Disclosure:
    """Log a disclosure an accounting must list."""
    if not recipient.strip() or not description.strip() or not purpose.strip():
        raise PrivacyError("Give to whom, what and why.", "recipient")
    if disclosed_on > settings.today():
        raise PrivacyError("A disclosure cannot be dated in the future.", "disclosed_on")
    with transaction():
        row = Disclosure.create(patient=patient_id, disclosed_on=disclosed_on, recipient=recipient.strip()[:200],
                                description=description.strip()[:300], purpose=purpose.strip()[:300], created_by=by)
        audit.record("compliance.disclosure.create", "compliance_disclosure", row.id, patient_id=patient_id,
                     detail={"disclosed_on": disclosed_on.isoformat()})
    return row
