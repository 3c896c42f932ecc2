"""The iCalendar file of a list of deadlines (RFC 5545, written by the ``icalendar`` library).

Each deadline is an all-day event on its due date. Its UID stays the same for the deadline, so a
calendar program that imports the file again updates events instead of doubling them; a deadline
that is done, waived or superseded is marked cancelled.
"""
from __future__ import annotations

import datetime as dt

import icalendar

from ..db import utcnow
from .kinds import kind_title
from .models import STATES, Deadline
from .stages import stage_label

PRODUCT = "-//medoffice//Deadlines//EN"


def uid(deadline: Deadline, domain: str) -> str:
    """The event's stable identifier."""
    return f"deadline-{deadline.id}@{domain}"


def calendar(deadlines, *, today: dt.date, name: str, domain: str, link=None) -> bytes:
    """The ``.ics`` bytes of ``deadlines``.

    :param today: the practice's date, for each open deadline's stage.
    :param name: the calendar's display name (X-WR-CALNAME).
    :param domain: the right-hand side of each UID (the server's host name).
    :param link: ``link(deadline)`` gives the deadline's page as an absolute URL, or None.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = utcnow()
    for deadline in deadlines:
        event = icalendar.Event()
        event.add("uid", uid(deadline, domain))
        event.add("dtstamp", stamp)
        event.add("last-modified", deadline.updated_at)
        event.add("dtstart", deadline.due)
        event.add("dtend", deadline.due + dt.timedelta(days=1))
        event.add("summary", deadline.title)
        where = stage_label(deadline.stage_on(today)) if deadline.state == "open" else STATES[deadline.state]
        event.add("description", f"{kind_title(deadline.kind)} ({deadline.owner}). {where}.")
        event.add("categories", [kind_title(deadline.kind)])
        event.add("status", "CONFIRMED" if deadline.state == "open" else "CANCELLED")
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        if link is not None:
            event.add("url", link(deadline))
        cal.add_component(event)
    return cal.to_ical()
