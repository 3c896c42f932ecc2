"""``medoffice init`` and ``medoffice users create``."""
from __future__ import annotations

import os

import click

from .. import audit, config
from ..accounts import SEEDED_ROLES, create_user
from ..models import User
from ..passwords import policy_problems
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
                        user = create_user(admin_user, admin_name, password, ["admin"])
                        audit.record("user.create", "user", user.id, username="cli",
                                     detail={"username": admin_user, "roles": ["admin"]})
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
        user = create_user(username, full_name, password, list(roles), email)
        audit.record("user.create", "user", user.id, username="cli",
                     detail={"username": username, "roles": list(roles)})
        click.echo(f"Created user {username} ({', '.join(roles)}).")
