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
from importlib import import_module
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from .files import ExportError

if TYPE_CHECKING:
    from ..library import Library
    from ..reports import PlacedEntry
    from .obsidian import Related

__all__ = ["EXPORTERS", "FORMATS", "ExportError", "ExportReport", "export_book"]

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


# Each format's writer, as "module:function" here, imported when that format is written (the
# opml writer's XML helpers, yaml for obsidian…), not by ``selfbook --help``.
_WRITERS = {
    "netscape": "netscape:write_netscape",
    "jsonl": "jsonl:write_jsonl",
    "obsidian": "obsidian:write_obsidian",
    "opml": "opml:write_opml",
}
FORMATS = tuple(_WRITERS)
"""The export formats, in the order ``--help`` lists them."""


def _writer(name: str) -> Exporter:
    module, function = _WRITERS[name].split(":")
    return getattr(import_module(f"{__name__}.{module}"), function)


def __getattr__(name: str):
    """``EXPORTERS``, ``{format name: exporter}``, built on first use."""
    if name == "EXPORTERS":
        exporters = {key: _writer(key) for key in _WRITERS}
        globals()["EXPORTERS"] = exporters
        return exporters
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
LINKS_ONLY = {"netscape", "opml"}


def export_book(
    library: Library, format: str, out: str | os.PathLike[str], *, related: int = 5, progress: Progress | None = None
) -> ExportReport:
    """Write the book in ``library`` to ``out`` as ``format`` (one of :data:`EXPORTERS`).

    ``related``: for Obsidian, how many wikilinks to related entries each note gets, found by
    searching the book for the entry's title by meaning (``Library.search(method="dense")``).
    """
    name = format.strip().lower()
    if name not in _WRITERS:
        raise ExportError(f"unknown export format {format!r} — use one of: {', '.join(FORMATS)}")
    target = Path(out)
    _check_target(target, folder=name == "obsidian")
    placed = library.entries()
    left_out: tuple[str, ...] = ()
    if name in LINKS_ONLY:
        left_out = tuple(p.entry.id for p in placed if not p.entry.urls)
        placed = [p for p in placed if p.entry.urls]
    finder = _related_finder(library, related, len(placed), progress) if name == "obsidian" and related > 0 else _no_related
    try:
        written = _writer(name)(placed, target, title=library.settings.title, related=finder)
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
