"""``medoffice init`` and ``medoffice users create|set-roles``.

Accounts and roles change through ``medoffice.auth.privileges`` as the instance's operator
(``privileges.OPERATOR``, audited as ``cli``), under the same rules as the admin pages.
"""
from __future__ import annotations

import os

import click

from .. import config
from ..auth import privileges
from ..auth.accounts import SEEDED_ROLES
from ..auth.passwords import policy_problems
from ..models import User
from .context import build_app, with_app


def _password_from_env_or_prompt(username: str, full_name: str) -> str:
    password = os.environ.get("MEDOFFICE_ADMIN_PASSWORD")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = policy_problems(password, username, full_name)
    if problems:
        raise click.ClickException("password refused: " + " ".join(problems))
    return password


def register(main: click.Group) -> None:
    """Add the instance and user commands."""

    @main.command()
    @click.option("--admin-user", help="Create this first admin (password from MEDOFFICE_ADMIN_PASSWORD).")
    @click.option("--admin-name", default="Administrator", show_default=True)
    @click.option("--database-url", envvar="MEDOFFICE_DATABASE_URL", help="postgresql://... (default: SQLite in the instance)")
    @click.option("--plugins", help="Comma-separated modules to enable at first boot (default: all installed).")
    @click.pass_context
    def init(ctx, admin_user, admin_name, database_url, plugins):
        """Create the instance folder, its keys and database, and the first admin."""
        inst = config.instance_path(ctx.find_root().obj.get("instance"))
        if (inst / config.CONFIG_NAME).exists():
            click.echo(f"Instance {inst} exists; keeping its configuration and keys.")
        else:
            wanted = [p.strip() for p in plugins.split(",") if p.strip()] if plugins else None
            config.write_new(inst, wanted, database_url)
            click.echo(f"Created instance {inst}.")
            click.secho(f"The backup key is in {inst / config.CONFIG_NAME}. Store a copy somewhere safe "
                        "(not on this computer): without it, backups cannot be restored.", fg="yellow")
        app = build_app(ctx)
        if admin_user:
            from ..db import db

            with app.app_context():
                db.connect(reuse_if_open=True)
                try:
                    if User.select().where(User.username == admin_user).exists():
                        click.echo(f"User {admin_user} exists; not changed.")
                    else:
                        password = _password_from_env_or_prompt(admin_user, admin_name)
                        privileges.create_account(privileges.OPERATOR, admin_user, admin_name, password, ["admin"])
                        click.echo(f"Created admin user {admin_user}.")
                finally:
                    db.close()

    @main.group()
    def users():
        """Manage login accounts."""

    @users.command("create")
    @click.argument("username")
    @click.option("--name", "full_name", required=True, help="The person's full name.")
    @click.option("--role", "roles", multiple=True, type=click.Choice(sorted(SEEDED_ROLES)), required=True)
    @click.option("--email", default="")
    @with_app
    def users_create(username, full_name, roles, email):
        """Create a user (password from MEDOFFICE_ADMIN_PASSWORD or a prompt)."""
        if User.select().where(User.username == username).exists():
            raise click.ClickException(f"user {username} already exists")
        password = _password_from_env_or_prompt(username, full_name)
        try:
            privileges.create_account(privileges.OPERATOR, username, full_name, password, roles, email=email)
        except privileges.PrivilegeError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created user {username} ({', '.join(roles)}).")

    @users.command("set-roles")
    @click.argument("username")
    @click.option("--role", "roles", multiple=True, help="A role the user is to hold (repeat; none: no roles).")
    @with_app
    def users_set_roles(username, roles):
        """Give a user exactly these roles (for instance when the only administrator needs another
        role: nobody changes their own roles on the admin pages)."""
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"no user {username}")
        try:
            before, after = privileges.assign_roles(privileges.OPERATOR, user, roles)
        except privileges.PrivilegeError as exc:
            raise click.ClickException(str(exc)) from None
        if before == after:
            click.echo(f"{username} already holds {', '.join(after) or 'no roles'}.")
        else:
            click.echo(f"{username}: {', '.join(before) or 'no roles'} -> {', '.join(after) or 'no roles'}.")
