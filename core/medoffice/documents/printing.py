"""A version on paper: the print view (the browser prints it) and the PDF (WeasyPrint, as reports and
letters use), from one template and one stylesheet. The PDF renderer fetches nothing from files or
the network."""
from __future__ import annotations

from pathlib import Path

from flask import render_template

from .. import settings
from .kinds import kind_title
from .models import Document, DocumentVersion

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "document.css"


def version_html(document: Document, version: DocumentVersion, *, for_print: bool) -> str:
    """The version as one HTML page (``for_print`` links the stylesheet and adds the print toolbar)."""
    return render_template("documents/print.html", document=document, version=version,
                           kind=kind_title(document.kind), practice=settings.get("core.practice_name") or "",
                           timezone=settings.practice_timezone(), for_print=for_print)


def version_pdf(document: Document, version: DocumentVersion) -> bytes:
    """The version as a PDF."""
    import weasyprint  # imported lazily: it loads pango at import time

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    page = weasyprint.HTML(string=version_html(document, version, for_print=False), url_fetcher=fetcher)
    return page.write_pdf(stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
