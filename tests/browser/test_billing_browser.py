"""Charge entry and claims in a real browser: htmx swaps, the fee-schedule lookup, inline errors."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_charge_entry_to_a_ready_claim(admin_page):
    page = admin_page
    # A patient with insurance in force: the patient of a demo claim that is ready to submit.
    page.goto("/billing/claims?status=ready")
    page.locator("#claims-table tbody a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Claim C"))).to_be_visible()
    page.locator("h1 small a").first.click()
    page.get_by_role("link", name="New encounter").click()
    page.get_by_label("Rendering provider").select_option(index=1)
    page.get_by_role("button", name="Open the encounter").click()
    expect(page.get_by_role("heading", name="Diagnoses")).to_be_visible()

    page.get_by_label("ICD-10-CM code").fill("E11.9")
    page.get_by_role("button", name="Add diagnosis").click()
    expect(page.locator("#dx-1")).to_contain_text("E11.9")

    # Typing a code fills the charge from the fee schedule (hx-get), then the line is added in place.
    page.get_by_label("Code of the new line").fill("99213")
    expect(page.get_by_label("Charge of the new line")).to_have_value("120.00")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_label("Code, line 1")).to_have_value("99213")
    expect(page.locator("#charges tfoot")).to_contain_text("$120.00")

    # A pointer past the diagnoses is refused with the message beside the field (a 422 swap).
    page.get_by_label("Code of the new line").fill("36415")
    page.get_by_label("Diagnosis pointers of the new line").fill("3")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#new-pointers-error")).to_contain_text("Diagnosis 3 does not exist")
    expect(page.locator("#charges tfoot")).to_contain_text("$120.00")

    page.get_by_role("button", name=re.compile(r"^Bill .*\(primary\)")).click()
    expect(page.get_by_role("heading", name="Scrubber")).to_be_visible()
    ready = page.get_by_role("button", name="Mark ready to submit")
    expect(ready).to_be_enabled()  # no errors: the demo practice is complete
    ready.click()
    expect(page.locator(".toast")).to_contain_text("is ready to submit")
    expect(page.locator(".timeline")).to_contain_text("moved it from draft to ready to submit")


# --- Patient accounts: payments and receipts, statements, collections -------------------------------------

def _ledger_links(page) -> list[str]:
    """Ledger URLs of the demo's past-due accounts (each owes the patient's own balance)."""
    page.goto("/billing/collections?tab=past_due")
    links = page.locator("#collections-table tbody td:first-child a")
    expect(links.first).to_be_visible()
    return [links.nth(i).get_attribute("href") for i in range(links.count())]


def _ledger_with(page, link_name: str) -> None:
    """Open the first past-due ledger that offers ``link_name``."""
    for href in _ledger_links(page):
        page.goto(href)
        if page.get_by_role("link", name=link_name).count():
            return
    raise AssertionError(f"no past-due ledger offers {link_name!r}")


def test_patient_payment_and_printable_receipt(admin_page):
    page = admin_page
    _ledger_with(page, "Take a payment")
    owed_before = page.locator("dl.facts dd").first.inner_text()
    page.get_by_role("link", name="Take a payment").click()
    expect(page.get_by_role("heading", name=re.compile("^Take a payment"))).to_be_visible()
    page.get_by_label("Amount").fill("10.005")
    page.get_by_role("button", name="Take the payment").click()
    expect(page.locator("#amount-error")).to_contain_text("two decimal places")
    page.get_by_label("Amount").fill("10.00")
    page.get_by_label("Method").select_option("card")
    page.get_by_label("Check number or card reference").fill("4111 1111 1111 1111")
    page.get_by_role("button", name="Take the payment").click()
    expect(page.locator("#reference-error")).to_contain_text("Never type a whole card number")
    page.get_by_label("Check number or card reference").fill("4242")
    page.get_by_role("button", name="Take the payment").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Receipt R\d+"))).to_be_visible()
    receipt = page.get_by_role("article", name="Receipt")
    expect(receipt).to_contain_text("$10.00")
    expect(receipt).to_contain_text("card (4242)")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.locator(".page-head .actions").get_by_role("link", name="Ledger").click()
    expect(page.locator("dl.facts dd").first).not_to_have_text(owed_before)


def test_a_patient_statement(admin_page):
    page = admin_page
    _ledger_with(page, "Hold statements")
    with page.expect_download() as preview:
        page.get_by_role("link", name="Statement preview (PDF)").click()
    assert preview.value.suggested_filename.startswith("statement-preview-")
    with page.expect_download() as sent:
        page.get_by_role("button", name="Send a statement now (PDF)").click()
    name = sent.value.suggested_filename
    assert name.startswith("statement-") and name.endswith(".pdf")
    with open(sent.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.reload()
    statements = page.get_by_role("region", name="Statements sent")
    expect(statements.get_by_role("link", name="PDF").first).to_be_visible()


def test_collections_placement_and_recall(admin_page):
    page = admin_page
    _ledger_with(page, "Place with a collection agency")
    account = page.get_by_role("heading", level=1).locator("small").inner_text().split("·")[-1].strip()
    page.get_by_role("link", name="Place with a collection agency").click()
    expect(page.get_by_label("Agency")).to_have_value("Riverside Recovery Services (demo)")
    page.get_by_label("Note").fill("Browser test placement")
    page.get_by_role("button", name="Place the account").click()
    expect(page.locator(".toast")).to_contain_text("placed with Riverside Recovery Services (demo)")
    placed = page.locator("#collections-table tbody tr", has_text=account)
    expect(placed).to_have_count(1)
    placed.get_by_role("link", name="Recall").click()
    page.get_by_role("button", name="Recall the account").click()
    expect(page.locator("#reason-error")).to_contain_text("Say why")
    page.get_by_label("Reason").fill("Patient set up a payment plan with us")
    page.get_by_role("button", name="Recall the account").click()
    expect(page.locator(".toast")).to_contain_text("recalled")
    recalled = page.locator("#collections-table tbody tr", has_text="Patient set up a payment plan with us")
    expect(recalled).to_have_count(1)
    expect(recalled).to_contain_text(account)


def test_a_scrubber_error_shown_and_fixed(admin_page):
    page = admin_page
    page.goto("/billing/claims?status=problems")
    claims = page.locator("#claims-table tbody a[href^='/billing/claims/']")
    expect(claims.first).to_be_visible()
    for href in [claims.nth(i).get_attribute("href") for i in range(claims.count())]:
        page.goto(href)
        if page.locator("#f-providers-rendering").count():
            break
    else:
        raise AssertionError("no demo claim lacks its rendering provider")
    claim_url = page.url
    expect(page.locator("#f-providers-rendering")).to_contain_text("The rendering provider is missing.")
    expect(page.get_by_role("button", name="Mark ready to submit")).to_be_disabled()
    page.locator("a[href^='/billing/encounters/']").first.click()
    page.get_by_label("Rendering provider").select_option(index=1)
    page.get_by_role("button", name="Save visit").click()
    expect(page.locator(".toast")).to_contain_text("Saved the encounter.")  # saved before we look again
    page.goto(claim_url)
    expect(page.locator("#f-providers-rendering")).to_have_count(0)
    ready = page.get_by_role("button", name="Mark ready to submit")
    expect(ready).to_be_enabled()
    ready.click()
    expect(page.locator(".toast")).to_contain_text("is ready to submit")


def test_worklist_totals_by_payer_load_when_opened(admin_page):
    page = admin_page
    page.goto("/billing/worklists?tab=denied")
    expect(page.locator(".worklist-totals")).to_contain_text("Counting")
    page.get_by_text("By payer", exact=True).click()
    totals = page.locator(".worklist-totals table")
    expect(totals.get_by_role("columnheader", name="Charges")).to_be_visible()
    expect(totals.locator("tbody tr").first).to_contain_text("$")
