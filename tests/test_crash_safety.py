"""A process killed with SIGKILL in the middle of a multi-row write leaves a sound database:
integrity check and ``medoffice doctor`` pass, committed work survived, the half-done write is gone.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from medoffice import config
from medoffice.db import db

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")]

COMMITTED = 40

# The writer registers patients the way the registration page does (account number from the
# counter, the patient row, its audit entry): one committed batch, then an endless transaction
# that reports its progress and is killed while still writing.
WRITER = textwrap.dedent("""
    import datetime as dt
    import sys

    from medoffice import audit
    from medoffice.app import create_app
    from medoffice.db import db, transaction
    from medoffice.models import Patient
    from medoffice.web.patients import next_account_number

    def register(first, last):
        patient = Patient.create(account_number=next_account_number(), first_name=first, last_name=last,
                                 date_of_birth=dt.date(1980, 1, 2), city="Springfield")
        audit.record("patient.create", "patient", patient.id, patient_id=patient.id)

    app = create_app(sys.argv[1])
    with app.app_context():
        db.connect(reuse_if_open=True)
        with transaction():
            for i in range({committed}):
                register(f"Kept{{i}}", "Committed")
        print("committed", flush=True)
        with transaction():
            i = 0
            while True:
                register(f"Lost{{i}}", "Partial")
                i += 1
                if i % 250 == 0:
                    print(f"partial {{i}}", flush=True)
""").format(committed=COMMITTED)


def _run_and_kill(instance, env, rows_before_kill: int) -> int:
    """Start the writer, SIGKILL it once it has written ``rows_before_kill`` uncommitted rows."""
    script = instance / "writer.py"
    script.write_text(WRITER)
    process = subprocess.Popen([sys.executable, str(script), str(instance)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    deadline = time.monotonic() + 120
    written = 0
    try:
        for line in process.stdout:
            if line.startswith("partial"):
                written = int(line.split()[1])
                if written >= rows_before_kill:
                    break
            if time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert written >= rows_before_kill, "the writer did not get far enough"
    return written


def _doctor(instance, env) -> tuple[int, list[dict]]:
    result = subprocess.run([sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "doctor", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    start = result.stdout.find("[")
    return result.returncode, json.loads(result.stdout[start:]) if start >= 0 else []


@pytest.mark.parametrize("rows_before_kill", [250, 1000])
def test_sigkill_mid_transaction_leaves_committed_work_and_nothing_half_done(
        make_app, tmp_path, medoffice_database_url, rows_before_kill):
    instance = tmp_path / "instance"
    config.write_new(instance)
    env = {k: v for k, v in os.environ.items() if k != "MEDOFFICE_DATABASE_URL"}
    if medoffice_database_url:
        env["MEDOFFICE_DATABASE_URL"] = medoffice_database_url

    _run_and_kill(instance, env, rows_before_kill)

    app = make_app(instance=instance)
    from medoffice.audit import verify
    from medoffice.models import AuditEvent, Counter, Patient

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            if db.obj.__class__.__name__.endswith("SqliteDatabase"):
                assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
            assert Patient.select().where(Patient.last_name == "Committed").count() == COMMITTED
            assert Patient.select().where(Patient.last_name == "Partial").count() == 0
            assert Counter.get(Counter.name == "core.patient_account").value == COMMITTED
            created = AuditEvent.select().where(AuditEvent.action == "patient.create").count()
            assert created == COMMITTED
            chain = verify()
            assert chain.ok, chain.problem
        finally:
            db.close()
            db.obj.close_all()

    status, checks = _doctor(instance, env)
    failed = [c for c in checks if c["status"] == "fail"]
    assert status == 0 and not failed, failed
    names = {c["name"] for c in checks}
    assert {"database integrity", "audit chain", "migrations"} <= names
