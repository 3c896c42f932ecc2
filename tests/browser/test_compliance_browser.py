"""Compliance in a real browser against the served demo instance (issue 15): a state licence added with
its scan shows amber on the credentialing board, and the provider's exclusion-screening hit is worked
to cleared; a security risk assessment's gap becomes a remediation task on the owner's deadlines and is
marked done; a breach is logged, assessed, its notice letters queued in the outbox, and the audit
binder downloaded with the breach in it and no patient named.

The instance is shared with the other browser tests: everything here is created with names of its own.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile

from playwright.sync_api import expect

PDF_SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LEIE_HEADER = ("LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,STATE,ZIP,"
               "EXCLTYPE,EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE")


def _day(offset: int) -> str:
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def _unique() -> str:
    return uuid.uuid4().hex[:6].upper()


def test_a_licence_with_its_scan_is_on_the_board_and_a_screening_hit_is_cleared(admin_page, tmp_path):
    page = admin_page
    tag = _unique()
    scan = tmp_path / f"wy-licence-{tag}.pdf"
    scan.write_bytes(PDF_SCAN)

    page.goto("/compliance/")
    page.get_by_role("link", name="Add a credential").click()
    provider = page.get_by_label("Provider").locator("option").last.inner_text().strip()
    last_name, first_name = [part.strip() for part in provider.split(",")[:2]]
    page.get_by_label("Kind").select_option(label="State licence")
    page.get_by_label("Provider").select_option(label=provider)
    page.get_by_label("State", exact=True).select_option("WY")
    page.get_by_label("Number").fill(f"WY-{tag}")
    page.get_by_label("Issued by / carrier / payer").fill("Wyoming Board of Medicine")
    page.get_by_label("Effective / last attested").fill(_day(-300))
    expires = _day(60)  # due within 90 days: amber
    page.get_by_label("Expires / re-credentialing").fill(expires)
    page.get_by_label("Document (scan or PDF)").set_input_files(str(scan))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Credential saved.")
    expect(page.locator("main h1")).to_have_text("State licence (WY)")
    expect(page.locator(".page-head .chip")).to_have_class(re.compile(r"\bchip-amber\b"))
    expect(page.locator("section.attachments")).to_contain_text(scan.name)

    # The board, filtered the way a manager looks for what needs attention.
    page.get_by_role("link", name="Credentialing").first.click()
    filters = page.locator("form.filters")
    filters.get_by_label("Provider").select_option(label=provider)
    filters.get_by_label("State").select_option("WY")
    filters.get_by_label("Status").select_option("amber")
    filters.get_by_role("button", name="Filter").click()
    row = page.locator("#credential-board tbody tr", has_text=provider)
    expect(row).to_have_count(1)
    licence = row.get_by_role("link", name=f"WY {expires}")
    expect(licence.locator(".chip")).to_have_class(re.compile(r"\bchip-amber\b"))

    # The OIG list names someone with the provider's name: a possible match to review.
    leie = tmp_path / "UPDATED.csv"
    leie.write_text("\n".join((
        LEIE_HEADER,
        f"{last_name.upper()},{first_name.upper()},,,IND- LIC HC SERV PRO,NURSE,,,19520304,9 ELM,CASPER,WY,82601,"
        "1128a1,20190101,,,",
        f"QUILLFEATHER{tag},ZEB,,,IND- LIC HC SERV PRO,NURSE,,,,1 MAIN,RENO,NV,89501,1128b4,20200115,,,",
    )) + "\n", encoding="utf-8")
    page.goto("/compliance/screening")
    page.get_by_label("List", exact=True).select_option(label="OIG LEIE")
    page.get_by_label("The list's date").fill(_day(-5))
    page.get_by_label("File (CSV)").set_input_files(str(leie))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".toast")).to_contain_text("OIG LEIE: 2 entries imported.")
    page.get_by_role("button", name="Screen everyone now").click()
    expect(page.locator(".toast")).to_contain_text(re.compile(r"\d+ screened; [1-9]\d* possible match"))
    hit = page.locator("#queue tbody tr", has_text=f"{first_name.upper()} {last_name.upper()}")
    expect(hit).to_contain_text(provider)
    hit.get_by_label("Decision").select_option("cleared")
    hit.get_by_label("How you decided").fill(f"Date of birth and state differ from the LEIE entry ({tag})")
    hit.get_by_role("button", name="Record").click()
    expect(page.locator(".toast")).to_contain_text("Match cleared.")
    expect(page.locator("#queue")).not_to_contain_text(f"{first_name.upper()} {last_name.upper()}")
    reviewed = page.locator("#history tr", has_text=tag)
    expect(reviewed).to_contain_text("cleared")
    expect(reviewed).to_contain_text(provider)


def test_a_risk_assessment_gap_becomes_a_remediation_task_and_is_closed(admin_page):
    page = admin_page
    tag = _unique()
    page.goto("/compliance/program")
    page.get_by_label("Title").fill(f"Browser SRA {tag}")
    page.get_by_label("Started on").fill(_day(-1))
    page.get_by_role("button", name="Start").click()
    expect(page.locator("main h1")).to_have_text(f"Browser SRA {tag}")
    assessment_url = page.url

    question = page.locator("#risk-register tbody tr", has_text="Are laptops, phones and backups encrypted?")
    form_row = page.locator(f"#{question.get_attribute('id')} + tr")
    form_row.locator("summary", has_text="Answer").click()
    task = f"Encrypt the front desk laptop {tag}"
    due = _day(30)
    form_row.get_by_label("Answer", exact=True).select_option("partly")
    form_row.get_by_label("Likelihood").select_option(label="High")
    form_row.get_by_label("Impact").select_option(label="Medium")
    form_row.get_by_label("Remediation task").fill(task)
    form_row.get_by_label("Owner").select_option(label="Administrator")
    form_row.get_by_label("Due on").fill(due)
    form_row.get_by_role("button", name="Save answer").click()
    expect(page.locator(".toast")).to_contain_text("Answer saved.")
    expect(question).to_contain_text("partly")
    expect(question.locator(".chip")).to_have_text("6 high")
    expect(question).to_contain_text(f"{task} — due {due}")

    # The task is the owner's deadline.
    page.goto(f"/deadlines/list?q={tag}")
    deadline = page.locator("#deadlines-table tbody tr", has_text=task)
    expect(deadline).to_contain_text("Risk remediation task")
    expect(deadline).to_contain_text("Administrator")
    deadline.get_by_role("link", name=f"Remediate: {task}").click()
    expect(page.locator("main h1")).to_contain_text(task)
    deadline_url = page.url

    page.goto(assessment_url)
    form_row.locator("summary", has_text="Remediation done").click()
    form_row.get_by_label("Done on").fill(_day(0))
    form_row.get_by_label("What was done").fill("BitLocker turned on; recovery key in the safe.")
    form_row.get_by_role("button", name="Mark done").click()
    expect(page.locator(".toast")).to_contain_text("Remediation recorded.")
    expect(question).to_contain_text(re.compile(r"— done \d{4}-\d{2}-\d{2}"))
    page.goto(deadline_url)
    expect(page.locator(".page-head .chip")).to_have_text("Done")


def test_a_breach_is_logged_its_letters_queued_and_the_binder_exported(admin_page):
    page = admin_page
    tag = _unique()
    title = f"Laptop stolen from a car {tag}"
    page.goto("/compliance/incidents")
    page.get_by_role("link", name="Log an incident").click()
    page.get_by_label("Title (no patient names)").fill(title)
    page.get_by_label("What happened").fill("An unencrypted laptop was taken from a staff member's car.")
    page.get_by_label("Occurred on").fill(_day(-4))
    page.get_by_label("Discovered on").fill(_day(-3))
    page.get_by_label("Reported by").fill("Front desk lead")
    page.get_by_label("People affected by state").fill("OH 2")
    page.get_by_role("button", name="Log incident").click()
    expect(page.locator(".toast")).to_contain_text("Incident logged")
    expect(page.locator("main h1")).to_contain_text(title)

    page.get_by_label(re.compile(r"^1\. Nature")).fill("Names, dates of birth and visit reasons")
    page.get_by_label(re.compile(r"^2\. The unauthorised")).fill("Unknown thief")
    page.get_by_label(re.compile(r"^3\. Whether")).fill("Cannot be ruled out")
    page.get_by_label(re.compile(r"^4\. How far")).fill("Remote wipe requested; not confirmed")
    page.get_by_label("Decision").select_option(label="Breach: notify")
    page.get_by_label("Reasoning").fill("The disk was not encrypted; we cannot show a low probability.")
    page.get_by_role("button", name="Record the assessment").click()
    expect(page.locator(".toast")).to_contain_text("Assessment recorded.")
    expect(page.locator(".page-head .chip")).to_have_text("Breach")
    individuals = page.locator("#clocks tr", has_text="Individuals")
    expect(individuals).to_contain_text(_day(57))  # 60 days from discovery

    page.goto("/patients")
    rows = page.locator("table tbody tr")
    people = [rows.nth(i).locator("td").nth(0).inner_text() for i in (0, 1)]
    accounts = [rows.nth(i).locator("td").nth(1).inner_text() for i in (0, 1)]
    page.go_back()
    page.get_by_label("Patient record numbers, separated by commas").fill(", ".join(accounts))
    page.get_by_role("button", name="Add patients").click()
    expect(page.locator(".toast")).to_contain_text("2 patient(s) added.")
    page.get_by_label("What happened", exact=True).fill("a laptop holding your visit details was stolen.")
    page.get_by_label("Information involved").fill("name, date of birth, reason for visit")
    page.get_by_label("What we are doing").fill(f"We now encrypt every laptop ({tag}).")
    page.get_by_label("What they can do").fill("Watch your statements and call us with any question.")
    page.get_by_role("button", name="Queue the letters").click()
    expect(page.locator(".toast")).to_contain_text("2 notice letter(s) queued")
    named = page.locator("#patients tbody tr")
    for person in people:
        expect(named.filter(has_text=person)).not_to_contain_text("Not sent")
    expect(individuals.locator("td").nth(2)).not_to_be_empty()

    # The letters wait in the outbox to be printed, with the practice's wording.
    page.goto(f"/admin/messages/outbox?status=letters&q={people[0].split(',')[0]}")
    letter = page.locator("#outbox tbody tr", has_text="Notice of a breach of your health information")
    expect(letter.first).to_be_visible()
    letter.first.get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text(f"We now encrypt every laptop ({tag}).")

    page.goto("/compliance/binder")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the binder").click()
    assert re.fullmatch(r"compliance-binder-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.zip", download.value.suggested_filename)
    with zipfile.ZipFile(download.value.path()) as binder:
        assert binder.read("summary.pdf").startswith(b"%PDF")
        evidence = {name: binder.read(name).decode("utf-8") for name in binder.namelist() if name.endswith(".csv")}
    ours = [row for row in csv.DictReader(io.StringIO(evidence["incidents.csv"])) if row["title"] == title]
    assert len(ours) == 1
    assert ours[0]["decision"] == "breach" and ours[0]["affected"] == "2" and ours[0]["individuals_notified_on"]
    named = [text for text in evidence.values() for who in (*people, *accounts) if who in text]
    assert named == []  # the binder names no patient
