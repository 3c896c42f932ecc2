"""``medoffice deadlines ...``: the commands live with the deadlines service (``medoffice.deadlines.cli``)."""
from ..deadlines.cli import register

__all__ = ["register"]
