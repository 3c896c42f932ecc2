"""The password policy: long enough, not the user's name, not a common password.

Common passwords are matched after the usual disguises are taken off (case, digits and
symbols around the word, letter-for-digit swaps such as ``P@ssw0rd``, repetition such as
``iloveyouiloveyou``), since a long password built from a common one is guessed as fast.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 200

LEET = str.maketrans({"@": "a", "4": "a", "8": "b", "(": "c", "3": "e", "6": "g", "1": "i", "!": "i",
                      "|": "l", "0": "o", "$": "s", "5": "s", "7": "t", "+": "t", "2": "z"})
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn", "1q2w3e4r5t6y7u8i9o0p", "qazwsxedcrfvtgbyhnujmikolp", "zaq1xsw2cde3vfr4bgt5",
)
_SEPARATORS = re.compile(r"[\s._\-]+")
_AROUND = re.compile(r"^[^a-z]+|[^a-z]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of commonly used passwords (lower case)."""
    text = resources.files("medoffice").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _repeated_unit(text: str) -> str:
    """The shortest string that ``text`` repeats (``abcabc`` -> ``abc``), else ``text``."""
    match = re.fullmatch(r"(.+?)\1+", text)
    return match.group(1) if match else text


def _disguise_free(password: str) -> set[str]:
    """The password and what is left after common disguises are removed, in any order."""
    lowered = password.lower()
    found = {lowered, _SEPARATORS.sub("", lowered)}
    for _ in range(3):  # e.g. strip "-2024", then undo "@" and "0", then strip again
        found |= ({_AROUND.sub("", t) for t in found} | {t.translate(LEET) for t in found}
                  | {_repeated_unit(t) for t in found})
    return {t for t in found if t}


def _is_sequence(text: str) -> bool:
    return len(text) >= 4 and any(text in seq or text in seq[::-1] for seq in SEQUENCES)


def policy_problems(password: str, username: str = "", full_name: str = "") -> list[str]:
    """What is wrong with ``password`` (empty list when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    names = [n.lower() for n in [username, *full_name.split()] if len(n) >= 3]
    if any(n in lowered or n in lowered.translate(LEET) for n in names):
        problems.append("Do not use your user name or your name in the password.")
    candidates = _disguise_free(password)
    if candidates & common_passwords():
        problems.append("That password is on the list of commonly used passwords, even with digits or "
                        "symbols added.")
    elif any(_is_sequence(_SEPARATORS.sub("", c)) for c in candidates):
        problems.append("Do not use a keyboard row or a sequence such as abcd or 1234.")
    elif len(_repeated_unit(_SEPARATORS.sub("", lowered))) <= 4 < len(password):
        problems.append("Do not repeat a short pattern.")
    if len(set(password)) < 5:
        problems.append("Use more different characters.")
    return problems
