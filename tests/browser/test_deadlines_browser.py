"""The deadline calendar: open it, filter by module, open a deadline and mark it done with a note.

The demo data of the example plugin puts this month's greetings board tidy-up on the calendar
(a kind that asks for a note as evidence).
"""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_filter_the_calendar_and_mark_a_deadline_done_with_a_note(admin_page):
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deadlines").click()
    expect(page.locator("main h1")).to_have_text("Deadlines")

    page.get_by_label("Module").select_option("hello")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"owner=hello"))
    calendar = page.locator("table.deadline-calendar")
    entry = calendar.get_by_role("link", name=re.compile(r"Tidy the greetings board"))
    expect(entry).to_have_count(1)
    expect(calendar.locator(".deadline-entry")).to_have_count(1)  # only the example plugin's

    entry.click()
    expect(page.locator("main h1")).to_contain_text("Tidy the greetings board")
    page.get_by_role("button", name="Mark done").click()  # no note: the kind asks for one
    expect(page.get_by_text("needs a note as evidence")).to_be_visible()
    page.get_by_label("Evidence note").fill("Cleared five old greetings; pinned the holiday rota.")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator(".toast")).to_contain_text("Marked done")
    expect(page.locator(".page-head .chip")).to_have_text("Done")
    expect(page.locator(".close-note")).to_have_text("Cleared five old greetings; pinned the holiday rota.")
    expect(page.locator("table.deadline-history")).to_contain_text("Done")

    page.goto("/deadlines?owner=hello")
    expect(page.locator("table.deadline-calendar .deadline-entry")).to_have_count(0)  # open ones by default
    page.get_by_label("State").select_option("done")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.deadline-calendar .deadline-entry.stage-done")).to_have_count(1)
