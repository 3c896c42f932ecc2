"""Tests for the 837P builder: every generated file must pass pyx12 and match the samples' structure."""

import io
import json
import logging
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from x12_samples import read_sample

from medoffice_billing.validators import npi_is_valid
from medoffice_billing.x12 import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimValidationError,
    Interchange,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    Receiver,
    ServiceFacility,
    Submitter,
    Subscriber,
    build_837p,
    check_billing_provider,
    check_claim,
    tokenize,
    validate_envelope,
)
from medoffice_billing.x12.claim837 import ServiceLine




def npi(first_nine):
    """A valid NPI made by appending the Luhn check digit to nine digits."""
    return next(candidate for candidate in (first_nine + str(digit) for digit in range(10))
                if npi_is_valid(candidate))


def pyx12_validate(src):
    """pyx12 verdict exactly as VALIDATING.md shows it: (ok, JSON error tree, 999 text)."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    fd_json, fd_999 = io.StringIO(), io.StringIO()
    ok = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=src,
                                           fd_997=fd_999, fd_html=None, fd_json=fd_json)
    return ok, json.loads(fd_json.getvalue()), fd_999.getvalue()


def tree_errors(node):
    """Every err_str anywhere in pyx12's JSON error tree."""
    found = []
    if isinstance(node, dict):
        found += [error.get("err_str", str(error)) for error in node.get("errors", [])]
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += tree_errors(value)
    elif isinstance(node, list):
        for value in node:
            found += tree_errors(value)
    return found


def assert_pyx12_accepts(text):
    ok, tree, ack = pyx12_validate(io.StringIO(text))
    assert tree_errors(tree) == []
    assert ok is True
    assert "IK5*A" in ack and "AK9*A*1*1*1" in ack
    assert validate_envelope(text) == []


OFFICE = Address("1200 N MAIN ST", "SPRINGFIELD", "IL", "627021234", "SUITE 200")
CLINIC = BillingProvider("PRAIRIE FAMILY MEDICINE", npi("123456789"), "371234567", OFFICE, "207Q00000X")
SOLO = BillingProvider("NGUYEN", npi("155667788"), "361112222", Address("8 OAK AVE", "PEORIA", "IL", "616021000"),
                       "207R00000X", first_name="LINDA")
ACME = Payer("ACME HEALTH PLAN", "60054", Address("PO BOX 1000", "HARTFORD", "CT", "061561000"))
STATE_BLUE = Payer("BLUE CROSS OF ILLINOIS", "00621")
HOME = Address("45 ELM ST", "SPRINGFIELD", "IL", "627040000")
JANE = Subscriber("W100200300", "HARPER", "JANE", ACME, group_number="GRP7788", birth_date=date(1979, 4, 12),
                  sex="F", address=HOME)
TED = Patient("19", "HARPER", "TED", date(2012, 9, 30), "M", HOME)
INTERCHANGE = Interchange("PRAIRIEFM", "CLEARHOUSE01")
SUBMITTER = Submitter("PRAIRIE FAMILY MEDICINE", "PFM0001", "Dana Billing", "(217) 555-0142", "billing@example.com")
RECEIVER = Receiver("CLEAR CLAIMS CLEARINGHOUSE", "CCC01")
CREATED = datetime(2024, 6, 3, 9, 45)
DOS = date(2024, 5, 28)


def build(claims_by_provider, control=101, usage="T"):
    return build_837p(INTERCHANGE, SUBMITTER, RECEIVER, claims_by_provider, interchange_control_number=control,
                      group_control_number=control, transaction_control_number=control, usage_indicator=usage,
                      created=CREATED)


def segments_of(text):
    return tokenize(text)[0]


def find(text, tag, qualifier=None):
    return [segment for segment in segments_of(text)
            if segment[0] == tag and (qualifier is None or segment[1] == qualifier)]


def self_claim():
    return Claim("PFM-24-00017", JANE, ("J06.9",),
                 (ServiceLine("99213", 12500, DOS, control_number="PFM17-1"),))


def dependent_claim():
    lines = (
        ServiceLine("99214", 18500, DOS, (1, 2), modifiers=("25",), control_number="PFM18-1"),
        ServiceLine("87880", 3500, DOS, (1,), modifiers=("QW",), control_number="PFM18-2"),
        ServiceLine("94640", 6000, DOS, (2, 3), control_number="PFM18-3"),
        ServiceLine("J7613", 2450, DOS, (2,), units=Decimal(2), control_number="PFM18-4"),
    )
    return Claim("PFM-24-00018", JANE, ("J02.0", "J45.901", "R05.9", "Z23"), lines, patient=TED)


def twelve_diagnosis_claim():
    diagnoses = ("E11.65", "I10", "E78.5", "N18.3", "E66.01", "Z68.36", "G47.33", "M17.11", "K21.9",
                 "F41.1", "Z79.4", "Z00.00")
    lines = tuple(
        ServiceLine(code, charge, DOS, pointers, control_number=f"PFM19-{index}")
        for index, (code, charge, pointers) in enumerate([
            ("99215", 24500, (1, 2, 3, 4)), ("83036", 4000, (1,)), ("80053", 3800, (1, 4)),
            ("80061", 4200, (3,)), ("95811", 98000, (7,)), ("20610", 21000, (8,)),
            ("G0447", 3000, (5, 6)), ("96127", 1500, (10,)), ("99401", 5000, (12, 9, 11)),
        ], start=1)
    )
    return Claim(
        "PFM-24-00019", JANE, diagnoses, lines, prior_authorization="AUTH99812",
        referring_provider=Provider("OKAFOR", "CHIDI", npi("198877665")),
        rendering_provider=Provider("PATEL", "ANIKA", npi("176543210"), taxonomy="207Q00000X", middle_name="R"),
        service_facility=ServiceFacility("PRAIRIE SLEEP CENTER", Address("77 LAKE SHORE DR", "SPRINGFIELD", "IL",
                                                                         "627035555"), npi("133344455")),
    )


def secondary_claim():
    """The TR3 secondary-after-primary example re-keyed with valid IDs and ICD-10 codes."""
    primary = OtherPayer(
        ACME, "P", "HARPER", "JANE", "W100200300", relationship="18", group_number="GRP7788",
        insured_address=HOME, paid_cents=3915,
        adjustments=(Adjustment("PR", "1", 2189), Adjustment("PR", "2", 1500)),
        remaining_patient_liability_cents=3689,
    )
    paid = date(2024, 6, 20)
    lines = (
        ServiceLine("99213", 4300, DOS, (1, 2, 3, 4), control_number="PFM20-1", prior_adjudications=(
            LineAdjudication(ACME.payer_id, 4000, "99213", paid, adjustments=(Adjustment("CO", "42", 300),)),)),
        ServiceLine("96372", 1500, DOS, (1, 2), control_number="PFM20-2", prior_adjudications=(
            LineAdjudication(ACME.payer_id, 1500, "96372", paid),)),
        ServiceLine("J3301", 2104, DOS, (1, 2), control_number="PFM20-3", prior_adjudications=(
            LineAdjudication(ACME.payer_id, 2104, "J3301", paid),)),
    )
    subscriber = Subscriber("XJH44821907", "HARPER", "MARK", STATE_BLUE, responsibility="S", filing_indicator="BL",
                            birth_date=date(1977, 1, 3), sex="M")
    return Claim("PFM-24-00020", subscriber, ("M54.50", "M25.561", "E66.9", "K21.9"), lines,
                 patient=Patient("01", "HARPER", "JANE", date(1979, 4, 12), "F", HOME),
                 rendering_provider=Provider("PATEL", "ANIKA", npi("176543210"), taxonomy="207Q00000X"),
                 service_facility=ServiceFacility("PRAIRIE WALK-IN", Address("3 MARKET SQ", "SPRINGFIELD", "IL",
                                                                             "627011111"), npi("133344455")),
                 other_payers=(primary,))


def corrected_claim():
    return replace(self_claim(), frequency_code="7", original_claim_number="2024155000123")


def test_single_line_claim_patient_is_subscriber():
    text = build({CLINIC: [self_claim()]})
    assert_pyx12_accepts(text)
    assert find(text, "HL") == [["HL", "1", "", "20", "1"], ["HL", "2", "1", "22", "0"]]
    assert find(text, "SBR") == [["SBR", "P", "18", "GRP7788", "", "", "", "", "", "CI"]]
    assert find(text, "CLM") == [["CLM", "PFM-24-00017", "125", "", "", "11:B:1", "Y", "A", "Y", "Y"]]
    assert find(text, "HI") == [["HI", "ABK:J069"]]
    assert find(text, "SV1") == [["SV1", "HC:99213", "125", "UN", "1", "", "", "1"]]
    assert find(text, "REF", "6R") == [["REF", "6R", "PFM17-1"]]
    assert not find(text, "PAT") and not find(text, "NM1", "82") and not find(text, "NM1", "77")
    assert text.splitlines()[0].endswith("*T*:~") and len(text.splitlines()[0]) == 106
    assert text.endswith("IEA*1*000000101~\n")


def test_dependent_patient_with_four_lines():
    text = build({CLINIC: [dependent_claim()]})
    assert_pyx12_accepts(text)
    assert find(text, "HL") == [["HL", "1", "", "20", "1"], ["HL", "2", "1", "22", "1"], ["HL", "3", "2", "23", "0"]]
    assert find(text, "SBR")[0][2] == ""
    assert find(text, "PAT") == [["PAT", "19"]]
    assert find(text, "NM1", "QC") == [["NM1", "QC", "1", "HARPER", "TED"]]
    assert find(text, "HI") == [["HI", "ABK:J020", "ABF:J45901", "ABF:R059", "ABF:Z23"]]
    assert [segment[1] for segment in find(text, "LX")] == ["1", "2", "3", "4"]
    assert find(text, "SV1")[3] == ["SV1", "HC:J7613", "24.5", "UN", "2", "", "", "2"]
    assert find(text, "CLM")[0][2] == "304.5"


def test_many_lines_twelve_diagnoses_and_claim_providers():
    claim = twelve_diagnosis_claim()
    text = build({CLINIC: [claim]})
    assert_pyx12_accepts(text)
    (hi,) = find(text, "HI")
    assert len(hi) == 13 and hi[1] == "ABK:E1165" and hi[12] == "ABF:Z0000"
    assert find(text, "SV1")[8][7] == "12:9:11"
    assert find(text, "CLM")[0][2] == str(claim.total_charge_cents // 100)
    assert find(text, "REF", "G1") == [["REF", "G1", "AUTH99812"]]
    assert find(text, "NM1", "DN")[0][3:5] == ["OKAFOR", "CHIDI"]
    assert find(text, "NM1", "82")[0][9] == npi("176543210")
    assert find(text, "PRV", "PE") == [["PRV", "PE", "PXC", "207Q00000X"]]
    assert find(text, "NM1", "77")[0][3] == "PRAIRIE SLEEP CENTER"


def test_secondary_claim_after_primary_paid():
    text = build({CLINIC: [secondary_claim()]})
    assert_pyx12_accepts(text)
    sbr = find(text, "SBR")
    assert sbr[0][1:3] == ["S", ""] and sbr[1][:4] == ["SBR", "P", "18", "GRP7788"]
    assert find(text, "CAS")[0] == ["CAS", "PR", "1", "21.89", "", "2", "15"]
    assert find(text, "AMT") == [["AMT", "D", "39.15"], ["AMT", "EAF", "36.89"]]
    assert find(text, "OI") == [["OI", "", "", "Y", "", "", "Y"]]
    assert find(text, "SVD")[0] == ["SVD", "60054", "40", "HC:99213", "", "1"]
    assert find(text, "CAS")[1] == ["CAS", "CO", "42", "3"]
    assert find(text, "DTP", "573") == [["DTP", "573", "D8", "20240620"]] * 3


def test_corrected_claim_frequency_7_carries_original_claim_number():
    text = build({CLINIC: [corrected_claim()]})
    assert_pyx12_accepts(text)
    assert find(text, "CLM")[0][5] == "11:B:7"
    assert find(text, "REF", "F8") == [["REF", "F8", "2024155000123"]]


def test_grouping_by_provider_subscriber_payer_and_patient():
    sister = replace(TED, first_name="AMY", birth_date=date(2015, 2, 1))
    other_payer_claim = replace(self_claim(), patient_control_number="PFM-24-00021",
                                subscriber=replace(JANE, payer=STATE_BLUE, member_id="XJH1"))
    claims = {
        CLINIC: [self_claim(), dependent_claim(), replace(dependent_claim(), patient_control_number="PFM-24-00022"),
                 other_payer_claim, replace(dependent_claim(), patient_control_number="PFM-24-00023", patient=sister)],
        SOLO: [replace(self_claim(), patient_control_number="PFM-24-00024")],
    }
    text = build(claims, usage="P")
    assert_pyx12_accepts(text)
    ids = [segment[0] if segment[0] != "HL" else "HL" + ":".join(segment[1:]) for segment in segments_of(text)
           if segment[0] in ("HL", "CLM")]
    assert ids == ["HL1::20:1", "HL2:1:22:1", "CLM", "HL3:2:23:0", "CLM", "CLM", "HL4:2:23:0", "CLM",
                   "HL5:1:22:0", "CLM", "HL6::20:1", "HL7:6:22:0", "CLM"]
    assert find(text, "NM1", "85")[1][2:5] == ["1", "NGUYEN", "LINDA"]
    assert text.splitlines()[0][102] == "P"
    se = find(text, "SE")[0]
    st_index = next(index for index, segment in enumerate(segments_of(text)) if segment[0] == "ST")
    assert int(se[1]) == len(segments_of(text)) - st_index - 2


def test_rebuilds_the_minimal_icd10_sample_segment_for_segment():
    sample = read_sample("837P_minimal_patient_is_subscriber_icd10.x12")
    provider = BillingProvider("NY UHIN PROVIDER", "1245319599", "123456789",
                               Address("70623 FREDERIK CLIFF APT 492", "FLORENCEBERG", "MI", "841061149"), "111N00000X")
    subscriber = Subscriber("601239742", "MARQUARDT", "RALPH", Payer("FLORIDA DIRECT UHIN PAYER", "FLHIN"),
                            group_number="55555", birth_date=date(1946, 11, 11), sex="F",
                            address=Address("57018 ABBOTT ROAD APT 817", "SOUTH JOSEPHLAND", "MI", "841061149"))
    claim = Claim("1606", subscriber, ("R69",), (ServiceLine("90834", 200, date(2024, 8, 15),
                                                             service_end_date=date(2024, 8, 20)),),
                  patient_signature_source="P")
    text = build_837p(Interchange("HT000000-716", "UHIN"), Submitter("NY UHIN PROVIDER", "HT007852-001", "TEST",
                                                                   "8014367695", "test@UHIN.ORG"),
                      Receiver("UHIN Clearinghouse", "HT000346-001"), {provider: [claim]},
                      interchange_control_number=800000372, group_control_number=800000372,
                      transaction_control_number=800000372, usage_indicator="T", created=datetime(2022, 1, 18, 18, 53),
                      reference="1609")

    def transaction(x12):
        segments = segments_of(x12.upper())
        return segments[2:-2]

    assert transaction(text) == transaction(sample)
    assert_pyx12_accepts(text)


def _shape(text, drop=()):
    """Segment IDs with their first qualifier, skipping the (tag, qualifier) pairs or tags listed in drop."""
    shape = []
    skip_address = False
    for segment in segments_of(text)[2:-2]:
        key = segment[0] + "*" + segment[1] if segment[0] in ("NM1", "REF", "DTP", "AMT", "PER", "HL") else segment[0]
        if segment[0] == "HL":
            key = "HL*" + segment[3]
        if skip_address and segment[0] in ("N3", "N4"):
            continue
        skip_address = key == "NM1*87"
        if key not in drop and segment[0] not in drop:
            shape.append(key)
    return shape


def test_dependent_claim_has_the_structure_of_the_tr3_sample():
    sample = read_sample("837P_patient_is_dependent_4_lines.x12")
    subscriber = replace(JANE, address=None, group_number="2222-SJ", payer=replace(ACME, address=None))
    claim = replace(dependent_claim(), subscriber=subscriber,
                    lines=tuple(replace(line, control_number="") for line in dependent_claim().lines))
    text = build({CLINIC: [claim]})
    # The sample adds a pay-to address (NM1*87), a payer secondary ID and a clearinghouse trace (REF*G2, REF*D9).
    assert _shape(text) == _shape(sample, drop=("NM1*87", "REF*G2", "REF*D9"))


def test_secondary_claim_has_the_structure_of_the_tr3_sample():
    sample = read_sample("837P_cob_secondary_after_primary_paid.x12")
    claim = secondary_claim()
    primary = replace(claim.other_payers[0], payer=replace(ACME, address=None))
    claim = replace(claim, subscriber=replace(claim.subscriber, payer=replace(STATE_BLUE, address=HOME)),
                    lines=tuple(replace(line, control_number="") for line in claim.lines), other_payers=(primary,))
    text = build({replace(CLINIC, taxonomy=""): [claim]})
    # The sample also has a billing-provider contact (PER), a pay-to address and REF*G2 secondary IDs.
    sample_shape = _shape(sample, drop=("NM1*87", "REF*G2"))
    del sample_shape[[index for index, key in enumerate(sample_shape) if key == "PER*IC"][1]]
    assert _shape(text) == sample_shape


def test_pyx12_check_is_able_to_fail():
    text = build({CLINIC: [self_claim()]})
    count = int(find(text, "SE")[0][1])
    text = text.replace(f"SE*{count}*0101", f"SE*{count - 1}*0101")
    ok, tree, _ = pyx12_validate(io.StringIO(text))
    assert ok is False and any("SE count" in error for error in tree_errors(tree))
    assert any(f"SE trailer says it holds {count - 1}" in problem for problem in validate_envelope(text))


def test_rendering_and_facility_are_left_out_when_they_match_the_billing_provider():
    claim = replace(self_claim(), rendering_provider=Provider("SAME", "NPI", CLINIC.npi),
                    service_facility=ServiceFacility("MAIN OFFICE", OFFICE))
    text = build({CLINIC: [claim]})
    assert not find(text, "NM1", "82") and not find(text, "NM1", "77")


def test_text_is_cleaned_to_uppercase_ascii_without_delimiters():
    patient = replace(TED, first_name="Zoë", last_name="O'Brien*Smith~")
    text = build({CLINIC: [replace(dependent_claim(), patient=patient)]})
    assert find(text, "NM1", "QC") == [["NM1", "QC", "1", "O'BRIEN SMITH", "ZOE"]]
    assert text.isascii()
    assert_pyx12_accepts(text)


def test_problems_block_the_build_with_readable_reasons():
    bad_line = ServiceLine("99213", 10000, DOS, (1, 3))
    bad = replace(self_claim(), frequency_code="7", diagnoses=("J06.9", "XYZ"), lines=(bad_line,),
                  rendering_provider=Provider("PATEL", "ANIKA", "1234567890"))
    with pytest.raises(ClaimValidationError) as raised:
        build({CLINIC: [bad]}, usage="X")
    problems = raised.value.problems
    assert "The usage indicator must be T (test) or P (production), not 'X'." in problems
    assert "Claim PFM-24-00017: diagnosis 'XYZ' is not a valid ICD-10-CM code." in problems
    assert ("Claim PFM-24-00017: a replacement or void claim needs the payer's original claim number (REF*F8)."
            in problems)
    assert "Claim PFM-24-00017: rendering provider NPI '1234567890' is not a valid NPI." in problems
    assert ("Claim PFM-24-00017, line 1: diagnosis pointer(s) [3] point past the 2 diagnoses on the claim."
            in problems)
    assert "PFM-24-00017" in str(raised.value)


def test_billing_provider_checks():
    assert check_billing_provider(CLINIC) == []
    bad = replace(CLINIC, npi="1234567890", tax_id="12-345", address=replace(OFFICE, line1="P.O. Box 12",
                                                                              postal_code="62702"))
    assert check_billing_provider(bad) == [
        "Billing provider PRAIRIE FAMILY MEDICINE: NPI '1234567890' is not a valid NPI.",
        "Billing provider PRAIRIE FAMILY MEDICINE: the tax ID (EIN) must have 9 digits.",
        "Billing provider PRAIRIE FAMILY MEDICINE: the ZIP code must have 9 digits (ZIP+4).",
        "Billing provider PRAIRIE FAMILY MEDICINE: the billing address must be a street address, not a PO box.",
    ]
    with pytest.raises(ClaimValidationError, match="not a valid NPI"):
        build({bad: [self_claim()]})


def test_cob_arithmetic_is_enforced():
    claim = secondary_claim()
    primary = replace(claim.other_payers[0], paid_cents=4000)
    problems = check_claim(replace(claim, other_payers=(primary,)))
    assert problems == [
        "Claim PFM-24-00020: other payer ACME HEALTH PLAN: claim charge $79.04 is not paid $40.00 plus claim "
        "adjustments $36.89 plus line adjustments $3.00.",
        "Claim PFM-24-00020: other payer ACME HEALTH PLAN: paid amount $40.00 is not the line payments $76.04 minus "
        "claim adjustments $36.89.",
    ]
    assert check_claim(claim) == []
    no_primary = replace(claim, other_payers=())
    assert any("no other payer is listed" in problem for problem in check_claim(no_primary))
