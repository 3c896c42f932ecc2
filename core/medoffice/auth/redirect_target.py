"""Where a user-supplied ``next`` may send the browser: a path on this site, nothing else.

A browser reading a ``Location`` header first drops leading and trailing spaces and control
characters, removes every tab, CR and LF, and reads a backslash as a slash; only then does it
decide whether the URL names another host. So ``/\\t/evil.example`` becomes the scheme-relative
``//evil.example``. Rather than imitate that normalisation, :func:`same_site_path` accepts only
what every normalisation leaves alone: printable ASCII without backslashes, starting with exactly
one slash, with no percent-encoded slash, backslash, percent, dot or control character in the
path and no dot segments. Anything else is refused and the caller uses its own default.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 2000
# In the path part: encoded slash, backslash, percent (double encoding), dot and C0 or DEL.
ENCODED_IN_PATH = re.compile(r"%(?:2f|5c|25|2e|[01][0-9a-f]|7f)", re.IGNORECASE)


def same_site_path(target: str | None) -> str | None:
    """``target`` when a browser would read it as a path on this site, otherwise None.

    Accepts ``/patients?q=a%2Fb`` and the like (the query may hold any encoded character);
    refuses absolute and scheme-relative URLs, control characters and spaces anywhere,
    backslashes, encoded slashes or backslashes in the path, and ``.``/``..`` segments.
    """
    if not target or len(target) > MAX_LENGTH:
        return None
    if not all("!" <= ch <= "~" for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    path = re.split(r"[?#]", target, maxsplit=1)[0]
    if ENCODED_IN_PATH.search(path):
        return None
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
