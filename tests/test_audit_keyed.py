"""The audit chain is keyed (HMAC from the instance's key file) and anchored outside the database:
rewriting it without the key, or cutting its newest entries and moving the head back, is caught."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_plugins import write_instance_config
from playhouse.migrations import SchemaMigrator

from medoffice import audit, audit_anchor
from medoffice.backup import create_backup
from medoffice.cli import main
from medoffice.db import db
from medoffice.jobs import run_job
from medoffice.models import AuditEvent, AuditHead


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def seed(app, entries=6):
    in_db(app, lambda: [audit.record("test.event", "thing", i, detail={"n": i}) for i in range(entries)])


def verify(app):
    return in_db(app, audit.verify)


def anchor(app, reason="test"):
    return in_db(app, lambda: audit_anchor.write_anchor(Path(app.instance_path), reason))


def head(app):
    return in_db(app, lambda: AuditHead.get_by_id(1))


def rewrite(app, digest, *, drop=(), keyed_from=None):
    """Delete entries ``drop``, renumber the rest and recompute every digest with ``digest(prev, payload)``,
    then move the head: what someone with write access to the database, but not the key, can do."""
    def work():
        with db.atomic():
            rows = list(AuditEvent.select().order_by(AuditEvent.seq))
            AuditEvent.delete().execute()
            prev, seq = audit.GENESIS, 0
            for row in rows:
                if row.seq in drop:
                    continue
                seq += 1
                payload = audit._canonical(seq, row.at, row.user_id, row.username, row.address, row.action,
                                           row.object_type, row.object_id, row.patient_id, row.detail)
                value = digest(prev, payload)
                AuditEvent.create(seq=seq, at=row.at, user_id=row.user_id, username=row.username,
                                  address=row.address, action=row.action, object_type=row.object_type,
                                  object_id=row.object_id, patient_id=row.patient_id, detail=row.detail,
                                  prev_hash=prev, hash=value)
                prev = value
            changes = {"seq": seq, "last_hash": prev}
            if keyed_from is not None:
                changes["keyed_from"] = keyed_from(seq)
            AuditHead.update(changes).where(AuditHead.id == 1).execute()
    in_db(app, work)


def plain_sha256(prev, payload):
    return hashlib.sha256(prev.encode() + payload).hexdigest()


def guessed_key(prev, payload):
    return hmac.new(b"not the instance key", prev.encode() + payload, hashlib.sha256).hexdigest()


def test_normal_operation_verifies_against_its_anchors(app):
    seed(app, 4)
    first, written = anchor(app)
    assert written and first.seq == head(app).seq and first.keyed_from == 1
    seed(app, 3)
    result = verify(app)
    assert result.ok and result.anchored == first.seq and result.checked == first.seq + 3
    # An unchanged head is not anchored twice; a newer one is appended after it.
    newer, written = anchor(app)
    assert written and anchor(app) == (newer, False)
    lines = (Path(app.instance_path) / audit_anchor.ANCHOR_FILE).read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines][-2:] == [first.seq, first.seq + 3]
    assert verify(app).ok


def test_cutting_the_newest_entries_and_moving_the_head_is_caught_after_anchoring(app):
    seed(app)
    anchored, _ = anchor(app)

    def cut():
        AuditEvent.delete().where(AuditEvent.seq > anchored.seq - 2).execute()
        last = AuditEvent.select().order_by(AuditEvent.seq.desc()).get()
        AuditHead.update(seq=last.seq, last_hash=last.hash).where(AuditHead.id == 1).execute()
    in_db(app, cut)

    result = verify(app)
    assert not result.ok and result.seq == anchored.seq - 1
    assert f"entry {anchored.seq} was anchored" in result.problem and "deleted from the end" in result.problem
    # The cut chain is never anchored over: the job fails and the anchor file keeps its evidence.
    run = run_job(app, "core.audit_anchor", trigger="manual")
    assert run.status == "failed" and "entries were removed" in run.message
    assert audit_anchor.newest(Path(app.instance_path)) == anchored


@pytest.mark.parametrize("digest", [plain_sha256, guessed_key], ids=["sha256", "guessed-key"])
def test_deleting_rows_and_recomputing_every_digest_is_caught_without_the_key(app, digest):
    seed(app)
    rewrite(app, digest, drop={3})
    result = verify(app)
    assert not result.ok and result.seq == 1 and "altered" in result.problem


def test_declaring_the_whole_chain_unkeyed_is_caught_by_the_anchor(app):
    seed(app)
    anchor(app)
    # Recompute everything the pre-keying way and move the switch-over point past the end.
    rewrite(app, plain_sha256, drop={3}, keyed_from=lambda last: last + 1)
    result = verify(app)
    assert not result.ok and "switch-over was moved" in result.problem


def test_a_rewrite_that_keeps_the_length_is_caught_by_the_anchor_even_with_the_key(app):
    """Someone holding the key file too can recompute valid digests; the anchor still differs."""
    seed(app)
    anchored, _ = anchor(app)
    key = app.extensions[audit.KEY_EXTENSION]

    def keyed(prev, payload):
        return audit._keyed_digest(key, prev, payload)
    in_db(app, lambda: AuditEvent.update(detail='{"n":42}').where(AuditEvent.seq == 3).execute())
    rewrite(app, keyed)
    result = verify(app)
    assert not result.ok and result.seq == anchored.seq and "differs from its anchor" in result.problem


def test_tampering_with_a_middle_row_is_caught(app):
    seed(app)
    anchor(app)
    in_db(app, lambda: AuditEvent.update(username="someone-else").where(AuditEvent.seq == 3).execute())
    result = verify(app)
    assert not result.ok and result.seq == 3 and "altered" in result.problem


def _to_pre_keying_database(app, legacy_entries):
    """Turn the app's database into one written before keying: no ``keyed_from`` column, migration
    0006 not applied, no anchor file, and a chain of plain SHA-256 digests."""
    def work():
        audit.drop_head_trigger()  # it came later
        migrator = SchemaMigrator.from_database(db.obj)
        migrator.migrate(migrator.drop_column("core_audit_head", "keyed_from"))
        db.execute_sql("DELETE FROM core_migration_history WHERE name = '0006_audit_keyed'")
        db.execute_sql("DELETE FROM core_audit_event")
        prev = audit.GENESIS
        for seq in range(1, legacy_entries + 1):
            at = audit.utcnow()
            payload = audit._canonical(seq, at, None, "system", "", "legacy.event", "thing", str(seq), None, "{}")
            value = plain_sha256(prev, payload)
            AuditEvent.create(seq=seq, at=at, username="system", action="legacy.event", object_type="thing",
                              object_id=str(seq), detail="{}", prev_hash=prev, hash=value)
            prev = value
        AuditHead.update(seq=legacy_entries, last_hash=prev).where(AuditHead.id == 1).execute()
    in_db(app, work)
    (Path(app.instance_path) / audit_anchor.ANCHOR_FILE).unlink()


def test_upgrade_keeps_the_old_entries_verifiable_and_keys_the_new_ones(make_app):
    app = make_app(plugins=[])
    _to_pre_keying_database(app, 5)
    upgraded = make_app(plugins=[], instance=app.instance_path)  # start-up applies 0006 and anchors
    assert head(upgraded).keyed_from == 6
    first = audit_anchor.newest(Path(upgraded.instance_path))
    assert (first.seq, first.keyed_from, first.reason) == (5, 6, "first")
    seed(upgraded, 3)
    result = verify(upgraded)
    assert result.ok and result.checked == 8
    new = in_db(upgraded, lambda: AuditEvent.get(AuditEvent.seq == 6))
    assert new.hash != plain_sha256(new.prev_hash, audit._canonical(
        new.seq, new.at, new.user_id, new.username, new.address, new.action, new.object_type, new.object_id,
        new.patient_id, new.detail))

    # The entries before the switch-over are held by the first keyed entry, which covers their digest.
    in_db(upgraded, lambda: AuditEvent.update(object_id="99").where(AuditEvent.seq == 2).execute())
    assert verify(upgraded).seq == 2
    rewrite(upgraded, plain_sha256, keyed_from=lambda last: 6)  # recomputing the old ones does not help:
    result = verify(upgraded)
    assert not result.ok and result.seq == 5 and "differs from its anchor" in result.problem
    (Path(upgraded.instance_path) / audit_anchor.ANCHOR_FILE).unlink()  # without anchors, the key catches it
    result = verify(upgraded)
    assert not result.ok and result.seq == 6 and "altered" in result.problem


def test_backups_carry_the_anchor_and_an_off_site_archive_catches_a_cut(make_app, medoffice_database_url):
    app = make_app(plugins=[])
    instance = write_instance_config(app)
    seed(app)
    row = in_db(app, lambda: create_backup("manual"))
    from medoffice.backup import read_manifest

    manifest = read_manifest(Path(row.path), app.config["BACKUP_KEY"])
    carried = audit_anchor.Anchor.from_dict(manifest["audit_anchor"])
    assert carried.reason == "backup" and carried == audit_anchor.newest(instance)

    def cut():
        AuditEvent.delete().where(AuditEvent.seq >= carried.seq).execute()
        last = AuditEvent.select().order_by(AuditEvent.seq.desc()).get()
        AuditHead.update(seq=last.seq, last_hash=last.hash).where(AuditHead.id == 1).execute()
    in_db(app, cut)
    (instance / audit_anchor.ANCHOR_FILE).unlink()  # the anchor file is gone too
    env = {"MEDOFFICE_DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    runner = CliRunner()
    plain = runner.invoke(main, ["--instance", str(instance), "audit", "verify"], env=env)
    assert plain.exit_code == 0, plain.output  # the chain alone looks whole
    held = runner.invoke(main, ["--instance", str(instance), "audit", "verify", "--json", "--archive", row.path],
                         env=env)
    assert held.exit_code == 1
    assert f"entry {carried.seq} was anchored" in json.loads(held.output)["problem"]


def test_cli_anchor_and_verify(make_app, medoffice_database_url):
    app = make_app(plugins=[])
    instance = write_instance_config(app)
    seed(app, 2)
    env = {"MEDOFFICE_DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    runner = CliRunner()
    made = runner.invoke(main, ["--instance", str(instance), "audit", "anchor", "--json"], env=env)
    assert made.exit_code == 0, made.output
    seq = json.loads(made.output)["seq"]
    assert seq == head(app).seq
    checked = runner.invoke(main, ["--instance", str(instance), "audit", "verify"], env=env)
    assert checked.exit_code == 0 and f"the newest: entry {seq}" in checked.output


def test_the_anchor_job_is_scheduled_and_a_torn_last_line_is_ignored(app):
    from medoffice.jobs import job_specs

    spec = job_specs(app.extensions["medoffice"].host)["core.audit_anchor"]
    assert spec.trigger == "interval"
    seed(app, 2)
    path = Path(app.instance_path) / audit_anchor.ANCHOR_FILE
    with path.open("a") as fh:
        fh.write('{"seq": 99, "ha')  # a write cut short by a power failure
    run = run_job(app, "core.audit_anchor", trigger="manual")
    assert run.status == "ok" and run.message == f"Anchored entry {head(app).seq}."
    assert audit_anchor.newest(Path(app.instance_path)).seq == head(app).seq
    assert verify(app).ok


def test_serve_anchors_at_shutdown(app):
    from medoffice.cli.serve import _anchor_at_shutdown

    seed(app, 2)
    _anchor_at_shutdown(app)
    last = audit_anchor.newest(Path(app.instance_path))
    assert (last.seq, last.reason) == (head(app).seq, "shutdown")


def test_the_key_is_derived_from_the_backup_key_and_is_needed():
    one, other = audit.derive_key("key one"), audit.derive_key("key two")
    assert len(one) == 32 and one != other and one != hashlib.sha256(b"key one").digest()
    with pytest.raises(RuntimeError, match="backup_key"):
        audit.derive_key("")


def test_a_restore_drill_on_a_new_instance_verifies_the_restored_chain(make_app, tmp_path, medoffice_database_url):
    from medoffice import config

    env = {"MEDOFFICE_DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    runner = CliRunner()
    office = tmp_path / "office"
    config.write_new(office)
    app = make_app(plugins=[], instance=office)
    seed(app, 3)
    archive = in_db(app, lambda: create_backup("manual")).path
    office_key = config.load(office)["backup_key"]

    drill = tmp_path / "drill"
    config.write_new(drill)
    old_anchors = runner.invoke(main, ["--instance", str(drill), "audit", "anchor"], env=env)  # the drill's own chain
    assert old_anchors.exit_code == 0, old_anchors.output
    restored = runner.invoke(main, ["--instance", str(drill), "restore", "--yes", "--key", office_key, archive], env=env)
    assert restored.exit_code == 0, restored.output
    assert "now holds the backup key of the restored data" in restored.output
    assert config.load(drill)["backup_key"] == office_key
    assert "# backup_key before a restore" in (drill / config.CONFIG_NAME).read_text()
    assert list(drill.glob(f"{audit_anchor.ANCHOR_FILE}.pre-restore-*"))
    checked = runner.invoke(main, ["--instance", str(drill), "audit", "verify"], env=env)
    assert checked.exit_code == 0, checked.output
    doctor = runner.invoke(main, ["--instance", str(drill), "doctor"], env=env)
    assert "OK    audit chain" in doctor.output and "OK    file permissions" in doctor.output, doctor.output
