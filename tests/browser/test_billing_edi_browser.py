"""837P out and 835 in through the browser: export and download claims, then post the payer's answer; and
the clearinghouse over SFTP: an eligibility question sent by a sync, its 999 acknowledgment and 271 answer
fetched by the next one, the answer shown at the desk."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from medoffice.money import format_cents, parse_cents
from medoffice_billing.sftp import fingerprint
from medoffice_billing.x12.segments import tokenize
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "billing"))  # the billing tests' SFTP server and samples
from ack_samples import ack_999, answer_271  # noqa: E402
from sftp_server import SftpServer  # noqa: E402


def _claims_in_837(text: str) -> tuple[str, list[dict]]:
    """The payer name and, per claim, its number, charge and lines (code, charge, REF*6R id) from an 837P."""
    segments, _ = tokenize(text)
    payer, claims = "", []
    for seg in segments:
        if seg[0] == "NM1" and seg[1] == "PR" and not payer:
            payer = seg[3]
        elif seg[0] == "CLM":
            claims.append({"number": seg[1], "charge": seg[2], "lines": []})
        elif seg[0] == "SV1":
            claims[-1]["lines"].append({"code": seg[1].split(":")[1], "charge": seg[2], "units": seg[4] or "1"})
        elif seg[0] == "DTP" and seg[1] == "472" and claims and claims[-1]["lines"]:
            claims[-1]["lines"][-1]["date"] = seg[3].split("-")[0]
        elif seg[0] == "REF" and seg[1] == "6R" and claims and claims[-1]["lines"]:
            claims[-1]["lines"][-1]["control"] = seg[2]
    return payer, claims


def _paid_in_full_835(payer: str, claim: dict, trace: str) -> str:
    """An 835 paying one claim in full, line by line (balanced, envelope counted)."""
    body = [
        "ST*835*0001", f"BPR*I*{claim['charge']}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20261120",
        f"TRN*1*{trace}*1512345678", "DTM*405*20261119", f"N1*PR*{payer}", "N3*1 PAYER WAY", "N4*DAYTON*OH*45402",
        "PER*BL*PROVIDER SERVICES*TE*8005551212", "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893", "LX*1",
        f"CLP*{claim['number']}*1*{claim['charge']}*{claim['charge']}*0*12*PAYER{trace}",
    ]
    for line in claim["lines"]:
        body += [f"SVC*HC:{line['code']}*{line['charge']}*{line['charge']}**{line['units']}",
                 f"DTM*472*{line['date']}", f"REF*6R*{line['control']}"]
    body.append(f"SE*{len(body) + 1}*0001")
    isa = ("ISA*00*          *00*          *ZZ*PAYERSENDER    *ZZ*RIVERSIDE      *261120*1200*^*00501*000004711*0*P*:")
    return "~".join([isa, "GS*HP*PAYERSENDER*RIVERSIDE*20261120*1200*4711*X*005010X221A1", *body,
                     "GE*1*4711", "IEA*1*000004711"]) + "~"


def test_export_837_download_then_post_835_with_posting_report(admin_page, tmp_path):
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Send claims").click()
    expect(page.locator("main h1")).to_have_text("Send claims")
    page.get_by_role("button", name="Create the 837P file").click()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    text = open(download_info.value.path(), encoding="ascii").read()
    assert text.startswith("ISA*") and "005010X222A1" in text and "~" in text
    payer, claims = _claims_in_837(text)
    assert claims and all(c["lines"] for c in claims)

    era = tmp_path / "payment.835"
    era.write_text(_paid_in_full_835(payer, claims[0], "BROWSER0001"), encoding="ascii")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Remittances").click()
    page.locator("input[type=file]").set_input_files(str(era))
    page.get_by_role("button", name="Check and post").click()
    page.get_by_role("link", name="See the result").click(timeout=60000)
    expect(page.get_by_role("heading", name="Posting report")).to_be_visible()
    report = page.locator("main")
    expect(report).to_contain_text(claims[0]["number"])
    expect(report.locator("dl.facts")).to_contain_text(format_cents(parse_cents(claims[0]["charge"])))

    # The same file again posts nothing and says so.
    page.goto("/billing/remittances")
    page.locator("input[type=file]").set_input_files(str(era))
    page.get_by_role("button", name="Check and post").click()
    expect(page.locator("main")).to_contain_text("Nothing was posted: this file", timeout=60000)


def _ask_about_eligibility(page) -> str:
    """Press *Check eligibility* on the first patient's insurance that can be asked about (a payer with an
    electronic id); returns that patient's insurance page."""
    page.goto("/patients")
    links = page.locator("table tbody a[href^='/patients/']")
    expect(links.first).to_be_visible()
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        page.goto(f"/billing{href}/insurance")
        ask = page.get_by_role("button", name="Check eligibility")
        if not ask.count():
            continue
        ask.first.click()
        expect(page.locator(".toast")).to_be_visible()  # answered: asked, or "no policy could be asked about"
        if page.locator(".eligibility", has_text="a question is waiting for the payer's answer").count():
            return page.url
    raise AssertionError("no demo patient on the first page has a policy that can be asked about")


def test_a_clearinghouse_sync_brings_an_acknowledgment_and_an_eligibility_answer_to_the_desk(admin_page, tmp_path):
    page = admin_page
    root = tmp_path / "clearinghouse"
    for folder in ("outbound", "inbound"):
        (root / folder).mkdir(parents=True)
    with SftpServer(root) as server:
        insurance_url = _ask_about_eligibility(page)

        page.goto("/billing/clearinghouse")
        page.get_by_label("Server", exact=True).fill("127.0.0.1")
        page.get_by_label("Port", exact=True).fill(str(server.port))
        page.get_by_label("User name", exact=True).fill(server.username)
        page.get_by_label("Password or private key").fill(server.password)
        page.get_by_role("button", name="Save the connection").click()
        expect(page.locator(".toast")).to_contain_text("Saved the clearinghouse connection.")
        # Nothing is exchanged before the manager compares the server's key with the clearinghouse's.
        page.get_by_role("button", name="Ask the server for its host key").click()
        expect(page.locator("#host-key-offered code")).to_have_text(fingerprint(server.host_key_line))
        page.get_by_role("button", name="It matches: confirm this key").click()
        expect(page.locator(".toast")).to_contain_text("host key is confirmed")

        page.get_by_role("button", name="Sync now").click()
        expect(page.locator(".toast")).to_contain_text(re.compile(r"Sent [1-9]\d* file\(s\); fetched 0"))
        inquiries = sorted((root / "outbound").glob("270-*.x12"))
        assert len(inquiries) == 1
        segments, _ = tokenize(inquiries[0].read_text(encoding="ascii"))
        group = int(next(seg[6] for seg in segments if seg[0] == "GS"))
        trace = next(seg[2] for seg in segments if seg[0] == "TRN" and seg[1] == "1")

        # The clearinghouse answers: a 999 accepting the 270 group and the payer's 271.
        (root / "inbound" / "ack-270.999").write_text(
            ack_999(group, functional_id="HS", version="005010X279A1"), encoding="ascii")
        (root / "inbound" / "answer.271").write_text(answer_271(trace), encoding="ascii")
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator(".toast")).to_contain_text("fetched 2: 2 imported, 0 seen before, 0 refused.")
        files = page.locator("#files-table tbody")
        expect(files.locator("tr", has_text="ack-270.999")).to_contain_text("999")
        expect(files.locator("tr", has_text="answer.271")).to_contain_text("271")
        ack = page.locator("#acks-table tbody tr").first
        expect(ack).to_contain_text("999")
        expect(ack.locator(".chip")).to_have_class(re.compile(r"\bchip-accepted\b"))

    # The answer is kept on the policy and shown at the desk when the patient pays.
    page.goto(insurance_url)
    expect(page.get_by_role("region", name="Eligibility", exact=True)).to_contain_text("GOLD PPO 500")
    page.goto(re.sub(r"^.*/billing(/patients/\d+)/insurance$", r"\1", insurance_url))
    page.get_by_role("link", name="Take a payment").click()
    expect(page.locator("main h1")).to_contain_text("Take a payment")
    answer = page.get_by_role("region", name="Insurance eligibility").locator(".eligibility", has_text="GOLD PPO 500")
    expect(answer.locator(".chip")).to_have_text("Active")
    expect(answer).to_contain_text("Deductible: $1,500.00, $400.00 remaining")
    expect(answer).not_to_contain_text("a question is waiting")
