"""Exports: the book back out, to a browser, to Obsidian, to JSON Lines or to a feed reader.

::

    export_book(library, format, out, related=5, progress=None) -> ExportReport
    EXPORTERS        {format name: exporter}

=========  ====================================================================================
netscape   a browser bookmark file: chapters and sections as folders, one bookmark per entry
           (its first link; the others on their own lines in the description)  (:mod:`.netscape`)
jsonl      one JSON object per entry: the fields of ``selfbook entries --json`` plus ``tags`` and
           ``headings`` — the full entry model                                   (:mod:`.jsonl`)
obsidian   a vault: a folder per chapter and section, a note per entry, wikilinks to related
           entries, and an Index note                                            (:mod:`.obsidian`)
opml       an outline grouped by chapter and section; feed links (``…/feed``, ``.rss``) as
           subscriptions (``xmlUrl``), the others as links                      (:mod:`.opml`)
=========  ====================================================================================

Every export reads the book through the :class:`~selfbook.library.Library` facade only
(``entries()``, ``outline()``, ``search()``), writes in book order (so the same book gives the
same bytes), and is written next to its target and moved into place when complete, so a failed
export leaves no half-written file. Importing an export with :func:`selfbook.importers.read_source`
gives back the same entries: the same titles, links and notes. Netscape and OPML hold links, so
an entry without a link is left out of them, and counted in the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from ..library import Library, PlacedEntry
from .files import ExportError
from .jsonl import write_jsonl
from .netscape import write_netscape
from .obsidian import Related, write_obsidian
from .opml import write_opml

__all__ = ["EXPORTERS", "ExportError", "ExportReport", "export_book"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: where, how many entries, and the entries it left out (and why)."""

    path: str
    format: str
    entries: int
    left_out: tuple[str, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "entries": self.entries, "left_out": list(self.left_out), "reason": self.reason}


class Exporter(Protocol):
    def __call__(self, entries: Sequence[PlacedEntry], out: Path, *, title: str, related: Related) -> int: ...


EXPORTERS: dict[str, Exporter] = {
    "netscape": write_netscape,
    "jsonl": write_jsonl,
    "obsidian": write_obsidian,
    "opml": write_opml,
}
LINKS_ONLY = {"netscape", "opml"}


def export_book(
    library: Library, format: str, out: str | os.PathLike[str], *, related: int = 5, progress: Progress | None = None
) -> ExportReport:
    """Write the book in ``library`` to ``out`` as ``format`` (one of :data:`EXPORTERS`).

    ``related``: for Obsidian, how many wikilinks to related entries each note gets, found by
    searching the book for the entry's title by meaning (``Library.search(method="dense")``).
    """
    name = format.strip().lower()
    if name not in EXPORTERS:
        raise ExportError(f"unknown export format {format!r} — use one of: {', '.join(EXPORTERS)}")
    target = Path(out)
    _check_target(target, folder=name == "obsidian")
    placed = library.entries()
    left_out: tuple[str, ...] = ()
    if name in LINKS_ONLY:
        left_out = tuple(p.entry.id for p in placed if not p.entry.urls)
        placed = [p for p in placed if p.entry.urls]
    finder = _related_finder(library, related, len(placed), progress) if name == "obsidian" and related > 0 else _no_related
    try:
        written = EXPORTERS[name](placed, target, title=library.settings.title, related=finder)
    except OSError as err:
        raise ExportError(f"{target}: cannot be written ({err.strerror or err}) — check the folder exists and is writable") from None
    reason = f"{name} holds links only: entries without a link are left out" if left_out else ""
    return ExportReport(str(target), name, written, left_out, reason)


def _check_target(target: Path, *, folder: bool) -> None:
    if folder:
        if target.exists() and not target.is_dir():
            raise ExportError(f"{target}: is a file — name a new or empty folder for the vault")
        return
    if target.is_dir():
        raise ExportError(f"{target}: is a folder — name a file, e.g. bookmarks.html")


def _no_related(entry: PlacedEntry) -> list[str]:
    return []


def _related_finder(library: Library, k: int, total: int, progress: Progress | None) -> Related:
    """Entry → ids of up to ``k`` entries nearest it by meaning (the book's own vectors, all
    found at once: :meth:`Library.neighbours`)."""
    if progress:
        progress("related notes", 0, total)
    nearest = library.neighbours(k)
    if progress:
        progress("related notes", total, total)
    return lambda placed: list(nearest.get(placed.entry.id, ()))
