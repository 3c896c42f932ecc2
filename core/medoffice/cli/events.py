"""``medoffice events ...``: the commands live with the events service (``medoffice.events.cli``)."""
from ..events.cli import register

__all__ = ["register"]
