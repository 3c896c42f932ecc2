"""The ``markdown`` template filter and the live preview behind ``core/_markdown.html``."""
from __future__ import annotations

from flask import abort, render_template, request

from ..auth.access import requires
from ..markdown_service import MAX_LENGTH, render
from . import core_blueprint as bp


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    """``{{ policy.body|markdown }}``: sanitized HTML from markdown (see ``medoffice.markdown_service``)."""
    return render(text)


@bp.route("/markdown/preview", methods=["POST"])
@requires("core.dashboard.view")
def markdown_preview():
    """Render posted markdown as a fragment; ``?field=`` names the form field holding the text."""
    text = request.form.get(request.args.get("field") or "text", "")
    if len(text) > MAX_LENGTH:
        abort(413)
    return render_template("core/_markdown_preview.html", html=render(text))
