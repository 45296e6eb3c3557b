"""What every importer shares: opening and decoding a file in chunks, building a
:class:`~selfbook.models.RawEntry` from a record's fields, and reading the dates, notes and HTML
that bookmark exports write.

An importer is a function ``read(path, shown, progress) -> Iterator[RawEntry | Skip]``: ``path``
is the file (or vault folder) to open, ``shown`` the name spans carry, ``progress`` an optional
``progress(stage, done, total)`` callback. It yields entries in file order and a
:class:`~selfbook.models.Skip` for each record it could not use; it raises
:class:`~selfbook.errors.InputError` only when the file as a whole cannot be read.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import urlsplit

from ..ingest import find_urls
from ..models import DateRange, RawEntry, Skip, Span
from ..text import normalize
from .decoding import CHUNK, Progress, TextChunks, binary_chunks, check_file

__all__ = [
    "CHUNK", "Importer", "Item", "LenientHTMLParser", "Progress", "TextChunks", "binary_chunks", "check_file", "epoch_date", "html_text",
    "iso_date", "make_entry", "split_note", "tag_list", "text_lines", "web_urls",
]

Item = RawEntry | Skip
WEB_SCHEMES = ("http", "https")
_EPOCH_FLOOR = dt.date(1971, 1, 1)
_EPOCH_CEILING = dt.date(2100, 12, 31)


class Importer(Protocol):
    """The one method every format implements (see the module docstring)."""

    def __call__(self, path: Path, shown: str, progress: Progress | None) -> Iterator[Item]: ...


# -- fields -----------------------------------------------------------------------------------------


def web_urls(*candidates: str | None) -> tuple[str, ...]:
    """The http(s) URLs among ``candidates`` (stripped), in order, once each."""
    found: list[str] = []
    for url in candidates:
        url = (url or "").strip()
        if url and _scheme(url) in WEB_SCHEMES and _has_host(url) and url not in found:
            found.append(url)
    return tuple(found)


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


def split_note(text: str) -> tuple[str, tuple[str, ...]]:
    """A description as ``(note, urls)``: lines that are only a URL are links, not note text.

    This is how exports keep an entry's second and later links in formats that hold one link
    per bookmark (Netscape ``<DD>``, OPML ``description``); URLs inside a sentence stay in the
    note and are links too.
    """
    note_lines: list[str] = []
    urls: list[str] = []
    for line in text.strip().splitlines():
        found = find_urls(line)
        if found and line.strip() in found:
            urls.extend(found)
        else:
            note_lines.append(line.rstrip())
            urls.extend(found)
    return "\n".join(note_lines).strip(), web_urls(*urls)


def one_line(text: str | None) -> str:
    """A title: NFC, whitespace (newlines included) collapsed to single spaces."""
    return " ".join(normalize(text or "").split())


def make_entry(
    source: Span,
    *,
    title: str | None,
    urls: tuple[str, ...] = (),
    note: str = "",
    headings: tuple[str, ...] = (),
    date: DateRange | None = None,
    tags: tuple[str, ...] = (),
) -> RawEntry:
    """A raw entry from a record's fields. ``lines`` (what the normalizer reads for kinds and
    identifiers) are the title, the note's lines and the URLs."""
    title = one_line(title) or None
    note = normalize(note or "").strip()
    lines = tuple(x for x in (title or "", *note.splitlines(), *urls) if x.strip())
    return RawEntry(
        lines=lines or ("",),
        source=source,
        headings=tuple(h for h in (one_line(h) for h in headings) if h),
        title=title,
        urls=urls,
        note=note,
        date=date,
        tags=tuple(dict.fromkeys(t for t in (one_line(t).lstrip("#") for t in tags) if t)),
    )


def tag_list(value: object, separators: str = ",") -> tuple[str, ...]:
    """Tags from a list of strings (or of ``{"name": …}``), or a string split at ``separators``."""
    if isinstance(value, str):
        for sep in separators[1:]:
            value = value.replace(sep, separators[0])
        return tuple(t.strip() for t in value.split(separators[0]) if t.strip())
    if isinstance(value, list):
        out = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, (str, int, float)) and str(name).strip():
                out.append(str(name).strip())
        return tuple(out)
    return ()


# -- dates ------------------------------------------------------------------------------------------


def _day(day: dt.date, text: str) -> DateRange | None:
    if not _EPOCH_FLOOR <= day <= _EPOCH_CEILING:
        return None
    return DateRange(day, day, text)


def epoch_date(value: object) -> DateRange | None:
    """A day from a Unix time in seconds, milliseconds or microseconds (browsers write all three)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except (ValueError, OverflowError):  # not a number, or an integer too large for a float
        return None
    if not math.isfinite(number) or number <= 0:  # Infinity (which JSON files may hold) would never shrink
        return None
    while number > 1e11:  # milliseconds or microseconds
        number /= 1000
    try:
        day = dt.datetime.fromtimestamp(number, dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return None
    return _day(day, day.isoformat())


def iso_date(value: object) -> DateRange | None:
    """A day or a range from ISO 8601 text: ``2024-06-19``, ``2021-07-01T12:00:00.000Z``,
    ``2024-01-01/2024-12-31`` (as ``selfbook entries --json`` writes ranges), or a Unix time."""
    if isinstance(value, (dt.datetime, dt.date)):
        day = value.date() if isinstance(value, dt.datetime) else value
        return _day(day, day.isoformat())
    if isinstance(value, (int, float)):
        return epoch_date(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return epoch_date(text)
    parts = text.split("/")
    if len(parts) == 2:
        first, last = iso_date(parts[0]), iso_date(parts[1])
        if first and last and first.start <= last.end:
            return DateRange(first.start, last.end, text)
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return _day(moment.date(), text)


# -- HTML -------------------------------------------------------------------------------------------


class LenientHTMLParser(HTMLParser):
    """:class:`HTMLParser` that reads a malformed ``<![…`` marked section as a bogus comment
    instead of raising AssertionError (as Python 3.11's does on ``<![DOCTYPE …>``)."""

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1


class _TextOf(LenientHTMLParser):
    _BREAKS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    _HIDDEN = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The readable text of an HTML fragment (a feed item's summary): tags dropped, entities
    decoded, paragraphs kept as lines, runs of spaces collapsed."""
    if "<" not in markup:
        text = html.unescape(markup)
    else:
        parser = _TextOf()
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def text_lines(chunks: Iterator[str]) -> Iterator[str]:
    """The lines of streamed text, each with its ``\\n`` (the last one may lack it)."""
    rest = ""
    for chunk in chunks:
        parts = (rest + chunk).split("\n")
        rest = parts.pop()
        for part in parts:
            yield part + "\n"
    if rest:
        yield rest
