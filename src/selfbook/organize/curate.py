"""The person's edits to a book's structure — move, rename, merge, pin — kept as decisions.

A decision is recorded once (:class:`~selfbook.models.Decision`, append-only in the store, with
when it was made) and applied as a constraint, in the order made, when it is made and again on
every later ``build`` and ``build --reorganize`` (:func:`apply_decisions`, replayed by
:func:`selfbook.organize.update.replay`); an ``add`` applies those about the entries it brings.

What each one means
-------------------
- ``move ENTRY --to "Chapter/Section"``: the entry lives in that section. The section is made if
  the chapter has none of that title (and the chapter too, when a reorganization lost it).
- ``pin ENTRY``: the entry stays in the chapter and section it is in now: a move to where it is.
- ``rename "Chapter[/Section]" "New title"``: the section (or chapter) gets the new title. Ids,
  anchors and file names are kept.
- ``merge A B``: what A and B name decides: two entries (ids), two sections (``Chapter/Section``)
  or two chapters. Entries: B's notes, links and sources join A, which keeps its id, title and
  place; B leaves the book. Sections or chapters: B's entries (or sections) join A; B is gone.

Finding things again
--------------------
Titles change (a rename, a reorganization) and section ids are made from titles, so a decision
about a section or a chapter also records its entries at the time (``members``). It applies to
the section (chapter) that now holds the most of those entries still in the book, provided it
holds at least half of them; with no such section it falls back to the title, and is skipped
(and reported) when neither finds it. Entry ids are stable, so entry decisions need no more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import regex

from ..errors import BookError
from ..models import Chapter, Decision, Entry, Outline, Section
from ..normalize import dedupe_key
from ..text import slug
from ..search.resolve import entries_named

log = logging.getLogger(__name__)

MISC_TITLE = "Miscellany"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


# -- an outline that can be edited ---------------------------------------------------------------


@dataclass
class _Section:
    id: str
    title: str
    entry_ids: list[str]
    misc: bool = False
    description: str = ""


@dataclass
class _Chapter:
    id: str
    title: str
    sections: list[_Section]
    description: str = ""


@dataclass
class EditableOutline:
    """A mutable copy of an :class:`Outline`: find, move, create, then :meth:`freeze`."""

    chapters: list[_Chapter]
    params: tuple[tuple[str, str], ...] = ()
    _where: dict[str, _Section] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, outline: Outline) -> EditableOutline:
        chapters = [
            _Chapter(c.id, c.title, [_Section(s.id, s.title, list(s.entry_ids), s.misc, s.description) for s in c.sections], c.description)
            for c in outline.chapters
        ]
        draft = cls(chapters, outline.params)
        draft._where = {e: s for c in chapters for s in c.sections for e in s.entry_ids}
        return draft

    def freeze(self) -> Outline:
        """The outline, without empty sections and chapters."""
        return Outline(
            tuple(
                Chapter(
                    c.id,
                    c.title,
                    tuple(Section(s.id, s.title, tuple(s.entry_ids), s.misc, s.description) for s in c.sections if s.entry_ids),
                    c.description,
                )
                for c in self.chapters
                if any(s.entry_ids for s in c.sections)
            ),
            self.params,
        )

    # finding
    def chapter(self, name: str) -> _Chapter | None:
        """The chapter with this id or title (case and spacing do not matter)."""
        key = _key(name)
        return next((c for c in self.chapters if c.id == name or _key(c.title) == key), None)

    def section(self, chapter: _Chapter, name: str) -> _Section | None:
        key = _key(name)
        return next((s for s in chapter.sections if s.id == name or _key(s.title) == key), None)

    def chapter_of(self, section: _Section) -> _Chapter:
        return next(c for c in self.chapters if any(s is section for s in c.sections))

    def where(self, entry_id: str) -> _Section | None:
        return self._where.get(entry_id)

    def sections(self) -> Iterable[tuple[_Chapter, _Section]]:
        return ((c, s) for c in self.chapters for s in c.sections)

    def holding(self, members: Sequence[str], *, chapters: bool = False) -> _Section | _Chapter | None:
        """The section (or chapter) holding the most of ``members`` still in the book, if at least half."""
        present = [m for m in members if m in self._where]
        if not present:
            return None
        counts: dict[int, tuple[int, object]] = {}
        for m in present:
            section = self._where[m]
            unit = self.chapter_of(section) if chapters else section
            n, _ = counts.get(id(unit), (0, unit))
            counts[id(unit)] = (n + 1, unit)
        best_n, best = max(counts.values(), key=lambda nu: nu[0])  # first of equals: dicts keep order
        return best if 2 * best_n >= len(present) else None

    # changing
    def ids(self) -> set[str]:
        return {c.id for c in self.chapters} | {s.id for c in self.chapters for s in c.sections}

    def _unique(self, base: str) -> str:
        used, candidate, number = self.ids(), base, 2
        while candidate in used:
            candidate, number = f"{base}-{number}", number + 1
        return candidate

    def add_chapter(self, title: str) -> _Chapter:
        """A new, empty chapter at the end of the book (no existing chapter file is renumbered)."""
        chapter = _Chapter(self._unique(slug(title)), title, [])
        self.chapters.append(chapter)
        return chapter

    def add_section(self, chapter: _Chapter, title: str, *, misc: bool = False) -> _Section:
        """A new, empty section, before the chapter's Miscellany section (a misc one: last)."""
        base = f"{chapter.id}-{slug(MISC_TITLE)}" if misc else slug(title)
        section = _Section(self._unique(base), title, [], misc)
        at = len(chapter.sections)
        if not misc and chapter.sections and chapter.sections[-1].misc:
            at -= 1
        chapter.sections.insert(at, section)
        return section

    def misc_section(self, chapter: _Chapter) -> _Section:
        """The chapter's Miscellany section, made if it has none."""
        found = next((s for s in chapter.sections if s.misc), None)
        return found or self.add_section(chapter, MISC_TITLE, misc=True)

    def put(self, entry_id: str, section: _Section) -> None:
        """Put an entry at the end of ``section``, taking it out of where it was."""
        self.remove(entry_id)
        section.entry_ids.append(entry_id)
        self._where[entry_id] = section

    def remove(self, entry_id: str) -> None:
        section = self._where.pop(entry_id, None)
        if section is not None:
            section.entry_ids.remove(entry_id)


# -- resolving what the person typed ---------------------------------------------------------------


def resolve_entry(ids: Iterable[str], text: str) -> str:
    """The entry id ``text`` names: an id, or a prefix of exactly one id."""
    found = entries_named(ids, text)
    if len(found) == 1:
        return found[0]
    if found:
        raise BookError(f"{text!r} is the start of {len(found)} entry ids ({', '.join(sorted(found)[:4])}…) — type more of it")
    raise BookError(f"no entry {text!r} in this book — find ids with 'selfbook entries' or 'selfbook search'")


def resolve_path(outline: EditableOutline, path: str, *, new_section: bool = False) -> tuple[_Chapter, _Section | None, str]:
    """The chapter and section ``Chapter/Section`` names (either part by id or title).

    Titles may hold '/': every split is tried, first at the first '/'. Returns the chapter, the
    section (``None`` when ``path`` names only a chapter, or a section that does not exist yet
    and ``new_section`` allows it) and the section title as typed.
    """
    text = path.strip().strip("/")
    cuts = [m.start() for m in regex.finditer("/", text)]
    for cut in cuts:
        chapter = outline.chapter(text[:cut].strip())
        if chapter is None:
            continue
        name = text[cut + 1 :].strip()
        section = outline.section(chapter, name)
        if section is not None or (new_section and name):
            return chapter, section, name
    chapter = outline.chapter(text)
    if chapter is not None:
        return chapter, None, ""
    titles = "; ".join(c.title for c in outline.chapters[:8])
    if cuts:
        raise BookError(f"no section {path!r} in this book — write 'Chapter/Section' with titles from 'selfbook chapters' ({titles})")
    raise BookError(f"no chapter {path!r} in this book — its chapters are: {titles}")


def path_of(chapter: _Chapter, section: _Section | None = None) -> str:
    return f"{chapter.title}/{section.title}" if section is not None else chapter.title


# -- making decisions ------------------------------------------------------------------------------


def _members(chapter: _Chapter) -> tuple[str, ...]:
    return tuple(e for s in chapter.sections for e in s.entry_ids)


def decide_move(outline: Outline, entry_id: str, to: str) -> Decision:
    """Move ``entry_id`` to ``to`` (``Chapter/Section``; a new section title makes a section)."""
    draft = EditableOutline.of(outline)
    chapter, section, name = resolve_path(draft, to, new_section=True)
    if not name:
        raise BookError(f"{to!r} names a chapter — say which section: 'Chapter/Section'")
    if section is None:
        return Decision("move", entry_id, f"{chapter.title}/{name}", target_members=(entry_id,))
    return Decision("move", entry_id, path_of(chapter, section), target_members=(*section.entry_ids, entry_id))


def decide_pin(outline: Outline, entry_id: str) -> Decision:
    """Keep ``entry_id`` where it is now, through reorganizations."""
    draft = EditableOutline.of(outline)
    section = draft.where(entry_id)
    if section is None:
        raise BookError(f"entry {entry_id} is in no section — rebuild the book")
    return Decision("pin", entry_id, path_of(draft.chapter_of(section), section), target_members=tuple(section.entry_ids))


def decide_rename(outline: Outline, path: str, title: str) -> Decision:
    """Rename the section (``Chapter/Section``) or chapter (``Chapter``) ``path`` names."""
    title = " ".join(title.split())
    if not title:
        raise BookError("the new title is empty — give the words it should read")
    draft = EditableOutline.of(outline)
    chapter, section, _ = resolve_path(draft, path)
    if section is not None:
        return Decision("rename-section", path_of(chapter, section), title, members=tuple(section.entry_ids))
    return Decision("rename-chapter", chapter.title, title, members=_members(chapter))


def decide_merge(outline: Outline, entry_ids: Iterable[str], a: str, b: str) -> Decision:
    """What ``a`` and ``b`` name decides: two entries (ids or unique prefixes), else two sections
    (``Chapter/Section``) or two chapters (``Chapter``). ``b`` joins ``a``."""
    ids = list(entry_ids)
    if "/" not in a and "/" not in b:
        try:
            first, second = resolve_entry(ids, a), resolve_entry(ids, b)
        except BookError:
            first = second = ""
        if first and second:
            if first == second:
                raise BookError(f"{a!r} and {b!r} name the same entry — name two different entries")
            return Decision("merge-entries", first, second)
    draft = EditableOutline.of(outline)
    ca, sa, _ = resolve_path(draft, a)
    cb, sb, _ = resolve_path(draft, b)
    if (sa is None) != (sb is None):
        raise BookError(f"{a!r} and {b!r} are not the same kind — merge two entries, two sections ('Chapter/Section') or two chapters")
    if sa is not None:
        if sa is sb:
            raise BookError(f"{a!r} and {b!r} are the same section")
        return Decision("merge-sections", path_of(ca, sa), path_of(cb, sb), tuple(sa.entry_ids), tuple(sb.entry_ids))
    if ca is cb:
        raise BookError(f"{a!r} and {b!r} are the same chapter")
    return Decision("merge-chapters", ca.title, cb.title, _members(ca), _members(cb))


DECISIONS: dict[str, Callable[..., Decision]] = {
    "move": lambda outline, ids, entry, to: decide_move(outline, resolve_entry(ids, entry), to),
    "pin": lambda outline, ids, entry: decide_pin(outline, resolve_entry(ids, entry)),
    "rename": lambda outline, ids, path, title: decide_rename(outline, path, title),
    "merge": decide_merge,
}
"""Each decision by the command that makes it: ``(outline, entry ids, *the command's arguments)``."""


# -- applying decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """An outline and entries with decisions applied, and the decisions that found nothing."""

    outline: Outline
    entries: Mapping[str, Entry]
    removed: tuple[str, ...]          # entries merged into others, in order
    skipped: tuple[Decision, ...]


def apply_decisions(outline: Outline, entries: Mapping[str, Entry], decisions: Sequence[Decision]) -> Applied:
    """Apply ``decisions`` in order (rules in the module docstring) to ``outline`` and ``entries``."""
    draft = EditableOutline.of(outline)
    entries = dict(entries)
    removed: list[str] = []
    skipped: list[Decision] = []
    for decision in decisions:
        if not _ACTIONS[decision.action](draft, entries, decision, removed):
            log.info("decision %d (%s %s) found nothing to apply to", decision.number, decision.action, decision.subject)
            skipped.append(decision)
    return Applied(draft.freeze(), entries, tuple(removed), tuple(skipped))


def _find_section(draft: EditableOutline, members: Sequence[str], path: str) -> _Section | None:
    found = draft.holding(members)
    if found is None and "/" in path:
        chapter_title, _, section_title = path.partition("/")
        chapter = draft.chapter(chapter_title)
        found = draft.section(chapter, section_title) if chapter else None
    return found


def _find_chapter(draft: EditableOutline, members: Sequence[str], title: str) -> _Chapter | None:
    return draft.holding(members, chapters=True) or draft.chapter(title)


def _move(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    if draft.where(d.subject) is None:
        return d.subject in removed  # merged into another entry: nothing left to do
    others = [m for m in d.target_members if m != d.subject]
    section = _find_section(draft, others, d.target) if others else None
    if section is None:
        chapter_title, _, section_title = d.target.partition("/")
        chapter = draft.chapter(chapter_title) or draft.add_chapter(chapter_title)
        section = draft.section(chapter, section_title) or draft.add_section(
            chapter, section_title, misc=_key(section_title) == _key(MISC_TITLE)
        )
    if draft.where(d.subject) is not section:
        draft.put(d.subject, section)
    return True


def _rename_section(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    section = _find_section(draft, d.members, d.subject)
    if section is not None:
        section.title = d.target
    return section is not None


def _rename_chapter(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    chapter = _find_chapter(draft, d.members, d.subject)
    if chapter is not None:
        chapter.title = d.target
    return chapter is not None


def _merge_sections(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    keep = _find_section(draft, d.members, d.subject)
    if keep is None:
        return False
    gone = _find_section(draft, [m for m in d.target_members if draft.where(m) is not keep], d.target)
    if gone is not None and gone is not keep:
        for entry_id in list(gone.entry_ids):
            draft.put(entry_id, keep)
    return True


def _merge_chapters(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    keep = _find_chapter(draft, d.members, d.subject)
    if keep is None:
        return False
    rest = [m for m in d.target_members if draft.where(m) is not None and draft.chapter_of(draft.where(m)) is not keep]
    gone = _find_chapter(draft, rest, d.target)
    if gone is None or gone is keep:
        return True
    for section in list(gone.sections):
        same = next((s for s in keep.sections if s.misc), None) if section.misc else draft.section(keep, section.title)
        if same is None:
            same = draft.add_section(keep, section.title, misc=section.misc)
        for entry_id in list(section.entry_ids):
            draft.put(entry_id, same)
    return True


def _merge_entries(draft: EditableOutline, entries: dict[str, Entry], d: Decision, removed: list[str]) -> bool:
    keep, gone = d.subject, d.target
    if keep not in entries:
        return False
    if gone in entries:
        entries[keep] = absorb(entries[keep], entries.pop(gone))
        draft.remove(gone)
        removed.append(gone)
    return True


_ACTIONS = {
    "move": _move,
    "pin": _move,
    "rename-section": _rename_section,
    "rename-chapter": _rename_chapter,
    "merge-entries": _merge_entries,
    "merge-sections": _merge_sections,
    "merge-chapters": _merge_chapters,
}


def describe(d: Decision) -> str:
    """One line for ``selfbook history``."""
    what = {
        "move": f"move {d.subject} to {d.target}",
        "pin": f"pin {d.subject} in {d.target}",
        "rename-section": f"rename section {d.subject} to {d.target!r}",
        "rename-chapter": f"rename chapter {d.subject} to {d.target!r}",
        "merge-entries": f"merge entry {d.target} into {d.subject}",
        "merge-sections": f"merge section {d.target} into {d.subject}",
        "merge-chapters": f"merge chapter {d.target} into {d.subject}",
    }
    return what.get(d.action, f"{d.action} {d.subject} {d.target}")


# -- merging one entry into another -------------------------------------------------------------------


def _unique(items: Iterable) -> tuple:
    return tuple(dict.fromkeys(items))


def absorb(entry: Entry, copy: Entry) -> Entry:
    """``entry`` with ``copy``'s notes, links, entities, sources, headings, tags and identities added.

    The entry keeps its id, title, kind, language and date (the copy's date only when it had
    none). A copy whose title differs keeps that title as the first line of its note, as
    normalization does for duplicates in one dump. Nothing already there is repeated.
    """
    notes = list(entry.notes)
    for k, note in enumerate(copy.notes):
        if k == 0 and not copy.title_derived and _key(copy.title) != _key(entry.title):
            note = f"{copy.title}\n{note}".strip()
        if note and note not in notes:
            notes.append(note)
    keys = {dedupe_key(u) for u in entry.urls}
    urls = entry.urls + tuple(u for u in copy.urls if dedupe_key(u) not in keys)
    return replace(
        entry,
        notes=tuple(n for n in notes if n) or ("",),
        urls=tuple(dict.fromkeys(urls)),
        entities=tuple(sorted(set(entry.entities) | set(copy.entities))),
        sources=_unique(entry.sources + copy.sources),
        headings=_unique(entry.headings + copy.headings),
        tags=_unique(entry.tags + copy.tags),
        idents=_unique(entry.idents + copy.idents),
        date=entry.date or copy.date,
    )
