"""Two-factor sign-in with real TOTP codes (pyotp): enrolment, the two-step login, no replay, recovery
codes, the lockout, turning it off, an administrator's reset, and the practice's requirements."""
import json
import re
import time

import pyotp
import pytest

from medoffice import settings
from medoffice.auth import two_factor
from medoffice.db import db
from medoffice.models import AuditEvent, LoginAttempt, RecoveryCode, User, UserSession
from medoffice.testing import TEST_PASSWORD, create_test_user, login

OFFICE, HOME = "10.0.0.5", "203.0.113.9"


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def user_row(app, username):
    return in_db(app, lambda: User.get(User.username == username))


def audit_actions(app, action):
    return in_db(app, lambda: [json.loads(e.detail) for e in AuditEvent.select()
                               .where(AuditEvent.action == action).order_by(AuditEvent.seq)])


def password_step(app, username, address=OFFICE, next_page=None, client=None):
    client = client or app.test_client()
    url = "/login" + (f"?next={next_page}" if next_page else "")
    return client, client.post(url, data={"username": username, "password": TEST_PASSWORD},
                               environ_base={"REMOTE_ADDR": address})


def code_step(client, code, address=OFFICE):
    return client.post("/login/code", data={"code": code}, environ_base={"REMOTE_ADDR": address})


def signed_in(app, username, address=OFFICE):
    client, response = password_step(app, username, address)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    return client


def next_code(totp, steps=1):
    """The code of a later time step: the window accepts one step of drift, and the code just used
    (of the current step) may not be used again."""
    return totp.at(time.time() + 30 * steps)


def enrol(app, client):
    """Set up two-factor sign-in from the page as a user does; returns (totp, recovery codes)."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code data-secret>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post("/account/two-factor/confirm", data={"code": totp.now()})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    return totp, codes


@pytest.fixture
def enrolled(app):
    """(username, totp, recovery codes) of a front-desk user who has set up two-factor sign-in."""
    name = create_test_user(app, ("front_desk",))
    totp, codes = enrol(app, signed_in(app, name))
    return name, totp, codes


def test_enrolment_shows_a_qr_code_and_confirms_with_a_first_code(app):
    name = create_test_user(app, ("front_desk",))
    client = signed_in(app, name)
    assert "Set up two-factor sign-in" in client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor/start")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and 'class="segno"' in page  # the QR code, drawn on the server
    secret = re.search(r"<code data-secret>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    assert f"otpauth://totp/" in page and f"secret={secret}" in page
    stored = user_row(app, name)
    assert stored.totp_secret and secret not in stored.totp_secret and stored.totp_confirmed_at is None

    wrong = client.post("/account/two-factor/confirm", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                                             else "111111"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    assert user_row(app, name).totp_confirmed_at is None

    response = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert response.status_code == 200 and len(set(codes)) == 10
    assert user_row(app, name).totp_confirmed_at is not None
    hashes = in_db(app, lambda: [r.code_hash for r in RecoveryCode.select()])
    assert len(hashes) == 10 and not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert audit_actions(app, "auth.2fa_enabled") == [{}]
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "10</strong> unused recovery codes" in page and "data-secret" not in page  # shown once


def test_the_secret_is_sealed_to_its_user_and_the_instance_key(app, enrolled):
    name, _totp, _codes = enrolled
    other = create_test_user(app, ("front_desk",))

    def copy_secret():
        row = User.get(User.username == name)
        User.update(totp_secret=row.totp_secret, totp_confirmed_at=row.totp_confirmed_at).where(
            User.username == other).execute()
    in_db(app, copy_secret)
    client, response = password_step(app, other)
    assert response.headers["Location"] == "/login/code"
    refused = code_step(client, "123456")
    assert refused.status_code == 401 and "cannot be read" in refused.get_data(as_text=True)


def test_login_becomes_two_steps_and_returns_to_the_page(app, enrolled):
    name, totp, _codes = enrolled
    sessions_before = in_db(app, lambda: UserSession.select().count())
    client, response = password_step(app, name, next_page="/patients")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # the password alone signs nobody in
    assert in_db(app, lambda: UserSession.select().count()) == sessions_before
    assert "authenticator app" in client.get("/login/code").get_data(as_text=True)
    response = code_step(client, next_code(totp))
    assert response.status_code == 302 and response.headers["Location"] == "/patients"
    assert client.get("/patients").status_code == 200
    assert audit_actions(app, "auth.login")[-1] == {"second_factor": "totp"}


def test_a_code_is_accepted_once_within_its_window(app, enrolled):
    name, totp, _codes = enrolled
    code = next_code(totp)
    first, _ = password_step(app, name)
    assert code_step(first, code).status_code == 302
    second, _ = password_step(app, name)
    again = code_step(second, code)
    assert again.status_code == 401 and "used already" in again.get_data(as_text=True)
    assert code_step(second, totp.now()).status_code == 401  # an earlier step than the one used
    assert code_step(second, next_code(totp, 1)).status_code == 401


def test_recovery_codes_sign_in_once_each(app, enrolled):
    name, _totp, codes = enrolled
    client, _ = password_step(app, name)
    response = code_step(client, codes[0].upper().replace("-", " "))
    assert response.status_code == 302
    assert "9 left" in client.get("/").get_data(as_text=True)
    assert audit_actions(app, "auth.login")[-1] == {"second_factor": "recovery"}
    other, _ = password_step(app, name)
    assert code_step(other, codes[0]).status_code == 401
    assert code_step(other, codes[1]).status_code == 302


def test_wrong_codes_count_toward_the_lockout(app, enrolled):
    name, totp, _codes = enrolled
    client, _ = password_step(app, name)
    answers = [code_step(client, "12345" + str(i)).status_code for i in range(4)]
    assert answers == [401] * 4
    fifth = code_step(client, "999999")
    assert fifth.status_code == 429 and "Too many failed logins for this user name" in fifth.get_data(as_text=True)
    assert "auth.lockout" in in_db(app, lambda: [e.action for e in AuditEvent.select()])
    assert in_db(app, lambda: LoginAttempt.select().where((LoginAttempt.username == name)
                                                          & (LoginAttempt.success == False)).count()) == 5  # noqa: E712
    # Locked: the password is not even checked, and the code step is gone.
    again, response = password_step(app, name)
    assert response.status_code == 429
    assert code_step(again, next_code(totp)).headers["Location"] == "/login"
    reasons = {d["reason"] for d in audit_actions(app, "auth.login_failed")}
    assert "invalid code" in reasons


def test_the_code_step_expires(app, enrolled):
    name, totp, _codes = enrolled
    client, _ = password_step(app, name)
    with client.session_transaction() as sess:
        sess["login_pending"] = {**sess["login_pending"], "until": int(time.time()) - 1}
    response = code_step(client, next_code(totp))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert app.test_client().get("/login/code").headers["Location"] == "/login"


def test_turning_it_off_needs_the_password_and_ends_other_sessions(app, enrolled):
    name, totp, codes = enrolled
    client, _ = password_step(app, name)
    code_step(client, next_code(totp))
    elsewhere, _ = password_step(app, name)
    code_step(elsewhere, codes[0])
    assert elsewhere.get("/").status_code == 200

    wrong = client.post("/account/two-factor/off", data={"off-password": "not my password at all"})
    assert wrong.status_code == 422 and "not your password" in wrong.get_data(as_text=True)
    assert user_row(app, name).totp_confirmed_at is not None
    assert client.post("/account/two-factor/off", data={"off-password": TEST_PASSWORD}).status_code == 302
    assert user_row(app, name).totp_confirmed_at is None and user_row(app, name).totp_secret == ""
    assert in_db(app, lambda: RecoveryCode.select().count()) == 0
    assert client.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert audit_actions(app, "auth.2fa_disabled") == [{}]
    signed_in(app, name)  # one step again


def test_new_recovery_codes_replace_the_old_ones(app, enrolled):
    name, totp, codes = enrolled
    client, _ = password_step(app, name)
    code_step(client, next_code(totp))
    response = client.post("/account/two-factor/recovery-codes", data={"codes-password": TEST_PASSWORD})
    fresh = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    other, _ = password_step(app, name)
    assert code_step(other, codes[0]).status_code == 401
    assert code_step(other, fresh[0]).status_code == 302


def test_an_admin_resets_it_audited_and_a_manager_cannot_reset_an_admins(app, enrolled):
    name, totp, _codes = enrolled
    client, _ = password_step(app, name)
    code_step(client, next_code(totp))
    admin = login(app.test_client(), "admin")
    uid = user_row(app, name).id
    assert "Reset two-factor sign-in" in admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{uid}/two-factor/reset").status_code == 302
    assert user_row(app, name).totp_confirmed_at is None
    assert audit_actions(app, "user.2fa_reset") == [{"username": name}]
    assert client.get("/").status_code == 302  # the user's sessions ended with it
    signed_in(app, name)

    boss = create_test_user(app, ("admin",))
    enrol(app, signed_in(app, boss))
    manager = login(app.test_client(), "office_manager")
    assert manager.post(f"/admin/users/{user_row(app, boss).id}/two-factor/reset").status_code == 403
    assert user_row(app, boss).totp_confirmed_at is not None


def test_administrators_are_sent_to_enrolment_when_the_practice_requires_it(app):
    in_db(app, lambda: settings.set_many({two_factor.ADMINS_SETTING: True}))
    name = create_test_user(app, ("admin",))
    client = signed_in(app, name)
    for page in ("/", "/patients", "/admin/users"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    assert "requires administrators" in client.get("/account/two-factor").get_data(as_text=True)
    totp, _codes = enrol(app, client)
    assert client.get("/admin/users").status_code == 200
    desk = create_test_user(app, ("front_desk",))
    assert signed_in(app, desk).get("/patients").status_code == 200  # the rule is for administrators


def test_every_login_from_outside_the_office_needs_the_second_factor(app, enrolled):
    name, totp, _codes = enrolled
    in_db(app, lambda: settings.set_many({two_factor.NETWORKS_SETTING: "10.0.0.0/24, 192.168.7.0/24"}))
    desk = create_test_user(app, ("front_desk",))
    signed_in(app, desk, address=OFFICE)
    client, response = password_step(app, desk, address=HOME)
    assert response.status_code == 403 and "outside the office" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions(app, "auth.login_refused")[0]["reason"] == "outside the office without 2FA"
    client, response = password_step(app, name, address=HOME)
    assert response.headers["Location"] == "/login/code"
    assert code_step(client, next_code(totp), address=HOME).status_code == 302


def test_the_office_networks_setting_refuses_what_is_not_a_network(app):
    admin = login(app.test_client(), "admin")
    form = {k: v for k, v in _settings_form(admin).items()}
    form[two_factor.NETWORKS_SETTING] = "10.0.0.0/24, front-desk-pc"
    response = admin.post("/admin/settings", data=form)
    assert response.status_code == 422 and "&#39;front-desk-pc&#39; is not a network" in response.get_data(as_text=True)
    assert in_db(app, lambda: settings.get(two_factor.NETWORKS_SETTING)) == ""
    form[two_factor.NETWORKS_SETTING] = "10.0.0.0/24 192.168.7.1"
    assert admin.post("/admin/settings", data=form).status_code == 302
    assert in_db(app, lambda: settings.get(two_factor.NETWORKS_SETTING)) == "10.0.0.0/24 192.168.7.1"


def _settings_form(client) -> dict:
    """The settings form's current values, as the browser would post them."""
    from html.parser import HTMLParser

    values = {}

    class Form(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "submit"):
                values[a["name"]] = a.get("value", "")
            elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
                values[a["name"]] = "y"
            elif tag == "textarea" and a.get("name"):
                self.textarea = a["name"]
                values[self.textarea] = ""
            elif tag == "select" and a.get("name"):
                self.select = a["name"]
            elif tag == "option" and "selected" in a and getattr(self, "select", None):
                values[self.select] = a.get("value", "")

        def handle_data(self, data):
            if getattr(self, "textarea", None):
                values[self.textarea] += data

        def handle_endtag(self, tag):
            if tag == "textarea":
                self.textarea = None

    Form().feed(client.get("/admin/settings").get_data(as_text=True))
    return values
