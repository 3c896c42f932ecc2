"""Marketing's list pages run as many statements with three times the rows (no query per row)."""
from __future__ import annotations

import datetime as dt
import re

from medoffice import files
from medoffice.models import User
from medoffice.settings import today
from medoffice.testing import connected, count_queries, login, page_queries

from medoffice_marketing import experience, materials, recall, reviews, sources
from medoffice_marketing.models import ReferringProvider, RecallList

from marketing_setup import new_patient

INVOICE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
BODY = "Bring your pills. Bring your card. Come ten minutes early. We will check your weight and ask how you are."


def _add(batch: int, owner_id: int, mailer) -> None:
    for n in range(batch):
        patient = new_patient()
        provider = ReferringProvider.create(name=f"Dr {n}")
        campaign = sources.save_campaign({"name": f"C{patient.id}", "channel": "sign", "code": f"C{patient.id}",
                                          "starts_on": dt.date(2026, 1, 1), "budget_cents": 100})
        sources.add_spend(campaign, dt.date(2026, 1, 2), 1000, "Vendor", "", "t")
        printed = sources.add_spend(mailer, dt.date(2026, 1, 2), 500, "Printer", "", "t")
        files.attach("marketing", "spend", printed.id, "marketing.invoice", INVOICE + str(printed.id).encode(),
                     f"invoice-{printed.id}.pdf")
        sources.record_source(patient, channel="referring_provider", referring_provider_id=provider.id,
                              new_on=today())
        recall.add_visit(patient, today() - dt.timedelta(days=400), "")
        experience.record_survey(experience.clean_answers({"nps": 2}), source="paper",
                                          patient_id=patient.id, answered_on=today())
        experience.log_complaint({"patient_id": patient.id, "received_on": today(), "channel": "phone",
                                  "category": "staff", "summary": "Rude"}, "t")
        reviews.log_review({"site": "Google", "rating": 3, "reviewed_on": today(), "text": "Fine"})
        materials.create(f"Handout {patient.id}", "handout", False, None, BODY, owner_id)


def test_list_pages_do_not_query_per_row(mk_app):
    admin = login(mk_app.test_client(), "admin", username="owner")
    with connected(mk_app):
        owner = User.get(User.username == "owner").id
        rule = recall.save_rule({"name": "Lapsed", "kind": "reactivation", "interval_months": 12})
        mailer = sources.save_campaign({"name": "Mailer", "channel": "sign", "code": "MAIL",
                                        "starts_on": dt.date(2026, 1, 1), "budget_cents": 100})
    urls = ["/marketing/campaigns", "/marketing/referrers", "/marketing/surveys", "/marketing/recovery",
            "/marketing/complaints", "/marketing/reviews", "/marketing/materials", f"/marketing/recall/rules/{rule.id}",
            "/marketing/recall", "/marketing/", "/marketing/testimonials",
            f"/marketing/campaigns/{mailer.id}"]  # each spend entry with its invoice
    counts = {}
    for batch in (2, 4):
        with connected(mk_app):
            _add(batch, owner, mailer)
            kept = recall.create_list(rule, today(), "t")
        pages = [*urls, f"/marketing/recall/lists/{kept.id}"]
        counts[batch] = [len(page_queries(admin, url)) for url in pages]
    assert counts[2] == counts[4], list(zip([*urls, "list"], counts[2], counts[4]))
    with connected(mk_app):
        assert RecallList.select().count() == 2


def test_referrers_widget_and_panel_read_their_figures_in_one_statement_each(mk_app):
    admin = login(mk_app.test_client(), "admin", username="owner")
    with connected(mk_app):
        patient = new_patient()
        for n in range(3):
            provider = ReferringProvider.create(name=f"Dr {n}")
            sources.record_source(new_patient(), channel="referring_provider", referring_provider_id=provider.id,
                                  new_on=today())
    assert not any("marketing_" in sql for sql in page_queries(admin, "/marketing/referrers"))  # kept
    with connected(mk_app):
        sources.record_source(new_patient(), channel="referring_provider", referring_provider_id=provider.id,
                              new_on=today())
    with count_queries() as referrers:  # a referral was recorded: read again
        page = admin.get("/marketing/referrers").get_data(as_text=True)
    assert sum("marketing_referrer_year" in sql for sql in referrers) == 1  # in all and this year, together
    assert not any("marketing_patient_source" in sql for sql in referrers)  # no referral counted one by one
    assert re.search(rf">{provider.name}</a></td><td[^>]*>[^<]*</td><td[^>]*>2</td><td[^>]*>2</td>", page)
    assert not any("marketing_survey" in sql for sql in page_queries(admin, "/marketing/widget"))  # kept
    with connected(mk_app):
        experience.record_survey(experience.clean_answers({"nps": 9}), source="paper", patient_id=None,
                                 answered_on=today())
    with count_queries() as widget:  # a survey was written: read again, in one statement
        admin.get("/marketing/widget")
    assert sum("marketing_survey" in sql for sql in widget) == 1
    panel = page_queries(admin, f"/marketing/patients/{patient.id}/panel")
    assert sum(sql.lstrip().upper().startswith("SELECT") and "marketing_" in sql for sql in panel) == 6
