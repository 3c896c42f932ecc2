"""Receiving an upload request: the multipart body is parsed by the upload view itself, after the
access check, with every file part sealed as it streams in (``api.Upload``) instead of Werkzeug's
default of spooling it to a plaintext temporary file.

The view is exempt from the before-request CSRF check and the control-character guard (both would
read the body before anyone is known); it runs them itself once the body is parsed.
"""
from __future__ import annotations

from flask import current_app, g, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from ..web.input_guard import first_bad_field, reads_own_body
from .api import FileError, Upload, max_bytes, size_label
from .kinds import AttachmentKind

MAX_FILES = 20  # files in one upload request
FORM_ALLOWANCE = 1024 * 1024  # the form's other fields and the multipart framing


def receives_uploads(view):
    """Mark ``view`` as parsing its own request body (exempt from the CSRF and input guards, which it runs itself)."""
    from ..app import csrf

    return csrf.exempt(reads_own_body(view))


def check_csrf_early() -> None:
    """Check the CSRF token before anything else when that needs no parsing of a multipart body: a
    request that is not multipart carries no files, and the widget sends the token in a header. A
    plain form's token is in the body: :func:`receive_files` checks it once the body is parsed."""
    from ..app import csrf

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.mimetype != "multipart/form-data":
        csrf.protect()
        return
    if any(request.headers.get(name) for name in current_app.config["WTF_CSRF_HEADERS"]):
        request.__dict__["form"] = ImmutableMultiDict()  # Flask-WTF looks in the form first: not in this body
        try:
            csrf.protect()
        finally:
            del request.__dict__["form"]


def receive_files(kind: AttachmentKind, field: str = "file") -> tuple[ImmutableMultiDict, list[Upload]]:
    """Parse the request: (the form's text fields, the sealed uploads of ``field`` that have a name).

    The request may carry at most ``MAX_FILES`` files of the kind's limit each. Then the CSRF token
    and the fields' characters are checked as the guards would have.

    :raises FileError: not a multipart form, too many files, or a file past the limit (413).
    """
    if request.mimetype != "multipart/form-data":
        raise FileError("Send the files as a form upload (multipart/form-data).", status=400)
    limit = max_bytes(kind)
    request.max_content_length = limit * MAX_FILES + FORM_ALLOWANCE
    received: list[Upload] = []

    def seal_part(total_content_length, content_type, filename, content_length=None):
        if len(received) >= MAX_FILES:
            raise FileError(f"Upload at most {MAX_FILES} files at a time. Nothing was uploaded.", status=413)
        received.append(Upload(filename, limit))
        return received[-1]

    parser = FormDataParser(seal_part, max_form_memory_size=request.max_form_memory_size,
                            max_form_parts=request.max_form_parts, cls=ImmutableMultiDict, silent=False)
    try:
        _rest, form, files = parser.parse(request.stream, request.mimetype, request.content_length,
                                          request.mimetype_params)
    except RequestEntityTooLarge:
        _discard(received)
        raise FileError(f"The upload is larger than the {MAX_FILES} files of {size_label(limit)} one request may "
                        "carry. Nothing was uploaded.", status=413) from None
    except FileError:
        _discard(received)
        raise
    except ValueError:  # a malformed body (werkzeug's parser says so with ValueError)
        _discard(received)
        raise FileError("The upload arrived incomplete or malformed. Nothing was uploaded; try again.",
                        status=400) from None
    except BaseException:
        _discard(received)
        raise
    # What the guards and forms read later is what was parsed here (the body cannot be read twice).
    request.__dict__["form"], request.__dict__["files"] = form, files
    uploads = [f.stream for f in files.getlist(field) if f.filename]
    _discard([u for u in received if u not in uploads])
    try:
        _run_guards()
    except BaseException:
        _discard(uploads)
        raise
    return form, uploads


def _run_guards() -> None:
    from ..app import csrf

    if current_app.config.get("WTF_CSRF_ENABLED", True) and not g.get("csrf_valid"):
        csrf.protect()  # raises CSRFError (400) like the before-request check
    bad = first_bad_field()
    if bad is not None:
        raise FileError(f"The field {bad} holds control characters.", status=422)


def _discard(uploads: list[Upload]) -> None:
    for upload in uploads:
        upload.discard()
    # The body is partly read: nothing may parse it again (Werkzeug would spool the rest to plaintext files).
    request.__dict__.setdefault("form", ImmutableMultiDict())
    request.__dict__.setdefault("files", ImmutableMultiDict())
