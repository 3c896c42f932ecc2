"""``medoffice plugins new NAME``: write a complete plugin distribution to start from.

The distribution holds a pyproject with the entry point, the plugin module, a model and its first
migration, a list page and a form (native tables and forms, CSRF on), two permissions, a nav item,
a report, tests (the contract test and behaviour tests through medoffice's pytest plugin, with CSRF
on) and a README. Its tests pass as written; the author renames ``Item`` and grows it from there.
The files are in ``template/``, with ``$name``-style placeholders (``string.Template``).
"""
from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).with_name("template")
NAME_RULE = re.compile(r"[a-z][a-z0-9_]{1,29}")
RESERVED = frozenset({"core", "medoffice", "static", "test", "tests"})


class ScaffoldError(ValueError):
    """The plugin cannot be written (a bad name, or the folder exists)."""


def check_name(name: str) -> None:
    """Refuse a name that cannot prefix tables, permissions and endpoints.

    :raises ScaffoldError: with the sentence that says why.
    """
    if not NAME_RULE.fullmatch(name) or name.endswith("_") or "__" in name:
        raise ScaffoldError(f"{name!r} cannot be a plugin name: use 2 to 30 lowercase letters, digits "
                            "and single underscores, starting with a letter (it prefixes tables, "
                            "permissions and URLs)")
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved; choose another name")


def _core_requirement() -> str:
    """``medoffice>=X.Y,<X+1``: the installed core's major, as the project pins its dependencies."""
    major, minor = (int(part) for part in importlib.metadata.version("medoffice").split(".")[:2])
    return f"medoffice>={major}.{minor},<{major + 1}"


def new_plugin(name: str, directory: Path, title: str | None = None) -> Path:
    """Write the distribution ``medoffice-<name>`` into ``directory``; returns its folder.

    :raises ScaffoldError: the name is not usable or the folder already exists.
    """
    check_name(name)
    root = Path(directory) / f"medoffice-{name.replace('_', '-')}"
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another folder or name")
    values = {"name": name, "package": f"medoffice_{name}", "dist": f"medoffice-{name.replace('_', '-')}",
              "Title": title or name.replace("_", " ").title(), "requirement": _core_requirement()}
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")  # drop .tmpl
        parts = [Template(part).substitute(values) for part in relative.parts]
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return root
