"""The ledger's balances and aging: insurance against patient responsibility per patient, line and claim,
buckets aged from the day an amount became the patient's, the stored aging, and the ledger page."""
from __future__ import annotations

from accounts_setup import adjudicate, days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.models import AuditEvent
from medoffice.testing import practice_today

from medoffice_billing import aging, ledger, payments
from medoffice_billing.models import PatientAging


def test_balances_split_insurance_and_patient_per_patient_line_and_claim(app):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(40))  # 99213: $120.00 billed to the patient
        claim = insured_visit(records, days_ago(20), codes=("99213", "36415"))  # $135.00 to insurance
        assert ledger.patient_balances(pid) == ledger.Balances(insurance_cents=13500, patient_cents=12000)
        assert ledger.insurance_pending(pid)

        adjudicate(claim, paid=8000, contractual=2000, patient=2000, day=days_ago(5))
        balances = ledger.patient_balances(pid)
        assert (balances.insurance_cents, balances.patient_cents, balances.total_cents) == (1500, 14000, 15500)
        assert (ledger.claims_owed([claim.id], "insurance"), ledger.claims_owed([claim.id], "patient")) == (
            {claim.id: 1500}, {claim.id: 2000})
        assert ledger.patient_balances(pid, as_of=days_ago(10)) == ledger.Balances(13500, 12000)

        lines = ledger.line_balances(pid)
        assert [(l.code, l.charge_cents, l.insurance_paid_cents, l.adjusted_cents, l.insurance_cents, l.patient_cents)
                for l in lines] == [("99213", 12000, 0, 0, 0, 12000), ("99213", 12000, 8000, 2000, 0, 2000),
                                    ("36415", 1500, 0, 0, 1500, 0)]
        # Every line adds up: charged - paid - adjusted = still owed by insurance and the patient.
        for l in lines:
            assert l.charge_cents - l.insurance_paid_cents - l.adjusted_cents - l.patient_paid_cents == l.balance_cents
        assert lines[1].patient_since == days_ago(5) and lines[0].patient_since == days_ago(40)
        # Oldest responsibility first: the self-pay visit, then the copay moved over five days ago.
        assert [amount for _line, amount in ledger.open_patient_lines(pid)] == [12000, 2000]


def test_patient_balances_age_from_when_they_became_the_patients(app):
    with database(app):
        records = practice()
        pid = records["patient"].id
        today = settings.today()
        self_pay_visit(records, days_ago(100))  # self-pay: owed by the patient since the visit
        claim = insured_visit(records, days_ago(200))  # a payer took 190 days, then moved $20 over
        adjudicate(claim, paid=8000, contractual=2000, patient=2000, day=days_ago(10))
        row = aging.patient_aging_query(today, pid).dicts().get()
        assert (row["b0"], row["b1"], row["b2"], row["b3"], row["b4"]) == (2000, 0, 0, 12000, 0)
        assert row["patient_cents"] == 14000 and row["credit_cents"] == 0
        assert ledger.as_date(row["oldest_on"]) == days_ago(100)

        # Payer aging counts from the date of service: the untouched claim sits in its payer's 120+ bucket.
        late = insured_visit(records, days_ago(150), codes=("36415",))
        payers = {r["name"]: r for r in aging.payer_aging_query(today).dicts()}
        mine = payers[records["payer"].name]
        assert (mine["b4"], mine["total"]) == (1500, 1500)
        assert None not in payers  # every insurance balance is on a line a claim bills
        # As of a past date, only what was posted by then counts, aged from then.
        before = aging.patient_aging_query(days_ago(50), pid).dicts().get()
        assert (before["b1"], before["patient_cents"]) == (12000, 12000)
        assert late.status == "submitted"


def test_stored_aging_and_snapshot_follow_the_ledger(app):
    with database(app):
        records = practice()
        other = new_patient()
        today = settings.today()
        self_pay_visit(records, days_ago(70))
        self_pay_visit(records, days_ago(3), patient=other)
        insured_visit(records, days_ago(35), codes=("36415",))
        assert aging.refresh_patient_aging(today) == 2
        stored = {r.patient_id: r for r in PatientAging.select()}
        mine = stored[records["patient"].id]
        assert (mine.patient_cents, mine.insurance_cents, mine.b2, mine.oldest_on) == (12000, 1500, 12000, days_ago(70))
        assert (stored[other.id].b0, stored[other.id].oldest_on) == (12000, days_ago(3))

        # Refreshing one patient leaves the others alone.
        PatientAging.update(patient_cents=1).where(PatientAging.patient_id == other.id).execute()
        aging.refresh_patient(records["patient"].id, today)
        assert PatientAging.get(PatientAging.patient_id == other.id).patient_cents == 1

        assert aging.take_snapshot(today) == 2  # one payer row, one patients row
        assert aging.take_snapshot(today) == 2  # the same day again replaces it
        history = aging.snapshot_history()
        assert [(ledger.as_date(h["snapshot_date"]), h["insurance"], h["patient"]) for h in history] == [
            (today, 1500, 24000)]


def test_bucket_labels():
    assert [aging.bucket_label(d) for d in (0, 30, 31, 60, 61, 90, 91, 120, 121, 900)] == [
        "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "91-120", "91-120", "120+", "120+"]


def test_ledger_page_and_account_panel(app, client_as):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(45))
        claim = insured_visit(records, days_ago(20))
        adjudicate(claim, paid=7000, contractual=3000, patient=2000, day=days_ago(2))
    desk = client_as("front_desk")
    page = desk.get(f"/billing/patients/{pid}/ledger")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "$140.00" in text  # what the patient owes: $120.00 self-pay and the $20.00 moved over
    assert "$70.00" in text and "$30.00" in text  # paid and adjusted on the insured visit
    assert "Take a payment" in text and "Write off as bad debt" not in text  # the desk cannot write off
    panel = desk.get(f"/billing/patients/{pid}/account")
    assert panel.status_code == 200 and "$140.00" in panel.get_data(as_text=True)
    with database(app):
        actions = {e.action for e in AuditEvent.select().where(AuditEvent.patient_id == pid)}
    assert {"billing.ledger.view", "billing.account.view"} <= actions
    assert desk.get("/billing/patients/99999/ledger").status_code == 404
    assert app.test_client().get(f"/billing/patients/{pid}/ledger").status_code in (302, 401)


def test_a_patient_without_entries_has_zero_balances(app):
    with database(app):
        patient = new_patient()
        assert ledger.patient_balances(patient.id) == ledger.Balances(0, 0)
        assert ledger.line_balances(patient.id) == [] and ledger.open_patient_lines(patient.id) == []
        assert list(aging.patient_aging_query(practice_today(), patient.id).dicts()) == []


def test_the_ledger_lines_are_kept_until_an_entry_a_line_a_visit_or_a_provider_changes(app, client_as):
    from medoffice.testing import reads_of, write_sql

    with database(app):
        records = practice()
        pid = records["patient"].id
        claim = insured_visit(records, days_ago(20))
        adjudicate(claim, paid=7000, contractual=3000, patient=2000, day=days_ago(2))
        receipt = payments.post_payment(pid, 1500, "cash").receipt_number
    desk = client_as("front_desk")
    url = f"/billing/patients/{pid}/ledger"
    text = desk.get(url).get_data(as_text=True)
    assert "$70.00" in text and "99213" in text and "Quill" in text and receipt in text
    ledger_tables = ("billing_line_transaction", "billing_service_line", "billing_encounter", "core_staff",
                     "billing_patient_payment")
    assert not reads_of(desk, url, ledger_tables)
    with database(app):
        write_sql("UPDATE billing_line_transaction SET amount_cents = -7100 WHERE amount_cents = -7000")
    assert "$71.00" in desk.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_service_line SET code = ? WHERE code = ?", "99214", "99213")
    assert "99214" in desk.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE core_staff SET last_name = ? WHERE last_name = ?", "Quillon", "Quill")
    assert "Quillon" in desk.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_patient_payment SET receipt_number = ? WHERE receipt_number = ?", "R-CONSOLE",
                  receipt)
    assert "R-CONSOLE" in desk.get(url).get_data(as_text=True)
    with database(app):  # every view is still audited, kept or not (reads_of views the page twice)
        views = AuditEvent.select().where((AuditEvent.patient_id == pid)
                                          & (AuditEvent.action == "billing.ledger.view")).count()
    assert views == 8


def test_the_account_state_statements_and_notes_are_kept_until_one_of_their_tables_changes(app, client_as):
    from medoffice.testing import reads_of, write_sql

    from medoffice_billing import account_notes, plans, statements

    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(45))
        insured_visit(records, days_ago(5))
        plans.create_plan(pid, 12000, 4000, "monthly", settings.today())
        statements.set_hold(pid, "Disputing the bill")
        statements.patient_statement(pid)
        account_notes.add(pid, "Calls before paying")
    admin = client_as()
    url = f"/billing/patients/{pid}/ledger"
    text = admin.get(url).get_data(as_text=True)
    assert "$40.00 monthly" in text and "Disputing the bill" in text and "claims pending" in text
    assert "Calls before paying" in text and "held by hand" in text
    account_tables = ("billing_payment_plan", "billing_patient_payment", "billing_statement_hold",
                      "billing_collection_placement", "billing_claim", "billing_good_faith_estimate",
                      "billing_statement", "billing_account_note")
    assert not reads_of(admin, url, account_tables)
    assert not reads_of(admin, f"/billing/patients/{pid}/account", account_tables)
    with database(app):
        write_sql("UPDATE billing_payment_plan SET installment_cents = 3000 WHERE patient_id = ?", pid)
    assert "$30.00 monthly" in admin.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_statement_hold SET reason = ? WHERE patient_id = ?", "Awaiting the EOB", pid)
    assert "Awaiting the EOB" in admin.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_claim SET status = ? WHERE patient_id = ?", "paid", pid)
    assert "claims pending" not in admin.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_statement SET dunning_stage = ? WHERE patient_id = ?", "Final notice", pid)
    assert "Final notice" in admin.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_account_note SET text = ? WHERE patient_id = ?", "Disputes the March visit", pid)
    text = admin.get(url).get_data(as_text=True)
    assert "Disputes the March visit" in text and "Calls before paying" not in text
