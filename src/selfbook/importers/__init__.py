"""Importers: every place people keep links, read into :class:`~selfbook.models.RawEntry` records.

::

    read_source(path, format=None, progress=None)   the file or vault → Dump(path, entries, skips, meta)
    iter_source(path, format=None, progress=None)   the same, streamed: RawEntry and Skip in file order
    detect_format(path)                              the format name, from the content
    source_digest(path)                              SHA-256 of a file, or of a vault's notes
    FORMATS                                          {name a user types: importer}

Formats (``--format NAME``; aliases in brackets):

=============  ==============================================================================
markdown       selfbook's notes dumps (self.md): paragraphs, bullets, headings
urls           a plain list of URLs, one a line, each optionally followed by a title
netscape       browser bookmarks exported by Chrome, Firefox, Safari, Edge [bookmarks, html]
chrome         Chrome's (Chromium's, Edge's, Brave's) own ``Bookmarks`` JSON file [chromium, edge, brave]
firefox        Firefox bookmark backups, ``.json`` or ``.jsonlz4``
safari         Safari's ``Bookmarks.plist``, binary or XML, Reading List included
linkwarden     Linkwarden's JSON export
pocket         Pocket's export, CSV or HTML (told apart by content)
raindrop       Raindrop.io's CSV export
csv            any CSV with a url / link / href column
karakeep       Karakeep's (Hoarder's) JSON export [hoarder]
pinboard       Pinboard's JSON export (or any JSON list of link records) [json]
twitter        the X/Twitter archive's bookmarks.js or like.js [x]
jsonl          JSON Lines, as ``selfbook export --format jsonl`` writes them (lossless)
opml           OPML subscription lists and outlines
feed           RSS and Atom feed files; items become entries [rss, atom]
obsidian       an Obsidian vault (a folder of notes)
=============  ==============================================================================

Every entry's ``source`` is a :class:`~selfbook.models.Span` of the file and the lines the
record covers, as the parser reports them (JSON lists too: records are found with their lines,
never by index; a feed item gets the line of its ``<item>``/``<entry>`` tag). Its
``headings`` carry where the source filed it: the bookmark folder path, the vault folders, note
and headings, the feed's title, Pocket's list, or the book's chapter and section for selfbook's
own exports; the organizer reads them as hints.

Detection reads the content (the first 64 KB), not the extension: a folder is an Obsidian
vault; ``window.YTD.`` an X archive; a Netscape doctype, or HTML, bookmarks (Pocket's when it
says so); ``<opml>`` OPML; ``<rss>``/``<feed>`` a feed; ``mozLz40\0`` a Firefox ``.jsonlz4``;
``bplist00`` or ``<plist>`` Safari; ``{"bookmarks": [`` Karakeep; a JSON object with
``"roots": {"bookmark_bar"`` (or starting ``{"checksum"``) Chrome, with ``"guid": "root________"``
or ``"typeCode"`` Firefox, with ``"collections": [`` Linkwarden; another ``{"…`` JSON Lines; ``[{`` a JSON list; a CSV header naming a url column Pocket, Raindrop or
plain CSV by its other columns; lines that (four in five, at least) start with a URL a URL list; anything else a
markdown dump. ``format=`` overrides it.

Errors: a file that cannot be read at all raises :class:`~selfbook.errors.InputError` naming the
file, the line and what to do. A bad record among good ones is a :class:`~selfbook.models.Skip`
(with its span and reason) and the rest import; so is a truncated end, after everything before
it. :func:`read_source` refuses a source that yields no entry at all.
"""

from __future__ import annotations

import hashlib
import os
import re
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import InputError

if TYPE_CHECKING:
    from ..ingest import Dump
    from ..models import RawEntry, Skip
    from .base import Importer, Item, Progress

__all__ = ["FORMATS", "FORMAT_NAMES", "Item", "detect_format", "iter_source", "read_source", "source_digest"]

SNIFF = 1 << 16


def _read_pocket(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Pocket's export, CSV or HTML, told apart by its first characters."""
    from .csvfiles import read_pocket_csv
    from .netscape import read_pocket_html

    html = _head(path).lstrip().startswith("<")
    return (read_pocket_html if html else read_pocket_csv)(path, shown, progress)


# Each format's importer, as "module:function" under selfbook.importers: a module (and what it
# needs: feedparser, defusedxml, lz4, plistlib…) is imported when a file of its format is read,
# not by ``selfbook --help``, which only shows the names (bench/cli_start.py).
_IMPORTERS = {
    "markdown": "text:read_markdown",
    "urls": "text:read_urls",
    "netscape": "netscape:read_netscape",
    "chrome": "browsers:read_chrome",
    "firefox": "browsers:read_firefox",
    "safari": "browsers:read_safari",
    "linkwarden": "linkwarden:read_linkwarden",
    "pocket": ":_read_pocket",
    "raindrop": "csvfiles:read_raindrop",
    "csv": "csvfiles:read_csv",
    "karakeep": "records:read_karakeep",
    "pinboard": "records:read_pinboard",
    "twitter": "records:read_twitter",
    "jsonl": "records:read_jsonl",
    "opml": "opml:read_opml",
    "feed": "feeds:read_feed",
    "obsidian": "obsidian:read_obsidian",
    # the same importers under the other names people call these files by
    "bookmarks": "netscape:read_netscape",
    "html": "netscape:read_netscape",
    "chromium": "browsers:read_chrome",
    "edge": "browsers:read_chrome",
    "brave": "browsers:read_chrome",
    "hoarder": "records:read_karakeep",
    "json": "records:read_pinboard",
    "x": "records:read_twitter",
    "rss": "feeds:read_feed",
    "atom": "feeds:read_feed",
}


def _load(name: str) -> Importer:
    module, function = _IMPORTERS[name].split(":")
    return getattr(import_module(f"{__name__}.{module}") if module else import_module(__name__), function)


def __getattr__(name: str):
    """``FORMATS``, ``{name a user types: importer}``, built on first use (see ``_IMPORTERS``)."""
    if name == "FORMATS":
        formats = {key: _load(key) for key in _IMPORTERS}
        globals()["FORMATS"] = formats
        return formats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


FORMAT_NAMES = (
    "markdown", "urls", "netscape", "chrome", "firefox", "safari", "linkwarden", "pocket", "raindrop", "csv", "karakeep", "pinboard", "twitter", "jsonl", "opml", "feed", "obsidian",
)


# -- detection --------------------------------------------------------------------------------------

_ROOT = re.compile(r"(?:\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>))*\s*<([a-z][\w:.-]*)", re.DOTALL)
_HTML_ROOTS = {"html", "head", "body", "meta", "title", "dl", "dt", "h1", "ul", "a"}
_KARAKEEP = re.compile(r'\{\s*"bookmarks"\s*:')
_JSON_OBJECT = re.compile(r'\{\s*"')
_CHROME_START = re.compile(r'\{\s*"checksum"\s*:')
_CHROME_ROOTS = re.compile(r'"roots"\s*:\s*\{\s*"(?:bookmark_bar|other|synced)"\s*:')
_FIREFOX = re.compile(r'"guid"\s*:\s*"root________"|"typeCode"\s*:\s*[0-9]')
_LINKWARDEN = re.compile(r'"collections"\s*:\s*\[')
_JSON_LIST = re.compile(r'\[\s*(?:\{|\]|$)')


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(SNIFF)
    except OSError:
        return ""
    from .decoding import bom_codec

    return data.decode(bom_codec(data) or "utf-8", errors="replace").lstrip("\ufeff")  # a UTF-16 file says so


def _csv_header(first_line: str) -> list[str]:
    return [c.strip().strip('"').strip().lower() for c in first_line.split(",")]


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of the file or folder at ``path``, from its content (rules in the module docstring)."""
    path = Path(path)
    if path.is_dir():
        return "obsidian"
    text = _head(path).lstrip()
    low = text[:4096].lower()
    if text.startswith("mozLz40\0"):
        return "firefox"
    if text.startswith("bplist00"):
        return "safari"
    if low.startswith("window.ytd."):
        return "twitter"
    if low.startswith("<!doctype netscape-bookmark-file"):
        return "netscape"
    if low.startswith("<"):
        root = _ROOT.match(low)
        name = root.group(1) if root else ""
        if name == "opml":
            return "opml"
        if name == "plist":
            return "safari"
        if name in ("rss", "feed", "rdf:rdf"):
            return "feed"
        if low.startswith("<!doctype html") or name in _HTML_ROOTS:
            return "pocket" if ("pocket export" in low or "time_added=" in low) else "netscape"
    if _KARAKEEP.match(text):
        return "karakeep"
    if _JSON_OBJECT.match(text):
        return _json_object_format(text)
    if _JSON_LIST.match(text):
        return "pinboard"
    first = text.split("\n", 1)[0]
    columns = _csv_header(first) if "," in first else []
    if any(c in ("url", "link", "href") for c in columns):
        if "time_added" in columns:
            return "pocket"
        if "folder" in columns and {"excerpt", "cover", "highlights"} & set(columns):
            return "raindrop"
        return "csv"
    lines = [line.strip() for line in text.splitlines()[:200] if line.strip() and not line.strip().startswith("#")]
    if len(text) >= SNIFF - 16:
        lines = lines[:-1]  # the head was cut: so may its last line be
    starting = sum(line.lower().startswith(("http://", "https://")) for line in lines)
    if lines and starting >= 0.8 * len(lines) and (starting >= 2 or len(lines) == 1):
        return "urls"
    return "markdown"


def _json_object_format(text: str) -> str:
    """A file that starts with a JSON object: a browser's or Linkwarden's tree, else JSON Lines."""
    if _CHROME_START.match(text) or _CHROME_ROOTS.search(text):
        return "chrome"
    if _FIREFOX.search(text):
        return "firefox"
    if _LINKWARDEN.search(text):
        return "linkwarden"
    return "jsonl"


def _importer(path: Path, shown: str, format: str | None) -> tuple[str, Importer]:
    if format is None:
        name = detect_format(path)
    else:
        name = format.strip().lower()
        if name not in _IMPORTERS:
            raise InputError(shown, f"unknown format {format!r}", f"use one of: {', '.join(FORMAT_NAMES)} (or leave --format out to detect it)")
    return name, _load(name)


# -- reading ----------------------------------------------------------------------------------------


def iter_source(path: str | os.PathLike[str], format: str | None = None, progress: Progress | None = None) -> Iterator[RawEntry | Skip]:
    """The entries and skips of one source, streamed in file order: files are read in chunks
    and a vault note by note, so memory stays bounded (a feed file, which feedparser reads
    whole, a Firefox ``.jsonlz4`` backup and a Safari plist are the exceptions).

    ``format`` is a name of :data:`FORMATS` (detected from the content when None);
    ``progress(stage, done, total)`` hears about bytes read (notes, for a vault).
    """
    shown = os.fspath(path)
    _, importer = _importer(Path(path), shown, format)  # an unknown format raises here, not on first next()
    return importer(Path(path), shown, progress)


def read_source(path: str | os.PathLike[str], format: str | None = None, progress: Progress | None = None) -> Dump:
    """One source read whole: a :class:`~selfbook.ingest.Dump` of its entries and skips.

    Raises :class:`~selfbook.errors.InputError` for an unknown format, a source that cannot be
    read, or one that holds no entry (naming the first skip, if any). ``Dump.meta`` holds the
    format (and, for a markdown dump, its front matter).
    """
    from ..ingest import Dump, read_dump
    from ..models import Skip

    shown = os.fspath(path)
    name, importer = _importer(Path(path), shown, format)
    if _IMPORTERS[name] == _IMPORTERS["markdown"]:
        dump = read_dump(path)
        return Dump(dump.path, dump.entries, dump.skips, {**dump.meta, "format": "markdown"})
    entries: list[RawEntry] = []
    skips: list[Skip] = []
    for item in importer(Path(path), shown, progress):
        (skips if isinstance(item, Skip) else entries).append(item)
    if not entries:
        problem, line = f"holds no entries (read as {name})", None
        if skips:
            problem += f"; {len(skips)} record(s) skipped, the first because: {skips[0].reason}"
            line = skips[0].source.start
        if format is not None:
            hint = f"is it really {name}? leave --format out to detect the format"
        elif name == "jsonl":
            hint = "if it is one JSON document rather than JSON Lines, name its format: --format chrome, firefox, linkwarden, karakeep or pinboard"
        else:
            hint = "check the file, or name its format with --format"
        raise InputError(shown, problem, hint, line=line)
    return Dump(shown, tuple(entries), tuple(skips), {"format": name})


def source_digest(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a source: a file's bytes, or for a folder (a vault) its notes' relative
    paths and bytes in order, so a vault whose notes are unchanged has the same digest."""
    from .obsidian import note_paths

    path = Path(path)
    digest = hashlib.sha256()
    files = [(None, path)] if not path.is_dir() else [(p.relative_to(path).as_posix(), p) for p in note_paths(path)]
    for name, file in files:
        if name is not None:
            digest.update(name.encode("utf-8") + b"\0" + str(file.stat().st_size).encode() + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
