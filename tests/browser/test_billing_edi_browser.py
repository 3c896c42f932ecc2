"""837P out and 835 in through the browser: export and download claims, then post the payer's answer."""
from __future__ import annotations

from medoffice.money import format_cents, parse_cents
from medoffice_billing.x12.segments import tokenize
from playwright.sync_api import expect


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
