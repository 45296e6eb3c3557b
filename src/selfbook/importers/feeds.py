"""RSS and Atom feed files, read with feedparser: each item becomes an entry.

The item's title (HTML decoded), its links (the item's link first), its summary as plain text
(the note), its published or updated day (the date) and its categories (the tags); the feed's
title is the heading.

Encodings: the bytes are decoded first (the byte-order mark, the XML declaration, UTF-8, then
charset-normalizer's guess; see :mod:`.decoding`) and handed on as UTF-8, so a feed in Big5 or
EUC-KR reads, and one in KOI8-R or Shift_JIS with no declaration reads without mojibake.

Positions: feedparser does not report where an item sits, so a first pass with defusedxml's SAX
parser records the line of every ``<item>`` / ``<entry>`` tag and the N-th item gets the N-th
line (that pass also refuses entity declarations before feedparser sees the file). When the file
stops being well-formed (truncated, say), items past the break carry the line of the break,
and the break itself is reported as a skip.
"""

from __future__ import annotations

import datetime as dt
import logging
import xml.sax
from pathlib import Path
from typing import Iterator
from xml.sax.handler import ContentHandler

import defusedxml
import defusedxml.sax
import feedparser

from ..errors import InputError
from ..models import DateRange, Skip, Span
from .base import Item, Progress, binary_chunks, html_text, make_entry, web_urls
from .decoding import xml_as_utf8

log = logging.getLogger(__name__)

__all__ = ["read_feed"]

_ITEMS = {"item", "entry"}


class _ItemLines(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []

    def startElement(self, name: str, attrs) -> None:
        if name.rsplit(":", 1)[-1].lower() in _ITEMS:
            self.lines.append(self._locator.getLineNumber())


def _item_lines(data: bytes, shown: str) -> tuple[list[int], tuple[int, str] | None]:
    """The line of each item tag, and ``(line, message)`` where the XML breaks, if it does."""
    handler = _ItemLines()
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(handler)
    handler.setDocumentLocator(parser)  # feed() does not set it, as parse() does
    try:
        parser.feed(data)
        parser.close()
    except xml.sax.SAXParseException as err:
        return handler.lines, (err.getLineNumber() or 1, err.getMessage())
    except defusedxml.DefusedXmlException as err:
        raise InputError(shown, f"declares XML entities, which selfbook refuses ({type(err).__name__})", "remove the <!DOCTYPE …> block") from None
    return handler.lines, None


def _text(detail: dict | None, fallback: str) -> str:
    """A feed text construct as plain text (feedparser keeps HTML titles and summaries as HTML)."""
    value = (detail or {}).get("value", fallback) or ""
    kind = (detail or {}).get("type", "")
    return html_text(value) if "html" in kind or "<" in value else value


def _day(parsed) -> DateRange | None:
    if not parsed:
        return None
    try:
        day = dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    except (AttributeError, ValueError):
        return None
    return DateRange(day, day, day.isoformat()) if 1971 <= day.year <= 2100 else None


def read_feed(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """An RSS (0.9x, 1.0, 2.0) or Atom feed file: items → entries, the feed title → heading."""
    data = xml_as_utf8(b"".join(binary_chunks(path, shown, progress)), shown)
    lines, broken = _item_lines(data, shown)
    try:
        parsed = feedparser.parse(data)
    except Exception as err:  # feedparser's loose parser can fail in ways it does not document
        log.debug("feedparser failed on %s", shown, exc_info=True)
        raise InputError(shown, f"could not be read as a feed ({type(err).__name__})", "check that it is an RSS or Atom file") from None
    items = parsed.get("entries", [])
    version = parsed.get("version", "")
    if not items and not version:
        where = broken[0] if broken else 1
        problem = f"is not an RSS or Atom feed ({broken[1]})" if broken else "is not an RSS or Atom feed"
        raise InputError(shown, problem, "name a feed file (<rss> or <feed>), or pass the right --format", line=where)
    feed = parsed.get("feed", {})
    heading = _text(feed.get("title_detail"), feed.get("title", "")) if feed else ""
    last = broken[0] if broken else 1
    for number, item in enumerate(items):
        line = lines[number] if number < len(lines) else last
        yield _entry(item, Span(shown, line, line), heading)
    if broken:
        yield Skip(Span(shown, broken[0], broken[0]), f"not well-formed XML from here ({broken[1]}) — it looks truncated or damaged; kept the {len(items)} items read")


def _entry(item, span: Span, heading: str) -> Item:
    title = _text(item.get("title_detail"), item.get("title", ""))
    hrefs = [link.get("href") for link in item.get("links", []) if isinstance(link, dict)]
    urls = web_urls(item.get("link"), *hrefs)
    note = _text(item.get("summary_detail"), item.get("summary", ""))
    if not urls and not title.strip() and not note.strip():
        return Skip(span, "an item with no link, title or text")
    tags = tuple(t.get("term") or t.get("label") or "" for t in item.get("tags", []) if isinstance(t, dict))
    return make_entry(
        span,
        title=title or None,
        urls=urls,
        note=note if note != title else "",
        headings=(heading,) if heading else (),
        date=_day(dict.get(item, "published_parsed") or dict.get(item, "updated_parsed")),  # no alias warnings
        tags=tags,
    )
