"""Prepared queries: compiled once per shape, run with new values, checked under the test suite."""
import datetime as dt

import pytest
from flask import url_for
from medoffice import prepared
from medoffice.db import transaction
from medoffice.models import Patient
from medoffice.prepared import slot
from medoffice.web.tables import url_template


def _patients(count: int) -> None:
    with transaction():
        for n in range(count):
            Patient.create(first_name=f"Pat{n}", last_name="Prepared" if n % 2 else "Other",
                           date_of_birth=dt.date(1980, 1, 1 + n), account_number=f"PREP{n:03d}")


def test_one_compile_serves_every_value(db_session):
    _patients(6)
    query = Patient.select(Patient.account_number).where(Patient.last_name == slot("name")).order_by(Patient.id)
    found = [[row.account_number for row in prepared.run(query, "test.by_name", name=name)]
             for name in ("Prepared", "Other", "Nobody")]
    assert found == [["PREP001", "PREP003", "PREP005"], ["PREP000", "PREP002", "PREP004"], []]


def test_values_go_through_the_fields_conversion(db_session):
    _patients(3)
    query = Patient.select(Patient.account_number).where(Patient.date_of_birth >= slot("born")).tuples()
    assert sorted(prepared.run(query, "test.born", born=dt.date(1980, 1, 2))) == [("PREP001",), ("PREP002",)]


def test_count_upto_stops_at_the_limit(db_session):
    _patients(5)
    query = Patient.select().where(Patient.last_name == slot("name"))
    assert prepared.count_upto(query, "test.count", 100, name="Other") == 3
    assert prepared.count_upto(query, "test.count", 2, name="Other") == 2


def test_a_key_that_misses_part_of_the_shape_fails_under_tests(db_session):
    first = Patient.select().where(Patient.last_name == slot("name"))
    second = first.where(Patient.first_name == slot("first"))
    list(prepared.run(first, "test.drift", name="x"))
    with pytest.raises(AssertionError, match="covers two shapes"):
        list(prepared.run(second, "test.drift", name="x", first="y"))


def test_a_fixed_value_outside_the_key_fails_under_tests(db_session):
    list(prepared.run(Patient.select().where(Patient.last_name == "A"), "test.fixed"))
    with pytest.raises(AssertionError, match="covers two shapes"):
        list(prepared.run(Patient.select().where(Patient.last_name == "B"), "test.fixed"))


def test_a_missing_value_is_named(db_session):
    with pytest.raises(TypeError, match="'name'"):
        list(prepared.run(Patient.select().where(Patient.last_name == slot("name")), "test.missing"))


def test_url_template_matches_url_for(app):
    with app.test_request_context("/"):
        patient = url_template("core.patient", "patient_id")
        assert [patient(n) for n in (1, 42, 1234567)] == [url_for("core.patient", patient_id=n)
                                                           for n in (1, 42, 1234567)]


def test_postgresql_plans_each_run_with_its_values(db_session, medoffice_database_url):
    if medoffice_database_url is None:
        pytest.skip("PostgreSQL's plan cache (SQLite plans every statement afresh)")
    # psycopg prepares a statement run five times; a generic plan would then guess for every status
    for _ in range(6):
        prepared.count_upto(Patient.select().where(Patient.last_name == slot("name")), "test.plans", 10, name="Rare")
    assert db_session.execute_sql("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
    assert db_session.execute_sql("SHOW random_page_cost").fetchone()[0] == "1.1"  # a cached database's reads


def test_a_database_urls_own_options_are_kept(tmp_path):
    from medoffice.db import open_database

    database = open_database("postgresql://office@db.example/medoffice?options=-c%20statement_timeout%3D5000",
                             tmp_path)
    assert database.connect_params["options"] == ("-c plan_cache_mode=force_custom_plan -c random_page_cost=1.1 "
                                                  "-c statement_timeout=5000")
