"""Authorization: every route needs login and its permission; roles matrix; user admin; break-glass."""
import datetime as dt
import json
import re

import pytest
from markupsafe import escape
from werkzeug.routing import AnyConverter, IntegerConverter

from medoffice.auth.access import view_is_public, view_permission
from medoffice.db import db, utcnow
from medoffice.models import AuditEvent, EmergencyAccess, Patient, Role, RolePermission, User
from medoffice.testing import TEST_PASSWORD, login

PUBLIC = {"static", "plugin_static", "theme_static", "core.login", "core.login_code", "core.logout", "core.healthz",
          "marketing.kiosk_survey"}  # the survey kiosk: opens only in a browser an admin enrolled, shows no patient data
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def audit_details(app, action):
    return in_db(app, lambda: [json.loads(e.detail) for e in
                               AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq)])


def routes(app):
    """(rule, method, url) for every route of the app, arguments filled in (ints with 1)."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "x"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, adapter.build(rule.endpoint, values, method=method)))
    return found


def call(client, method, url):
    return client.open(url, method=method, data={})


def test_every_route_is_public_by_intent_or_names_a_declared_permission(app):
    declared = {p.name for p in app.extensions["medoffice"].host.call("medoffice_permissions")}
    problems = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if view_is_public(view):
            if rule.endpoint not in PUBLIC:
                problems.append(f"{rule.rule} ({rule.endpoint}) is public but should not be")
        elif view_permission(view) not in declared:
            problems.append(f"{rule.rule} ({rule.endpoint}) needs an undeclared permission {view_permission(view)!r}")
    assert problems == []


def test_no_route_is_reachable_anonymously(app):
    client = app.test_client()
    open_doors = []
    checked = 0
    for rule, method, url in routes(app):
        if rule.endpoint in PUBLIC:
            continue
        response = call(client, method, url)
        checked += 1
        redirected = response.status_code == 302 and response.headers["Location"].startswith("/login")
        if not (redirected or response.status_code == 401):
            open_doors.append(f"{method} {url} -> {response.status_code}")
    assert open_doors == []
    assert checked > 30  # the enumeration really covered the app (core and every installed plugin)


def test_a_user_without_the_permission_gets_403_everywhere(app):
    client = login(app.test_client(), ())  # logged in, no roles at all
    allowed = []
    for rule, method, url in routes(app):
        if rule.endpoint in PUBLIC:
            continue
        response = call(client, method, url)
        if response.status_code != 403:
            allowed.append(f"{method} {url} -> {response.status_code}")
    assert allowed == []


def test_admin_is_never_refused_and_no_page_crashes(app):
    client = login(app.test_client(), "admin")
    problems = []
    for rule, method, url in routes(app):
        if method != "GET" or rule.endpoint in PUBLIC:
            continue
        response = client.get(url)
        if response.status_code == 403 or response.status_code >= 500:
            problems.append(f"GET {url} -> {response.status_code}")
    assert problems == []


@pytest.mark.parametrize("role, url, status", [
    ("front_desk", "/admin/users", 403),
    ("front_desk", "/admin/audit", 403),
    ("front_desk", "/admin/roles", 403),
    ("front_desk", "/emergency-access", 403),
    ("auditor", "/admin/audit", 200),
    ("auditor", "/admin/audit/export.csv", 200),
    ("auditor", "/admin/users", 403),
    ("auditor", "/patients", 403),
    ("office_manager", "/patients", 200),
    ("office_manager", "/admin/roles", 403),
])
def test_seeded_roles_get_what_they_should(app, role, url, status):
    client = login(app.test_client(), role)
    assert client.get(url).status_code == status


# --- roles matrix ------------------------------------------------------------------------------

def test_roles_page_shows_the_matrix_grouped_by_plugin_with_titles(app):
    client = login(app.test_client(), "admin")
    page = client.get("/admin/roles").get_data(as_text=True)
    host = app.extensions["medoffice"].host
    for plugin in host.ordered():
        perms = host.call_for(plugin.name, "medoffice_permissions")
        if perms:
            assert f">{escape(plugin.info.title)}</th>" in page
            for perm in perms:
                assert f"{escape(perm.title)}<br><code>{perm.name}</code>" in page
    assert 'value="front_desk|core.patients.view" aria-label="Front desk: Look up patients and open their records" checked' in page
    assert 'value="admin|' not in page  # the admin role is all permissions, not editable


def test_the_roles_page_is_kept_until_a_role_a_grant_or_a_users_roles_change(app):
    from medoffice.testing import reads_of, write_sql

    client = login(app.test_client(), "admin")
    assert not reads_of(client, "/admin/roles", ("core_role", "core_role_permission", "core_user_role"))
    in_db(app, lambda: write_sql("UPDATE core_role SET title = ? WHERE name = ?", "Reception", "front_desk"))
    page = client.get("/admin/roles").get_data(as_text=True)
    assert 'aria-label="Reception: Look up patients and open their records" checked' in page
    in_db(app, lambda: write_sql("DELETE FROM core_role_permission WHERE permission = ?", "core.patients.view"))
    page = client.get("/admin/roles").get_data(as_text=True)
    assert 'aria-label="Reception: Look up patients and open their records" >' in page  # not ticked any more


# The matrix's row groups as the template rendered them before they were built in Python.
JINJA_MATRIX = """{% for plugin_title, permissions in groups %}
    <tbody>
      <tr class="matrix-group"><th scope="rowgroup" colspan="{{ roles|length + 1 }}">{{ plugin_title }}</th></tr>
      {% for perm in permissions %}
      <tr>
        <th scope="row">{{ perm.title }}<br><code>{{ perm.name }}</code></th>
        {% for role in roles %}
        {% set id = 'g-' ~ role.id ~ '-' ~ loop.index ~ '-' ~ perm.name|replace('.', '-') %}
        <td class="matrix-cell">
          {% if role.name == admin %}
          <input type="checkbox" checked disabled aria-label="{{ role.title }}: {{ perm.title }} (always)">
          {% else %}
          <input type="checkbox" id="{{ id }}" name="grant" value="{{ role.name }}|{{ perm.name }}" aria-label="{{ role.title }}: {{ perm.title }}" {% if perm.name in grants.get(role.id, ()) %}checked{% endif %}>
          {% endif %}
        </td>
        {% endfor %}
      </tr>
      {% endfor %}
    </tbody>
    {% endfor %}"""


def test_the_matrix_built_in_python_is_the_html_the_template_wrote(app):
    from medoffice.auth.accounts import ADMIN
    from medoffice.auth.privileges import grants_by_role
    from medoffice.contributions import Permission
    from medoffice.web.admin_roles import matrix_html, permission_groups

    def between_tags(html):
        return re.sub(r">\s+<", "><", str(html)).strip()

    def compare():
        Role.create(name="odd_one", title='Odd <"role"> & co', description="")
        groups = [*permission_groups(), ("Odd <plugin>", [Permission("odd.x_y.view", 'See "x" & <y>')])]
        roles, grants = list(Role.select().order_by(Role.id)), grants_by_role()
        with app.test_request_context("/"):
            old = app.jinja_env.from_string(JINJA_MATRIX).render(groups=groups, roles=roles, grants=grants,
                                                                 admin=ADMIN)
        new = matrix_html(groups, roles, grants)
        assert "checked" in new and "(always)" in new and "&lt;plugin&gt;" in new
        assert between_tags(new) == between_tags(old)
    in_db(app, compare)


def test_saving_the_matrix_applies_and_audits_before_and_after(app):
    client = login(app.test_client(), "admin")

    def grants(role):
        return in_db(app, lambda: sorted(rp.permission for rp in RolePermission.select().join(Role)
                                         .where(Role.name == role)))
    hr_before = grants("hr")
    front_before = grants("front_desk")
    # Keep every current grant, add core.audit.view to HR and remove core.patients.edit from front desk.
    in_form = {f"{r}|{p}" for r in ("office_manager", "billing", "front_desk", "hr", "auditor") for p in grants(r)}
    in_form.add("hr|core.audit.view")
    in_form.discard("front_desk|core.patients.edit")
    in_form.add("admin|core.nonexistent")  # ignored: admin is not editable, unknown permissions are ignored
    def ticked():
        page = client.get("/admin/roles").get_data(as_text=True)
        return set(re.findall(r'name="grant" value="([^"]+)" aria-label="[^"]*" checked>', page))
    assert ticked() == in_form - {"hr|core.audit.view", "admin|core.nonexistent"} | {"front_desk|core.patients.edit"}
    response = client.post("/admin/roles", data={"grant": sorted(in_form)})
    assert response.status_code == 302
    assert grants("hr") == sorted([*hr_before, "core.audit.view"])
    assert ticked() == in_form - {"admin|core.nonexistent"}  # the page kept from before shows the change
    assert "core.patients.edit" not in grants("front_desk")
    details = {d["role"]: d for d in audit_details(app, "role.permissions")}
    assert set(details) == {"hr", "front_desk"}
    assert details["hr"]["before"] == hr_before and details["hr"]["after"] == grants("hr")
    assert details["hr"]["added"] == ["core.audit.view"] and details["hr"]["removed"] == []
    assert details["front_desk"]["before"] == front_before
    assert details["front_desk"]["removed"] == ["core.patients.edit"]
    # Effective at once for a logged-in front desk user.
    desk = login(app.test_client(), "front_desk")
    assert desk.get("/patients/new").status_code == 403


def test_matrix_keeps_grants_of_plugins_not_shown(app):
    def add_hidden_grant():
        RolePermission.create(role=Role.get(Role.name == "billing"), permission="offplugin.thing.view")
    in_db(app, add_hidden_grant)
    client = login(app.test_client(), "admin")
    assert client.post("/admin/roles", data={"grant": []}).status_code == 302
    remaining = in_db(app, lambda: [rp.permission for rp in RolePermission.select().join(Role)
                                    .where(Role.name == "billing")])
    assert remaining == ["offplugin.thing.view"]


def test_adding_a_role_is_audited_and_it_appears_in_the_matrix(app):
    client = login(app.test_client(), "admin")
    bad = client.post("/admin/roles/new", data={"name": "Bad Name", "title": "Nurse"})
    assert bad.status_code == 422
    assert client.post("/admin/roles/new", data={"name": "nurse", "title": "Nurse", "description": "Clinical"}).status_code == 302
    assert "Nurse" in client.get("/admin/roles").get_data(as_text=True)
    assert audit_details(app, "role.create") == [{"role": "nurse", "title": "Nurse"}]


# --- user administration -----------------------------------------------------------------------

NEW_USER = {"username": "mlopez", "full_name": "Maria Lopez", "email": "maria@example.com",
            "password": "granite meadow 4471 k", "confirm": "granite meadow 4471 k",
            "roles": ["front_desk", "billing"], "must_change_password": "y"}


def test_create_user_enforces_policy_and_uniqueness_and_is_audited(app):
    admin = login(app.test_client(), "admin")
    weak = admin.post("/admin/users/new", data={**NEW_USER, "password": "maria-lopez-123", "confirm": "maria-lopez-123"})
    assert weak.status_code == 422 and "your name" in weak.get_data(as_text=True)
    created = admin.post("/admin/users/new", data=NEW_USER)
    assert created.status_code == 302
    again = admin.post("/admin/users/new", data={**NEW_USER, "email": "other@example.com"})
    assert again.status_code == 422 and "taken" in again.get_data(as_text=True)
    same_mail = admin.post("/admin/users/new", data={**NEW_USER, "username": "maria2"})
    assert same_mail.status_code == 422 and "one account per person" in same_mail.get_data(as_text=True)
    detail = audit_details(app, "user.create")[-1]
    assert detail == {"username": "mlopez", "roles": ["billing", "front_desk"], "must_change_password": True}
    user = in_db(app, lambda: User.get(User.username == "mlopez"))
    assert user.password_hash.startswith("scrypt:") and user.must_change_password
    listing = admin.get("/admin/users?q=lopez").get_data(as_text=True)
    assert "mlopez" in listing and "Billing, Front desk" in listing


def ticked(page: str, role: str) -> bool:
    """Whether the role's checkbox is checked in the user form."""
    return re.search(rf'<input checked id="roles-\d+" name="roles" type="checkbox" value="{role}">', page) is not None


def test_role_assignment_is_audited_before_and_after(app):
    admin = login(app.test_client(), "admin")
    admin.post("/admin/users/new", data=NEW_USER)
    user_id = in_db(app, lambda: User.get(User.username == "mlopez").id)
    form = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert ticked(form, "billing") and ticked(form, "front_desk") and not ticked(form, "auditor")
    response = admin.post(f"/admin/users/{user_id}", data={"full_name": "Maria Lopez-Ruiz", "email": "maria@example.com",
                                                           "roles": ["auditor"]})
    assert response.status_code == 302
    assert audit_details(app, "user.roles") == [{"username": "mlopez", "before": ["billing", "front_desk"],
                                                 "after": ["auditor"]}]
    assert audit_details(app, "user.update")[-1]["changes"] == {
        "full_name": {"before": "Maria Lopez", "after": "Maria Lopez-Ruiz"}}


def test_only_admins_grant_admin_and_the_last_admin_stays(app):
    manager_role_grants = ("core.users.manage",)

    def give_manager_user_admin():
        role = Role.get(Role.name == "office_manager")
        for p in manager_role_grants:
            RolePermission.insert(role=role, permission=p).on_conflict_ignore().execute()
    in_db(app, give_manager_user_admin)
    manager = login(app.test_client(), "office_manager")
    attempt = manager.post("/admin/users/new", data={**NEW_USER, "roles": ["admin"]})
    assert attempt.status_code == 422 and "Only an administrator" in attempt.get_data(as_text=True)

    admin = login(app.test_client(), "admin", username="onlyadmin")
    admin_id = in_db(app, lambda: User.get(User.username == "onlyadmin").id)
    demote = admin.post(f"/admin/users/{admin_id}", data={"full_name": "Only Admin", "email": "", "roles": ["auditor"]})
    assert demote.status_code == 422 and "last active administrator" in demote.get_data(as_text=True)
    assert admin.post(f"/admin/users/{admin_id}/deactivate").status_code == 302
    assert in_db(app, lambda: User.get_by_id(admin_id).active)  # refused: one cannot deactivate oneself
    # A non-admin with users.manage cannot touch an admin's account.
    assert manager.post(f"/admin/users/{admin_id}/deactivate").status_code == 403


def test_users_are_deactivated_and_reactivated_never_deleted(app):
    admin = login(app.test_client(), "admin")
    admin.post("/admin/users/new", data={**NEW_USER, "must_change_password": ""})
    user_id = in_db(app, lambda: User.get(User.username == "mlopez").id)
    assert admin.post(f"/admin/users/{user_id}/deactivate").status_code == 302
    assert app.test_client().post("/login", data={"username": "mlopez", "password": NEW_USER["password"]}).status_code == 401
    assert admin.post(f"/admin/users/{user_id}/activate").status_code == 302
    assert app.test_client().post("/login", data={"username": "mlopez", "password": NEW_USER["password"]}).status_code == 302
    assert [a for a in ("user.deactivate", "user.activate") if audit_details(app, a)] == ["user.deactivate", "user.activate"]


# --- break-glass -----------------------------------------------------------------------------

def grant_emergency_permission(app, role="hr"):
    """Let ``role`` take emergency access (HR: a role that cannot open patients' records itself)."""
    def grant():
        RolePermission.insert(role=Role.get(Role.name == role), permission="core.emergency_access").on_conflict_ignore().execute()
    in_db(app, grant)


def test_emergency_permission_is_admin_only_by_default(app):
    assert in_db(app, lambda: RolePermission.select().where(RolePermission.permission == "core.emergency_access").count()) == 0
    assert login(app.test_client(), "office_manager").get("/emergency-access").status_code == 403
    assert login(app.test_client(), "admin").get("/emergency-access").status_code == 200


def test_break_glass_needs_a_reason_widens_patient_reading_with_a_banner_and_is_loudly_audited(app):
    grant_emergency_permission(app)
    patient_id = in_db(app, lambda: Patient.create(account_number="P0000001", first_name="Ann", last_name="Lee",
                                                   date_of_birth=dt.date(1980, 2, 3)).id)
    client = login(app.test_client(), "hr", username="desk")
    assert client.get("/patients").status_code == 403
    short = client.post("/emergency-access", data={"reason": "need it"})
    assert short.status_code == 422 and "20 to 2000 characters" in short.get_data(as_text=True)
    assert "EMERGENCY ACCESS" not in client.get("/").get_data(as_text=True)

    reason = "Dr. Marsh cannot reach the admin; patient needs coverage fixed now"
    assert client.post("/emergency-access", data={"reason": reason}).status_code == 302
    page = client.get("/patients")
    assert page.status_code == 200
    assert "EMERGENCY ACCESS is on until" in page.get_data(as_text=True)
    assert 'class="banner banner-danger banner-emergency"' in client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403  # reading records only, never administration
    start = audit_details(app, "emergency_access.start")
    assert start[0]["reason"] == reason and start[0]["emergency"] is True
    assert audit_details(app, "patient.view")[0]["emergency"] is True

    assert client.post("/emergency-access/end").status_code == 302
    assert client.get("/patients").status_code == 403
    assert client.get(f"/patients/{patient_id}").status_code == 403
    assert "EMERGENCY ACCESS" not in client.get("/").get_data(as_text=True)
    end = audit_details(app, "emergency_access.end")
    assert end[0]["how"] == "ended"


def test_break_glass_expires_on_the_server_and_the_end_is_audited(app):
    grant_emergency_permission(app)
    client = login(app.test_client(), "hr")
    client.post("/emergency-access", data={"reason": "Billing deadline today and the manager is out sick"})
    assert client.get("/patients").status_code == 200

    def expire():
        EmergencyAccess.update(started_at=utcnow() - dt.timedelta(minutes=61),
                               expires_at=utcnow() - dt.timedelta(minutes=1)).execute()
    in_db(app, expire)
    assert client.get("/patients").status_code == 403
    assert [d["how"] for d in audit_details(app, "emergency_access.end")] == ["expired"]


def test_admin_sees_and_revokes_break_glass_and_logout_ends_it(app):
    grant_emergency_permission(app)
    desk = login(app.test_client(), "hr", username="desk2")
    desk.post("/emergency-access", data={"reason": "Front desk needs the audit trail for a patient complaint"})
    admin = login(app.test_client(), "admin")
    page = admin.get("/emergency-access").get_data(as_text=True)
    assert "desk2" in page and "patient complaint" in page
    grant_id = in_db(app, lambda: EmergencyAccess.get().id)
    assert admin.post(f"/emergency-access/{grant_id}/revoke").status_code == 302
    assert desk.get("/patients").status_code == 403

    desk.post("/emergency-access", data={"reason": "Second emergency: claim deadline at five today"})
    assert desk.get("/patients").status_code == 200
    desk.post("/logout")
    assert [d["how"] for d in audit_details(app, "emergency_access.end")] == ["revoked", "logout"]
    assert in_db(app, lambda: EmergencyAccess.select().where(EmergencyAccess.ended_at.is_null()).count()) == 0


def test_a_role_without_the_permission_cannot_take_emergency_access(app):
    client = login(app.test_client(), "billing")
    assert client.post("/emergency-access", data={"reason": "x" * 40}).status_code == 403
    assert in_db(app, lambda: EmergencyAccess.select().count()) == 0


def test_idle_logoff_ends_the_grant_and_a_new_grant_supersedes_an_old_one(app, monkeypatch):
    from medoffice.auth import emergency, sessions

    grant_emergency_permission(app)
    first = login(app.test_client(), "hr", username="desk3")
    first.post("/emergency-access", data={"reason": "First browser: payer portal emergency today"})
    second = app.test_client()
    second.post("/login", data={"username": "desk3", "password": TEST_PASSWORD})
    second.post("/emergency-access", data={"reason": "Second browser: the first one crashed on me"})
    assert first.get("/patients").status_code == 403  # the first session's grant was superseded
    assert second.get("/patients").status_code == 200
    an_hour_later = utcnow() + dt.timedelta(hours=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: an_hour_later)  # the session row has been idle since
    second.get("/")
    monkeypatch.undo()
    assert [d["how"] for d in audit_details(app, "emergency_access.end")] == ["superseded", "idle"]

    # A grant whose user never comes back is closed by the scheduled job.
    third = login(app.test_client(), "hr", username="desk4")
    third.post("/emergency-access", data={"reason": "Left open when the browser was closed"})

    def expire_and_run():
        EmergencyAccess.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
            EmergencyAccess.ended_at.is_null()).execute()
        return emergency.close_expired_job()
    assert in_db(app, expire_and_run) == "closed 1 expired emergency access grant"
    assert [d["how"] for d in audit_details(app, "emergency_access.end")][-1] == "expired"


def test_a_login_is_linked_to_its_person_in_the_staff_directory_once(app):
    from medoffice.models import StaffMember
    from medoffice.testing import connected

    admin = login(app.test_client())
    with connected(app):
        ana = StaffMember.create(first_name="Ana", last_name="Reyes", job_title="Medical assistant").id
    created = admin.post("/admin/users/new", data={**NEW_USER, "staff": str(ana)})
    assert created.status_code == 302
    with connected(app):
        maria = User.get(User.username == NEW_USER["username"])
        assert maria.staff_id == ana
    second = admin.post("/admin/users/new", data={**NEW_USER, "username": "ana2", "email": "ana2@example.com",
                                                  "staff": str(ana)})
    assert second.status_code == 422 and "already the login of that person" in second.get_data(as_text=True)
    unlinked = admin.post(f"/admin/users/{maria.id}", data={"full_name": maria.full_name, "email": maria.email,
                                                            "roles": ["front_desk"], "staff": ""})
    assert unlinked.status_code == 302
    with connected(app):
        assert User.get_by_id(maria.id).staff_id is None
        change = AuditEvent.select().where(AuditEvent.action == "user.update").order_by(AuditEvent.seq.desc()).first()
        assert "staff_id" in change.detail


def test_nobody_links_their_own_login_to_a_person(app):
    from medoffice.models import StaffMember
    from medoffice.testing import connected

    admin = login(app.test_client(), username="selfadmin")
    with connected(app):
        boss = StaffMember.create(first_name="Bo", last_name="Boss", job_title="Practice owner").id
        me = User.get(User.username == "selfadmin")
    refused = admin.post(f"/admin/users/{me.id}", data={"full_name": me.full_name, "email": "", "roles": ["admin"],
                                                        "staff": str(boss)})
    assert refused.status_code == 422 and "Another administrator links your own login" in refused.get_data(as_text=True)
