"""Core tables: the shared directory every plugin references by id, and the platform's own state.

Plugins extend the directory with tables of their own and refer to patients, staff and
locations by integer id (never a foreign key into another plugin's tables).
"""
from __future__ import annotations

import peewee as pw

from .db import BaseModel, UTCDateTimeField, utcnow


# --- The shared directory ----------------------------------------------------------------

class Setting(BaseModel):
    """A practice-level setting (core and plugin ``SettingSpec`` values), stored as JSON text."""

    name = pw.CharField(max_length=120, unique=True)
    value = pw.TextField()

    class Meta:
        table_name = "core_setting"


class Location(BaseModel):
    """A site where the practice sees patients (one practice may have several)."""

    name = pw.CharField(max_length=120, unique=True)
    address1 = pw.CharField(max_length=120, default="")
    address2 = pw.CharField(max_length=120, default="")
    city = pw.CharField(max_length=80, default="")
    state = pw.CharField(max_length=2, default="")
    zip = pw.CharField(max_length=10, default="")
    phone = pw.CharField(max_length=20, default="")
    npi = pw.CharField(max_length=10, default="")
    place_of_service = pw.CharField(max_length=2, default="11")
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "core_location"


class StaffMember(BaseModel):
    """A person who works at the practice: the one list of people that duty plugins extend by staff id
    (HR's employment record, compliance's credentials). First, middle and last are the legal name;
    providers carry an NPI and a taxonomy code; ``active`` is false once they have left."""

    first_name = pw.CharField(max_length=60)
    middle_name = pw.CharField(max_length=60, default="")
    last_name = pw.CharField(max_length=60)
    preferred_name = pw.CharField(max_length=60, default="")
    credentials = pw.CharField(max_length=30, default="")
    job_title = pw.CharField(max_length=80, default="")
    email = pw.CharField(max_length=120, default="")
    phone = pw.CharField(max_length=20, default="")
    is_provider = pw.BooleanField(default=False)
    npi = pw.CharField(max_length=10, default="")
    taxonomy = pw.CharField(max_length=10, default="")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "core_staff"
        indexes = ((("last_name", "first_name"), False),)

    @property
    def display_name(self) -> str:
        """'Last, First, Credentials' as shown in lists."""
        name = f"{self.last_name}, {self.first_name}"
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def known_as(self) -> str:
        """'Preferred Last' (or 'First Last'): how colleagues and letters address them."""
        return f"{self.preferred_name or self.first_name} {self.last_name}"


class Patient(BaseModel):
    """A patient: demographics and contact preferences (coverage lives in the billing plugin)."""

    account_number = pw.CharField(max_length=20, unique=True)
    first_name = pw.CharField(max_length=60)
    middle_name = pw.CharField(max_length=60, default="")
    last_name = pw.CharField(max_length=60)
    date_of_birth = pw.DateField()
    sex = pw.CharField(max_length=1, default="U")
    address1 = pw.CharField(max_length=120, default="")
    address2 = pw.CharField(max_length=120, default="")
    city = pw.CharField(max_length=80, default="")
    state = pw.CharField(max_length=2, default="")
    zip = pw.CharField(max_length=10, default="")
    phone = pw.CharField(max_length=20, default="")
    mobile = pw.CharField(max_length=20, default="")
    email = pw.CharField(max_length=120, default="")
    preferred_contact = pw.CharField(max_length=10, default="phone")
    language = pw.CharField(max_length=20, default="en")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    primary_provider = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    active = pw.BooleanField(default=True)
    merged_into_id = pw.IntegerField(null=True)  # a duplicate merged away: the record that stayed
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_patient"
        indexes = (
            (("last_name", "first_name"), False),
            (("date_of_birth",), False),
        )

    @property
    def display_name(self) -> str:
        """'Last, First' as shown in lists."""
        return f"{self.last_name}, {self.first_name}"


# --- Accounts and access -----------------------------------------------------------------

class Role(BaseModel):
    """A named set of permissions (seeded: admin, office_manager, billing, front_desk, hr, auditor)."""

    name = pw.CharField(max_length=40, unique=True)
    title = pw.CharField(max_length=80)
    description = pw.TextField(default="")

    class Meta:
        table_name = "core_role"


class RolePermission(BaseModel):
    """One permission granted to one role."""

    role = pw.ForeignKeyField(Role, backref="grants", on_delete="CASCADE")
    permission = pw.CharField(max_length=120)

    class Meta:
        table_name = "core_role_permission"
        indexes = ((("role", "permission"), True),)


class PermissionSeed(BaseModel):
    """Remembers that a permission's default roles were granted once, so an admin's revoke sticks."""

    permission = pw.CharField(max_length=120, unique=True)
    seeded_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_permission_seed"


class User(BaseModel):
    """A login account; one per person (never shared)."""

    username = pw.CharField(max_length=60, unique=True)
    full_name = pw.CharField(max_length=120)
    email = pw.CharField(max_length=120, default="")
    password_hash = pw.CharField(max_length=255)
    active = pw.BooleanField(default=True)
    must_change_password = pw.BooleanField(default=False)
    staff = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    failed_logins = pw.IntegerField(default=0)
    locked_until = UTCDateTimeField(null=True)
    lock_reset_at = UTCDateTimeField(null=True)  # failures before this no longer count (admin unlock)
    password_changed_at = UTCDateTimeField(default=utcnow)
    last_login_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    # Two-factor sign-in (medoffice.auth.two_factor): the TOTP secret encrypted under the instance key,
    # set while enrolling; confirmed once a first code matched; the time step of the last code used.
    totp_secret = pw.TextField(default="")
    totp_confirmed_at = UTCDateTimeField(null=True)
    totp_last_step = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "core_user"


class UserRole(BaseModel):
    """One role held by one user."""

    user = pw.ForeignKeyField(User, backref="role_links", on_delete="CASCADE")
    role = pw.ForeignKeyField(Role, backref="user_links", on_delete="CASCADE")

    class Meta:
        table_name = "core_user_role"
        indexes = ((("user", "role"), True),)


class LoginAttempt(BaseModel):
    """A failed or successful login, kept for throttling by client address and for admins."""

    at = UTCDateTimeField(default=utcnow, index=True)
    username = pw.CharField(max_length=60)
    address = pw.CharField(max_length=64, index=True)
    success = pw.BooleanField()

    class Meta:
        table_name = "core_login_attempt"
        indexes = ((("username", "at"), False),)


# --- Platform state ----------------------------------------------------------------------

class PluginState(BaseModel):
    """Whether a plugin is enabled in this practice. Disabling never deletes the plugin's data."""

    name = pw.CharField(max_length=60, unique=True)
    enabled = pw.BooleanField()
    changed_at = UTCDateTimeField(default=utcnow)
    changed_by = pw.CharField(max_length=60, default="")

    class Meta:
        table_name = "core_plugin_state"


class StateVersion(BaseModel):
    """A single counter bumped by every plugin toggle, so every process notices with one read."""

    key = pw.CharField(max_length=40, unique=True)
    version = pw.IntegerField(default=0)

    class Meta:
        table_name = "core_state_version"


class Counter(BaseModel):
    """Named monotonic counters (X12 interchange control numbers, statement numbers...)."""

    name = pw.CharField(max_length=80, unique=True)
    value = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "core_counter"


class JobRun(BaseModel):
    """One run of a scheduled job: when, how it ended, and what it said."""

    job_id = pw.CharField(max_length=120, index=True)
    started_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)
    status = pw.CharField(max_length=10, default="running")
    message = pw.TextField(default="")
    error = pw.TextField(default="")
    trigger = pw.CharField(max_length=20, default="schedule")

    class Meta:
        table_name = "core_job_run"
        indexes = ((("job_id", "started_at"), False),)


class AuditEvent(BaseModel):
    """An append-only, hash-chained audit entry (who, what, when, from where, to which record)."""

    merge_moves_rows = False  # history: a patient merge leaves entries naming the duplicate as they are
    seq = pw.BigIntegerField(unique=True)
    at = UTCDateTimeField(default=utcnow, index=True)
    user_id = pw.IntegerField(null=True)
    username = pw.CharField(max_length=60, default="")
    address = pw.CharField(max_length=64, default="")
    action = pw.CharField(max_length=60, index=True)
    object_type = pw.CharField(max_length=60, default="")
    object_id = pw.CharField(max_length=60, default="")
    patient_id = pw.IntegerField(null=True, index=True)
    detail = pw.TextField(default="{}")
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)

    class Meta:
        table_name = "core_audit_event"


class AuditHead(BaseModel):
    """The chain's head, the newest entry's number and digest: a change's entries advance it first, which lines
    concurrent appends up on both engines; on SQLite a read's entry is inserted only while the head is the one it
    was chained to, and a trigger moves the head (``medoffice.audit``).

    Entries from ``keyed_from`` on carry an HMAC keyed from the instance's key file; older ones
    (written before the upgrade that introduced keying) a plain SHA-256.
    """

    seq = pw.BigIntegerField(default=0)
    last_hash = pw.CharField(max_length=64)
    keyed_from = pw.BigIntegerField(default=1)

    class Meta:
        table_name = "core_audit_head"


class EmergencyAccess(BaseModel):
    """A break-glass grant: admin-equivalent access for a stated reason, for a limited time."""

    user = pw.ForeignKeyField(User, backref="emergency_grants", on_delete="CASCADE")
    reason = pw.TextField()
    address = pw.CharField(max_length=64, default="")
    started_at = UTCDateTimeField(default=utcnow)
    expires_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(null=True, index=True)
    ended_how = pw.CharField(max_length=20, default="")

    class Meta:
        table_name = "core_emergency_access"


class Backup(BaseModel):
    """A backup archive written by ``medoffice backup`` or the nightly job."""

    at = UTCDateTimeField(default=utcnow)
    path = pw.CharField(max_length=500)
    size_bytes = pw.BigIntegerField(default=0)
    sha256 = pw.CharField(max_length=64)
    kind = pw.CharField(max_length=10, default="manual")

    class Meta:
        table_name = "core_backup"


class CoreTask(BaseModel):
    """Long-running work started from a page and run in a background thread (``medoffice.tasks``).

    Pages poll its status; ``permission`` is what a user needs to watch it.
    """

    title = pw.CharField(max_length=200)
    permission = pw.CharField(max_length=120)
    status = pw.CharField(max_length=10, default="queued")
    percent = pw.IntegerField(null=True)
    message = pw.TextField(default="")
    error = pw.TextField(default="")
    result_url = pw.CharField(max_length=500, default="")
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow)
    started_at = UTCDateTimeField(null=True)
    finished_at = UTCDateTimeField(null=True)
    heartbeat_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "core_task"

    @property
    def done(self) -> bool:
        """True once the task finished, well or not."""
        return self.status in ("ok", "failed")


class RecoveryCode(BaseModel):
    """A single-use two-factor recovery code, kept as a keyed hash (``medoffice.auth.two_factor``)."""

    user = pw.ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=64)
    created_at = UTCDateTimeField(default=utcnow)
    used_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "core_recovery_code"
        indexes = ((("user", "code_hash"), True),)


class UserSession(BaseModel):
    """A signed-in browser (``medoffice.auth.sessions``). The cookie carries a random token; the row keeps
    only its SHA-256, so the table alone cannot be used to sign in. Ended rows are kept as history."""

    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = UTCDateTimeField(default=utcnow)
    last_seen_at = UTCDateTimeField(default=utcnow)  # written at most once a minute (sessions.TOUCH_SECONDS)
    address = pw.CharField(max_length=64, default="")
    browser = pw.CharField(max_length=80, default="")  # "Firefox 128 on Windows", from the User-Agent
    emergency_grant = pw.ForeignKeyField(EmergencyAccess, null=True, on_delete="SET NULL")
    ended_at = UTCDateTimeField(null=True)
    ended_how = pw.CharField(max_length=20, default="")

    class Meta:
        table_name = "core_session"
        indexes = ((("user", "ended_at"), False),)


# The services in their own packages keep their models there (imported last: they import this module).
from .events.models import EVENT_MODELS  # noqa: E402
from .files.models import FILE_MODELS  # noqa: E402
from .messages.models import MESSAGE_MODELS  # noqa: E402
from .deadlines.models import DEADLINE_MODELS  # noqa: E402
from .documents.models import DOCUMENT_MODELS  # noqa: E402

CORE_MODELS = [
    Setting, Location, StaffMember, Patient, Role, RolePermission, PermissionSeed, User,
    UserRole, LoginAttempt, PluginState, StateVersion, Counter, JobRun, AuditEvent, AuditHead,
    Backup, EmergencyAccess, CoreTask, UserSession, RecoveryCode, *EVENT_MODELS, *MESSAGE_MODELS,
    *DEADLINE_MODELS, *FILE_MODELS, *DOCUMENT_MODELS,
]
