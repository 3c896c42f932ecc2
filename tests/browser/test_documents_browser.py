"""Acknowledging a document: the demo's screen-privacy policy is addressed to every role, so the demo
front-desk login finds it in Today, opens it, reads it and signs it with its password re-entered."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from medoffice.demo import DEMO_PASSWORD


def test_open_a_pending_document_from_today_read_it_and_acknowledge_it(page):
    page.goto("/login")
    page.get_by_label("User name").fill("frontdesk")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")

    documents_item = page.locator("#today-queue li").filter(has_text="Documents to read and acknowledge")
    pending_before = int(documents_item.locator(".count").inner_text())
    documents_item.get_by_role("link").click()
    expect(page.locator("main h1")).to_have_text("My documents")
    pending = page.locator("table.documents-pending tbody tr").filter(has_text="Workstation and screen privacy")
    pending.get_by_role("link", name="Read and acknowledge").click()

    expect(page.locator(".page-head h1")).to_have_text("Workstation and screen privacy")
    expect(page.locator(".page-head .chip")).to_have_text("Pending")
    expect(page.locator("article.document-text")).to_contain_text("Lock your screen")
    expect(page.locator("article.document-text")).to_contain_text("locked shredding bin")  # version 2

    # A wrong password signs nothing.
    page.get_by_label("I have read this version").check()
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Sign and acknowledge").click()
    expect(page.get_by_text("That is not your password. Nothing was signed.")).to_be_visible()

    page.get_by_label("I have read this version").check()
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign and acknowledge").click()
    expect(page.locator(".toast")).to_contain_text("you acknowledged version 2")
    expect(page.locator(".page-head .chip")).to_have_text("Acknowledged")
    expect(page.locator("section.acknowledged")).to_contain_text("You acknowledged version 2")

    page.goto("/")
    expect(page.locator("#today-queue :is(.worklist, .empty)")).to_be_visible()  # the queue has loaded
    documents_item = page.locator("#today-queue li").filter(has_text="Documents to read and acknowledge")
    if pending_before == 1:
        expect(documents_item).to_have_count(0)
    else:
        expect(documents_item.locator(".count")).to_have_text(str(pending_before - 1))
    page.goto("/documents/mine")
    expect(page.locator("table.documents-signed")).to_contain_text("Workstation and screen privacy")
    expect(page.locator("table.documents-pending tbody tr").filter(has_text="Workstation and screen privacy")).to_have_count(0)
