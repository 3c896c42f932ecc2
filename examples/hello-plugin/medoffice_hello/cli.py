"""``medoffice hello add|count``: the plugin's commands (refused while hello is turned off)."""
from __future__ import annotations

import click

from medoffice.cli.context import echo_json, with_app

from .greetings import add_greeting, count_since


@click.group("hello")
def hello():
    """Leave and count greetings."""


@hello.command("add")
@click.argument("message")
@with_app
def add(message):
    """Leave a greeting for the team."""
    message = message.strip()
    if not message:
        raise click.ClickException("the greeting is empty")
    greeting = add_greeting(message)
    click.echo(f"Saved greeting {greeting.id}.")


@hello.command("count")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app
def count(as_json):
    """Print how many greetings there are."""
    total = count_since()
    if as_json:
        echo_json({"greetings": total})
    else:
        click.echo(f"{total} greeting{'' if total == 1 else 's'}.")
