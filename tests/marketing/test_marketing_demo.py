"""Marketing's demo data: two years of campaigns, sources, surveys, complaints and recalls, once, and
the dashboard shows NPS, recovery items and cost per new patient by channel."""
from __future__ import annotations

import datetime as dt
import random

from medoffice.contributions import DemoContext
from medoffice.models import Patient, StaffMember, User
from medoffice.testing import connected, login

from medoffice_marketing import returns
from medoffice_marketing.demo import create_demo_data
from medoffice_marketing.models import (Campaign, Complaint, PatientSource, RecallEntry, RecoveryItem, SpendEntry,
                                        SurveyResponse)

from marketing_setup import new_patient

TODAY = dt.date(2026, 6, 1)


def test_demo_covers_two_years_once_and_feeds_the_dashboard(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        StaffMember.create(first_name="Ada", last_name="Lee", is_provider=True)
        for _ in range(30):
            new_patient()
        ctx = DemoContext(size="small", rng=random.Random(3), today=TODAY)
        create_demo_data(ctx)
        counts = (Campaign.select().count(), SpendEntry.select().count(), SurveyResponse.select().count())
        create_demo_data(ctx)  # a second run adds nothing
        assert (Campaign.select().count(), SpendEntry.select().count(), SurveyResponse.select().count()) == counts
        assert PatientSource.select().count() == Patient.select().count() == 30
        first_spend = SpendEntry.select(SpendEntry.spent_on).order_by(SpendEntry.spent_on).first().spent_on
        assert first_spend >= dt.date(2024, 6, 1) and first_spend < dt.date(2024, 8, 1)
        assert Complaint.select().count() == 18 and RecallEntry.select().exists()
        detractors = SurveyResponse.select().where(SurveyResponse.nps <= 6).count()
        assert RecoveryItem.select().where(RecoveryItem.survey.is_null(False)).count() == detractors
        channels = returns.by_channel(dt.date(2024, 6, 1), TODAY)
        assert any(r["cost_per_new_cents"] for r in channels)
        assert User.select().exists()
    page = manager.get("/marketing/").get_data(as_text=True)
    assert "Cost per new patient by channel" in page and "Net Promoter Score" in page
