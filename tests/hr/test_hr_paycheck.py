"""One paycheck by the 2025 tax table (pure, tested once): Publication 15-T Worksheet 1A worked by
hand, the Social Security wage base and the Additional Medicare threshold crossed within a check,
401(k) against section 125 wage bases, the state entry, refused inputs, the NACHA layout, the table
validation, and a property: net = gross - every deduction - every tax, to the cent."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medoffice_hr import nacha, paycheck, tax_tables
from medoffice_hr.paycheck import PaycheckInput, PayrollInputError, W4

TABLE = tax_tables.shipped(2025)


def _pay(gross, status="single", frequency="biweekly", **extra):
    w4 = W4(status, **{k: extra.pop(k) for k in list(extra) if k.startswith("step") or k == "state_allowances"})
    return paycheck.compute(TABLE, PaycheckInput(frequency, gross, w4, **extra))


def test_worksheet_1a_single_biweekly():
    # 1c: 2,000 x 26 = 52,000; 1g: 8,600; 1i: 43,400. Table: 1,192.50 + 12% of (43,400 - 18,325) = 4,201.50
    # a year; 2h: 4,201.50 / 26 = 161.596 -> 161.60.
    check = _pay(200_000)
    assert check.federal_income_tax_cents == 16_160
    assert (check.social_security_cents, check.medicare_cents) == (12_400, 2_900)
    assert check.net_cents == 200_000 - 16_160 - 12_400 - 2_900


def test_worksheet_1a_married_weekly_with_dependents_credit_and_extra_withholding():
    # 1c: 1,500 x 52 = 78,000; 1g: 12,900 -> 65,100; 2,385 + 12% of (65,100 - 40,950) = 5,283 a year;
    # 2h: 101.596 -> 101.60; 3b: 4,000 / 52 = 76.92; 3c: 24.68; plus 4(c) 10.00 = 34.68.
    assert _pay(150_000, "married", "weekly", step3_cents=400_000, step4c_cents=1_000).federal_income_tax_cents == 3_468


def test_step2_checkbox_and_step4_adjust_the_annual_wage():
    # Head of household, semimonthly 3,000: 1c 72,000 + 4(a) 6,000 - (4(b) 2,000 + 8,600) = 67,400;
    # 1,700 + 12% of (67,400 - 30,900) = 6,080 a year -> 253.33.
    assert _pay(300_000, "head", "semimonthly", step4a_cents=600_000, step4b_cents=200_000).federal_income_tax_cents \
        == 25_333
    # Checked box: no 1g, the brackets halved from 11,250: 10% to 19,750 (850), 12% to 43,675 (3,721), 22% to
    # 62,925 (7,956), then 24%: 7,956 + 24% of (72,000 - 62,925) = 10,134 a year -> 422.25.
    assert _pay(300_000, "head", "semimonthly", step2=True).federal_income_tax_cents == 42_225


def test_social_security_stops_at_the_wage_base_within_the_check():
    check = _pay(1_000_000, ytd_gross_cents=17_610_000 - 400_000)  # 4,000 of this check are under the base
    assert check.social_security_cents == 24_800 and check.employer_social_security_cents == 24_800
    assert _pay(1_000_000, ytd_gross_cents=17_610_000).social_security_cents == 0
    assert check.medicare_cents == 14_500  # Medicare has no base


def test_additional_medicare_starts_over_200000_year_to_date():
    check = _pay(1_000_000, "married", ytd_gross_cents=19_500_000)  # 5,000 of it over 200,000
    assert check.additional_medicare_cents == 4_500 and check.employer_medicare_cents == 14_500
    assert _pay(1_000_000, ytd_gross_cents=25_000_000).additional_medicare_cents == 9_000
    assert _pay(1_000_000, ytd_gross_cents=0).additional_medicare_cents == 0


def test_401k_lowers_income_tax_wages_only_and_section_125_lowers_both():
    plain, k401, s125 = _pay(200_000), _pay(200_000, pretax_401k_cents=20_000), _pay(200_000, pretax_125_cents=20_000)
    assert k401.federal_wages_cents == s125.federal_wages_cents == 180_000
    assert k401.fica_wages_cents == 200_000 and s125.fica_wages_cents == 180_000
    assert k401.social_security_cents == plain.social_security_cents == 12_400
    assert s125.social_security_cents == 11_160 and s125.medicare_cents == 2_610
    assert k401.federal_income_tax_cents == s125.federal_income_tax_cents < plain.federal_income_tax_cents


def test_state_withholding_from_the_table():
    # Illinois: (2,000 - 2 x 2,850 / 26) x 4.95% = (2,000 - 219.23) x 0.0495 = 88.15
    assert _pay(200_000, state="IL", state_allowances=2).state_income_tax_cents == 8_815
    # Pennsylvania does not exclude 401(k) deferrals: 3.07% of the whole 2,000
    assert _pay(200_000, state="PA", pretax_401k_cents=20_000).state_income_tax_cents == 6_140
    assert _pay(200_000, state="TX").state_income_tax_cents == 0
    with pytest.raises(PayrollInputError):
        _pay(200_000, state="ZZ")


@pytest.mark.parametrize("bad", [
    dict(gross=-1), dict(gross=1000, pretax_401k_cents=-5), dict(gross=1000, step3_cents=-1),
    dict(gross=1000, pretax_401k_cents=900, pretax_125_cents=200), dict(gross=1000, status="widowed"),
    dict(gross=1000, frequency="daily"), dict(gross=1000, state_allowances=-1),
])
def test_impossible_inputs_are_refused(bad):
    gross = bad.pop("gross")
    with pytest.raises(PayrollInputError):
        _pay(gross, **bad)


@settings(max_examples=300, deadline=None)
@given(gross=st.integers(0, 5_000_000), k401=st.integers(0, 500_000), s125=st.integers(0, 500_000),
       post=st.integers(0, 100_000), ytd=st.integers(0, 40_000_000), status=st.sampled_from(["single", "married", "head"]),
       frequency=st.sampled_from(["weekly", "biweekly", "semimonthly", "monthly"]), step2=st.booleans(),
       step3=st.integers(0, 1_000_000), step4a=st.integers(0, 5_000_000), step4b=st.integers(0, 5_000_000),
       step4c=st.integers(0, 50_000), state=st.sampled_from(["", "IL", "PA", "TX"]), allowances=st.integers(0, 5))
def test_net_is_gross_less_every_deduction_and_tax(gross, k401, s125, post, ytd, status, frequency, step2, step3, step4a,
                                                   step4b, step4c, state, allowances):
    if k401 + s125 > gross:
        k401, s125 = gross // 2, gross // 4
    check = paycheck.compute(TABLE, PaycheckInput(frequency, gross, W4(status, step2, step3, step4a, step4b, step4c,
                                                                       allowances), k401, s125, post, ytd, state=state,
                                                  suta_rate=Decimal("0.027"), suta_wage_base_cents=900_000))
    assert check.net_cents == (gross - k401 - s125 - post - check.federal_income_tax_cents - check.social_security_cents
                               - check.medicare_cents - check.additional_medicare_cents - check.state_income_tax_cents)
    assert all(isinstance(v, int) for v in check.as_dict().values())
    assert check.federal_income_tax_cents >= step4c and check.social_security_cents >= 0


def test_the_shipped_table_is_valid_and_bad_tables_are_refused():
    assert tax_tables.validate(TABLE) == [] and "Publication 15-T (2025)" in TABLE["source"]
    broken = json.loads(json.dumps(TABLE))
    broken["social_security"]["rate"] = 0.062  # a float, not an exact decimal string
    del broken["federal"]["standard"]["head"]
    problems = tax_tables.validate(broken)
    assert any("social_security.rate" in p for p in problems) and any("head" in p for p in problems)


def test_nacha_records_follow_the_layout():
    origin = nacha.Originator("011000015", "First Bank", "1123456789", "Smith Family Practice", "1123456789",
                              "01100001")
    text = nacha.build(origin, [nacha.Credit("011000015", "000123456789", 123_456, "7", "Ann Able"),
                                nacha.Credit("021000021", "98765", 50_000, "8", "Bo Baker")],
                       dt.date(2026, 1, 9), dt.datetime(2026, 1, 7, 10, 30))
    lines = text.split("\r\n")[:-1]
    assert len(lines) == 10 and all(len(line) == 94 for line in lines)
    header, batch, first, second, control, file_control = lines[:6]
    assert header[:3] == "101" and header[3:13] == " 011000015" and header[34:37] == "094" and header[37:39] == "10"
    assert batch[:4] == "5220" and batch[50:53] == "PPD" and batch[69:75] == "260109"
    assert first[:3] == "622" and first[3:11] == "01100001" and first[11] == "5" and first[29:39] == "0000123456"
    assert first[12:29].strip() == "000123456789" and first[54:76].strip() == "ANN ABLE"
    assert control[:4] == "8220" and control[4:10] == "000002" and control[10:20] == f"{1100001 + 2100002:010d}"
    assert control[32:44] == f"{173456:012d}"
    assert file_control[:1] == "9" and file_control[13:21] == "00000002" and lines[6] == "9" * 94
    with pytest.raises(nacha.NachaError):
        nacha.build(origin, [nacha.Credit("01100001", "1", 100, "1", "X")], dt.date(2026, 1, 9), dt.datetime(2026, 1, 7))
