"""A medical practice's chart of accounts, the posting rules that book billing's events into it, and the
books' setup row (accrual basis until the manager chooses otherwise, before anything is posted).

The data is frozen here: later edits by staff on the chart and rules pages are theirs."""
import datetime as dt

from peewee import Table

# number, name, type, role (what the plugin's own logic looks the account up by), description
ACCOUNTS = [
    ("1000", "Operating checking", "asset", "bank", "The bank account deposits go to and bills are paid from."),
    ("1010", "Payroll checking", "asset", None, ""),
    ("1050", "Petty cash", "asset", None, ""),
    ("1100", "Undeposited funds", "asset", "undeposited_funds",
     "Cash and checks taken at the desk, until they are deposited."),
    ("1110", "Insurance EFTs in transit", "asset", "eft_in_transit",
     "Payers' electronic payments posted from remittances, until the bank shows them."),
    ("1120", "Card settlements in transit", "asset", "card_in_transit",
     "Card payments taken at the desk, until the processor settles them to the bank."),
    ("1200", "Patient receivables", "asset", "ar_patient", "What patients owe (accrual basis)."),
    ("1210", "Insurance receivables", "asset", "ar_insurance", "What payers owe (accrual basis)."),
    ("1290", "Receivable transfers clearing", "asset", "ar_clearing",
     "Balances moving between payers and patients; nets to zero."),
    ("1300", "Prepaid expenses", "asset", None, ""),
    ("1500", "Medical equipment", "asset", None, ""),
    ("1510", "Office furniture and equipment", "asset", None, ""),
    ("1590", "Accumulated depreciation", "asset", None, "A contra account: its balance is a credit."),
    ("2000", "Accounts payable", "liability", "accounts_payable", "Vendors' bills not yet paid."),
    ("2100", "Accrued salaries and wages", "liability", "payroll_wages", ""),
    ("2110", "Payroll taxes payable", "liability", "payroll_taxes", "Withheld and employer payroll taxes."),
    ("2120", "Benefit withholdings payable", "liability", None, ""),
    ("2200", "Patient credits", "liability", "patient_credits", "Money held for patients (prepayments)."),
    ("2500", "Loans payable", "liability", None, ""),
    ("3000", "Owner's capital", "equity", None, ""),
    ("3100", "Owner's draws", "equity", None, ""),
    ("3800", "Retained earnings", "equity", "retained_earnings", "Each closed year's result."),
    ("3900", "Opening balance equity", "equity", "opening_equity", "The other side of the opening balances."),
    ("4000", "Patient service revenue - commercial insurance", "revenue", "revenue_insurance", ""),
    ("4010", "Patient service revenue - Medicare", "revenue", None, ""),
    ("4020", "Patient service revenue - Medicaid", "revenue", None, ""),
    ("4030", "Patient service revenue - self-pay and patient share", "revenue", "revenue_patient", ""),
    ("4100", "Contractual adjustments", "revenue", "contractual", "A contra-revenue account: its balance is a debit."),
    ("4110", "Other adjustments", "revenue", "other_adjustments", "Payer write-offs other than contractual."),
    ("4120", "Payer recoupments and provider-level adjustments", "revenue", "provider_adjustments",
     "Payers' provider-level (PLB) reductions and interest."),
    ("4900", "Other income", "revenue", None, ""),
    ("6000", "Staff salaries and wages", "expense", None, ""),
    ("6010", "Provider compensation", "expense", None, ""),
    ("6100", "Payroll taxes", "expense", None, ""),
    ("6200", "Employee benefits", "expense", None, ""),
    ("6300", "Rent", "expense", None, ""),
    ("6310", "Utilities", "expense", None, ""),
    ("6400", "Medical supplies", "expense", None, ""),
    ("6410", "Office supplies", "expense", None, ""),
    ("6500", "Malpractice insurance", "expense", None, ""),
    ("6510", "General and property insurance", "expense", None, ""),
    ("6600", "IT, software and EHR", "expense", None, ""),
    ("6610", "Telephone and internet", "expense", None, ""),
    ("6700", "Marketing and advertising", "expense", None, ""),
    ("6800", "Bank and card processing fees", "expense", None, ""),
    ("6810", "Clearinghouse and billing services", "expense", None, ""),
    ("6850", "Bad debt", "expense", "bad_debt", "Patient balances written off as uncollectable."),
    ("6900", "Legal and accounting", "expense", None, ""),
    ("6950", "Depreciation", "expense", None, ""),
    ("6990", "Miscellaneous expense", "expense", None, ""),
]

# event, basis, party, method, kind, books, debit, credit, description. The accounts take the event's
# "normal" amount (see medoffice_finance.rules.NORMAL_SIGN); the opposite sign swaps them.
_PAY = "billing.payment_posted"
_ADJ = "billing.adjustment_posted"
RULES = [
    (_PAY, "any", "", "", "", True, "1100", "4030", "Money received, method unknown"),
    (_PAY, "any", "", "card", "", True, "1120", "4030", "Card payment"),
    (_PAY, "any", "", "eft", "", True, "1110", "4000", "Electronic payment"),
    (_PAY, "cash", "insurance", "", "", True, "1100", "4000", "Payer's check (cash basis: revenue)"),
    (_PAY, "cash", "insurance", "eft", "", True, "1110", "4000", "Payer's EFT (cash basis: revenue)"),
    (_PAY, "cash", "patient", "", "", True, "1100", "4030", "Patient's cash or check (cash basis: revenue)"),
    (_PAY, "cash", "patient", "card", "", True, "1120", "4030", "Patient's card payment (cash basis: revenue)"),
    (_PAY, "accrual", "insurance", "", "", True, "1100", "1210", "Payer's check against its receivable"),
    (_PAY, "accrual", "insurance", "eft", "", True, "1110", "1210", "Payer's EFT against its receivable"),
    (_PAY, "accrual", "patient", "", "", True, "1100", "1200", "Patient's cash or check against the receivable"),
    (_PAY, "accrual", "patient", "card", "", True, "1120", "1200", "Patient's card payment against the receivable"),
    (_ADJ, "cash", "", "", "", False, None, None, "Cash basis: adjustments are not booked"),
    (_ADJ, "accrual", "", "", "", True, "4110", "1210", "Other adjustment of a receivable"),
    (_ADJ, "accrual", "insurance", "", "adjustment", True, "4100", "1210", "Contractual adjustment"),
    (_ADJ, "accrual", "patient", "", "adjustment", True, "4110", "1200", "Adjustment of a patient balance"),
    (_ADJ, "accrual", "insurance", "", "writeoff", True, "4110", "1210", "Payer write-off"),
    (_ADJ, "accrual", "patient", "", "writeoff", True, "6850", "1200", "Bad debt written off"),
    (_ADJ, "accrual", "insurance", "", "transfer", True, "1290", "1210", "Balance moved off a payer"),
    (_ADJ, "accrual", "patient", "", "transfer", True, "1290", "1200", "Balance moved to the patient"),
    ("billing.refund_posted", "cash", "", "", "", True, "4030", "1000", "Refund (cash basis: less revenue)"),
    ("billing.refund_posted", "cash", "insurance", "", "", True, "4000", "1000", "Refund to a payer (cash basis)"),
    ("billing.refund_posted", "accrual", "patient", "", "", True, "1200", "1000", "Refund of a patient's credit"),
    ("billing.refund_posted", "accrual", "insurance", "", "", True, "1210", "1000", "Refund to a payer"),
    ("billing.provider_adjustment_posted", "any", "", "", "", True, "4120", "1110",
     "Payer's provider-level adjustment (PLB)"),
    ("billing.charge_posted", "cash", "", "", "", False, None, None, "Cash basis: charges are not booked"),
    ("billing.charge_posted", "accrual", "insurance", "", "", True, "1210", "4000", "Charge billed to insurance"),
    ("billing.charge_posted", "accrual", "patient", "", "", True, "1200", "4030", "Charge billed to the patient"),
    ("billing.charge_voided", "cash", "", "", "", False, None, None, "Cash basis: charges are not booked"),
    ("billing.charge_voided", "accrual", "insurance", "", "", True, "1210", "4000", "Charge removed (insurance)"),
    ("billing.charge_voided", "accrual", "patient", "", "", True, "1200", "4030", "Charge removed (patient)"),
]


def up(migrator, db):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    accounts = Table("finance_account", ("id", "number", "name", "type", "role", "description", "active",
                                         "created_at")).bind(db)
    accounts.insert([{"number": n, "name": name, "type": kind, "role": role, "description": text, "active": True,
                      "created_at": now} for n, name, kind, role, text in ACCOUNTS]).execute()
    ids = {row["number"]: row["id"] for row in accounts.select(accounts.id, accounts.number).dicts()}
    Table("finance_posting_rule", ("event_name", "basis", "party", "method", "kind", "group_code", "books",
                                   "debit_account_id", "credit_account_id", "description", "updated_at")).bind(db).insert([
        {"event_name": event, "basis": basis, "party": party, "method": method, "kind": kind, "group_code": "",
         "books": books, "debit_account_id": ids.get(debit), "credit_account_id": ids.get(credit),
         "description": text, "updated_at": now}
        for event, basis, party, method, kind, books, debit, credit, text in RULES]).execute()
    Table("finance_books", ("basis", "opened_on", "updated_at")).bind(db).insert(basis="accrual", opened_on=None, updated_at=now).execute()
