"""The instance: a folder holding the configuration, the SQLite database, backups and logs.

Chosen with ``--instance PATH`` or ``MEDOFFICE_INSTANCE`` (default ``./instance``).
``medoffice.toml`` in it holds the secret key, the backup key and optional settings.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import tomllib
from pathlib import Path

from .filemodes import create_private_file, private_dir

CONFIG_NAME = "medoffice.toml"


def instance_path(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the instance folder from an explicit path, the environment, or ./instance."""
    chosen = explicit or os.environ.get("MEDOFFICE_INSTANCE") or "instance"
    return Path(chosen).expanduser().resolve()


def load(instance: Path) -> dict:
    """Read ``medoffice.toml`` (empty dict when the instance is not initialized yet)."""
    path = instance / CONFIG_NAME
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def write_new(instance: Path, plugins: list[str] | None = None,
              database_url: str | None = None) -> dict:
    """Create the instance folder and a fresh ``medoffice.toml`` with generated keys.

    Refuses to overwrite an existing configuration (its keys protect the data and backups).
    """
    private_dir(instance)
    path = instance / CONFIG_NAME
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    values = {
        "secret_key": secrets.token_hex(32),
        "backup_key": secrets.token_urlsafe(32),
    }
    lines = [f'{k} = "{v}"' for k, v in values.items()]
    if database_url:
        lines.append(f'database_url = "{database_url}"')
    if plugins is not None:
        lines.append("plugins = [" + ", ".join(f'"{p}"' for p in plugins) + "]")
    _write_private(path, "\n".join(lines) + "\n")
    return load(instance)


def adopt_backup_key(instance: Path, backup_key: str) -> bool:
    """Make ``backup_key`` the instance's backup key (after restoring a backup made with it).

    The restored database's audit trail is keyed from that key, and its backups should stay
    readable with it. The key it replaces stays in the file as a comment, for the archives this
    instance made before. :return: False when the instance already had this key.
    """
    path = instance / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    current = tomllib.loads(text).get("backup_key")
    if current == backup_key:
        return False
    line = f"backup_key = {json.dumps(backup_key)}"
    pattern = re.compile(r"^backup_key\s*=.*$", re.MULTILINE)
    if pattern.search(text):
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        replaced = f"# backup_key before a restore on {stamp}: {json.dumps(current)}\n{line}"
        text = pattern.sub(lambda _match: replaced, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + line + "\n"
    _write_private(path, text)
    return True


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` (0600 from the start) through a temporary file and a rename."""
    temp = path.with_name(f".{path.name}.new")
    temp.unlink(missing_ok=True)
    create_private_file(temp)
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
