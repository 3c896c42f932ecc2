"""Fetch Metadata resource isolation: application routes answer only navigations and the app's own requests.

Browsers say why they request a URL (``Sec-Fetch-Dest``, ``Sec-Fetch-Site``, ``Sec-Fetch-Mode``). An
``<img src="/patients/7">`` planted in some text would otherwise make the reader's browser open
patient 7 with the reader's session, an audited read in the reader's name. Before anything else
runs (login, sessions, audit), a request to any route that is not a static asset is refused with
403 when:

- its ``Sec-Fetch-Dest`` is anything but a page or frame (``document``, ``iframe``, ``frame``) or
  a script's own request (``empty``: htmx, ``fetch``): an image, script, style, font, audio,
  video, track, object, embed, manifest, worker, xslt, worklet, report... request; or
- it comes from another site (``Sec-Fetch-Site: cross-site``) and is not a top-level ``GET``
  navigation (a link followed from an e-mail still opens the page; a form posted or a fetch made
  from another site does not).

Requests without these headers (older browsers, scripts, the test client) pass, as the standard
policy advises: the headers only ever narrow what a browser may do. Static assets (core's,
plugins', the theme's) may be loaded from anywhere, as images, styles and scripts must be.
"""
from __future__ import annotations

import logging

from flask import Response, request

log = logging.getLogger("medoffice.access")

STATIC_ENDPOINTS = frozenset({"static", "plugin_static", "theme_static"})
PAGE_DESTINATIONS = frozenset({"document", "iframe", "frame", "empty"})
TRUSTED_SITES = frozenset({"same-origin", "same-site", "none"})


def refusal_reason() -> str | None:
    """Why the current request breaks the resource-isolation policy, or None when it may proceed."""
    if request.endpoint in STATIC_ENDPOINTS:
        return None
    dest = request.headers.get("Sec-Fetch-Dest", "").lower()
    if dest and dest not in PAGE_DESTINATIONS:
        return f"a {dest} request"
    site = request.headers.get("Sec-Fetch-Site", "").lower()
    if site and site not in TRUSTED_SITES:
        navigation = request.headers.get("Sec-Fetch-Mode", "").lower() == "navigate" and request.method == "GET"
        if not navigation:
            return "a request from another site"
    return None


def refuse_embedded_requests():
    """``before_request``: 403 for a request the policy refuses, before login handling and auditing."""
    reason = refusal_reason()
    if reason is None:
        return None
    log.info("refused %s to endpoint %s", reason, request.endpoint)  # the endpoint, never the URL's ids
    return Response("This address cannot be loaded from here: it opens only as a page of medoffice.\n",
                    status=403, mimetype="text/plain")


def register_fetch_metadata(app) -> None:
    """Run the policy before every other ``before_request`` function of ``app`` (call after blueprints)."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_embedded_requests)
