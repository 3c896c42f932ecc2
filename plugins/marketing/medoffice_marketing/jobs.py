"""Marketing's scheduled work."""
from __future__ import annotations

from medoffice.settings import today

from .authorizations import withdraw_expired


def withdraw_expired_authorizations() -> str:
    """Unmark testimonials and photos whose authorization has expired; the text is the run's message."""
    count = withdraw_expired(today())
    return f"{count} testimonial{'' if count == 1 else 's'} withdrawn: authorization expired." if count \
        else "Every usable testimonial's authorization holds."
