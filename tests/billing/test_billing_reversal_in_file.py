"""835 reversal and correction inside one file: a payer pays a claim, takes the payment back (CLP02 22) and
pays it again, all in the same check (or in two checks of the same file). The reversal undoes the posting
made earlier in the file, exactly as it undoes one from an earlier file; a reversal with nothing to undo
still waits in the exceptions queue, saying why; the finance events follow the ledger."""
from __future__ import annotations

import datetime as dt

from billing_setup import database
from remit_setup import balance, claims_from_remittance, era_sums, isa, make_835
from test_billing_events import subscriber

from medoffice_billing import posting, x12
from medoffice_billing.models import Claim, ClaimEvent, Coverage, LineTransaction, Payer, RemitClaim

PATIENT = "NM1*QC*1*BUDD*WILLIAM****MI*33344555510"
LINE = ["DTM*150*20020301", "DTM*151*20020304"]
# Claim 5554555444: 800.00 billed, 450.00 paid, 50.00 contractual (A2), 300.00 deductible.
PAYMENT = ["CLP*5554555444*1*800*450*300*12*94060555410000", "CAS*CO*A2*50", PATIENT,
           "SVC*HC:99211*800*500", *LINE, "CAS*PR*1*300"]
# The payer takes all of it back (every amount negated, under the same group codes)...
REVERSAL = ["CLP*5554555444*22*-800*-450*-300*12*94060555410000", "CAS*CO*A2*-50", PATIENT,
            "SVC*HC:99211*-800*-500", *LINE, "CAS*PR*1*-300"]
# ...and pays it again without the contractual reduction: 500.00 paid, 300.00 deductible.
CORRECTION = ["CLP*5554555444*1*800*500*300*12*94060555410001", PATIENT, "SVC*HC:99211*800*500", *LINE,
              "CAS*PR*1*300"]
# A denial of the same claim (nothing paid, the whole charge contractual), and its reversal.
DENIAL = ["CLP*5554555444*4*800*0**12*94060555410000", PATIENT, "SVC*HC:99211*800*0", *LINE, "CAS*CO*50*800"]
DENIAL_REVERSAL = ["CLP*5554555444*22*-800*0**12*94060555410000", PATIENT, "SVC*HC:99211*-800*0", *LINE,
                   "CAS*CO*50*-800"]
# Another claim of the payer, paid in full.
OTHER = ["CLP*8765432112*1*1200*1200**12*9407779923000", "NM1*QC*1*SETTLE*SUSAN****MI*44455666610",
         "SVC*HC:93555*1200*1200", "DTM*472*20020310"]


def build(app, *loops) -> dict[str, Claim]:
    """The claims the claim loops pay, submitted, with their charges on the ledger; by claim number."""
    with database(app):
        claims = claims_from_remittance(x12.parse_835(make_835(list(loops), total="0", trace="SETUP"))[0])
        return {c.claim_number: c for c in claims.values()}


def line_of(app, claim: Claim) -> int:
    with database(app):
        return Claim.get_by_id(claim.id).lines[0].service_line_id


def two_checks(first: list[str], first_total: str, second: list[str], second_total: str) -> str:
    """One file carrying two payments (two ST...SE transactions, each its own check)."""
    def transaction(loops, total, trace, number):
        body = [f"ST*835*{number}", f"BPR*I*{total}*C*ACH************20240105", f"TRN*1*{trace}*1935665544",
                "DTM*405*20240104", "N1*PR*RUSHMORE LIFE", "N3*10 SOUTH AVENUE", "N4*RAPID CITY*SD*55111",
                "PER*BL*JOHN WAYNE*TE*8005551212", "N1*PE*TEST CLINIC*XX*1245319599", "LX*1", *loops]
        return body + [f"SE*{len(body) + 1}*{number}"]
    segments = transaction(first, first_total, "CHECK1", "0001") + transaction(second, second_total, "CHECK2", "0002")
    return (isa() + "GS*HP*PAYERSENDER*PRACTICE*20240105*1200*901*X*005010X221A1~" + "~".join(segments)
            + "~GE*2*901~IEA*1*000000901~")


def standing(claim: Claim) -> list[tuple[str, str, int]]:
    """The claim's 835 entries that nothing reversed, and are no reversal themselves."""
    rows = list(LineTransaction.select().where((LineTransaction.claim == claim.id) & (LineTransaction.source == "era")))
    undone = {r.reverses_id for r in rows if r.reverses_id}
    return sorted((r.kind, r.party, r.amount_cents) for r in rows if not r.reverses_id and r.id not in undone)


def assert_every_reversal_undoes_its_original(claim: Claim) -> None:
    for row in LineTransaction.select().where((LineTransaction.claim == claim.id)
                                              & LineTransaction.reverses.is_null(False)):
        original = LineTransaction.get_by_id(row.reverses_id)
        assert (row.kind, row.party, row.service_line_id, row.amount_cents) == (
            original.kind, original.party, original.service_line_id, -original.amount_cents)


def test_a_payment_reversed_later_in_the_same_check_leaves_the_claim_as_before(app):
    claim = build(app, *PAYMENT)["5554555444"]
    line = line_of(app, claim)
    with app.app_context():
        result = posting.import_835(make_835(PAYMENT + REVERSAL, total="0", trace="INFILE1"), "in-file.835")
    with database(app):
        totals = result.totals()
        assert (totals["claims_matched"], totals["claims_unmatched"], totals["paid_cents"]) == (2, 0, 0)
        assert RemitClaim.select().where(RemitClaim.queue == "exception").count() == 0
        assert balance(line, "insurance") == 80000 and balance(line, "patient") == 0
        assert standing(claim) == [] and era_sums()["paid"] == 0
        assert_every_reversal_undoes_its_original(claim)
        original, reversal = RemitClaim.select().order_by(RemitClaim.position)
        assert (original.outcome, original.resolved, reversal.outcome) == ("reversed", True, "reversal")
        assert "later in this 835" in original.resolution and "INFILE1" in original.resolution
        assert Claim.get_by_id(claim.id).status == "accepted"  # back with the payer, waiting for its decision


def test_payment_reversal_and_correction_in_one_check_post_the_correction_only(app, client_as):
    claim = build(app, *PAYMENT)["5554555444"]
    line = line_of(app, claim)
    with app.app_context():
        result = posting.import_835(make_835(PAYMENT + REVERSAL + CORRECTION, total="500", trace="INFILE2"),
                                    "corrected.835")
    with database(app):
        assert result.totals()["paid_cents"] == 50000 and result.totals()["claims_unmatched"] == 0
        # The ledger ends as if only the corrected payment had been posted.
        assert standing(claim) == [("payment", "insurance", -50000), ("transfer", "insurance", -30000),
                                   ("transfer", "patient", 30000)]
        assert balance(line, "insurance") == 0 and balance(line, "patient") == 30000
        assert era_sums()["paid"] == 50000 and era_sums()["adjusted"] == {}
        assert_every_reversal_undoes_its_original(claim)
        assert [r.outcome for r in RemitClaim.select().order_by(RemitClaim.position)] == ["reversed", "reversal",
                                                                                          "paid"]
        stored = Claim.get_by_id(claim.id)
        assert stored.status == "paid" and stored.payer_claim_number == "94060555410001"
        moves = [(e.from_status, e.to_status) for e in ClaimEvent.select().where(
            (ClaimEvent.claim == claim.id) & (ClaimEvent.action == "status")).order_by(ClaimEvent.id)]
        assert moves == [("submitted", "paid"), ("paid", "accepted"), ("accepted", "paid")]
        remittance_id = result.remittances[0].id
    report = client_as("billing").get(f"/billing/remittances/{remittance_id}").get_data(as_text=True)
    assert "Reversed later" in report and "Reversed by the payer later in this 835 (claim payment 2)" in report


def test_a_denial_taken_back_in_the_same_check_leaves_the_denial_queue(app):
    claim = build(app, *PAYMENT)["5554555444"]
    line = line_of(app, claim)
    with app.app_context():
        posting.import_835(make_835(DENIAL + DENIAL_REVERSAL + CORRECTION, total="500", trace="INFILE3"))
    with database(app):
        assert posting.queue_counts() == (0, 0)
        assert [(r.outcome, r.queue, r.resolved) for r in RemitClaim.select().order_by(RemitClaim.position)] == [
            ("reversed", "denial", True), ("reversal", "", False), ("paid", "", False)]
        assert balance(line, "insurance") == 0 and balance(line, "patient") == 30000
        assert era_sums()["adjusted"] == {} and Claim.get_by_id(claim.id).status == "paid"


def test_a_payment_reversed_in_the_same_check_sends_nothing_on_to_the_next_payer(app):
    claim = build(app, *PAYMENT)["5554555444"]
    with database(app):
        gap = Payer.create(name="Gap Plan", payer_id="GAP01")
        Coverage.create(patient_id=claim.patient_id, payer=gap, rank=2, member_id="GAP123",
                        effective_date=dt.date(1990, 1, 1))
    line = line_of(app, claim)
    with app.app_context():
        posting.import_835(make_835(PAYMENT + REVERSAL, total="0", trace="INFILE5"))
    with database(app):
        # The deductible went on to Gap Plan and came back with the reversal: no claim to Gap Plan is started.
        assert Claim.select().where(Claim.payer == gap.id).count() == 0
        assert balance(line, "insurance") == 80000 and balance(line, "patient") == 0
        assert [r.problem for r in RemitClaim.select().order_by(RemitClaim.position)] == ["", ""]


def test_a_reversal_in_the_next_check_of_the_same_file_undoes_the_first_check(app):
    claim = build(app, *PAYMENT)["5554555444"]
    line = line_of(app, claim)
    with app.app_context():
        result = posting.import_835(two_checks(PAYMENT, "450", REVERSAL + CORRECTION, "50"), "two-checks.835")
    with database(app):
        assert [r.trace_number for r in result.remittances] == ["CHECK1", "CHECK2"]
        assert result.totals()["paid_cents"] == 50000 and result.totals()["claims_unmatched"] == 0
        assert standing(claim) == [("payment", "insurance", -50000), ("transfer", "insurance", -30000),
                                   ("transfer", "patient", 30000)]
        assert balance(line, "insurance") == 0 and balance(line, "patient") == 30000
        first = RemitClaim.get(RemitClaim.position == 1, RemitClaim.remittance == result.remittances[0].id)
        assert first.outcome == "reversed" and "CHECK2" in first.resolution


def test_a_reversal_with_no_original_in_the_file_or_before_waits_as_an_exception(app):
    built = build(app, *PAYMENT, *OTHER)
    claim, other = built["5554555444"], built["8765432112"]
    line = line_of(app, claim)
    # The only payment in the file is for another claim; the reversal comes first and undoes nothing.
    with app.app_context():
        result = posting.import_835(make_835(REVERSAL + OTHER, total="750", trace="NOORIG"))
    with database(app):
        assert (result.totals()["claims_matched"], result.totals()["claims_unmatched"]) == (1, 1)
        entry = RemitClaim.get(RemitClaim.queue == "exception")
        assert entry.claim_id is None and not entry.resolved and entry.position == 1
        assert entry.problem == ("Claim payment 5554555444 (claim 5554555444): it reverses a payment, but nothing "
                                 "from an earlier 835 is posted on this claim, nor earlier in this file.")
        assert LineTransaction.select().where((LineTransaction.claim == claim.id)
                                              & (LineTransaction.source == "era")).count() == 0
        assert balance(line, "insurance") == 80000 and Claim.get_by_id(claim.id).status == "submitted"
        assert Claim.get_by_id(other.id).status == "paid" and era_sums()["paid"] == 120000


def test_finance_hears_the_payment_its_reversal_and_the_correction_of_one_check(make_app):
    finance = subscriber("books")
    app = make_app(extra=[finance])
    claim = build(app, *PAYMENT)["5554555444"]
    with app.app_context():
        posting.import_835(make_835(PAYMENT + REVERSAL + CORRECTION, total="500", trace="INFILE4"))
    heard = finance.heard
    assert heard and all(e["committed"] for e in heard) and {e["claim_id"] for e in heard} == {claim.id}
    assert [e["amount_cents"] for e in heard if e["event"] == "payment"] == [45000, -45000, 50000]
    assert sum(e["amount_cents"] for e in heard if e["event"] == "payment") == 50000  # the check: BPR02
    adjustments = sorted((e["kind"], e["party"], e["group_code"], e["amount_cents"])
                         for e in heard if e["event"] == "adjustment")
    assert adjustments == sorted([
        ("adjustment", "insurance", "CO", -5000), ("adjustment", "insurance", "CO", 5000),
        ("transfer", "insurance", "PR", -30000), ("transfer", "patient", "PR", 30000),
        ("transfer", "insurance", "PR", 30000), ("transfer", "patient", "PR", -30000),
        ("transfer", "insurance", "PR", -30000), ("transfer", "patient", "PR", 30000)])
    with database(app):
        entries = {row.id: row for row in LineTransaction.select().where(LineTransaction.source == "era")}
        assert sorted(e["transaction_id"] for e in heard) == sorted(entries)  # one event per entry, no more
        for event in heard:
            row = entries[event["transaction_id"]]
            signed = -row.amount_cents if event["event"] == "payment" else row.amount_cents
            assert (signed, event["reference"]) == (event["amount_cents"], "INFILE4")
        reversed_payment = next(r for r in entries.values() if r.kind == "payment" and r.reverses_id)
        assert entries[reversed_payment.reverses_id].amount_cents == -45000
