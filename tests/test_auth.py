"""Authentication and sessions: login, lockout and throttling, idle logoff, lifetime, cookies, passwords."""
import datetime as dt

import pytest

from medoffice import settings
from medoffice.auth import sessions
from medoffice.db import db, utcnow
from medoffice.models import AuditEvent, LoginAttempt, User, UserSession
from medoffice.auth.passwords import policy_problems
from medoffice.testing import TEST_PASSWORD, create_test_user, login

INVALID = "That user name and password do not match an active account."


def in_db(app, fn):
    """Run ``fn()`` in an app context with the database connected; return its result."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def actions(app, **where):
    def fetch():
        query = AuditEvent.select().order_by(AuditEvent.seq)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return [e.action for e in query]
    return in_db(app, fetch)


def post_login(client, username, password=TEST_PASSWORD, address="10.0.0.5"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_login_starts_a_fresh_session_and_is_audited(app):
    client = app.test_client()
    name = create_test_user(app, ("front_desk",))
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = client.get_cookie("medoffice_session").value
    response = post_login(client, name)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    after = client.get_cookie("medoffice_session")
    assert after.value != before
    with client.session_transaction() as sess:
        assert "planted" not in sess  # nothing of the pre-login session survives (no fixation)
        assert sess[sessions.TOKEN_KEY]  # the server-side session's token
    assert client.get("/").status_code == 200
    assert actions(app, action="auth.login", username=name) == ["auth.login"]


def test_wrong_password_and_unknown_user_get_the_same_answer(app):
    client = app.test_client()
    name = create_test_user(app, ("front_desk",))
    wrong = post_login(client, name, "not-the-password-at-all")
    unknown = post_login(client, "nobody-here", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 401
    assert INVALID in wrong.get_data(as_text=True) and INVALID in unknown.get_data(as_text=True)
    assert actions(app, action="auth.login_failed") == ["auth.login_failed"] * 2


def test_account_locks_after_repeated_failures_and_admin_unlocks(app):
    name = create_test_user(app, ("front_desk",))
    client = app.test_client()
    for _ in range(4):
        assert post_login(client, name, "wrong-password-guess").status_code == 401
    fifth = post_login(client, name, "wrong-password-guess")
    assert fifth.status_code == 429 and "Too many failed logins for this user name" in fifth.get_data(as_text=True)
    # While locked, even the right password is refused (and not checked).
    assert post_login(client, name).status_code == 429
    assert "auth.lockout" in actions(app)

    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    locked_section = page[page.index('id="locked-accounts"'):page.index('id="failures-h"')]
    assert name in locked_section
    failures = page[page.index('id="recent-failures"'):]
    assert name in failures and "10.0.0.5" in failures
    user_id = in_db(app, lambda: User.get(User.username == name).id)
    assert admin.post(f"/admin/users/{user_id}/unlock").status_code == 302
    assert "user.unlock" in actions(app)
    assert name not in admin.get("/admin/users").get_data(as_text=True).split('id="locked-h"')[1].split('id="failures-h"')[0]
    assert post_login(client, name).status_code == 302


def test_unknown_user_names_lock_like_real_ones(app):
    real = create_test_user(app, ("front_desk",))
    answers = {}
    for username in (real, "ghost-account"):
        client = app.test_client()
        answers[username] = [post_login(client, username, "wrong-password-guess", address=f"10.1.0.{len(answers)}")
                             for _ in range(6)]
    for username, responses in answers.items():
        assert [r.status_code for r in responses] == [401, 401, 401, 401, 429, 429], username
    texts = {u: r[-1].get_data(as_text=True) for u, r in answers.items()}
    assert "Too many failed logins for this user name" in texts[real]
    assert "Too many failed logins for this user name" in texts["ghost-account"]


def test_lock_ends_by_itself_after_the_lock_period(app):
    name = create_test_user(app, ("front_desk",))
    client = app.test_client()
    for _ in range(5):
        post_login(client, name, "wrong-password-guess")
    assert post_login(client, name).status_code == 429

    def age_attempts():
        LoginAttempt.update(at=utcnow() - dt.timedelta(minutes=31)).where(LoginAttempt.username == name).execute()
    in_db(app, age_attempts)
    assert post_login(client, name).status_code == 302


def test_client_address_is_throttled_across_user_names(app):
    def tighten():
        settings.set_many({"core.login_address_threshold": 3, "core.lockout_threshold": 50})
    in_db(app, tighten)
    name = create_test_user(app, ("front_desk",))
    client = app.test_client()
    for i in range(3):
        assert post_login(client, f"guess{i}", "wrong-password-guess", address="192.0.2.7").status_code == 401
    refused = post_login(client, name, address="192.0.2.7")
    assert refused.status_code == 429 and "from this computer" in refused.get_data(as_text=True)
    assert "auth.address_throttled" in actions(app)
    # Another desk is not affected, and throttled tries were not counted against the account.
    assert post_login(app.test_client(), name, address="192.0.2.8").status_code == 302


def later(monkeypatch, **delta):
    """Move the sessions' clock forward (the session row says when it was last active)."""
    moved = utcnow() + dt.timedelta(**delta)
    monkeypatch.setattr(sessions, "utcnow", lambda: moved)


def test_idle_session_is_logged_off_on_the_server(app, monkeypatch):
    client = login(app.test_client(), "front_desk")
    assert client.get("/").status_code == 200
    later(monkeypatch, minutes=17)  # the limit, plus the minute "last seen" may lag behind
    response = client.get("/patients")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "without activity" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302  # really logged out
    ends = in_db(app, lambda: [e.detail for e in AuditEvent.select().where(AuditEvent.action == "auth.session_end")])
    assert ends == ['{"reason":"idle"}']


def test_idle_limit_follows_the_practice_setting_and_is_shown_to_the_page(app, monkeypatch):
    client = login(app.test_client(), "front_desk")
    assert 'data-idle-minutes="15"' in client.get("/").get_data(as_text=True)
    in_db(app, lambda: settings.set_many({"core.idle_timeout_minutes": 30}))
    assert 'data-idle-minutes="30"' in client.get("/").get_data(as_text=True)
    later(monkeypatch, minutes=20)
    assert client.get("/").status_code == 200


def test_background_polling_does_not_keep_a_session_alive(app, monkeypatch):
    client = login(app.test_client(), "front_desk")
    last_seen = lambda: in_db(app, lambda: UserSession.get().last_seen_at)  # noqa: E731
    stale = last_seen()
    later(monkeypatch, minutes=10)
    assert client.get("/today", headers={"HX-Request": "true", "X-Medoffice-Background": "1"}).status_code == 200
    assert last_seen() == stale
    client.get("/today", headers={"HX-Request": "true"})
    assert last_seen() > stale


def test_expired_htmx_request_gets_401_with_a_redirect_header(app, monkeypatch):
    client = login(app.test_client(), "front_desk")
    later(monkeypatch, minutes=60)
    response = client.get("/today", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/patients?q=a"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/patients?q%3Da"


def test_absolute_lifetime_ends_even_an_active_session(app, monkeypatch):
    client = login(app.test_client(), "front_desk")
    later(monkeypatch, hours=13)
    assert client.get("/").status_code == 302
    assert actions(app, action="auth.session_end") == ["auth.session_end"]


def test_session_cookie_is_httponly_samesite_and_secure_only_under_tls(make_app):
    for tls in (False, True):
        app = make_app(TLS=tls)
        name = create_test_user(app, ("front_desk",))
        response = app.test_client().post("/login", data={"username": name, "password": TEST_PASSWORD})
        cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("medoffice_session=")][0]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is tls


@pytest.mark.parametrize("password, problem", [
    ("short-pass", "at least 12"),
    ("jdoe-is-my-password-9", "your user name"),
    ("Password1234!", "commonly used"),
    ("P@ssw0rd-2024", "commonly used"),
    ("iloveyou iloveyou", "commonly used"),
    ("aaaaaaaaaaaaaaaa", "different characters"),
])
def test_password_policy_refuses(password, problem):
    problems = " ".join(policy_problems(password, "jdoe", "Jane Doe"))
    assert problem in problems


def test_password_policy_accepts_a_passphrase():
    assert policy_problems("copper kettle rain 42", "jdoe", "Jane Doe") == []


def test_change_password_enforces_policy_and_current_password(app):
    client = login(app.test_client(), "front_desk")
    wrong = client.post("/account/password", data={"current": "nope", "new": "copper kettle rain 42",
                                                   "confirm": "copper kettle rain 42"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    weak = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "password12345",
                                                  "confirm": "password12345"})
    assert weak.status_code == 422 and "commonly used" in weak.get_data(as_text=True)
    good = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "copper kettle rain 42",
                                                  "confirm": "copper kettle rain 42"})
    assert good.status_code == 302
    assert "auth.password_change" in actions(app)


def test_admin_reset_forces_a_password_change_before_anything_else(app):
    admin = login(app.test_client(), "admin")
    name = create_test_user(app, ("front_desk",))
    user_id = in_db(app, lambda: User.get(User.username == name).id)
    weak = admin.post(f"/admin/users/{user_id}/password", data={"password": "qwerty", "confirm": "qwerty"})
    assert weak.status_code == 422
    temporary = "harbor lantern 7731 x"
    assert admin.post(f"/admin/users/{user_id}/password",
                      data={"password": temporary, "confirm": temporary}).status_code == 302
    assert "user.password_reset" in actions(app)

    client = app.test_client()
    response = client.post("/login", data={"username": name, "password": temporary})
    assert response.headers["Location"] == "/account/password"
    page = client.get("/patients")
    assert page.status_code == 302 and page.headers["Location"] == "/account/password"
    assert "temporary password" in client.get("/account/password").get_data(as_text=True)
    new = "willow bicycle 5820 q"
    assert client.post("/account/password", data={"current": temporary, "new": new, "confirm": new}).status_code == 302
    assert client.get("/patients").status_code == 200


def test_deactivated_user_loses_the_session_and_cannot_log_in(app):
    admin = login(app.test_client(), "admin")
    client = login(app.test_client(), "front_desk", username="leaving")
    user_id = in_db(app, lambda: User.get(User.username == "leaving").id)
    assert admin.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    assert client.get("/").status_code == 302
    again = post_login(app.test_client(), "leaving")
    assert again.status_code == 401 and INVALID in again.get_data(as_text=True)
    assert in_db(app, lambda: User.get_by_id(user_id).active) is False  # kept, never deleted


def test_logout_is_post_only_and_audited(app):
    client = login(app.test_client(), "front_desk")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    assert "auth.logout" in actions(app)


def test_login_redirect_target_must_stay_on_this_site(app):
    name = create_test_user(app, ("front_desk",))
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = app.test_client().post(f"/login?next={target}", data={"username": name, "password": TEST_PASSWORD})
        assert response.headers["Location"] == "/"


def test_passwords_are_hashed_at_full_scrypt_cost_unless_the_app_says_otherwise(make_app):
    from medoffice.auth.accounts import hash_password, password_matches

    production = make_app(PASSWORD_HASH_METHOD=None)
    with production.app_context():
        full = hash_password("a long office passphrase")
    assert full.startswith("scrypt:32768:8:1$")
    cheap_app = make_app()  # the test suite's lower cost
    with cheap_app.app_context():
        cheap = hash_password("a long office passphrase")
        assert cheap.startswith("scrypt:1024:8:1$")
        # a hash keeps its own cost: one made at full cost still verifies in an app set lower
        assert password_matches(User(password_hash=full), "a long office passphrase")
        assert not password_matches(User(password_hash=full), "another passphrase")
