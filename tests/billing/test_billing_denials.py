"""The denials worklist (issue 17 item 8): a line per denial with the payer's reasons in words, without the
routine CO-45 and PR amounts; every claim in the denied state is on it, the Worklists "Denied" tab and the
Today count name the same claims; filters by payer, reason and age; a denial is marked worked on its claim."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from accounts_setup import days_ago, insured_visit
from billing_setup import database, practice
from medoffice.localtime import day_start_utc
from medoffice.models import AuditEvent
from medoffice.testing import practice_today
from remit_setup import claims_from_remittance, make_835

from medoffice_billing import claims, denials, posting, x12
from medoffice_billing.models import Claim, DenialLine, Encounter, LineTransaction, Payer, RemitClaim

DENIED = ["CLP*DENA*4*135*0**12*ICNA", "NM1*QC*1*ALDER*ANN****MI*MA1",
          "SVC*HC:99213*120*0", "DTM*472*20240102", "CAS*CO*197*120", "LQ*HE*N14",
          "SVC*HC:36415*15*0", "DTM*472*20240102", "CAS*CO*16*15", "LQ*HE*M51"]
PARTLY = ["CLP*PART*1*135*86*10*12*ICNB", "NM1*QC*1*BIRCH*BEN****MI*MB1",
          "SVC*HC:99213*120*86", "DTM*472*20240102", "CAS*CO*45*24", "CAS*PR*3*10",
          "SVC*HC:36415*15*0", "DTM*472*20240102", "CAS*CO*97*15"]
PAID = ["CLP*PAID*1*120*96**12*ICNC", "NM1*QC*1*CEDAR*CAL****MI*MC1",
        "SVC*HC:99213*120*96", "DTM*472*20240102", "CAS*CO*45*24"]


def rows(html: str) -> list[str]:
    """The table's body rows, tags stripped to their text (cells joined by |)."""
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return [re.sub(r"\s*\|\s*", " | ", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "|".join(row.split("</td>")))))
            .strip(" |") for row in body.split("</tr>") if "<td" in row]


def claim_numbers(html: str) -> set[str]:
    return set(re.findall(r">(DENA|PART|PAID|C\d+)</a>", html))


@pytest.fixture
def denied_claims(app):
    """DENA denied (CO-197 and CO-16 lines), PART paid but for a bundled line (CO-97; CO-45 and PR-3 on the
    paid line), PAID paid with CO-45 only, and the practice's own claim recorded as denied by hand."""
    era = make_835(DENIED + PARTLY + PAID, total="182", trace="DEN1")
    with database(app):
        records = practice()
        built = claims_from_remittance(x12.parse_835(era)[0])
        by_hand = insured_visit(records, days_ago(20))
        claims.transition(by_hand, "denied", "The payer's phone line: not a covered benefit")
    with app.test_request_context():
        posting.import_835(era, "denials.835")
    with database(app):
        assert [Claim.get_by_id(c.id).status for c in built.values()] == ["denied", "partially_paid", "paid"]
        return {"DENA": built[1], "PART": built[2], "PAID": built[3], "hand": Claim.get_by_id(by_hand.id),
                "acme": records["payer"]}


def test_each_denied_line_with_its_reasons_in_words_and_no_routine_lines(app, client_as, denied_claims):
    biller = client_as("billing")
    page = biller.get("/billing/denials").get_data(as_text=True)
    shown = rows(page)
    hand = denied_claims["hand"].claim_number
    assert len(shown) == 4, shown
    assert any("DENA" in r and "1 · 99213" in r and "197 Prior authorization or precertification was missing" in r
               and "N14 Paid under a contract" in r and "$120.00" in r for r in shown)
    assert any("DENA" in r and "2 · 36415" in r and "16 Claim is missing information" in r
               and "M51 Procedure code is missing" in r and "$15.00" in r for r in shown)
    assert any("PART" in r and "2 · 36415" in r and "97 Paid as part of another service" in r and "$15.00" in r
               for r in shown)
    assert any(hand in r and "Whole claim" in r and "$120.00" in r for r in shown)  # denied by hand, no 835
    assert "PAID" not in claim_numbers(page) and not any(" 45 " in f" {r} " or "Copay" in r for r in shown)
    assert "3 claims" in page
    # The reason filter offers the denied lines' reasons, not the routine ones.
    offered = re.findall(r'<option value="(\w+)"', page.split('id="dn-reason"', 1)[1].split("</select>", 1)[0])
    assert offered == ["16", "197", "97"], offered
    # The Worklists "Denied" tab and the Today count name the same claims.
    tab = biller.get("/billing/worklists?tab=denied").get_data(as_text=True)
    assert claim_numbers(tab) == claim_numbers(page) == {"DENA", "PART", hand}
    # a page past the end is counted (from the kept rows: DENA's two denied lines are one claim) and shows the last
    past_end = biller.get("/billing/worklists?tab=denied&page=2").get_data(as_text=True)
    assert "3 claims" in past_end and claim_numbers(past_end) == claim_numbers(tab)
    with app.test_request_context(), database(app):
        assert {i.title: i.count for i in posting.work_items()}["Denied claims to work"] == 3
        listed = AuditEvent.select().where(AuditEvent.action == "billing.denials.list").order_by(AuditEvent.id.desc()).get()
        assert {denied_claims[k].patient_id for k in ("DENA", "PART", "hand")} <= set(
            map(int, re.findall(r"\d+", listed.detail.split('"patients":')[1].split("]")[0])))



def test_the_claim_count_stops_where_the_lists_do(app, client_as, denied_claims, monkeypatch):
    from medoffice_billing.views import denials as view
    monkeypatch.setattr(view, "COUNT_AHEAD", 2)  # three claims are on the worklist: counted to 3, shown as "2+"
    assert '<small class="muted">2+ claims</small>' in client_as("billing").get("/billing/denials").get_data(as_text=True)
    with database(app):
        assert denials.claim_count_upto(2) == 2 and denials.claim_count_upto(10) == 3
    monkeypatch.setattr(posting, "TODAY_COUNT_LIMIT", 2)  # Today counts as far as it shows: "2+"
    with database(app), app.test_request_context():
        (item,) = [i for i in posting.work_items() if i.title == "Denied claims to work"]
    assert (item.count, item.count_is_floor) == (2, True)

def test_filters_by_payer_reason_and_age_and_every_sort(app, client_as, denied_claims):
    with database(app):
        old = day_start_utc(practice_today() - dt.timedelta(days=40)) + dt.timedelta(hours=12)
        LineTransaction.update(posted_at=old).where(LineTransaction.claim == denied_claims["DENA"].id).execute()
        denials.refresh_claims([denied_claims["DENA"].id])  # kept as an 835 posted 40 days ago would have left it
        rushmore = Payer.get(Payer.name == "RUSHMORE LIFE").id
    biller = client_as("billing")
    hand = denied_claims["hand"].claim_number
    by_payer = biller.get(f"/billing/denials?payer={denied_claims['acme'].id}").get_data(as_text=True)
    assert claim_numbers(by_payer) == {hand}
    assert claim_numbers(biller.get(f"/billing/denials?payer={rushmore}").get_data(as_text=True)) == {"DENA", "PART"}
    by_reason = rows(biller.get("/billing/denials?reason=197").get_data(as_text=True))
    assert len(by_reason) == 1 and "DENA" in by_reason[0] and "99213" in by_reason[0]
    aged = rows(biller.get("/billing/denials?age=30").get_data(as_text=True))
    assert len(aged) == 2 and all("DENA" in r and "| 40" in r for r in aged)
    both = rows(biller.get(f"/billing/denials?age=30&reason=16&payer={rushmore}").get_data(as_text=True))
    assert len(both) == 1 and "36415" in both[0]
    assert biller.get("/billing/denials?reason=1;DROP").status_code == 400
    assert biller.get("/billing/denials?age=0").status_code == 400
    for key in ("claim", "patient", "payer", "service_date", "line", "group", "carc", "amount", "age"):
        for desc in ("", "&desc=1"):
            page = biller.get(f"/billing/denials?sort={key}{desc}").get_data(as_text=True)
            assert len(rows(page)) == 4, (key, desc)
    first = rows(biller.get("/billing/denials?sort=amount&desc=1").get_data(as_text=True))[0]
    assert "$120.00" in first
    assert rows(biller.get("/billing/denials?sort=age").get_data(as_text=True))[0].count("DENA")  # oldest first
    searched = rows(biller.get("/billing/denials?q=Birch").get_data(as_text=True))
    assert len(searched) == 1 and "PART" in searched[0]


def test_a_denial_is_marked_worked_on_its_claim_and_a_denied_claim_stays_until_it_moves_on(app, client_as,
                                                                                          denied_claims):
    biller = client_as("billing")
    part = denied_claims["PART"]
    page = biller.get(f"/billing/claims/{part.id}").get_data(as_text=True)
    assert "Denial to work" in page and "CO-97" in page and "Mark the denial worked" in page
    with database(app):
        entry = RemitClaim.get((RemitClaim.claim == part.id) & (RemitClaim.queue == "denial"))
    refused = biller.post(f"/billing/denials/{entry.id}/close", data={"reason": "  "})
    assert refused.status_code == 422 and "Say why: what was done about it." in refused.get_data(as_text=True)
    done = biller.post(f"/billing/denials/{entry.id}/close", data={"reason": "Appealed with the operative note."})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/billing/claims/{part.id}")
    assert "Denial to work" not in biller.get(f"/billing/claims/{part.id}").get_data(as_text=True)
    page = biller.get("/billing/denials").get_data(as_text=True)
    assert claim_numbers(page) == {"DENA", denied_claims["hand"].claim_number} and "2 claims" in page
    # A claim in the denied state stays after its denial is marked worked, until it is appealed or closed.
    dena = denied_claims["DENA"]
    with database(app):
        entry = RemitClaim.get((RemitClaim.claim == dena.id) & (RemitClaim.queue == "denial"))
    assert biller.post(f"/billing/denials/{entry.id}/close", data={"reason": "Asked for the authorization."}
                       ).status_code == 302
    assert "DENA" in claim_numbers(biller.get("/billing/denials").get_data(as_text=True))
    assert biller.post(f"/billing/claims/{dena.id}/status", data={"to_status": "appealed",
                                                                   "reason": "Appeal with authorization"}
                       ).status_code == 302
    assert claim_numbers(biller.get("/billing/denials").get_data(as_text=True)) == {denied_claims["hand"].claim_number}
    assert client_as("front_desk").post(f"/billing/denials/{entry.id}/close", data={"reason": "x"}).status_code == 403


def _kept_rows_agree_with_the_claims() -> bool:
    """The kept worklist rows are what computing them afresh from the claims, ledger and queue gives."""
    columns = (DenialLine.claim, DenialLine.entry_id, DenialLine.carc, DenialLine.denied_at, DenialLine.service_date)
    kept = sorted(DenialLine.select(*columns).tuples())
    denials.rebuild()
    return kept == sorted(DenialLine.select(*columns).tuples())


def test_a_reversing_835_takes_the_denied_lines_off_and_the_kept_rows_stay_true(app, client_as, denied_claims):
    """The page reads kept rows: an 835 reversing DENA's denial and paying it takes its lines off, and every
    writer on the way (posting, reversal, moves) left the kept rows equal to a fresh computation."""
    reversal = make_835(["CLP*DENA*22*-135*0**12*ICNA", "NM1*QC*1*ALDER*ANN****MI*MA1",
                         "SVC*HC:99213*-120*0", "DTM*472*20240102", "CAS*CO*197*-120",
                         "SVC*HC:36415*-15*0", "DTM*472*20240102", "CAS*CO*16*-15",
                         "CLP*DENA*1*135*108**12*ICNA", "NM1*QC*1*ALDER*ANN****MI*MA1",
                         "SVC*HC:99213*120*96", "DTM*472*20240102", "CAS*CO*45*24",
                         "SVC*HC:36415*15*12", "DTM*472*20240102", "CAS*CO*45*3"],
                        total="108", trace="DEN2", control="000000904")
    biller = client_as("billing")
    before = rows(biller.get("/billing/denials?sort=claim").get_data(as_text=True))
    assert sum("DENA" in row for row in before) == 2
    with app.test_request_context():
        posting.import_835(reversal, "denials-reversed.835")
    after = rows(biller.get("/billing/denials?sort=claim").get_data(as_text=True))
    assert not any("DENA" in row for row in after) and any("PART" in row for row in after)
    assert "CO-197" not in biller.get("/billing/denials").get_data(as_text=True)
    with database(app):
        assert Claim.get_by_id(denied_claims["DENA"].id).status == "paid"
        assert _kept_rows_agree_with_the_claims()


def test_a_rebilled_open_claim_carries_its_new_date_of_service_in_its_kept_row(app, denied_claims):
    """A claim back in draft with its denial still waiting stays on the worklist; rebilled after its encounter's
    date of service changed, its kept row carries the new date (the Denied tab pages by it), as a fresh
    computation would."""
    dena = denied_claims["DENA"]
    with database(app):
        for status in ("accepted", "rejected", "draft"):
            claims.transition(Claim.get_by_id(dena.id), status, "The clearinghouse rejected the resubmission")
        claim = Claim.get_by_id(dena.id)
        assert claim.status == "draft" and claim.id in {c for (c,) in denials.kept_claim_ids().tuples()}
        moved = claim.service_date - dt.timedelta(days=3)
        Encounter.update(service_date=moved).where(Encounter.id == claim.encounter_id).execute()
        claims.refresh_open_claims(Encounter.get_by_id(claim.encounter_id))
        assert Claim.get_by_id(claim.id).service_date == moved
        kept = DenialLine.select(DenialLine.service_date).where((DenialLine.claim == claim.id)
                                                                 & denials.kept_claim_rows())
        assert [day for (day,) in kept.tuples()] == [moved]
        assert _kept_rows_agree_with_the_claims()


def test_the_page_is_kept_until_a_denied_line_its_claim_entry_payer_or_patient_changes(app, client_as,
                                                                                      denied_claims):
    """The Denials page is kept per process (billing.denials with core.patients): an unchanged view reads no
    denial row, and a change by plain SQL to any table it shows, as another process would write it, shows on the
    next view."""
    from medoffice.db import db
    from medoffice.testing import page_queries

    biller = client_as("billing")
    url = "/billing/denials?sort=claim"
    assert len(rows(biller.get(url).get_data(as_text=True))) == 4
    assert not [sql for sql in page_queries(biller, url) if "billing_denial_line" in sql]
    dena = denied_claims["DENA"]

    def change(sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return biller.get(url).get_data(as_text=True)

    assert "DENZ" in change("UPDATE billing_claim SET claim_number = ? WHERE id = ?", "DENZ", dena.id)
    assert "1 · 99214" in change("UPDATE billing_claim_line SET code = ? WHERE claim_id = ? AND line_number = 1",
                                 "99214", dena.id)
    assert "$99.00" in change("UPDATE billing_line_transaction SET amount_cents = ? WHERE carc = ?", -9900, "197")
    assert "Zenith Mutual" in change("UPDATE billing_payer SET name = ? WHERE id = ?", "Zenith Mutual", dena.payer_id)
    assert "Quince, " in change("UPDATE core_patient SET last_name = ? WHERE id = ?", "Quince", dena.patient_id)
    reasons = change("UPDATE billing_denial_line SET carc = ? WHERE claim_id = ?", "B7", dena.id).split(
        'id="dn-reason"')[1].split("</select>")[0]  # the filter offers the reasons the lines now give
    assert '<option value="B7" >B7 ' in reasons
    assert len(rows(change("DELETE FROM billing_denial_line WHERE claim_id = ?", dena.id))) == 2
