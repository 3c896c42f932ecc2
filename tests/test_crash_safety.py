"""A process killed with SIGKILL in the middle of a multi-row write leaves a sound database:
integrity check and ``medoffice doctor`` pass, committed work survived, the half-done write is gone.

Each scenario is a writer script that commits a first batch, prints ``committed``, then starts
one long transaction through a real operation (core's patient registration, a plugin's
importer) and prints ``partial N`` as it goes; the test kills it after N rows.
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

PROLOGUE = textwrap.dedent("""
    import sys

    from medoffice.app import create_app
    from medoffice.db import db, transaction

    app = create_app(sys.argv[1])
    app.app_context().push()
    db.connect(reuse_if_open=True)
""")

# Core: registering patients the way the registration page does (account number from the
# counter, the patient row, its audit entry).
CORE_PATIENTS = PROLOGUE + textwrap.dedent("""
    import datetime as dt

    from medoffice import audit
    from medoffice.models import Patient
    from medoffice.web.patients import next_account_number

    def register(first, last):
        patient = Patient.create(account_number=next_account_number(), first_name=first, last_name=last,
                                 date_of_birth=dt.date(1980, 1, 2), city="Springfield")
        audit.record("patient.create", "patient", patient.id, patient_id=patient.id)

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

# Billing: the code-list importer (one transaction of batched inserts). Its batching is
# wrapped only to report progress; what it writes and when it commits are unchanged.
BILLING_CODES = PROLOGUE + textwrap.dedent("""
    from peewee import chunked

    from medoffice_billing import reference

    reference.import_codes("cpt", [(f"A{{i:05d}}", "Committed") for i in range({committed})])
    print("committed", flush=True)

    def reporting_chunked(rows, size):
        for number, part in enumerate(chunked(rows, size), 1):
            yield part
            print(f"partial {{number * size}}", flush=True)

    reference.chunked = reporting_chunked
    reference.import_codes("cpt", [(f"Z{{i:05d}}", "Partial") for i in range(600000)], batch=250)
    print("finished", flush=True)
""").format(committed=COMMITTED)


def _check_core_patients():
    from medoffice.models import AuditEvent, Counter, Patient

    assert Patient.select().where(Patient.last_name == "Committed").count() == COMMITTED
    assert Patient.select().where(Patient.last_name == "Partial").count() == 0
    assert Counter.get(Counter.name == "core.patient_account").value == COMMITTED
    assert AuditEvent.select().where(AuditEvent.action == "patient.create").count() == COMMITTED


def _check_billing_codes():
    from medoffice.models import AuditEvent
    from medoffice_billing.models import CodeEntry

    assert CodeEntry.select().where(CodeEntry.description == "Committed").count() == COMMITTED
    assert CodeEntry.select().where(CodeEntry.description == "Partial").count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "billing.codes.import").count() == 1


SCENARIOS = {
    "core-patient-registration": (CORE_PATIENTS, _check_core_patients, None),
    "billing-code-import": (BILLING_CODES, _check_billing_codes, "medoffice_billing"),
}


def _run_and_kill(instance, env, script_text: str, rows_before_kill: int) -> int:
    """Start the writer, SIGKILL it once it has written ``rows_before_kill`` uncommitted rows."""
    script = instance.parent / "writer.py"  # the test's own file, not the instance's (doctor checks those)
    script.write_text(script_text)
    process = subprocess.Popen([sys.executable, str(script), str(instance)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 180
    written = 0
    lines = []
    try:
        for line in process.stdout:
            lines.append(line.strip())
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
        _out, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, (lines[-3:], err[-2000:])
    assert written >= rows_before_kill, ("the writer did not get far enough", lines[-3:], err[-2000:])
    return written


def _doctor(instance, env) -> tuple[int, list[dict]]:
    result = subprocess.run([sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "doctor", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    start = result.stdout.find("[")
    return result.returncode, json.loads(result.stdout[start:]) if start >= 0 else []


@pytest.mark.parametrize("scenario, rows_before_kill", [
    ("core-patient-registration", 1000),
    ("billing-code-import", 20000),
])
def test_sigkill_mid_transaction_leaves_committed_work_and_nothing_half_done(
        make_app, tmp_path, medoffice_database_url, scenario, rows_before_kill):
    script, check, needs = SCENARIOS[scenario]
    if needs:
        pytest.importorskip(needs)
    instance = tmp_path / "instance"
    config.write_new(instance)
    env = {k: v for k, v in os.environ.items() if k != "MEDOFFICE_DATABASE_URL"}
    if medoffice_database_url:
        env["MEDOFFICE_DATABASE_URL"] = medoffice_database_url

    _run_and_kill(instance, env, script, rows_before_kill)

    app = make_app(instance=instance)
    from medoffice.audit import verify

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            if db.obj.__class__.__name__.endswith("SqliteDatabase"):
                assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
            check()
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
