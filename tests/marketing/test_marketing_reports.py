"""Marketing's reports run on both databases with their figures and charts, and the referring provider's
thank-you goes through core's outbox naming how many patients, never who."""
from __future__ import annotations

import datetime as dt

from medoffice.messages.models import OutboxMessage
from medoffice.settings import today
from medoffice.testing import connected, login

from medoffice_marketing import experience, reports, sources

from marketing_setup import new_patient

D = dt.date


def _data():
    campaign = sources.save_campaign({"name": "Flu shots", "channel": "social", "code": "FLU", "starts_on": D(2026, 1, 1),
                                      "budget_cents": 0})
    sources.add_spend(campaign, D(2026, 1, 10), 20_000, "Print", "", "t")
    sources.add_spend(campaign, D(2026, 2, 10), 10_001, "Print", "", "t")
    provider = sources.save_provider({"name": "Dana Whitfield, MD", "email": "dana@clinic.example"})
    patients = [new_patient() for _ in range(3)]
    sources.record_source(patients[0], channel="", campaign_code="FLU", new_on=D(2026, 1, 20))
    sources.record_source(patients[1], channel="", campaign_code="FLU", new_on=D(2026, 2, 20))
    sources.record_source(patients[2], channel="referring_provider", referring_provider_id=provider.id,
                          new_on=D(2026, 2, 21))
    for score, day in ((10, D(2026, 1, 5)), (2, D(2026, 1, 6)), (9, D(2026, 2, 1))):
        experience.record_survey(experience.clean_answers({"nps": score}), source="paper", patient_id=None,
                                 answered_on=day)
    experience.log_complaint({"received_on": D(2026, 2, 3), "channel": "phone", "category": "billing",
                              "summary": "Bill"}, "t")
    return provider, patients


def test_reports_give_the_figures_by_campaign_month_and_theme(mk_app):
    with connected(mk_app):
        _data()
        by_month = reports.monthly_returns(D(2026, 1, 1), D(2026, 12, 31))
        assert [(r["month"], r["spend_cents"], r["new_patients"]) for r in by_month.rows] == [
            ("2026-01", 20_000, 1), ("2026-02", 10_001, 2)]
        assert by_month.totals["cost_per_new_cents"] == 10_000  # 300.01 / 3
        campaign = reports.campaign_returns(D(2026, 1, 1), D(2026, 12, 31))
        assert campaign.rows[0]["cost_per_new_cents"] == 15_001  # 300.01 / 2, half up
        nps = reports.nps_trend(D(2026, 1, 1), D(2026, 12, 31))
        assert [(r["month"], r["nps"]) for r in nps.rows] == [("2026-01", 0), ("2026-02", 100)]
        assert nps.totals["nps"] == 33
        themes = reports.complaint_themes(D(2026, 1, 1), D(2026, 12, 31))
        assert themes.rows == [{"month": "2026-02", **{k: int(k == "billing") for k in experience.CATEGORIES}}]
        assert reports.referrers(D(2026, 1, 1), D(2026, 12, 31)).rows[0]["new_patients"] == 1
    manager = login(mk_app.test_client(), "office_manager")
    for spec in reports.marketing_reports():
        page = manager.get(f"/reports/{spec.id}?start=2026-01-01&end=2026-12-31&run=1")
        assert page.status_code == 200, spec.id
        assert "data:image/svg+xml" in page.get_data(as_text=True), spec.id  # its chart


def test_the_thank_you_names_a_count_and_no_patient(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        provider, patients = _data()
        this_year = sum(1 for p in patients[2:] if today().year == 2026)  # the referral was made in 2026
    assert manager.post(f"/marketing/referrers/{provider.id}/thank").status_code == 302
    with connected(mk_app):
        message = OutboxMessage.get()
        assert message.to_address == "dana@clinic.example" and message.purpose == "staff"
        assert f"referred {this_year} patient{'' if this_year == 1 else 's'} to us this year" in message.body_text
        assert all(p.last_name not in message.body_text for p in patients)


def test_nps_months_count_each_month_cut_to_the_period_however_long(mk_app):
    answers = [(D(2025, 12, 31), 10), (D(2026, 1, 1), 3), (D(2026, 1, 31), 9), (D(2026, 3, 1), 7), (D(2026, 3, 15), 1),
               (D(2029, 6, 30), 10)]
    with connected(mk_app):
        for day, score in answers:
            experience.record_survey(experience.clean_answers({"nps": score}), source="paper", patient_id=None,
                                     answered_on=day)
        for start, end in [(D(2026, 1, 1), D(2026, 3, 1)), (D(2025, 12, 31), D(2026, 12, 30)), (D(2026, 1, 2), D(2026, 1, 30)),
                           (D(2025, 1, 1), D(2029, 12, 31)), (D(2026, 3, 2), D(2026, 3, 1))]:  # long: grouped; backwards
            expected = {}
            for day, score in answers:
                if start <= day <= end:
                    month = expected.setdefault(f"{day:%Y-%m}", [0, 0, 0])
                    month[0] += 1
                    month[1] += score >= 9
                    month[2] += score <= 6
            found = reports.nps_rows(start, end)
            assert [(r["month"], r["responses"], r["promoters"], r["detractors"]) for r in found] == \
                [(month, *counts) for month, counts in sorted(expected.items())], (start, end)
