"""Appeal letters (issue 17 item 14): core's message templates filled with the claim's data, reworded by
staff like any template, printed as a PDF and logged on the claim's history and in the audit trail."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from billing_setup import database
from medoffice.messages.models import TemplateText
from medoffice.models import AuditEvent
from remit_setup import claims_from_remittance, make_835

from medoffice_billing import posting, x12
from medoffice_billing.models import ClaimDiagnosis, ClaimEvent

DENIED = ["CLP*DENA*4*135*0**12*ICNA", "NM1*QC*1*ALDER*ANN****MI*MA1",
          "SVC*HC:99213*120*0", "DTM*472*20240102", "CAS*CO*197*120",
          "SVC*HC:36415*15*0", "DTM*472*20240102", "CAS*CO*16*15"]


@pytest.fixture
def denied(app):
    era = make_835(DENIED, total="0", trace="APL1")
    with database(app):
        claim = claims_from_remittance(x12.parse_835(era)[0])[1]
        ClaimDiagnosis.create(claim=claim, position=1, code="R69")
    with app.test_request_context():
        posting.import_835(era, "appeal.835")
    return claim


def test_the_letter_is_filled_with_the_claims_data_and_printing_is_logged(app, client_as, denied):
    biller = client_as("billing")
    assert "Appeal letter" in biller.get(f"/billing/claims/{denied.id}").get_data(as_text=True)
    page = biller.get(f"/billing/claims/{denied.id}/appeal").get_data(as_text=True)
    assert "Request for reconsideration of claim DENA" in page
    assert "ALDER" in page and "ANN" in page and "MA1" in page and "ICNA" in page and "$135.00" in page
    assert "CO-197 Prior authorization or precertification was missing" in page
    assert "99213, 36415" in page and "R69" in page
    timely = biller.get(f"/billing/claims/{denied.id}/appeal?template=billing.appeal_timely_filing")
    assert "Appeal of the timely filing denial of claim DENA" in timely.get_data(as_text=True)
    assert biller.get(f"/billing/claims/{denied.id}/appeal?template=nope").status_code == 404
    pdf = biller.post(f"/billing/claims/{denied.id}/appeal.pdf", data={"template": "billing.appeal_reconsideration"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
        assert "Request for reconsideration" in text and "DENA" in text
    with database(app):
        event = ClaimEvent.get((ClaimEvent.claim == denied.id) & (ClaimEvent.action == "appeal_letter"))
        assert event.reason == ("Appeal: request for reconsideration: Request for reconsideration of claim DENA")
        assert event.username.startswith("user")
        assert AuditEvent.select().where((AuditEvent.action == "billing.appeal.letter")
                                         & (AuditEvent.patient_id == denied.patient_id)).count() == 1
        assert AuditEvent.select().where((AuditEvent.action == "billing.appeal.view")
                                         & (AuditEvent.patient_id == denied.patient_id)).count() == 2
    assert "appeal letter" in biller.get(f"/billing/claims/{denied.id}").get_data(as_text=True)
    assert client_as("front_desk").post(f"/billing/claims/{denied.id}/appeal.pdf").status_code == 403


def test_staff_wording_is_used(app, client_as, denied):
    with database(app):
        TemplateText.create(key="billing.appeal_reconsideration", subject="Please look again at {{ claim_number }}",
                            body="Dear {{ payer_name }}, claim {{ claim_number }} for {{ patient_name }} deserves "
                                 "another look.")
    page = client_as("billing").get(f"/billing/claims/{denied.id}/appeal").get_data(as_text=True)
    assert "Please look again at DENA" in page and "deserves another look" in page and "ALDER" in page
