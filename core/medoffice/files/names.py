"""File names: the one shown on the page (what the uploader called it, cleaned) and the one a
download gets (``werkzeug.utils.secure_filename``, with the extension of the sniffed type). Neither
ever becomes a path: stored files are named by their content digest."""
from __future__ import annotations

import re
import unicodedata

from werkzeug.utils import secure_filename

MAX_NAME = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def display_name(raw: str | None) -> str:
    """The name to show for an upload: its last path part only (browsers may send ``C:\\fakepath\\``
    or ``../``), without control or bidirectional-override characters, at most 255 characters
    (the extension kept); ``"file"`` when nothing is left."""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.split(r"[\\/]", text)[-1]
    text = _CONTROL.sub("", text).strip().strip(".").strip()
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 16 else text[:MAX_NAME]
    return text or "file"


def download_name(name: str, extension: str) -> str:
    """An ASCII name safe in any file system and header, ending in ``.extension``."""
    safe = secure_filename(name)
    stem = safe.rsplit(".", 1)[0] if "." in safe else safe
    return f"{(stem or 'file')[:100]}.{extension}"
