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
