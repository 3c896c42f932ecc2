"""Control characters inside X12 values: the shared tokenizer refuses the file, naming the segment and element
(the 835 import page answers 422, the CLI exits non-zero, nothing is written); line breaks and whitespace between
segments stay allowed, and the 837 writer never emits a control character."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest
from billing_setup import database
from medoffice.models import AuditEvent
from remit_setup import VALID_835, claims_from_remittance, cli_app, read_sample, run_cli
from test_x12_837 import CLINIC, TED, build, dependent_claim, find

from medoffice_billing import x12
from medoffice_billing.models import Claim, LineTransaction, RemitClaim, Remittance
from medoffice_billing.x12 import X12SyntaxError, check_835, tokenize, validate_envelope

TWO = "835_two_claims_claim_and_line_cas.x12"
NUL_IN_NAME = read_sample(TWO).replace("NM1*QC*1*BUDD*WILLIAM", "NM1*QC*1*BU\x00DD*WILLIAM")
WHERE_NUL = "Segment 16 (NM1), element NM103, character 3: a control character (NUL, U+0000)"


@pytest.mark.parametrize("name", VALID_835)
def test_line_breaks_and_spaces_between_segments_are_allowed(name):
    text = read_sample(name)
    expected = tokenize(text)[0]
    terminator = tokenize(text)[1].segment
    for gap in ("\n", "\r\n", "\r\n\r\n", "  \t\n"):
        assert tokenize(text.replace(terminator, terminator + gap))[0] == expected


@pytest.mark.parametrize("found, where", [
    ("NM1*QC*1*BU\x00DD*WILLIAM", WHERE_NUL),
    ("NM1*QC*1*BUDD\n*WILLIAM", "Segment 16 (NM1), element NM103, character 5: a control character (line feed, U+000A)"),
    ("NM1*QC*1*BUDD*WILL\x07IAM", "Segment 16 (NM1), element NM104, character 5: a control character (U+0007)"),
    ("SVC*HC:99\x1b211*800*500", "Segment 17 (SVC), element SVC01, character 6: a control character (U+001B)"),
    ("CLP*5554555444*1*800*450\x7f", "Segment 14 (CLP), element CLP04, character 4: a control character (DEL, U+007F)"),
])
def test_a_control_character_inside_a_value_refuses_the_file_with_segment_and_element(found, where):
    original = found.replace("\x00", "").replace("\n", "").replace("\x07", "").replace("\x1b", "").replace("\x7f", "")
    text = read_sample(TWO).replace(original, found)
    assert text != read_sample(TWO)
    with pytest.raises(X12SyntaxError, match=where.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        tokenize(text)
    with pytest.raises(X12SyntaxError):
        x12.parse_835(text)
    problems = check_835(text)
    assert len(problems) == 1 and problems[0].startswith(where) and "printable text only" in problems[0]
    assert validate_envelope(text) == problems


def test_a_control_character_before_a_segment_id_is_refused():
    text = read_sample(TWO).replace("~NM1*QC", "~\x00NM1*QC")
    assert check_835(text)[0].startswith("Segment 16, in its segment ID, character 1: a control character (NUL")


def test_control_characters_the_isa_declares_as_separators_are_not_data():
    # Element separator GS (0x1D), component separator US (0x1F), segment terminator FS (0x1C).
    text = read_sample(TWO).replace("*", "\x1d").replace(":", "\x1f").replace("~", "\x1c\n")
    delimiters = tokenize(text)[1]
    assert (delimiters.element, delimiters.component, delimiters.segment) == ("\x1d", "\x1f", "\x1c")
    assert check_835(text) == [] and x12.parse_835(text) == x12.parse_835(read_sample(TWO))


def test_the_837_writer_never_writes_a_control_character():
    patient = replace(TED, first_name="Te\x00d", last_name="Har\x07per\tJr")
    text = build({CLINIC: [replace(dependent_claim(), patient=patient)]})
    assert find(text, "NM1", "QC") == [["NM1", "QC", "1", "HAR PER JR", "TE D"]]
    assert validate_envelope(text) == []


def _nothing_written(app):
    with database(app):
        assert Remittance.select().count() == 0 and RemitClaim.select().count() == 0
        assert LineTransaction.select().where(LineTransaction.source == "era").count() == 0
        assert {c.status for c in Claim.select()} == {"submitted"}


def _prepare(app):
    with database(app):
        for remittance in x12.parse_835(read_sample(TWO)):
            claims_from_remittance(remittance)


def test_the_import_page_refuses_the_file_with_422_and_writes_nothing(app, client_as):
    _prepare(app)
    page = client_as("billing").post("/billing/remittances", data={"file": (io.BytesIO(NUL_IN_NAME.encode()), "era.835")},
                                     content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and WHERE_NUL in html and "\x00" not in html
    _nothing_written(app)
    with database(app):
        assert AuditEvent.select().where(AuditEvent.action == "billing.remit.refused").count() == 1


def test_the_cli_import_exits_non_zero_and_writes_nothing(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    _prepare(app)
    path = tmp_path / "era.835"
    path.write_bytes(NUL_IN_NAME.encode("ascii"))
    result = run_cli(app, "billing", "import-835", str(path), "--json")
    assert result.exit_code != 0 and "nothing was posted" in result.output and WHERE_NUL in result.output
    _nothing_written(app)
