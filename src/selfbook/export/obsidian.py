"""The book as an Obsidian vault: ``Chapter/Section/Entry title.md``, one note per entry.

One note per entry, not per section, because Obsidian links, backlinks and the graph work
between notes: a note per entry lets a wikilink point at the entry it means, and lets a person
move, tag or annotate one entry without touching its neighbours. The section is still there, as
the folder, and ``Index.md`` lists every chapter and section with links to their entries.

Each note's front matter holds ``title``, ``source`` (the first link) and ``urls`` (all of
them), ``date``, ``tags``, ``kind``, ``chapter``, ``section``, ``selfbook_id`` and ``related``:
wikilinks to the entries nearest it by meaning (the exporter is handed a finder; see
:func:`selfbook.export.export_book`), which Obsidian shows in the graph and backlinks. The
body is the entry's note, unchanged, so importing the vault gives back the same entries.

Note names are the titles with the characters Obsidian refuses in file names removed, cut to
80 characters, made unique across the vault (a clash gets the entry id appended), since a
wikilink names a note by its file name alone.

The vault is written to a new folder next to the target and moved into place when complete.
It replaces an existing folder only if that folder is empty or is a vault selfbook exported
(it holds a ``.selfbook-export`` marker), never a folder of other notes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import regex
import yaml

from ..reports import PlacedEntry
from .files import ExportError, by_section

__all__ = ["MARKER", "Related", "note_name", "write_obsidian"]

Related = Callable[[PlacedEntry], list[str]]
MARKER = ".selfbook-export"
NAME_LIMIT = 80
_FORBIDDEN = regex.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]+')


def note_name(title: str, fallback: str = "Untitled") -> str:
    """A file name Obsidian (and Windows, macOS, Linux) accepts, from a title."""
    name = " ".join(_FORBIDDEN.sub(" ", title).split()).strip(" .")
    if len(name) > NAME_LIMIT:
        name = name[:NAME_LIMIT].rsplit(" ", 1)[0].rstrip(" .") or name[:NAME_LIMIT]
    return name or fallback


def _names(entries: Sequence[PlacedEntry]) -> dict[str, str]:
    """Entry id → a note name unique in the vault (case-insensitively, for macOS and Windows)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for placed in entries:
        base = note_name(placed.entry.title)
        name = base if base.casefold() not in taken and base.casefold() != "index" else f"{base} ({placed.entry.id})"
        taken.add(name.casefold())
        names[placed.entry.id] = name
    return names


def _note(placed: PlacedEntry, related: list[str], names: dict[str, str]) -> str:
    e = placed.entry
    meta: dict = {"title": e.title}
    if e.urls:
        meta["source"] = e.urls[0]
        meta["urls"] = list(e.urls)
    if e.date is not None:
        meta["date"] = e.date.iso()
    if e.tags:
        meta["tags"] = list(e.tags)
    meta.update({"kind": e.kind, "chapter": placed.chapter, "section": placed.section, "selfbook_id": e.id})
    if related:
        meta["related"] = [f"[[{names[r]}]]" for r in related if r in names]
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n\n{e.note}\n" if e.note else f"---\n{front}---\n"


def _index(entries: Sequence[PlacedEntry], names: dict[str, str], title: str) -> str:
    lines = [f"# {title}", ""]
    for chapter, sections in by_section(entries):
        lines += [f"## {chapter}", ""]
        for section, members in sections:
            lines += [f"### {section}", ""]
            lines += [f"- [[{names[p.entry.id]}]]" for p in members]
            lines.append("")
    return "\n".join(lines)


def _check_replaceable(out: Path) -> None:
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ExportError(
            f"{out}: holds other files — name a new or empty folder (selfbook only replaces a vault it exported itself)"
        )


def write_obsidian(entries: Sequence[PlacedEntry], out: Path, *, title: str, related: Related) -> int:
    """Write the vault; returns the number of notes written for entries."""
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = _names(entries)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for placed in entries:
            folder = staging / note_name(placed.chapter, "Chapter") / note_name(placed.section, "Section")
            folder.mkdir(parents=True, exist_ok=True)
            text = _note(placed, related(placed), names)
            (folder / f"{names[placed.entry.id]}.md").write_text(text, encoding="utf-8", newline="\n")
        (staging / "Index.md").write_text(_index(entries, names, title), encoding="utf-8", newline="\n")
        (staging / MARKER).write_text("written by selfbook export --format obsidian\n", encoding="utf-8")
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(entries)


def _swap(staging: Path, out: Path) -> None:
    """Put the new vault where ``out`` is, removing the previous export (or empty folder) there."""
    if not out.exists():
        os.replace(staging, out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)
