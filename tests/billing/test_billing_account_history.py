"""The patient ledger as a chronological list with running balances, the guarantor's family, and account
notes and alerts shown where staff take payments (issue 17 item 15)."""
from __future__ import annotations

import re

from accounts_setup import adjudicate, days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice.models import AuditEvent

from medoffice_billing import account_history, ledger, payments
from medoffice_billing.models import AccountNote, PatientAccount


def history_rows(html: str) -> list[str]:
    body = html.split('class="data history"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>") if "<td" in row]


def test_every_entry_in_date_order_with_running_balances(app, client_as):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(30))  # $120.00 to the patient
        claim = insured_visit(records, days_ago(20), codes=("36415",))  # $15.00 billed to the payer
        adjudicate(claim, paid=1000, contractual=300, patient=200, day=days_ago(10))
        payments.post_payment(pid, 5000, "cash", received_on=days_ago(5))
        rows = account_history.history(pid)
        final = ledger.patient_balances(pid)
        assert (rows[-1].patient_after, rows[-1].insurance_after) == (final.patient_cents, final.insurance_cents)
        assert [r.day for r in rows] == sorted(r.day for r in rows)
    page = client_as("billing").get(f"/billing/patients/{pid}/history").get_data(as_text=True)
    shown = history_rows(page)
    assert shown[0].startswith(f"{days_ago(30).isoformat()} Charge · 99213") and shown[0].endswith(
        "$120.00 $120.00 $0.00 $120.00")
    assert shown[1].startswith(f"{days_ago(20).isoformat()} Charge · 36415") and shown[1].endswith(
        "$15.00 $120.00 $15.00 $135.00")
    assert any("Insurance payment · 36415" in r and r.endswith("-$10.00 $120.00 $5.00 $125.00") for r in shown)
    assert any("Transfer · 36415 · PR-3" in r and "Patient" in r for r in shown)
    assert shown[-1].startswith(f"{days_ago(5).isoformat()} Patient payment") and shown[-1].endswith(
        "-$50.00 $72.00 $0.00 $72.00")
    with database(app):
        assert AuditEvent.select().where((AuditEvent.action == "billing.account_history.view")
                                         & (AuditEvent.patient_id == pid)).count() == 1


def test_the_guarantors_family_with_each_balance(app, client_as):
    with database(app):
        records = practice()
        parent = records["patient"]  # Rosa Diaz, 5 Elm Street, 62701
        kids = [new_patient(last="Diaz", first=name) for name in ("Ana", "Luis")]
        for kid in kids:
            PatientAccount.create(patient_id=kid.id, guarantor_relationship="19", guarantor_first_name="Rosa",
                                  guarantor_last_name="DIAZ", guarantor_address1="5  Elm Street",
                                  guarantor_zip="62701-0001")
        stranger = new_patient(last="Diaz", first="Rosa")  # same name, another street (9 Oak Street)
        self_pay_visit(records, days_ago(10), patient=kids[0])
        self_pay_visit(records, days_ago(10), codes=("36415",), patient=kids[1])
        self_pay_visit(records, days_ago(10), patient=stranger)
    biller = client_as("billing")
    for start in (kids[1], parent):
        page = biller.get(f"/billing/patients/{start.id}/family").get_data(as_text=True)
        assert "Family of Rosa Diaz" in page
        assert all(f"/billing/patients/{p.id}/ledger" in page for p in (parent, *kids))
        assert f"/billing/patients/{stranger.id}/ledger" not in page
        assert "Child" in page and re.search(r"Family total</td><td class=\"num\">\$135.00", page)
    with database(app):
        shown = AuditEvent.select().where(AuditEvent.action == "billing.family.view").order_by(AuditEvent.id.desc()).get()
        assert all(str(p.id) in shown.detail for p in (parent, *kids))


def test_notes_and_alerts_show_where_payments_are_taken(app, client_as):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(10))
    desk = client_as("front_desk")
    assert desk.post(f"/billing/patients/{pid}/account-notes", data={"text": "Pays by check only", "alert": "1"}
                     ).status_code == 302
    desk.post(f"/billing/patients/{pid}/account-notes", data={"text": "Asked for an itemized bill"})
    refused = desk.post(f"/billing/patients/{pid}/account-notes", data={"text": "  "}, follow_redirects=True)
    assert "Write the note." in refused.get_data(as_text=True)
    form = desk.get(f"/billing/patients/{pid}/payments/new").get_data(as_text=True)
    assert "Account alert:</strong> Pays by check only" in form and "itemized" not in form
    ledger_page = desk.get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert "Account alert:</strong> Pays by check only" in ledger_page and "Asked for an itemized bill" in ledger_page
    with database(app):
        alert = AccountNote.get(AccountNote.alert == True)  # noqa: E712
        assert AuditEvent.select().where((AuditEvent.action == "billing.account_note.add")
                                         & (AuditEvent.patient_id == pid)).count() == 2
    assert desk.post(f"/billing/patients/{pid}/account-notes/{alert.id}/remove").status_code == 302
    assert "Pays by check only" not in desk.get(f"/billing/patients/{pid}/payments/new").get_data(as_text=True)
    with database(app):
        assert AccountNote.get_by_id(alert.id).removed_at is not None  # kept for the record
    assert client_as("auditor").post(f"/billing/patients/{pid}/account-notes", data={"text": "x"}).status_code == 403
