"""The front-end files the page layout loads: which they are, the build manifest, their verification.

The layout loads a few static files, named in ``templates/core/_assets.html``; the npm-built ones (htmx)
are copied into ``static/vendor/`` by ``make assets``, which also writes ``static/vendor/MANIFEST.json``
with each copied file's SHA-256 and the npm package and version the lock file installed. Those
files are not in git, so an installation without them answers every page with 200 while htmx is
dead. ``verify`` finds that: every file the layout references must exist, and every file of the
manifest must match its recorded checksum. It runs at start-up (logged), in ``medoffice doctor``,
on ``/healthz`` and in the build backend (``tools/medoffice_build_backend.py``), which loads this
file by path: it uses only the standard library and Jinja2.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
LAYOUT = Path("templates", "core", "_assets.html")  # the layout's part that loads them
VENDOR = "vendor"
MANIFEST = f"{VENDOR}/MANIFEST.json"
# How an asset reference looks in the layout: fixed_url('static', filename='css/medoffice.css').
URL_FUNCTIONS = {"fixed_url", "url_for"}
REMEDY = ("Reinstall medoffice from the wheels built by `make dist` (see docs/deploy.md); "
          "in a source checkout, run `make assets` (needs Node.js and npm).")

log = logging.getLogger("medoffice.assets")


@dataclass
class AssetReport:
    """What ``verify`` found: the files it checked, the manifest's packages, and every problem."""

    checked: list[str] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every referenced file is present and every manifest file matches."""
        return not self.problems

    def summary(self) -> str:
        """One line for doctor and the log."""
        if self.problems:
            return "; ".join(self.problems) + ". " + REMEDY
        built = ", ".join(f"{name} {version}" for name, version in sorted(self.packages.items()))
        return (f"the {len(self.checked)} files the page layout loads are present"
                + (f"; the npm-built ones match the build manifest ({built})" if built else ""))


def referenced_assets(layout_source: str) -> list[str]:
    """Static file names the layout loads through ``fixed_url('static', filename=...)`` or ``url_for``."""
    from jinja2 import Environment, nodes

    found = []
    for call in Environment().parse(layout_source).find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name in URL_FUNCTIONS):
            continue
        if not (call.args and isinstance(call.args[0], nodes.Const) and call.args[0].value == "static"):
            continue
        for keyword in call.kwargs:
            if keyword.key == "filename" and isinstance(keyword.value, nodes.Const):
                found.append(keyword.value.value)
    return sorted(set(found))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(package_dir: Path | None = None) -> AssetReport:
    """Check the layout's static files and the build manifest of an installed (or source) package."""
    package_dir = package_dir or PACKAGE_DIR
    static = package_dir / "static"
    report = AssetReport(checked=referenced_assets((package_dir / LAYOUT).read_text(encoding="utf-8")))
    recorded: dict = {}
    try:
        recorded = json.loads((static / MANIFEST).read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        report.problems.append(f"static/{MANIFEST} is missing: the npm-built front-end files were never built")
    except (ValueError, KeyError, TypeError):
        report.problems.append(f"static/{MANIFEST} is unreadable")
    for name in sorted(set(report.checked) | set(recorded)):
        path = static / name
        entry = recorded.get(name)
        if not path.is_file():
            report.problems.append(f"static/{name} is missing")
        elif entry is not None:
            report.packages[entry["package"]] = entry["version"]
            if file_sha256(path) != entry["sha256"]:
                report.problems.append(f"static/{name} was altered: its SHA-256 does not match the build manifest")
        elif name.startswith(VENDOR + "/") and recorded:
            report.problems.append(f"static/{name} is not in the build manifest")
    return report


def log_problems_at_start() -> AssetReport:
    """Verify the installed package's assets and log every problem as an error (start-up never fails on it)."""
    report = verify()
    if not report.ok:
        log.error("FRONT-END FILES MISSING OR ALTERED: pages will load without them (htmx dead: no "
                  "search, inline edits or htmx forms). %s", report.summary())
    return report


def vendor_from_npm(root: Path, static: Path) -> dict:
    """Copy the files package.json's ``vendorFiles`` names out of ``node_modules`` and write the manifest.

    ``vendorFiles`` maps a name under ``static/vendor/`` to a path under ``node_modules``
    (``"htmx.min.js": "htmx.org/dist/htmx.min.js"``); each file's package and version come from
    ``package-lock.json``, the install ``npm ci`` made.
    """
    wanted = json.loads((root / "package.json").read_text(encoding="utf-8"))["vendorFiles"]
    locked = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    (static / VENDOR).mkdir(parents=True, exist_ok=True)
    files = {}
    for name, source in sorted(wanted.items()):
        parts = source.split("/")
        package = "/".join(parts[:2] if source.startswith("@") else parts[:1])
        lock_entry = locked[f"node_modules/{package}"]
        target = static / VENDOR / name
        _replace(target, (root / "node_modules" / source).read_bytes())
        files[f"{VENDOR}/{name}"] = {"sha256": file_sha256(target), "package": package,
                                     "version": lock_entry["version"], "source": source,
                                     "integrity": lock_entry.get("integrity")}
    manifest = {"built_from": "package-lock.json", "lockfile_sha256": file_sha256(root / "package-lock.json"),
                "files": files}
    _replace(static / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return manifest


def _replace(target: Path, content: bytes) -> None:
    # a running server may be reading the file: it sees the old bytes or the new, never half
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, target)


def main(argv: list[str]) -> int:
    """``python -m medoffice.assets vendor ROOT STATIC`` (``make assets``) or ``check [PACKAGE_DIR]``."""
    if len(argv) == 3 and argv[0] == "vendor":
        manifest = vendor_from_npm(Path(argv[1]), Path(argv[2]))
        print(f"wrote {argv[2]}/{MANIFEST}: " + ", ".join(manifest["files"]))
        return 0
    if argv[:1] == ["check"] and len(argv) <= 2:
        report = verify(Path(argv[1]) if len(argv) == 2 else None)
        print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
        return 0 if report.ok else 1
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
