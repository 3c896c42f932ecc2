"""Compliance's pure rules, tested once: the NPI check digit, credential cycles and colours, every
privacy clock (extensions, month ends, leap years), the breach clocks and screening's name keys."""
from __future__ import annotations

import datetime as dt

import pytest

from medoffice_compliance import rules, screening

D = dt.date


def test_npi_check_digit():
    assert rules.npi_is_valid("1234567893")  # CMS's published example
    assert not rules.npi_is_valid("1234567890")
    assert not rules.npi_is_valid("123456789")  # nine digits
    assert not rules.npi_is_valid("3234567893")  # an NPI starts with 1 or 2
    assert not rules.npi_is_valid("12345678９3")  # a full-width digit is not a digit here


def test_cycles_give_the_next_due_date():
    caqh, medicare = rules.KIND_BY_KEY["caqh"], rules.KIND_BY_KEY["medicare_revalidation"]
    assert rules.next_due(caqh, D(2026, 11, 15), None) == D(2027, 3, 15)  # 120 days, across the year end
    assert rules.next_due(medicare, D(2024, 2, 29), None) == D(2029, 2, 28)  # leap day, five years on
    assert rules.next_due(medicare, D(2024, 2, 29), D(2028, 1, 1)) == D(2028, 1, 1)  # a given date wins
    assert rules.next_due(rules.KIND_BY_KEY["state_licence"], D(2024, 1, 1), None) is None


def test_board_colours():
    today = D(2026, 6, 1)
    assert rules.colour(D(2026, 5, 31), today) == "red"
    assert rules.colour(D(2026, 6, 1), today) == "amber"  # due today is not lapsed yet
    assert rules.colour(D(2026, 8, 30), today) == "amber"  # 90 days
    assert rules.colour(D(2026, 8, 31), today) == "green"
    assert rules.colour(None, today, status="denied") == "red"
    assert rules.colour(None, today, status="in_process") == "amber"
    assert rules.colour(None, today) == "green"
    assert rules.worst(["green", "red", "amber"]) == "red" and rules.worst([]) == ""
    assert rules.current_on(D(2026, 6, 1), D(2026, 6, 1), D(2026, 6, 1))
    assert not rules.current_on(D(2026, 6, 2), None, D(2026, 6, 1))
    assert not rules.current_on(D(2026, 5, 31), D(2026, 6, 1), None)


@pytest.mark.parametrize("kind, received, extended, due", [
    ("access", D(2026, 1, 31), False, D(2026, 3, 2)),  # across February's end
    ("access", D(2024, 1, 31), False, D(2024, 3, 1)),  # a leap year has 29 February
    ("access", D(2024, 1, 31), True, D(2024, 3, 31)),
    ("access", D(2026, 12, 15), True, D(2027, 2, 13)),  # across the year end
    ("amendment", D(2026, 3, 1), False, D(2026, 4, 30)),
    ("amendment", D(2026, 3, 1), True, D(2026, 5, 30)),
    ("accounting", D(2023, 12, 31), False, D(2024, 2, 29)),
    ("restriction", D(2026, 3, 1), False, None),
])
def test_privacy_clocks(kind, received, extended, due):
    assert rules.request_due(rules.REQUEST_BY_KEY[kind], received, extended) == due


def test_one_extension_and_only_before_the_first_period_ends():
    access = rules.REQUEST_BY_KEY["access"]
    received = D(2026, 1, 31)
    assert rules.extension_problem(access, received, False, D(2026, 3, 2)) is None  # the last day of the 30
    late = rules.extension_problem(access, received, False, D(2026, 3, 3))
    assert late and "2026-03-02" in late
    assert "one extension" in rules.extension_problem(access, received, True, D(2026, 2, 1))
    assert "no extension" in rules.extension_problem(rules.REQUEST_BY_KEY["restriction"], received, False, received)


def test_accounting_looks_back_six_years_and_timeliness():
    assert rules.lookback_start(D(2026, 3, 1)) == D(2020, 3, 1)
    assert rules.lookback_start(D(2028, 2, 29)) == D(2022, 2, 28)
    assert rules.on_time(D(2026, 3, 2), D(2026, 3, 2)) is True
    assert rules.on_time(D(2026, 3, 2), D(2026, 3, 3)) is False
    assert rules.on_time(None, D(2026, 3, 3)) is None and rules.on_time(D(2026, 3, 2), None) is None


def test_breach_clocks():
    small = rules.breach_clocks(D(2026, 11, 20), {"CA": 40, "NV": 3})
    assert small.individuals == D(2027, 1, 19) and small.hhs_on_annual_log
    assert small.hhs == D(2027, 3, 1) and small.media is None  # 60 days after 31 December 2026
    assert rules.annual_log_due(D(2023, 5, 1)) == D(2024, 2, 29)  # the year after is a leap year
    major = rules.breach_clocks(D(2026, 1, 10), {"CA": 499, "NV": 1})
    assert not major.hhs_on_annual_log and major.hhs == D(2026, 3, 11) and major.media is None  # 500 in all, no state over 500
    media = rules.breach_clocks(D(2026, 1, 10), {"CA": 501, "NV": 600, "AZ": 500})
    assert media.media == D(2026, 3, 11) and media.media_states == ("CA", "NV")


def test_name_keys_fold_accents_case_and_middle_names():
    assert rules.name_key("Núñez", "José María") == rules.name_key("NUNEZ", "jose") == "nunez|jose"
    assert rules.name_key("O'Brien-Smith", "Anne Marie") == "obriensmith|anne"
    assert rules.name_key("Smith", "") == ""
    assert rules.name_key("Smith", "John") != rules.name_key("Smith", "Jon")
    assert rules.clean_npi("0000000000") == "" and rules.clean_npi(" 1234567893 ") == "1234567893"


LEIE_HEADER = ",".join(screening.LEIE_COLUMNS)


def _leie(*rows: str) -> bytes:
    return ("\n".join((LEIE_HEADER,) + rows) + "\n").encode()


def test_leie_rows_are_read_and_bad_files_refused_with_line_numbers():
    rows = screening.parse_leie(_leie(
        "NÚÑEZ,JOSÉ,M,,IND- LIC HC SERV PRO,NURSE,,0000000000,19700102,1 MAIN ST,RENO,NV,89501,1128b4,20200115,00000000,00000000,",
        ",,,ACME PHARMACY,BUSINESS,PHARMACY,,1234567893,,2 MAIN,RENO,NV,89501,1128a1,20190101,,,"))
    assert rows[0]["name_key"] == "nunez|jose" and rows[0]["date_of_birth"] == D(1970, 1, 2) and rows[0]["npi"] == ""
    assert rows[1]["name_key"] == "biz|acmepharmacy" and rows[1]["npi"] == "1234567893"
    with pytest.raises(screening.ImportRefused) as wrong:
        screening.parse_leie(b"NAME,DATE\nx,y\n")
    assert "not the LEIE database file" in wrong.value.problems[0]
    with pytest.raises(screening.ImportRefused) as bad_rows:
        screening.parse_leie(_leie("SMITH,JOHN,,,,,,,1970-01-02,,,,,,20200115,,,",
                                   ",,,,,,,,,,,,,,20200115,,,"))
    assert bad_rows.value.problems == ["line 2: DOB '1970-01-02' is not a date (YYYYMMDD)",
                                       "line 3: neither a last name nor a business name"]
    with pytest.raises(screening.ImportRefused):
        screening.parse_leie(b"")
    with pytest.raises(screening.ImportRefused) as empty:
        screening.parse_leie(_leie())
    assert "no rows" in empty.value.problems[0]


def test_sam_rows_are_read():
    header = "Classification,Name,Prefix,First,Middle,Last,Suffix,State / Province,Exclusion Type,Active Date,NPI"
    data = (header + "\nIndividual,,,Zoë,Ann,Hart,,CA,Ineligible,03/15/2021,\n"
            "Firm,Bad Labs LLC,,,,,,TX,Prohibition,2020-01-01,1234567893\n").encode()
    rows = screening.parse_sam(data)
    assert rows[0]["name_key"] == "hart|zoe" and rows[0]["excluded_on"] == D(2021, 3, 15)
    assert rows[1]["name_key"] == "biz|badlabsllc" and rows[1]["npi"] == "1234567893"
    with pytest.raises(screening.ImportRefused) as bad:
        screening.parse_sam((header + "\nIndividual,,,Ann,,,,CA,X,13/45/2021,\n").encode())
    assert bad.value.problems == ["line 2: an individual without a last name",
                                  "line 2: Active Date '13/45/2021' is not a date (MM/DD/YYYY)"]


def test_records_may_be_destroyed_after_the_adult_or_the_minor_period_whichever_is_later():
    # An adult: seven years after the last visit.
    assert rules.destroy_after(D(2019, 5, 1), D(1970, 1, 1), 7, 18, 3) == D(2026, 5, 1)
    # A minor at the last visit: also not before majority plus three years.
    assert rules.destroy_after(D(2019, 5, 1), D(2010, 1, 1), 7, 18, 3) == D(2031, 1, 1)
    # A minor whose adult period ends later anyway.
    assert rules.destroy_after(D(2019, 5, 1), D(2002, 2, 1), 7, 18, 0) == D(2026, 5, 1)
    # Born on a leap day: majority on 28 February of a common year.
    assert rules.destroy_after(D(2020, 1, 1), D(2004, 2, 29), 1, 18, 0) == D(2022, 2, 28)
    assert rules.destroy_after(D(2019, 5, 1), None, 7, 18, 3) == D(2026, 5, 1)
