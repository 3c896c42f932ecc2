"""After an 835 the claim page shows, per line, what the payer allowed, paid and adjusted (group, CARC,
RARC) and what is left to the patient or the next payer; a reversed answer no longer shows (issue 17
item 9)."""
from __future__ import annotations

import datetime as dt
import re

from billing_setup import database
from remit_setup import claims_from_remittance, make_835, read_sample, reversal_835

from medoffice_billing import adjudication, posting, x12
from medoffice_billing.models import Coverage, Payer

PARTLY = ["CLP*PART*1*135*86*10*12*ICNB", "NM1*QC*1*BIRCH*BEN****MI*MB1",
          "SVC*HC:99213*120*86", "DTM*472*20240102", "CAS*CO*45*24", "CAS*PR*3*10", "LQ*HE*N14",
          "SVC*HC:36415*15*0", "DTM*472*20240102", "CAS*CO*97*15"]
SECONDARY = ["CLP*ONWARD*1*120*70*50*12*ICND", "NM1*QC*1*DOGWOOD*DEE****MI*MD1",
             "SVC*HC:99213*120*70", "DTM*472*20240102", "CAS*PR*1*50"]


def answer_rows(html: str) -> list[str]:
    """The rows of the payer's answer table, as text with cells joined by |."""
    table = html.split("The payer's answer", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s*\|\s*", " | ", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "|".join(row.split("</td>")))))
            .strip(" |") for row in body.split("</tr>") if "<td" in row]


def test_each_line_shows_allowed_paid_adjusted_and_the_patients_share(app, client_as):
    era = make_835(PARTLY + SECONDARY, total="156", trace="ANS1")
    with database(app):
        built = claims_from_remittance(x12.parse_835(era)[0])
        onward = built[2]
        second = Payer.create(name="Second Mutual", payer_id="SM1")
        Coverage.create(patient_id=onward.patient_id, payer=second, rank=2, member_id="S1",
                        effective_date=dt.date(2000, 1, 1))
    biller = client_as("billing")
    assert "The payer's answer" not in biller.get(f"/billing/claims/{built[1].id}").get_data(as_text=True)
    with app.test_request_context():
        posting.import_835(era, "answers.835")
    rows = answer_rows(biller.get(f"/billing/claims/{built[1].id}").get_data(as_text=True))
    assert rows[0].startswith("1 | 99213 | $120.00 | $96.00 | $86.00 |")
    assert "CO-45 $24.00 Charge is above the contracted" in rows[0] and "PR-3 $10.00 Copay" in rows[0] and "N14 Paid under a contract" in rows[0] and rows[0].endswith("$10.00")
    assert rows[1].startswith("2 | 36415 | $15.00 | $0.00 | $0.00 | CO-97 $15.00 Paid as part of another service")
    assert rows[1].endswith("— | $0.00")
    page = biller.get(f"/billing/claims/{onward.id}").get_data(as_text=True)
    assert "$50.00 to the next payer" in page
    assert answer_rows(page)[0].startswith("1 | 99213 | $120.00 | $120.00 | $70.00 | PR-1 $50.00 Deductible")


def test_a_reversed_answer_is_replaced_by_the_one_that_stands(app, client_as):
    with database(app):
        built = {}
        for remittance in x12.parse_835(read_sample("835_two_claims_claim_and_line_cas.x12")):
            built.update(claims_from_remittance(remittance))
    with app.test_request_context():
        posting.import_835(read_sample("835_two_claims_claim_and_line_cas.x12"), "two.835")
        with database(app):
            first = adjudication.claim_answers(built[1].id, built[1].payer_id)
            assert [(a.allowed_cents, a.paid_cents, [(j.group, j.carc, j.amount_cents) for j in a.adjustments])
                    for a in first] == [(75000, 45000, [("PR", "1", 30000), ("CO", "A2", 5000)])]
        posting.import_835(reversal_835(), "reversal.835")
    rows = answer_rows(client_as("billing").get(f"/billing/claims/{built[1].id}").get_data(as_text=True))
    assert len(rows) == 1 and rows[0].startswith("1 | 99211 | $800.00 | $800.00 | $500.00 | PR-1 $300.00")
    assert "A2" not in rows[0]
