"""Bank statements: OFX and CSV imported whole or refused whole, duplicates skipped, lines matched to deposits,
insurance EFTs (by their 835 trace number) and entries, booked by rules or by hand, and reconciled; the
command line import."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner
from finance_setup import account, lines, payment, plb, publish_events
from medoffice.cli import main
from medoffice.testing import connected, login

from medoffice_finance.balances import account_balances
from medoffice_finance.bank import (BankError, book_line_by_hand, import_statement, match_entries, reconcile,
                                    reconciliation, save_csv_columns, tick_cleared)
from medoffice_finance.bank_files import BankFileError
from medoffice_finance.deposits import expected_efts, make_deposit, undeposited
from medoffice_finance.invariants import run_all
from medoffice_finance.journal import post_entry
from medoffice_finance.models import BankLine, BankMatch, BankRule, BankStatement, Deposit, JournalEntry

HEADER = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260320120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>999888<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260301<DTEND>20260320
"""


def ofx(transactions, balance: str | None) -> bytes:
    """An OFX statement of (fitid, yyyymmdd, amount, name) lines and its ledger balance."""
    body = "".join(f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{day}<TRNAMT>{amount}<FITID>{fitid}<NAME>{name}</STMTTRN>\n"
                   for fitid, day, amount, name in transactions)
    tail = f"<LEDGERBAL><BALAMT>{balance}<DTASOF>20260320</LEDGERBAL>" if balance is not None else ""
    return HEADER + body.encode() + b"</BANKTRANLIST>" + tail.encode() + b"</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"


@pytest.fixture
def books(make_app):
    """Billing and finance on (CSRF on): two desk checks on a slip, cash waiting, and a payer's EFT of two
    claim payments under trace 8871234 less a provider-level adjustment."""
    app = make_app(plugins=["billing", "finance"], csrf=True)
    with connected(app):
        eft = [payment(60000, "insurance", "eft"), payment(30000, "insurance", "eft"), plb(500)]
        for _name, data in eft[:2]:
            data["reference"] = "8871234"
        publish_events(payment(12000, "patient", "check"), payment(4550, "patient", "check"),
                       payment(2000, "patient", "cash"), *eft)
        checks = [w.booked_event_id for w in undeposited() if w.method == "check"]
        make_deposit(checks, dt.date(2026, 3, 11), account("1000"))
    return app


def test_an_ofx_statement_matches_the_slip_the_eft_by_trace_and_books_the_fee_by_rule(books):
    with connected(books):
        BankRule.create(pattern="SERVICE FEE", account=account("6800"), direction="out", memo="Monthly fee")
        assert [(e.trace, e.amount_cents) for e in expected_efts()] == [("8871234", 89500)]
        data = ofx([("A1", "20260312", "165.50", "DEPOSIT"), ("A2", "20260313", "895.00", "HCCLAIMPMT TRN*1*8871234"),
                    ("A3", "20260315", "-12.00", "SERVICE FEE"), ("A4", "20260316", "-99.00", "CHECK 1044")], "950.50")
        result = import_statement(account("1000"), data, "march.ofx")
        assert (result.lines, result.duplicates, result.matched) == (4, 0, 3)
        eft = Deposit.get(Deposit.source == "eft")
        assert (eft.reference, eft.total_cents, eft.deposit_date) == ("8871234", 89500, dt.date(2026, 3, 13))
        assert expected_efts() == []
        balances = {b.number: b.balance_cents for b in account_balances()}
        assert balances["1110"] == 0 and balances["6800"] == 1200 and balances["1000"] == 16550 + 89500 - 1200
        assert set(c.status for c in run_all()) == {"ok"}
        again = import_statement(account("1000"), data, "march.ofx")
        assert (again.statement, again.lines, again.duplicates) == (None, 0, 4)
        statement = result.statement
        with pytest.raises(BankError, match="not matched"):
            reconcile(statement.id)
        check = BankLine.get(BankLine.bank_id == "A4")
        book_line_by_hand(check.id, account("6410"), "Office supplies")
        state = reconciliation(BankStatement.get_by_id(statement.id))
        assert state["open_lines"] == 0 and state["cleared_cents"] == 94950 and state["difference_cents"] == 100
        with pytest.raises(BankError, match="difference"):
            reconcile(statement.id)
        assert reconcile(statement.id, 94950).reconciled_at is not None
        with pytest.raises(BankError, match="final"):
            book_line_by_hand(check.id, account("6410"), "again")


def test_a_file_that_does_not_parse_is_refused_whole(books):
    with connected(books):
        before = BankLine.select().count()
        with pytest.raises(BankFileError, match="does not parse"):
            import_statement(account("1000"), HEADER + b"<STMTTRN><TRNAMT>oops", "bad.ofx")
        missing_id = ofx([("A1", "20260312", "1.00", "OK"), ("", "20260312", "2.00", "NO ID")], None)
        with pytest.raises(BankFileError):
            import_statement(account("1000"), missing_id, "bad.ofx")
        with pytest.raises(BankError, match="CSV columns"):
            import_statement(account("1000"), b"Date,Amount,Memo\n03/12/2026,1.00,x\n", "bank.csv")
        save_csv_columns(account("1000"), {"date_column": "Date", "date_format": "%m/%d/%Y",
                                           "description_column": "Memo", "amount_column": "Amount",
                                           "debit_column": "", "credit_column": "", "id_column": ""})
        bad = b"Date,Amount,Memo\n03/12/2026,1.00,fine\n03/13/2026,12.3.4,broken\n"
        with pytest.raises(BankFileError, match=r"^Line 3: .*valid amount"):
            import_statement(account("1000"), bad, "bank.csv")
        with pytest.raises(BankFileError, match="Line 2: the date"):
            import_statement(account("1000"), b"Date,Amount,Memo\n2026-03-12,1.00,x\n", "bank.csv")
        assert BankLine.select().count() == before and BankStatement.select().count() == 0


def test_csv_duplicates_are_found_by_date_amount_and_description(books):
    with connected(books):
        save_csv_columns(account("1000"), {"date_column": "Posted", "date_format": "%Y-%m-%d",
                                           "description_column": "Details", "amount_column": "",
                                           "debit_column": "Out", "credit_column": "In", "id_column": ""})
        data = (b"Posted,Details,Out,In\n2026-03-12,WIRE FEE,15.00,\n2026-03-12,WIRE FEE,15.00,\n"
                b"2026-03-12,DEPOSIT,,165.50\n")
        first = import_statement(account("1000"), data, "one.csv")
        assert (first.lines, first.duplicates, first.matched) == (3, 0, 1)
        assert sorted(line.amount_cents for line in BankLine.select()) == [-1500, -1500, 16550]
        more = data + b"2026-03-14,WIRE FEE,15.00,\n"
        second = import_statement(account("1000"), more, "two.csv")
        assert (second.lines, second.duplicates) == (1, 3)


def test_a_line_is_matched_by_hand_to_several_entries_and_the_opening_balance_ticked(books):
    with connected(books):
        opening = post_entry(dt.date(2026, 3, 1), "Opening", lines(("1000", 100000), ("3900", -100000)),
                             kind="opening")
        rent = post_entry(dt.date(2026, 3, 2), "Rent", lines(("6300", 60000), ("1000", -60000)))
        phone = post_entry(dt.date(2026, 3, 2), "Phone", lines(("6610", 40000), ("1000", -40000)))
        result = import_statement(account("1000"), ofx([("B1", "20260305", "-1000.00", "ONLINE PAYMENTS")],
                                                        "0.00"), "b.ofx")
        assert result.matched == 0
        line = BankLine.get(BankLine.bank_id == "B1")
        with pytest.raises(BankError, match="left to match"):
            match_entries(line.id, [rent.id])
        match_entries(line.id, [rent.id, phone.id])
        with pytest.raises(BankError, match="cleared already"):
            match_entries(line.id, [rent.id])
        state = reconciliation(BankStatement.get_by_id(result.statement.id))
        assert state["open_lines"] == 0 and state["cleared_cents"] == -100000
        assert opening.id in [u["entry_id"] for u in state["uncleared"]]
        tick_cleared(result.statement.id, opening.id)
        assert reconcile(result.statement.id).reconciled_at is not None


def test_the_statement_pages_import_match_book_and_reconcile(books):
    manager = login(books.test_client(), "office_manager")
    with connected(books):
        bank = account("1000")
        fees = account("6800")
    data = ofx([("C1", "20260312", "165.50", "DEPOSIT"), ("C2", "20260315", "-7.50", "MISC CHARGE")], "158.00")
    refused = manager.post("/finance/bank/import", data={"account": str(bank), "file": (io.BytesIO(b"<OFX>junk"),
                                                                                        "x.ofx")},
                           content_type="multipart/form-data")
    assert refused.status_code == 422 and "does not parse" in refused.get_data(as_text=True)
    done = manager.post("/finance/bank/import", data={"account": str(bank), "file": (io.BytesIO(data), "m.ofx")},
                        content_type="multipart/form-data")
    assert done.status_code == 303
    page = manager.get(done.headers["Location"]).get_data(as_text=True)
    assert "MISC CHARGE" in page and "Open: -$7.50 left" in page
    with connected(books):
        line = BankLine.get(BankLine.bank_id == "C2")
        statement = line.statement_id
    booked = manager.post(f"/finance/bank/lines/{line.id}/book", data={"account": str(fees), "memo": "Bank charge"})
    assert booked.status_code == 303
    reconciled = manager.post(f"/finance/bank/statements/{statement}/reconcile", data={"ending_balance": ""})
    assert reconciled.status_code == 303
    assert "Reconciled" in manager.get(f"/finance/bank/statements/{statement}").get_data(as_text=True)
    pdf = manager.get(f"/finance/bank/statements/{statement}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert login(books.test_client(), "front_desk").post(
        "/finance/bank/import", data={"account": str(bank)}).status_code == 403


def test_import_bank_on_the_command_line(make_app, tmp_path):
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    app = make_app(instance=instance, plugins=["finance"])
    with connected(app):
        post_entry(dt.date(2026, 3, 2), "Rent", lines(("6300", 60000), ("1000", -60000)))
    path = tmp_path / "march.qfx"
    path.write_bytes(ofx([("D1", "20260305", "-600.00", "CHECK 101"), ("D2", "20260306", "-3.00", "FEE")], "-603.00"))
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    args = ["--instance", app.instance_path, "finance", "import-bank", str(path), "--account", "1000", "--json"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert {k: v for k, v in json.loads(result.output).items() if k != "statement"} == {
        "lines": 2, "duplicates": 0, "matched": 1}
    again = CliRunner().invoke(main, args, env=env)
    assert json.loads(again.output) == {"statement": None, "lines": 0, "duplicates": 2, "matched": 0}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n")
    refused = CliRunner().invoke(main, [*args[:4], str(bad), "--account", "1000"], env=env)
    assert refused.exit_code != 0 and "CSV columns" in refused.output
    with connected(app):
        assert BankMatch.select().count() == 1 and JournalEntry.select().count() == 1
