"""Helpers for commands that need the app: build it once per command, connect the database."""
from __future__ import annotations

import functools
import json

import click

from ..db import db


def build_app(ctx: click.Context, **overrides):
    """Build (and cache on the click context) the app for the chosen instance."""
    root = ctx.find_root()
    root.obj = root.obj or {}
    if "app" not in root.obj:
        from ..app import create_app

        try:
            root.obj["app"] = create_app(root.obj.get("instance"), **overrides)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
    return root.obj["app"]


def with_app(func):
    """Run a command inside the app context with the database connected.

    A plugin's command refuses to run while that plugin is disabled.
    """

    @functools.wraps(func)
    @click.pass_context
    def wrapper(ctx, *args, **kwargs):
        app = build_app(ctx)
        runtime = app.extensions["medoffice"]
        owner = runtime.host.owner_of(func)
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                if owner and not runtime.host.is_enabled(owner):
                    raise click.ClickException(f"the {owner} module is turned off; enable it with "
                                               f"`medoffice plugins enable {owner}`")
                return func(*args, **kwargs)
            finally:
                if not db.is_closed():
                    db.close()

    return wrapper


def echo_json(data) -> None:
    """Print ``data`` as JSON (for IT scripts)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
