"""HR's demo data: the demo staff become employees once, under the office manager, with a year of
clocked time, approved timesheets, leave and posted biweekly payroll that balances."""
from __future__ import annotations

import datetime as dt
import random

from medoffice import settings
from medoffice.contributions import DemoContext
from medoffice.models import StaffMember
from medoffice.settings import today
from medoffice.testing import connected

from medoffice_hr.demo import create_demo_data
from medoffice_hr.hiring_models import Candidate
from medoffice_hr.models import EmergencyContact, Employment, PayRate
from medoffice_hr.payroll import journal
from medoffice_hr.payroll_models import PayRun, PayStub
from medoffice_hr.time_models import LeaveLedger, Timesheet
from medoffice_hr.training_models import Review


def test_demo_staff_become_employees_once_with_a_year_of_time_and_payroll(make_app):
    app = make_app(plugins=["hr"])
    with connected(app):
        settings.set_many({"core.state": "PA"})  # the practice's state, as core's demo sets it: payroll withholds by it
        lead = StaffMember.create(first_name="Mia", last_name="Moss", job_title="Office manager")
        for n in range(3):
            StaffMember.create(first_name=f"P{n}", last_name="Demo", job_title="Front desk")
        ctx = DemoContext(size="small", rng=random.Random(7), today=today())
        create_demo_data(ctx)
        create_demo_data(ctx)  # a second run adds nothing
        assert Employment.select().count() == 4 and EmergencyContact.select().count() == 4
        assert Employment.select().where(Employment.supervisor == lead.id).count() == 3
        assert PayRate.select().count() >= 4 and PayRate.select().where(PayRate.amount_cents <= 0).count() == 0
        runs = list(PayRun.select().where(PayRun.status == "posted"))
        assert len(runs) >= 20 and PayStub.select().count() >= 20
        assert Timesheet.select().where(Timesheet.overtime_minutes > 0).exists()
        assert LeaveLedger.select().where(LeaveLedger.kind == "accrual").exists()
        for run in runs[:3]:
            journal(run)  # raises when a run does not balance
        assert Candidate.select().count() == 3 and Review.select().count() == 4
        assert PayRun.select().where(PayRun.pay_date > today() + dt.timedelta(days=14)).count() == 0
