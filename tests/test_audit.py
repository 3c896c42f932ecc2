"""The audit trail: what is recorded, tamper evidence (verify + CLI), the viewer and its CSV export."""
import csv
import datetime as dt
import io
import json
import types

import pytest
from click.testing import CliRunner

from medoffice import PluginInfo, audit
from medoffice.cli import main
from medoffice.db import db
from medoffice.models import AuditEvent, AuditHead, Patient
from medoffice.testing import login

PATIENT = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-02-03", "sex": "F",
           "preferred_contact": "phone"}


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def seed_trail(app, entries=6):
    """A chain of system entries (plus whatever the app wrote at start)."""
    def write():
        for i in range(entries):
            audit.record("test.event", "thing", i, patient_id=str(i + 1), detail={"n": i})
    in_db(app, write)


def verify(app):
    return in_db(app, audit.verify)


def sql(app, statement, *params):
    """Tamper with the database directly, as someone with file or SQL access would."""
    in_db(app, lambda: db.execute_sql(statement.replace("?", db.obj.param), params))


def test_intact_chain_verifies_even_with_ids_given_as_text(app):
    seed_trail(app)
    result = verify(app)
    assert result.ok and result.checked == 6 and result.problem == ""


def test_editing_an_entry_is_caught(app):
    seed_trail(app)
    sql(app, "UPDATE core_audit_event SET detail = ? WHERE seq = ?", '{"n":99}', 3)
    result = verify(app)
    assert not result.ok and result.seq == 3 and "altered" in result.problem and result.checked == 2


def test_editing_the_time_or_user_of_an_entry_is_caught(app):
    seed_trail(app)
    sql(app, "UPDATE core_audit_event SET username = ? WHERE seq = ?", "someone-else", 5)
    assert verify(app).seq == 5


def test_deleting_an_entry_in_the_middle_is_caught(app):
    seed_trail(app)
    sql(app, "DELETE FROM core_audit_event WHERE seq = ?", 4)
    result = verify(app)
    assert not result.ok and result.seq == 4 and "missing" in result.problem


def test_deleting_the_newest_entries_is_caught(app):
    seed_trail(app)
    sql(app, "DELETE FROM core_audit_event WHERE seq >= ?", 5)
    result = verify(app)
    assert not result.ok and result.seq == 5 and "deleted from the end" in result.problem


def test_reordering_entries_is_caught(app):
    seed_trail(app)
    # Swap entries 2 and 3 by renumbering them (via a free number, the column is unique).
    sql(app, "UPDATE core_audit_event SET seq = ? WHERE seq = ?", 1000, 2)
    sql(app, "UPDATE core_audit_event SET seq = ? WHERE seq = ?", 2, 3)
    sql(app, "UPDATE core_audit_event SET seq = ? WHERE seq = ?", 3, 1000)
    result = verify(app)
    assert not result.ok and result.seq == 2


def test_reordering_by_swapping_contents_is_caught(app):
    seed_trail(app)

    def swap():
        a, b = AuditEvent.get(AuditEvent.seq == 2), AuditEvent.get(AuditEvent.seq == 3)
        for field in ("at", "action", "object_id", "patient_id", "detail", "prev_hash", "hash"):
            va, vb = getattr(a, field), getattr(b, field)
            AuditEvent.update({field: vb}).where(AuditEvent.id == a.id).execute()
            AuditEvent.update({field: va}).where(AuditEvent.id == b.id).execute()
    in_db(app, swap)
    assert verify(app).seq == 2


def test_a_forged_entry_before_the_first_is_caught(app):
    seed_trail(app)

    def forge():
        first = AuditEvent.get(AuditEvent.seq == 1)
        AuditEvent.create(seq=0, at=first.at, action="test.forged", prev_hash=audit.GENESIS, hash=audit.GENESIS)
    in_db(app, forge)
    result = verify(app)
    assert not result.ok and result.seq == 0


def test_an_entry_appended_behind_the_heads_back_is_caught(app):
    seed_trail(app)

    def append():
        last = AuditEvent.select().order_by(AuditEvent.seq.desc()).get()
        AuditEvent.create(seq=last.seq + 1, at=last.at, action="test.forged", prev_hash=last.hash, hash="0" * 64)
    in_db(app, append)
    assert not verify(app).ok


def run_cli(app, *args):
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", app.instance_path, *args], env=env)


@pytest.fixture
def cli_app(make_app, tmp_path):
    """An app whose instance folder has a config file, so the CLI can open it too."""
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    return make_app(instance=instance)


def test_cli_verify_reports_ok_and_exits_non_zero_on_the_first_broken_link(cli_app):
    seed_trail(cli_app)
    ok = run_cli(cli_app, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    sql(cli_app, "UPDATE core_audit_event SET action = ? WHERE seq = ?", "test.other", 4)
    sql(cli_app, "UPDATE core_audit_event SET action = ? WHERE seq = ?", "test.other", 6)
    broken = run_cli(cli_app, "audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN at entry 4" in broken.output
    as_json = run_cli(cli_app, "audit", "verify", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.output)["seq"] == 4


# --- what is recorded ----------------------------------------------------------------------

def test_logins_failures_patient_views_and_changes_are_recorded_with_who_and_where(app):
    admin = login(app.test_client(), "admin", username="boss")
    app.test_client().post("/login", data={"username": "boss", "password": "wrong password here"},
                           environ_base={"REMOTE_ADDR": "10.9.8.7"})
    created = admin.post("/patients/new", data=PATIENT)
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    admin.get(f"/patients/{patient_id}")
    admin.post(f"/patients/{patient_id}/edit", data={**PATIENT, "city": "Dayton"})

    events = in_db(app, lambda: list(AuditEvent.select().order_by(AuditEvent.seq)))
    by_action = {}
    for e in events:
        by_action.setdefault(e.action, []).append(e)
    assert by_action["auth.login"][0].username == "boss"
    failed = by_action["auth.login_failed"][0]
    assert failed.address == "10.9.8.7" and json.loads(failed.detail)["username"] == "boss"
    for action in ("patient.create", "patient.view", "patient.update"):
        entry = by_action[action][0]
        assert entry.username == "boss" and entry.patient_id == patient_id and entry.object_id == str(patient_id)
        assert entry.address == "127.0.0.1"
    assert json.loads(by_action["patient.update"][0].detail) == {"fields": ["city"]}
    assert verify(app).ok


# --- viewer and export -----------------------------------------------------------------------

def activity(app):
    admin = login(app.test_client(), "admin", username="boss")
    desk = login(app.test_client(), "front_desk", username="desk")
    first = int(desk.post("/patients/new", data=PATIENT).headers["Location"].rsplit("/", 1)[1])
    second = int(desk.post("/patients/new", data={**PATIENT, "first_name": "Bo"}).headers["Location"].rsplit("/", 1)[1])
    desk.get(f"/patients/{first}")
    admin.get(f"/patients/{second}")
    return admin, first, second


def table_rows(page: str) -> int:
    table = page.split('id="audit-table"', 1)
    return table[1].split("<tbody>", 1)[1].split("</tbody>")[0].count("<tr") if len(table) == 2 else 0


def test_viewer_filters_by_user_patient_action_record_and_date(app):
    admin, first, second = activity(app)
    assert table_rows(admin.get("/admin/audit?user=desk").get_data(as_text=True)) == 4  # login, 2 creates, view
    assert table_rows(admin.get(f"/admin/audit?patient={first}").get_data(as_text=True)) == 2
    account = in_db(app, lambda: Patient.get_by_id(second).account_number)
    assert table_rows(admin.get(f"/admin/audit?patient={account}").get_data(as_text=True)) == 2
    assert admin.get("/admin/audit?patient=P9999999").status_code == 422
    assert table_rows(admin.get("/admin/audit?action=patient").get_data(as_text=True)) == 4
    assert table_rows(admin.get("/admin/audit?action=patient.view").get_data(as_text=True)) == 2
    assert table_rows(admin.get(f"/admin/audit?object_type=patient&object_id={second}").get_data(as_text=True)) == 2
    assert table_rows(admin.get("/admin/audit?user=desk&action=patient.view").get_data(as_text=True)) == 1
    assert table_rows(admin.get("/admin/audit?start=2000-01-01&end=2000-12-31").get_data(as_text=True)) == 0
    assert table_rows(admin.get("/admin/audit?start=2000-01-01").get_data(as_text=True)) > 4
    backwards = admin.get("/admin/audit?start=2020-02-01&end=2020-01-01")
    assert backwards.status_code == 422 and "before the start date" in backwards.get_data(as_text=True)


def test_viewer_pages_keep_their_filters(app):
    seed_trail(app, entries=120)
    admin = login(app.test_client(), "auditor")
    page = admin.get("/admin/audit?action=test.event").get_data(as_text=True)
    assert table_rows(page) == 50 and "Page 1 of 3" in page
    assert 'href="/admin/audit?action=test.event&amp;page=2"' in page
    # A filter without a pattern runs compiled once per set of filters: new values, same shape.
    last = admin.get("/admin/audit?object_type=thing&page=3").get_data(as_text=True)
    assert table_rows(last) == 20 and "Page 3 of 3" in last and "120 entries match" in last
    assert "<td>thing 19</td>" in last and "<td>thing 0</td>" in last and "<td>thing 20</td>" not in last
    assert table_rows(admin.get("/admin/audit?object_type=nothing&page=3").get_data(as_text=True)) == 0


def test_viewer_offers_each_recorded_action_once_in_order(app):
    activity(app)
    page = login(app.test_client(), "auditor").get("/admin/audit").get_data(as_text=True)
    datalist = page.split('<datalist id="audit-actions">')[1].split("</datalist>")[0]
    offered = [option.split('"')[1] for option in datalist.split("<option value=")[1:]]
    recorded = in_db(app, lambda: sorted({e.action for e in AuditEvent.select(AuditEvent.action)}))
    assert offered == recorded and {"patient.create", "patient.view"} <= set(offered)

    def offered_now():
        page = auditor.get("/admin/audit").get_data(as_text=True)
        datalist = page.split('<datalist id="audit-actions">')[1].split("</datalist>")[0]
        return [option.split('"')[1] for option in datalist.split("<option value=")[1:]]
    # The process keeps the actions it found and reads only newer entries: a new action shows at once.
    auditor = login(app.test_client(), "auditor")
    in_db(app, lambda: audit.record("zz.new_action", "thing", 1))
    in_db(app, lambda: audit.record("aa.another", "thing", 2, detail={"emergency": True}))
    now = offered_now()
    assert now == sorted(now) and {"zz.new_action", "aa.another"} <= set(now)
    assert now == in_db(app, lambda: sorted({e.action for e in AuditEvent.select(AuditEvent.action)}))
    page = auditor.get("/admin/audit?action=aa.another").get_data(as_text=True)
    assert page.count('<tr class="audit-emergency">') == 1 and page.count("chip-failed\">Emergency") == 1


def test_a_long_trail_is_counted_only_a_step_past_the_page(app, monkeypatch):
    from medoffice.web import tables

    monkeypatch.setattr(tables, "COUNT_AHEAD", 60)
    seed_trail(app, entries=130)
    auditor = login(app.test_client(), "auditor")
    first = auditor.get("/admin/audit?action=test.event").get_data(as_text=True)
    assert "60+ entries match." in first and "Page 1 of 2+" in first
    last = auditor.get("/admin/audit?action=test.event&page=3").get_data(as_text=True)
    assert "130 entries match." in last and "Page 3 of 3<" in last and table_rows(last) == 30


def test_csv_export_has_the_filtered_entries_and_is_itself_audited(app):
    admin, first, _ = activity(app)
    response = admin.get(f"/admin/audit/export.csv?patient={first}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["patient.view", "patient.create"]
    assert {r["patient_id"] for r in rows} == {str(first)} and all(len(r["hash"]) == 64 for r in rows)
    export = in_db(app, lambda: AuditEvent.select().where(AuditEvent.action == "audit.export").get())
    assert json.loads(export.detail) == {"filters": {"patient": str(first)}, "rows": 2}
    assert export.username == "boss"


def test_csv_cells_cannot_become_spreadsheet_formulas(app):
    def write():
        audit.record("test.event", "=HYPERLINK(\"http://evil\")", "+1", detail={"x": 1})
    in_db(app, write)
    admin = login(app.test_client(), "auditor")
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/audit/export.csv?action=test").get_data(as_text=True))))
    assert rows[0]["object_type"].startswith("'=") and rows[0]["object_id"] == "'+1"


def test_auditor_reads_but_front_desk_cannot(app):
    activity(app)
    assert login(app.test_client(), "auditor").get("/admin/audit").status_code == 200
    assert login(app.test_client(), "front_desk").get("/admin/audit/export.csv").status_code == 403


def test_emergency_filter_shows_only_break_glass_work(app):
    def write():
        audit.record("test.calm", detail={})
        audit.record("test.urgent", detail={"emergency": True})
    in_db(app, write)
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/audit?emergency=y").get_data(as_text=True)
    assert table_rows(page) == 1 and "test.urgent" in page


def quiet_plugin():
    """A plugin with no contributions, just to be switched on and off."""
    module = types.ModuleType("auditswitch_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="auditswitch", title="Audit switch")
    return module


def test_plugin_disable_and_enable_are_audited_with_who(make_app):
    app = make_app(plugins=[], extra=[quiet_plugin()])
    admin = login(app.test_client(), "admin", username="boss")
    assert admin.post("/admin/plugins/auditswitch/disable").status_code == 302
    assert admin.post("/admin/plugins/auditswitch/enable").status_code == 302
    entries = in_db(app, lambda: [(e.action, e.username, e.object_id) for e in AuditEvent.select()
                                  .where(AuditEvent.action.startswith("plugin.")).order_by(AuditEvent.seq)])
    assert entries == [("plugin.disable", "boss", "auditswitch"), ("plugin.enable", "boss", "auditswitch")]


def test_the_viewers_rows_follow_the_entries_the_date_format_and_the_viewers_permissions(app):
    """The viewer keeps each row's HTML: a change to how rows are drawn, or to an entry itself, shows at once."""
    from medoffice import settings

    seed_trail(app, entries=3)
    admin = login(app.test_client(), "admin")
    first = in_db(app, lambda: AuditEvent.select().where(AuditEvent.action == "test.event")
                  .order_by(AuditEvent.seq).get())
    iso = f"<td>{first.at.astimezone(dt.timezone.utc):%Y-%m-%d}"
    assert '<a href="/patients/1">#1</a>' in admin.get("/admin/audit").get_data(as_text=True)

    def choose_us():
        with app.test_request_context():
            settings.set_many({"core.date_format": "us", "core.timezone": "UTC"})
    in_db(app, choose_us)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert f"<td>{first.at.astimezone(dt.timezone.utc):%m/%d/%Y %H:%M:%S}</td>" in page and iso not in page

    sql(app, "UPDATE core_audit_event SET detail = ? WHERE seq = ?", '{"n":99}', first.seq)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "{&#34;n&#34;:99}" in page and "{&#34;n&#34;:0}" not in page

    page = login(app.test_client(), "auditor").get("/admin/audit").get_data(as_text=True)  # may not open patients
    assert "<td>#1</td>" in page and '<a href="/patients/1">' not in page


def test_a_read_entry_that_fails_leaves_nothing_written_and_the_connection_usable(app, monkeypatch):
    """A read's entry skips the usual transaction layers (on PostgreSQL it is sent as a pipeline: the head, the
    entry and COMMIT without waiting for each answer; on SQLite its statements go to the driver directly): a
    statement failing there surfaces, leaves neither entry nor moved head, and the next one is written."""
    def head():
        return in_db(app, lambda: (AuditHead.get_by_id(1).seq, AuditEvent.select().count()))

    before = head()
    real, real_chained = audit._insert_statement, audit._chained_insert
    table = f'"{AuditEvent._meta.table_name}"'

    def refused(build):  # the statement it builds refused by the database, as a failing insert would be
        def build_refused(*args):
            sql, fields = build(*args)
            return sql.replace(table, "no_such_table"), fields
        return build_refused

    monkeypatch.setattr(audit, "_insert_statement", refused(real))
    monkeypatch.setattr(audit, "_chained_insert", refused(real_chained))

    def read_and_check():
        with pytest.raises(Exception, match="no_such_table"):
            audit.record_read("patient.view", "patient", 1, patient_id=1)
        return db.execute_sql("SELECT 1").fetchone()  # the same connection takes statements again
    assert in_db(app, read_and_check) == (1,)
    assert head() == before
    monkeypatch.setattr(audit, "_insert_statement", real)
    monkeypatch.setattr(audit, "_chained_insert", real_chained)
    in_db(app, lambda: audit.record_read("patient.view", "patient", 1, patient_id=1))
    assert head() == (before[0] + 1, before[1] + 1) and verify(app).ok


def test_a_page_view_may_be_the_first_entry_of_an_empty_trail(app):
    """A read entry written before any other (no head yet) starts the chain at entry 1, as any first entry does."""
    def empty_then_read():
        AuditEvent.delete().execute()
        AuditHead.delete().execute()
        audit.record_read("patient.view", "patient", 1, patient_id=1)
        audit.record_read("patient.view", "patient", 2, patient_id=2)
        return [(e.seq, e.object_id) for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert in_db(app, empty_then_read) == [(1, "1"), (2, "2")]
    assert in_db(app, lambda: audit.verify(anchors=[])).ok
