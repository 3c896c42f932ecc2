"""Login throttling and lockout: failures counted per user name and per client address.

Failures are rows of ``LoginAttempt`` counted over a window (practice settings). A user name
with too many recent failures is locked for a while, whether or not an account by that name
exists, so the answers never reveal which user names are real. A client address with too
many recent failures is refused outright. Refused attempts are not counted again, so a lock
ends on time even while someone keeps trying.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import peewee as pw
from werkzeug.security import check_password_hash

from .. import audit, prepared, settings
from ..db import transaction, utcnow
from ..prepared import slot
from ..models import LoginAttempt, User
from .accounts import hash_password, password_matches

OK, INVALID, LOCKED, THROTTLED = "ok", "invalid", "locked", "throttled"
SECOND_FACTOR = "second_factor"  # the password was right; the login needs its second step


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures lock a user name or an address, over which window, for how long."""

    account_threshold: int
    lock_minutes: int
    window_minutes: int
    address_threshold: int

    @property
    def window(self) -> dt.timedelta:
        """The counting window."""
        return dt.timedelta(minutes=self.window_minutes)

    @property
    def lock(self) -> dt.timedelta:
        """How long a lock lasts after the failure that caused it."""
        return dt.timedelta(minutes=self.lock_minutes)


def login_policy() -> LoginPolicy:
    """The practice's policy (settings ``core.lockout_*`` and ``core.login_*``), at least 1 each."""
    def number(name: str, default: int) -> int:
        try:
            return max(1, int(settings.get(name, default)))
        except (TypeError, ValueError):
            return default

    return LoginPolicy(
        account_threshold=number("core.lockout_threshold", 5),
        lock_minutes=number("core.lockout_minutes", 15),
        window_minutes=number("core.login_window_minutes", 15),
        address_threshold=number("core.login_address_threshold", 20),
    )


@dataclass(frozen=True)
class LoginOutcome:
    """The answer to a login attempt: ``status`` is ok, invalid, locked, throttled or second_factor."""

    status: str
    user: User | None = None
    retry_after: dt.timedelta | None = None

    @property
    def ok(self) -> bool:
        """True when the user is signed in."""
        return self.status == OK


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checking a password against this for unknown user names makes them take as long as known ones.
    return hash_password(secrets.token_hex(16))


def _failures(since: dt.datetime, *, username: str | None = None, address: str | None = None):
    query = LoginAttempt.select().where((LoginAttempt.success == False) & (LoginAttempt.at > since))  # noqa: E712
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return query


def _reset_point(user: User | None) -> dt.datetime | None:
    """Failures before this moment never count: the user's last login or an admin's unlock."""
    moments = [m for m in (user.last_login_at, user.lock_reset_at) if m is not None] if user else []
    return max(moments) if moments else None


def lock_ends(username: str, user: User | None = None, now: dt.datetime | None = None,
              policy: LoginPolicy | None = None) -> dt.datetime | None:
    """When the lock on ``username`` ends, or None when it is not locked.

    Locked: the newest ``account_threshold`` failures (since the last login or unlock) fall
    within one window and the newest is less than ``lock_minutes`` old. Unknown user names
    follow the same rule.
    """
    now = now or utcnow()
    policy = policy or login_policy()
    since = now - policy.lock - policy.window
    reset = _reset_point(user)
    if reset is not None and reset > since:
        since = reset
    recent = [a.at for a in _failures(since, username=username).select(LoginAttempt.at)
              .order_by(LoginAttempt.at.desc()).limit(policy.account_threshold)]
    if len(recent) < policy.account_threshold:
        return None
    newest, oldest = recent[0], recent[-1]
    if newest - oldest > policy.window or newest + policy.lock <= now:
        return None
    return newest + policy.lock


def address_blocked_until(address: str, now: dt.datetime | None = None,
                          policy: LoginPolicy | None = None) -> dt.datetime | None:
    """When logins from ``address`` are accepted again, or None when they are now."""
    now = now or utcnow()
    policy = policy or login_policy()
    recent = [a.at for a in _failures(now - policy.window, address=address).select(LoginAttempt.at)
              .order_by(LoginAttempt.at.desc()).limit(policy.address_threshold)]
    if len(recent) < policy.address_threshold:
        return None
    return recent[-1] + policy.window


def failures_counted(user: User, now: dt.datetime | None = None, policy: LoginPolicy | None = None) -> int:
    """The user's failed logins in the current window since the last login or unlock."""
    now = now or utcnow()
    policy = policy or login_policy()
    since = now - policy.window
    reset = _reset_point(user)
    return _failures(max(since, reset) if reset else since, username=user.username).count()


def authenticate(username: str, password: str, address: str,
                 needs_second_factor: Callable[[User], bool] | None = None) -> LoginOutcome:
    """Check a login and record it (attempt row, audit entries, lock when due).

    Never says whether the user name exists: unknown names, wrong passwords and deactivated
    accounts all answer ``invalid``, and unknown names lock like real ones. While a user name
    is locked its password is not checked at all; each refused try counts as a failure, so
    the lock lasts ``lock_minutes`` after the last try. Tries from a throttled address are
    refused without being counted. When the password is right and ``needs_second_factor(user)``,
    nothing is recorded yet: the answer is ``second_factor``, and :func:`authenticate_second_factor`
    completes the login.
    """
    username = (username or "").strip()[:60]
    address = (address or "")[:64]
    policy = login_policy()
    now = utcnow()
    blocked = address_blocked_until(address, now, policy)
    if blocked is not None:
        return LoginOutcome(THROTTLED, retry_after=blocked - now)
    user = User.get_or_none(User.username == username)
    was_locked = lock_ends(username, user, now, policy)
    if was_locked is None:
        if user is None:
            password_matches_dummy(password)
        elif user.active and password_matches(user, password):
            if needs_second_factor is not None and needs_second_factor(user):
                return LoginOutcome(SECOND_FACTOR, user=user)
            return _succeeded(user, address, now)
    return _failed(username, user, address, now, policy, was_locked, "invalid")


def _signed_in_step(user_id: int, address: str):
    """What a step after the password (a second factor, a re-entered password) checks first: the
    address not throttled and the user active. Returns the refusal, or ``(user, address, now, policy,
    lock end or None)`` for the step to go on with."""
    address = (address or "")[:64]
    policy = login_policy()
    now = utcnow()
    blocked = address_blocked_until(address, now, policy)
    if blocked is not None:
        return LoginOutcome(THROTTLED, retry_after=blocked - now)
    user = User.get_or_none(User.id == user_id)
    if user is None or not user.active:
        return LoginOutcome(INVALID)
    return user, address, now, policy, lock_ends(user.username, user, now, policy)


def authenticate_second_factor(user_id: int, code: str, address: str,
                               verify: Callable[[User, str], str | None]) -> LoginOutcome:
    """Complete a login whose password was right with its second factor (``verify(user, code)``
    returns how it matched, or None). Throttled and locked like the password step: a wrong code
    counts as a failed login of the user name, and a locked name's codes are not checked."""
    step = _signed_in_step(user_id, address)
    if isinstance(step, LoginOutcome):
        return step
    user, address, now, policy, was_locked = step
    if was_locked is None:
        method = verify(user, code)
        if method is not None:
            return _succeeded(user, address, now, {"second_factor": method})
    return _failed(user.username, user, address, now, policy, was_locked, "invalid code")


def confirm_password(user_id: int, password: str, address: str, purpose: str) -> LoginOutcome:
    """Check the password a signed-in user re-entered to confirm ``purpose`` (an electronic signature).

    Throttled and locked like a login: a wrong password counts as a failed login of the user name
    (toward the lockout, audited with ``purpose``), and while the name is locked or the address
    throttled the password is not checked. A right password is ``ok`` and records nothing here: the
    caller records what it confirms.
    """
    step = _signed_in_step(user_id, address)
    if isinstance(step, LoginOutcome):
        return step
    user, address, now, policy, was_locked = step
    if was_locked is None and password_matches(user, password):
        return LoginOutcome(OK, user=user)
    return _failed(user.username, user, address, now, policy, was_locked, f"wrong password to confirm {purpose}")


def _succeeded(user: User, address: str, now: dt.datetime, detail: dict | None = None) -> LoginOutcome:
    with transaction():
        LoginAttempt.create(at=now, username=user.username, address=address, success=True)
        User.update(last_login_at=now, failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        audit.record("auth.login", "user", user.id, user_id=user.id, username=user.username, detail=detail)
    return LoginOutcome(OK, user=User.get_by_id(user.id))


def _failed(username: str, user: User | None, address: str, now: dt.datetime, policy: LoginPolicy,
            was_locked: dt.datetime | None, reason: str) -> LoginOutcome:
    with transaction():
        LoginAttempt.create(at=now, username=username, address=address, success=False)
        audit.record("auth.login_failed", "user", user.id if user else "",
                     detail={"username": username, "reason": "locked" if was_locked else reason})
        locked = lock_ends(username, user, now, policy)
        if user is not None:
            User.update(failed_logins=failures_counted(user, now, policy),
                        locked_until=locked).where(User.id == user.id).execute()
        if locked is not None and was_locked is None:
            audit.record("auth.lockout", "user", user.id if user else "",
                         detail={"username": username, "until": locked.isoformat(),
                                 "failures": policy.account_threshold})
        if address_blocked_until(address, now, policy) is not None:
            audit.record("auth.address_throttled", "address", address,
                         detail={"failures": policy.address_threshold, "window_minutes": policy.window_minutes})
    if locked is not None:
        return LoginOutcome(LOCKED, retry_after=locked - now)
    return LoginOutcome(INVALID)


def password_matches_dummy(password: str) -> bool:
    """Spend the time of a real password check on an unknown user name (always False)."""
    check_password_hash(_dummy_hash(), password)
    return False


def unlock(user: User) -> bool:
    """Lift a lock now (an admin action); earlier failures stop counting. True if it was locked."""
    now = utcnow()
    was_locked = lock_ends(user.username, user, now) is not None
    with transaction():
        User.update(locked_until=None, failed_logins=0, lock_reset_at=now).where(User.id == user.id).execute()
        audit.record("user.unlock", "user", user.id, detail={"username": user.username, "was_locked": was_locked})
    return was_locked


def locked_users(now: dt.datetime | None = None) -> list[User]:
    """Accounts whose lock has not ended yet (admin page)."""
    return list(prepared.run(_LOCKED, "auth.locked_users", now=now or utcnow()))


# The users page asks for both on every view: built and compiled once (medoffice.prepared).
_LOCKED = User.select().where(User.locked_until > slot("now")).order_by(User.locked_until.desc())
_LAST_FAILURE = pw.fn.MAX(LoginAttempt.at)
_FAILURES = (LoginAttempt
             .select(LoginAttempt.username, LoginAttempt.address, pw.fn.COUNT(LoginAttempt.id).alias("failures"),
                     _LAST_FAILURE.alias("last_at"), User.id.alias("user_id"))
             .join(User, pw.JOIN.LEFT_OUTER, on=(User.username == LoginAttempt.username))
             .where((LoginAttempt.success == False) & (LoginAttempt.at > slot("since")))  # noqa: E712
             .group_by(LoginAttempt.username, LoginAttempt.address, User.id)
             .order_by(_LAST_FAILURE.desc())
             .limit(slot("limit"))
             .dicts())


@dataclass(frozen=True)
class FailureSummary:
    """Failed logins grouped by user name and address over a period (admin page)."""

    username: str
    address: str
    failures: int
    last_at: dt.datetime
    account_exists: bool


def recent_failures(hours: int = 24, limit: int = 50) -> list[FailureSummary]:
    """Failed logins of the last ``hours``, grouped in SQL, most recent first."""
    rows = prepared.run(_FAILURES, "auth.recent_failures", since=utcnow() - dt.timedelta(hours=hours), limit=limit)
    field = LoginAttempt.at
    return [FailureSummary(r["username"], r["address"], r["failures"], field.python_value(r["last_at"]),
                           r["user_id"] is not None) for r in rows]
