"""``medoffice messages ...``: the commands live with the messages service (``medoffice.messages.cli``)."""
from ..messages.cli import register

__all__ = ["register"]
