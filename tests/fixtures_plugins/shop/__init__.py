"""shop: publishes ``shop.sale_recorded`` (the events tests' publisher) and tallies its own sales."""
from medoffice import PluginInfo, hookimpl
from medoffice.db import utcnow
from medoffice.events import EventType, Subscription, publish

PLUGIN = PluginInfo("shop", "Shop", description="Records sales and tells other modules.")

SALE_RECORDED = EventType("shop.sale_recorded", 1, {
    "sale_id": "int", "amount_cents": "cents", "sold_on": "date", "recorded_at": "timestamp", "note": "str?",
    "paid": "bool"}, "A sale was recorded.")

tally = []  # what shop's own subscriber saw: (position, sale id)


def record_sale(sale_id: int, amount_cents: int, sold_on, note=None) -> None:
    """Publish one sale (inside the caller's transaction)."""
    publish("shop.sale_recorded", {"sale_id": sale_id, "amount_cents": amount_cents, "sold_on": sold_on,
                                   "recorded_at": utcnow(), "note": note, "paid": True})


def count_sale(event) -> None:
    tally.append((event.position, event.data["sale_id"]))


@hookimpl
def medoffice_event_types():
    return [SALE_RECORDED]


@hookimpl
def medoffice_event_subscriptions():
    return [Subscription("shop.tally", ["shop.sale_recorded"], count_sale, title="Shop's own tally")]
