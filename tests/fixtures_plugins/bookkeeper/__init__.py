"""bookkeeper: books every ``shop.sale_recorded`` into its own table (the events tests' subscriber).

``failures["left"]`` makes the handler raise that many times; ``BOOKKEEPER_KILL=1`` in the
environment makes it kill its own process (SIGKILL) after writing the entry, before the commit.
Several events delivered together go to ``book_many``, which notes each batch's sales in ``batches``;
a sale in ``refused`` makes both handlers raise. While ``gate`` holds a ``threading.Event``, a batch
waits (ten seconds at most) for the test to set it.
"""
import os
import signal
import threading

import peewee as pw

from medoffice import PluginInfo, hookimpl
from medoffice.db import BaseModel
from medoffice.events import Subscription
from medoffice.tasks import Failed

PLUGIN = PluginInfo("bookkeeper", "Bookkeeper", description="Books the shop's sales.")

failures = {"left": 0}
batches: list[list[int]] = []
refused: set[int] = set()
gate: list[threading.Event] = []


class Entry(BaseModel):
    """One booked sale (never unique: a double delivery would show as two rows)."""

    event_position = pw.BigIntegerField()
    sale_id = pw.IntegerField()
    amount_cents = pw.IntegerField()

    class Meta:
        table_name = "bookkeeper_entry"


def book(event) -> None:
    if event.data["sale_id"] in refused:
        raise Failed(f"sale {event.data['sale_id']} is refused")
    Entry.create(event_position=event.position, sale_id=event.data["sale_id"],
                 amount_cents=event.data["amount_cents"])
    if os.environ.get("BOOKKEEPER_KILL") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    if failures["left"] > 0:
        failures["left"] -= 1
        raise RuntimeError("the books are closed for the night")


def book_many(events) -> None:
    for opened in gate:
        opened.wait(timeout=10)
    batches.append([event.data["sale_id"] for event in events])
    if failures["left"] > 0:  # counted down by ``book``, which core falls back to
        raise RuntimeError("the books are closed for the night")
    for event in events:
        book(event)


@hookimpl
def medoffice_models():
    return [Entry]


@hookimpl
def medoffice_event_subscriptions():
    return [Subscription("bookkeeper.books", ["shop.sale_recorded"], book, title="Books", batch_handler=book_many)]
