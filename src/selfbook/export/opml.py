"""The book as OPML: an outline per chapter, one per section inside it, one per entry inside that.

An entry whose first link looks like a feed (a ``/feed``, ``/rss`` or ``/atom`` path segment,
a ``.rss``, ``.xml`` or ``.atom`` file, a ``feeds.`` host) is written as a subscription (``type="rss" xmlUrl=…``), so a feed
reader can import it; the others as links (``type="link" url=…``). ``description`` holds the
note and, each on its own line, the entry's other links; ``category`` the tags; ``created`` the
date (RFC 822).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from ..reports import PlacedEntry
from .files import atomic_text, by_section

__all__ = ["is_feed_url", "write_opml"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_ENTITIES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_FEED_PATH = re.compile(r"/(?:feeds?|rss|atom)(?:/|$)|\.(?:rss|xml|atom)$", re.IGNORECASE)


def is_feed_url(url: str) -> bool:
    """Whether a link looks like a feed's address rather than a page's."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(_FEED_PATH.search(parts.path)) or (parts.hostname or "").startswith("feeds.")


def _attr(value: str) -> str:
    """An attribute value, quoted; newlines kept as character references, characters XML
    cannot hold dropped."""
    return quoteattr(_NOT_XML.sub("", value), _ATTR_ENTITIES)


def _outline(placed: PlacedEntry, indent: str) -> str:
    e = placed.entry
    feed = is_feed_url(e.urls[0])
    attrs = {"type": "rss" if feed else "link", "text": e.title, "title": e.title, "xmlUrl" if feed else "url": e.urls[0]}
    description = "\n".join(x for x in (e.note, *e.urls[1:]) if x)
    if description:
        attrs["description"] = description
    if e.tags:
        attrs["category"] = ",".join(e.tags)
    if e.date is not None:
        day = dt.datetime.combine(e.date.start, dt.time(), dt.timezone.utc)
        attrs["created"] = email.utils.format_datetime(day, usegmt=True)
    body = " ".join(f"{k}={_attr(v)}" for k, v in attrs.items())
    return f"{indent}<outline {body}/>\n"


def write_opml(entries: Sequence[PlacedEntry], out: Path, *, title: str, related=None) -> int:
    """Write an OPML 2.0 outline; returns the number of entries."""
    with atomic_text(out) as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n    <title>{escape(_NOT_XML.sub("", title))}</title>\n  </head>\n  <body>\n')
        for chapter, sections in by_section(entries):
            fh.write(f"    <outline text={_attr(chapter)} title={_attr(chapter)}>\n")
            for section, members in sections:
                fh.write(f"      <outline text={_attr(section)} title={_attr(section)}>\n")
                fh.writelines(_outline(p, " " * 8) for p in members)
                fh.write("      </outline>\n")
            fh.write("    </outline>\n")
        fh.write("  </body>\n</opml>\n")
    return len(entries)
