"""Scratch instances for the benchmarks that write: a copy of an instance (the large demo) or a new one, removed
afterwards unless the caller named its folder."""
from __future__ import annotations

import argparse
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--instance``, ``--from-instance`` and ``--database-url``, as every writing benchmark takes them."""
    parser.add_argument("--instance", type=Path, help="a new folder for the scratch instance")
    parser.add_argument("--from-instance", help="start from a copy of this SQLite instance (e.g. the large demo)")
    parser.add_argument("--database-url", help="postgresql://... of a scratch database (default: SQLite)")


def check_arguments(parser: argparse.ArgumentParser, args) -> None:
    """Refuse a copy of a SQLite instance together with a PostgreSQL database."""
    if args.from_instance and args.database_url:
        parser.error("--from-instance copies a SQLite instance; with --database-url, load the data there first")


@contextmanager
def scratch_instance(args, prefix: str):
    """(folder, app configuration) of the scratch instance: a copy of ``--from-instance`` when given, else a new
    one (on ``--database-url`` when given); a temporary folder is removed afterwards (a copy of the large demo is
    most of a gigabyte)."""
    instance = args.instance or Path(tempfile.mkdtemp(prefix=prefix))
    config = {}
    if args.from_instance:
        instance.mkdir(parents=True, exist_ok=True)
        for name in ("medoffice.toml", "medoffice.sqlite3"):
            shutil.copy2(Path(args.from_instance) / name, instance / name)
    else:
        config = {"SECRET_KEY": "benchmark", "BACKUP_KEY": "benchmark-backup-key-0123456789abcdefghij"}
        if args.database_url:
            config["DATABASE_URL"] = args.database_url
    try:
        yield instance, config
    finally:
        if not args.instance:
            shutil.rmtree(instance, ignore_errors=True)
