"""CSV exports: Pocket, Raindrop.io, and any CSV with a ``url`` column, read row by row with the
standard library's :mod:`csv`.

- **Pocket** (``part_000000.csv``): ``title,url,time_added,tags,status``; tags separated by
  ``|``, ``time_added`` in Unix seconds, ``status`` (unread / archive) becomes the heading.
- **Raindrop** (``export.csv``): ``id,title,note,excerpt,url,folder,tags,created,cover,
  highlights,favorite``; the folder path (``Parent/Child``) becomes the headings, note and
  excerpt the note, ``created`` (ISO 8601) the date.
- **csv**: any other CSV whose header names a ``url`` (or ``link``, ``href``) column; ``title``,
  ``note``/``description``, ``tags``, ``folder`` and ``date``/``created`` are read when present.

A row with an empty link cell but a title or note is a note entry; one whose link is not
http(s) is skipped and reported. The encoding is a byte-order mark's, or UTF-8, or guessed
(see :mod:`.decoding`).

Positions: each row's span is the lines it covers (a quoted field may hold newlines). A row
with fewer fields than the header, or that the CSV reader refuses, is skipped and reported; a
short last row is reported as a truncated file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..models import Skip, Span
from .base import Item, Progress, TextChunks, iso_date, make_entry, tag_list, text_lines, web_urls

__all__ = ["read_csv", "read_pocket_csv", "read_raindrop"]


@dataclass(frozen=True)
class Columns:
    """Which header names hold each field (first present wins), and how tags are separated."""

    url: tuple[str, ...] = ("url", "link", "href", "address")
    title: tuple[str, ...] = ("title", "name")
    notes: tuple[str, ...] = ("note", "notes", "description", "comment", "excerpt")
    tags: tuple[str, ...] = ("tags", "labels")
    folder: tuple[str, ...] = ("folder", "collection", "category")
    date: tuple[str, ...] = ("date", "created", "created_at", "time_added", "added")
    tag_separators: str = ",|"
    all_notes: bool = False  # join every notes column, not only the first present


POCKET = Columns(url=("url",), title=("title",), notes=(), tags=("tags",), folder=("status",), date=("time_added",), tag_separators="|")
RAINDROP = Columns(url=("url",), title=("title",), notes=("note", "excerpt"), tags=("tags",), folder=("folder",), date=("created",), all_notes=True)


def _field(row: dict[str, str], names: tuple[str, ...]) -> str:
    return next((row[n] for n in names if row.get(n, "").strip()), "")


def _entry(row: dict[str, str], span: Span, columns: Columns) -> Item:
    urls = web_urls(_field(row, columns.url))
    if columns.all_notes:
        note = "\n\n".join(row[n].strip() for n in columns.notes if row.get(n, "").strip())
    else:
        note = _field(row, columns.notes)
    found = _field(row, columns.url)
    if not urls and (found or not (note or _field(row, columns.title))):
        return Skip(span, f"no http(s) link in this row ({found[:40]!r})" if found else "no link, title or note in this row")
    return make_entry(
        span,
        title=_field(row, columns.title) or None,
        urls=urls,
        note=note,
        headings=tuple(h for h in _field(row, columns.folder).split("/") if h.strip()),
        date=iso_date(_field(row, columns.date)),
        tags=tag_list(_field(row, columns.tags), columns.tag_separators),
    )


def _read(path: Path, shown: str, progress: Progress | None, columns: Columns, what: str) -> Iterator[Item]:
    lines = text_lines(iter(TextChunks(path, shown, progress)))
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise InputError(shown, f"is not a CSV file ({err})", f"export {what} as CSV again", line=1) from None
    if header is None:
        raise InputError(shown, "is empty", f"export {what} again")
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    if not any(n in names for n in columns.url):
        found = ", ".join(n for n in names if n)[:120] or "nothing"
        raise InputError(shown, f"has no {'/'.join(columns.url)} column (its header names {found})", f"is it {what}? pass the right --format", line=1)
    rows = _rows(reader, shown)
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        span, row = current
        if isinstance(row, str):
            yield Skip(span, row)
        elif len(row) < len(names) and any(cell.strip() for cell in row):
            reason = f"has {len(row)} fields, the header has {len(names)}"
            yield Skip(span, reason + (" — the file ends here, so it looks truncated" if following is None else ""))
        elif any(cell.strip() for cell in row):
            yield _entry(dict(zip(names, row)), span, columns)
        current = following


def _rows(reader, shown: str) -> Iterator[tuple[Span, list[str] | str]]:
    """Each row with its lines, or the CSV reader's complaint about it."""
    last = reader.line_num
    while True:
        try:
            row = next(reader, None)
        except csv.Error as err:
            if reader.line_num == last:  # nothing consumed: the reader cannot go on
                return
            yield Span(shown, last + 1, max(last + 1, reader.line_num)), f"not valid CSV ({err})"
            last = reader.line_num
            continue
        if row is None:
            return
        yield Span(shown, last + 1, max(last + 1, reader.line_num)), row
        last = reader.line_num


def read_pocket_csv(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Pocket's CSV export: ``title,url,time_added,tags,status``."""
    return _read(path, shown, progress, POCKET, "the Pocket export")


def read_raindrop(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Raindrop.io's CSV export: folders → headings, note and excerpt → note, created → date."""
    return _read(path, shown, progress, RAINDROP, "the Raindrop export")


def read_csv(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Any CSV with a url/link/href column."""
    return _read(path, shown, progress, Columns(), "a CSV of links")
