"""Finance in a real browser against a served demo instance: a past day's desk money taken from a difference on
the daily close to a printed deposit slip, a bank statement imported, matched, its fee booked and reconciled, and
the day closed clean; bills entered, one approved, and paid by check (one in part); a budget grid edited cell by
cell whose stop then refuses a bill that would pass it."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect

OFX_HEAD = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>
<DTSERVER>{end}120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>999888<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>{start}<DTEND>{end}
"""


def _ofx(start: dt.date, end: dt.date, lines: list[tuple[str, str, str]], balance: str) -> str:
    """An OFX bank statement of (fitid, amount, name) lines posted on ``end``, with the bank's ending balance."""
    body = "".join(f"<STMTTRN><TRNTYPE>OTHER<DTPOSTED>{end:%Y%m%d}<TRNAMT>{amount}<FITID>{fitid}<NAME>{name}"
                   "</STMTTRN>\n" for fitid, amount, name in lines)
    return (OFX_HEAD.format(start=f"{start:%Y%m%d}", end=f"{end:%Y%m%d}") + body + "</BANKTRANLIST>"
            f"<LEDGERBAL><BALAMT>{balance}<DTASOF>{end:%Y%m%d}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")


def _dollars(text: str) -> int:
    """Cents of a figure shown like ``$1,234.50``."""
    return int(Decimal(text.strip().replace("$", "").replace(",", "")) * 100)


def test_a_day_is_closed_once_its_desk_money_is_deposited_and_the_bank_shows_it(admin_page, tmp_path):
    page = admin_page
    # The demo's desk took cash or checks on a day before today that are on no slip yet: the latest such day.
    page.goto("/finance/deposits/new")
    today = dt.date.fromisoformat(page.get_by_label("Deposit date").input_value())
    taken_on = {dt.date.fromisoformat(text) for text in
                page.locator("form table tbody tr td:nth-child(2)").all_inner_texts() if text.strip()}
    earlier = sorted(day for day in taken_on if day < today)
    assert earlier, "the demo left no desk payment of a past day undeposited"
    day = earlier[-1]

    page.goto(f"/finance/day?day={day.isoformat()}")
    expect(page.locator("main p > .chip").first).to_have_text("Open")
    desk = page.get_by_role("region", name="Billing took").locator("tfoot td.num").inner_text()
    differences = page.get_by_role("region", name="Differences")
    expect(differences).to_contain_text("desk cash and check payment(s) on no deposit slip")
    page.get_by_role("button", name="Close the day").click()
    expect(page.get_by_role("alert")).to_contain_text("1 difference(s) remain")

    # Resolve it: the difference leads to a new slip; only that day's payments go on it, dated that day.
    differences.get_by_role("link", name="Go").click()
    expect(page.locator("main h1")).to_have_text("New deposit")
    rows = page.locator("form table tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        row.get_by_role("checkbox").set_checked(row.locator("td:nth-child(2)").inner_text() == day.isoformat())
    page.get_by_label("Deposit date").fill(day.isoformat())
    page.get_by_label("Bank account").select_option(label="1000 Operating checking")
    page.get_by_label("Memo").fill("Browser test: the desk's day")
    page.get_by_role("button", name="Post the deposit").click()
    expect(page.locator(".toast")).to_contain_text("posted: print the slip for the bank")
    slip = page.locator("table.slip")
    expect(slip.locator("tfoot tr", has_text="Total deposit")).to_contain_text(desk)
    slip_number = re.search(r"/deposits/(\d+)", page.url).group(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Print the slip (PDF)").click()
    assert download.value.suggested_filename == f"deposit-{slip_number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.goto(f"/finance/day?day={day.isoformat()}")
    expect(differences).to_contain_text(f"Desk slip {slip_number} of {day.isoformat()} not on a bank statement")
    expect(differences).not_to_contain_text("on no deposit slip")

    # The bank's statement shows the slip the next day, and its monthly fee.
    cents = _dollars(desk)
    posted = day + dt.timedelta(days=1)
    statement = tmp_path / "operating.ofx"
    statement.write_text(_ofx(day, posted, [(f"BRW{slip_number}D", f"{cents / 100:.2f}", "DEPOSIT"),
                                            (f"BRW{slip_number}F", "-12.00", "MONTHLY SERVICE FEE")],
                              f"{(cents - 1200) / 100:.2f}"))
    page.goto("/finance/bank")
    page.get_by_label("Bank account").select_option(label="1000 Operating checking")
    page.get_by_label("Statement file").set_input_files(statement)
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".toast")).to_contain_text("Imported 2 lines (0 imported before, skipped); 1 matched.")
    lines = page.get_by_role("region", name="Lines")
    deposited = lines.get_by_role("row").filter(has=page.get_by_role("cell", name="DEPOSIT", exact=True))
    fee = lines.get_by_role("row").filter(has=page.get_by_role("cell", name="MONTHLY SERVICE FEE", exact=True))
    expect(deposited).to_contain_text(f"deposit {slip_number}")
    expect(fee).to_contain_text("Open: -$12.00 left")
    page.get_by_role("button", name="Reconcile the statement").click()
    expect(page.get_by_role("alert")).to_contain_text("1 line(s) of the statement are not matched yet")
    page.get_by_label("Book the rest to").select_option(label="6800 Bank and card processing fees")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".toast")).to_contain_text("The line is booked.")
    expect(fee).to_contain_text("Matched")
    page.get_by_role("button", name="Reconcile the statement").click()
    expect(page.locator(".toast")).to_contain_text("The statement is reconciled.")
    expect(page.locator("main")).to_contain_text("Reconciled")
    with page.expect_download() as report:
        page.get_by_role("link", name="Reconciliation report (PDF)").click()
    with open(report.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # Nothing is left between billing, the slip and the bank: the day closes without a note.
    page.goto(f"/finance/day?day={day.isoformat()}")
    expect(differences).to_contain_text("None: what billing took is deposited and the bank shows it.")
    page.get_by_role("button", name="Close the day").click()
    expect(page.locator(".toast")).to_contain_text(f"{day.isoformat()} is closed.")
    closed = page.locator("main p", has=page.locator(".chip"))
    expect(closed.first).to_contain_text("Closed")
    expect(closed.first).to_contain_text(f"desk {desk}, deposited {desk}")


def test_bills_are_entered_approved_and_paid_by_check(admin_page):
    page = admin_page
    vendor = "Browser Toner Supply"
    page.goto("/finance/vendors/new")
    page.get_by_label("Name", exact=True).fill(vendor)
    page.get_by_label("Default expense account").select_option(label="6410 Office supplies")
    page.get_by_label("Terms (days to pay)").fill("30")
    page.get_by_role("button", name="Save the vendor").click()
    expect(page.locator(".toast")).to_contain_text(f"Saved vendor {vendor}.")

    bills = {}
    for number, amount, toast, status in (
            ("BTS-1001", "1250.00", "Bill BTS-1001 entered: it waits for approval.", "Awaiting approval"),
            ("BTS-1002", "86.40", "Bill BTS-1002 entered and approved.", "Approved")):
        page.goto("/finance/bills/new")
        page.get_by_label("Vendor", exact=True).select_option(label=vendor)
        page.get_by_label("Vendor's invoice number").fill(number)
        page.get_by_label("Account, line 1").select_option(label="6410 Office supplies")
        page.get_by_label("Amount, line 1").fill(amount)
        page.get_by_label("Memo, line 1").fill("Toner cartridges")
        page.get_by_role("button", name="Enter the bill").click()
        expect(page.locator(".toast")).to_contain_text(toast)
        expect(page.locator("dl.details .chip")).to_have_text(status)
        bills[number] = page.url
    # Over the approval threshold: an admin approves it.
    page.goto(bills["BTS-1001"])
    page.get_by_role("button", name="Approve the bill").click()
    expect(page.locator(".toast")).to_contain_text("Bill BTS-1001 approved.")
    expect(page.locator("dl.details .chip")).to_have_text("Approved")

    page.goto("/finance/bills/pay")
    page.get_by_label(f"Pay {vendor} BTS-1001").check()
    page.get_by_label("Amount to pay on BTS-1001").fill("500.00")  # a partial payment
    page.get_by_label(f"Pay {vendor} BTS-1002").check()
    page.get_by_label("From bank account").select_option(label="1000 Operating checking")
    page.get_by_label("Method").select_option("check")
    page.get_by_label("First check number").fill("7301")
    page.get_by_role("button", name="Pay the bills ticked").click()
    expect(page.locator(".toast")).to_contain_text("2 bill(s) paid.")
    expect(page.get_by_label(f"Pay {vendor} BTS-1002")).to_have_count(0)  # paid in full: no longer due
    expect(page.get_by_label("Amount to pay on BTS-1001")).to_have_value("750.00")

    page.goto(bills["BTS-1001"])
    facts = page.locator("dl.details")
    expect(facts).to_contain_text("Paid$500.00")
    expect(facts).to_contain_text("Open$750.00")
    expect(page.locator("main")).to_contain_text("$500.00 by Check 7301")
    page.goto(bills["BTS-1002"])
    expect(page.locator("dl.details")).to_contain_text("Open$0.00")
    expect(page.locator("main")).to_contain_text("$86.40 by Check 7302")


def test_a_budget_cell_edited_in_the_grid_stops_a_bill_that_would_pass_it(admin_page):
    page = admin_page
    # A location's own budget: the demo's whole-practice budget and other tests' bills are not touched by it.
    page.goto("/finance/budgets")
    year = page.get_by_label("Year", exact=True).input_value()
    page.get_by_label("Name", exact=True).fill("Browser budget")
    location = page.get_by_label("Location")
    location.select_option(index=1)
    place = location.locator("option:checked").inner_text()
    page.get_by_label("Start from").select_option("blank")
    page.get_by_role("button", name="Create the budget").click()
    expect(page.locator(".toast")).to_contain_text("Budget Browser budget created.")
    expect(page.locator("main h1")).to_have_text(f"Budget {year}: Browser budget")

    phones = page.locator("tbody tr").filter(has=page.get_by_role("rowheader", name="6610 Telephone and internet"))
    june = phones.locator("input.budget-cell").nth(5)
    june.fill("12.345")
    june.press("Tab")  # each cell saves as it is left (htmx); a refused one is marked with the reason
    expect(june).to_have_attribute("aria-invalid", "true")
    expect(june).to_have_attribute("title", re.compile("at most two decimal places"))
    june.fill("100")
    june.press("Tab")
    expect(june).to_have_value("100.00")
    expect(june).not_to_have_attribute("aria-invalid", "true")
    with page.expect_response(re.compile(r"/control$")) as answer:
        phones.get_by_label("Control of 6610 Telephone and internet").select_option("stop")
    assert answer.value.ok

    page.reload()
    expect(june).to_have_value("100.00")
    expect(phones.locator("td.num")).to_have_text("$100.00")
    expect(phones.get_by_label("Control of 6610 Telephone and internet")).to_have_value("stop")

    # A June phone bill for that location past the month's $100.00 is refused with the amounts.
    page.goto("/finance/bills/new")
    page.get_by_label("Vendor", exact=True).select_option(index=1)
    page.get_by_label("Vendor's invoice number").fill("BRW-PHONE-06")
    page.get_by_label("Bill date").fill(f"{year}-06-15")
    page.get_by_label("Account, line 1").select_option(label="6610 Telephone and internet")
    page.get_by_label("Amount, line 1").fill("250.00")
    page.get_by_label("Location, line 1").select_option(label=place)
    page.get_by_role("button", name="Enter the bill").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "6610 Telephone and internet would pass Browser budget's budget for the month ($250.00 of $100.00)")
    # Within the budget it goes through.
    page.get_by_label("Amount, line 1").fill("90.00")
    page.get_by_role("button", name="Enter the bill").click()
    expect(page.locator(".toast")).to_contain_text("Bill BRW-PHONE-06 entered and approved.")
