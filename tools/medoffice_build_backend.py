"""Build backend of the core distribution: setuptools' own, refusing to build without the front-end files.

The npm-built files the page layout loads (htmx) are not in git: ``make assets`` writes them and
their ``MANIFEST.json`` into ``core/medoffice/static/vendor/``. A wheel built without them would
install a server whose pages answer 200 with htmx dead, so ``build_wheel`` and ``build_sdist``
first run core's own check (``core/medoffice/assets.py``, loaded by path: core's dependencies are
not installed in the build environment) and stop with a message saying how to build them.
Editable installs (``pip install -e .``, before ``make assets`` in ``make setup``) are not checked.

This is setuptools' documented way to extend its backend: an in-tree backend module
(``backend-path`` in pyproject.toml) that wraps ``setuptools.build_meta``.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F401,F403 (every other hook unchanged)

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGE = ROOT / "core" / "medoffice"


def _asset_problems() -> list[str]:
    spec = importlib.util.spec_from_file_location("_medoffice_assets", CORE_PACKAGE / "assets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module.verify(CORE_PACKAGE).problems


def require_assets() -> None:
    """Stop the build, with how to fix it, when the layout's files or the npm build are missing."""
    problems = _asset_problems()
    if problems:
        raise SystemExit(
            "medoffice cannot be built without its front-end files:\n"
            + "".join(f"  - {problem}\n" for problem in problems)
            + "Build them first with `make assets` (needs Node.js and npm: it installs package-lock.json's\n"
              "packages and copies them into core/medoffice/static/vendor/ with a MANIFEST.json), or run\n"
              "`make dist`, which does that and then builds every wheel into dist/.\n")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """setuptools' build_wheel, after the asset check."""
    require_assets()
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    """setuptools' build_sdist, after the asset check (the sdist carries the built files)."""
    require_assets()
    return build_meta.build_sdist(sdist_directory, config_settings)
