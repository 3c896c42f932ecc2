"""``medoffice doctor``: integrity checks from core and every enabled plugin (``medoffice_doctor_checks``).

Core's own checks are contributed through core's hookimpl like any plugin's, so further core
checks (backup age, certificate expiry) join the same list. A check that raises counts as a
failure named after its plugin, so one broken check never hides the others.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Callable

from flask import current_app

from . import assets, audit, filemodes, migrate, settings
from .contributions import CheckResult
from .db import db, is_sqlite
from .runtime import all_models

log = logging.getLogger("medoffice.doctor")

DISK_WARN_BYTES = 2 * 1024 ** 3
DISK_FAIL_BYTES = 200 * 1024 ** 2


def run_checks(app) -> list[CheckResult]:
    """Every enabled plugin's checks, core's first; a database that cannot be reached is one failure."""
    with app.app_context():
        opened = db.is_closed()
        try:
            if opened:
                db.connect()
        except Exception as exc:
            return [CheckResult("database", "fail", f"cannot connect: {type(exc).__name__}: {exc}")]
        try:
            runtime = app.extensions["medoffice"]
            runtime.refresh()
            results: list[CheckResult] = []
            for plugin in runtime.host.ordered():
                if not runtime.host.is_enabled(plugin.name):
                    continue
                try:
                    results.extend(runtime.host.call_for(plugin.name, "medoffice_doctor_checks"))
                except Exception as exc:
                    log.error("the doctor checks of %s raised %s", plugin.name, type(exc).__name__)
                    results.append(CheckResult(f"{plugin.name} checks", "fail",
                                               f"the checks themselves failed ({type(exc).__name__})"))
            return results
        finally:
            if opened and not db.is_closed():
                db.close()


def has_failures(results: list[CheckResult]) -> bool:
    """True when any check failed (``medoffice doctor`` then exits 1)."""
    return any(r.status == "fail" for r in results)


# --- core's checks -------------------------------------------------------------------------

def check_database() -> tuple[str, str]:
    """The database answers a query."""
    db.execute_sql("SELECT 1")
    if is_sqlite():
        return "ok", f"SQLite database {db.obj.database} answers"
    return "ok", f"PostgreSQL database {db.obj.database} answers"


def check_integrity() -> tuple[str, str]:
    """SQLite: ``PRAGMA integrity_check``. PostgreSQL: every table of enabled modules can be read."""
    if is_sqlite():
        rows = [row[0] for row in db.execute_sql("PRAGMA integrity_check").fetchall()]
        if rows == ["ok"]:
            return "ok", "SQLite integrity check passed"
        return "fail", "SQLite integrity check found problems: " + "; ".join(rows[:5])
    tables = _enabled_tables()
    for table in tables:
        db.execute_sql(f'SELECT 1 FROM "{table}" LIMIT 1')
    return "ok", f"all {len(tables)} tables can be read"


def check_migrations() -> tuple[str, str]:
    """Core and every enabled module have applied all their migrations, and the schema matches."""
    host = current_app.extensions["medoffice"].host
    enabled = [p for p in host.ordered() if host.is_enabled(p.name)]
    pending = {p.name: migrate.pending(p) for p in enabled}
    pending = {name: names for name, names in pending.items() if names}
    if pending:
        return "fail", "pending migrations: " + "; ".join(
            f"{name}: {', '.join(names)}" for name, names in pending.items())
    models = all_models(host)
    drifted = [p.name for p in enabled if migrate.schema_diff(models.get(p.name, []))]
    if drifted:
        return "warn", ("the database differs from the models of " + ", ".join(drifted)
                        + " although every migration ran; a module needs a new migration")
    return "ok", f"migrations current for {', '.join(p.name for p in enabled)}"


def check_audit_chain() -> tuple[str, str]:
    """The audit trail's hash chain is unbroken."""
    result = audit.verify()
    if result.ok:
        return "ok", f"{result.checked} entries verified"
    return "fail", result.problem


def check_file_modes() -> tuple[str, str]:
    """The instance folder and every file in it are private to the service account (0700/0600)."""
    extra = []
    if is_sqlite():
        database = Path(db.obj.database)
        extra = [p for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
                 if p.exists() and current_app.extensions["medoffice"].instance not in p.parents]
    return filemodes.report(current_app.extensions["medoffice"].instance, extra)


def check_disk_space() -> tuple[str, str]:
    """Free space where the instance keeps its database, backups and logs."""
    instance = current_app.extensions["medoffice"].instance
    measured = next(p for p in (instance, *instance.parents) if p.exists())  # it may not exist yet on PostgreSQL
    free = shutil.disk_usage(measured).free
    text = f"{_size(free)} free in {instance}"
    if free < DISK_FAIL_BYTES:
        return "fail", text + f" (below {_size(DISK_FAIL_BYTES)}: free up space now)"
    if free < DISK_WARN_BYTES:
        return "warn", text + f" (below {_size(DISK_WARN_BYTES)})"
    return "ok", text


def check_settings() -> tuple[str, str]:
    """Stored settings their spec refuses (wrong type, out of range): each is read as its default."""
    invalid = settings.invalid_stored()
    if not invalid:
        return "ok", "every stored setting is valid"
    return "warn", "ignored, the default is used instead: " + "; ".join(
        f"{name}: {problem}" for name, problem in invalid) + " Save the setting again on Admin → Settings."


def check_assets() -> tuple[str, str]:
    """The static files the page layout loads are installed, the npm-built ones as the build recorded them."""
    report = assets.verify()
    return ("ok" if report.ok else "fail"), report.summary()


def check_plugins() -> list[CheckResult]:
    """Modules that failed to load or set up, one warning each."""
    host = current_app.extensions["medoffice"].host
    failed = host.failed()
    if not failed:
        return [CheckResult("modules", "ok", f"all {len(host.plugins)} installed modules loaded")]
    return [CheckResult(f"module {p.name}", "warn",
                        "failed to load: " + (p.error.strip().splitlines() or ["unknown error"])[-1])
            for p in failed]


CORE_CHECKS: list[tuple[str, Callable[[], tuple[str, str]]]] = [
    ("database", check_database),
    ("database integrity", check_integrity),
    ("migrations", check_migrations),
    ("audit chain", check_audit_chain),
    ("file permissions", check_file_modes),
    ("disk space", check_disk_space),
    ("front-end files", check_assets),
    ("settings", check_settings),
]


def core_checks() -> list[CheckResult]:
    """Core's checks, each on its own: one that raises is reported as failed, the rest still run."""
    results = []
    for name, check in CORE_CHECKS:
        try:
            status, message = check()
        except Exception as exc:
            log.error("doctor check %s raised %s", name, type(exc).__name__)
            status, message = "fail", f"the check could not run: {type(exc).__name__}: {exc}"
        results.append(CheckResult(name, status, message))
    return results + check_plugins()


def _enabled_tables() -> list[str]:
    host = current_app.extensions["medoffice"].host
    models = all_models(host)
    return [m._meta.table_name for name, group in models.items() if host.is_enabled(name) for m in group]


def _size(count: int) -> str:
    if count >= 1024 ** 3:
        return f"{count / 1024 ** 3:.1f} GB"
    return f"{count / 1024 ** 2:.0f} MB"
