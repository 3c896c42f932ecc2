"""An 835 import runs the same statements however many claims it pays (a few per file, or per chunk of
claims), and posts the same per claim: each line's payment, the contractual adjustment, the patient's share
moved on to the secondary payer when the patient has one (that claim started for review) or else to the
patient, one event per ledger entry. The statements counted are billing's own: the subscribers that book its
events (finance's books) have their own tests."""
from __future__ import annotations

import itertools

from accounts_setup import days_ago, insured_visit, new_patient
from billing_setup import database, practice
from medoffice.events.models import EventRecord
from medoffice.testing import count_queries
from remit_setup import make_835

from medoffice_billing import posting
from medoffice_billing.models import Claim, ClaimLine, Coverage, LineTransaction, Payer, ServiceLine

_files = itertools.count(1)


def paid_in_full(records: dict, second: Payer, count: int) -> tuple[str, list[Claim], set[int]]:
    """An 835 paying ``count`` new submitted claims (a visit and a blood draw each): 80% of the visit, the
    patient's 20.00 copay moved on, the draw in full. Every other patient also has a secondary policy.
    :return: the file, its claims, and the patients with a secondary policy."""
    loops, made, with_second = [], [], set()
    for n in range(count):
        patient = new_patient(last=f"Remit{n}")
        Coverage.create(patient_id=patient.id, payer=records["payer"], rank=1, member_id=f"M{patient.id:06d}",
                        effective_date=days_ago(4000))
        if n % 2 == 0:
            Coverage.create(patient_id=patient.id, payer=second, rank=2, member_id=f"S{patient.id:06d}",
                            effective_date=days_ago(4000))
            with_second.add(patient.id)
        claim = insured_visit(records, days_ago(20), codes=("99213", "36415"), patient=patient)
        visit, draw = [control for (control,) in ClaimLine.select(ServiceLine.control_number).join(ServiceLine)
                       .where(ClaimLine.claim == claim.id).order_by(ClaimLine.line_number).tuples()]
        day = f"{claim.service_date:%Y%m%d}"
        loops += [f"CLP*{claim.claim_number}*1*135*91*20*12*ICN{claim.claim_number}",
                  f"NM1*QC*1*REMIT{n}*LAN****MI*M{patient.id:06d}",
                  "SVC*HC:99213*120*76**1", f"DTM*472*{day}", "CAS*CO*45*24", "CAS*PR*3*20", f"REF*6R*{visit}",
                  "SVC*HC:36415*15*15**1", f"DTM*472*{day}", f"REF*6R*{draw}"]
        made.append(claim)
    number = next(_files)
    text = make_835(loops, total=f"{91 * count}", trace=f"COST{number:04d}", payer_name=records["payer"].name,
                    payer_id="ACME1", control=f"{700 + number:09d}")
    return text, made, with_second


def test_an_835_costs_the_same_statements_for_twice_the_claims_and_posts_each_one(make_app):
    app = make_app(plugins=["billing"])  # billing's own statements: subscribers (finance's books) have their tests
    with database(app):
        records = practice()
        second = Payer.create(name="Second Mutual", payer_id="SEC01")
        posting.import_835(paid_in_full(records, second, 1)[0], "first.835")  # caches and counters in place
        costs = []
        for count in (3, 6):
            text, claims, with_second = paid_in_full(records, second, count)
            events_before = EventRecord.select().count()
            with count_queries() as seen:
                result = posting.import_835(text, f"cost{count}.835")
            costs.append(len(seen))

            assert result.totals() == {"claims_matched": count, "claims_unmatched": 0, "paid_cents": 9100 * count,
                                       "adjustment_cents": 2400 * count,
                                       "patient_responsibility_cents": 2000 * count, "plb_cents": 0}
            ids = [c.id for c in claims]
            assert [c.status for c in Claim.select().where(Claim.id.in_(ids)).order_by(Claim.id)] == ["paid"] * count
            era = LineTransaction.select().where(LineTransaction.claim.in_(ids) & (LineTransaction.source == "era"))
            for claim in claims:
                entries = [(e.kind, e.party, e.payer_id, e.amount_cents, e.group_code, e.carc)
                           for e in era if e.claim_id == claim.id]
                onward = ((("transfer", "insurance", second.id, 2000, "PR", "3")) if claim.patient_id in with_second
                          else ("transfer", "patient", claim.payer_id, 2000, "PR", "3"))
                assert sorted(entries) == sorted([
                    ("payment", "insurance", claim.payer_id, -7600, "", ""),
                    ("payment", "insurance", claim.payer_id, -1500, "", ""),
                    ("adjustment", "insurance", claim.payer_id, -2400, "CO", "45"),
                    ("transfer", "insurance", claim.payer_id, -2000, "PR", "3"), onward])
            started = list(Claim.select().where((Claim.responsibility == "S")
                                                & Claim.encounter.in_([c.encounter_id for c in claims])))
            assert sorted(c.patient_id for c in started) == sorted(with_second)
            assert all(c.payer_id == second.id and c.status == "draft" and c.total_charge_cents == 13500
                       for c in started)
            names = [name for (name,) in EventRecord.select(EventRecord.name)
                     .where(EventRecord.id > 0).order_by(EventRecord.id).tuples()][events_before:]
            assert names.count("billing.payment_posted") == 2 * count
            assert names.count("billing.adjustment_posted") == 3 * count
        assert costs[0] == costs[1]
