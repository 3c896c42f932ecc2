"""A plugin module subscribing to billing's events, for the tests that check what billing publishes.

Imported by the billing test modules (pytest puts this folder on ``sys.path``).
"""
from __future__ import annotations

import inspect
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from medoffice import PluginInfo, hookimpl
from medoffice.db import db
from medoffice.events import Subscription


def subscriber_module(name: str, handlers: dict[str, Callable]) -> types.ModuleType:
    """A plugin ``name`` with one subscription to the events named in ``handlers``; each handler is called
    with the payload fields its parameters name (as hook implementations took any subset of a hook's
    arguments), or all of them when it takes ``**values``. Register it with ``make_app(extra=[module])``."""
    module = types.ModuleType(f"test_{name}")
    module.__file__ = __file__  # the host looks beside it for templates and migrations (there are none)
    module.PLUGIN = PluginInfo(name, f"Subscriber {name}")

    def handle(event):
        func = handlers[event.name]
        wanted = inspect.signature(func).parameters
        if any(p.kind is p.VAR_KEYWORD for p in wanted.values()):
            func(**event.data)
        else:
            func(**{key: value for key, value in event.data.items() if key in wanted})

    def medoffice_event_subscriptions():
        return [Subscription(f"{name}.billing", tuple(handlers), handle)]

    module.medoffice_event_subscriptions = hookimpl(medoffice_event_subscriptions)
    return module


def committed(model, row_id: int) -> bool:
    """True when another database connection sees the row, i.e. the transaction that wrote it committed
    (a handler runs inside its own delivery transaction, so its own connection cannot tell)."""

    def visible() -> bool:
        with db.connection_context():
            return model.get_or_none(model.id == row_id) is not None

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(visible).result()
