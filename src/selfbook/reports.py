"""What the facade hands back: :class:`BuildReport` (what a build did), :class:`AddReport`
(what an add did, one :class:`Added` per dump) and :class:`PlacedEntry` (an entry with where the book puts it). Plain
frozen data with ``to_dict()`` for the JSON front ends; :mod:`selfbook.library` makes them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from typing import TYPE_CHECKING, Callable, Iterable

from .models import Entry, Flag, Merge, Outline, Skip

if TYPE_CHECKING:  # for annotations only: the library imports this module on every command (see its docstring)
    from .book import WriteResult

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how a long step of a write reports as it advances."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts, every merge, flag and skip with its reason, and time per stage."""

    book: str
    dumps: tuple[str, ...]
    entries_read: int
    entries: int
    merges: tuple[Merge, ...]
    flags: tuple[Flag, ...]
    skipped: tuple[Skip, ...]
    chapters: int
    sections: int
    misc: int
    embedded: int
    cached: int
    model: str
    files: WriteResult
    timings: tuple[tuple[str, float], ...]
    moved: tuple[tuple[str, str, str], ...] = ()
    """Entries whose chapter or section changed: (id, from, to) as ``Chapter/Section`` titles."""
    installments: int = 0
    """Dumps added with ``selfbook add`` that this build replayed (none with ``--reorganize``)."""
    decisions: int = 0
    """The person's decisions applied."""
    llm: dict | None = None
    """The LLM's titles (see :mod:`selfbook.organize.llm_titles`): model, asked, cached, retitled,
    rejected, moved (misfits), warning and a one-line summary; ``None`` when no LLM was asked."""

    @property
    def merged(self) -> int:
        """Saved copies folded into another entry."""
        return self.entries_read - self.entries

    def to_dict(self) -> dict:
        data = asdict(self)
        data["merged"] = self.merged
        data["merges"] = [{"entry": m.entry_id, "reason": m.reason, "sources": [str(s) for s in m.sources]} for m in self.merges]
        data["skipped"] = [{"source": str(s.source), "reason": s.reason} for s in self.skipped]
        data["timings"] = {name: round(seconds, 3) for name, seconds in self.timings}
        return data


@dataclass(frozen=True)
class PlacedEntry:
    """An entry with where the book puts it."""

    entry: Entry
    chapter_id: str
    chapter: str
    section_id: str
    section: str

    def to_dict(self) -> dict:
        e = self.entry
        return {
            "id": e.id,
            "title": e.title,
            "urls": list(e.urls),
            "kind": e.kind,
            "date": e.date.iso() if e.date else None,
            "date_label": e.date.label() if e.date else None,
            "chapter": self.chapter,
            "section": self.section,
            "chapter_id": self.chapter_id,
            "section_id": self.section_id,
            "source": str(e.source),
            "sources": [str(s) for s in e.sources],
            "note": e.note,
            "entities": [str(x) for x in e.entities],
            "lang": e.lang,
            "script": e.script,
            "merged": e.merged,
            "fetched": list(e.fetched),
            "tags": list(e.tags),
            "folders": list(e.headings),
            "idents": list(e.idents),
        }


def placed_entries(outline: Outline, entries: Iterable[Entry]) -> list[PlacedEntry]:
    """Every entry of ``outline`` with its chapter and section, in book order."""
    by_id = {e.id: e for e in entries}
    return [
        PlacedEntry(by_id[eid], chapter.id, chapter.title, section.id, section.title)
        for chapter in outline.chapters for section in chapter.sections for eid in section.entry_ids
    ]


@dataclass(frozen=True)
class Added:
    """What adding one dump did. ``skipped`` says why a dump added nothing (already in the book)."""

    name: str
    path: str
    read: int = 0
    new: tuple[str, ...] = ()
    resaved: tuple[str, ...] = ()
    joined: int = 0
    pulled: int = 0
    misc: int = 0
    sections: tuple[tuple[str, str, int], ...] = ()   # (chapter, section, entries) made by it
    chapters: tuple[str, ...] = ()                      # titles of chapters made by it
    embedded: int = 0
    embed_s: float = 0.0
    period: str = ""
    skipped: str = ""
    skips: tuple[Skip, ...] = ()                        # blocks or records of the dump that became no entry

    def to_dict(self) -> dict:
        return {
            "name": self.name, "path": self.path, "read": self.read, "new": len(self.new), "resaved": len(self.resaved),
            "joined": self.joined, "pulled": self.pulled, "misc": self.misc,
            "new_sections": [{"chapter": c, "section": s, "entries": n} for c, s, n in self.sections],
            "new_chapters": list(self.chapters), "embedded": self.embedded, "embed_s": round(self.embed_s, 3),
            "period": self.period, "skipped": self.skipped,
            "skipped_blocks": [{"source": str(k.source), "reason": k.reason} for k in self.skips],
        }


@dataclass(frozen=True)
class AddReport:
    """What ``add`` did: one :class:`Added` per dump, the files, time per stage."""

    book: str
    added: tuple[Added, ...]
    files: WriteResult
    timings: tuple[tuple[str, float], ...]
    grown: tuple[tuple[str, int, int], ...] = ()
    """(chapter title, entries it was built with, entries installments added) of each chapter
    they have at least doubled, as REVIEW.md lists them (:func:`selfbook.book.review.grown_chapters`)."""

    @property
    def changed(self) -> bool:
        """False when every dump was already in the book: nothing was written."""
        return not all(a.skipped for a in self.added)

    def to_dict(self) -> dict:
        return {
            "book": self.book,
            "changed": self.changed,
            "added": [a.to_dict() for a in self.added],
            "files": asdict(self.files),
            "timings": {name: round(seconds, 3) for name, seconds in self.timings},
            "grown": [{"chapter": title, "built": built, "added": added} for title, built, added in self.grown],
        }
