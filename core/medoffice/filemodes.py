"""Private files: the instance folder is 0700 and every file medoffice creates in it 0600,
whatever the umask of the process that creates them.

The database (and the ``-wal``/``-shm`` files SQLite makes beside it, which take the database
file's mode), the pre-migration copies, the anchor file, lock files and backups all hold or
describe patient data. ``medoffice`` also sets the process umask to 077 when it starts, so what
a library creates on its own is private too; the functions here make that hold when the app is
built by other means (a test, another WSGI server).
"""
from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
PROCESS_UMASK = 0o077


def restrict_umask() -> None:
    """Make everything this process creates from now on private to its account."""
    os.umask(PROCESS_UMASK)


def private_dir(path: Path, *, enforce: bool = False) -> Path:
    """Create ``path`` and its missing parents, each with mode 0700.

    :param enforce: also set 0700 when the folder already existed (for folders that hold
        plaintext, such as the backup working folder); otherwise an existing folder is left as
        the administrator made it (``medoffice doctor`` reports it when it is too open).
    """
    missing = []
    folder = path
    while not folder.is_dir():  # mkdir(parents=True) would make the parents with the umask's mode
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is reduced by the umask, never widened to exactly 0700
    if enforce and not missing:
        os.chmod(path, DIR_MODE)
    return path


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True when it was created now.

    Used before a library (SQLite, pg_dump) writes to the file, so it never exists with wider
    permissions, not even for a moment.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        if os.name == "posix":
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def open_private_append(path: Path) -> int:
    """A file descriptor appending to ``path``, which is created 0600 if missing."""
    create_private_file(path)
    return os.open(path, os.O_WRONLY | os.O_APPEND)


def too_open(paths) -> list[Path]:
    """Those of ``paths`` (folders are walked) that other accounts may read, write or enter.

    Symbolic links are not followed. Only meaningful on POSIX systems; on Windows the folder's
    access control list decides, and the empty list is returned.
    """
    if os.name != "posix":
        return []
    found: list[Path] = []
    for top in paths:
        top = Path(top)
        if not top.exists():
            continue
        if _group_or_other(top):
            found.append(top)
        if top.is_dir() and not top.is_symlink():
            for root, dirs, files in os.walk(top):
                for name in [*dirs, *files]:
                    candidate = Path(root) / name
                    if not candidate.is_symlink() and _group_or_other(candidate):
                        found.append(candidate)
    return found


def _group_or_other(path: Path) -> bool:
    return bool(stat.S_IMODE(path.lstat().st_mode) & 0o077)


def report(instance: Path, extra: list[Path] = ()) -> tuple[str, str]:
    """Doctor's verdict on the modes of the instance folder (and ``extra`` files kept elsewhere,
    such as an SQLite database outside it): ``(status, message)`` with the command that fixes them.
    """
    if os.name != "posix":
        return "ok", "file modes do not apply on Windows: limit the instance folder's access list to the service account"
    loose = too_open([instance, *extra])
    if not loose:
        return "ok", f"{instance} and everything in it are private to this account"
    shown = ", ".join(f"{path} ({stat.S_IMODE(path.lstat().st_mode):o})" for path in loose[:5])
    if len(loose) > 5:
        shown += f" and {len(loose) - 5} more"
    targets = " ".join(shlex.quote(str(p)) for p in [instance, *[e for e in extra if e in loose]])
    return "fail", f"other accounts may read or enter {shown}. Fix: chmod -R go-rwx {targets}"
