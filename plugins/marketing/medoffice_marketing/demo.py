"""Demo data: two years (small) or five years (large) of referring providers, campaigns with monthly
spend, each demo patient's source, visits, recall rules and a worked list, surveys with their recovery
items, complaints, reviews and a handout. Rows in bulk; what opens deadlines goes through the services."""
from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from medoffice.bulk import insert_rows
from medoffice.db import transaction
from medoffice.models import Patient, StaffMember, User

from . import experience, materials, recall, reviews
from .lastvisits import refresh_last_visits
from .listfigures import recount_lists
from .models import (Campaign, PatientSource, RecallEntry, RecallRule, RecoveryItem, ReferringProvider,
                     SpendEntry, SurveyResponse, Visit)
from .sourcedays import refresh_source_days

YEARS = {"small": 2, "large": 5}
REFERRERS = (("Dana Whitfield, MD", "Lakeside Cardiology"), ("Omar Haddad, DO", "Riverside Orthopedics"),
             ("Grace Lin, MD", "North Hills Women's Health"), ("Peter Novak, NP", "Maple Urgent Care"),
             ("Ruth Alvarez, MD", "Eastside Pediatrics"))
CAMPAIGNS = (("Flu shot season", "social", "FLU", 250_000), ("Search ads", "web_search", "WEB", 600_000),
             ("Health fair booth", "event", "FAIR", 120_000), ("New sign on Main St", "sign", "SIGN", 300_000))
COMMENTS = {True: ("Friendly staff and no wait.", "Dr. was very thorough.", "Easy to book.", ""),
            False: ("Waited over an hour.", "Billing was confusing.", "Front desk was rude.", "Parking is hard.")}
REVIEW_TEXTS = ((5, "Great office, kind people."), (4, "Good care but the wait was long."),
                (2, "Could not get a call back about my bill."), (5, "Best practice in town."))
HANDOUT = ("# Getting ready for your yearly check-up\n\nBring your pill bottles. Bring your insurance card. "
           "Write down what you want to ask. Come ten minutes early. We will check your weight and blood "
           "pressure. Ask us anything. We are glad to see you.\n")


def _months(start: dt.date, end: dt.date):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day += relativedelta(months=1)


def _spend_and_sources(ctx, start: dt.date, patients: list[int]) -> None:
    providers = [ReferringProvider.create(name=name, practice=practice, email=f"referrals{n}@example.org")
                 for n, (name, practice) in enumerate(REFERRERS)]
    campaigns = []
    for year in range(start.year, ctx.today.year + 1):
        for name, channel, code, budget in CAMPAIGNS:
            begins = max(dt.date(year, 1 if code != "FLU" else 9, 1), start)
            if begins > ctx.today:
                continue
            campaigns.append(Campaign.create(name=f"{name} {year}", channel=channel, code=f"{code}{year}",
                                             starts_on=begins, ends_on=dt.date(year, 12, 31), budget_cents=budget))
    spend = []
    for campaign in campaigns:
        for month in _months(campaign.starts_on, min(campaign.ends_on, ctx.today)):
            spend.append({"campaign": campaign.id, "spent_on": month + dt.timedelta(days=ctx.rng.randint(0, 27)),
                          "amount_cents": campaign.budget_cents // 12 + ctx.rng.randint(-2000, 2000),
                          "vendor": ctx.rng.choice(("Metro Print Co.", "AdWorks", "City Events LLC", "SignCraft")),
                          "description": "Monthly spend", "created_by": "demo"})
    insert_rows(SpendEntry, [s for s in spend if s["spent_on"] <= ctx.today])
    span = (ctx.today - start).days
    sources = []
    for patient_id in patients:
        new_on = start + dt.timedelta(days=ctx.rng.randint(0, span))
        roll = ctx.rng.random()
        live = [c for c in campaigns if c.starts_on <= new_on <= c.ends_on]
        row = {"patient": patient_id, "new_on": new_on, "recorded_by": "demo", "detail": "", "campaign": None,
               "referring_provider": None}
        if roll < 0.35 and live:
            campaign = ctx.rng.choice(live)
            row.update(channel=campaign.channel, campaign=campaign.id)
        elif roll < 0.6:
            row.update(channel="referring_provider", referring_provider=ctx.rng.choice(providers).id)
        else:
            row.update(channel=ctx.rng.choice(("web_search", "insurance_directory", "sign", "other")))
        sources.append(row)
    insert_rows(PatientSource, sources)
    refresh_source_days()


def _visits(ctx, start: dt.date, patients: list[int]) -> None:
    visits = []
    for patient_id in patients:
        day = start + dt.timedelta(days=ctx.rng.randint(0, 120))
        while day <= ctx.today:
            visits.append({"patient": patient_id, "visit_on": day, "source": "manual",
                           "visit_type": ctx.rng.choice(("Annual physical", "Office visit", "Office visit"))})
            day += dt.timedelta(days=ctx.rng.randint(150, 520))
    insert_rows(Visit, visits)
    refresh_last_visits()


def _recall(ctx) -> None:
    physical = RecallRule.create(name="Annual physical", kind="recall", visit_type="Annual physical",
                                 interval_months=12, message_label="yearly check-up")
    RecallRule.create(name="Lapsed patients", kind="reactivation", interval_months=18, message_label="visit")
    kept = recall.create_list(physical, ctx.today - dt.timedelta(days=45), "demo")
    entries = list(RecallEntry.select().where(RecallEntry.recall_list == kept))
    for entry in entries:
        contact = ctx.rng.choice(("email", "letter", "call"))
        outcome = ctx.rng.choice(("booked", "booked", "declined", "unreachable", ""))
        RecallEntry.update(contact=contact, outcome=outcome, outcome_on=ctx.today - dt.timedelta(days=30) if outcome
                           else None).where(RecallEntry.id == entry.id).execute()
    recount_lists([kept.id])


def _surveys(ctx, start: dt.date, patients: list[int]) -> None:
    count = {"small": 160, "large": 12_000}[ctx.size]
    span = (ctx.today - start).days
    rows = []
    for n in range(count):
        nps = ctx.rng.choices(range(11), weights=(1, 1, 1, 1, 2, 2, 3, 6, 10, 18, 22))[0]
        rows.append({"patient": ctx.rng.choice(patients), "source": ctx.rng.choice(("kiosk", "paper", "phone", "import")),
                     "answered_on": start + dt.timedelta(days=ctx.rng.randint(0, span)), "nps": nps,
                     "wait_time": ctx.rng.randint(2 if nps > 6 else 1, 5), "staff": ctx.rng.randint(3, 5),
                     "provider": ctx.rng.randint(3, 5), "facility": ctx.rng.randint(3, 5),
                     "comment": ctx.rng.choice(COMMENTS[nps > 6]), "external_id": f"demo-{n}", "created_by": "demo"})
    ids = [r[0] for r in insert_rows(SurveyResponse, rows, returning=(SurveyResponse.id,))]
    # Detractors become recovery items: old ones worked and closed, the last weeks' still open.
    recent = ctx.today - dt.timedelta(days=10)
    items = []
    for survey_id, row in zip(ids, rows):
        if row["nps"] > experience.DETRACTOR_MAX:
            continue
        due = experience.add_business_days(row["answered_on"], 2)
        closed = row["answered_on"] < recent
        items.append({"patient": row["patient"], "survey": survey_id, "reason": f"Survey score {row['nps']} of 10",
                      "owner_role": "office_manager", "opened_on": row["answered_on"], "due_on": due,
                      "state": "closed" if closed else "open", "outcome": "resolved" if closed else "",
                      "outcome_note": "Called back; apologised and fixed the cause." if closed else "",
                      "closed_on": row["answered_on"] + dt.timedelta(days=ctx.rng.randint(1, 4)) if closed else None})
    insert_rows(RecoveryItem, items)
    for item in RecoveryItem.select().where(RecoveryItem.state == "open"):
        experience.schedule_recovery_deadline(item)  # the open ones are real work: on the calendar


def _complaints(ctx, start: dt.date, patients: list[int]) -> None:
    provider = StaffMember.select().where(StaffMember.is_provider == True).first()  # noqa: E712
    count = {"small": 18, "large": 150}[ctx.size]
    span = (ctx.today - start).days
    for _ in range(count):
        category = ctx.rng.choice(("billing", "wait_time", "wait_time", "staff", "facility", "clinical"))
        received = start + dt.timedelta(days=ctx.rng.randint(0, span))
        complaint = experience.log_complaint({
            "patient_id": ctx.rng.choice(patients), "received_on": received,
            "channel": ctx.rng.choice(tuple(experience.COMPLAINT_CHANNELS)), "category": category,
            "provider": provider.id if category == "clinical" and provider else None,
            "summary": ctx.rng.choice(COMMENTS[False])}, "demo")
        if received < ctx.today - dt.timedelta(days=20):
            experience.resolve_complaint(complaint, "Process gap found and fixed.",
                                         "Dear patient,\n\nThank you for telling us. We looked into it and changed how "
                                         "we work so it does not happen again.\n", received + dt.timedelta(days=9), "demo")
            item = RecoveryItem.get(RecoveryItem.complaint == complaint.id)
            experience.add_attempt(item, "phone", True, "Talked it through.", "demo")
            experience.close_recovery(item, "resolved", "Apologised and explained the change.",
                                      received + dt.timedelta(days=2), "demo")


def _reviews_and_material(ctx) -> None:
    for n, (rating, text) in enumerate(REVIEW_TEXTS):
        review = reviews.log_review({"site": ("Google", "Yelp")[n % 2], "rating": rating, "text": text,
                                     "reviewed_on": ctx.today - dt.timedelta(days=20 * (n + 1)), "reviewer": ""})
        reviews.save_reply(review, "Thank you for your feedback. Please call our office manager so we can talk.")
    owner = User.select().order_by(User.id).first()
    if owner is not None:
        materials.create("Getting ready for your yearly check-up", "handout", True,
                         ctx.today + dt.timedelta(days=200), HANDOUT, owner.id)


def create_demo_data(ctx) -> None:
    """Marketing's demo data, once (a second run adds nothing)."""
    if Campaign.select().exists():
        return
    patients = [p for (p,) in Patient.select(Patient.id).order_by(Patient.id).tuples()]
    if not patients:
        return
    start = ctx.today - relativedelta(years=YEARS[ctx.size])
    with transaction():
        _spend_and_sources(ctx, start, patients)
        _visits(ctx, start, patients)
        _recall(ctx)
        _surveys(ctx, start, patients)
        _complaints(ctx, start, patients)
        _reviews_and_material(ctx)

