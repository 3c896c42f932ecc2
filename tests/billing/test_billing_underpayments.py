"""Underpayments (issue 17 item 13): lines a payer allowed less for than the fee schedule's expected amount
(the modifier's entry first, times the units), by payer with the difference; denied lines, secondary claims
and lines paid in full stay off; the claim page flags the line."""
from __future__ import annotations

import re

from billing_setup import database
from medoffice.models import AuditEvent
from remit_setup import claims_from_remittance, make_835

from medoffice_billing import posting, reference, x12
from medoffice_billing.models import ClaimLine, ExpectedAmount, Fee, Payer

RUSHMORE = [
    "CLP*UNDER*1*120*86*10*12*I1", "NM1*QC*1*ALDER*ANN****MI*M1", "SVC*HC:99213*120*86", "DTM*472*20240102",
    "CAS*CO*45*24", "CAS*PR*3*10",
    "CLP*FULL*1*120*100**12*I2", "NM1*QC*1*BIRCH*BEN****MI*M2", "SVC*HC:99213*120*100", "DTM*472*20240102",
    "CAS*CO*45*20",
    "CLP*MODI*1*130*105**12*I3", "NM1*QC*1*CEDAR*CAL****MI*M3", "SVC*HC:99213:25*130*105", "DTM*472*20240102",
    "CAS*CO*45*25",
    "CLP*UNIT*1*30*15**12*I4", "NM1*QC*1*DOGWOOD*DEE****MI*M4", "SVC*HC:36415*30*15**2", "DTM*472*20240102",
    "CAS*CO*45*15",
    "CLP*DENY*4*120*0**12*I5", "NM1*QC*1*ELM*EVE****MI*M5", "SVC*HC:99213*120*0", "DTM*472*20240102",
    "CAS*CO*197*120",
    "CLP*SECO*2*120*50**12*I7", "NM1*QC*1*FIR*FAY****MI*M7", "SVC*HC:99213*120*50", "DTM*472*20240102",
    "CAS*CO*45*20", "CAS*OA*23*50",
]
OTHER = ["CLP*OTH1*1*120*80**12*I6", "NM1*QC*1*GINKGO*GUS****MI*M6", "SVC*HC:99213*120*80", "DTM*472*20240102",
         "CAS*CO*45*40"]


def rows(html: str) -> list[str]:
    """The lines table's body rows, as text."""
    body = html.split('id="underpayments-table"', 1)[1].split("<tbody", 1)[1].split(">", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


def test_underpaid_lines_by_payer_with_the_difference(app, client_as):
    first = make_835(RUSHMORE, total="356", trace="UP1")
    second = make_835(OTHER, total="80", trace="UP2", payer_name="OTHER HEALTH", control="000000902")
    with database(app):
        built = claims_from_remittance(x12.parse_835(first)[0])
        claims_from_remittance(x12.parse_835(second)[0])
        ClaimLine.update(units=2).where(ClaimLine.claim == built[4].id).execute()
        visit, draw = Fee.create(code="99213", charge_cents=12000), Fee.create(code="36415", charge_cents=1500)
        modified = Fee.create(code="99213", modifier="25", charge_cents=13000)
        rushmore, other = Payer.get(Payer.name == "RUSHMORE LIFE"), Payer.get(Payer.name == "OTHER HEALTH")
        for fee, payer, cents in ((visit, rushmore, 10000), (modified, rushmore, 11000), (draw, rushmore, 1000),
                                  (visit, other, 9000)):
            ExpectedAmount.create(fee=fee, payer=payer, allowed_cents=cents)
    with app.test_request_context():
        posting.import_835(first, "up1.835")
        posting.import_835(second, "up2.835")
    biller = client_as("billing")
    recent = biller.get("/billing/underpayments", follow_redirects=True).get_data(as_text=True)
    assert "No line was paid below" in recent  # the answers are of 2024: older than the last 365 days
    page = biller.get("/billing/underpayments?days=3650", follow_redirects=True).get_data(as_text=True)
    shown = rows(page)
    assert [r.split()[0] for r in shown] == ["OTH1", "MODI", "UNIT", "UNDER"] or \
        [r.split()[0] for r in shown] == ["OTH1", "UNIT", "MODI", "UNDER"]
    assert "1 · 99213 OTHER HEALTH" not in page
    by_number = {r.split()[0]: r for r in shown}
    assert "OTHER HEALTH" in by_number["OTH1"] and "$90.00 $80.00 $80.00 $10.00" in by_number["OTH1"]
    assert "1 · 99213-25" in by_number["MODI"] and "$110.00 $105.00 $105.00 $5.00" in by_number["MODI"]
    assert "1 · 36415 × 2" in by_number["UNIT"] and "$20.00 $15.00 $15.00 $5.00" in by_number["UNIT"]
    assert "$100.00 $96.00 $86.00 $4.00" in by_number["UNDER"]
    totals = page.split("By payer", 1)[1].split("</table>", 1)[0]
    assert re.search(r"OTHER HEALTH</a></td><td class=\"num\">1</td><td class=\"num\">\$10.00", totals)
    assert re.search(r"RUSHMORE LIFE</a></td><td class=\"num\">3</td><td class=\"num\">\$14.00", totals)
    only = rows(biller.get(f"/billing/underpayments?days=3650&payer={rushmore.id}&sort=difference&desc=1")
                .get_data(as_text=True))
    assert {r.split()[0] for r in only} == {"MODI", "UNIT", "UNDER"}
    for key in ("claim", "patient", "payer", "service_date", "line", "expected", "allowed", "paid", "answered"):
        assert len(rows(biller.get(f"/billing/underpayments?days=3650&sort={key}").get_data(as_text=True))) == 4
    assert len(rows(biller.get("/billing/underpayments?days=3650&sort=difference&q=Alder").get_data(as_text=True))) == 1
    assert biller.get("/billing/underpayments?days=0&sort=difference").status_code == 400
    claim_page = biller.get(f"/billing/claims/{built[1].id}").get_data(as_text=True)
    assert "Underpaid by $4.00" in claim_page and "expected $100.00" in claim_page
    assert "Underpaid by" not in biller.get(f"/billing/claims/{built[2].id}").get_data(as_text=True)
    with database(app):
        listed = AuditEvent.select().where(AuditEvent.action == "billing.underpayments.list").order_by(
            AuditEvent.id.desc()).get()
        assert str(built[1].patient_id) in listed.detail


def test_the_kept_list_follows_fee_edits_and_reversals(app, client_as):
    """The list is kept by posting and by fee edits: raising what a payer is expected to allow puts a line on
    it, lowering takes it off, and an 835 reversing the claim takes its line off."""
    first = make_835(RUSHMORE[:11], total="186", trace="UPK1")
    reversal = make_835(["CLP*UNDER*22*-120*-86*-10*12*I1", "NM1*QC*1*ALDER*ANN****MI*M1",
                         "SVC*HC:99213*-120*-86", "DTM*472*20240102", "CAS*CO*45*-24", "CAS*PR*3*-10"],
                        total="-86", trace="UPK2", control="000000903")
    with database(app):
        claims_from_remittance(x12.parse_835(first)[0])
        visit = Fee.create(code="99213", charge_cents=12000)
        rushmore = Payer.get(Payer.name == "RUSHMORE LIFE")
        ExpectedAmount.create(fee=visit, payer=rushmore, allowed_cents=10000)
    with app.test_request_context():
        posting.import_835(first, "upk1.835")
    biller = client_as("billing")

    def listed() -> list[str]:
        page = biller.get("/billing/underpayments?days=3650&sort=claim").get_data(as_text=True)
        return [] if "No line was paid below" in page else [r.split()[0] for r in rows(page)]

    assert listed() == ["UNDER"]  # allowed $96 of $100; FULL was allowed $100
    with app.test_request_context():
        reference.save_fee({"code": "99213", "modifier": "", "charge_cents": 12000, "description": ""},
                           {rushmore.id: 10500}, Fee.get_by_id(visit.id))
    assert listed() == ["FULL", "UNDER"]
    with app.test_request_context():
        reference.save_fee({"code": "99213", "modifier": "", "charge_cents": 12000, "description": ""},
                           {rushmore.id: 9000}, Fee.get_by_id(visit.id))
    assert listed() == []
    with app.test_request_context():
        reference.save_fee({"code": "99213", "modifier": "", "charge_cents": 12000, "description": ""},
                           {rushmore.id: 10000}, Fee.get_by_id(visit.id))
        posting.import_835(reversal, "upk2.835")
    assert listed() == []


def test_the_page_is_kept_until_a_line_its_claim_payer_or_patient_changes(app, client_as):
    """The Underpayments page is kept per process (billing.underpayments with core.patients): an unchanged view
    reads no underpaid line, and a change by plain SQL, as another process would write it, shows on the next
    view: in the row and in the totals by payer."""
    from medoffice.db import db
    from medoffice.testing import page_queries

    era = make_835(RUSHMORE[:6], total="86", trace="UPK3")
    with database(app):
        under = claims_from_remittance(x12.parse_835(era)[0])[1]
        visit = Fee.create(code="99213", charge_cents=12000)
        rushmore = Payer.get(Payer.name == "RUSHMORE LIFE")
        ExpectedAmount.create(fee=visit, payer=rushmore, allowed_cents=10000)
    with app.test_request_context():
        posting.import_835(era, "upk3.835")
    biller = client_as("billing")
    url = "/billing/underpayments?days=3650&sort=claim"
    assert "$4.00" in biller.get(url).get_data(as_text=True)
    assert not [sql for sql in page_queries(biller, url) if "billing_underpaid_line" in sql]

    def change(sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return biller.get(url).get_data(as_text=True)

    shorter = change("UPDATE billing_underpaid_line SET difference_cents = ?", 777)
    assert "$7.77" in rows(shorter)[0] and "$7.77" in shorter.split("By payer", 1)[1].split("</table>", 1)[0]
    assert "UNDR" in change("UPDATE billing_claim SET claim_number = ? WHERE id = ?", "UNDR", under.id)
    assert "Zenith Mutual" in change("UPDATE billing_payer SET name = ? WHERE id = ?", "Zenith Mutual", rushmore.id)
    assert "Quince, " in change("UPDATE core_patient SET last_name = ? WHERE id = ?", "Quince", under.patient_id)
