"""Every GET route of the app (core and every duty plugin) that takes a patient-bearing id records an audit entry naming
that patient. The routes come from the url map: each route argument is classified below by its name, and a
route with an argument this test does not know fails it, so a new page cannot slip past unclassified. A
missing patient or record answers 404 and records no read."""
from __future__ import annotations

import json

from ack_samples import ack_999
from billing_setup import database
from flask import url_for
from medoffice.demo import load_demo
from medoffice.files.models import Attachment
from medoffice.messages.models import OutboxMessage
from medoffice.models import AuditEvent, Patient
from peewee import fn
from remit_setup import claims_from_remittance, read_sample

from medoffice_compliance.models import Incident, IncidentPatient, PrivacyRequest
from medoffice_marketing.models import Complaint, RecallEntry, RecallList, RecoveryItem

from medoffice_billing import eligibility, estimates, export837, posting, x12
from medoffice_billing.acknowledgments import import_ack
from medoffice_billing.models import (Acknowledgment, Claim, ClaimAcknowledgment, ClaimBatch, ClaimBatchItem,
                                      CollectionPlacement, Coverage, EligibilityBatch, EligibilityCheck, Encounter,
                                      GoodFaithEstimate, PatientPayment, PaymentPlan, RemitClaim, Remittance, Statement,
                                      StatementRun)

# Route arguments naming one object that names one patient: the model the id belongs to.
ONE_PATIENT = {
    "patient_id": Patient, "claim_id": Claim, "encounter_id": Encounter, "coverage_id": Coverage,
    "payment_id": PatientPayment, "plan_id": PaymentPlan, "placement_id": CollectionPlacement,
    "statement_id": Statement, "estimate_id": GoodFaithEstimate,
    "file_id": Attachment,  # the demo's first files are patient documents (insurance cards)
    "message_id": OutboxMessage,  # a message in the outbox to a patient (a letter in demo_data)
    "request_id": PrivacyRequest,  # compliance: a patient's privacy-rights request
    "complaint_id": Complaint, "item_id": RecoveryItem,  # marketing: a patient's complaint, its service recovery
}
# Route arguments naming an object that shows many patients: its model and a query of those patients' ids.
MANY_PATIENTS = {
    "batch_id": (ClaimBatch, lambda batch: Claim.select(Claim.patient_id).join(ClaimBatchItem)
                 .where(ClaimBatchItem.batch == batch)),
    "run_id": (StatementRun, lambda run: Statement.select(Statement.patient_id).where(Statement.run == run)),
    "remittance_id": (Remittance, lambda remittance: Claim.select(Claim.patient_id).join(RemitClaim)
                      .where(RemitClaim.remittance == remittance)),
    "ack_id": (Acknowledgment, lambda ack: Claim.select(Claim.patient_id).join(ClaimAcknowledgment)
               .where(ClaimAcknowledgment.acknowledgment == ack)),
    "inquiry_batch_id": (EligibilityBatch, lambda batch: EligibilityCheck.select(EligibilityCheck.patient_id)
                         .where(EligibilityCheck.batch == batch)),
    "incident_id": (Incident, lambda incident: IncidentPatient.select(IncidentPatient.patient_id)
                    .where(IncidentPatient.incident == incident)),
    "list_id": (RecallList, lambda recall: RecallEntry.select(RecallEntry.patient_id)
                .where(RecallEntry.recall_list == recall)),
}
# Route arguments that name nothing of a patient.
NOT_PATIENT_DATA = {
    "user_id", "staff_id", "location_id", "fee_id", "payer_id", "task_id", "report_id", "filename", "plugin", "name",
    "digest",  # an imported file's SHA-256: the route only redirects to the remittance page (remittance_id)
    "document_id", "number",  # office documents (policies, manuals, handouts) and their version numbers
    "key",  # a message template's name
    "deadline_id",  # an obligation of the office; titles never carry patient data (docs/plugins.md, Deadlines)
    "account_id", "entry_id", "rule_id", "deposit_id",  # finance's books: amounts, accounts, check numbers, no patient
    "record_id",  # core's CRUD pages (finance's budget lines); a patient-bearing model's pages audit themselves
    "bill_id", "budget_id", "vendor_id", "bank_statement_id",  # finance: payables, budgets, the bank's statements
    "credential_id", "assessment_id", "associate_id",  # compliance: providers' licenses, risk, business associates
    # hr: employees' and candidates' files (personnel records, not patient data)
    "candidate_id", "opening_id", "pay_run_id", "benefit_plan_id", "template_id", "checklist_id", "completion_id", "stub_id", "start",
    "review_id",  # hr's performance reviews; marketing's online reviews (public posts, logged by hand)
    "campaign_id", "material_id", "provider_id",  # marketing: campaigns, handouts, referring clinicians
}
# Routes with a patient-bearing argument that show nothing of the patient, and why.
SHOW_NO_PATIENT_DATA = {
    "billing.fee_lookup": "the fee schedule's charge for the code being typed (an htmx input, every keystroke)",
}
# Pages that take a patient id in the query string (the url map cannot say so).
QUERY_STRING = {"billing.encounter_new": "patient_id"}


def get_routes(app) -> list:
    """Every GET rule with arguments, after failing on arguments nobody classified."""
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments]
    unknown = sorted(f"{r.rule} ({r.endpoint}): {name}" for r in rules for name in r.arguments
                     if name not in ONE_PATIENT and name not in MANY_PATIENTS and name not in NOT_PATIENT_DATA)
    assert not unknown, ("GET routes with arguments this test cannot classify; add them to ONE_PATIENT, "
                         "MANY_PATIENTS or NOT_PATIENT_DATA:\n" + "\n".join(unknown))
    return [r for r in rules if set(r.arguments) & (set(ONE_PATIENT) | set(MANY_PATIENTS))]


def demo_data(app) -> None:
    """The small demo, plus what it does not make: a claim batch (the demo's ready claims sent) and an imported
    835 whose claims are matched."""
    load_demo(app, "small")
    with app.test_request_context():
        with database(app):
            batch = export837.export().batch
            assert batch is not None
            for remittance in x12.parse_835(read_sample("835_two_claims_claim_and_line_cas.x12")):
                claims_from_remittance(remittance)
            coverage = Coverage.select().order_by(Coverage.id).first()
            assert eligibility.export_270([coverage.id]).batch is not None
            estimates.create_estimate(coverage.patient_id, {"self_pay": True}, [("99213", 1)])
        posting.import_835(read_sample("835_two_claims_claim_and_line_cas.x12"), "two.835")
        import_ack(ack_999(batch.control_number), "demo.999")
        with database(app):
            patient = Patient.select().order_by(Patient.id).first()
            OutboxMessage.create(channel="core.letter", purpose="billing", recipient_kind="patient",
                                 patient=patient, to_name=patient.display_name, to_address="1 Main St",
                                 subject="Your statement", body_text="Please see the enclosed statement.")


def arguments_for(rule) -> tuple[dict, set[int]]:
    """URL values for a real object of each of the rule's patient-bearing arguments, and the patients it names."""
    values, patients = {}, set()
    for name in rule.arguments:
        if name in ONE_PATIENT:
            model = ONE_PATIENT[name]
            if model is Patient:  # one who owes: every patient page (the statement preview too) has something to show
                row = Patient.get_by_id(Statement.select(fn.MIN(Statement.patient_id)).scalar())
                patients.add(row.id)
            else:
                row = model.select().order_by(model.id).first()
                patients.add(row.patient_id)
            values[name] = row.id
        elif name in MANY_PATIENTS:
            model, shown = MANY_PATIENTS[name]
            row = model.select().order_by(model.id).first()
            values[name] = row.id
            patients |= {pid for (pid,) in shown(row).tuples()}
        else:
            raise AssertionError(f"{rule.rule}: no test value for {name}")
    assert patients, f"{rule.rule}: the demo data gives it no patient"
    return values, patients


def entries_after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.seq > seq).order_by(AuditEvent.seq))


def last_seq() -> int:
    return AuditEvent.select(fn.MAX(AuditEvent.seq)).scalar() or 0


def names(entry: AuditEvent) -> set[int]:
    """The patients an audit entry names: its patient, or the patients a list or batch showed."""
    shown = json.loads(entry.detail or "{}").get("patients", [])
    return ({entry.patient_id} if entry.patient_id else set()) | set(shown)


def get_and_read_entries(app, client, url: str):
    """GET ``url`` (it must answer 200) and return the response and the patients its audit entries name."""
    with database(app):
        before = last_seq()
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    with database(app):
        return response, set().union(*(names(e) for e in entries_after(before)))


def test_every_get_route_with_a_patient_bearing_id_audits_the_read(app, client_as):
    demo_data(app)
    admin = client_as("admin")
    routes = get_routes(app)
    assert {r.endpoint for r in routes} >= {"core.patient_edit", "billing.coverage_edit", "billing.payment_new",
                                            "billing.refund_new", "billing.write_off", "billing.plan_new",
                                            "billing.statement_hold", "billing.receipt_void",
                                            "billing.placement_recall"}
    missing = []
    for rule in sorted(routes, key=lambda r: r.rule):
        with database(app), app.test_request_context():
            values, patients = arguments_for(rule)
            url = url_for(rule.endpoint, **values)
            patient_names = {Patient.get_by_id(pid).last_name for pid in patients}
        response, named = get_and_read_entries(app, admin, url)
        if rule.endpoint in SHOW_NO_PATIENT_DATA:
            body = response.get_data(as_text=True)
            assert not named and not any(n in body for n in patient_names), f"{url} shows patient data"
        elif not patients <= named:
            missing.append(f"{url} ({rule.endpoint}): no audit entry names patient(s) {sorted(patients - named)}")
    for endpoint, argument in QUERY_STRING.items():
        with database(app), app.test_request_context():
            patient = Patient.select().order_by(Patient.id).first()
            url = url_for(endpoint, **{argument: patient.id})
        response, named = get_and_read_entries(app, admin, url)
        assert patient.account_number in response.get_data(as_text=True)
        if patient.id not in named:
            missing.append(f"{url} ({endpoint}): no audit entry names patient {patient.id}")
    assert not missing, "Pages that show patient data without an audit entry:\n" + "\n".join(missing)


def test_a_missing_patient_or_record_is_404_and_audits_nothing(app, client_as):
    admin = client_as("admin")
    for url in ("/patients/999999/edit", "/billing/insurance/999999/edit", "/billing/patients/999999/payments/new",
                "/billing/receipts/999999/void", "/billing/placements/999999/recall", "/billing/plans/999999/cancel"):
        with database(app):
            before = last_seq()
        assert admin.get(url).status_code == 404, url
        with database(app):
            assert not entries_after(before), url
