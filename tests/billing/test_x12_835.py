"""Tests for the 835 reader, its balance checks and the X12 tokenizer/envelope checks."""

import io
import logging
import time
from datetime import date
from decimal import Decimal

import pytest

from x12_samples import NOT_IG_VALID, SAMPLE_835, SAMPLES, VALID_835, read_sample

from medoffice_billing.x12 import (
    Adjustment,
    Delimiters,
    X12SyntaxError,
    check_835,
    check_balance,
    join_segments,
    parse_835,
    tokenize,
    validate_envelope,
)




def only(text):
    remittances = parse_835(text)
    assert len(remittances) == 1
    return remittances[0]


def test_all_nine_835_samples_are_present():
    assert len(SAMPLE_835) == 9 and NOT_IG_VALID in SAMPLE_835
    assert all((SAMPLES / name).stat().st_size > 100 for name in SAMPLE_835)


@pytest.mark.parametrize("name", VALID_835)
def test_valid_samples_pass_every_check(name):
    text = read_sample(name)
    for remittance in parse_835(text):
        assert remittance.problems == ()
        assert check_balance(remittance) == []
    assert validate_envelope(text) == []
    assert check_835(text) == []


def test_commercial_sample_values():
    remittance = only(read_sample("835_commercial_multi_claim_realistic.x12"))
    assert remittance.total_paid_cents == 34999
    assert remittance.handling_code == "I"
    assert remittance.payment_method == "ACH"
    assert remittance.payment_date == date(2021, 2, 4)
    assert remittance.trace_number == "1234567890"
    assert remittance.production_date == date(2021, 2, 1)
    assert remittance.payer_name == "UNITED HEALTHCARE INSURANCE COMPANY"
    assert remittance.payer_id == "87726"
    assert (remittance.payee_name, remittance.payee_npi, remittance.payee_tax_id) == (
        "KLAUS MEDICAL CENTER", "1922164458", "333333333")
    assert remittance.interchange.control_number == "444444444"
    assert remittance.interchange.usage_indicator == "P"
    assert remittance.segment_count == 61
    first, second = remittance.claims
    assert (first.patient_control_number, first.status_code, first.charge_cents, first.paid_cents,
            first.patient_responsibility_cents, first.filing_indicator, first.payer_claim_number) == (
        "001-18573-358", "1", 34128, 8892, 10526, "16", "ATL2819897200")
    assert first.received_date == date(2021, 1, 14)
    assert (first.service_start_date, first.service_end_date) == (date(2020, 12, 21), date(2021, 1, 13))
    assert (first.patient.last_name, first.patient.first_name, first.member_id) == ("MR", "COOL", "123456789")
    line = first.lines[0]
    # ISA16 is ">" in this file, so SVC01 "HC>B4152" must split on it.
    assert (line.procedure_qualifier, line.procedure_code, line.modifiers) == ("HC", "B4152", ())
    assert (line.charge_cents, line.paid_cents, line.units, line.allowed_cents) == (15642, 8892, Decimal(234), 8892)
    assert line.control_number == "800941258001" and line.service_date == date(2020, 12, 21)
    assert line.adjustments == (Adjustment("CO", "45", 6750),)
    assert [line.control_number for line in second.lines] == ["123456789012", "123456789013", "123456789014"]
    assert second.lines[2].adjustments == (
        Adjustment("PR", "2", 513), Adjustment("PR", "1", 11000), Adjustment("CO", "45", 18432))


def test_denied_claim_sample_values():
    remittance = only(read_sample("835_denied_claim_zero_payment.x12"))
    assert (remittance.handling_code, remittance.total_paid_cents, remittance.payment_method) == ("H", 0, "NON")
    assert remittance.payee_tax_id == "444313000"
    (claim,) = remittance.claims
    assert (claim.patient_control_number, claim.status_code, claim.charge_cents, claim.paid_cents) == (
        "2005555A", "4", 91539, 0)
    assert claim.payer_claim_number == "4276512332"
    assert [line.charge_cents for line in claim.lines] == [50004, 12780, 28755]
    assert [line.adjustments for line in claim.lines] == [
        (Adjustment("CO", "16", 50004),), (Adjustment("OA", "A7", 12780),), (Adjustment("OA", "A7", 28755),)]
    assert all(line.remark_codes == ("N14",) for line in claim.lines)
    assert claim.lines[0].service_date == claim.lines[0].service_end_date == date(2003, 11, 29)
    assert claim.patient.first_name == "JOHANN"


def test_medicaid_sample_values():
    remittance = only(read_sample("835_medicaid_line_denials_zero_paid_claim.x12"))
    assert remittance.total_paid_cents == 4575
    assert [claim.status_code for claim in remittance.claims] == ["1", "2", "2"]
    assert [claim.paid_cents for claim in remittance.claims] == [3425, 0, 1150]
    assert remittance.claims[1].lines[0].adjustments == (Adjustment("CO", "29", 1200),)
    third = remittance.claims[2]
    assert [line.remark_codes for line in third.lines] == [(), (), ("N206",), ("N206",)]
    assert third.lines[0].modifiers == ("RB",)
    assert remittance.claims[0].lines[3].units == 2


def test_multi_claim_single_check_values():
    remittance = only(read_sample("835_multi_claim_single_check.x12"))
    assert remittance.total_paid_cents == 81080 and remittance.payment_method == "CHK"
    assert len(remittance.claims) == 9
    assert sum(claim.paid_cents for claim in remittance.claims) == 81080
    assert {claim.patient_control_number for claim in remittance.claims} == {"7722337"}
    assert remittance.claims[1].member_id == "123456"
    assert remittance.claims[1].patient.identifier == "SJD11111"
    assert remittance.claims[3].patient_responsibility_cents == 90200
    assert remittance.claims[0].lines[0].procedure_qualifier == "AD"
    assert sum(len(claim.lines) for claim in remittance.claims) == 33


def test_provider_level_adjustment_sample_values():
    remittance = only(read_sample("835_plb_provider_adjustment_institutional.x12"))
    assert remittance.total_paid_cents == 15000000
    (plb,) = remittance.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_end, plb.reason_code, plb.reference, plb.amount_cents) == (
        "6543210903", date(2002, 12, 31), "CV", "CP", -127)
    assert sum(claim.paid_cents for claim in remittance.claims) == 14999873
    assert remittance.claims[1].remark_codes == ("MA02",)
    assert remittance.claims[0].adjustments == (Adjustment("CO", "45", 7334857),)


def test_secondary_samples_values():
    negative = only(read_sample("835_secondary_negative_cas_adjustment.x12"))
    assert negative.claims[0].lines[0].adjustments == (Adjustment("OA", "23", 51600), Adjustment("OA", "94", -900))
    assert negative.claims[0].lines[0].allowed_cents == 55000
    secondary = only(read_sample("835_secondary_payer_oa23_pr_co.x12"))
    assert secondary.total_paid_cents == 122200
    assert [claim.status_code for claim in secondary.claims] == ["2", "2"]
    assert secondary.claims[0].lines == ()
    assert secondary.claims[1].lines[1].adjustments == (
        Adjustment("PR", "1", 15000), Adjustment("PR", "2", 7000), Adjustment("CO", "42", 8500))
    assert secondary.claims[1].lines[0].modifiers == ("26",)


def test_two_claims_sample_values():
    remittance = only(read_sample("835_two_claims_claim_and_line_cas.x12"))
    assert remittance.total_paid_cents == 94500 and remittance.payment_date == date(2002, 3, 16)
    first = remittance.claims[0]
    assert first.adjustments == (Adjustment("CO", "A2", 5000),)
    assert (first.lines[0].service_date, first.lines[0].service_end_date) == (date(2002, 3, 1), date(2002, 3, 4))


def test_not_ig_valid_sample_is_refused_for_its_three_documented_defects():
    # SOURCES.md: BPR16 missing, PER*BL missing, SVC composites use ">" while ISA16 declares ":".
    text = read_sample(NOT_IG_VALID)
    remittance = only(text)
    assert check_balance(remittance) == []
    problems = check_835(text)
    assert any("BPR16" in problem for problem in problems)
    assert any("PER*BL" in problem for problem in problems)
    separator_problems = [problem for problem in problems if "component separator ':'" in problem]
    assert len(separator_problems) == 2 and "HC>12345>26" in separator_problems[0]
    assert len(problems) == 4
    # Read leniently, it still yields the same money as its valid twin.
    twin = only(read_sample("835_secondary_payer_oa23_pr_co.x12"))
    assert [line.procedure_code for line in remittance.claims[1].lines] == ["12345", "66543"]
    assert [claim.lines for claim in remittance.claims] == [claim.lines for claim in twin.claims]
    assert remittance.payment_date is None


def _layouts(text):
    body = [segment.strip() for segment in text.split("~") if segment.strip()]
    return [
        "~".join(body) + "~",
        "~\r\n".join(body) + "~\r\n",
        "~\n".join(body) + "~",
        "\n  " + "~\n".join(body) + "~\n\n",
    ]


@pytest.mark.parametrize("name", SAMPLE_835)
def test_layouts_parse_to_equal_results(name):
    text = read_sample(name)
    expected = parse_835(text)
    for variant in _layouts(text):
        assert parse_835(variant) == expected
        assert check_835(variant) == check_835(text)


def test_tampered_claim_payment_names_that_claim():
    text = read_sample("835_two_claims_claim_and_line_cas.x12")
    tampered = text.replace("CLP*8765432112*1*1200*495*", "CLP*8765432112*1*1200*490*")
    assert tampered != text
    problems = check_balance(only(tampered))
    assert problems
    claim_problems = [problem for problem in problems if "Claim 8765432112" in problem]
    assert any("$1,200.00" in problem and "$490.00" in problem for problem in claim_problems)
    assert any("$945.00" in problem and "$940.00" in problem for problem in problems)
    assert not any("5554555444" in problem for problem in problems)


def test_tampered_line_and_patient_share_are_reported():
    text = read_sample("835_secondary_payer_oa23_pr_co.x12")
    tampered = text.replace("CAS*CO*42*85~", "CAS*CO*42*80~").replace("*310*220*12*", "*310*200*12*")
    problems = check_balance(only(tampered))
    assert any("line 2 (66543:26 on 2005-01-06)" in problem and "$305.00" in problem for problem in problems)
    assert any("patient responsibility is $200.00" in problem and "$220.00" in problem for problem in problems)


def test_segment_count_and_envelope_tampering():
    text = read_sample("835_two_claims_claim_and_line_cas.x12")
    wrong_count = text.replace("SE*27*112233", "SE*26*112233")
    message = "Transaction 112233: the SE trailer says it holds 26 segments, but 27 were counted from ST to SE."
    assert message in check_balance(only(wrong_count))
    assert check_835(wrong_count).count(message) == 1
    assert "IEA02 '000010217' does not match ISA13 '000010216'." in validate_envelope(
        text.replace("IEA*1*000010216", "IEA*1*000010217"))
    assert any("GE01 says 2" in problem for problem in validate_envelope(text.replace("GE*1*20213", "GE*2*20213")))
    assert any("no IEA trailer" in problem for problem in validate_envelope(text.split("IEA")[0]))
    assert any("exactly 106" in problem
               for problem in validate_envelope(text.replace("*ZZ*123456789012345*", "*ZZ*1234*", 1)))


def test_bpr_total_must_match_claims_minus_provider_adjustments():
    text = read_sample("835_plb_provider_adjustment_institutional.x12")
    problems = check_balance(only(text.replace("CV:CP*-1.27", "CV:CP*1.27")))
    assert problems == ["Payment 12345: the payment total is $150,000.00, but claim payments $149,998.73 minus "
                        "provider-level adjustments $1.27 come to $149,997.46."]


def _synthetic_835(claim_count, transactions=1):
    """An 835 with ``claim_count`` balanced claims per transaction, built from the TR3 two-claims example."""
    delimiters = Delimiters(element="*", component=":", repetition="^", segment="~")
    segments = [
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PAYER".ljust(15), "ZZ", "PROVIDER".ljust(15),
         "240301", "1200", "^", "00501", "000000042", "0", "T", ":"],
        ["GS", "HP", "PAYER", "PROVIDER", "20240301", "1200", "42", "X", "005010X221A1"],
    ]
    for number in range(1, transactions + 1):
        body = [
            ["ST", "835", f"{number:04d}"],
            ["BPR", "I", "", "C", "ACH", "CCP", "01", "888999777", "DA", "24681012", "1935665544", "", "01",
             "111333555", "DA", "144444", "20240305"],
            ["TRN", "1", f"TRACE{number}", "1935665544"],
            ["N1", "PR", "RUSHMORE LIFE"],
            ["PER", "BL", "EDI DESK", "TE", "8005551212"],
            ["N1", "PE", "ACME MEDICAL CENTER", "XX", "1234567893"],
            ["LX", "1"],
        ]
        for index in range(claim_count):
            body += [
                ["CLP", f"PCN{index}", "1", "180", "90", "40", "12", f"ICN{index}"],
                ["CAS", "CO", "A2", "10"],
                ["NM1", "QC", "1", "BUDD", "WILLIAM", "", "", "", "MI", f"M{index}"],
                ["SVC", ("HC", "99213", "25"), "100", "60"],
                ["DTM", "472", "20240301"],
                ["CAS", "PR", "1", "30", "", "2", "10"],
                ["REF", "6R", f"L{index}A"],
                ["SVC", ("HC", "81002"), "80", "40"],
                ["DTM", "472", "20240301"],
                ["CAS", "CO", "45", "40"],
                ["REF", "6R", f"L{index}B"],
            ]
        body[1][2] = f"{claim_count * 90 - 12.5:.2f}"  # claim payments minus the PLB total of 12.50
        body.append(["PLB", "1234567893", "20241231", ("WO", "OVP1"), "-10", ("L6", ""), "-2.50", ("CS", "X"), "25"])
        body.append(["SE", str(len(body) + 1), f"{number:04d}"])
        segments += body
    segments += [["GE", str(transactions), "42"], ["IEA", "1", "000000042"]]
    return join_segments(segments, delimiters)


def test_synthetic_file_with_several_transactions_and_plb_pairs():
    text = _synthetic_835(3, transactions=2)
    remittances = parse_835(text)
    assert [remittance.trace_number for remittance in remittances] == ["TRACE1", "TRACE2"]
    assert check_835(text) == []
    assert [(item.reason_code, item.reference, item.amount_cents)
            for item in remittances[0].provider_adjustments] == [("WO", "OVP1", -1000), ("L6", "", -250),
                                                                 ("CS", "X", 2500)]
    assert remittances[1].claims[2].lines[0].modifiers == ("25",)
    assert remittances[1].claims[2].lines[0].adjustments == (Adjustment("PR", "1", 3000), Adjustment("PR", "2", 1000))


def test_cas_with_six_triplets_is_fully_expanded():
    text = _synthetic_835(1).replace(
        "CAS*CO*45*40~", "CAS*CO*45*5*1*A2*5**59*5*2*94*5**97*5**131*15~")
    line = only(text).claims[0].lines[1]
    assert [(item.reason_code, item.amount_cents, item.quantity) for item in line.adjustments] == [
        ("45", 500, Decimal(1)), ("A2", 500, None), ("59", 500, Decimal(2)), ("94", 500, None),
        ("97", 500, None), ("131", 1500, None)]
    assert check_balance(only(text)) == []


def test_reversal_and_correction_balance():
    # NOTES.md: the original claim comes back with CLP02=22 and every amount negated, then the corrected claim.
    segments = [segment.strip() for segment in _synthetic_835(2).split("~") if segment.strip()]
    clp = segments.index("CLP*PCN0*1*180*90*40*12*ICN0")
    reversal = ["CLP*PCN0*22*-180*-95*-35*12*ICN0", "CAS*CO*A2*-5", "SVC*HC:99213:25*-100*-65",
                "CAS*PR*1*-30**2*-5", "SVC*HC:81002*-80*-35", "CAS*CO*45*-45"]
    text = "~".join(segments[:clp] + reversal + segments[clp:]) + "~"
    # Six more segments; the payment drops by the reversed 95.00: 180.00 - 95.00 - 12.50 (PLB) = 72.50.
    text = text.replace("SE*31*0001", "SE*37*0001").replace("BPR*I*167.50*", "BPR*I*72.50*")
    remittance = only(text)
    assert [claim.status_code for claim in remittance.claims] == ["22", "1", "1"]
    assert remittance.claims[0].paid_cents == -9500
    assert remittance.claims[0].lines[0].adjustments == (Adjustment("PR", "1", -3000), Adjustment("PR", "2", -500))
    assert check_835(text) == []


def test_tokenizer_reads_delimiters_from_the_isa():
    text = read_sample("835_commercial_multi_claim_realistic.x12")
    segments, delimiters = tokenize(text)
    assert delimiters == Delimiters(element="*", component=">", repetition="^", segment="~")
    assert segments[0][0] == "ISA" and segments[-1] == ["IEA", "1", "444444444"]
    assert join_segments(segments, delimiters, line_break="") == text


def test_tokenizer_errors_are_readable():
    for text, expected in [("", "must start with an ISA"), ("hello world", "'hello world'"),
                           ("ISA*00*  *00", "fewer than 16 elements"),
                           ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *240301*1200*^*"
                            "00501*000000001*0*T*:~GS*HC~st*x~", "does not start with a segment ID")]:
        with pytest.raises(X12SyntaxError, match=expected):
            tokenize(text)


def test_join_segments_drops_trailing_empty_elements_and_components():
    text = join_segments([["SV1", ("HC", "99213", "", ""), "100", "UN", "1", "", "", ("1", "2")],
                          ["CLM", "X", "", ""]])
    assert text == "SV1*HC:99213*100*UN*1***1:2~\nCLM*X~\n"


def test_other_transactions_are_refused_clearly():
    text = _synthetic_835(1).replace("ST*835*0001", "ST*837*0001")
    with pytest.raises(X12SyntaxError, match="not an 835"):
        parse_835(text)
    assert any("not an 835" in problem for problem in check_835(text))


def test_bad_amount_is_a_syntax_error_naming_the_segment():
    with pytest.raises(X12SyntaxError, match=r"'9\.999' is not a valid amount"):
        parse_835(_synthetic_835(1).replace("CLP*PCN0*1*180*90", "CLP*PCN0*1*180*9.999"))


def _pyx12_seconds(text):
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=io.StringIO(text),
                                      fd_997=io.StringIO(), fd_html=None, fd_json=io.StringIO())
    return time.perf_counter() - started


def test_parsing_5000_claims_beats_pyx12_validation():
    text = _synthetic_835(5000)
    started = time.perf_counter()
    (remittance,) = parse_835(text)
    problems = check_balance(remittance)
    parse_seconds = time.perf_counter() - started
    assert len(remittance.claims) == 5000 and problems == []
    assert parse_seconds < _pyx12_seconds(text)
