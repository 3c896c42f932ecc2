"""Marketing's recall lists, campaign return report and pages against floors measured in the same run (issue 16).

    python benchmarks/marketing_reports.py --instance PATH [--database-url URL] [--repeat 5] [--requests 100]
                                           [--rounds 10] [--figures FILE]

The instance should hold the large demo data (`medoffice demo --size large`) with billing and
marketing on. Two parts, measured as ``billing_reports.py`` and ``finance_reports.py`` measure theirs:

1. Reports: each active rule's recall list as of today (who is due, as the rule's page and a kept
   list compute it: patient, account, preferred contact, last visit and due date) and the campaign
   return report over the year up to today (spend, new patients, cost per new patient, their charges
   and collections in their first 12 months, return on spend) are timed against a hand-written SQL
   query returning the same numbers, which are compared first (exit 1 when they disagree); the two
   are run alternately and the best of ``--repeat`` runs of each counts. The ratio must stay at or
   below 1.5 (a run done in under 5 ms is not held to it).
2. Pages: every marketing nav page and widget (as ``pages.py`` finds them), the closed service
   recovery items, each active rule's due list, the latest kept recall list, the campaign with the
   most new patients and the marketing panel of the patient with the most visits, in-process p95
   (Flask test client, logged in, read audit included) against the reference list page
   (``reference.py``), interleaved with it and core's bare route; at or below 3x.

Figures count for goal "16" (PostgreSQL's prefixed so with ``--database-url``). Prints one line per
report and page with the ratio, and a summary of those over their bound.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # noqa: E402
from dateutil.relativedelta import relativedelta  # noqa: E402
from finance_reports import main, plugin_nav_urls, report_header, time_against_sql  # noqa: E402

from medoffice import settings  # noqa: E402
from medoffice.db import db, is_sqlite  # noqa: E402

GOAL = "16"
DUE_AHEAD_DAYS = 30          # as marketing's recall lists: due within the next month,
RECALL_LOOKBACK_MONTHS = 12  # or overdue up to a year (older ones are reactivation's)
FOLLOW_DAYS = 365            # a new patient's charges and collections counted for a year


def due_bounds(kind: str, months: int, as_of: dt.date) -> tuple[dt.date | None, dt.date]:
    """The (oldest, newest) last visit a rule's list takes as of a day."""
    due_point = as_of - relativedelta(months=months)
    if kind == "reactivation":
        return None, due_point - dt.timedelta(days=1)
    return due_point - relativedelta(months=RECALL_LOOKBACK_MONTHS), due_point + dt.timedelta(days=DUE_AHEAD_DAYS)


def recall_sql(rule, as_of: dt.date) -> tuple[str, list]:
    """Who a rule finds due: each patient's last visit (of the rule's type) in the rule's window, and the
    date it falls due (the same day ``interval_months`` later, or that month's last day)."""
    months = int(rule.interval_months)
    if is_sqlite():
        due = (f"MIN(date(v.last_visit_on, '+{months} months'), "
               f"date(v.last_visit_on, 'start of month', '+{months + 1} months', '-1 day'))")
        true = "1"
    else:
        due = f"CAST(v.last_visit_on + INTERVAL '{months} months' AS date)"
        true = "TRUE"
    params: list = []
    visit_type = ""
    if rule.kind == "recall" and rule.visit_type:
        visit_type, params = "WHERE visit_type = ?", [rule.visit_type]
    oldest, newest = due_bounds(rule.kind, months, as_of)
    if oldest is None:
        having, params = "MAX(visit_on) <= ?", params + [newest]
    else:
        having, params = "MAX(visit_on) BETWEEN ? AND ?", params + [oldest, newest]
    return (f"""
SELECT p.id, p.last_name, p.first_name, p.account_number, p.preferred_contact, v.last_visit_on, {due}
FROM (SELECT patient_id, MAX(visit_on) AS last_visit_on FROM marketing_visit {visit_type}
      GROUP BY patient_id HAVING {having}) v
JOIN core_patient p ON p.id = v.patient_id
WHERE p.active = {true} AND p.merged_into_id IS NULL""", params)


def campaign_sql(start: dt.date, end: dt.date) -> tuple[str, list]:
    """Per campaign that spent or brought new patients in the range: spend, new patients, cost per new
    patient (half up, in cents), their charges and collections in their first year, collections / spend
    in basis points (half up)."""
    year_on = f"date(s.new_on, '+{FOLLOW_DAYS} days')" if is_sqlite() else f"s.new_on + {FOLLOW_DAYS}"
    return (f"""
WITH src AS (SELECT id, campaign_id, patient_id, new_on FROM marketing_patient_source
             WHERE new_on BETWEEN ? AND ? AND campaign_id IS NOT NULL),
     per_patient AS (SELECT s.campaign_id, s.id,
                            SUM(CASE WHEN r.kind = 'charge' THEN r.amount_cents ELSE 0 END) AS charges,
                            SUM(CASE WHEN r.kind = 'payment' THEN r.amount_cents ELSE 0 END) AS collections
                     FROM src s LEFT JOIN marketing_revenue r
                       ON r.patient_id = s.patient_id AND r.effective_date >= s.new_on
                      AND r.effective_date < {year_on}
                     GROUP BY s.campaign_id, s.id),
     pat AS (SELECT campaign_id, COUNT(*) AS new_patients, SUM(charges) AS charges, SUM(collections) AS collections
             FROM per_patient GROUP BY campaign_id),
     spent AS (SELECT campaign_id, SUM(amount_cents) AS spend FROM marketing_spend
               WHERE spent_on BETWEEN ? AND ? GROUP BY campaign_id),
     f AS (SELECT c.name, COALESCE(spent.spend, 0) AS spend, COALESCE(pat.new_patients, 0) AS new_patients,
                  COALESCE(pat.charges, 0) AS charges, COALESCE(pat.collections, 0) AS collections
           FROM marketing_campaign c LEFT JOIN spent ON spent.campaign_id = c.id
           LEFT JOIN pat ON pat.campaign_id = c.id
           WHERE spent.campaign_id IS NOT NULL OR pat.campaign_id IS NOT NULL)
SELECT name, spend, new_patients,
       CASE WHEN new_patients > 0 THEN (spend * 2 + new_patients) / (new_patients * 2) END,
       charges, collections, CASE WHEN spend > 0 THEN (collections * 20000 + spend) / (spend * 2) END
FROM f ORDER BY name""", [start, end, start, end])


def run_reports(app, repeat: int, number: str, prefix: str) -> list[figures.Figure]:
    """Time every active rule's recall list and the campaign return report against their hand-written queries."""
    from medoffice_marketing import recall
    from medoffice_marketing.models import RecallRule
    from medoffice_marketing.reports import marketing_reports

    found = []
    report_header()
    with app.app_context():
        db.connect(reuse_if_open=True)
        today = settings.today()
        for rule in RecallRule.select().where(RecallRule.active == True).order_by(RecallRule.id):  # noqa: E712
            def due_list(rule=rule):
                return [(p.id, p.last_name, p.first_name, p.account_number, p.preferred_contact,
                         recall.as_date(p.last_visit_on), recall.due_on(rule, p.last_visit_on))
                        for p in recall.due_query(rule, today)]

            sql, params = recall_sql(rule, today)
            found += time_against_sql(f"recall list: {rule.name}"[:40], due_list, lambda rows: rows, sql, params,
                                      repeat, number, prefix)
        spec = next(s for s in marketing_reports() if s.id == "marketing.campaign_returns")
        start, end = today - dt.timedelta(days=365), today
        keys = ("campaign", "spend_cents", "new_patients", "cost_per_new_cents", "charges_cents",
                "collections_cents", "return_bp")
        sql, params = campaign_sql(start, end)
        found += time_against_sql(spec.id, lambda: spec.run(start=start, end=end),
                                  lambda result: [tuple(r[k] for k in keys) for r in result.rows], sql, params,
                                  repeat, number, prefix)
        db.close()
    return found


def page_urls(app) -> list[str]:
    """Marketing's nav pages and widget, the closed recovery items, each active rule's due list, the latest kept
    list, the campaign with the most new patients and the panel of the patient with the most visits."""
    from medoffice_marketing.models import PatientSource, RecallList, RecallRule, Visit
    from peewee import fn

    urls = plugin_nav_urls(app, "/marketing") + ["/marketing/recovery?state=closed"]
    with app.app_context():
        db.connect(reuse_if_open=True)
        rules = [r.id for r in RecallRule.select(RecallRule.id).where(RecallRule.active == True)  # noqa: E712
                 .order_by(RecallRule.id)]
        kept = RecallList.select(fn.MAX(RecallList.id)).scalar()
        campaign = (PatientSource.select(PatientSource.campaign).where(PatientSource.campaign.is_null(False))
                    .group_by(PatientSource.campaign).order_by(fn.COUNT(PatientSource.id).desc()).limit(1).scalar())
        patient = (Visit.select(Visit.patient).group_by(Visit.patient).order_by(fn.COUNT(Visit.id).desc())
                   .limit(1).scalar())
        db.close()
    urls += [f"/marketing/recall/rules/{rule}" for rule in rules]
    if kept:
        urls.append(f"/marketing/recall/lists/{kept}")
    if campaign:
        urls.append(f"/marketing/campaigns/{campaign}")
    if patient:
        urls.append(f"/marketing/patients/{patient}/panel")
    return urls


if __name__ == "__main__":
    main(__doc__.splitlines()[0], GOAL, run_reports, page_urls)
