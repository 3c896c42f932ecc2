"""Markdown for manuals, policies, handouts and notes: python-markdown, then nh3 sanitizing.

Text typed by staff (or imported from elsewhere) is untrusted, so the HTML python-markdown
produces is passed through an allow-list before it reaches a page:

- Tags: headings, paragraphs, lists, tables, code, quotes, emphasis, links, images, line
  breaks; nothing else (no script, style, iframe, form, object, svg). The contents of
  ``script`` and ``style`` are dropped with the tag.
- Attributes: no ``on*`` handlers and no ``style`` anywhere. Links keep ``href`` and
  ``title`` and always get ``rel="noopener noreferrer"``; table cells keep ``align``.
- Link schemes: http, https and mailto, plus relative links (``/patients/12``, ``#md-...``).
  ``javascript:``, ``data:``, ``vbscript:`` and every other scheme are removed.
- Images: only same-origin paths (``/static/...``, ``/files/...``). Remote images are
  removed because the Content Security Policy would block them anyway and loading them
  would tell a third party who reads the document and when; ``data:`` images are removed
  so documents stay small and cannot smuggle active SVG content.
- Heading ids (from the ``toc`` extension) are prefixed ``md-`` so a heading can never
  clobber an id the page itself uses, such as ``main``.
"""
from __future__ import annotations

import functools
import re
import threading

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

MAX_LENGTH = 200_000
ID_PREFIX = "md-"

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "code": {"class"},
    "div": {"class"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,30}")
_ALIGN = {"left", "right", "center"}


def _slugify(value: str, separator: str) -> str:
    return ID_PREFIX + slugify_unicode(value, separator)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow the allowed attributes to safe values (nh3 calls this for every kept attribute)."""
    if attribute == "id":
        return value if value.startswith(ID_PREFIX) else None
    if tag == "img" and attribute == "src":
        same_origin = value.startswith("/") and not value.startswith(("//", "/\\"))
        return value if same_origin else None
    if attribute == "class":
        allowed = _CODE_CLASS.fullmatch(value) if tag == "code" else value == "toc"
        return value if allowed else None
    if attribute == "align":
        return value if value in _ALIGN else None
    return value


_local = threading.local()


def _converter() -> markdown.Markdown:
    # Building a converter loads its extensions (most of a short render's cost); a converter
    # is not thread-safe, so each server thread keeps its own and resets it between uses.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(
            extensions=["tables", "fenced_code", "sane_lists", "toc"],
            extension_configs={"tables": {"use_align_attribute": True}, "toc": {"slugify": _slugify}},
            output_format="html",
        )
    return converter


def render(text: str | None) -> Markup:
    """Markdown ``text`` as sanitized HTML, safe to put in a page as is.

    Supports tables, fenced code blocks, sane lists and ``[TOC]``. Over-long input (more
    than ``MAX_LENGTH`` characters) is cut there rather than rendered in full.
    """
    if not text:
        return Markup("")
    return _render(text[:MAX_LENGTH])


@functools.lru_cache(maxsize=64)
def _render(text: str) -> Markup:
    # The same texts come back on every view (settings' messages, a manual's pages): rendering and
    # sanitizing depend on the text alone, so the last few dozen are kept.
    html = _converter().reset().convert(text)
    cleaned = nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
        clean_content_tags={"script", "style"},
    )
    return Markup(cleaned)
