"""An 835 claim payment that matched no claim offers the claims it may pay, ranked by member ID, date of
service and charge, each posted to in one click through the audited matching path (issue 17 item 11)."""
from __future__ import annotations

import re

from accounts_setup import days_ago, insured_visit, new_patient
from billing_setup import database, practice
from medoffice.models import AuditEvent
from remit_setup import make_835

from medoffice_billing import posting
from medoffice_billing.models import Claim, RemitClaim


def candidate_rows(html: str) -> list[str]:
    """The candidate table's rows (claim number first), as text."""
    table = html.split("Claims it may pay, best first", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


def test_ranked_candidates_and_a_one_click_match(app, client_as):
    with database(app):
        records = practice()
        day, other_day = days_ago(10), days_ago(30)
        target = insured_visit(records, day)
        twin = insured_visit(records, day)  # same member, day and charge: the import cannot choose
        earlier = insured_visit(records, other_day)  # same member and charge, another day
        stranger = new_patient(last="Okafor")
        same_day = insured_visit(records, day, patient=stranger)  # another member, same day and charge
        insured_visit(records, other_day, patient=new_patient(last="Lindqvist"))  # only the charge fits
        insured_visit(records, day, codes=("36415",), patient=new_patient(last="Ng"))  # only the day fits
    when = day.strftime("%Y%m%d")
    era = make_835([f"CLP*WRONG1*1*120*96**12*ICN1", "NM1*QC*1*DIAZ*ROSA****MI*M123456",
                    "SVC*HC:99213*120*96", f"DTM*472*{when}", "CAS*CO*45*24"],
                   total="96", trace="CAND1", payer_name="ACME HEALTH", payer_id="ACME1")
    with app.test_request_context():
        posting.import_835(era, "candidates.835")
    with database(app):
        entry = RemitClaim.get(RemitClaim.queue == "exception")
        assert "fits 2 claims" in entry.problem
    poster = client_as("billing")
    page = poster.get("/billing/remittances/exceptions").get_data(as_text=True)
    found = candidate_rows(page)
    numbers = [row.split()[0] for row in found]
    assert numbers == [twin.claim_number, target.claim_number, earlier.claim_number, same_day.claim_number]
    assert "member ID, date of service, charge, last name" in found[0]
    assert "member ID, charge, last name" in found[2]
    assert found[3].endswith("date of service, charge Post to this claim")
    with database(app):
        read = AuditEvent.select().where(AuditEvent.action == "billing.exceptions.view").order_by(
            AuditEvent.id.desc()).get()
        assert f"{stranger.id}" in read.detail and f"{records['patient'].id}" in read.detail
    posted = poster.post(f"/billing/remittances/exceptions/{entry.id}/match",
                         data={"claim_number": target.claim_number})
    assert posted.status_code == 302
    with database(app):
        entry = RemitClaim.get_by_id(entry.id)
        assert (entry.claim_id, entry.matched_by, entry.queue) == (target.id, "manual", "")
        assert Claim.get_by_id(target.id).status == "paid" and Claim.get_by_id(twin.id).status == "submitted"
        assert AuditEvent.select().where((AuditEvent.action == "billing.remit.exception.match")
                                         & (AuditEvent.patient_id == target.patient_id)).count() == 1
    assert "No claim payment is waiting." in poster.get("/billing/remittances/exceptions").get_data(as_text=True)


def test_no_candidate_is_said_plainly(app, client_as):
    with database(app):
        practice()
    era = make_835(["CLP*NOPE*1*10*10**12*P", "NM1*QC*1*ROE*JO****MI*ZZ9", "SVC*HC:99211*10*10",
                    "DTM*472*20240102"], total="10", trace="CAND2", payer_name="ACME HEALTH", payer_id="ACME1")
    with app.test_request_context():
        posting.import_835(era, "none.835")
    page = client_as("billing").get("/billing/remittances/exceptions").get_data(as_text=True)
    assert "No claim of this payer shares its member ID, or its date of service and charge." in page
