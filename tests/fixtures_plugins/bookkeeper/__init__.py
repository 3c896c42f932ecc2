"""bookkeeper: books every ``shop.sale_recorded`` into its own table (the events tests' subscriber).

``failures["left"]`` makes the handler raise that many times; ``BOOKKEEPER_KILL=1`` in the
environment makes it kill its own process (SIGKILL) after writing the entry, before the commit.
"""
import os
import signal

import peewee as pw

from medoffice import PluginInfo, hookimpl
from medoffice.db import BaseModel
from medoffice.events import Subscription

PLUGIN = PluginInfo("bookkeeper", "Bookkeeper", description="Books the shop's sales.")

failures = {"left": 0}


class Entry(BaseModel):
    """One booked sale (never unique: a double delivery would show as two rows)."""

    event_position = pw.BigIntegerField()
    sale_id = pw.IntegerField()
    amount_cents = pw.IntegerField()

    class Meta:
        table_name = "bookkeeper_entry"


def book(event) -> None:
    Entry.create(event_position=event.position, sale_id=event.data["sale_id"],
                 amount_cents=event.data["amount_cents"])
    if os.environ.get("BOOKKEEPER_KILL") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    if failures["left"] > 0:
        failures["left"] -= 1
        raise RuntimeError("the books are closed for the night")


@hookimpl
def medoffice_models():
    return [Entry]


@hookimpl
def medoffice_event_subscriptions():
    return [Subscription("bookkeeper.books", ["shop.sale_recorded"], book, title="Books")]
