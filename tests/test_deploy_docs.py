"""docs/deploy.md matches the program: every command and option it tells IT to type exists."""
from __future__ import annotations

import re

import click
import pytest

from medoffice.cli import main
from medoffice.testing import repository_root

DEPLOY = (repository_root() / "docs" / "deploy.md").read_text(encoding="utf-8")
# `medoffice ...` in code spans, on an indented command line, or after a venv's bin/
COMMAND = re.compile(r"(?:^ {4,}|`|/bin/)medoffice((?:[ \t]+--instance[ \t]+\S+)?)[ \t]+([a-z][a-z-]*)"
                     r"(?:[ \t]+([a-z][a-z-]*))?([^`\n]*)", re.MULTILINE)


# the table of serve's variants shows them without the program name
SERVE_SPAN = re.compile(r"`serve((?: [^`]*)?)`")


def _options(text: str) -> list[str]:
    return re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", text)


def documented_commands() -> list[tuple[str, str | None, list[str]]]:
    found = [(name, sub or None, _options(rest)) for _instance, name, sub, rest in COMMAND.findall(DEPLOY)]
    return found + [("serve", None, _options(rest)) for rest in SERVE_SPAN.findall(DEPLOY)]


def test_the_guide_shows_commands():
    names = {name for name, _sub, _opts in documented_commands()}
    assert {"serve", "backup", "restore", "doctor", "copy-to-postgresql", "scheduler", "init"} <= names


@pytest.mark.parametrize("name, sub, options", documented_commands(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_documented_command_exists_with_its_options(name, sub, options):
    ctx = click.Context(main)
    command = main.get_command(ctx, name)
    assert command is not None, f"docs/deploy.md shows `medoffice {name}`, which does not exist"
    if isinstance(command, click.Group) and sub:
        command = command.get_command(ctx, sub)
        assert command is not None, f"docs/deploy.md shows `medoffice {name} {sub}`, which does not exist"
    known = {opt for param in command.params for opt in param.opts} | {"--help"}
    for option in options:
        assert option in known, f"docs/deploy.md shows `medoffice {name} {option}`, which does not exist"


@pytest.mark.parametrize("key", ["backup_dir", "tls_cert", "tls_key", "database_url", "backup_key", "secret_key"])
def test_documented_config_keys_are_read(key):
    assert f"{key} =" in DEPLOY or f"`{key}`" in DEPLOY
    source = "\n".join(p.read_text(encoding="utf-8") for p in (repository_root() / "core" / "medoffice").rglob("*.py"))
    assert f'"{key}"' in source, f"docs/deploy.md documents {key}, which nothing reads"
