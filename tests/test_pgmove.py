"""Moving a practice from SQLite to PostgreSQL keeps every row, and the result passes doctor."""
from __future__ import annotations

import pytest

from medoffice.db import db

pytestmark = pytest.mark.slow


def _rows(models) -> dict:
    return {m._meta.table_name: sorted(map(repr, m.select().tuples())) for m in models}


def test_copy_to_postgresql_keeps_every_row(request, medoffice_database_url, tmp_path):
    if medoffice_database_url is None:
        pytest.skip("copies into PostgreSQL: runs in the PostgreSQL pass (MEDOFFICE_TEST_DATABASE_URL)")
    make_app = request.getfixturevalue("make_app")
    from medoffice.demo import load_demo
    from medoffice.doctor import has_failures, run_checks
    from medoffice.pgmove import MoveError, copy_to_postgresql
    from medoffice.runtime import all_models

    instance = tmp_path / "office"
    source = make_app(instance=instance, DATABASE_URL=None)
    load_demo(source, "small")
    models = [m for group in all_models(source.extensions["medoffice"].host).values() for m in group]
    with source.app_context():
        db.connect(reuse_if_open=True)
        before = _rows(models)
        counts = copy_to_postgresql(source, medoffice_database_url)
        with pytest.raises(MoveError, match="not empty"):
            copy_to_postgresql(source, medoffice_database_url)
        db.close()
    assert counts["core_patient"] == len(before["core_patient"]) > 0

    target = make_app(instance=instance, DATABASE_URL=medoffice_database_url)
    with target.app_context():
        db.connect(reuse_if_open=True)
        assert _rows(models) == before
        from medoffice.models import Patient
        from medoffice.web.patients import next_account_number

        new = Patient.create(account_number=next_account_number(), first_name="After", last_name="Move",
                             date_of_birth="1990-01-01")
        assert new.id > max(row[0] for row in Patient.select(Patient.id).tuples() if row[0] != new.id)
        db.close()
    results = run_checks(target)
    assert not has_failures(results), [r for r in results if r.status == "fail"]
