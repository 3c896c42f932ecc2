"""Durable events: facts a plugin publishes inside its own transaction, delivered in commit order,
at least once, to every subscriber, with a cursor per subscriber in the database.

A publisher declares its event types (``medoffice_event_types``) and publishes inside its
transaction; a subscriber declares what it consumes (``medoffice_event_subscriptions``) and
core calls its handler once per event, in a transaction that also moves its cursor::

    from medoffice.events import EventType, Subscription, publish

    PAYMENT_POSTED = EventType("billing.payment_posted", 1, {"transaction_id": "int", "amount_cents": "cents"})

    with transaction():
        ...
        publish("billing.payment_posted", {"transaction_id": tx.id, "amount_cents": 4500})

Parts: ``schema`` (types, payload checks), ``models`` (the log and the cursors), ``publishing``
(commit-ordered positions), ``delivery`` (cursors, failures, backoff), ``monitor`` (status,
Today, doctor, the job), ``views`` and ``cli``. The design is in docs/architecture.md.
"""
import importlib

from .schema import Event, EventSchemaError, EventType, Subscription

# Imported on first use: core's models import this package (for its models) before the modules
# that delivery and publishing need are ready.
_LAZY = {"Outcome": "delivery", "UnknownSubscriber": "delivery", "deliver_all": "delivery", "retry": "delivery",
         "publish": "publishing", "publish_all": "publishing", "wait_for_background_delivery": "publishing"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Event", "EventSchemaError", "EventType", "Outcome", "Subscription", "UnknownSubscriber",
           "deliver_all", "publish", "publish_all", "retry", "wait_for_background_delivery"]
