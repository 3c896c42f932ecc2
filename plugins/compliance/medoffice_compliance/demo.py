"""Demo data: the demo providers' credentials (licences in their practice's state and a second
state, DEA, malpractice, CAQH, Medicare, payer enrollments), some due soon and the first
provider's licence lapsed; the practice's CLIA certificate; a year of the HIPAA program (training,
a risk assessment with a remediation task, a business associate); a privacy request and an
incident. Written through the real functions, so deadlines and audit entries follow."""
from __future__ import annotations

import datetime as dt

from medoffice.models import Location, Patient, StaffMember, User

from medoffice import documents
from medoffice.models import Role

from . import credentials, incidents, privacy, program, records
from .credentials import CredentialValues
from .models import Credential

PAYERS = (("Medicare Part B", "MCRB"), ("Blue Shield", "BS001"), ("Aetna", "60054"))
BY = "demo"


def _provider_credentials(ctx, provider: StaffMember, home: str, lapsed: bool) -> None:
    rng, today = ctx.rng, ctx.today
    licence_expiry = today - dt.timedelta(days=12) if lapsed else today + dt.timedelta(days=rng.randint(20, 700))
    second = "NV" if home != "NV" else "AZ"
    values = [
        CredentialValues("state_licence", provider.id, state=home, number=f"A{rng.randint(10000, 99999)}",
                         issuer="Medical Board", effective_on=today - dt.timedelta(days=700), expires_on=licence_expiry),
        CredentialValues("state_licence", provider.id, state=second, number=f"B{rng.randint(10000, 99999)}",
                         issuer="Medical Board", effective_on=today - dt.timedelta(days=300),
                         expires_on=today + dt.timedelta(days=rng.randint(40, 900))),
        CredentialValues("dea", provider.id, state=home, number=f"F{provider.last_name[:1].upper()}{rng.randint(1000000, 9999999)}",
                         issuer="DEA", effective_on=today - dt.timedelta(days=400),
                         expires_on=today + dt.timedelta(days=rng.randint(50, 1000))),
        CredentialValues("malpractice", provider.id, number=f"MP-{rng.randint(1000, 9999)}", issuer="The Doctors Company",
                         effective_on=today - dt.timedelta(days=200), expires_on=today + dt.timedelta(days=165),
                         limit_per_claim_cents=100_000_000, limit_aggregate_cents=300_000_000),
        CredentialValues("caqh", provider.id, number=str(rng.randint(10_000_000, 99_999_999)),
                         effective_on=today - dt.timedelta(days=rng.randint(30, 110))),
        CredentialValues("medicare_revalidation", provider.id, effective_on=today - dt.timedelta(days=rng.randint(200, 1700))),
    ]
    for name, payer_id in PAYERS:
        values.append(CredentialValues("payer_enrollment", provider.id, issuer=name, payer_id=payer_id,
                                       status="enrolled", effective_on=today - dt.timedelta(days=900),
                                       expires_on=today + dt.timedelta(days=rng.randint(60, 1000))))
    for value in values:
        credentials.save(value, BY)


def create_demo_data(ctx) -> None:
    """Credentials for every demo provider (60 at most in the large set), the practice's
    certificates and, once, a year of the program."""
    if Credential.select().exists():
        return
    providers = list(StaffMember.select().where((StaffMember.is_provider == True) & (StaffMember.active == True))  # noqa: E712
                     .order_by(StaffMember.id).limit(60))
    location = Location.select().where(Location.active == True).order_by(Location.id).first()  # noqa: E712
    home = (location.state if location and location.state else "CA").upper()
    for number, provider in enumerate(providers):
        _provider_credentials(ctx, provider, home, lapsed=number == 0)
    credentials.save(CredentialValues("clia", None, location_id=location.id if location else None,
                                      number="05D" + str(ctx.rng.randint(1000000, 9999999)), issuer="CMS",
                                      effective_on=ctx.today - dt.timedelta(days=500),
                                      expires_on=ctx.today + dt.timedelta(days=45)), BY)
    staff = list(StaffMember.select().where(StaffMember.active == True).order_by(StaffMember.id).limit(120))  # noqa: E712
    for person in staff:
        if ctx.rng.random() < 0.8:
            program.record_training(person.id, "HIPAA privacy and security basics",
                                    ctx.today - dt.timedelta(days=ctx.rng.randint(10, 500)), by=BY)
    program.save_business_associate({"name": "Cloud Billing Clearinghouse", "services": "Claims transmission",
                                     "signed_on": ctx.today - dt.timedelta(days=400),
                                     "review_on": ctx.today + dt.timedelta(days=25)}, by=BY)
    owner = User.select().where(User.active == True).order_by(User.id).first()  # noqa: E712
    if owner is not None:
        _policies(ctx, owner.id)
    records.save_rule(records.MEDICAL_RECORD, "", 7, 18, 3, "Practice default")
    assessment = program.start_assessment(f"Security risk assessment {ctx.today.year}",
                                          ctx.today - dt.timedelta(days=30), by=BY)
    for item in assessment.items:
        gap = item.question_key in ("tec_encryption", "con_backup")
        program.answer(item, answer_value="partly" if gap else "yes", likelihood=2 if gap else 0,
                       impact=3 if gap else 0, note="", owner_user_id=owner.id if (gap and owner) else None,
                       remediation="Encrypt every laptop and test a restore" if (gap and owner) else "",
                       due_on=ctx.today + dt.timedelta(days=45) if gap else None)
    patient = Patient.select().where(Patient.active == True).order_by(Patient.id).first()  # noqa: E712
    if patient is not None:
        privacy.receive(patient.id, "access", ctx.today - dt.timedelta(days=20), identity_verified=True,
                        details="Copy of the last year's visit notes", access_format="electronic", fee_cents=650,
                        by=BY, today=ctx.today)
        privacy.log_disclosure(patient.id, ctx.today - dt.timedelta(days=200), "County health department",
                               "Immunisation record", "Public health reporting", by=BY)
    incident = incidents.log(title="Misdirected fax of a lab result", description="A fax went to a wrong number.",
                             occurred_on=ctx.today - dt.timedelta(days=15), discovered_on=ctx.today - dt.timedelta(days=14),
                             reported_by="Front desk", phi_involved=True, affected_by_state={home: 1}, by=BY,
                             today=ctx.today)
    incidents.assess(incident, {"factor_nature": "Name and one lab value", "factor_recipient": "A dental office",
                                "factor_acquired": "The recipient confirmed it read the page",
                                "factor_mitigation": "The recipient shredded it and attested so"},
                     "breach", "The result was viewed by an outside party; we notify.", by=BY, today=ctx.today)
    if patient is not None:
        incidents.add_patients(incident, [patient.id])


def _policies(ctx, owner_id: int) -> None:
    """The core HIPAA policies, published nearly a year ago for every role to acknowledge."""
    audience = documents.Audience.of(roles=[r.id for r in Role.select(Role.id)])
    for title in program.DEFAULT_POLICIES:
        policy = documents.create(program.POLICY_KIND, f"{title} policy", owner=owner_id, audience=audience,
                                  body=f"# {title} policy\n\nHow the practice meets its HIPAA duties on this subject.")
        documents.publish(policy, effective_on=ctx.today - dt.timedelta(days=ctx.rng.randint(200, 350)),
                          summary="Adopted.", requires_acknowledgment=True)
    program.sync_policy_reviews()
