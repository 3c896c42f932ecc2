"""The scrubber: each rule finds what it should, names the field and says how to fix it, and the
claim page shows each problem beside that field."""
from __future__ import annotations

import datetime as dt

import pytest
from billing_setup import BAD_NPI, database, encounter_with_charges, practice
from medoffice import settings
from markupsafe import escape
from medoffice.models import Location, Patient, StaffMember

from medoffice_billing import claims, scrubber
from medoffice_billing.models import Claim, ClaimDiagnosis, ClaimLine, Coverage, Encounter, Payer, ServiceLine
from medoffice_billing.reference import import_codes


def found(claim) -> dict[str, list[scrubber.Problem]]:
    result: dict[str, list] = {}
    for problem in scrubber.scrub(Claim.get_by_id(claim.id)):
        result.setdefault(problem.field, []).append(problem)
    return result


def errors(claim) -> dict[str, str]:
    return {field: items[0].message for field, items in found(claim).items() if items[0].severity == "error"}


def warnings(claim) -> dict[str, str]:
    return {p.field: p.message for items in found(claim).values() for p in items if p.severity == "warning"}


@pytest.fixture
def billed(app):
    """A clean draft claim (no problems) inside a connected app context."""
    with database(app):
        records = practice()
        records["claim"] = claims.create_claim(encounter_with_charges(records))
        yield records


def test_a_complete_claim_passes(billed):
    assert scrubber.scrub(billed["claim"]) == []
    assert billed["claim"].scrub_errors == 0


def test_npi_check_digits(billed):
    StaffMember.update(npi=BAD_NPI).execute()
    settings.set_many({"core.practice_npi": "1234567890"})
    problems = errors(billed["claim"])
    assert "fails the check digit (Luhn with the 80840 prefix)" in problems["practice.npi"]
    assert f"NPI {BAD_NPI} of Quill, Ada, MD fails the check digit" in problems["providers.rendering_npi"]
    referring = StaffMember.create(first_name="Ref", last_name="Doc", is_provider=True, npi="123")
    Location.update(npi="1234567890").execute()
    Encounter.update(referring_provider_id=referring.id).execute()
    problems = errors(billed["claim"])
    assert "referring provider's NPI 123" in problems["providers.referring_npi"]
    assert "location" in problems["encounter.location"]
    fix = found(billed["claim"])["practice.npi"][0].fix
    assert "practice settings" in fix


def test_required_practice_patient_coverage_and_payer_data(billed):
    settings.set_many({"core.tax_id": "12-345", "core.zip": "62701"})
    Patient.update(address1="", sex="U").execute()
    Coverage.update(member_id=" ", relationship="19").execute()
    Payer.update(payer_id="").execute()
    problems = errors(billed["claim"])
    assert problems["practice.tax_id"] == "The practice's federal tax id (EIN) must have 9 digits."
    assert "ZIP+4" in problems["practice.zip"]
    assert "street address" in problems["patient.address"]
    assert problems["coverage.member_id"] == "The member id is missing."
    assert "subscriber's name is missing" in problems["coverage.subscriber"]
    assert "has no payer id" in problems["payer.payer_id"]
    assert "unknown" in warnings(billed["claim"])["patient.sex"]
    Encounter.update(rendering_provider_id=None).execute()
    assert errors(billed["claim"])["providers.rendering"] == "The rendering provider is missing."


def test_paper_payers_need_no_payer_id_and_only_five_digit_zip(billed):
    Payer.update(electronic=False, payer_id="").execute()
    settings.set_many({"core.zip": "62701"})
    assert errors(billed["claim"]) == {}
    assert "paper claims only" in warnings(billed["claim"])["payer.electronic"]


def test_diagnosis_codes_and_pointers(billed):
    # The scrubber checks what the claim bills: its own copy of the diagnoses and pointers.
    ClaimDiagnosis.update(code="11X").execute()
    ClaimLine.update(diagnosis_pointers="2:2").execute()
    problems = found(billed["claim"])
    assert problems["diagnoses.1"][0].message == "'11X' is not an ICD-10-CM code."
    pointer_messages = [p.message for p in problems["lines.1.pointers"]]
    assert "A line needs 1 to 4 different diagnosis pointers." in pointer_messages
    assert "Pointer 2 is outside the 1 diagnosis on the claim." in pointer_messages
    assert problems["lines.1.pointers"][-1].fix == "Point the line at a diagnosis from 1 to 1."
    ClaimDiagnosis.delete().execute()
    assert errors(billed["claim"])["diagnoses"] == "The claim has no diagnosis."


def test_an_imported_procedure_code_list_flags_unknown_codes_as_warnings(billed):
    import_codes("cpt", [("99214", "Visit")])
    assert warnings(billed["claim"])["lines.1.code"] == "99213 is not in the imported procedure code list."


def test_a_diagnosis_must_be_a_billable_icd10_cm_code_from_the_whole_code_set(billed):
    """Issue 17 item 12: the category E11 passed with a warning; the demo's code list knew 20 codes."""
    assert "diagnoses.1" not in errors(billed["claim"]) and "diagnoses.1" not in warnings(billed["claim"])
    ClaimDiagnosis.update(code="E11").execute()
    problem = found(billed["claim"])["diagnoses.1"][0]
    assert problem.severity == "error"
    assert problem.message == ("E11 (Type 2 diabetes mellitus) is a category, not a billable code: a claim needs its "
                               "most specific code.")
    assert "such as E11.00 (" in problem.fix
    ClaimDiagnosis.update(code="S72001").execute()  # a subcategory that needs its seventh character
    assert "is a category" in errors(billed["claim"])["diagnoses.1"]
    ClaimDiagnosis.update(code="S72001A").execute()
    assert "diagnoses.1" not in errors(billed["claim"])
    ClaimDiagnosis.update(code="E1199").execute()  # the shape of a code, but no such code
    assert errors(billed["claim"])["diagnoses.1"] == "E11.99 is not in the ICD-10-CM code set."
    ClaimDiagnosis.update(code="M5450").execute()  # a code the demo list never had
    assert "diagnoses.1" not in errors(billed["claim"])


def test_place_of_service_and_future_dates(billed):
    tomorrow = settings.today() + dt.timedelta(days=1)
    Encounter.update(place_of_service="30", service_date=tomorrow).execute()
    ServiceLine.update(service_date=tomorrow).execute()
    problems = errors(billed["claim"])
    assert problems["encounter.place_of_service"] == "Place of service '30' is not a CMS place-of-service code."
    assert "is in the future" in problems["encounter.service_date"]
    assert "in the future" in problems["lines.1.service_date"]
    Encounter.update(place_of_service="02").execute()
    assert "encounter.place_of_service" not in errors(billed["claim"])


def test_timely_filing_window(billed):
    Payer.update(timely_filing_days=90).execute()
    day = settings.today() - dt.timedelta(days=91)
    Encounter.update(service_date=day).execute()
    ServiceLine.update(service_date=day).execute()
    assert "90-day filing limit passed on" in errors(billed["claim"])["encounter.timely_filing"]
    day = settings.today() - dt.timedelta(days=80)
    Encounter.update(service_date=day).execute()
    assert warnings(billed["claim"])["encounter.timely_filing"].startswith("Only 10 days left to file")
    settings.set_many({"billing.timely_filing_warn_days": 5})
    assert "encounter.timely_filing" not in warnings(billed["claim"])


def test_duplicate_claims(billed):
    records = billed
    second = claims.create_claim(encounter_with_charges(records))
    assert "already bills the same service" in errors(second)["claim.duplicate"]
    assert billed["claim"].claim_number in errors(second)["claim.duplicate"]
    claims.void(billed["claim"], "entered twice")
    assert "claim.duplicate" not in errors(second)
    other_code = claims.create_claim(encounter_with_charges(records, codes=("36415",)))
    assert "claim.duplicate" not in errors(other_code)


def test_charge_totals_and_line_rules(billed):
    encounter = Encounter.get_by_id(billed["claim"].encounter_id)
    ServiceLine.update(charge_cents=0).execute()
    claims.refresh_open_claims(encounter)
    problems = errors(billed["claim"])
    assert problems["lines.1.charge"] == "The charge must be more than $0.00."
    assert problems["claim.total"] == "The claim total must be more than $0.00."
    ServiceLine.update(charge_cents=11000).execute()
    claims.refresh_open_claims(encounter)
    assert "claim.total" not in errors(billed["claim"])
    assert "differs from the fee schedule ($120.00 for 1 unit)" in warnings(billed["claim"])["lines.1.charge"]
    Claim.update(total_charge_cents=5).execute()
    assert errors(billed["claim"])["claim.total"] == "The claim total $0.05 does not equal its lines ($110.00)."


def test_replacements_need_the_payer_claim_number(billed):
    claim = claims.transition(claims.transition(claims.mark_ready(billed["claim"]), "submitted"), "accepted")
    replacement = claims.correct(claim, "New modifier")
    assert "must quote the payer's claim number" in errors(replacement)["claim.payer_claim_number"]
    assert "claim.duplicate" not in errors(replacement)


def test_coverage_must_be_in_force_on_the_service_date(billed):
    Coverage.update(end_date=settings.today() - dt.timedelta(days=10)).execute()
    assert "does not cover the service date" in errors(billed["claim"])["coverage.dates"]


def test_every_problem_is_shown_beside_its_field(app, client_as):
    with database(app):
        records = practice()
        claim = claims.create_claim(encounter_with_charges(records))
        settings.set_many({"core.practice_npi": ""})
        StaffMember.update(npi=BAD_NPI).execute()
        ClaimLine.update(diagnosis_pointers="3").execute()
        Encounter.update(place_of_service="00").execute()
        problems = scrubber.scrub(claim)
    page = client_as("billing").get(f"/billing/claims/{claim.id}").get_data(as_text=True)
    assert "4 errors" in page
    for problem in problems:
        anchor = 'id="f-' + problem.field.replace(".", "-") + '"'
        assert anchor in page, problem.field
        block = page[page.index(anchor):]
        block = block[:block.index("</ul>")]
        assert str(escape(problem.message)) in block and str(escape(problem.fix)) in block
    assert '<button type="submit" disabled' in page  # "Mark ready" waits for the fixes
    with database(app):
        assert Claim.get_by_id(claim.id).scrub_errors == 4


def test_rescrub_job_demotes_ready_claims_whose_deadline_passed(app):
    with database(app):
        records = practice(payer_days=30)
        day = settings.today() - dt.timedelta(days=20)
        claim = claims.mark_ready(claims.create_claim(encounter_with_charges(records, day=day)))
        assert claims.rescrub_open_claims() == "Checked 1 open claim: 0 with errors."
        Payer.update(timely_filing_days=10).execute()
        assert claims.rescrub_open_claims() == "Checked 1 open claim: 1 with errors, 1 moved back to draft."
        claim = Claim.get_by_id(claim.id)
        assert (claim.status, claim.scrub_errors) == ("draft", 1)


def test_a_claim_is_held_while_compliance_says_its_provider_may_not_bill_it(make_app):
    from medoffice.testing import set_plugin_enabled

    from medoffice_compliance import credentials
    from medoffice_compliance.credentials import CredentialValues

    app = make_app(plugins=["billing", "compliance"])
    with database(app):
        records = practice()
        Location.update(state="IL").where(Location.id == records["location"].id).execute()
        claim = claims.create_claim(encounter_with_charges(records))
        service_date = Encounter.get_by_id(claim.encounter_id).service_date
        provider = records["provider"].id
        credentials.save(CredentialValues("state_licence", provider, state="IL", effective_on=dt.date(2020, 1, 1),
                                          expires_on=service_date - dt.timedelta(days=1)), "test")
        problems = errors(claim)
        assert problems["providers.credentials"] == (
            f"Quill, Ada, MD: No IL state licence in force on {service_date.isoformat()}.")
        with pytest.raises(claims.ClaimError):
            claims.mark_ready(Claim.get_by_id(claim.id))

        set_plugin_enabled(app, "compliance", False)  # no compliance, no hold
        assert "providers.credentials" not in errors(claim)
        set_plugin_enabled(app, "compliance", True)

        credentials.save(CredentialValues("state_licence", provider, state="IL", effective_on=service_date,
                                          expires_on=service_date + dt.timedelta(days=700)), "test")
        assert scrubber.scrub(Claim.get_by_id(claim.id)) == []
        assert claims.mark_ready(Claim.get_by_id(claim.id)).status == "ready"
