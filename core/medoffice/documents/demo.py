"""Demo data: the practice's screen-privacy policy, in two versions, addressed to every role, so the
demo shows Today's "Documents to read and acknowledge", the acknowledgment page and a diff."""
from __future__ import annotations

import datetime as dt

from ..auth.accounts import ADMIN
from ..contributions import DemoContext
from ..models import Role, User, UserRole
from .api import create, publish, save_draft, start_draft
from .audience import Audience
from .kinds import POLICY

TITLE = "Workstation and screen privacy"
FIRST = """# Workstation and screen privacy

This policy keeps patient information on our screens away from people who should not see it.

## At your desk

- Lock your screen (Windows key + L) whenever you step away, even for a moment.
- Turn screens at the front desk so patients in the waiting room cannot read them.
- Never write a password down or share your login: every person has their own.

## Printing

- Collect printed pages at once; put pages with patient names in the shredding bin.

Questions go to the office manager.
"""
SECOND = FIRST.replace(
    "- Collect printed pages at once; put pages with patient names in the shredding bin.",
    "- Collect printed pages at once; put pages with patient names in the locked shredding bin.\n"
    "- Do not leave schedules or day sheets on the counter.")


def demo_data(ctx: DemoContext) -> None:
    """Publish the policy twice (the second version keeps the first one's acknowledgments)."""
    owner = (User.select().join(UserRole).join(Role).where((Role.name == ADMIN) & (User.active == True))  # noqa: E712
             .order_by(User.id).first())
    if owner is None:
        return
    audience = Audience.of(roles=[r.id for r in Role.select(Role.id)])
    document = create(POLICY, TITLE, owner=owner, audience=audience, body=FIRST, by=owner)
    publish(document, effective_on=ctx.today - dt.timedelta(days=30), summary="First version.",
            requires_acknowledgment=True, by=owner)
    start_draft(document, by=owner)
    save_draft(document, title=TITLE, body=SECOND, by=owner)
    publish(document, effective_on=ctx.today, summary="The shredding bin is the locked one; no schedules on the counter.",
            requires_acknowledgment=False, by=owner)
