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


def _toml(path):
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_every_plugin_installs_as_an_extra_the_guide_names():
    extras = _toml(repository_root() / "pyproject.toml")["project"]["optional-dependencies"]
    for plugin in sorted((repository_root() / "plugins").glob("*/pyproject.toml")):
        name = _toml(plugin)["project"]["name"]
        extra = name.removeprefix("medoffice-")
        assert any(req.startswith(name) for req in extras.get(extra, [])), f"no extra [{extra}] installs {name}"
    named = {e.strip() for group in re.findall(r'"medoffice\[([a-z,]+)\]', DEPLOY) for e in group.split(",")}
    assert "billing" in named and named <= set(extras), named - set(extras)


def test_install_and_upgrade_commands_take_the_wheels_from_the_release_folder():
    found = set(re.findall(r'pip(?:\.exe)? install (-U )?--find-links ([^\s<]+) "medoffice\[', DEPLOY))
    folders = {folder for _upgrade, folder in found}
    assert len(folders) >= 2, folders  # Linux and Windows
    # upgrading is the same command with -U, for every system
    assert found == {(upgrade, folder) for folder in folders for upgrade in ("", "-U ")}, found
    assert "make dist" in DEPLOY
    assert re.search(r"^dist:", (repository_root() / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)


def test_the_services_run_the_virtual_environment_the_install_made():
    linux_venv = re.search(r"python3 -m venv (\S+)", DEPLOY).group(1)
    assert re.search(r"^ +ExecStart=(\S+)/bin/medoffice serve", DEPLOY, re.MULTILINE).group(1) == linux_venv
    windows_venv = re.search(r"py -3 -m venv (\S+)", DEPLOY).group(1)
    executable = re.search(r"<executable>(.+)\\Scripts\\medoffice\.exe</executable>", DEPLOY).group(1)
    assert executable == windows_venv
