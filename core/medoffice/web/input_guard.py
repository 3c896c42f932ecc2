"""Refuse form and query values that hold control characters, before any view runs.

PostgreSQL cannot store a NUL character at all (every form would answer 500), and the other
C0 control characters have no place in an office's records: they break X12 files, CSV exports
and printouts. Tab, line feed and carriage return stay allowed. The refusal names the field.
"""
from __future__ import annotations

import re

from flask import current_app, request

from . import core_blueprint as bp
from .shell import render_page

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# In a raw query string: a percent escape of a C0 control character or DEL (tab, LF and CR too: they are decoded
# and checked), or such a character sent as it is. A query string without any needs no decoding to be passed.
MAYBE_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
READS_OWN_BODY = "_medoffice_reads_own_body"


def reads_own_body(view):
    """Mark a view that parses its request body itself, after the access check (file uploads: see
    ``medoffice.files.upload``); it calls :func:`first_bad_field` once it has."""
    setattr(view, READS_OWN_BODY, True)
    return view


def first_bad_field() -> str | None:
    """The name of the first query or form field holding a control character, if any."""
    if _without_body(request.environ) and not MAYBE_CONTROL.search(request.query_string):
        return None  # most requests: a page's GET, whose raw query string shows there is nothing to refuse
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
                return CONTROL_CHARACTERS.sub("?", name)
    return None


def _without_body(environ: dict) -> bool:
    return environ.get("CONTENT_LENGTH") in (None, "", "0") and "chunked" not in environ.get(
        "HTTP_TRANSFER_ENCODING", "").lower()


@bp.before_app_request
def refuse_control_characters():
    """Answer 422 with the field's name instead of letting the value reach a view."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, READS_OWN_BODY, False):
        return None
    field = first_bad_field()
    if field is None:
        return None
    return render_page("core/input_refused.html", title="Input refused", field=field), 422
