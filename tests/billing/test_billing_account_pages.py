"""The ledger's account section (holds, placement, plan, pending claims), the payment plans list by tab,
and the claims and encounters lists' filters: what each shows, whatever the queries are compiled from."""
from __future__ import annotations

import re

from accounts_setup import days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.models import User
from medoffice.testing import login

from medoffice_billing import collections, payments, plans, statements
from medoffice_billing.models import Claim, PaymentPlan, PlanInstallment, StatementHold


def test_ledger_account_section_shows_each_hold_the_placement_and_the_plan(app, client_as):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(100))
        insured_visit(records, days_ago(3), codes=("36415",))
        collections.place(pid, "Acme Recovery")
    manager = client_as("office_manager")
    page = manager.get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert "With Acme Recovery" in page and "Recall from Acme Recovery" in page
    assert "claims pending" in page and "Held: with a collection agency, insurance still pending" in page
    assert "Hold statements" in page and "Release the statement hold" not in page
    assert "days)" in page  # owed since the self-pay visit, with the days past due

    with database(app):
        statements.set_hold(pid, "Disputes the bill")
        # An expired manual hold no longer holds statements but still shows, to be released.
        StatementHold.update(until=days_ago(1)).where(StatementHold.patient_id == pid).execute()
        assert statements.hold_reasons(pid, settings.today()) == ["With a collection agency", "Insurance still pending"]
    expired = manager.get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert "Release the statement hold" in expired and "Disputes the bill" in expired

    with database(app):
        StatementHold.update(until=None).where(StatementHold.patient_id == pid).execute()
        reasons = statements.hold_reasons(pid, settings.today())
    held = manager.get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert "Held: " + ", ".join(reasons).lower() in held and "held by hand" in held


def test_ledger_shows_the_active_plan_with_what_it_received(app, client_as):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(10))
        plan = plans.create_plan(pid, 12000, 4000, "monthly", settings.today())
        payments.post_payment(pid, 4000, "cash", toward_plan=True)
    page = client_as("billing").get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert f"/billing/plans/{plan.id}" in page and "$40.00 monthly</a>, $40.00 of $120.00 paid" in page
    assert "Held: on a payment plan" in page and "claims pending" not in page


def _missed(plan: PaymentPlan) -> None:
    """Move the plan's first installment two months back: it is missed."""
    PlanInstallment.update(due_date=days_ago(60)).where(
        (PlanInstallment.plan == plan.id) & (PlanInstallment.number == 1)).execute()


def test_plans_list_tabs_show_active_missed_and_finished_plans(app, client_as):
    with database(app):
        records = practice()
        names = {}
        for last in ("Ames", "Baker", "Cole"):
            patient = new_patient(last)
            self_pay_visit(records, days_ago(40), patient=patient)
            names[last] = plans.create_plan(patient.id, 10000, 2500, "monthly", settings.today())
        _missed(names["Baker"])
        plans.end_plan(names["Cole"], "cancelled", "Moved away")
    billing = client_as("billing")
    active = billing.get("/billing/plans").get_data(as_text=True)
    assert "2 plans" in active and "Ames, Lan" in active and "Baker, Lan" in active and "Cole, Lan" not in active
    assert f'href="/billing/plans/{names["Ames"].id}"' in active and "$25.00 monthly" in active
    missed = billing.get("/billing/plans?status=missed").get_data(as_text=True)
    assert "1 plan" in missed and "Baker, Lan" in missed and "Ames, Lan" not in missed
    cancelled = billing.get("/billing/plans?status=cancelled").get_data(as_text=True)
    assert "1 plan" in cancelled and "Cole, Lan" in cancelled and "Cancelled" in cancelled
    everything = billing.get("/billing/plans?status=all&sort=patient&desc=1").get_data(as_text=True)
    assert everything.index("Cole, Lan") < everything.index("Baker, Lan") < everything.index("Ames, Lan")
    # The grace days decide what counts as missed.
    with database(app):
        settings.set_many({"billing.plan_grace_days": 90})
    assert "No payment plans here" in billing.get("/billing/plans?status=missed").get_data(as_text=True)


def test_claims_mine_and_encounters_status_filters(app):
    with database(app):
        records = practice()
        first = insured_visit(records, days_ago(5))
        second = insured_visit(records, days_ago(4), codes=("36415",))
        self_pay_visit(records, days_ago(2))
    billing = login(app.test_client(), "billing", username="claims_clerk")
    with database(app):
        clerk = User.get(User.username == "claims_clerk")
        Claim.update(assigned_user_id=clerk.id).where(Claim.id == first.id).execute()
    mine = billing.get("/billing/claims?status=all&mine=1&sort=service_date").get_data(as_text=True)
    assert "1 claim" in mine and f'href="/billing/claims/{first.id}"' in mine
    assert f"/billing/claims/{second.id}\"" not in mine
    everyone = billing.get("/billing/claims?status=all&sort=service_date").get_data(as_text=True)
    assert "2 claims" in everyone
    posted = billing.get("/billing/encounters?status=posted&sort=service_date").get_data(as_text=True)
    opened = billing.get("/billing/encounters?status=open&sort=service_date").get_data(as_text=True)
    every = billing.get("/billing/encounters?sort=service_date").get_data(as_text=True)
    counts = [int(re.search(r'class="count"[^>]*>(\d+) encounter', text).group(1)) for text in (posted, opened, every)]
    assert counts[0] + counts[1] == counts[2] == 3 and counts[0] >= 1
