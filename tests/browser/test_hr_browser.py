"""HR in a real browser against the served demo instance (issue 14): the office manager publishes an
employee manual and the demo biller signs it; a candidate is taken through the pipeline, offered the job,
hired and onboarded (checklist with the manual to sign, W-4); the demo front-desk employee clocks in and
out at the kiosk with his PIN and his supervisor approves his timesheet; HR runs this period's payroll,
clearing what blocks it, posts it, and the biller opens her pay stub with her bonus on it.

The instance is shared with the other browser tests: what is created here carries a name of its own.
The new hire has no login (no page links a login to a staff record), so self-service is done by demo
staff whose logins are linked: frontdesk (Luis Ortega), biller (Grace Kim), manager (Dana Whitfield).
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import uuid

import pytest
from playwright.sync_api import expect

from medoffice.demo import DEMO_PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOT_APPROVED = " has time in this period that is not approved."


def _tag() -> str:
    return uuid.uuid4().hex[:5].upper()


def _pdf_text(data: bytes) -> str:
    """The text of a PDF (poppler's pdftotext), or "" where it is not installed."""
    assert data.startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        return ""
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _download_pdf(page, link) -> str:
    """Click a link to a PDF sent as an attachment; the text of the file downloaded."""
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as pdf:
        return _pdf_text(pdf.read())


def _open_pdf(page, link) -> str:
    """Click a link to a PDF shown in the browser (sent inline); the text of what the browser shows."""
    with page.expect_response(lambda r: r.request.is_navigation_request()) as shown:
        link.click()
    response = shown.value
    assert response.ok and response.headers["content-type"] == "application/pdf", response
    # Chromium hands the body to its PDF viewer: read the same file again with the page's session.
    return _pdf_text(page.context.request.get(response.url).body())


def _new_page(browser, base_url):
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _log_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


@pytest.fixture
def sign_in(browser, live_server):
    """A page of its own (own cookies) logged in as a demo user."""
    contexts = []

    def open_as(username: str):
        context, page = _new_page(browser, live_server)
        contexts.append(context)
        _log_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def employee_manual(browser, live_server):
    """An employee manual published by the office manager and addressed to the biller; its title."""
    title = f"Employee manual {_tag()}"
    context, page = _new_page(browser, live_server)
    try:
        _log_in(page, "manager")
        page.goto("/hr/manual")
        page.get_by_role("link", name="New document").click()
        page.get_by_label("Kind").select_option(label="Employee manual")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Grace Kim (biller)").check()
        page.get_by_role("button", name="Start the document").click()
        expect(page.locator(".toast")).to_contain_text("Document started")
        page.get_by_role("textbox", name="Text").fill(
            "# Hours\n\nWe open at half past seven.\n\n# Time off\n\nAsk two weeks ahead.")
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".toast")).to_contain_text("Draft of version 1 saved")
        page.get_by_role("link", name="Publish…").click()
        expect(page.get_by_label("Everyone it is addressed to must acknowledge this version")).to_be_checked()
        page.get_by_role("button", name="Publish version 1").click()
        expect(page.locator(".toast")).to_contain_text("Version 1 published")
    finally:
        context.close()
    return title


def test_an_employee_signs_the_employee_manual_and_hr_sees_it_signed(admin_page, sign_in, employee_manual):
    hr = admin_page
    hr.goto("/hr/manual")
    card = hr.locator("section.card").filter(has_text=employee_manual)
    expect(card).to_contain_text("0 signed, 1 still to sign")
    expect(card.get_by_role("row").filter(has_text="Grace Kim")).to_contain_text("Pending")

    grace = sign_in("biller")
    grace.goto("/documents/mine")
    pending = grace.locator("table.documents-pending tbody tr").filter(has_text=employee_manual)
    pending.get_by_role("link", name="Read and acknowledge").click()
    expect(grace.locator(".page-head h1")).to_have_text(employee_manual)
    expect(grace.locator("article.document-text")).to_contain_text("We open at half past seven.")
    grace.get_by_label("I have read this version").check()
    grace.get_by_label("Your password").fill(DEMO_PASSWORD)
    grace.get_by_role("button", name="Sign and acknowledge").click()
    expect(grace.locator(".toast")).to_contain_text("you acknowledged version 1")
    expect(grace.locator(".page-head .chip")).to_have_text("Acknowledged")

    hr.reload()
    expect(card).to_contain_text("1 signed, 0 still to sign")
    expect(card.get_by_role("table")).to_have_count(0)


def test_a_candidate_is_hired_and_onboarded(admin_page, employee_manual):
    page = admin_page
    tag = _tag()
    first, last = "Nadia", f"Brennan-{tag}"
    start = (dt.date.today() + dt.timedelta(days=14)).isoformat()  # a later pay period than this one

    page.goto("/hr/hiring")
    page.get_by_role("link", name="New opening").click()
    page.get_by_label("Title of the posting").fill(f"Front desk (mornings) {tag}")
    page.get_by_label("Job title").fill("Receptionist")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".toast")).to_contain_text("Opening saved.")
    expect(page.locator("main h1")).to_have_text(f"Front desk (mornings) {tag}")

    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("E-mail").fill(f"nadia.{tag.lower()}@example.org")
    page.get_by_label("Phone").fill("937-555-0142")
    page.get_by_label("Résumé").set_input_files({"name": "resume.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Add candidate").click()
    expect(page.locator(".toast")).to_contain_text("Candidate added.")
    expect(page.get_by_role("region", name="Applied")).to_contain_text(f"{first} {last}")

    # Moved on the board in place (htmx): the page stays, the card changes column.
    card = page.locator(".board-card").filter(has_text=f"{first} {last}")
    card.get_by_label(f"Stage of {first} {last}").select_option(label="Interview")
    card.get_by_role("button", name="Move").click()
    expect(page.get_by_role("region", name="Interview")).to_contain_text(f"{first} {last}")
    expect(page.get_by_role("region", name="Applied")).not_to_contain_text(f"{first} {last}")

    page.get_by_role("link", name=f"{first} {last}").click()
    expect(page.locator("main h1")).to_have_text(f"{first} {last}")
    expect(page.get_by_role("link", name="resume.pdf")).to_be_visible()
    page.get_by_label("Held on").fill(dt.date.today().isoformat())
    page.get_by_label("Score (1 to 5)").fill("4")
    page.get_by_label("Recommendation").select_option(label="Yes")
    page.get_by_label("Notes").fill("Warm with patients; knows scheduling software.")
    page.get_by_role("button", name="Save scorecard").click()
    expect(page.locator(".toast")).to_contain_text("Scorecard saved.")
    expect(page.locator("#interviews")).to_contain_text("Warm with patients")

    page.get_by_label("Start date").fill(start)
    page.get_by_label("Basis").select_option("hourly")
    page.get_by_label("Pay (an hour, or a year for salary)").fill("21.50")
    page.get_by_role("button", name="Record offer").click()
    expect(page.locator(".toast")).to_contain_text("Offer recorded.")
    expect(page.locator("dl.details .chip")).to_have_text("Offer")
    letter = _download_pdf(page, page.get_by_role("link", name="Offer letter (PDF)"))
    if letter:
        assert f"Dear {first} {last}" in letter and "$21.50 an hour" in letter

    expect(page.get_by_label("First day")).to_have_value(start)  # from the offer: nothing typed twice
    page.get_by_label("Type").select_option(label="Full-time")
    page.get_by_label("Supervisor").select_option(label="Whitfield, Dana")
    page.get_by_role("button", name="Hire", exact=True).click()
    expect(page.locator(".toast")).to_contain_text("Hired: the staff record, employment and onboarding checklist")
    expect(page.locator("main h1")).to_have_text(f"{last}, {first}")
    employment = page.locator("section.card").filter(has=page.get_by_role("heading", name="Employment", exact=True))
    expect(employment.locator(".chip")).to_have_text("Active")
    expect(employment).to_contain_text("Receptionist")
    expect(employment).to_contain_text("Whitfield, Dana")
    expect(page.locator("#pay")).to_contain_text("$21.50 an hour")
    employee_url = page.url

    page.get_by_role("link", name=re.compile(r"Onboarding \(0\/\d+ done\)")).click()
    tasks = page.locator("main table tbody tr")
    manual_task = tasks.filter(has_text=f"Read and acknowledge {employee_manual}, version 1")
    expect(manual_task).to_contain_text("The employee")
    i9 = tasks.filter(has_text="Form I-9 section 2")
    expect(i9.locator(".chip")).to_have_text("Open")
    i9.get_by_role("button", name="Mark done").click()
    expect(i9.locator(".chip")).to_have_text("Done")
    expect(i9.get_by_role("button", name="Open again")).to_be_visible()

    page.goto(employee_url)
    expect(page.get_by_role("link", name=re.compile(r"Onboarding \(1\/\d+ done\)"))).to_be_visible()
    page.get_by_role("link", name="W-4 and deductions").click()
    expect(page.get_by_text("No W-4 on file")).to_be_visible()
    page.get_by_label("Step 1(c): filing status").select_option("single")
    page.get_by_role("button", name="Save W-4").click()
    expect(page.locator(".toast")).to_contain_text("W-4 saved.")
    expect(page.get_by_text("No W-4 on file")).to_have_count(0)


def test_kiosk_clock_in_and_out_then_the_supervisor_approves_the_timesheet(sign_in):
    luis = sign_in("frontdesk")
    luis.get_by_role("link", name="My time and leave").click()
    luis.get_by_label("New kiosk PIN (4 to 8 digits)").fill("4826")
    luis.get_by_role("button", name="Set PIN").click()
    expect(luis.locator(".toast")).to_contain_text("Kiosk PIN set.")
    expect(luis.locator("#kiosk-pin")).to_contain_text("You have a PIN for the front-desk time clock.")

    # The shared front-desk clock, opened from the desk's login.
    luis.get_by_role("link", name="Time clock (kiosk)").click()
    luis.get_by_label("Your name").select_option(label="Ortega, Luis")
    luis.get_by_label("PIN", exact=True).fill("1111")
    luis.get_by_role("button", name="Clock in").click()
    expect(luis.get_by_text("That PIN is not right.")).to_be_visible()
    luis.get_by_label("Your name").select_option(label="Ortega, Luis")
    luis.get_by_label("PIN", exact=True).fill("4826")
    luis.get_by_role("button", name="Clock in").click()
    expect(luis.locator(".toast")).to_contain_text("Luis: clock in recorded.")
    luis.get_by_label("Your name").select_option(label="Ortega, Luis")
    luis.get_by_label("PIN", exact=True).fill("4826")
    luis.get_by_role("button", name="Clock out").click()
    expect(luis.locator(".toast")).to_contain_text("Luis: clock out recorded.")

    luis.goto("/hr/me/time")
    expect(luis.locator("#clock")).to_contain_text("You are clocked out.")
    expect(luis.locator("#period table tbody tr").filter(has_text="kiosk").first).to_be_visible()

    dana = sign_in("manager")  # Luis's supervisor
    dana.get_by_role("link", name="Timesheets", exact=True).click()
    dana.get_by_role("link", name="Ortega, Luis").click()
    expect(dana.locator("main h1")).to_have_text("Timesheet of Ortega, Luis")
    expect(dana.locator("main table tbody")).to_contain_text("kiosk")
    dana.get_by_role("button", name="Approve this timesheet").click()
    expect(dana.locator(".toast")).to_contain_text("Timesheet approved.")
    expect(dana.locator("main p .chip").first).to_have_text("Approved")
    expect(dana.get_by_role("button", name="Reopen")).to_be_visible()

    luis.reload()
    expect(luis.locator("#period li").first).to_contain_text("approved")


def test_hr_runs_payroll_for_the_period_and_the_employee_opens_her_pay_stub(admin_page, sign_in):
    page = admin_page
    page.goto("/hr/timesheets")  # this pay period, by the practice's calendar
    page.goto(page.get_by_role("link", name="Previous period").get_attribute("href"))  # ended last; the demo leaves it unpaid
    before = page.get_by_role("link", name="Previous period").get_attribute("href")
    after = page.get_by_role("link", name="Next period").get_attribute("href")
    first_day = dt.date.fromisoformat(before.split("day=")[1]) + dt.timedelta(days=1)
    last_day = dt.date.fromisoformat(after.split("day=")[1]) - dt.timedelta(days=1)
    pay_date = min(last_day + dt.timedelta(days=5), dt.date(first_day.year, 12, 31))  # taxed by the period's year

    page.get_by_role("link", name="Payroll", exact=True).click()
    page.get_by_label("A day in the pay period").fill(first_day.isoformat())
    page.get_by_label("Pay date").fill(pay_date.isoformat())
    page.get_by_role("button", name="Start run").click()
    expect(page.locator("main h1")).to_have_text(re.compile(r"^Pay run \d+$"))
    expect(page.locator("main h1 + p .chip")).to_have_text("Draft")
    run_url = page.url
    period = page.locator("main h1 + p").inner_text().split(" · ")[0]  # "<first> to <last>" as the pages write it

    # Work through what blocks the run: the demo's hourly staff's time of this period is not approved yet.
    expect(page.get_by_role("button", name="Post the run")).to_be_disabled()
    blockers = page.locator("#checks li").all_inner_texts()
    assert blockers and all(b.endswith(NOT_APPROVED) for b in blockers), blockers
    for blocker in blockers:
        page.goto(f"/hr/timesheets?day={first_day.isoformat()}")
        page.get_by_role("link", name=blocker.removesuffix(NOT_APPROVED), exact=True).click()
        page.get_by_role("button", name="Approve this timesheet").click()
        expect(page.locator(".toast")).to_contain_text("Timesheet approved.")
    page.goto(run_url)
    expect(page.locator("#checks")).to_contain_text("Nothing blocks this run.")

    page.get_by_label("Employee").select_option(label="Kim, Grace")
    page.get_by_label("Amount").fill("250.00")
    page.get_by_label("Note").fill("Year-end bonus")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".toast")).to_contain_text("Bonus added.")
    page.get_by_role("button", name="Post the run").click()
    expect(page.locator(".toast")).to_contain_text("Pay run posted")
    expect(page.locator("main h1 + p .chip")).to_have_text("Posted")
    grace_row = page.locator("#register tbody tr").filter(has_text="Kim, Grace")
    gross, net = (grace_row.locator("td").nth(n).inner_text() for n in (2, 9))
    expect(grace_row.get_by_role("link", name="Stub")).to_be_visible()

    grace = sign_in("biller")
    grace.get_by_role("link", name="My pay").click()
    stub_row = grace.locator("main table tbody tr").filter(has_text=period)
    expect(stub_row).to_contain_text(gross)
    expect(stub_row).to_contain_text(net)
    stub = _open_pdf(grace, stub_row.get_by_role("link", name="Pay stub (PDF)"))
    if stub:
        assert "Grace Kim" in stub and "Bonus" in stub and "$250.00" in stub
        assert gross in stub and net in stub
