"""Markdown for manuals, policies, handouts and notes: python-markdown, then nh3 sanitizing.

Text typed by staff (or imported from elsewhere) is untrusted, so the HTML python-markdown
produces is passed through an allow-list before it reaches a page:

- Tags: headings, paragraphs, lists, tables, code, quotes, emphasis, links, images, line
  breaks; nothing else (no script, style, iframe, form, object, svg). The contents of
  ``script`` and ``style`` are dropped with the tag.
- Attributes: no ``on*`` handlers and no ``style`` anywhere. Links keep ``href`` and
  ``title`` and always get ``rel="noopener noreferrer"``; table cells keep ``align``.
- URLs are checked as the browser will read them: the HTML parser has decoded character
  references (``&#9;``), then, as the WHATWG URL parser does, ASCII tab, line feed and carriage
  return are removed, leading and trailing spaces and control characters stripped, and
  backslashes read as slashes. The normalised URL is what the page gets, so
  ``/&#9;/evil.example`` can never reach a browser as ``//evil.example``.
- Link schemes: http, https and mailto, plus relative links (``/patients/12``, ``#md-...``).
  ``javascript:``, ``data:``, ``vbscript:`` and every other scheme are removed, and so are
  scheme-relative links (``//host/...``): a link leaves the office only with its scheme spelled out.
- Images: only the application's static assets (``/static/...``: core's, a plugin's
  ``/static/plugins/<name>/...``, the theme's ``/static/theme/...``), as a plain path of letters,
  digits and ``._~-/`` without ``.``/``..`` segments. An image never points at an application
  route: a browser loads images with the reader's session, so ``![x](/patients/7)`` in a
  setting would make every reader open patient 7 (an audited read in their name). Remote images
  are removed because loading them would tell a third party who reads the document and when;
  ``data:`` images are removed so documents stay small and cannot smuggle active SVG content.
  A practice's own pictures (a logo, a map) go in its theme's ``static`` folder.
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
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_STATIC_IMAGE = re.compile(r"/static/[A-Za-z0-9._~\-/]+")
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]{1,30}")
_ALIGN = {"left", "right", "center"}


def _slugify(value: str, separator: str) -> str:
    return ID_PREFIX + slugify_unicode(value, separator)


def normalise_url(value: str) -> str:
    """A URL (character references already decoded) as a browser's URL parser reads it.

    ASCII tab, line feed and carriage return are removed wherever they are, leading and trailing
    spaces and control characters stripped, backslashes read as slashes.
    """
    return _URL_IGNORED.sub("", value).strip(_URL_EDGES).replace("\\", "/")


def safe_link(value: str) -> str | None:
    """The normalised ``href`` when it is relative or uses an allowed scheme, else None.

    Scheme-relative links (``//host``) are refused: they look like the application's own paths.
    """
    url = normalise_url(value)
    scheme = _SCHEME.match(url)
    if url.startswith("//") or (scheme and scheme[1].lower() not in URL_SCHEMES):
        return None
    return url


def safe_image(value: str) -> str | None:
    """The normalised ``src`` when it is one of the application's static assets, else None."""
    url = normalise_url(value)
    if not _STATIC_IMAGE.fullmatch(url) or any(part in (".", "..") for part in url.split("/")):
        return None
    return url


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Narrow the allowed attributes to safe values (nh3 calls this for every kept attribute)."""
    if attribute == "id":
        return value if value.startswith(ID_PREFIX) else None
    if tag == "img" and attribute == "src":
        return safe_image(value)
    if tag == "a" and attribute == "href":
        return safe_link(value)
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
