"""Working claim lists in bulk (issue 17 item 16): mark ready, hold and assign the selected claims (each
through its own rules, refusals reported), saved filters per user, and CSV export of any list through
core's CSV writer."""
from __future__ import annotations

import csv
import datetime as dt
import io

from accounts_setup import new_patient
from billing_setup import database, encounter_with_charges, practice
from medoffice.models import User
from medoffice.testing import csrf_token, login

from medoffice_billing import claims
from medoffice_billing.models import Claim, ClaimEvent, Coverage, Encounter, SavedFilter


def two_drafts():
    """Two draft claims: the first passes the scrubber, the second lacks its rendering provider."""
    records = practice()
    good = claims.create_claim(encounter_with_charges(records))
    second = new_patient(last="=HYPERLINK(1)")
    Coverage.create(patient_id=second.id, payer=records["payer"], rank=1, member_id="M999",
                    effective_date=dt.date(2000, 1, 1))
    other = encounter_with_charges(dict(records, patient=second))
    Encounter.update(rendering_provider_id=None).where(Encounter.id == other.id).execute()
    bad = claims.create_claim(Encounter.get_by_id(other.id))
    return good, bad


def test_bulk_actions_each_claim_by_its_own_rules(app, client_as):
    with database(app):
        good, bad = two_drafts()
    biller = client_as("billing")
    page = biller.get("/billing/claims?status=open&sort=service_date").get_data(as_text=True)
    assert 'form="bulk-form"' in page and "With the selected claims" in page
    # the form carries the view back (kept per view, the session's CSRF token put in)
    bulk = biller.get("/billing/claims?status=denied&sort=payer&desc=1").get_data(as_text=True).split(
        'id="bulk-form"')[1].split("</form>")[0]
    assert all(f'name="{k}" value="{v}"' in bulk for k, v in (("status", "denied"), ("sort", "payer"), ("desc", "1")))
    # the session's token (its first part: the rest is a timestamp and signature, minted anew each second)
    assert 'name="status" value="open"' not in bulk and f'value="{csrf_token(biller).split(".")[0]}.' in bulk
    ready = biller.post("/billing/claims/bulk", data={"action": "ready", "claim_id": [good.id, bad.id],
                                                      "status": "open"})
    assert ready.status_code == 302 and "status=open" in ready.headers["Location"]
    with database(app):
        assert Claim.get_by_id(good.id).status == "ready" and Claim.get_by_id(bad.id).status == "draft"
    shown = biller.get(ready.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "1 claim marked ready." in shown and f"Not changed: {bad.claim_number}: " in shown
    refused = biller.post("/billing/claims/bulk", data={"action": "hold", "claim_id": [good.id, bad.id]})
    assert "Say why the claims are held." in biller.get(refused.headers["Location"], follow_redirects=True).get_data(as_text=True)
    with database(app):
        assert not Claim.get_by_id(good.id).on_hold
    biller.post("/billing/claims/bulk", data={"action": "hold", "reason": "Waiting for notes",
                                              "claim_id": [good.id, bad.id]})
    with database(app):
        held = {c.id: (c.on_hold, c.hold_reason, c.status) for c in Claim.select()}
        assert held == {good.id: (True, "Waiting for notes", "draft"), bad.id: (True, "Waiting for notes", "draft")}
        someone = User.get(User.username.startswith("user"))
    biller.post("/billing/claims/bulk", data={"action": "assign", "user_id": someone.id, "claim_id": [good.id]})
    with database(app):
        assert Claim.get_by_id(good.id).assigned_user_id == someone.id
        assert ClaimEvent.select().where((ClaimEvent.claim == good.id)
                                         & (ClaimEvent.action.in_(("hold", "assigned")))).count() == 2
    nothing = biller.post("/billing/claims/bulk", data={"action": "ready"})
    assert "Select the claims first." in biller.get(nothing.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert client_as("auditor").post("/billing/claims/bulk", data={"action": "ready",
                                                                   "claim_id": [good.id]}).status_code == 403


def test_saved_filters_are_each_users_own(app, client_as):
    biller = client_as("billing")
    saved = biller.post("/billing/saved-filters", data={"page": "claims", "name": "Held claims",
                                                        "query": "status=held&sort=service_date&page=3"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/billing/claims?status=held&sort=service_date")
    page = biller.get("/billing/claims?status=all&sort=service_date").get_data(as_text=True)
    assert '<a href="/billing/claims?status=held&amp;sort=service_date">Held claims</a>' in page
    assert "Held claims" not in client_as("billing").get("/billing/claims?status=all&sort=service_date"
                                                         ).get_data(as_text=True)
    assert "Name the filter" in biller.get(biller.post("/billing/saved-filters", data={
        "page": "claims", "name": " ", "query": ""}).headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert biller.post("/billing/saved-filters", data={"page": "collections", "name": "x"}).status_code == 302
    with database(app):
        assert [(f.page, f.name, f.query) for f in SavedFilter.select()] == [
            ("claims", "Held claims", "status=held&sort=service_date")]
        kept = SavedFilter.get()
    denials = biller.post("/billing/saved-filters", data={"page": "denials", "name": "Old", "query": "age=60"})
    assert denials.headers["Location"].endswith("/billing/denials?age=60")
    assert "Old</a>" in biller.get("/billing/denials?age=60").get_data(as_text=True)
    assert client_as("billing").post(f"/billing/saved-filters/{kept.id}/delete", data={"page": "claims"}
                                     ).status_code == 302
    with database(app):
        assert SavedFilter.select().where(SavedFilter.id == kept.id).exists()  # not theirs to remove
    biller.post(f"/billing/saved-filters/{kept.id}/delete", data={"page": "claims"})
    with database(app):
        assert not SavedFilter.select().where(SavedFilter.id == kept.id).exists()


def test_any_list_downloads_as_csv_through_the_csv_writer(app, client_as):
    with database(app):
        good, bad = two_drafts()
    biller = client_as("billing")
    page = biller.get("/billing/claims?status=all&sort=claim_number").get_data(as_text=True)
    assert "Download the list as CSV" in page and "format=csv" in page
    response = biller.get("/billing/claims?status=all&sort=claim_number&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="claims-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Claim", "Patient", "Service date", "Payer", "Status", "Scrubber errors", "Charges"]
    assert [r[0] for r in rows[1:]] == sorted([good.claim_number, bad.claim_number])
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[bad.claim_number][1].startswith("'=HYPERLINK(1)")  # a formula stays text
    assert by_number[good.claim_number][6] == "$120.00"
    searched = biller.get("/billing/claims?status=all&sort=claim_number&format=csv&q=HYPERLINK").get_data(as_text=True)
    assert good.claim_number not in searched and bad.claim_number in searched
    collections = biller.get("/billing/collections?tab=past_due&format=csv").get_data(as_text=True)
    assert collections.splitlines()[0] == "Patient,Account,Patient owes,Owed since,Days past due,Stage"
    patients = login(app.test_client(), "admin").get("/patients?format=csv")
    assert patients.mimetype == "text/csv" and "=HYPERLINK" in patients.get_data(as_text=True)
