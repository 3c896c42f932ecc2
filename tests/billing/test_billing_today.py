"""Billing's Today counts: compiled once per day and settings, so they must follow a new day and a changed
setting (under pytest a prepared key that missed one fails: see medoffice.prepared)."""
from __future__ import annotations

import datetime as dt

from accounts_setup import days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.testing import login, page_queries

from medoffice_billing import aging, payments, plans, worklist
from medoffice_billing.models import Claim, Clearinghouse, PlanInstallment
from medoffice_billing.today import work_items


def _counts(today: dt.date | None = None) -> dict[str, int]:
    return {i.title: i.count for i in work_items(today or settings.today())}


def test_unanswered_claims_follow_the_day_and_the_follow_up_days(app):
    with database(app):
        records = practice()
        insured_visit(records, days_ago(45))  # sent 44 days ago
        rejected = insured_visit(records, days_ago(20), codes=("36415",))
        Claim.update(status="rejected").where(Claim.id == rejected.id).execute()
    with app.test_request_context(), database(app):
        assert _counts()["Claim not answered after 30 days"] == 1
        assert _counts(days_ago(20)).get("Claim not answered after 30 days") is None  # 24 days then
        settings.set_many({"billing.follow_up_days": 60})
        counts = _counts()
        assert "Claim not answered after 60 days" not in counts
        assert _counts(settings.today() + dt.timedelta(days=30))["Claim not answered after 60 days"] == 1
        assert counts["Rejected claim to fix and send again"] == 1


def _plan_missing_its_first_payment(app, days_late: int):
    """A patient on a monthly plan whose first installment fell due ``days_late`` days ago, unpaid."""
    with database(app):
        records = practice()
        debtor = new_patient(last="Planner")
        self_pay_visit(records, days_ago(90), patient=debtor)
        plan = plans.create_plan(debtor.id, 12000, 4000, "monthly", settings.today())
        PlanInstallment.update(due_date=days_ago(days_late)).where(
            (PlanInstallment.plan == plan.id) & (PlanInstallment.number == 1)).execute()
    return debtor


def test_missed_plans_follow_the_grace_days(app):
    debtor = _plan_missing_its_first_payment(app, 10)
    with app.test_request_context(), database(app):
        assert _counts()["Payment plan with a missed payment"] == 1 == plans.missed_count(settings.today())
        settings.set_many({"billing.plan_grace_days": 15})  # the payment is not late yet
        assert "Payment plan with a missed payment" not in _counts()
        assert plans.missed_count(settings.today()) == 0
        payments.post_payment(debtor.id, 4000, "cash")
        assert "Payment plan with a missed payment" not in _counts(settings.today() + dt.timedelta(days=20))


def test_precollections_follow_the_statement_minimum_and_the_stages(app):
    with database(app):
        records = practice()
        for person in (records["patient"], new_patient(last="Okafor")):
            self_pay_visit(records, days_ago(150), patient=person)  # $120.00 owed for 150 days
        aging.refresh_patient_aging(settings.today())
    title = "Accounts ready for a collection agency"
    with app.test_request_context(), database(app):
        assert _counts()[title] == 2
        settings.set_many({"billing.statement_min_balance_cents": 20000})
        assert title not in _counts()
        settings.set_many({"billing.statement_min_balance_cents": 500})
        assert _counts()[title] == 2
        assert title not in _counts(days_ago(60))  # 90 days past due then: before the last stage


def test_claims_to_send_count_ready_and_failing_claims(app):
    with database(app):
        records = practice()
        ready, held, failing = (insured_visit(records, days_ago(n)) for n in (3, 4, 5))
        Claim.update(status="ready", submitted_at=None).where(Claim.id.in_([ready.id, held.id])).execute()
        Claim.update(on_hold=True).where(Claim.id == held.id).execute()
        Claim.update(status="draft", scrub_errors=2).where(Claim.id == failing.id).execute()
    with app.test_request_context(), database(app):
        items = {i.title: (i.count, i.url) for i in worklist.work_items()}
    assert items == {"Claim ready to submit": (1, "/billing/claims?status=ready"),
                     "Claim with scrubber errors": (1, "/billing/claims?status=problems")}


def test_the_today_page_shows_a_paid_up_plan_at_once_though_it_keeps_the_count(app):
    debtor = _plan_missing_its_first_payment(app, 20)
    desk = login(app.test_client(), "billing")
    assert "Payment plan with a missed payment" in desk.get("/today").get_data(as_text=True)
    assert not [sql for sql in page_queries(desk, "/today") if "billing_payment_plan" in sql]  # kept
    with app.test_request_context(), database(app):
        payments.post_payment(debtor.id, 4000, "cash")  # the plan's first payment, late
    assert "Payment plan with a missed payment" not in desk.get("/today").get_data(as_text=True)


def test_the_today_page_keeps_its_claim_denial_and_queue_counts_until_any_writer_changes_them(app):
    """Claims to send, denied claims, 835 payments that matched no claim, the clearinghouse's state and the Good
    Faith Estimates due are kept per process: an unchanged view reads none of their tables, and a change written
    by plain SQL, as another process would, shows on the next view."""
    from medoffice.db import db

    with database(app):
        records = practice()
        claim = insured_visit(records, days_ago(3))
        Claim.update(status="ready", submitted_at=None).where(Claim.id == claim.id).execute()
    billing = login(app.test_client(), "billing")
    assert "Claim ready to submit" in billing.get("/today").get_data(as_text=True)
    read = " ".join(page_queries(billing, "/today"))
    # (precollections, counted on every view, looks up open estimate disputes in a subquery of its own)
    for kept in ('FROM "billing_claim"', 'FROM "billing_denial_line"', 'FROM "billing_remit_claim"',
                 'FROM "billing_clearinghouse"', 'FROM "billing_gfe" AS "t1"'):
        assert kept not in read, kept

    def change(sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return billing.get("/today").get_data(as_text=True)

    assert "Claim ready to submit" not in change("UPDATE billing_claim SET on_hold = ? WHERE id = ?", True, claim.id)
    assert "Denied claim to work" in change("INSERT INTO billing_denial_line (claim_id, carc, denied_at, service_date) "
                                            "VALUES (?, ?, ?, ?)", claim.id, "197", dt.datetime.now(dt.timezone.utc),
                                            days_ago(3))
    with database(app):  # a row as the sync job writes it, not through a page
        Clearinghouse.create(host="sftp.example", username="clinic", last_error="Connection refused")
    assert "The clearinghouse sync failed" in billing.get("/today").get_data(as_text=True)
