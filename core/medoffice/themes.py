"""Themes: ``themes/<name>/templates`` and ``static`` override core and plugin files.

The active theme is the practice setting ``core.theme``; switching it clears the template
cache (in every process, through the state version), so no restart is needed.
"""
from __future__ import annotations

import os
import sysconfig
from functools import cache
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader, TemplateNotFound

DEFAULT_THEME = "default"


@cache
def _installed_themes() -> Path:
    # the environment's data folder does not move while the process runs; finding it costs a tenth of a millisecond
    return Path(sysconfig.get_path("data")) / "share" / "medoffice" / "themes"


def theme_dirs(instance: Path) -> list[Path]:
    """Folders searched for themes: the instance's own, then MEDOFFICE_THEMES, then the checkout's (a
    development install) or the installed package's (``share/medoffice/themes`` of its environment)."""
    dirs = [instance / "themes"]
    if os.environ.get("MEDOFFICE_THEMES"):
        dirs.append(Path(os.environ["MEDOFFICE_THEMES"]))
    dirs.append(Path(__file__).resolve().parents[2] / "themes")
    dirs.append(_installed_themes())
    return [d for d in dirs if d.is_dir()]


def available(instance: Path) -> list[str]:
    """Names of the themes that can be chosen."""
    names = {p.name for d in theme_dirs(instance) for p in d.iterdir() if p.is_dir()}
    return sorted(names | {DEFAULT_THEME})


def theme_path(instance: Path, name: str) -> Path | None:
    """The folder of theme ``name``, or None when it is not installed."""
    for d in theme_dirs(instance):
        if (d / name).is_dir():
            return d / name
    return None


class ThemeLoader(BaseLoader):
    """Loads templates from the active theme's ``templates`` folder, if it has the file."""

    def __init__(self, instance: Path, active):
        self.instance = instance
        self.active = active

    def get_source(self, environment, template):
        path = theme_path(self.instance, self.active())
        if path is None or not (path / "templates").is_dir():
            raise TemplateNotFound(template)
        return FileSystemLoader(str(path / "templates")).get_source(environment, template)


def build_loader(instance: Path, active, core_loader, plugin_dirs: list[Path]) -> ChoiceLoader:
    """Theme first, then core, then plugins; ``default:name`` skips the theme (for extending)."""
    base = ChoiceLoader([core_loader, *[FileSystemLoader(str(d)) for d in plugin_dirs]])
    return ChoiceLoader([ThemeLoader(instance, active), base, PrefixLoader({"default": base}, ":")])
