"""Scheduled jobs: the scheduler follows the enabled plugins, runs are recorded, failures reach
Today, run-now works from the admin page with the task progress fragment, and the CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import JobSpec, PluginInfo, config, hookimpl
from medoffice.cli import main
from medoffice.db import db, utcnow
from medoffice.jobs import UnknownJob, run_job
from medoffice.models import AuditEvent, CoreTask, JobRun
from medoffice.scheduler import SchedulerBusy, start_scheduler
from medoffice.tasks import Failed
from medoffice.testing import login

FLAKY = {"fail": True}
RELEASE_SLOW = threading.Event()


def _ok():
    return "Counted 3 reminders."


def _flaky():
    if FLAKY["fail"]:
        raise Failed("The clearinghouse refused the upload.")
    return "Uploaded 2 claims."


def _crash():
    raise ValueError("patient Jane Roe, born 1970-01-01, has no insurance")


def _slow():
    if not RELEASE_SLOW.wait(10):
        raise Failed("the test never released the slow job")
    return "Slow job finished."


@hookimpl
def medoffice_jobs():
    return [
        JobSpec("jobstest.ok", "Count reminders", _ok, trigger="cron", schedule={"hour": 6, "minute": 0}),
        JobSpec("jobstest.flaky", "Upload claims", _flaky, trigger="interval", schedule={"minutes": 30}),
        JobSpec("jobstest.crash", "Crashing job", _crash, trigger="cron", schedule={"hour": 4}),
        JobSpec("jobstest.slow", "Slow job", _slow, trigger="cron", schedule={"hour": 5}),
    ]


jobs_plugin = types.ModuleType("jobstest_plugin")
jobs_plugin.__file__ = __file__
jobs_plugin.PLUGIN = PluginInfo(name="jobstest", title="Jobs test")
jobs_plugin.medoffice_jobs = medoffice_jobs
TEST_JOBS = {"jobstest.ok", "jobstest.flaky", "jobstest.crash", "jobstest.slow"}


@pytest.fixture
def jobs_app(make_app):
    FLAKY["fail"] = True
    RELEASE_SLOW.clear()
    return make_app(plugins=[], extra=[jobs_plugin])


@pytest.fixture
def scheduler(jobs_app):
    service = start_scheduler(jobs_app)
    yield service
    if service is not None:
        service.shutdown()


def _in_app(app, func):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return func()
        finally:
            db.close()


def run_cli(app, *args):
    """Run ``medoffice --instance <app's instance> ARGS`` the way IT would (its own app)."""
    instance = Path(app.instance_path)
    if not (instance / config.CONFIG_NAME).exists():
        config.write_new(instance)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", str(instance), *args], env=env)


def wait_for_task(client, task_id, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/tasks/{task_id}", headers={"HX-Request": "true"})
        if "hx-trigger" not in response.get_data(as_text=True):
            return response
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish in {timeout}s")


# --- the scheduler ------------------------------------------------------------------------

def test_scheduler_adds_and_removes_jobs_as_plugins_are_toggled(jobs_app, scheduler):
    assert scheduler is not None and scheduler.running
    assert TEST_JOBS | {"core.audit_verify"} <= scheduler.job_ids()
    assert str(scheduler.scheduler.timezone) == "America/New_York"
    runtime = jobs_app.extensions["medoffice"]

    _in_app(jobs_app, lambda: runtime.disable("jobstest", by="test"))
    assert not TEST_JOBS & scheduler.job_ids()
    assert "core.audit_verify" in scheduler.job_ids()

    _in_app(jobs_app, lambda: runtime.enable("jobstest", by="test"))
    assert TEST_JOBS <= scheduler.job_ids()
    next_runs = scheduler.next_run_times()
    assert next_runs["jobstest.ok"].hour == 6 and next_runs["jobstest.ok"] > utcnow()


def test_scheduler_notices_a_toggle_made_by_another_process(jobs_app, make_app, scheduler):
    other = make_app(plugins=[], extra=[jobs_plugin], instance=Path(jobs_app.instance_path))
    _in_app(other, lambda: other.extensions["medoffice"].disable("jobstest", by="other process"))
    assert TEST_JOBS <= scheduler.job_ids()  # not noticed until the periodic refresh
    scheduler.refresh()
    assert not TEST_JOBS & scheduler.job_ids()


def test_scheduler_follows_the_practice_time_zone(jobs_app, scheduler):
    from medoffice.settings import set_many

    _in_app(jobs_app, lambda: set_many({"core.timezone": "America/Denver"}))
    scheduler.refresh()
    job = scheduler.scheduler.get_job("jobstest.ok")
    assert str(job.trigger.timezone) == "America/Denver"
    assert job.next_run_time.utcoffset().total_seconds() in (-7 * 3600, -6 * 3600)


def test_a_new_scheduler_closes_runs_its_stopped_predecessor_left_open(jobs_app):
    def open_runs():
        JobRun.create(job_id="jobstest.ok", status="running", trigger="schedule")
        JobRun.create(job_id="jobstest.slow", status="running", trigger="manual")

    _in_app(jobs_app, open_runs)
    service = start_scheduler(jobs_app)
    try:
        runs = _in_app(jobs_app, lambda: {r.job_id: r for r in JobRun.select()})
        assert runs["jobstest.ok"].status == "failed" and "Interrupted" in runs["jobstest.ok"].message
        assert runs["jobstest.slow"].status == "running"  # a run by hand may still be going elsewhere
        admin = login(jobs_app.test_client(), "admin")
        assert "Scheduled job failed: Count reminders" in admin.get("/today").get_data(as_text=True)
    finally:
        service.shutdown()


def test_only_one_scheduler_per_instance(jobs_app, scheduler):
    assert start_scheduler(jobs_app) is None
    with pytest.raises(SchedulerBusy):
        start_scheduler(jobs_app, strict=True)
    result = run_cli(jobs_app, "scheduler")
    assert result.exit_code == 1 and "another scheduler is running" in result.output
    scheduler.shutdown()
    again = start_scheduler(jobs_app, strict=True)
    assert again is not None
    again.shutdown()


def test_postgres_advisory_lock_guards_the_database_across_instances(jobs_app, make_app, scheduler, tmp_path):
    if not (jobs_app.config.get("DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("the advisory lock is PostgreSQL's")
    elsewhere = make_app(plugins=[], extra=[jobs_plugin], instance=tmp_path / "second-machine")
    with pytest.raises(SchedulerBusy, match="PostgreSQL"):
        start_scheduler(elsewhere, strict=True)


def test_scheduler_does_not_start_in_the_reloader_watcher(jobs_app, monkeypatch):
    jobs_app.debug = True
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert start_scheduler(jobs_app) is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    child = start_scheduler(jobs_app)
    try:
        assert child is not None and child.running
    finally:
        child.shutdown()


# --- runs --------------------------------------------------------------------------------

def test_runs_are_recorded_with_their_outcome(jobs_app):
    ok = run_job(jobs_app, "jobstest.ok")
    assert (ok.status, ok.message, ok.trigger) == ("ok", "Counted 3 reminders.", "schedule")
    assert ok.finished_at >= ok.started_at

    failed = run_job(jobs_app, "jobstest.flaky", trigger="manual")
    assert (failed.status, failed.message, failed.trigger) == ("failed", "The clearinghouse refused the upload.", "manual")

    crashed = run_job(jobs_app, "jobstest.crash")
    assert crashed.status == "failed"
    assert "ValueError" in crashed.message and "ValueError" in crashed.error
    assert "test_scheduler.py" in crashed.error  # where it failed, for IT
    for text in (crashed.message, crashed.error):
        assert "Jane" not in text and "1970" not in text  # never the exception's text: it may hold patient data

    rows = _in_app(jobs_app, lambda: list(JobRun.select().order_by(JobRun.id)))
    assert [(r.job_id, r.status) for r in rows] == [
        ("jobstest.ok", "ok"), ("jobstest.flaky", "failed"), ("jobstest.crash", "failed")]
    assert all(r.finished_at is not None for r in rows)


def test_unknown_or_disabled_jobs_do_not_run(jobs_app):
    with pytest.raises(UnknownJob):
        run_job(jobs_app, "jobstest.nope")
    _in_app(jobs_app, lambda: jobs_app.extensions["medoffice"].disable("jobstest"))
    with pytest.raises(UnknownJob):
        run_job(jobs_app, "jobstest.ok")
    assert _in_app(jobs_app, lambda: JobRun.select().count()) == 0


def test_core_audit_job_fails_when_the_chain_is_broken(jobs_app):
    assert run_job(jobs_app, "core.audit_verify").status == "ok"
    from medoffice import audit

    def tamper():
        audit.record("test.event", "thing", 1)
        audit.record("test.event", "thing", 2)
        AuditEvent.update(object_id="99").where(AuditEvent.object_id == "1").execute()

    _in_app(jobs_app, tamper)
    run = run_job(jobs_app, "core.audit_verify")
    assert run.status == "failed" and "audit trail is broken" in run.message


# --- Today and the admin page ----------------------------------------------------------------

def test_a_failed_latest_run_is_a_today_item_until_the_job_succeeds(jobs_app):
    admin = login(jobs_app.test_client(), "admin")
    front_desk = login(jobs_app.test_client(), "front_desk")
    assert "Scheduled job failed" not in admin.get("/today").get_data(as_text=True)

    run_job(jobs_app, "jobstest.flaky")
    today = admin.get("/today").get_data(as_text=True)
    assert "Scheduled job failed: Upload claims" in today
    assert "The clearinghouse refused the upload." in today
    assert 'href="/admin/jobs#job-jobstest.flaky"' in today
    assert "Scheduled job failed" not in front_desk.get("/today").get_data(as_text=True)

    FLAKY["fail"] = False
    run_job(jobs_app, "jobstest.flaky")
    assert "Scheduled job failed" not in admin.get("/today").get_data(as_text=True)


def test_jobs_page_lists_enabled_jobs_with_last_runs(jobs_app):
    run_job(jobs_app, "jobstest.ok")
    run_job(jobs_app, "jobstest.crash")
    admin = login(jobs_app.test_client(), "admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert 'id="job-jobstest.ok"' in page and 'id="job-core.audit_verify"' in page
    assert "daily at 06:00" in page and "every 30 minutes" in page
    assert "Counted 3 reminders." in page and "Technical details" in page
    assert page.index("Crashing job</td>") < page.index("Count reminders</td>")  # newest run first
    filtered = admin.get("/admin/jobs?job=jobstest.ok").get_data(as_text=True)
    assert "1 run" in filtered

    _in_app(jobs_app, lambda: jobs_app.extensions["medoffice"].disable("jobstest"))
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert 'id="job-jobstest.ok"' not in page and 'id="job-core.audit_verify"' in page


def test_the_jobs_page_keeps_its_runs_until_a_job_runs_or_a_setting_changes(jobs_app):
    """Last runs and the history are kept (core.operations, and the access version for the date format): an
    unchanged view reads no run, and a run written by plain SQL, as the scheduler's process would, shows next."""
    import datetime as dt

    from medoffice import settings
    from medoffice.testing import reads_of, write_sql

    def date_format(shown):
        def choose():
            with jobs_app.test_request_context():
                settings.set_many({"core.date_format": shown, "core.timezone": "UTC"})
        _in_app(jobs_app, choose)

    date_format("iso")
    run_job(jobs_app, "jobstest.ok")
    admin = login(jobs_app.test_client(), "admin")
    assert "Counted 3 reminders." in admin.get("/admin/jobs").get_data(as_text=True)
    assert not reads_of(admin, "/admin/jobs", ("core_job_run",))
    started = JobRun.started_at.db_value(dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.timezone.utc))
    _in_app(jobs_app, lambda: write_sql(
        "INSERT INTO core_job_run (job_id, started_at, finished_at, status, message, error, trigger) "
        "VALUES (?, ?, ?, 'failed', 'The clearinghouse was down.', '', 'schedule')", "jobstest.flaky", started, started))
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert page.count("The clearinghouse was down.") == 2  # the job's last run and the history
    assert "2026-11-30 17:05" in page

    date_format("day_first")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "30/11/2026 17:05" in page and "2026-11-30 17:05" not in page


def test_the_jobs_page_keeps_a_next_run_until_it_is_due_and_writes_times_as_localtime(jobs_app):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from medoffice.localtime import local_datetime
    from medoffice.settings import practice_timezone
    from medoffice.web.admin_jobs import _next_run, _when

    spec = JobSpec("jobstest.kept", "Kept", _ok, trigger="cron", schedule={"hour": 6, "minute": 0})
    zone = ZoneInfo("America/Chicago")
    first = _next_run(spec.id, spec, zone, dt.datetime(2027, 3, 1, 5, 0, tzinfo=zone))
    assert first == dt.datetime(2027, 3, 1, 6, 0, tzinfo=zone)
    assert _next_run(spec.id, spec, zone, first) == first
    assert _next_run(spec.id, spec, zone, first + dt.timedelta(minutes=1)) == dt.datetime(2027, 3, 2, 6, 0, tzinfo=zone)
    assert _next_run(spec.id, spec, zone, dt.datetime(2027, 3, 1, 5, 0, tzinfo=zone)) == first  # an earlier moment
    every = JobSpec("jobstest.every", "Every", _ok, trigger="interval", schedule={"minutes": 30})
    assert _next_run(every.id, every, zone, first) is None

    def written():
        with jobs_app.test_request_context():
            when = _when(practice_timezone())
            moments = [dt.datetime(2027, 1, 5, 3, 4), dt.datetime(2027, 7, 5, 23, 59, tzinfo=dt.timezone.utc)]
            return [when(m) for m in moments] + [when(None)], [local_datetime(m, zone=False) for m in moments] + [""]
    ours, theirs = _in_app(jobs_app, written)
    assert ours == theirs

    from flask import url_for

    from medoffice.web.admin_jobs import _job_url
    with jobs_app.test_request_context():
        for endpoint, param in (("core.run_job_now", "job_id"), ("core.jobs", "job")):
            url = _job_url(endpoint, param)
            for job_id in ("core.audit_verify", "odd id/with&signs?", "x"):
                assert url(job_id) == url_for(endpoint, **{param: job_id})


def test_years_of_job_runs_are_counted_only_a_step_past_the_page(jobs_app, monkeypatch):
    from medoffice.web import tables

    monkeypatch.setattr(tables, "COUNT_AHEAD", 20)
    _in_app(jobs_app, lambda: JobRun.insert_many(
        [{"job_id": "jobstest.ok", "status": "ok", "message": f"Run {n}."} for n in range(50)]).execute())
    admin = login(jobs_app.test_client(), "admin")
    first = admin.get("/admin/jobs").get_data(as_text=True)
    assert "40+ runs" in first and "Page 1 of 2+" in first and "Run 49." in first and "Older</a>" in first
    last = admin.get("/admin/jobs?page=2").get_data(as_text=True)
    assert "50 runs" in last and "Page 2 of 2<" in last and "Run 0." in last and "Older</a>" not in last


def test_run_now_runs_in_the_background_with_a_progress_fragment(jobs_app):
    manager = login(jobs_app.test_client(), "office_manager")
    response = manager.post("/admin/jobs/jobstest.slow/run")
    assert response.status_code == 302
    task_id = int(response.headers["Location"].split("task=")[1].split("#")[0])

    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="task-{task_id}"' in page and "Run now: Slow job" in page
    running = manager.get(f"/tasks/{task_id}", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in running.get_data(as_text=True)
    assert "HX-Trigger" not in running.headers

    RELEASE_SLOW.set()
    done = wait_for_task(manager, task_id)
    text = done.get_data(as_text=True)
    assert "Slow job finished." in text and "Done" in text
    assert done.headers["HX-Trigger"] == "task-done"

    def facts():
        run = JobRun.get(JobRun.job_id == "jobstest.slow")
        audited = AuditEvent.select().where(AuditEvent.action == "job.run").count()
        return run.status, run.trigger, audited

    assert _in_app(jobs_app, facts) == ("ok", "manual", 1)
    history = manager.get("/admin/jobs/runs").get_data(as_text=True)
    assert "Slow job finished." in history and "<html" not in history


def test_run_now_shows_a_failure_and_needs_permission(jobs_app):
    front_desk = login(jobs_app.test_client(), "front_desk")
    assert front_desk.post("/admin/jobs/jobstest.ok/run").status_code == 403
    assert front_desk.get("/admin/jobs").status_code == 403

    admin = login(jobs_app.test_client(), "admin")
    response = admin.post("/admin/jobs/jobstest.flaky/run")
    task_id = int(response.headers["Location"].split("task=")[1].split("#")[0])
    done = wait_for_task(admin, task_id).get_data(as_text=True)
    assert "Failed" in done and "The clearinghouse refused the upload." in done
    assert front_desk.get(f"/tasks/{task_id}").status_code == 403
    assert admin.post("/admin/jobs/jobstest.nope/run").status_code == 404


def test_a_task_whose_server_stopped_is_shown_as_interrupted(jobs_app):
    import datetime as dt

    def orphan():
        return CoreTask.create(title="Long export", permission="core.jobs.view", status="running",
                               started_at=utcnow(), heartbeat_at=utcnow() - dt.timedelta(minutes=5)).id

    task_id = _in_app(jobs_app, orphan)
    admin = login(jobs_app.test_client(), "admin")
    response = admin.get(f"/tasks/{task_id}", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert "interrupted" in text and "hx-trigger" not in text
    assert _in_app(jobs_app, lambda: CoreTask.get_by_id(task_id).status) == "failed"
    assert admin.get("/tasks/999999").status_code == 404


# --- the command line --------------------------------------------------------------------

def test_cli_lists_and_runs_jobs(jobs_app):
    listed = run_cli(jobs_app, "jobs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {r["id"]: r for r in json.loads(listed.output[listed.output.index("["):])}
    audit_job = rows["core.audit_verify"]
    assert audit_job["schedule"] == "daily at 03:15" and audit_job["next_run"] and audit_job["last_status"] is None

    ran = run_cli(jobs_app, "jobs", "run", "core.audit_verify")
    assert ran.exit_code == 0 and "core.audit_verify: ok: The audit trail is intact" in ran.output
    listed = run_cli(jobs_app, "jobs", "list")
    assert "core.audit_verify" in listed.output and "last ok" in listed.output

    unknown = run_cli(jobs_app, "jobs", "run", "core.nope")
    assert unknown.exit_code == 1 and "no enabled module has a job" in unknown.output


def test_cli_run_exits_1_when_the_job_fails(jobs_app):
    def tamper():
        from medoffice import audit

        audit.record("test.event", "thing", 1)
        AuditEvent.delete().where(AuditEvent.seq == 1).execute()

    _in_app(jobs_app, tamper)
    result = run_cli(jobs_app, "jobs", "run", "core.audit_verify")
    assert result.exit_code == 1
    assert "failed: The audit trail is broken" in result.output


@pytest.mark.slow
def test_scheduler_command_runs_in_the_foreground_until_sigterm(jobs_app):
    instance = Path(jobs_app.instance_path)
    config.write_new(instance)
    env = dict(os.environ, MEDOFFICE_INSTANCE=str(instance))
    if jobs_app.config.get("DATABASE_URL"):
        env["MEDOFFICE_DATABASE_URL"] = jobs_app.config["DATABASE_URL"]
    command = [str(Path(sys.executable).with_name("medoffice")), "scheduler"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "medoffice scheduler running" in line:
                break
        assert "medoffice scheduler running with" in lines[-1], "".join(lines)
        assert start_scheduler(jobs_app) is None  # the other process holds the instance lock
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopping the scheduler" in output
    released = start_scheduler(jobs_app, strict=True)
    released.shutdown()
