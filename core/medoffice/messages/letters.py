"""Letters: the outbox's printed messages as a PDF (WeasyPrint) or a print view, on the practice's letterhead."""
from __future__ import annotations

from pathlib import Path

from flask import render_template

from .. import settings
from .models import OutboxMessage

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "letter.css"


def letterhead() -> dict:
    """The practice's name, address lines and phone from the settings."""
    city = " ".join(part for part in (f"{settings.get('core.city') or ''},".rstrip(","),
                                      settings.get("core.state") or "", settings.get("core.zip") or "") if part)
    lines = [settings.get("core.address1") or "", settings.get("core.address2") or "", city]
    return {"name": settings.get("core.practice_name") or "", "lines": [line for line in lines if line.strip()],
            "phone": settings.get("core.phone") or ""}


def letters_html(messages: list[OutboxMessage], *, for_print: bool) -> str:
    """One HTML document with each letter on its own page (``for_print`` adds the print view's toolbar)."""
    return render_template("messages/letters.html", letters=messages, head=letterhead(),
                           date=settings.today(), for_print=for_print)


def letters_pdf(messages: list[OutboxMessage]) -> bytes:
    """The letters as one PDF; the renderer fetches nothing from files or the network."""
    import weasyprint  # imported lazily: it loads pango at import time

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    document = weasyprint.HTML(string=letters_html(messages, for_print=False), url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
