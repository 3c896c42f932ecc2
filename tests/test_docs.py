"""The plugin guide matches the code: every hook documented, the right entry-point group, imports that exist."""
from __future__ import annotations

import ast
import importlib
import re
import tomllib

import pytest

from medoffice import hookspecs
from medoffice.plugins import ENTRY_POINT_GROUP
from medoffice.testing import repository_root

ROOT = repository_root()
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def hookspec_names() -> list[str]:
    """Every hook core declares (functions carrying pluggy's spec marker)."""
    return sorted(name for name, obj in vars(hookspecs).items()
                  if callable(obj) and hasattr(obj, "medoffice_spec"))


def code_blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def headings(text: str) -> list[str]:
    outside_code = FENCE.sub("", text)
    return [line for line in outside_code.splitlines() if line.startswith("#")]


def test_hookspecs_are_found():
    assert "medoffice_nav_items" in hookspec_names() and len(hookspec_names()) >= 17


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hookspec_has_a_section_in_the_guide(hook):
    sections = [h for h in headings(GUIDE) if re.search(rf"\b{hook}\b", h)]
    assert sections, f"docs/plugins.md has no heading for the hook {hook}"
    body = GUIDE.split(sections[0], 1)[1]
    body = re.split(r"^#{1,4} ", body, maxsplit=1, flags=re.MULTILINE)[0]
    assert "**When**" in body, f"the section on {hook} does not say when it is called"
    assert f"def {hook}(" in body, f"the section on {hook} has no example implementing it"


def test_hook_headings_show_the_real_parameters():
    for hook in hookspec_names():
        params = list(getattr(hookspecs, hook).__code__.co_varnames[
            :getattr(hookspecs, hook).__code__.co_argcount])
        heading = next((h for h in headings(GUIDE) if re.search(rf"\b{hook}\b", h)), "")
        assert heading.rstrip().endswith(f"{hook}({', '.join(params)})"), heading


def test_the_documented_entry_point_group_is_the_one_core_reads():
    groups = set(re.findall(r'\[project\.entry-points\."([^"]+)"\]', GUIDE))
    assert groups == {ENTRY_POINT_GROUP}
    for block in code_blocks(GUIDE, "toml"):
        parsed = tomllib.loads(block)
        assert set(parsed["project"]["entry-points"]) == {ENTRY_POINT_GROUP}
    example = tomllib.loads((ROOT / "examples" / "hello-plugin" / "pyproject.toml").read_text())
    assert example["project"]["entry-points"][ENTRY_POINT_GROUP] == {"hello": "medoffice_hello.plugin"}


@pytest.mark.parametrize("document", ["plugins.md", "architecture.md"])
def test_python_examples_parse_and_import_only_names_that_exist(document):
    text = (ROOT / "docs" / document).read_text(encoding="utf-8")
    blocks = code_blocks(text, "python")
    assert blocks or document == "architecture.md"
    for block in blocks:
        tree = ast.parse(block)  # every example is valid Python
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] in (
                    "medoffice", "medoffice_hello"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or _is_submodule(node.module, alias.name), (
                        f"{document}: `from {node.module} import {alias.name}` does not exist")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "medoffice":
                        importlib.import_module(alias.name)


def _is_submodule(package: str, name: str) -> bool:
    try:
        importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError:
        return False
    return True


def test_documented_fixtures_exist():
    import medoffice.testing as testing

    testing_section = GUIDE.split("## Testing your plugin", 1)[1].split("\n## ", 1)[0]
    for name in re.findall(r"^\| `(\w+)", testing_section, re.MULTILINE):
        assert hasattr(testing, name), f"docs/plugins.md documents a fixture {name} that does not exist"


def test_paths_named_in_the_docs_exist():
    for text in (GUIDE, ARCHITECTURE):
        for path in re.findall(r"`((?:core/medoffice|examples|tests|docs)/[\w./-]+)`", text):
            assert (ROOT / path.rstrip("/")).exists(), f"the docs name {path}, which does not exist"


def test_the_hook_reference_is_the_one_the_hookspec_docstrings_give():
    from medoffice import hook_reference

    assert hook_reference.current_block(GUIDE) == hook_reference.block(), \
        "the hook reference in docs/plugins.md is stale: run python -m medoffice.hook_reference docs/plugins.md"
    assert all(f"| `{hook}(" in GUIDE for hook in hookspec_names())


def test_the_hook_reference_rewrites_a_stale_table_and_keeps_the_rest(tmp_path):
    from medoffice import hook_reference

    guide = tmp_path / "plugins.md"
    guide.write_text(f"Before\n{hook_reference.START}\n| old |\n{hook_reference.END}\nAfter\n", encoding="utf-8")
    assert hook_reference.rewrite(guide) is True
    assert guide.read_text(encoding="utf-8") == f"Before\n{hook_reference.block()}\nAfter\n"
    assert hook_reference.rewrite(guide) is False
