"""Sessions kept on the server: the cookie carries a random token only, every way a session ends is
honoured on the next request (whichever process serves it), and a request costs at most one query
for who the user is and what they may do (none when nothing changed)."""
import datetime as dt
import hashlib
import json

import pytest

from medoffice import settings
from medoffice.auth import sessions
from medoffice.auth.access import requires
from medoffice.db import db, is_sqlite, utcnow
from medoffice.models import AuditEvent, EmergencyAccess, Role, RolePermission, Setting, User, UserSession
from medoffice.testing import TEST_PASSWORD, create_test_user, login, settle_versions

COOKIE = "medoffice_session"


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def user_id(app, username):
    return in_db(app, lambda: User.get(User.username == username).id)


def sessions_of(app, username):
    """(id, ended_how) of the user's sessions, oldest first."""
    return in_db(app, lambda: [(s.id, s.ended_how) for s in UserSession.select().join(User)
                               .where(User.username == username).order_by(UserSession.id)])


def session_ends(app):
    return in_db(app, lambda: [json.loads(e.detail)["reason"] for e in AuditEvent.select()
                               .where(AuditEvent.action == "auth.session_end").order_by(AuditEvent.seq)])


def sign_in(app, username, address="10.0.0.5"):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD},
                           environ_base={"REMOTE_ADDR": address},
                           headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) "
                                                  "Gecko/20100101 Firefox/128.0"})
    assert response.status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def refused(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_cookie_holds_a_random_token_and_the_table_only_its_hash(app):
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    with client.session_transaction() as sess:
        token = sess[sessions.TOKEN_KEY]
        assert "_user_id" not in sess and "login_at" not in sess  # identity is not in the cookie
    assert len(token) >= 43  # 32 random bytes, URL-safe
    row = in_db(app, lambda: UserSession.get())
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(in_db(app, lambda: list(UserSession.select().dicts())), default=str)
    assert row.address == "10.0.0.5" and row.browser == "Firefox 128 on Windows" and row.ended_at is None


def test_a_copied_cookie_is_refused_after_logout(app):
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the session stands...
    assert client.post("/logout").status_code == 302
    assert refused(thief.get("/"))  # ...and not a moment after the logout
    assert refused(thief.get("/patients"))
    assert sessions_of(app, name) == [(sessions_of(app, name)[0][0], "logout")]


def test_a_revoked_session_is_refused_by_every_process_on_its_next_request(make_app, tmp_path):
    """Two apps on one instance behave as two server processes, each with its own session cache."""
    first = make_app(instance=tmp_path / "shared")
    second = make_app(instance=tmp_path / "shared")
    name = create_test_user(first, ("hr",))
    client = sign_in(first, name)
    elsewhere = copy_of(second, client)
    assert elsewhere.get("/").status_code == 200  # cached in the second process now
    assert elsewhere.get("/billing/claims?sort=service_date").status_code == 403

    admin = login(first.test_client(), "admin")
    uid = user_id(first, name)
    role = in_db(first, lambda: Role.get(Role.name == "hr"))
    in_db(first, lambda: RolePermission.create(role=role, permission="billing.view"))
    assert elsewhere.get("/billing/claims?sort=service_date").status_code == 200  # a role's new permission: next request
    assert admin.post(f"/admin/users/{uid}/sessions/end").status_code == 302
    assert refused(elsewhere.get("/"))
    assert refused(client.get("/"))


def test_password_change_ends_the_other_sessions_only(app):
    name = create_test_user(app, ("front_desk",))
    here, there = sign_in(app, name), sign_in(app, name, address="10.0.0.9")
    new = "copper kettle rain 42"
    response = here.post("/account/password", data={"current": TEST_PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert "other session was ended" in here.get("/").get_data(as_text=True)
    assert here.get("/patients").status_code == 200
    assert refused(there.get("/patients"))
    assert "Your password was changed, which ended this session" in there.get("/login").get_data(as_text=True)
    assert [how for _id, how in sessions_of(app, name)] == ["", "password_change"]


def test_admin_password_reset_ends_every_session_of_the_user(app):
    admin = login(app.test_client(), "admin")
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    temporary = "harbor lantern 7731 x"
    assert admin.post(f"/admin/users/{user_id(app, name)}/password",
                      data={"password": temporary, "confirm": temporary}).status_code == 302
    assert refused(client.get("/"))


def test_role_change_and_deactivation_end_sessions(app):
    admin = login(app.test_client(), "admin")
    name = create_test_user(app, ("front_desk",))
    uid = user_id(app, name)
    client = sign_in(app, name)
    response = admin.post(f"/admin/users/{uid}", data={"full_name": "Test Desk", "email": "", "roles": ["billing"]})
    assert response.status_code == 302
    assert refused(client.get("/"))
    assert "Your roles were changed" in client.get("/login").get_data(as_text=True)

    client = sign_in(app, name)
    assert client.get("/").status_code == 200
    assert admin.post(f"/admin/users/{uid}/deactivate").status_code == 302
    assert refused(client.get("/"))
    assert [how for _id, how in sessions_of(app, name)] == ["role_change", "deactivated"]
    assert session_ends(app) == ["role_change", "deactivated"]


def test_a_user_sees_their_sessions_and_ends_the_others(app):
    name = create_test_user(app, ("front_desk",))
    here, there, third = sign_in(app, name), sign_in(app, name, "10.0.0.9"), sign_in(app, name, "10.0.0.10")
    page = here.get("/account/sessions").get_data(as_text=True)
    assert page.count("data-session=") == 3 and "This session" in page and "10.0.0.9" in page
    (mine, _), (theirs, _), _third = sessions_of(app, name)
    assert here.post(f"/account/sessions/{mine}/end").status_code == 302  # this one ends by logging out
    assert here.get("/").status_code == 200
    assert here.post(f"/account/sessions/{theirs}/end").status_code == 302
    assert refused(there.get("/"))
    assert "ended from another of your sessions" in there.get("/login").get_data(as_text=True)
    assert third.get("/").status_code == 200
    assert here.post("/account/sessions/end-others").status_code == 302
    assert refused(third.get("/"))
    assert here.get("/").status_code == 200

    other = create_test_user(app, ("front_desk",))
    victim = sign_in(app, other)
    victim_session = sessions_of(app, other)[0][0]
    here.post(f"/account/sessions/{victim_session}/end")  # someone else's session id: nothing happens
    assert victim.get("/").status_code == 200


def test_an_admin_ends_anyones_session_but_a_manager_not_an_admins(app):
    admin = login(app.test_client(), "admin")
    name = create_test_user(app, ("front_desk",))
    uid = user_id(app, name)
    client = sign_in(app, name)
    page = admin.get(f"/admin/users/{uid}/sessions").get_data(as_text=True)
    assert "Firefox 128 on Windows" in page and "10.0.0.5" in page
    assert f"/admin/users/{uid}/sessions" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    session_id = sessions_of(app, name)[0][0]
    assert admin.post(f"/admin/users/{uid}/sessions/{session_id}/end").status_code == 302
    assert refused(client.get("/"))
    assert "An administrator ended this session" in client.get("/login").get_data(as_text=True)
    assert "revoked" in session_ends(app)

    boss = create_test_user(app, ("admin",))
    boss_client = sign_in(app, boss)
    manager = login(app.test_client(), "office_manager")
    assert manager.post(f"/admin/users/{user_id(app, boss)}/sessions/end").status_code == 403
    assert boss_client.get("/").status_code == 200
    assert login(app.test_client(), "front_desk").get(f"/admin/users/{uid}/sessions").status_code == 403


def test_ending_a_session_ends_its_emergency_grant(app):
    in_db(app, lambda: RolePermission.insert(role=Role.get(Role.name == "hr"),
                                             permission="core.emergency_access").execute())
    name = create_test_user(app, ("hr",))
    client = sign_in(app, name)
    client.post("/emergency-access", data={"reason": "Payer portal emergency for a patient today"})
    grant = in_db(app, lambda: EmergencyAccess.get())
    assert grant.ended_at is None and client.get("/patients").status_code == 200
    admin = login(app.test_client(), "admin")
    admin.post(f"/admin/users/{user_id(app, name)}/sessions/end")
    grant = in_db(app, lambda: EmergencyAccess.get())
    assert grant.ended_at is not None and grant.ended_how == "revoked"


@pytest.fixture
def clock(monkeypatch):
    """Move the sessions' clock forward: ``clock(minutes=16)``."""
    def advance(**delta):
        moved = utcnow() + dt.timedelta(**delta)
        monkeypatch.setattr(sessions, "utcnow", lambda: moved)
    return advance


def test_idle_logoff_is_enforced_from_the_row(app, clock):
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    thief = copy_of(app, client)
    clock(minutes=15, seconds=30)  # within the limit plus the minute "last seen" may lag
    assert client.get("/").status_code == 200  # activity: written to the row (a minute old or more)
    clock(minutes=31)
    assert client.get("/patients").status_code == 200
    clock(minutes=47, seconds=30)
    assert refused(client.get("/patients"))
    assert "without activity" in client.get("/login").get_data(as_text=True)
    assert refused(thief.get("/"))
    assert sessions_of(app, name)[0][1] == "idle" and session_ends(app) == ["idle"]


def test_idle_activity_seen_by_another_process_counts(make_app, tmp_path, clock):
    first = make_app(instance=tmp_path / "shared")
    second = make_app(instance=tmp_path / "shared")
    name = create_test_user(first, ("front_desk",))
    client = sign_in(first, name)
    elsewhere = copy_of(second, client)
    assert client.get("/").status_code == 200  # the first process caches the session now
    clock(minutes=10)
    assert elsewhere.get("/").status_code == 200  # activity recorded by the second process
    clock(minutes=20)
    assert client.get("/").status_code == 200  # 20 minutes for the first process, 10 in truth


def test_background_polling_is_not_activity(app, clock):
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    clock(minutes=10)
    assert client.get("/today", headers={"HX-Request": "true", "X-Medoffice-Background": "1"}).status_code == 200
    clock(minutes=17)
    assert client.get("/today", headers={"HX-Request": "true", "X-Medoffice-Background": "1",
                                         "HX-Current-URL": "http://localhost/patients"}).status_code == 401


def test_absolute_lifetime_ends_even_an_active_session(app, clock):
    in_db(app, lambda: settings.set_many({"core.idle_timeout_minutes": 90}))
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    for hours in range(1, 12):  # active every hour
        clock(hours=hours)
        assert client.get("/").status_code == 200
    clock(hours=12, minutes=10)
    assert refused(client.get("/"))
    assert session_ends(app) == ["lifetime"]


def test_an_expired_htmx_request_returns_to_the_page_not_a_foreign_one(app, clock):
    name = create_test_user(app, ("front_desk",))
    client = sign_in(app, name)
    clock(hours=1)
    response = client.get("/today", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/\\evil"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"
    client = sign_in(app, name)
    clock(hours=2)
    response = client.get("/today", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/patients?q=a"})
    assert response.headers["HX-Redirect"] == "/login?next=/patients?q%3Da"


def count_queries(monkeypatch):
    """A list that collects the SQL of every statement the database runs from now on."""
    seen = []
    real = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)
    monkeypatch.setattr(db.obj, "execute_sql", counting)
    return seen


def test_an_authenticated_bare_route_costs_one_query_and_none_for_the_session(app, monkeypatch):
    @requires("core.dashboard.view")
    def bare():
        return "ok"
    app.add_url_rule("/_test/bare", "test_bare", bare)
    name = create_test_user(app, ("billing",))  # a role with many permissions: one row each
    client = sign_in(app, name)
    assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    in_db(app, settle_versions)  # the sign-in's own changes heard (PostgreSQL)
    assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    with app.app_context():
        version_reads = 1 if is_sqlite() else 0  # PostgreSQL's process listens for changes instead

    seen = count_queries(monkeypatch)
    assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    assert len(seen) == version_reads and all("core_state_version" in sql for sql in seen)  # the session is cached

    # Any change to users, roles, settings... moves the access version: the session is read again,
    # in one query for the user, roles, permissions, grant and session state.
    in_db(app, lambda: Setting.insert(name="core.practice_name", value='"Elm Street Clinic"').execute())
    seen.clear()
    assert client.get("/_test/bare").get_data(as_text=True) == "ok"
    session_reads = [sql for sql in seen if "core_session" in sql or "core_user" in sql or "core_role" in sql]
    assert len(session_reads) == 1
    # the counters (on SQLite after the one row saying they moved), the session, the settings
    assert len(seen) == 3 + version_reads
    in_db(app, settle_versions)
    client.get("/_test/bare")
    seen.clear()
    client.get("/_test/bare")
    assert len(seen) == version_reads


def test_the_access_version_triggers_are_restored_at_start(make_app, tmp_path):
    """SQLite rebuilds a table to change a column (its triggers go with it): every start puts them back."""
    from medoffice.db import is_sqlite
    from medoffice.models import StateVersion

    first = make_app(instance=tmp_path / "shared")
    name = create_test_user(first, ("front_desk",))

    def drop_user_triggers():
        if is_sqlite():
            for event in ("ins", "upd", "del"):
                db.execute_sql(f"DROP TRIGGER core_user_access_{event}")
        else:
            db.execute_sql("DROP TRIGGER core_user_access ON core_user")
    in_db(first, drop_user_triggers)
    version = lambda: StateVersion.get(StateVersion.key == "access").version  # noqa: E731
    rename = lambda: User.update(full_name="Renamed").where(User.username == name).execute()  # noqa: E731
    before = in_db(first, version)
    in_db(first, rename)
    assert in_db(first, version) == before  # no trigger: nobody would notice the change

    restarted = make_app(instance=tmp_path / "shared")
    in_db(restarted, rename)
    assert in_db(restarted, version) > before



def _opened(app, cookie_value):
    """The session Flask's interface opens for a request carrying ``cookie_value``."""
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={cookie_value}"}) as context:
        return app.session_interface.open_session(app, context.request)


def test_a_cookie_checked_once_is_still_refused_when_altered_expired_or_signed_with_an_old_key(app, monkeypatch):
    name = create_test_user(app, ("front_desk",))
    cookie = sign_in(app, name).get_cookie(COOKIE).value
    first = _opened(app, cookie)
    assert first[sessions.TOKEN_KEY] and _opened(app, cookie) == first  # checked once, then taken from the cache
    _opened(app, cookie)[sessions.TOKEN_KEY] = "changed"
    assert _opened(app, cookie) == first  # each request gets its own copy

    payload, signature = cookie.rsplit(".", 1)
    altered = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert sessions.TOKEN_KEY not in _opened(app, altered)

    lifetime = int(app.permanent_session_lifetime.total_seconds())
    real_time = sessions.time.time
    monkeypatch.setattr(sessions.time, "time", lambda: real_time() + lifetime + 5)
    assert sessions.TOKEN_KEY not in _opened(app, cookie)  # older than the lifetime though its signature was checked
    monkeypatch.setattr(sessions.time, "time", real_time)
    assert _opened(app, cookie) == first

    old_key = app.secret_key
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-for-this-test-only")
    assert sessions.TOKEN_KEY not in _opened(app, cookie)  # a new key starts the cache over
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert _opened(app, cookie) == first  # still valid under a fallback key, as Flask's own interface allows


def test_a_kept_cookie_never_shares_what_one_request_changes_with_the_next(app):
    """The signed cookie is checked and decoded once per process, but every request gets its own session: a
    request changing its session (a value set, the pending messages' list appended to) leaves the next one's
    as the cookie says."""
    interface = app.session_interface
    with app.test_request_context():
        from flask import session
        session["session_token"], session["csrf_token"], session["_flashes"] = "t", "c", [("info", "Saved.")]
        plain = interface.get_signing_serializer(app).dumps({"session_token": "t", "csrf_token": "c"})
        with_list = interface.get_signing_serializer(app).dumps(dict(session))
    for cookie in (plain, with_list):
        with app.test_request_context(headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
            from flask import request
            first = interface.open_session(app, request)
            first["session_token"] = "changed"
            first.get("_flashes", []).append(("info", "Another."))
            second = interface.open_session(app, request)
            assert second["session_token"] == "t" and second.get("_flashes", [("info", "Saved.")]) == [("info", "Saved.")]
