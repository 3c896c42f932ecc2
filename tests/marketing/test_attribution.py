"""Where patients come from: attribution by campaign code, spend, and cost per new patient and return
computed in SQL to the cent, with charges and collections from billing's events in the 12 months after."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from medoffice import events
from medoffice.db import db, transaction
from medoffice.events.models import EventRecord
from medoffice.settings import today
from medoffice.testing import connected, count_queries, login

from medoffice_marketing import returns, sources
from medoffice_marketing.models import (Campaign, LastVisit, ReferrerYear, ReferringProvider, RevenueLine, SourceDay,
                                        SourceMonth, Visit)
from medoffice_marketing.revenue import take_billing_event, take_billing_events
from medoffice_marketing.sourcedays import refresh_source_days

from marketing_setup import billing_event, new_patient

D = dt.date


def _campaign(code="FLU27", channel="social", name="Flu shots"):
    return sources.save_campaign({"name": name, "channel": channel, "code": code, "starts_on": D(2026, 1, 1),
                                  "ends_on": None, "budget_cents": 50_000})


def test_cost_per_new_patient_and_return_to_the_cent(mk_app):
    with connected(mk_app):
        flu = _campaign()
        web = _campaign("WEB27", "web_search", "Search ads")
        sources.add_spend(flu, D(2026, 2, 1), 10_000, "Metro Print", "Flyers", "tester")
        sources.add_spend(flu, D(2026, 3, 1), 3_333, "Metro Print", "More flyers", "tester")
        sources.add_spend(flu, D(2025, 12, 31), 99_999, "Metro Print", "Before the period", "tester")
        sources.add_spend(web, D(2026, 2, 10), 5_000, "AdWorks", "", "tester")
        patients = [new_patient() for _ in range(4)]
        for patient in patients[:3]:  # lower case and spaces: codes are matched as typed at the desk
            sources.record_source(patient, channel="", campaign_code=" flu27 ", new_on=D(2026, 3, 15))
        sources.record_source(patients[3], channel="web_search", new_on=D(2026, 4, 1))
        first = patients[0].id
        for event in (billing_event("billing.charge_posted", first, 20_000, D(2026, 3, 20)),
                      billing_event("billing.charge_voided", first, -5_000, D(2026, 3, 21)),
                      billing_event("billing.payment_posted", first, 12_345, D(2026, 4, 2)),
                      billing_event("billing.payment_posted", first, 999, D(2027, 3, 15)),  # day 365: after the window
                      billing_event("billing.payment_posted", first, 777, D(2026, 3, 14)),  # before they were new
                      billing_event("billing.refund_posted", patients[1].id, 45, D(2026, 5, 1))):
            take_billing_event(event)
        rows = {r["label"]: r for r in returns.by_campaign(D(2026, 1, 1), D(2026, 12, 31))}
        channels = {r["key"]: r for r in returns.by_channel(D(2026, 1, 1), D(2026, 12, 31))}
    flu_row = rows["Flu shots"]
    assert flu_row["spend_cents"] == 13_333 and flu_row["new_patients"] == 3
    assert flu_row["cost_per_new_cents"] == 4_444  # 133.33 / 3 = 44.443...
    assert flu_row["charges_cents"] == 15_000 and flu_row["collections_cents"] == 12_345 - 45
    assert flu_row["return_bp"] == (12_300 * 10_000 + 6_666) // 13_333  # 92.25%
    assert rows["Search ads"]["new_patients"] == 0 and rows["Search ads"]["cost_per_new_cents"] is None
    assert channels["social"]["new_patients"] == 3 and channels["web_search"]["new_patients"] == 1
    assert channels["web_search"]["cost_per_new_cents"] == 5_000


def test_returns_give_each_key_that_spent_or_brought_patients_once_in_label_order(mk_app):
    """Spend and kept new patients are added up per key in one pass: a key that only spent, one that only
    brought patients (kept days of a month in part, kept months whole) and one that did both, each once."""
    with connected(mk_app):
        flu = _campaign()
        web = _campaign("WEB27", "web_search", "Search ads")
        _campaign("IDLE27", "event", "Idle")  # neither spends nor brings anyone
        sources.add_spend(flu, D(2026, 2, 1), 10_000, "Metro Print", "Flyers", "tester")
        sources.add_spend(flu, D(2026, 2, 9), 2_000, "Metro Print", "More flyers", "tester")
        sources.add_spend(web, D(2026, 1, 5), 7_000, "AdWorks", "Before the period", "tester")
        for channel, code, new_on in (("", "WEB27", D(2026, 3, 15)), ("", "WEB27", D(2026, 1, 20)),
                                      ("sign", "", D(2026, 2, 20)), ("sign", "", D(2026, 1, 9))):
            sources.record_source(new_patient(), channel=channel, campaign_code=code, new_on=new_on)
        period = (D(2026, 1, 10), D(2026, 12, 31))
        campaigns, channels, months = returns.by_campaign(*period), returns.by_channel(*period), \
            returns.by_month(*period)
    assert [(r["label"], r["spend_cents"], r["new_patients"], r["cost_per_new_cents"], r["return_bp"])
            for r in campaigns] == [("Flu shots", 12_000, 0, None, 0), ("Search ads", 0, 2, 0, None)]
    assert [(r["label"], r["spend_cents"], r["new_patients"]) for r in channels] == [
        ("Sign or walk-by", 0, 1), ("Social media", 12_000, 0), ("Web search", 0, 2)]
    assert [(r["label"], r["spend_cents"], r["new_patients"]) for r in months] == [
        ("2026-01", 0, 1), ("2026-02", 12_000, 1), ("2026-03", 0, 1)]


def test_a_billing_event_delivered_twice_is_booked_once_and_a_charge_is_a_visit(mk_app):
    with connected(mk_app):
        patient = new_patient()
        event = billing_event("billing.charge_posted", patient.id, 8_000, D(2026, 6, 1))
        take_billing_event(event)
        take_billing_event(event)
        assert RevenueLine.select().count() == 1
        assert [(v.visit_on, v.source) for v in Visit.select()] == [(D(2026, 6, 1), "billing")]


def test_billings_published_charge_reaches_marketing_through_the_event_log(make_app):
    app = make_app(plugins=["billing", "marketing"])
    with connected(app):
        patient = new_patient()
        with transaction():
            events.publish("billing.charge_posted", {
                "transaction_id": 1, "patient_id": patient.id, "encounter_id": 77, "service_line_id": 1,
                "amount_cents": 12_500, "party": "insurance", "effective_date": D(2026, 5, 4),
                "posted_at": dt.datetime(2026, 5, 4, 15, tzinfo=dt.timezone.utc), "location_id": None,
                "rendering_provider_id": None})
        assert EventRecord.select().count() >= 1
        assert Visit.get(Visit.encounter_id == 77).visit_on == D(2026, 5, 4)
        assert RevenueLine.get().amount_cents == 12_500


def test_bad_source_values_are_refused_naming_the_field(mk_app):
    with connected(mk_app):
        patient = new_patient()
        with pytest.raises(sources.SourceError) as refused:
            sources.record_source(patient, channel="", campaign_code="NOPE", new_on=D(2026, 1, 1))
        assert refused.value.field == "campaign_code"
        with pytest.raises(sources.SourceError, match="referring provider"):
            sources.record_source(patient, channel="referring_provider", new_on=D(2026, 1, 1))
        _campaign()
        with pytest.raises(sources.SourceError, match="already uses the code"):
            _campaign()
        with pytest.raises(sources.SourceError, match="above zero"):
            sources.add_spend(Campaign.get(), D(2026, 1, 1), 0, "X", "", "tester")


def test_campaign_page_records_spend_with_its_invoice_and_shows_cost_per_new_patient(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        flu = _campaign()
        for _ in range(2):
            sources.record_source(new_patient(), channel="", campaign_code="FLU27", new_on=D(2026, 2, 1))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    answer = manager.post(f"/marketing/campaigns/{flu.id}/spend", data={
        "spent_on": "2026-02-01", "amount": "250.01", "vendor": "Metro Print", "description": "Flyers",
        "invoice": (io.BytesIO(pdf), "invoice.pdf")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    page = manager.get(f"/marketing/campaigns/{flu.id}").get_data(as_text=True)
    assert "$250.01" in page and "$125.01" in page  # 250.01 / 2, rounded half up
    assert "invoice.pdf" in page
    refused = manager.post(f"/marketing/campaigns/{flu.id}/spend", data={
        "spent_on": "2026-02-01", "amount": "-3", "vendor": "Metro Print"}, content_type="multipart/form-data")
    assert refused.status_code == 422
    with connected(mk_app):
        assert flu.spend.count() == 1
        sources.add_spend(flu, D(2026, 3, 1), 1_000, "<Ad & Co>", "Radio", "tester")
    page = manager.get(f"/marketing/campaigns/{flu.id}").get_data(as_text=True)
    # The spend as plain rows: newest first, the day in the practice's format, text escaped.
    assert re.findall(r'<tr><td>(2026-0[23]-01)</td><td>(.*?)</td><td>(.*?)</td><td class="num">(.*?)</td></tr>',
                      page) == [("2026-03-01", "&lt;Ad &amp; Co&gt;", "Radio", "$10.00"),
                                ("2026-02-01", "Metro Print", "Flyers", "$250.01")]
    assert login(mk_app.test_client(), "billing").get("/marketing/campaigns").status_code == 403


def _figures() -> tuple[list, list, list]:
    year = (D(2025, 1, 1), D(2027, 12, 31))
    return returns.by_campaign(*year), returns.by_channel(*year), returns.by_month(*year)


def test_kept_new_patients_follow_sources_corrections_and_revenue_and_agree_with_a_recount(mk_app):
    with connected(mk_app):
        flu = _campaign()
        _campaign("WEB27", "web_search", "Search ads")
        early, late, moved = new_patient(), new_patient(), new_patient()
        # Revenue booked before the source is recorded counts once the patient has one.
        take_billing_event(billing_event("billing.charge_posted", early.id, 4_000, D(2026, 3, 20)))
        sources.record_source(early, channel="", campaign_code="FLU27", new_on=D(2026, 3, 15))
        sources.record_source(late, channel="sign", new_on=D(2026, 5, 1))
        sources.record_source(moved, channel="", campaign_code="FLU27", new_on=D(2026, 3, 15))
        for event in (billing_event("billing.payment_posted", early.id, 2_500, D(2026, 4, 2)),
                      billing_event("billing.payment_posted", early.id, 999, D(2027, 3, 15)),  # day 365: after
                      billing_event("billing.charge_posted", moved.id, 7_000, D(2026, 6, 1)),
                      billing_event("billing.refund_posted", late.id, 300, D(2026, 5, 1))):
            take_billing_event(event)
            take_billing_event(event)  # the repeat delivery counts nothing
        # Corrected to another campaign and a later day: the charge of June 1 is now before they were new.
        sources.record_source(moved, channel="", campaign_code="WEB27", new_on=D(2026, 6, 2))
        kept = _figures()
        assert refresh_source_days() == SourceDay.select().count()
        assert _figures() == kept
    by_campaign = {r["label"]: r for r in kept[0]}
    assert (by_campaign["Flu shots"]["new_patients"], by_campaign["Flu shots"]["charges_cents"],
            by_campaign["Flu shots"]["collections_cents"]) == (1, 4_000, 2_500)
    assert (by_campaign["Search ads"]["new_patients"], by_campaign["Search ads"]["charges_cents"]) == (1, 0)
    assert {r["key"]: r["new_patients"] for r in kept[1]} == {"social": 1, "sign": 1, "web_search": 1}
    assert {r["key"]: r["collections_cents"] for r in kept[2]} == {"2026-03": 2_500, "2026-05": -300, "2026-06": 0}
    assert flu.id in {r["key"] for r in kept[0]}


def _by_channel_from_days(start: dt.date, end: dt.date) -> dict:
    """New patients and collections per channel summed from the kept days alone."""
    found: dict = {}
    for row in SourceDay.select().where(SourceDay.new_on.between(start, end) & (SourceDay.new_patients > 0)):
        patients, collections = found.get(row.channel, (0, 0))
        found[row.channel] = (patients + row.new_patients, collections + row.collections_cents)
    return found


@pytest.mark.parametrize("start, end", [
    (D(2025, 12, 6), D(2026, 12, 5)), (D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 3, 5), D(2026, 3, 20)),
    (D(2026, 3, 5), D(2026, 4, 20)), (D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 2, 28), D(2026, 5, 1))])
def test_a_period_adds_up_whole_months_and_the_days_around_them_as_the_days_would(mk_app, start, end):
    with connected(mk_app):
        _campaign()
        days = [D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 5), D(2026, 3, 20), D(2026, 3, 31), D(2026, 4, 1),
                D(2026, 4, 20), D(2026, 4, 21), D(2026, 5, 1), D(2026, 12, 5), D(2025, 12, 6), D(2025, 12, 5)]
        for n, day in enumerate(days):
            patient = new_patient()
            sources.record_source(patient, channel="" if n % 2 else "sign", campaign_code="FLU27" if n % 2 else "",
                                  new_on=day)
            take_billing_event(billing_event("billing.payment_posted", patient.id, 100 + n, day))
        channels = {r["key"]: (r["new_patients"], r["collections_cents"]) for r in returns.by_channel(start, end)}
        months = {r["key"]: r["new_patients"] for r in returns.by_month(start, end)}
        flu = sum(r["new_patients"] for r in returns.by_campaign(start, end))
        expected = _by_channel_from_days(start, end)
    assert channels == expected
    assert sum(months.values()) == sum(n for n, _ in expected.values())
    assert flu == expected.get("social", (0, 0))[0]


def test_the_referrers_page_counts_each_referrer_s_new_patients_this_year_and_in_all(mk_app):
    manager = login(mk_app.test_client(), "admin")
    year_start = today().replace(month=1, day=1)
    with connected(mk_app):
        able = ReferringProvider.create(name="Dr Able")
        ReferringProvider.create(name="Dr Quiet")  # sent nobody
        for new_on in (year_start, today(), year_start - dt.timedelta(days=1)):  # the last one, last year
            sources.record_source(new_patient(), channel="referring_provider", referring_provider_id=able.id,
                                  new_on=new_on)
    page = manager.get("/marketing/referrers").get_data(as_text=True)
    rows = re.findall(r">(Dr \w+)</a></td><td[^>]*>[^<]*</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", page)
    counts = {name: (this_year, in_all) for name, this_year, in_all in rows}
    assert counts == {"Dr Able": ("2", "3"), "Dr Quiet": ("0", "0")}


def test_kept_referrer_years_follow_corrections_and_agree_with_a_recount(mk_app):
    manager = login(mk_app.test_client(), "admin")
    year_start = today().replace(month=1, day=1)
    with connected(mk_app):
        able, baker = ReferringProvider.create(name="Dr Able"), ReferringProvider.create(name="Dr Baker")
        moved, dropped, kept = new_patient(), new_patient(), new_patient()
        for patient in (moved, dropped, kept):
            sources.record_source(patient, channel="referring_provider", referring_provider_id=able.id,
                                  new_on=today())
        # To another referrer and last year; then to no referrer at all; one recorded again unchanged.
        sources.record_source(moved, channel="referring_provider", referring_provider_id=baker.id,
                              new_on=year_start - dt.timedelta(days=1))
        sources.record_source(dropped, channel="sign", new_on=today())
        sources.record_source(kept, channel="referring_provider", referring_provider_id=able.id, new_on=today())
        rows = sorted(ReferrerYear.select(ReferrerYear.referring_provider_id, ReferrerYear.year,
                                          ReferrerYear.new_patients).where(ReferrerYear.new_patients != 0).tuples())
        assert rows == [(able.id, today().year, 1), (baker.id, today().year - 1, 1)]
        refresh_source_days()
        assert sorted(ReferrerYear.select(ReferrerYear.referring_provider_id, ReferrerYear.year,
                                          ReferrerYear.new_patients).tuples()) == rows
    page = manager.get("/marketing/referrers").get_data(as_text=True)
    found = re.findall(r">(Dr \w+)</a></td><td[^>]*>[^<]*</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", page)
    assert dict((name, (this_year, in_all)) for name, this_year, in_all in found) == {
        "Dr Able": ("1", "1"), "Dr Baker": ("0", "1")}


def test_the_campaigns_list_shows_each_campaign_and_finds_one_by_code(mk_app):
    manager = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        flu = _campaign()
        sources.save_campaign({"name": "Spring mailer", "channel": "sign", "code": "MAIL26", "starts_on": D(2026, 3, 1),
                               "ends_on": D(2026, 4, 30), "budget_cents": 120_050})
    page = manager.get("/marketing/campaigns").get_data(as_text=True)
    assert (f'<tr><td><a href="/marketing/campaigns/{flu.id}">Flu shots</a></td><td>FLU27</td><td>Social media</td>'
            f'<td>2026-01-01</td><td></td><td class="num">$500.00</td></tr>') in page
    assert ('<td>MAIL26</td><td>Sign or walk-by</td><td>2026-03-01</td><td>2026-04-30</td><td class="num">$1,200.50</td>'
            in page)
    found = manager.get("/marketing/campaigns?q=mail26").get_data(as_text=True)
    assert "Spring mailer" in found and "Flu shots" not in found


def _booked() -> dict:
    """Everything marketing keeps from billing's events, as sorted rows (without
    ids and when a visit was written: PostgreSQL's sequences go on after a rollback)."""
    models = (Visit, RevenueLine, LastVisit, SourceDay, SourceMonth)
    kept = {m: [f for f in m._meta.sorted_fields if f.name not in ("id", "created_at")] for m in models}
    return {m.__name__: sorted(m.select(*fields).tuples()) for m, fields in kept.items()}


def test_a_batch_of_billing_events_books_what_they_book_one_at_a_time(mk_app):
    with connected(mk_app):
        sources.record_source(first := new_patient(), channel="", campaign_code=_campaign().code, new_on=D(2026, 3, 15))
        second = new_patient()
        repeated = billing_event("billing.charge_posted", first.id, 20_000, D(2026, 3, 20))
        batch = [repeated, billing_event("billing.charge_posted", second.id, 7_000, D(2026, 5, 2)),
                 billing_event("billing.charge_voided", first.id, -5_000, D(2026, 3, 21)),
                 billing_event("billing.payment_posted", first.id, 12_345, D(2026, 4, 2)),
                 billing_event("billing.charge_posted", 999_999, 1_000, D(2026, 4, 3)),  # no such patient
                 billing_event("billing.charge_posted", first.id, 3_000, D(2026, 6, 1)), repeated,
                 billing_event("billing.refund_posted", first.id, 45, D(2026, 5, 1))]
        booked = []
        for deliver in (lambda: [take_billing_event(event) for event in batch], lambda: take_billing_events(batch)):
            with db.atomic() as attempt:
                deliver()
                booked.append(_booked())
                attempt.rollback()
    assert booked[0] == booked[1]
    assert len(booked[0]["RevenueLine"]) == 6 and len(booked[0]["Visit"]) == 3


def test_booking_an_835s_payments_costs_the_same_statements_for_ten_or_a_thousand(mk_app):
    with connected(mk_app):
        sources.record_source(patient := new_patient(), channel="", campaign_code=_campaign().code,
                              new_on=D(2026, 3, 1))
        booked = {}
        for count in (10, 1000):
            batch = [billing_event("billing.payment_posted", patient.id, 100, D(2026, 4, 2)) for _ in range(count)]
            with db.atomic() as attempt:
                with count_queries() as seen:
                    take_billing_events(batch)
                booked[count] = (len(seen), SourceMonth.select(SourceMonth.collections_cents).scalar(),
                                 RevenueLine.select().count())
                attempt.rollback()
    assert booked[10] == (booked[1000][0], 10 * 100, 10)
    assert booked[1000][1:] == (1000 * 100, 1000)


def test_the_campaigns_page_shows_new_spend_at_once_though_its_channel_figures_are_kept(mk_app):
    manager = login(mk_app.test_client(), "admin")
    with connected(mk_app):
        flu = _campaign()
    assert "No spend and no new patients with a source this year." in manager.get("/marketing/campaigns").get_data(
        as_text=True)
    with connected(mk_app):
        sources.add_spend(flu, today().replace(month=1, day=1), 12_345, "Printer", "", "t")
    page = manager.get("/marketing/campaigns").get_data(as_text=True)
    assert '<tr><td>Social media</td><td class="num">$123.45</td>' in page
