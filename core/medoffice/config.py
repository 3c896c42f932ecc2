"""The instance: a folder holding the configuration, the SQLite database, backups and logs.

Chosen with ``--instance PATH`` or ``MEDOFFICE_INSTANCE`` (default ``./instance``).
``medoffice.toml`` in it holds the secret key, the backup key and optional settings.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

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
    instance.mkdir(parents=True, exist_ok=True)
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
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return load(instance)
