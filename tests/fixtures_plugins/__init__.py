"""Small plugins for the plugin-host tests, registered with ``make_app(extra=[module])``.

Each is its own package because the host finds templates, static files and migrations next
to the plugin module. ``alpha`` publishes a hook that ``beta`` implements; ``beta`` requires
``alpha``; the others are broken in one specific way each.
"""
from pathlib import Path


def write_instance_config(app) -> Path:
    """Write ``medoffice.toml`` for a test app's instance so the CLI can open the same database.

    ``make_app`` passes keys as config overrides; a CLI process reads them from the instance.
    """
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    lines = [f'secret_key = "{app.config["SECRET_KEY"]}"', f'backup_key = "{app.config["BACKUP_KEY"]}"']
    if app.config.get("DATABASE_URL"):
        lines.append(f'database_url = "{app.config["DATABASE_URL"]}"')
    (instance / "medoffice.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (instance / "medoffice.toml").chmod(0o600)  # as `medoffice init` writes it (doctor checks)
    return instance
