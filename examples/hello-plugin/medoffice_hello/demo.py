"""Demo greetings spread over the last 30 days (bulk inserts, so the large set stays fast)."""
from __future__ import annotations

import datetime as dt

from medoffice.db import transaction, utcnow

from .models import Greeting

MESSAGES = [
    "Good morning, team!", "Coffee is on in the break room.", "Thanks for covering the front desk.",
    "Happy Friday!", "The new printer toner is in the supply closet.", "Welcome back, Dana!",
]
SIZES = {"small": 12, "large": 3000}
BATCH = 500


def create_demo_greetings(ctx) -> None:
    """Insert ``SIZES[ctx.size]`` greetings with times chosen by the seeded ``ctx.rng``."""
    now = utcnow()
    rows = [{"message": ctx.rng.choice(MESSAGES),
             "created_at": now - dt.timedelta(minutes=ctx.rng.randint(0, 30 * 24 * 60))}
            for _ in range(SIZES[ctx.size])]
    with transaction():
        for start in range(0, len(rows), BATCH):
            Greeting.insert_many(rows[start:start + BATCH]).execute()
