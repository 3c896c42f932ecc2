"""Online reviews logged by hand, and the guard every reply draft passes before it may be approved.

Replies that confirmed a reviewer was a patient, or spoke of their care, dates or conditions, have
drawn federal HIPAA penalties. The guard flags such wording; a flagged draft cannot be approved, and an
approved reply is the only one staff may post.
"""
from __future__ import annotations

import re

from medoffice import audit
from medoffice.db import transaction, utcnow

from .models import Review

SITES = ("Google", "Yelp", "Healthgrades", "Vitals", "Zocdoc", "Facebook", "Other")
STATES = {"none": "No reply", "draft": "Draft", "approved": "Approved", "posted": "Posted"}

_RELATIONSHIP = re.compile(
    r"\b(your|you)\s+(recent\s+|last\s+)?(visit|appointment|care|treatment|procedure|exam|examination|results?|"
    r"records?|chart|bill|statement|insurance|doctor|provider|nurse|prescription|medication|surgery|test)s?\b|"
    r"\b(as|being|was|were)\s+(a|our)\s+patients?\b|\bour\s+patients?\b|\b(saw|seeing|treated|treating|examined)"
    r"\s+you\b|\bwhen\s+you\s+(came|were)\s+(in|here)\b|\bduring\s+your\b|\byour\s+account\b", re.I)
_CARE = re.compile(
    r"\b(diagnos\w*|prescri\w*|medications?|surgery|surgical|therap\w*|lab(s|oratory)?|x-?rays?|mri|ct scan|"
    r"injections?|vaccin\w*|shots?|biops\w*|treatments?|procedures?|referral|follow-up|blood (work|test)|"
    r"test results?|dosage|dose)\b", re.I)
_DATES = re.compile(
    r"\b\d{1,2}[/-]\d{1,2}([/-]\d{2,4})?\b|\b\d{4}-\d{2}-\d{2}\b|\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|"
    r"june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\s+\d{1,2}\b|"
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|last\s+(week|month))\b", re.I)
_CONDITIONS = re.compile(
    r"\b(diabet\w*|cancer|tumou?r|pregnan\w*|depress\w*|anxiety|hypertension|blood pressure|asthma|covid|flu|"
    r"infection|injur\w*|fracture|allerg\w*|arthritis|migraine|hiv|std|sti|addiction|substance|mental health|"
    r"condition|illness|disease|symptoms?|pain|rash|cholesterol|knee)\b", re.I)

CHECKS = ((_RELATIONSHIP, "confirms the reviewer is or was a patient"),
          (_CARE, "mentions care or treatment"),
          (_DATES, "mentions a date or day"),
          (_CONDITIONS, "mentions a health condition or symptom"))


class ReviewError(ValueError):
    """A review or reply was refused."""


def guard(reply: str, reviewer: str = "") -> list[str]:
    """Why a reply draft may not go out (each with the words that tripped it); empty when it may."""
    flags = []
    for pattern, why in CHECKS:
        found = sorted({m.group(0).strip().lower() for m in pattern.finditer(reply)})
        if found:
            flags.append(f"It {why}: {', '.join(repr(f) for f in found[:5])}.")
    name = reviewer.strip()
    if name and len(name) > 2 and re.search(rf"\b{re.escape(name)}\b", reply, re.I):
        flags.append("It names the reviewer, which tells readers the practice knows who they are.")
    return flags


def log_review(values: dict) -> Review:
    """Log a review seen online (no patient is linked: the practice does not confirm who wrote it)."""
    if values["site"] not in SITES:
        raise ReviewError("Choose the site.")
    if not 1 <= int(values["rating"]) <= 5:
        raise ReviewError("A rating is 1 to 5 stars.")
    with transaction():
        review = Review.create(site=values["site"], rating=int(values["rating"]), reviewed_on=values["reviewed_on"],
                               reviewer=(values.get("reviewer") or "").strip()[:120],
                               text=(values.get("text") or "").strip())
        audit.record("marketing.review.create", "marketing_review", review.id, detail={"site": review.site})
    return review


def save_reply(review: Review, reply: str) -> list[str]:
    """Keep a reply draft (any approval is withdrawn) and return the guard's flags."""
    if review.reply_state == "posted":
        raise ReviewError("This reply has been posted; it can no longer change.")
    with transaction():
        Review.update(reply=reply.strip(), reply_state="draft" if reply.strip() else "none", approved_by="",
                      approved_at=None).where(Review.id == review.id).execute()
        audit.record("marketing.review.reply", "marketing_review", review.id)
    return guard(reply, review.reviewer)


def approve_reply(review: Review, by: str) -> None:
    """Approve a draft the guard passes.

    :raises ReviewError: no draft, or the guard flags it (the message lists why).
    """
    if review.reply_state != "draft":
        raise ReviewError("Only a reply draft can be approved.")
    flags = guard(review.reply, review.reviewer)
    if flags:
        raise ReviewError("The reply cannot be approved: " + " ".join(flags))
    with transaction():
        Review.update(reply_state="approved", approved_by=by, approved_at=utcnow()).where(Review.id == review.id).execute()
        audit.record("marketing.review.approve", "marketing_review", review.id)


def mark_posted(review: Review) -> None:
    """Record that the approved reply was posted on the site."""
    if review.reply_state != "approved":
        raise ReviewError("Only an approved reply can be posted.")
    with transaction():
        Review.update(reply_state="posted").where(Review.id == review.id).execute()
        audit.record("marketing.review.posted", "marketing_review", review.id)
