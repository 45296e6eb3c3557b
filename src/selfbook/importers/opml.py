"""OPML subscription lists (feed readers export them) and outlines of links, streamed through
defusedxml's SAX parser (no entity expansion, no external references).

An ``<outline>`` with ``xmlUrl``, ``htmlUrl`` or ``url`` is an entry (links in that order, then
the URLs on their own lines in its ``description``); its title is ``title`` or ``text``, its note
the rest of ``description``, its tags the ``category`` list, its date ``created``. An outline
without a link is a folder: its title joins the headings of everything inside it.

Encodings: the file is decoded as :mod:`.decoding` says (byte-order mark, XML declaration,
UTF-8, a guess) and parsed as UTF-8, so any codec Python has reads.

Positions: each entry's span is the line of its ``<outline>`` tag, as the XML parser reports it.
A file that stops being well-formed XML after some entries keeps them and reports the rest as a
skip (a truncated file); one that is not XML from the start is refused.
"""

from __future__ import annotations

import email.utils
import xml.sax
from pathlib import Path
from typing import Iterator
from xml.sax.handler import ContentHandler

import defusedxml
import defusedxml.sax

from ..errors import InputError
from ..models import DateRange, Skip, Span
from .base import CHUNK, Item, Progress, binary_chunks, make_entry, split_note, tag_list, web_urls
from .decoding import xml_as_utf8

__all__ = ["read_opml", "rfc822_date"]


def rfc822_date(text: str) -> DateRange | None:
    """The day of an RFC 822 date (``Mon, 19 Jun 2024 10:00:00 GMT``), as OPML writes ``created``."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or not 1971 <= moment.year <= 2100:
        return None
    return DateRange(moment.date(), moment.date(), text.strip())


class _Outlines(ContentHandler):
    def __init__(self, shown: str) -> None:
        super().__init__()
        self.shown = shown
        self.out: list[Item] = []
        self.stack: list[str] = []
        self.root: str | None = None
        self.entries = 0

    def startElement(self, name: str, attrs) -> None:
        if self.root is None:
            self.root = name
            if name.lower() != "opml":
                hint = "pass --format feed for an RSS or Atom feed" if name.lower() in ("rss", "feed", "rdf:rdf") else "name an OPML file (<opml> … </opml>)"
                raise InputError(self.shown, f"is XML but not OPML: it starts with <{name}>", hint, line=self._locator.getLineNumber())
        if name.lower() != "outline":
            return
        fields = {k.lower(): v for k, v in attrs.items()}
        title = fields.get("title") or fields.get("text") or ""
        links = (fields.get("xmlurl"), fields.get("htmlurl"), fields.get("url"))
        if any(link and link.strip() for link in links):
            line = self._locator.getLineNumber()
            self.out.append(self._entry(fields, title, links, Span(self.shown, line, line)))
        self.stack.append(title)

    def _entry(self, fields: dict, title: str, links, span: Span) -> Item:
        note, more = split_note(fields.get("description", ""))
        urls = web_urls(*links, *more)
        if not urls:
            first = next(link for link in links if link and link.strip())
            return Skip(span, f"not a web link ({first.strip()[:40]!r})")
        self.entries += 1
        return make_entry(
            span,
            title=title or None,
            urls=urls,
            note=note,
            headings=tuple(h for h in self.stack if h),
            date=rfc822_date(fields.get("created", "")),
            tags=tuple(t.strip("/").rsplit("/", 1)[-1] for t in tag_list(fields.get("category", ""))),
        )

    def endElement(self, name: str) -> None:
        if name.lower() == "outline" and self.stack:
            self.stack.pop()


def read_opml(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """An OPML file: outlines with links are entries, the others folders."""
    handler = _Outlines(shown)
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(handler)
    handler.setDocumentLocator(parser)  # feed() does not set it, as parse() does
    data = xml_as_utf8(b"".join(binary_chunks(path, shown, progress)), shown)  # lists are small; expat needs UTF-8
    try:
        for start in range(0, len(data), CHUNK):
            parser.feed(data[start : start + CHUNK])
            yield from handler.out
            handler.out.clear()
        parser.close()
    except xml.sax.SAXParseException as err:
        yield from handler.out
        yield _broken(shown, err.getLineNumber() or 1, err.getMessage(), handler.entries)
        return
    except defusedxml.DefusedXmlException as err:
        raise InputError(shown, f"declares XML entities or a DTD, which selfbook refuses ({type(err).__name__})", "remove the <!DOCTYPE …> block") from None
    yield from handler.out
    if handler.root is None:
        raise InputError(shown, "holds no XML elements", "name an OPML file (<opml> … </opml>)")


def _broken(shown: str, line: int, message: str, entries: int) -> Item:
    """A parse error: fatal before the first entry, a reported skip after some."""
    truncated = message in ("no element found", "unclosed token")
    problem = "the file ends before the XML closes" if truncated else f"not well-formed XML ({message})"
    if not entries:
        raise InputError(shown, problem, "export the list again, or check the file is OPML", line=line)
    return Skip(Span(shown, line, line), problem + (" — it looks truncated" if truncated else "") + f"; kept the {entries} entries before it")
