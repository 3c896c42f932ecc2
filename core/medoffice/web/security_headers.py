"""Security headers on every response: CSP without inline script, no framing, no sniffing."""
from __future__ import annotations

from flask import request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def register_security_headers(app) -> None:
    """Add the headers after every request (HSTS only when served over TLS)."""

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint not in ("static", "plugin_static", "theme_static"):
            headers.setdefault("Cache-Control", "no-store")
        if app.config.get("TLS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
