"""Parse a markdown dump of links and notes into :class:`RawEntry` records, each with file + line.

Dumps are loose markdown written over years, not CommonMark documents, so this is a line scanner
with the rules below rather than a CommonMark parser (which would turn "Title\\n---" into a heading,
indented lines into code, and lose the line of every entry).

Structure (never an entry, never a skip):
  YAML front matter at the top (``---`` … ``---``) → ``Dump.meta``; its ``date``/``created`` say when
  the file was made and are not entry dates. Headings ``#``…``######`` give every entry below them
  its heading path, and a heading holding a date or range ("From self-1.md (Oct 2024 – Feb 2026)",
  "2023") gives them a ``context_date`` until a heading of the same or a higher level replaces it.
  Blank lines, rules (``---``, ``***``, ``___``, ``===``) and ``>`` blockquote markers.

Blocks:
  - Each top-level bullet (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, task boxes) is one entry with
    its indented continuation lines and nested bullets.
  - A paragraph is split into entries where a text line follows a URL line ("Title\\nURL\\nTitle\\nURL"),
    or where a whole-bold line follows a block that began with one. Identifier lines (arXiv, DOI,
    ISBN, "GitHub: owner/repo") and lone domain lines never start an entry.
  - A fenced code block belongs to the entry it sits in; one that follows an entry after a blank
    line belongs to that entry too.
  - Blocks with neither words nor links (separators such as "• • •"), HTML comments and front
    matter pasted mid-file become :class:`Skip` records; nothing is dropped silently.

Entries: the title is the first text line, with markdown emphasis and URLs taken out, except for
  ``[Title](url) — note``, ``**Title** — note``, ``Name (@handle): quote`` (title "Name: start
  of the quote", cut to 90 characters), and an entry of one text line that says where its title
  ends ("Title — note (2020-08-19)", "Title: note URL", "Title. Note. Mon YYYY.": see
  :mod:`.oneline`), whose title is cut there, the rest its note, the closing date neither. The note is the other text lines; URL lines, identifier
  lines and domain lines that name the URL's host stay in ``lines`` but not in the note. The date
  is the last date written in the entry's text (see :mod:`selfbook.text.dates`); hashtags become ``tags``.

The stages: the front matter is read here; :mod:`.scan` groups the body's lines into paragraphs and
list items under their headings; :mod:`.entries` cuts the groups into entries and reads each one's
title, note, links, date and tags (:mod:`.inline` takes the markdown out of titles and notes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import regex
import yaml

from ..errors import InputError
from ..models import RawEntry, Skip
from ..text import normalize
from .entries import build_entry, split_paragraph
from .links import find_urls
from .scan import Scanner

log = logging.getLogger(__name__)

__all__ = ["Dump", "find_urls", "parse_markdown"]


@dataclass(frozen=True)
class Dump:
    """One dump file read: its entries in file order, the blocks it skipped, its front matter."""

    path: str
    entries: tuple[RawEntry, ...]
    skips: tuple[Skip, ...] = ()
    meta: dict = field(default_factory=dict, hash=False)


_TOP_FM_START = regex.compile(r"[A-Za-z_][A-Za-z0-9_-]*:(?:[ \t]|$)|---[ \t]*$|\.\.\.[ \t]*$")


def _front_matter(lines: list[str], path: str) -> tuple[dict, int]:
    """The top front matter as a dict, and the index of the first line after it.

    A first line '---' opens front matter when the next line is a ``key:`` (then it must close and
    be valid YAML), or when the block up to the next '---' is a YAML list (an error: not a
    mapping). Otherwise, such as '---' followed by a blank line or by a note, it is a rule.
    """
    if len(lines) < 2 or lines[0].rstrip() != "---" or not lines[1].strip():
        return {}, 0
    keyed = bool(_TOP_FM_START.match(lines[1]))
    end = next((j for j in range(1, len(lines)) if lines[j].rstrip() in ("---", "...")), None)
    if end is None:
        if keyed:
            raise InputError(path, "front matter opened here is never closed", "close it with a '---' line", line=1)
        return {}, 0
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        if not keyed:
            return {}, 0
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        line = mark.line + 2 if mark is not None else 1
        raise InputError(path, f"invalid YAML in the front matter: {problem}", "fix it or remove the front matter", line=line) from None
    except ValueError as err:  # "date: 2024-13-45" is a YAML date that does not exist
        if not keyed:
            return {}, 0
        raise InputError(path, f"invalid value in the front matter: {err}", "fix it or remove the front matter", line=1) from None
    if not keyed and not isinstance(data, list):
        return {}, 0
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        hint = "write it as 'key: value' lines, or put a blank line after the first '---' if it is a rule"
        raise InputError(path, f"front matter is {kind}, not 'key: value' lines", hint, line=2)
    return dict(data), end + 1


def parse_markdown(text: str, path: str) -> Dump:
    """Parse a dump's text (no I/O). Raises :class:`InputError` only for broken front matter.

    ``path`` is what every :class:`Span` and error names. Line endings are normalized to LF and
    the text to NFC first, so line numbers match what an editor shows.
    """
    text = normalize(text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    lines = text.split("\n")
    meta, body = _front_matter(lines, path)
    scanner = Scanner(path)
    scanner.run(lines[body:], body + 1)
    entries: list[RawEntry] = []
    skips = list(scanner.skips)
    for group in scanner.groups:
        for chunk in [group.lines] if group.list_item else split_paragraph(group.lines):
            built = build_entry(chunk, group, path)
            (entries if isinstance(built, RawEntry) else skips).append(built)
    log.debug("%s: %d entries, %d skipped blocks", path, len(entries), len(skips))
    return Dump(path, tuple(entries), tuple(sorted(skips, key=lambda s: s.source)), meta)
