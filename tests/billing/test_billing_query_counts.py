"""Billing's list pages and tabs run the same number of queries whatever their number of rows: each is
counted with a few of everything, then with three times as many (an N+1 or a per-row cache miss fails
here, not only in a benchmark). Core's pages and the request cycle: tests/test_query_counts.py."""
from __future__ import annotations

from accounts_setup import days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.testing import login, page_queries
from remit_setup import claims_from_remittance, make_835

from medoffice_billing import aging, collections, payments, plans, posting, statements, x12
from medoffice_billing.models import Claim, ExpectedAmount, Fee, Payer

NAMES = ["ALDER", "BIRCH", "CEDAR", "DOGWOOD", "ELM", "FIR", "GINKGO", "HAZEL", "IVY", "JUNIPER", "KAPOK", "LARCH"]

# Every list and tab of billing, and the ledger of a patient who gets a visit per unit.
PAGES = ["/billing/claims?status=open", "/billing/claims?status=all", "/billing/claims?status=rejected",
         "/billing/encounters", "/billing/payers", "/billing/fees", "/billing/claims/export",
         "/billing/remittances", "/billing/remittances/exceptions", "/billing/denials",
         "/billing/worklists?tab=unpaid", "/billing/worklists?tab=rejected", "/billing/worklists?tab=denied",
         "/billing/worklists?tab=exceptions", "/billing/payments", "/billing/statements",
         "/billing/plans", "/billing/plans?status=all", "/billing/collections?tab=precollections",
         "/billing/collections?tab=past_due", "/billing/collections?tab=past_due&arranged=1",
         "/billing/collections?tab=placed", "/billing/collections?tab=recalled",
         "/billing/widgets/desk-today", "/billing/widgets/aging", "/today", "/billing/underpayments?days=3650"]
# What the seeding adds rows to (the rest are checked all the same: same count before and after).
GROWING = set(PAGES) - {"/billing/claims/export", "/billing/widgets/desk-today", "/billing/widgets/aging",
                        "/today", "/billing/claims?status=open"}


def add_unit(app, records: dict, i: int) -> None:
    """One more of everything billing lists: an 835 that pays one claim, denies one and names one no claim
    matches; a claim not answered and one rejected; self-pay balances gone old, one placed with the agency,
    one recalled, one on a plan, a desk payment; a payer, a fee, a statement run. Eight encounters: three
    units stay within a list's first page (a full page also counts its rows: one more query, once)."""
    name = NAMES[i]
    paid = [f"CLP*PD{i:04d}*1*120*96**12*ICNP{i}", f"NM1*QC*1*{name}*PAID****MI*MP{i:05d}",
            "SVC*HC:99213*120*96", "DTM*472*20240102", "CAS*CO*45*24"]
    denied = [f"CLP*DN{i:04d}*4*120*0**12*ICND{i}", f"NM1*QC*1*{name}*DENIED****MI*MD{i:05d}",
              "SVC*HC:99213*120*0", "DTM*472*20240102", "CAS*CO*197*120"]
    unmatched = [f"CLP*NOPE{i:04d}*1*10*10**12*P", f"NM1*QC*1*{name}*ROE****MI*MN{i:05d}",
                 "SVC*HC:99211*10*10", "DTM*472*20240102"]
    with database(app):
        claims_from_remittance(x12.parse_835(make_835(paid + denied, total="0", trace=f"SETUP{i}"))[0])
        # RUSHMORE LIFE is expected to allow $100.00 for 99213: the paid claim ($96.00 allowed) is underpaid
        ExpectedAmount.insert(fee=Fee.get((Fee.code == "99213") & (Fee.modifier == "")).id,
                              payer=Payer.get(Payer.name == "RUSHMORE LIFE").id, allowed_cents=10000
                              ).on_conflict_ignore().execute()
    with app.test_request_context():
        posting.import_835(make_835(paid + denied + unmatched, total="106", trace=f"TRACE{i}",
                                    control=f"{900 + i:09d}"), f"unit{i}.835")
    with database(app):
        insured_visit(records, days_ago(40), patient=new_patient(last=f"{name.title()}wait"))
        rejected = insured_visit(records, days_ago(40), patient=new_patient(last=f"{name.title()}reject"))
        Claim.update(status="rejected").where(Claim.id == rejected.id).execute()
        # The practice's first patient: an old balance, paid in part at the desk (a longer ledger each time).
        self_pay_visit(records, days_ago(150))
        placed, recalled, planned = (new_patient(last=f"{name.title()}{part}") for part in ("placed", "recalled", "plan"))
        for person in (placed, recalled, planned):
            self_pay_visit(records, days_ago(150), patient=person)
        today = settings.today()
        aging.refresh_patient_aging(today)
        collections.place(placed.id, "Acme Recovery")
        collections.recall(collections.place(recalled.id, "Acme Recovery"), "Paid us directly")
        plans.create_plan(planned.id, 12000, 3000, "monthly", today)
        payments.post_payment(records["patient"].id, 5000, "cash")
        Payer.create(name=f"{name.title()} Mutual", payer_id=f"P{i:04d}")
        Fee.create(code=f"9{i:04d}", charge_cents=1000 + i, description=f"Service {name.lower()}")
        statements.record_run(today, trigger="job", username="system")
        aging.refresh_patient_aging(today)


def rows(html: str) -> int:
    """Rows a page shows: table rows, and the cards of the denials and exceptions queues."""
    return html.count("<tr") + html.count('<section class="card')


def resolved(client, url: str) -> str:
    """The URL a page settles on (lists redirect to their default sort)."""
    response = client.get(url)
    return response.headers["Location"] if response.status_code in (301, 302, 303) else url


def test_billing_lists_run_as_many_queries_with_three_times_the_rows(app):
    with database(app):
        records = practice()
    add_unit(app, records, 0)
    biller = login(app.test_client(), "admin")
    pages = PAGES + [f"/billing/patients/{records['patient'].id}/ledger"]
    urls = {page: resolved(biller, page) for page in pages}
    before = {page: len(page_queries(biller, url)) for page, url in urls.items()}
    shown = {page: rows(biller.get(url).get_data(as_text=True)) for page, url in urls.items()}
    for i in (1, 2):
        add_unit(app, records, i)
    after = {page: len(page_queries(biller, url)) for page, url in urls.items()}
    grew = {page for page, url in urls.items() if rows(biller.get(url).get_data(as_text=True)) > shown[page]}
    # The lists the units fill must show more rows, or the comparison proves nothing.
    assert GROWING - grew == set()
    assert {page: (before[page], after[page]) for page in pages if after[page] != before[page]} == {}
