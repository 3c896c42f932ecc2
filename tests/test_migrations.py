"""Migrations: for core and every installed plugin they build exactly the models; backups first."""
from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import sqlite3
import stat
import textwrap
from pathlib import Path

import pytest

from medoffice import migrate
from medoffice.db import db
from medoffice.plugins import CORE, ENTRY_POINT_GROUP
from medoffice.runtime import all_models

INSTALLED = [CORE, *sorted(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))]


@contextlib.contextmanager
def connected(app):
    """An app context with the database connected (closed again afterwards)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            db.close()


@pytest.mark.parametrize("plugin_name", INSTALLED)
def test_migrations_on_an_empty_database_produce_exactly_the_models(app, plugin_name):
    host = app.extensions["medoffice"].host
    plugin = host.plugins[plugin_name]
    assert plugin.ok, plugin.error
    assert host.is_enabled(plugin_name)  # first boot enabled it, so its migrations ran
    models = all_models(host)[plugin_name]
    assert models, f"{plugin_name} declares no models"
    with connected(app):
        assert migrate.pending(plugin) == []
        diff = migrate.schema_diff(models)
        assert not diff, f"{plugin_name}: migrations differ from the models:\n{diff}"
        if migrate.runner_for(plugin) is not None:
            files = sorted(p.stem for p in (plugin.package_dir / "migrations").glob("[0-9]*.py"))
            history = migrate.history_table(plugin_name)
            applied = [row[0] for row in db.execute_sql(f"SELECT name FROM {history} ORDER BY id")]
            assert applied == files


def test_every_plugin_with_models_ships_migrations(app):
    host = app.extensions["medoffice"].host
    for plugin in host.ordered():
        if all_models(host)[plugin.name]:
            assert migrate.runner_for(plugin) is not None, f"{plugin.name} has models but no migrations/"


TEMP_PLUGIN = '''
"""tempo: a plugin written to a temporary folder, to watch its migrations run."""
import peewee as pw

from medoffice import PluginInfo, hookimpl
from medoffice.db import BaseModel

PLUGIN = PluginInfo("tempo", "Tempo")


class Note(BaseModel):
    text = pw.TextField()

    class Meta:
        table_name = "tempo_note"


@hookimpl
def medoffice_models():
    return [Note]
'''

FIRST = '''
"""Notes."""
from peewee import *


def up(migrator, db):
    class Note(Model):
        text = TextField()
        class Meta:
            database = db
            table_name = 'tempo_note'
    db.create_tables([Note])
'''

SECOND = '''
"""Tags."""
from peewee import *


def up(migrator, db):
    class Tag(Model):
        label = TextField()
        class Meta:
            database = db
            table_name = 'tempo_tag'
    db.create_tables([Tag])
'''


def load_temp_plugin(folder):
    """Write the tempo plugin package with its first migration and import it."""
    package = folder / "medoffice_tempo"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(TEMP_PLUGIN))
    (package / "migrations" / "0001_notes.py").write_text(textwrap.dedent(FIRST))
    spec = importlib.util.spec_from_file_location("medoffice_tempo", package / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, package


def test_sqlite_is_copied_to_a_private_folder_before_pending_migrations_run(
        make_app, medoffice_database_url, tmp_path):
    if medoffice_database_url:
        pytest.skip("the automatic copy is for the embedded SQLite database")
    tempo, package = load_temp_plugin(tmp_path / "src")
    app = make_app(plugins=[], extra=[tempo])
    backups = tmp_path / "instance0" / "pre-migrate"
    with connected(app):
        tempo.Note.create(text="written before the upgrade")
    before = set(backups.glob("*.sqlite3"))

    # Nothing pending: starting again copies nothing.
    make_app(plugins=[], extra=[tempo], instance=app.instance_path)
    assert set(backups.glob("*.sqlite3")) == before

    (package / "migrations" / "0002_tags.py").write_text(textwrap.dedent(SECOND))
    upgraded = make_app(plugins=[], extra=[tempo], instance=app.instance_path)
    (copy,) = set(backups.glob("*.sqlite3")) - before
    assert copy.name.startswith("pre-migrate-")
    with contextlib.closing(sqlite3.connect(copy)) as old:
        assert old.execute("SELECT text FROM tempo_note").fetchall() == [("written before the upgrade",)]
        assert old.execute("SELECT name FROM tempo_migration_history").fetchall() == [("0001_notes",)]
        assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'tempo_tag'").fetchall()
    with connected(upgraded):
        assert db.table_exists("tempo_tag")
        assert [r[0] for r in db.execute_sql("SELECT name FROM tempo_migration_history ORDER BY id")] == [
            "0001_notes", "0002_tags"]


def test_upgrade_copies_never_land_in_the_backups_folder(make_app, medoffice_database_url, tmp_path):
    if medoffice_database_url:
        pytest.skip("the automatic copy is for the embedded SQLite database")
    tempo, package = load_temp_plugin(tmp_path / "src")
    app = make_app(plugins=[], extra=[tempo])
    instance = Path(app.instance_path)
    left_by_old_version = instance / "backups" / "pre-migrate-20250101T000000000000Z.sqlite3"
    left_by_old_version.parent.mkdir(exist_ok=True)
    left_by_old_version.write_bytes(b"SQLite format 3\x00")
    (package / "migrations" / "0002_tags.py").write_text(textwrap.dedent(SECOND))
    make_app(plugins=[], extra=[tempo], instance=app.instance_path)
    assert list((instance / "backups").glob("pre-migrate-*")) == []
    private = instance / "pre-migrate"
    assert (private / left_by_old_version.name).exists()
    made_now = set(private.glob("pre-migrate-*.sqlite3")) - {private / left_by_old_version.name}
    assert made_now and all(stat.S_IMODE(copy.stat().st_mode) == 0o600 for copy in made_now)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
