"""The employee manual: versions in core's documents, each person acknowledges the version that asks
for it, the overdue ones are reminded through core's deadlines, and HR's page shows who has not signed."""
from __future__ import annotations

import datetime as dt

import pytest
from medoffice import deadlines, documents
from medoffice.documents.reminders import key_for
from medoffice.models import User
from medoffice.testing import TEST_PASSWORD, connected, login, practice_today

from medoffice_hr.manual import KIND, overdue_signatures


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def test_hr_sees_who_has_not_signed_which_version(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    login(hr_app.test_client(), "front_desk", username="fay")
    login(hr_app.test_client(), "billing", username="bill")
    assert "No employee manual is published yet" in hr.get("/hr/manual").get_data(as_text=True)
    with connected(hr_app):
        users = {u.username: u.id for u in User.select()}
        names = {u.username: u.full_name for u in User.select()}
        manual = documents.create(KIND, "Employee manual", owner=users["hana"],
                                  audience=documents.Audience.of(users=[users["fay"], users["bill"]]),
                                  body="# Hours\nWe open at eight.")
        documents.publish(manual, effective_on=dt.date(2026, 1, 5), summary="First version.",
                          requires_acknowledgment=True)
        documents.acknowledge(manual, users["fay"], TEST_PASSWORD, version_number=1,
                              text_sha256=documents.current_of(manual).text_sha256, address="127.0.0.1")
        reminder = deadlines.find("hr", key_for(manual.id, 1, users["bill"]))
    assert reminder.state == "open" and reminder.assignee_user_id == users["bill"]  # core reminds, under hr
    page = hr.get("/hr/manual").get_data(as_text=True)
    assert "1 signed, 1 still to sign" in page and names["bill"] in page.split("still to sign")[1]
    assert names["fay"] not in page.split("still to sign")[1]
    assert "Pending" in page  # due the grace period after they were first asked
    with connected(hr_app):
        documents.start_draft(manual)
        documents.save_draft(manual, title="Employee manual", body="# Hours\nWe open at half past seven.")
        documents.publish(manual, effective_on=practice_today(), summary="New hours.", requires_acknowledgment=True)
    page = hr.get("/hr/manual").get_data(as_text=True)
    assert "version 2" in page and "0 signed, 2 still to sign" in page
    with connected(hr_app):
        assert overdue_signatures(practice_today()) == 0
        assert overdue_signatures(practice_today() + dt.timedelta(days=400)) == 2  # what HR's Today item counts
    assert login(hr_app.test_client(), "front_desk").get("/hr/manual").status_code == 403
