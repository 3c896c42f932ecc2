"""Tests' fresh databases are copies of a migrated template: the same as a fresh build, and each its own."""
from __future__ import annotations

from medoffice.db import db
from medoffice.testing import connected
from medoffice.testing_databases import TemplateInstances


def _schema_and_seed(app) -> tuple:
    from medoffice.models import Role

    with connected(app):
        tables = sorted(db.get_tables())
        migrations = sorted(row for table in tables if table.endswith("_migration_history")
                            for row in db.execute_sql(f"SELECT '{table}', name FROM {table}").fetchall())
        roles = sorted(Role.select(Role.name).tuples())
    return tables, migrations, roles


def test_a_copied_instance_is_what_a_fresh_build_makes_and_shares_nothing(make_app, tmp_path, medoffice_database_url):
    fresh = make_app(instance=tmp_path / "fresh-build-for-comparison", DATABASE_URL=None)
    expected = _schema_and_seed(fresh)
    templates = TemplateInstances(tmp_path / "templates", None)
    builds = []

    def build(folder, url):
        builds.append(folder)
        return make_app(instance=folder, DATABASE_URL=url)

    first = templates.build("all plugins", tmp_path / "first", None, build)
    assert _schema_and_seed(first) == expected
    from medoffice.models import Role

    with connected(first):
        Role.create(name="only_in_first", title="Only in the first copy")
    second = templates.build("all plugins", tmp_path / "second", None, build)
    assert _schema_and_seed(second) == expected  # the first copy's row is not in the second
    assert (tmp_path / "second" / "audit-anchors.jsonl").exists()
    assert builds == [tmp_path / "templates" / "template1", tmp_path / "first", tmp_path / "second"]


def test_an_instance_a_test_prepared_is_built_as_it_is(tmp_path):
    templates = TemplateInstances(tmp_path / "templates", None)
    prepared = tmp_path / "prepared"
    prepared.mkdir()
    (prepared / "medoffice.toml").write_text("")
    built = []
    templates.build("key", prepared, None, lambda folder, url: built.append(folder))
    assert built == [prepared] and templates.templates == {}
