"""HR's PDFs (offer letters, pay stubs): HTML rendered with WeasyPrint, nothing fetched."""
from __future__ import annotations

STYLE = ("@page { size: letter; margin: 2cm; } body { font-family: sans-serif; font-size: 11pt; } "
         "table { border-collapse: collapse; width: 100%; } td, th { padding: 2pt 4pt; text-align: left; } "
         ".numeric { text-align: right; }")


def html_to_pdf(html: str) -> bytes:
    """One HTML document as PDF bytes (no network or file access)."""
    import weasyprint  # imported lazily: it loads pango at import time

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[weasyprint.CSS(string=STYLE)])
