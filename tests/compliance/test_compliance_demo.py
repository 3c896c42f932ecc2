"""Compliance's demo data: providers' credentials (one licence lapsed, some due soon) on the board
and the deadlines, the practice's CLIA, a year of the program, written once."""
from __future__ import annotations

import datetime as dt
import random

from medoffice import documents
from medoffice.contributions import DemoContext
from medoffice.deadlines.models import Deadline
from medoffice.models import Location, Patient, StaffMember
from medoffice.testing import connected, create_test_user, login, practice_today

from medoffice_compliance import credentials, program
from medoffice_compliance.demo import create_demo_data
from medoffice_compliance.models import (BusinessAssociate, Credential, Incident, PrivacyRequest, RetentionRule,
                                         RiskAssessment)


def test_demo_credentials_include_a_lapsed_licence_and_a_year_of_the_program(make_app):
    app = make_app(plugins=["compliance"])
    create_test_user(app, roles=("office_manager",))
    today = practice_today()
    with connected(app):
        home = Location.create(name="Main", state="NV")
        first = StaffMember.create(first_name="Ann", last_name="Able", is_provider=True, npi="1234567893",
                                   location=home)
        StaffMember.create(first_name="Bob", last_name="Baker", is_provider=True, location=home)
        StaffMember.create(first_name="Cy", last_name="Clerk", job_title="Front desk")
        Patient.create(first_name="Rita", last_name="Rowe", date_of_birth=dt.date(1980, 5, 1), account_number="D1")
        ctx = DemoContext(size="small", rng=random.Random(3), today=today)
        create_demo_data(ctx)
        count = Credential.select().count()
        create_demo_data(ctx)  # a second run adds nothing
        assert Credential.select().count() == count
        lapsed = credentials.active().where(Credential.due_on < today)
        assert [c.staff_id for c in lapsed] == [first.id]
        assert credentials.billing_holds(first.id, "BS001", today, "NV")[0].startswith("No NV state licence")
        assert not credentials.billing_holds(first.id, "BS001", today, "AZ")  # licensed there, still current
        assert Credential.select().where(Credential.kind == "clia").count() == 1
        assert Deadline.select().where((Deadline.owner == "compliance") & (Deadline.kind == "compliance.credential_due")
                                       ).count() == count
        assert {c.state for c in Credential.select().where(Credential.kind == "state_licence")} == {"NV", "AZ"}
        assert BusinessAssociate.select().count() == 1 and RiskAssessment.select().count() == 1
        assert PrivacyRequest.select().count() == 1 and Incident.get().decision == "breach"
        assert RetentionRule.select().count() == 1
        assert len(documents.published(program.POLICY_KIND)) == len(program.DEFAULT_POLICIES)
        assert Deadline.select().where(Deadline.kind == program.POLICY_REVIEW_KIND).count() == len(program.DEFAULT_POLICIES)


def test_on_the_small_demo_billing_holds_the_claims_of_the_provider_whose_licence_lapsed(make_app):
    from medoffice.demo import load_demo

    from medoffice_billing.models import Claim, Encounter

    app = make_app(plugins=["billing", "compliance"])
    load_demo(app, "small")
    with connected(app):
        lapsed = credentials.active().where(Credential.due_on < practice_today()).get()
        after_lapse = list(Claim.select(Claim).join(Encounter).where(
            (Encounter.rendering_provider_id == lapsed.staff_id) & (Encounter.service_date >= lapsed.due_on)
            & Claim.status.in_(("draft", "ready"))))
        assert after_lapse, "the demo bills a visit by that provider after the licence lapsed"
        assert all(c.status == "draft" and c.scrub_errors > 0 for c in after_lapse)
    manager = login(app.test_client(), "office_manager")
    page = manager.get(f"/billing/claims/{after_lapse[0].id}").get_data(as_text=True)
    assert f"No {lapsed.state} state licence in force" in page
