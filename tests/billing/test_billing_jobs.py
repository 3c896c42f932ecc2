"""Billing's nightly jobs through core's job runner (aging snapshot, statement cycle, follow-up flagging),
payment plans' missed payments, and the Today items of the worklists."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from accounts_setup import days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.jobs import job_specs, run_job
from medoffice.models import AuditEvent, User
from medoffice.testing import login

from medoffice_billing import payments, plans
from medoffice_billing.models import (AgingSnapshot, Claim, ClaimEvent, PatientAging, PaymentPlan, PlanInstallment,
                                      StatementRun)
from medoffice_billing.today import work_items

JOBS = ("billing.aging_snapshot", "billing.statement_cycle", "billing.follow_up")


def test_the_jobs_are_scheduled(app):
    with app.app_context():
        specs = job_specs(app.extensions["medoffice"].host)
    assert set(JOBS) <= set(specs)
    assert all(specs[j].trigger == "cron" and specs[j].description for j in JOBS)


def test_aging_snapshot_job(app):
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(45))
        insured_visit(records, days_ago(10), patient=new_patient())
    run = run_job(app, "billing.aging_snapshot", trigger="manual")
    assert run.status == "ok", run.message
    assert "2 patient accounts" in run.message and "AR $240.00" in run.message and "1 payer," in run.message
    with database(app):
        today = settings.today()
        snapshot = {(s.party, s.payer_id): (s.b0, s.b1, s.total_cents) for s in
                    AgingSnapshot.select().where(AgingSnapshot.snapshot_date == today)}
        assert snapshot == {("insurance", records["payer"].id): (12000, 0, 12000), ("patient", None): (0, 12000, 12000)}
        assert PatientAging.select().count() == 2
    widget = login(app.test_client(), "billing").get("/billing/widgets/aging").get_data(as_text=True)
    assert "$120.00" in widget and "Payers" in widget and "Patients" in widget


def test_statement_cycle_job_runs_only_when_turned_on(app):
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(31))
    off = run_job(app, "billing.statement_cycle")
    assert off.status == "ok" and "is off" in off.message
    with database(app):
        assert StatementRun.select().count() == 0
        settings.set_many({"billing.statement_cycle_job": True})
    on = run_job(app, "billing.statement_cycle")
    assert on.status == "ok" and "1 statements" in on.message, on.message
    with database(app):
        run = StatementRun.get()
        assert (run.trigger, run.statements, run.username) == ("job", 1, "system")
    assert len(list(Path(run.output).glob("*.pdf"))) == 1
    assert Path(run.output).is_relative_to(Path(app.instance_path))


def test_follow_up_flags_unanswered_claims_and_missed_plan_payments(app):
    with database(app):
        records = practice()
        old = insured_visit(records, days_ago(45))  # sent 44 days ago, no answer
        insured_visit(records, days_ago(5), codes=("36415",))  # too recent to chase
        debtor = new_patient(last="Planner")
        self_pay_visit(records, days_ago(90), patient=debtor)
        plan = plans.create_plan(debtor.id, 12000, 4000, "monthly", settings.today())
        # The plan started two months ago: two installments were due; one was paid.
        for item in PlanInstallment.select().where(PlanInstallment.plan == plan.id).order_by(PlanInstallment.number):
            PlanInstallment.update(due_date=days_ago(60) if item.number == 1 else days_ago(30) if item.number == 2
                                   else settings.today() + dt.timedelta(days=1)).where(
                PlanInstallment.id == item.id).execute()
        payments.post_payment(debtor.id, 4000, "cash")
        assert plans.missed_count(settings.today()) == 1
    run = run_job(app, "billing.follow_up")
    assert run.status == "ok", run.error
    assert run.message.startswith("1 claim flagged") and "1 payment plan" in run.message
    with database(app):
        events = list(ClaimEvent.select().where(ClaimEvent.action == "follow_up"))
        assert [e.claim_id for e in events] == [old.id] and "44 days" in events[0].reason
        assert PaymentPlan.get_by_id(plan.id).missed_flagged_on == days_ago(30)
        audited = {e.action for e in AuditEvent.select().where(AuditEvent.action.in_(
            ("billing.claim.follow_up", "billing.plan.missed")))}
        assert audited == {"billing.claim.follow_up", "billing.plan.missed"}
        paid, states = plans.progress(PaymentPlan.get_by_id(plan.id))
        assert paid == 4000 and [s.state for s in states] == ["paid", "missed", "upcoming"]
    again = run_job(app, "billing.follow_up")
    assert again.message.startswith("0 claims flagged") and "0 payment plans" in again.message
    with database(app):
        payments.post_payment(debtor.id, 8000, "check", "310")  # pays the plan off: it completes at once
        assert PaymentPlan.get_by_id(plan.id).status == "completed"
        assert plans.missed_count(settings.today()) == 0


def test_today_items_and_worklists(app):
    with database(app):
        records = practice()
        unanswered = insured_visit(records, days_ago(60))
        rejected = insured_visit(records, days_ago(20), codes=("36415",))
        Claim.update(status="rejected").where(Claim.id == rejected.id).execute()
    biller = login(app.test_client(), "billing", username="worker")
    with database(app):
        worker = User.get(User.username == "worker").id
    with app.test_request_context(), database(app):
        items = {i.title: (i.count, i.url) for i in work_items(settings.today())}
    assert items["Claim not answered after 30 days"][0] == 1
    assert items["Rejected claim to fix and send again"] == (1, "/billing/worklists?tab=rejected")
    page = biller.get("/billing/worklists?tab=unpaid").get_data(as_text=True)
    assert unanswered.claim_number in page and rejected.claim_number not in page
    assert rejected.claim_number in biller.get("/billing/worklists?tab=rejected").get_data(as_text=True)
    assigned = biller.post("/billing/worklists/assign", data={"claim_id": [str(unanswered.id)], "user_id": str(worker),
                                                              "tab": "unpaid"})
    assert assigned.status_code == 302
    with database(app):
        assert Claim.get_by_id(unanswered.id).assigned_user_id == worker
    mine = biller.get("/billing/worklists?tab=unpaid&who=unassigned").get_data(as_text=True)
    assert unanswered.claim_number not in mine
    assert biller.get("/billing/worklists?tab=exceptions").status_code == 200
    dashboard = biller.get("/today").get_data(as_text=True)
    assert "Rejected claim to fix and send again" in dashboard
