"""``medoffice demo`` (load demo data once) and ``medoffice demo-instance`` (the one-shot of ``make run``)."""
from __future__ import annotations

import os

import click

from .. import config
from .context import build_app, with_app

SIZE = click.Choice(["small", "large"])


def _load(app, size: str, seed: int) -> None:
    from ..demo import DEMO_PASSWORD, AlreadyLoaded, DemoRefused, instance_counts, load_demo

    try:
        plugins = load_demo(app, size, seed)
    except AlreadyLoaded as exc:
        click.echo(f"Demo data not loaded again: {exc}.")
        return
    except DemoRefused as exc:
        raise click.ClickException(f"demo data refused: {exc}") from None
    counts = instance_counts()
    click.echo(f"Loaded the {size} demo data ({', '.join(plugins)}): {counts['patients']} patients, "
               f"{counts['staff']} staff, {counts['locations']} locations.")
    click.echo(f"Demo logins: frontdesk, biller, manager; password {DEMO_PASSWORD} (for demonstrations only).")


def register(main: click.Group) -> None:
    """Add the demo commands."""

    @main.command()
    @click.option("--size", type=SIZE, default="small", show_default=True,
                  help="small: a quick tour; large: 50,000 patients for benchmarks.")
    @click.option("--seed", type=int, default=2026, show_default=True, help="Random seed (same seed, same data).")
    @with_app
    def demo(size, seed):
        """Fill the instance with a fictional practice, through every enabled module (once)."""
        _load(build_app(click.get_current_context()), size, seed)

    @main.command("demo-instance")
    @click.option("--size", type=SIZE, default="small", show_default=True)
    @click.option("--seed", type=int, default=2026, show_default=True)
    @click.option("--admin-user", default="admin", show_default=True,
                  help="Admin login to create (password: MEDOFFICE_ADMIN_PASSWORD, else the demo password).")
    @click.option("--database-url", envvar="MEDOFFICE_DATABASE_URL",
                  help="postgresql://... for a new instance (default: SQLite in the instance).")
    @click.option("--url", default="http://127.0.0.1:8400/", show_default=True,
                  help="The address `medoffice serve` will answer on (printed for the login).")
    @click.option("--without", "without", multiple=True, metavar="PLUGIN",
                  help="An installed plugin to leave out of the demo practice (turned off; repeatable), "
                       "such as the example plugin hello.")
    @click.pass_context
    def demo_instance(ctx, size, seed, admin_user, database_url, url, without):
        """Set up a ready-to-try instance: initialize it if missing, an admin, the demo data."""
        from ..auth import privileges
        from ..demo import DEMO_PASSWORD
        from ..models import User
        from ..auth.passwords import policy_problems
        from ..tasks import app_thread_context

        inst = config.instance_path(ctx.find_root().obj.get("instance"))
        if not (inst / config.CONFIG_NAME).exists():
            config.write_new(inst, None, database_url)
            click.echo(f"Created instance {inst}.")
        app = build_app(ctx)
        login = f"log in as {admin_user}"
        with app_thread_context(app):
            runtime = app.extensions["medoffice"]
            for name in without:
                if name in runtime.host.plugins:
                    runtime.disable(name, by="demo-instance")
            if User.select().where(User.username == admin_user).exists():
                login += " (an existing account: its password was not changed)"
            else:
                password = os.environ.get("MEDOFFICE_ADMIN_PASSWORD")
                if password:
                    problems = policy_problems(password, admin_user, "Administrator")
                    if problems:
                        raise click.ClickException("MEDOFFICE_ADMIN_PASSWORD refused: " + " ".join(problems))
                    login += " with the password in MEDOFFICE_ADMIN_PASSWORD"
                else:
                    password = DEMO_PASSWORD
                    login += f" with the password {DEMO_PASSWORD}"
                    click.secho(f"WARNING: {admin_user} gets the published demo password {DEMO_PASSWORD}. "
                                "Use this instance for demonstrations only, never for real patients; "
                                "set MEDOFFICE_ADMIN_PASSWORD to choose a password.", fg="yellow", err=True)
                privileges.create_account(privileges.OPERATOR, admin_user, "Administrator", password, ["admin"])
                click.echo(f"Created admin user {admin_user}.")
            _load(app, size, seed)
        click.echo(f"Open {url} and {login}.")
