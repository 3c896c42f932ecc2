"""Marketing's scheduled work."""
from __future__ import annotations

from medoffice.settings import today

from .authorizations import withdraw_expired
from .lastvisits import count_last_visits
from .listfigures import recount_lists
from .sourcedays import refresh_source_days


def withdraw_expired_authorizations() -> str:
    """Unmark testimonials and photos whose authorization has expired; the text is the run's message."""
    count = withdraw_expired(today())
    return f"{count} testimonial{'' if count == 1 else 's'} withdrawn: authorization expired." if count \
        else "Every usable testimonial's authorization holds."


def recount_kept_figures() -> str:
    """Recount the new patients and their first year's revenue kept per day, each recall list's figures and
    which kept last visits a due list counts (a patient merge moves revenue lines, visits, kept last visits and
    list entries between patients: ``merges`` recounts the pair's lists and rows at once; the new patients per
    day wait for this run); the text is the run's message."""
    count_last_visits()
    days, lists = refresh_source_days(), recount_lists()
    return f"{days} days of new patients and {lists} recall list{'' if lists == 1 else 's'} recounted."
