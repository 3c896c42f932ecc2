"""Queries per request: core's request cycle costs no query for who is signed in when nothing changed
(one when something did, and the change still counts on the very next request), and every list page
of core runs the same number of queries whatever its number of rows (an N+1 or a lost cache fails
here rather than in a benchmark). Billing's pages: tests/billing/test_billing_query_counts.py.
"""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.auth import session_store
from medoffice.auth.access import requires
from medoffice.auth.accounts import create_user
from medoffice.db import db, is_sqlite, transaction
from medoffice.models import Location, Patient, Role, RolePermission, StaffMember, User
from medoffice.testing import TEST_PASSWORD, count_queries, create_test_user, page_queries, settle_versions

IDENTITY_TABLES = ("core_session", "core_user", "core_role", "core_emergency_access")
SKIPPED = {"/admin/doctor"}  # the health check reads the whole audit chain on purpose


def in_db(app, func):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return func()
        finally:
            db.close()


def sign_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def identity_reads(seen: list[str]) -> list[str]:
    """The statements that read who is signed in (session, user, roles, permissions, grant)."""
    return [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")
            and any(table in sql for table in IDENTITY_TABLES)]


def bare_route(app) -> None:
    @requires("core.patients.view")
    def bare():
        return "ok"
    app.add_url_rule("/_test/bare", "test_bare", bare)


def test_identity_costs_no_query_until_a_change_and_the_change_counts_at_once(app):
    """Beyond test_sessions_server_side's settings change: a permission taken from the user's role and
    an administrator ending the session are each seen on the next request, for one identity query."""
    bare_route(app)
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    for _ in range(2):
        assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    in_db(app, settle_versions)  # the sign-in's own changes heard (PostgreSQL)
    assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    with count_queries() as seen:
        assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    with app.app_context():
        version_reads = 1 if is_sqlite() else 0  # PostgreSQL's process listens for changes instead
    assert identity_reads(seen) == [] and len(seen) == version_reads

    def take_permission():
        with transaction():
            role = Role.get(Role.name == "front_desk")
            RolePermission.delete().where((RolePermission.role == role)
                                          & (RolePermission.permission == "core.patients.view")).execute()
    in_db(app, take_permission)
    with count_queries() as seen:
        assert client.get("/_test/bare").status_code == 403
    assert len(identity_reads(seen)) == 1

    other_name = create_test_user(app, ("office_manager",))
    other = sign_in(app, other_name)
    assert other.get("/patients").status_code == 200
    in_db(app, lambda: session_store.end_for_user(User.get(User.username == other_name).id, session_store.REVOKED))
    with count_queries() as seen:
        response = other.get("/patients")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert len(identity_reads(seen)) == 1


def core_pages(app) -> list[str]:
    """Every page core puts in the navigation, its Today queue and its dashboard."""
    host = app.extensions["medoffice"].host
    with app.test_request_context():
        from flask import url_for

        urls = {url_for(item.endpoint) for item in host.call_for("core", "medoffice_nav_items")}
    return sorted((urls | {"/", "/today", "/admin/audit?action=test.seeded"}) - SKIPPED)


def add_rows(start: int, count: int) -> None:
    """``count`` more of what core's lists show: patients, staff, locations, users, audit entries."""
    with transaction():
        for i in range(start, start + count):
            location = Location.create(name=f"Site {i}", place_of_service="11")
            StaffMember.create(first_name="Staff", last_name=f"Member{i}", location=location)
            patient = Patient.create(account_number=f"Q{i:07d}", first_name="Pat", last_name=f"Count{i}",
                                     date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=i), location=location)
            create_user(f"seeded{i}", f"Seeded User {i}", TEST_PASSWORD, ["front_desk"])
            audit.record("test.seeded", "patient", patient.id, patient_id=patient.id)


def rows_shown(html: str) -> int:
    return html.count("<tr")


def test_core_pages_run_as_many_queries_with_three_times_the_rows(app):
    client = sign_in(app, create_test_user(app, ("admin",)))
    in_db(app, lambda: add_rows(0, 4))
    pages = core_pages(app)
    before = {url: len(page_queries(client, url)) for url in pages}
    shown = {url: rows_shown(client.get(url).get_data(as_text=True)) for url in pages}
    in_db(app, lambda: add_rows(4, 8))
    after = {url: len(page_queries(client, url)) for url in pages}
    grew = {url for url in pages if rows_shown(client.get(url).get_data(as_text=True)) > shown[url]}
    # The lists this test fills must show more rows, or the comparison proves nothing.
    assert {"/patients", "/staff", "/locations", "/admin/users", "/admin/audit?action=test.seeded"} <= grew
    assert {url: after[url] for url in pages if after[url] != before[url]} == {}, before
