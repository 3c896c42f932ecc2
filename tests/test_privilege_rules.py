"""Privilege rules: nobody changes their own roles or a role they hold, nobody grants what they do not
hold, and emergency access widens the reading of patient records only (issue 9, item 1)."""
import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner
from werkzeug.routing import AnyConverter, IntegerConverter

from medoffice import config
from medoffice.auth import privileges
from medoffice.auth.access import view_is_public, view_permission
from medoffice.auth.accounts import SessionUser, load_session_user
from medoffice.cli import main
from medoffice.db import db
from medoffice.models import AuditEvent, Patient, Role, RolePermission, User, UserRole
from medoffice.testing import TEST_PASSWORD, login

REASON = "Patient in the waiting room needs her record and nobody else is here"
ATTACK = ("core.users.manage", "core.roles.manage", "core.audit.view")
# Permissions that administer the office; with every route under /admin/ they make the administrative routes.
ADMINISTRATION = re.compile(r"core\.(users|roles|settings|plugins|audit|backups?|jobs|doctor|events)(\.|$)")


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def grants(app, role):
    return in_db(app, lambda: sorted(rp.permission for rp in RolePermission.select().join(Role).where(Role.name == role)))


def roles_of(app, username):
    return in_db(app, lambda: sorted(r.name for r in Role.select().join(UserRole).join(User)
                                     .where(User.username == username)))


def user_id(app, username):
    return in_db(app, lambda: User.get(User.username == username).id)


def audit_details(app, action):
    return in_db(app, lambda: [json.loads(e.detail) for e in
                               AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq)])


def grant(app, role, *permissions):
    def add():
        for permission in permissions:
            RolePermission.insert(role=Role.get(Role.name == role), permission=permission).on_conflict_ignore().execute()
    in_db(app, add)


def matrix_with(app, *extra):
    """The roles form as it stands (every editable role's grants ticked) plus ``extra`` role|permission ticks."""
    ticks = {f"{r.name}|{p}" for r in in_db(app, lambda: list(Role.select())) if r.name != "admin"
             for p in grants(app, r.name)}
    return {"grant": sorted(ticks | set(extra))}


def every_grant(app):
    return in_db(app, lambda: sorted(RolePermission.select(Role.name, RolePermission.permission).join(Role).tuples()))


def responder(app, username="responder"):
    """A logged-in user whose role may take emergency access and do nothing else but see Today."""
    in_db(app, lambda: Role.get_or_create(name="responder", defaults={"title": "Responder", "description": ""}))
    grant(app, "responder", "core.emergency_access", "core.dashboard.view")
    return login(app.test_client(), "responder", username=username)


def start_emergency(client):
    assert client.post("/emergency-access", data={"reason": REASON}).status_code == 302


def routes(app):
    """(rule, url) for every route that needs a login, arguments filled in (ints with 1)."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if view_is_public(app.view_functions[rule.endpoint]):
            continue
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "x"
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        found.append((rule, adapter.build(rule.endpoint, values, method=method)))
    return found


def permission_of(app, rule):
    return view_permission(app.view_functions[rule.endpoint])


def break_glass_permissions(app):
    return {p.name for p in app.extensions["medoffice"].host.call("medoffice_permissions") if p.break_glass}


# --- the review's attack --------------------------------------------------------------------------

def test_the_reviewers_attack_fails_at_every_step(app):
    grant(app, "front_desk", "core.emergency_access")
    attacker = login(app.test_client(), "front_desk", username="reviewer")
    me = user_id(app, "reviewer")
    desk_grants, all_grants = grants(app, "front_desk"), every_grant(app)

    start_emergency(attacker)
    for page in ("/admin/users", f"/admin/users/{me}", "/admin/roles", "/admin/audit"):
        assert attacker.get(page).status_code == 403, page
    # Add office_manager to one's own account.
    assert attacker.post(f"/admin/users/{me}", data={"full_name": "Reviewer", "email": "",
                                                     "roles": ["front_desk", "office_manager"]}).status_code == 403
    # Add user and role administration and the audit trail to one's own role.
    assert attacker.post("/admin/roles", data=matrix_with(app, *(f"front_desk|{p}" for p in ATTACK))).status_code == 403

    # The same two changes asked of the service layer directly, as this emergency session, are refused too.
    def through_the_service():
        actor = load_session_user(me)
        actor.use_emergency_access(frozenset(break_glass_permissions(app)))
        user = User.get_by_id(me)
        with pytest.raises(privileges.PrivilegeError, match="Emergency access"):
            privileges.assign_roles(actor, user, ["front_desk", "office_manager"])
        with pytest.raises(privileges.PrivilegeError, match="Emergency access"):
            privileges.set_role_permissions(actor, {"front_desk": {*desk_grants, *ATTACK}}, set(ATTACK))
    in_db(app, through_the_service)

    assert attacker.post("/emergency-access/end").status_code == 302
    again = app.test_client()
    assert again.post("/login", data={"username": "reviewer", "password": TEST_PASSWORD}).status_code == 302
    for page in ("/admin/users", "/admin/roles", "/admin/audit"):
        assert again.get(page).status_code == 403, page
    assert roles_of(app, "reviewer") == ["front_desk"]
    assert grants(app, "front_desk") == desk_grants and every_grant(app) == all_grants
    assert [d["wanted"] for d in audit_details(app, "user.roles.refused")] == [["front_desk", "office_manager"]]
    refused = audit_details(app, "role.permissions.refused")
    assert refused[0]["roles"] == {"front_desk": {"added": sorted(ATTACK), "removed": []}}


def test_a_manager_with_user_and_role_administration_cannot_widen_their_own_access(app):
    """The same attack without emergency access, by someone who may administer users and roles."""
    grant(app, "office_manager", "core.users.manage", "core.roles.manage")
    manager = login(app.test_client(), "office_manager", username="mgr")
    me = user_id(app, "mgr")
    before = every_grant(app)

    own = manager.post(f"/admin/users/{me}", data={"full_name": "Manager", "email": "",
                                                   "roles": ["office_manager", "auditor"]})
    assert own.status_code == 422 and "cannot change your own roles" in own.get_data(as_text=True)
    own_role = manager.post("/admin/roles", data=matrix_with(app, "office_manager|core.audit.view"))
    assert own_role.status_code == 403
    assert "You hold the role Office manager" in own_role.get_data(as_text=True)
    assert roles_of(app, "mgr") == ["office_manager"] and every_grant(app) == before
    assert manager.get("/admin/audit").status_code == 403


# --- rule 1: not one's own roles, not a role one holds --------------------------------------------

def test_nobody_changes_their_own_roles_not_even_an_administrator(app):
    boss = login(app.test_client(), "admin", username="boss")
    boss_id = user_id(app, "boss")
    refused = boss.post(f"/admin/users/{boss_id}", data={"full_name": "The Boss", "email": "",
                                                         "roles": ["admin", "office_manager"]})
    assert refused.status_code == 422
    assert "another administrator must do it" in refused.get_data(as_text=True)
    assert roles_of(app, "boss") == ["admin"]
    assert in_db(app, lambda: User.get_by_id(boss_id).full_name) == "Test Boss"  # nothing half-written
    assert audit_details(app, "user.roles.refused")[-1] == {
        "username": "boss", "before": ["admin"], "wanted": ["admin", "office_manager"],
        "refused": "You cannot change your own roles: another administrator must do it."}
    # Editing one's own name keeps working; a second administrator makes the role change.
    assert boss.post(f"/admin/users/{boss_id}", data={"full_name": "The Boss", "email": "",
                                                      "roles": ["admin"]}).status_code == 302
    second = login(app.test_client(), "admin", username="second")
    assert second.post(f"/admin/users/{boss_id}", data={"full_name": "The Boss", "email": "",
                                                        "roles": ["admin", "office_manager"]}).status_code == 302
    assert roles_of(app, "boss") == ["admin", "office_manager"]


def test_nobody_edits_the_permissions_of_a_role_they_hold(app):
    boss = login(app.test_client(), "admin", username="boss")
    in_db(app, lambda: UserRole.create(user=User.get(User.username == "boss"), role=Role.get(Role.name == "billing")))
    before = every_grant(app)
    # Remove a billing permission and add one to HR: the billing change is refused, so nothing is saved.
    form = matrix_with(app, "hr|core.patients.view")
    form["grant"].remove("billing|core.reports.view")
    refused = boss.post("/admin/roles", data=form)
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert "Nothing was saved" in page and "You hold the role Billing" in page
    assert every_grant(app) == before
    # An administrator who does not hold the role makes the same change.
    other = login(app.test_client(), "admin", username="other")
    assert other.post("/admin/roles", data=form).status_code == 302
    assert "core.reports.view" not in grants(app, "billing") and "core.patients.view" in grants(app, "hr")


# --- rule 2: only what one holds -------------------------------------------------------------------

def test_granting_a_permission_one_does_not_hold_is_refused(app):
    grant(app, "office_manager", "core.users.manage", "core.roles.manage")
    manager = login(app.test_client(), "office_manager", username="mgr")
    hr_before = grants(app, "hr")

    to_a_role = manager.post("/admin/roles", data=matrix_with(app, "hr|core.audit.view"))
    assert to_a_role.status_code == 403
    assert "cannot grant permissions you do not hold yourself: core.audit.view" in to_a_role.get_data(as_text=True)
    assert grants(app, "hr") == hr_before
    # What the manager holds they may grant.
    assert manager.post("/admin/roles", data=matrix_with(app, "hr|core.patients.view")).status_code == 302
    assert grants(app, "hr") == sorted([*hr_before, "core.patients.view"])

    # Giving a user a role grants everything in it: the auditor role holds the audit trail.
    new_user = {"username": "newbie", "full_name": "New Person", "email": "", "password": "granite meadow 4471 k",
                "confirm": "granite meadow 4471 k", "must_change_password": "y"}
    created = manager.post("/admin/users/new", data={**new_user, "roles": ["auditor"]})
    assert created.status_code == 422 and "core.audit.view" in created.get_data(as_text=True)
    assert in_db(app, lambda: User.select().where(User.username == "newbie").count()) == 0
    assert audit_details(app, "user.create.refused")[-1]["roles"] == ["auditor"]
    login(app.test_client(), "front_desk", username="clerk")
    clerk = user_id(app, "clerk")
    assigned = manager.post(f"/admin/users/{clerk}", data={"full_name": "Clerk", "email": "",
                                                           "roles": ["front_desk", "auditor"]})
    assert assigned.status_code == 422 and roles_of(app, "clerk") == ["front_desk"]
    administrator = manager.post(f"/admin/users/{clerk}", data={"full_name": "Clerk", "email": "",
                                                                "roles": ["admin"]})
    assert administrator.status_code == 422 and "Only an administrator" in administrator.get_data(as_text=True)
    # A role whose permissions the manager holds may be given.
    in_db(app, lambda: Role.create(name="greeter", title="Greeter", description=""))
    grant(app, "greeter", "core.patients.view")
    assert manager.post(f"/admin/users/{clerk}", data={"full_name": "Clerk", "email": "",
                                                       "roles": ["front_desk", "greeter"]}).status_code == 302
    assert roles_of(app, "clerk") == ["front_desk", "greeter"]


# --- rule 3: emergency access reads patient records, nothing else ---------------------------------

def test_every_administrative_route_refuses_emergency_access(app):
    client = responder(app)
    start_emergency(client)
    administrative = [(rule, url) for rule, url in routes(app)
                      if rule.rule.startswith("/admin/") or ADMINISTRATION.match(permission_of(app, rule) or "")]
    endpoints = {rule.endpoint for rule, _ in administrative}
    # The enumeration covers users, roles, settings, modules, the audit trail, jobs, the health check
    # and the management of emergency grants (and whatever else is declared so).
    assert {"core.users", "core.user_new", "core.user_edit", "core.user_password", "core.user_deactivate",
            "core.roles", "core.role_new", "core.settings_page", "core.plugins", "core.enable_plugin",
            "core.audit_trail", "core.audit_export", "core.jobs", "core.run_job_now", "core.doctor",
            "core.emergency_access_revoke"} <= endpoints
    before = (every_grant(app), in_db(app, lambda: sorted(UserRole.select(UserRole.user, UserRole.role).tuples())))
    allowed = []
    for rule, url in administrative:
        for method in ("GET", "POST"):
            status = client.open(url, method=method, data={}).status_code
            if status != (403 if method in rule.methods else 405):
                allowed.append(f"{method} {url} -> {status}")
    assert allowed == []
    assert (every_grant(app), in_db(app, lambda: sorted(UserRole.select(UserRole.user, UserRole.role).tuples()))) == before


def test_emergency_access_adds_only_reading_of_patient_records(app):
    patient_id = in_db(app, lambda: Patient.create(account_number="P0000001", first_name="Ann", last_name="Lee",
                                                   date_of_birth=dt.date(1980, 2, 3)).id)
    client = responder(app)
    assert client.get(f"/patients/{patient_id}").status_code == 403
    start_emergency(client)
    marked = break_glass_permissions(app)
    assert {"core.patients.view", "billing.view"} <= marked
    assert not any(ADMINISTRATION.match(p) or p.endswith((".edit", ".manage", ".post", ".run")) for p in marked)
    assert client.get(f"/patients/{patient_id}").status_code == 200
    assert client.get(f"/billing/patients/{patient_id}/ledger").status_code == 200
    # Every other route is refused, reading or writing: only the user's own permissions and reads of records.
    own = {"core.emergency_access", "core.dashboard.view"}
    wrong = []
    for rule, url in routes(app):
        permission = permission_of(app, rule)
        if permission in own:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = client.open(url, method=method, data={}).status_code
            widened = permission in marked and method == "GET"
            if (status == 403) == widened or status >= 500:
                wrong.append(f"{method} {url} ({permission}) -> {status}")
    assert wrong == []
    # The navigation offers the records, not the administration.
    nav = client.get("/").get_data(as_text=True).split('<nav class="sidenav"')[1].split("</nav>")[0]
    assert ">Patients<" in nav and ">Users<" not in nav and ">Roles<" not in nav


def test_permissions_one_holds_and_what_emergency_access_adds_are_kept_apart():
    user = SessionUser(User(id=5, username="desk", full_name="Desk"), frozenset({"core.dashboard.view"}),
                       frozenset({"front_desk"}))
    assert not user.has_permission("core.patients.view")
    user.use_emergency_access(frozenset({"core.patients.view"}))
    assert user.emergency and user.has_permission("core.patients.view")
    assert not user.holds("core.patients.view")  # what emergency access adds can never be passed on
    assert not user.has_permission("core.users.manage")
    admin = SessionUser(User(id=6, username="boss", full_name="Boss"), frozenset(), frozenset({"admin"}))
    assert admin.holds("core.users.manage") and admin.has_permission("core.users.manage")


# --- the command line ------------------------------------------------------------------------------

@pytest.fixture
def cli_app(make_app, tmp_path, medoffice_database_url):
    instance = tmp_path / "cli-instance"
    config.write_new(instance, None, medoffice_database_url)
    return make_app(instance=instance)


def run_cli(app, *args):
    return CliRunner().invoke(main, ["--instance", app.instance_path, *args],
                              env={"MEDOFFICE_ADMIN_PASSWORD": "granite meadow 4471 k"})


def test_the_command_line_changes_roles_through_the_same_rules(cli_app):
    from medoffice.testing import create_test_user

    create_test_user(cli_app, ("admin",), "onlyadmin")
    last = run_cli(cli_app, "users", "set-roles", "onlyadmin", "--role", "office_manager")
    assert last.exit_code != 0 and "last active administrator" in last.output
    assert roles_of(cli_app, "onlyadmin") == ["admin"]
    unknown = run_cli(cli_app, "users", "set-roles", "onlyadmin", "--role", "admin", "--role", "wizard")
    assert unknown.exit_code != 0 and "No such role: wizard" in unknown.output

    # The only administrator cannot give themselves another role on the admin pages; the operator can.
    both = run_cli(cli_app, "users", "set-roles", "onlyadmin", "--role", "admin", "--role", "office_manager")
    assert both.exit_code == 0, both.output
    assert roles_of(cli_app, "onlyadmin") == ["admin", "office_manager"]
    created = run_cli(cli_app, "users", "create", "mlopez", "--name", "Maria Lopez", "--role", "billing")
    assert created.exit_code == 0, created.output
    assert roles_of(cli_app, "mlopez") == ["billing"]

    def entries():
        return [(e.username, e.action) for e in AuditEvent.select().where(AuditEvent.action.startswith("user."))
                .order_by(AuditEvent.seq)]
    assert in_db(cli_app, entries) == [("cli", "user.roles.refused"), ("cli", "user.roles.refused"),
                                       ("cli", "user.roles"), ("cli", "user.create")]
