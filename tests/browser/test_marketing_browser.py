"""Marketing in a real browser against a served demo instance: a kiosk survey answered and its detractor
worked to closed; a campaign with spend and its cost per new patient; a recall list sent by e-mail and
by letter through the consent gate."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_kiosk_survey_is_answered_and_its_detractor_worked_to_closed(admin_page):
    page = admin_page
    page.goto("/marketing/kiosks")
    page.get_by_label("Where it stands").fill("Front desk tablet")
    page.get_by_role("button", name="Enroll this browser as a kiosk").click()
    expect(page.locator("main h1")).to_have_text("How did we do today?")
    page.locator('input[name="nps"][value="3"]').check()
    page.locator('input[name="wait_time"][value="1"]').check()
    page.get_by_label("Anything you would like to tell us?").fill("The chairs in room four were broken")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#kiosk-thanks")).to_contain_text("Thank you")

    page.goto("/marketing/recovery?q=chairs+in+room+four")
    page.locator("#recovery-table tbody a").first.click()
    expect(page.locator("main h1")).to_contain_text("Service recovery")
    expect(page.locator("main")).to_contain_text("The chairs in room four were broken")
    page.get_by_label("Reached the patient").check()
    page.get_by_label("Note", exact=True).fill("Called back; chairs replaced.")
    page.get_by_role("button", name="Log attempt").click()
    expect(page.locator(".toast")).to_contain_text("Logged the contact attempt")
    page.get_by_label("What was done").fill("Apologised; the chairs were replaced the same day.")
    page.get_by_role("button", name="Close the item").click()
    expect(page.locator(".toast")).to_contain_text("Closed")
    expect(page.locator("main h1 .chip")).to_have_text(re.compile("Closed", re.I))


def test_a_campaign_with_spend_shows_its_cost_per_new_patient(admin_page):
    page = admin_page
    page.goto("/marketing/campaigns/new")
    page.get_by_label("Name", exact=True).fill("Browser postcard")
    page.get_by_label("Code").fill("BRWS1")
    page.get_by_label("Starts").fill("2026-01-01")
    page.get_by_label("Budget").fill("500")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Browser postcard")
    campaign_url = page.url
    page.get_by_label("Amount").fill("300.00")
    page.get_by_label("Paid to").fill("Metro Print Co.")
    page.get_by_role("button", name="Record spend").click()
    expect(page.locator("#campaign-figures")).to_contain_text("$300.00")

    for row in (0, 1):  # two patients say the code at the desk
        page.goto("/patients")
        href = page.locator("table.data tbody tr a[href^='/patients/']").nth(row).get_attribute("href")
        patient_id = re.search(r"/patients/(\d+)", href).group(1)
        page.goto(f"/marketing/patients/{patient_id}/source")
        page.get_by_label("Campaign code").fill("brws1")
        page.get_by_label("New patient since").fill("2026-02-01")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".toast")).to_contain_text("Saved where the patient came from")
    page.goto(campaign_url)
    figures = page.locator("#campaign-figures")
    expect(figures).to_contain_text("New patients2")
    expect(figures).to_contain_text("$150.00")


def test_a_recall_list_is_sent_by_e_mail_and_by_letter_through_the_consent_gate(admin_page):
    page = admin_page
    page.goto("/marketing/recall/rules/new")
    page.get_by_label("Name", exact=True).fill("Browser recall")
    page.get_by_label("Kind").select_option("recall")
    page.get_by_label("Months").fill("6")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("link", name="Browser recall").click()
    page.get_by_role("button", name="Keep this as a list to work").click()
    expect(page.locator("main h1")).to_contain_text("Browser recall")
    page.get_by_label("Send by").select_option("email")
    page.get_by_role("button", name="Send to everyone not yet contacted").click()
    expect(page.locator(".toast")).to_contain_text(re.compile(r"[1-9]\d* queued"))
    # Those without consent for e-mail were refused with the reason; a letter goes only with consent for post.
    page.get_by_label("Send by").select_option("letter")
    page.get_by_role("button", name="Send to everyone not yet contacted").click()
    expect(page.locator(".toast")).to_contain_text("refused by the consent gate")
    expect(page.locator("#entries-table")).to_contain_text("No consent on record for post")
