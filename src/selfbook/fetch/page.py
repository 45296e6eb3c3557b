"""What a fetched HTML page says about itself: title, description, published date, language.

Pages are hostile input: they are parsed (selectolax, an HTML5 parser) and only their text is
kept, whitespace-collapsed and cut to :data:`MAX_TITLE` / :data:`MAX_DESCRIPTION` characters;
nothing of their markup is kept or shown. Bytes are decoded as the Content-Type header says,
else by a byte-order mark, else by a ``<meta charset>`` in the first bytes, else as UTF-8 when
they are valid UTF-8, else as windows-1252 (what browsers do with ``latin-1`` labels too).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser as HTMLParser

MAX_TITLE = 300
MAX_DESCRIPTION = 500
MIN_PARAGRAPH = 40
"""A first paragraph shorter than this is not a description (a byline, a date)."""

HTML_TYPES = ("text/html", "application/xhtml+xml")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
SOFT_404 = re.compile(
    r"^\W*404\b|\b404\s*(?:error|page|[-–—:|])|\b(?:error|http)\s*404\b|\bnot\s+found\b|\bpage\s+(?:does\s+not|doesn't|does\s+no\s+longer)\s+exist|\bno\s+longer\s+(?:available|exists)\b"
    r"|\bpage\s+(?:is\s+)?missing\b|\bnothing\s+(?:was\s+)?found\b",
    re.I,
)
TITLE_META = ("og:title", "twitter:title")
DESCRIPTION_META = ("og:description", "description", "twitter:description", "dc.description")
PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "date", "dc.date", "dc.date.issued",
                  "citation_publication_date", "citation_date", "pubdate", "publish-date")


@dataclass(frozen=True)
class PageMeta:
    title: str = ""
    description: str = ""
    published: str = ""
    lang: str = ""


def media_type(content_type: str) -> str:
    """``text/html`` of ``text/html; charset=utf-8``."""
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _codec(label: str | None) -> str | None:
    """The Python codec of a charset label, or None for a label Python does not know."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name  # as browsers read them


def decode(body: bytes, content_type: str = "") -> str:
    """The text of an HTML page's bytes (rules in the module docstring); never raises."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    declared = _codec(_charset(content_type))
    if declared is None:
        found = META_CHARSET.search(body[:4096])
        declared = _codec(found.group(1).decode("ascii")) if found else None
    if declared is not None:
        return body.decode(declared, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def clean(text: str | None, limit: int) -> str:
    """``text`` on one line, whitespace collapsed, control characters dropped, at most ``limit``
    characters (cut at a word, with an ellipsis)."""
    if not text:
        return ""
    text = " ".join("".join(ch if (ch.isprintable() and ch != "\ufffd") or ch.isspace() else " " for ch in text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def parse_html(html: str, content_language: str = "") -> PageMeta:
    """The page's own account of itself: og:/twitter:/meta tags first, then ``<title>``, the
    first ``<h1>`` and the first long enough paragraph."""
    tree = HTMLParser(html)
    metas: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").strip().lower()
        value = attrs.get("content")
        if key and value and key not in metas:
            metas[key] = value
    title = next((metas[k] for k in TITLE_META if metas.get(k, "").strip()), "")
    if not title.strip():
        title = next((n.text() for n in (tree.css_first("title"), tree.css_first("h1")) if n and n.text().strip()), "")
    description = next((metas[k] for k in DESCRIPTION_META if metas.get(k, "").strip()), "")
    if not description.strip():
        description = next((p.text() for p in tree.css("p") if len(" ".join(p.text().split())) >= MIN_PARAGRAPH), "")
    published = next((metas[k] for k in PUBLISHED_META if metas.get(k, "").strip()), "")
    if not published:
        node = tree.css_first("time[datetime]")
        published = (node.attributes.get("datetime") or "") if node else ""
    root = tree.css_first("html")
    lang = (root.attributes.get("lang") or "") if root else ""
    lang = lang or metas.get("og:locale", "") or content_language.split(",")[0]
    return PageMeta(
        title=clean(title, MAX_TITLE), description=clean(description, MAX_DESCRIPTION),
        published=clean(published, 40), lang=clean(lang.replace("_", "-"), 20),
    )


def is_soft_404(title: str) -> bool:
    """True when a page's title says it is not there ("Page not found", "404 — …")."""
    return bool(SOFT_404.search(title))
