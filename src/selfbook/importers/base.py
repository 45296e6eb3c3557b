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

import codecs
import datetime as dt
import html
import math
import os
import stat
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator, Protocol
from urllib.parse import urlsplit

from ..errors import InputError
from ..ingest import find_urls
from ..models import DateRange, RawEntry, Skip, Span
from ..text import normalize

__all__ = [
    "CHUNK", "Importer", "Item", "LenientHTMLParser", "Progress", "TextChunks", "binary_chunks", "epoch_date", "html_text",
    "iso_date", "make_entry", "split_note", "tag_list", "text_lines", "web_urls",
]

CHUNK = 1 << 16
Item = RawEntry | Skip
Progress = Callable[[str, int, int], None]
WEB_SCHEMES = ("http", "https")
_EPOCH_FLOOR = dt.date(1971, 1, 1)
_EPOCH_CEILING = dt.date(2100, 12, 31)


class Importer(Protocol):
    """The one method every format implements (see the module docstring)."""

    def __call__(self, path: Path, shown: str, progress: Progress | None) -> Iterator[Item]: ...


# -- opening and decoding ---------------------------------------------------------------------------


def check_file(path: Path, shown: str) -> int:
    """The file's size; an InputError when it is missing, a folder, a device or unreadable."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(shown, "no such file", "check the path") from None
    except PermissionError:
        raise InputError(shown, "cannot be read: permission denied", "make it readable (chmod u+r)") from None
    except OSError as err:
        raise InputError(shown, f"cannot be read: {err.strerror or err}", "check the path and try again") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(shown, "is a directory, not a file", "name a file inside it, or pass --format obsidian for a vault")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(shown, "is not a regular file", "name an exported file such as bookmarks.html")
    if not os.access(path, os.R_OK):
        raise InputError(shown, "cannot be read: permission denied", "make it readable (chmod u+r)")
    return info.st_size


def binary_chunks(path: Path, shown: str, progress: Progress | None, size: int = CHUNK) -> Iterator[bytes]:
    """The file's bytes in chunks, reporting ``progress("read NAME", bytes_done, bytes_total)``."""
    total = check_file(path, shown)
    stage = f"read {path.name}"
    done = 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(size):
                done += len(block)
                yield block
                if progress:
                    progress(stage, min(done, total), total)
    except OSError as err:
        raise InputError(shown, f"cannot be read: {err.strerror or err}", "check the file and try again") from None


class TextChunks:
    """A UTF-8 file as text chunks, decoded as it streams; ``line`` is the line reached so far.

    Refuses UTF-16 and binary files (a NUL byte) and bytes that are not UTF-8, naming the line.
    A UTF-8 byte-order mark is dropped.
    """

    def __init__(self, path: Path, shown: str, progress: Progress | None, size: int = CHUNK) -> None:
        self.path, self.shown, self.progress, self.size = path, shown, progress, size
        self.line = 1

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        first = True
        for block in binary_chunks(self.path, self.shown, self.progress, self.size):
            if first:
                if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise InputError(self.shown, "is UTF-16 text, not UTF-8", "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > FILE.utf8", line=1)
                block = block.removeprefix(codecs.BOM_UTF8)
                first = False
            nul = block.find(b"\0")
            if nul >= 0:
                line = self.line + block.count(b"\n", 0, nul)
                raise InputError(self.shown, f"looks like a binary file (a NUL byte on line {line})", "name a text export such as bookmarks.html", line=line)
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as err:
                line = self.line + block.count(b"\n", 0, max(err.start, 0))
                raise InputError(
                    self.shown, f"is not valid UTF-8 (line {line})", "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8", line=line
                ) from None
            yield text
            self.line += text.count("\n")
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(self.shown, f"ends in the middle of a UTF-8 character (line {self.line})", "the file looks truncated; export it again", line=self.line) from None
        if tail:
            yield tail


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
