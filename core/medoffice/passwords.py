"""The password policy: long enough, not the user's name, not a common password."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of commonly used passwords (lower case)."""
    text = resources.files("medoffice").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def policy_problems(password: str, username: str = "", full_name: str = "") -> list[str]:
    """What is wrong with ``password`` (empty list when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > 200:
        problems.append("Use at most 200 characters.")
    lowered = password.lower()
    names = [n.lower() for n in [username, *full_name.split()] if len(n) >= 3]
    if any(n in lowered for n in names):
        problems.append("Do not use your user name or your name in the password.")
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        problems.append("That password is on the list of commonly used passwords.")
    if len(set(password)) < 5:
        problems.append("Use more different characters.")
    return problems
