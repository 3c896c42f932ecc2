"""Marketing's spend as bills to pay: each ``marketing.spend_recorded`` event becomes a vendor's bill.

The bill is entered as a person would enter it on the bills page (approved at once under the approval
threshold, booked to the vendor's default account or else the marketing account, dated the first open
day when the spend falls in a closed month), so payables, aged payables and the 1099s see it; finance
pays it like any other bill. The vendor is found by name or added. Idempotent like the booking of
billing's events: the booked-event row, unique by the event's position, makes a second delivery a
no-op, and the bill's number (``MKT-`` and the spend's id) is unique for its vendor.
"""
from __future__ import annotations

from medoffice.events import Event, Subscription
from medoffice.tasks import Failed

from .models import Account, BookedEvent, Vendor
from .payables import BillLineInput, PayablesError, create_bill, save_vendor
from .periods import closed_months, first_open_day

SPEND_EVENT = "marketing.spend_recorded"
SPEND_SUBSCRIPTION_NAME = "finance.marketing"
MARKETING_ROLE = "marketing"


def _vendor(name: str) -> Vendor:
    vendor = Vendor.get_or_none(Vendor.name == name)
    if vendor is not None:
        return vendor
    return save_vendor({"name": name, "is_1099": False, "default_account": None, "terms_days": 30, "address": "",
                        "email": "", "active": True})


def _expense_account(vendor: Vendor) -> Account:
    if vendor.default_account_id is not None:
        account = Account.get_by_id(vendor.default_account_id)
        if account.active:
            return account
    account = Account.get_or_none((Account.role == MARKETING_ROLE) & Account.active)
    if account is None:
        raise Failed("No active account has the marketing role (6700 Marketing and advertising when seeded): "
                     "reactivate it on Finance, Chart of accounts.")
    return account


def bill_spend(event: Event) -> BookedEvent | None:
    """Enter one marketing spend as the vendor's bill; returns its booked-event row (None when already entered).

    :raises Failed: the bill is refused (an inactive vendor, a budget set to stop, the number entered by
        hand already): the subscriber stops at this event and the message shows on Admin → Events.
    """
    if BookedEvent.select().where(BookedEvent.event_position == event.position).exists():
        return None
    data = event.data
    vendor = _vendor(data["vendor"].strip()[:120])
    campaign = data["campaign_code"] or f"campaign {data['campaign_id']}"
    memo = f"Marketing spend, {campaign}" + (f": {data['description']}" if data["description"] else "")
    bill_date = first_open_day(data["spent_on"], closed_months())
    if bill_date != data["spent_on"]:
        memo = f"{memo} (spent {data['spent_on'].isoformat()}, in a closed month)"
    number = f"MKT-{data['spend_id']}"
    try:
        create_bill(vendor.id, number, bill_date,
                    [BillLineInput(_expense_account(vendor).id, data["amount_cents"], memo=memo)], memo=memo)
    except PayablesError as exc:
        raise Failed(f"Marketing spend {data['spend_id']} ({vendor.name}, bill {number}): {exc}") from None
    return BookedEvent.create(event_position=event.position, event_name=event.name, amount_cents=data["amount_cents"],
                              reference=number, effective_date=data["spent_on"])


SPEND_SUBSCRIPTION = Subscription(SPEND_SUBSCRIPTION_NAME, (SPEND_EVENT,), bill_spend,
                                  title="Finance enters marketing's spend as bills")
