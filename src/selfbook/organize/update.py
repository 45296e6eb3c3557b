"""Installments: a dump added to a finished book (``selfbook add``), and the replay that rebuilds one.

Adding a dump (:func:`add_dump`), in order:

1. Its entries are normalized (duplicates inside the dump merge as in a build).
2. **Saved again?** An entry is a copy of one already in the book when they share an identity,
   a specific URL, a paper (arXiv id or DOI), or their text (the rules of
   :mod:`selfbook.normalize`: an entry with an identity counts only its own link and papers,
   and two entries with different identities are never copies), or
   when it is a near-duplicate of its most similar book entry (cosine ≥ 0.95, then the
   near-duplicate rule). A copy merges into that entry (:func:`selfbook.organize.curate.absorb`): the
   entry gains the note, links and sources, and keeps its id, title and place. Its vector is
   kept too (the book's vectors do not change under it).
3. Only the entries new to the book are embedded, and placed by :func:`selfbook.organize.assign.plan`:
   into existing sections, into new sections or chapters for a real new group, else into the
   Miscellany of the nearest chapter. **No entry already in the book moves.**
4. The person's decisions about the new entries apply (a move, a pin or a merge made before
   an entry left the book and came back with this dump).
5. The installment is recorded: the dump's file name, the time it covers
   (:func:`dump_period`), the entries it brought and saved again, the sections and chapters it
   made, and how many decisions had been made before it.

Rebuilding (:func:`replay`): a plain ``selfbook build`` of the same dumps organizes the dumps
that were built (not added) from scratch, then replays history: the person's decisions and
the installments in the order they came, each installment added by the same :func:`add_dump`
with the decisions made before it. The same dumps therefore give the same book, byte for byte,
and a plain build moves nothing. ``build --reorganize`` organizes every dump together instead
(installments fold into the sections), then applies every decision in order.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..embed import content_hash
from ..ingest import Dump, find_date_range
from ..models import DateRange, Decision, Entry, Flag, Installment, Merge, Outline
from ..normalize import dedupe_key, entry_id, fragment_flags, is_specific, near_duplicates, normalize_entries, normalized_text
from ..normalize.dedupe import MIN_TEXT_CHARS, PAPER_KINDS
from ..normalize.entities import url_entities
from ..reports import Added
from ..text import first_word
from .assign import AssignParams, plan
from .curate import EditableOutline, absorb, apply_decisions

log = logging.getLogger(__name__)

Embed = Callable[[Sequence[str]], tuple[np.ndarray, int]]
Enrich = Callable[[Sequence[Entry]], list[Entry]]
"""New entries with what their fetched links say (:func:`selfbook.fetch.enrich`); ``list`` when none."""
"""``embed(texts) -> (vectors, how many were newly embedded)``: the book's cached embedder."""

NEAR_COSINE = 0.95   # a new entry this similar to a book entry is checked as a near-duplicate


@dataclass(frozen=True)
class Book:
    """A book in memory: entries (reading order), the hash and vector each was placed by, the
    outline, merges and flags, and the installments added so far."""

    entries: tuple[Entry, ...]
    hashes: Mapping[str, str]
    vectors: np.ndarray
    outline: Outline
    merges: tuple[Merge, ...] = ()
    flags: tuple[Flag, ...] = ()
    installments: tuple[Installment, ...] = ()

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


# -- the time a dump covers -------------------------------------------------------------------------


def dump_period(dump: Dump) -> DateRange | None:
    """The time a dump covers: the span of its dated headings ("## March 2026"); failing those,
    of the dates written in its entries; failing those, its front matter's ``date`` or
    ``created``; else ``None``."""
    for dates in ([r.context_date for r in dump.entries], [r.date for r in dump.entries]):
        found = [d for d in dates if d is not None]
        if found:
            return DateRange(min(d.start for d in found), max(d.end for d in found))
    for key in ("date", "created"):
        value = dump.meta.get(key) if isinstance(dump.meta, dict) else None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return DateRange(value, value)
        if isinstance(value, str) and (found := find_date_range(value)):
            return found
    return None


# -- copies of entries already in the book ----------------------------------------------------------


def _own_urls(entry: Entry) -> tuple[str, ...]:
    """The URLs by which ``entry`` is a copy of another: all of them, or with an identity only
    its own link (its first URL), as in :mod:`selfbook.normalize.dedupe`."""
    return entry.urls[:1] if entry.idents else entry.urls


def _keys(entry: Entry) -> set[str]:
    """The identity, URL and paper keys under which ``entry`` is a copy of another."""
    keys = {"record " + x for x in entry.idents}
    keys |= {"url " + dedupe_key(u) for u in _own_urls(entry) if is_specific(u)}
    entities = [x for u in _own_urls(entry) for x in url_entities(u)] if entry.idents else entry.entities
    papers = list(dict.fromkeys(x for x in entities if x.kind in PAPER_KINDS))
    if not any(sum(x.kind == kind for x in papers) > 1 for kind in PAPER_KINDS):
        keys |= {f"paper {x}" for x in papers}
    return keys


def _texts(entry: Entry, first: Collection[str] | None = None) -> set[str]:
    """The texts under which ``entry`` is a copy of another (normalized title and note); with
    ``first``, only those whose first word is one of these (the others are not worked out)."""
    title = "" if entry.title_derived else entry.title
    raw = [f"{title}\n{note}" for note in entry.notes]
    if first is not None:
        raw = [t for t in raw if first_word(t).casefold() in first]
    return {t for t in map(normalized_text, raw) if len(t) >= MIN_TEXT_CHARS}


def _specific(entry: Entry) -> set[str]:
    return {dedupe_key(u) for u in _own_urls(entry) if is_specific(u)}


def _copies(book: Book, fresh: Sequence[Entry]) -> dict[int, tuple[str, str]]:
    """Rows of ``fresh`` that copy a book entry: row -> (book entry id, why).

    A text matches only a text with the same first word, so the book's texts are normalized
    only where the first word is one of the fresh texts' (a fifth of a big book, typically)."""
    fresh_texts = [_texts(e) for e in fresh]
    first = {t.partition(" ")[0] for texts in fresh_texts for t in texts}
    by_key: dict[str, str] = {}
    by_text: dict[str, list[str]] = {}
    for entry in book.entries:
        for key in _keys(entry):
            by_key.setdefault(key, entry.id)
        for text in _texts(entry, first):
            by_text.setdefault(text, []).append(entry.id)
    found: dict[int, tuple[str, str]] = {}
    book_ids = book.by_id()
    book_urls = {}
    for row, entry in enumerate(fresh):
        keys = _keys(entry)
        hit = next((by_key[k] for k in sorted(keys) if k in by_key and not _other_record(entry, book_ids[by_key[k]])), None)
        if hit is not None:
            found[row] = (hit, "same " + next(k for k in sorted(keys) if k in by_key and by_key[k] == hit))
            continue
        mine = _specific(entry)
        for text in sorted(fresh_texts[row]):
            for b in by_text.get(text, []):
                if b not in book_urls:
                    book_urls[b] = _specific(book_ids[b])
            same = [
                b for b in by_text.get(text, [])
                if not (mine and book_urls[b] and not mine & book_urls[b]) and not _other_record(entry, book_ids[b])
            ]
            if same:
                found[row] = (same[0], "same text")
                break
    return found


def _other_record(a: Entry, b: Entry) -> bool:
    """Whether two entries are different records of their sources (never copies of each other)."""
    return bool(a.idents) and bool(b.idents) and not set(a.idents) & set(b.idents)


def _near_copies(book: Book, fresh: Sequence[Entry], vectors: np.ndarray) -> tuple[dict[int, tuple[str, str]], list[Flag]]:
    """Rows of ``fresh`` that are near-duplicates of their most similar book entry, and flags."""
    if not len(book.entries) or not len(fresh):
        return {}, []
    scores = vectors @ book.vectors.T
    best = np.argmax(scores, axis=1)
    found, flags = {}, []
    for row, col in enumerate(best):
        if scores[row, col] < NEAR_COSINE:
            continue
        old = book.entries[col]
        pair = near_duplicates([old, fresh[row]], np.stack([book.vectors[col], vectors[row]]))
        if len(pair.entries) == 1:
            found[row] = (old.id, pair.merges[0].reason)
        flags.extend(Flag(old.id, fresh[row].id, f.reason, f.score) for f in pair.flags)
    return found, flags


# -- adding a dump ------------------------------------------------------------------------------------


def add_dump(
    book: Book,
    dump: Dump,
    *,
    sha256: str,
    added: str,
    embed: Embed,
    decisions: Sequence[Decision] = (),
    after_decision: int = 0,
    params: AssignParams = AssignParams(),
    enrich: Enrich = list,
) -> tuple[Book, Added]:
    """``book`` with ``dump`` added as its next installment (steps in the module docstring)."""
    name = Path(dump.path).name
    normalized = normalize_entries(dump.entries)
    fresh = enrich(normalized.entries)
    copies = _copies(book, fresh)
    rows = [i for i in range(len(fresh)) if i not in copies]
    rest = _unique_ids([fresh[i] for i in rows], {e.id for e in book.entries})
    renamed = {fresh[i].id: e.id for i, e in zip(rows, rest)}
    start = time.perf_counter()
    vectors, embedded = embed([e.embed_text() for e in rest]) if rest else (np.zeros((0, book.vectors.shape[1]), np.float32), 0)
    embed_s = time.perf_counter() - start
    near, near_flags = _near_copies(book, rest, vectors)
    copies.update({rows[i]: hit for i, hit in near.items()})
    keep = [i for i in range(len(rest)) if i not in near]
    rest, vectors = [rest[i] for i in keep], vectors[keep]
    inner = near_duplicates(rest, vectors) if rest else None
    if inner is not None:
        rest, vectors = list(inner.entries), vectors[list(inner.kept_rows)]

    entries = book.by_id()
    merges = list(book.merges)
    resaved: list[str] = []
    for row, (target, why) in sorted(copies.items()):
        entries[target] = absorb(entries[target], fresh[row])
        merges.append(Merge(target, entries[target].sources, f"saved again in {name}: {why}"))
        if target not in resaved:
            resaved.append(target)
    fresh_ids = {e.id for e in rest}
    inside = [replace(m, entry_id=renamed.get(m.entry_id, m.entry_id)) for m in normalized.merges]
    merges += [m for m in (*inside, *(inner.merges if inner else ())) if m.entry_id in fresh_ids]

    anchors = [d.subject for d in decisions if d.action == "move" and d.subject in entries]
    where = plan(
        book.outline, [e.id for e in book.entries], book.vectors, [e.id for e in rest], [e.embed_text() for e in rest], vectors,
        anchors=anchors, book_texts=[e.embed_text() for e in book.entries], params=params,
    )
    outline, made_sections, made_chapters = _place(book.outline, [e.id for e in rest], where)
    entries.update((e.id, e) for e in rest)
    grown = Book(
        entries=tuple(entries[e.id] for e in book.entries) + tuple(rest),
        hashes={**book.hashes, **{e.id: content_hash(e.embed_text()) for e in rest}},
        vectors=np.vstack([book.vectors, vectors]) if len(rest) else book.vectors,
        outline=outline,
        merges=tuple(merges),
        flags=_new_flags(book.flags, [*near_flags, *(inner.flags if inner else ()), *fragment_flags(
            [entries[e.id] for e in book.entries] + rest, among=fresh_ids)]),
        installments=book.installments,
    )
    own = [d for d in decisions if _about(d, fresh_ids)]
    grown, _ = apply(grown, own)
    kept = {e.id for e in grown.entries}
    installment = Installment(
        name=name, path=str(Path(dump.path).resolve()), sha256=sha256, added=added, period=dump_period(dump),
        entry_ids=tuple(e.id for e in rest if e.id in kept), resaved=tuple(resaved),
        sections=made_sections, chapters=made_chapters, after_decision=after_decision,
    )
    grown = replace(grown, installments=grown.installments + (installment,))
    return grown, replace(_report(grown, installment, dump, where, embedded), embed_s=embed_s, skips=tuple(dump.skips))


def _new_flags(flags: tuple[Flag, ...], new: Sequence[Flag]) -> tuple[Flag, ...]:
    """``flags`` and the new ones, one flag per pair of entries (the first kept)."""
    seen = {frozenset((f.a, f.b)) for f in flags}
    out = list(flags)
    for flag in new:
        if frozenset((flag.a, flag.b)) not in seen:
            seen.add(frozenset((flag.a, flag.b)))
            out.append(flag)
    return tuple(out)


def _unique_ids(entries: list[Entry], used: set[str]) -> list[Entry]:
    out = []
    for entry in entries:
        ident, number = entry.id, 1
        while ident in used:
            ident = entry_id(f"{entry.id}#{entry.source}#{number}")
            number += 1
        used.add(ident)
        out.append(entry if ident == entry.id else replace(entry, id=ident))
    return out


def _about(decision: Decision, ids: set[str]) -> bool:
    if decision.action in ("move", "pin"):
        return decision.subject in ids
    if decision.action == "merge-entries":
        return decision.subject in ids or decision.target in ids
    return False


def _place(outline: Outline, new_ids: Sequence[str], where) -> tuple[Outline, tuple[str, ...], tuple[str, ...]]:
    """The outline with the plan carried out; the ids of the sections and chapters it made."""
    draft = EditableOutline.of(outline)
    before = draft.ids()
    chapters_before = {c.id for c in draft.chapters}
    sections = {s.id: s for _, s in draft.sections()}
    target = {**where.sections, **where.pulled}
    for group in where.groups:
        chapter = draft.chapter(group.chapter_id) if group.chapter_id else draft.add_chapter(group.title)
        section = draft.add_section(chapter, group.title)
        target.update((e, section.id) for e in group.entry_ids)
        sections[section.id] = section
    for entry in new_ids:
        if entry in where.misc:
            section = draft.misc_section(draft.chapter(where.misc[entry]))
            sections[section.id] = section
        else:
            section = sections[target[entry]]
        draft.put(entry, section)
    made = draft.ids() - before
    chapters = tuple(c.id for c in draft.chapters if c.id in made)
    made_sections = tuple(s.id for _, s in draft.sections() if s.id in made and s.id not in chapters_before)
    return draft.freeze(), made_sections, chapters


def _report(book: Book, inst: Installment, dump: Dump, where, embedded: int) -> Added:
    placed = book.outline.placement()
    made = [
        (chapter.title, section.title, len(section.entry_ids))
        for chapter in book.outline.chapters for section in chapter.sections
        if section.id in inst.sections and not section.misc
    ]
    return Added(
        name=inst.name, path=inst.path, read=len(dump.entries), new=inst.entry_ids, resaved=inst.resaved,
        joined=sum(1 for e in inst.entry_ids if e in where.sections), pulled=sum(1 for e in inst.entry_ids if e in where.pulled),
        misc=sum(1 for e in inst.entry_ids if e in placed and placed[e][1].misc),
        sections=tuple(made), chapters=tuple(c.title for c in book.outline.chapters if c.id in inst.chapters),
        embedded=embedded, period=inst.period.label() if inst.period else "",
    )


# -- decisions and replays ------------------------------------------------------------------------------


def apply(book: Book, decisions: Sequence[Decision]) -> tuple[Book, tuple[Decision, ...]]:
    """``book`` with ``decisions`` applied in order; and those that found nothing to apply to."""
    if not decisions:
        return book, ()
    result = apply_decisions(book.outline, book.by_id(), decisions)
    if not result.removed:
        entries = tuple(result.entries[e.id] for e in book.entries)
        return replace(book, entries=entries, outline=result.outline), result.skipped
    gone = set(result.removed)
    rows = [i for i, e in enumerate(book.entries) if e.id not in gone]
    installments = tuple(
        replace(i, entry_ids=tuple(e for e in i.entry_ids if e not in gone), resaved=tuple(e for e in i.resaved if e not in gone))
        for i in book.installments
    )
    return (
        replace(
            book,
            entries=tuple(result.entries[book.entries[i].id] for i in rows),
            hashes={k: v for k, v in book.hashes.items() if k not in gone},
            vectors=book.vectors[rows],
            outline=result.outline,
            flags=tuple(f for f in book.flags if f.a not in gone and f.b not in gone),
            installments=installments,
        ),
        result.skipped,
    )


@dataclass(frozen=True)
class Later:
    """A dump to replay as an installment: the dump read now, its hash, and its old record."""

    dump: Dump
    sha256: str
    record: Installment


def replay(
    book: Book, later: Sequence[Later], decisions: Sequence[Decision], *, embed: Embed, params: AssignParams = AssignParams(),
    enrich: Enrich = list,
) -> tuple[Book, list[Added], tuple[Decision, ...]]:
    """``book`` (freshly organized) with history replayed: each installment added after the
    decisions made before it, then the remaining decisions. Returns the book, what each
    installment did, and the decisions that found nothing to apply to."""
    mark, added, skipped = 0, [], []
    for item in later:
        book, missed = apply(book, [d for d in decisions if mark < d.number <= item.record.after_decision])
        skipped += missed
        mark = max(mark, item.record.after_decision)
        book, report = add_dump(
            book, item.dump, sha256=item.sha256, added=item.record.added, embed=embed,
            decisions=[d for d in decisions if d.number <= mark], after_decision=item.record.after_decision, params=params,
            enrich=enrich,
        )
        added.append(report)
    book, missed = apply(book, [d for d in decisions if d.number > mark])
    return book, added, tuple(skipped) + missed


def split_dumps(
    dumps: Sequence[tuple[Dump, str]], installments: Sequence[Installment], *, reorganize: bool
) -> tuple[list[Dump], list[Later]]:
    """Which dumps to organize from scratch and which to replay as installments (in their order).

    A dump is replayed when a recorded installment has its content (SHA-256) or its path;
    with ``reorganize`` none is, and when no dump would be organized, all are.
    """
    if reorganize or not installments:
        return [d for d, _ in dumps], []
    later: list[tuple[int, Later]] = []
    base: list[Dump] = []
    for dump, sha in dumps:
        match = next(
            (k for k, i in enumerate(installments) if i.sha256 == sha or Path(i.path).resolve() == Path(dump.path).resolve()),
            None,
        )
        if match is None or any(k == match for k, _ in later):
            base.append(dump)
        else:
            later.append((match, Later(dump, sha, installments[match])))
    if not base:
        return [d for d, _ in dumps], []
    return base, [item for _, item in sorted(later, key=lambda pair: pair[0])]


def moved(before: Outline, after: Outline) -> list[tuple[str, str, str]]:
    """Entries in both outlines that changed chapter or section: (id, from, to) as title paths.

    A section (chapter) of ``after`` is matched to the one of ``before`` that held most of its
    entries, so a renamed section, or one whose id changed, does not count as moved.
    """
    old = before.placement()
    new = after.placement()
    same_section = _matches({e: s.id for e, (c, s) in old.items()}, {e: s.id for e, (c, s) in new.items()})
    same_chapter = _matches({e: c.id for e, (c, s) in old.items()}, {e: c.id for e, (c, s) in new.items()})
    out = []
    for e, (chapter, section) in new.items():
        if e not in old:
            continue
        was_chapter, was_section = old[e]
        if same_section.get(section.id) != was_section.id or same_chapter.get(chapter.id) != was_chapter.id:
            out.append((e, f"{was_chapter.title}/{was_section.title}", f"{chapter.title}/{section.title}"))
    return out


def _matches(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """Each unit of ``new`` -> the unit of ``old`` that held most of its entries (first of equals)."""
    counts: dict[str, dict[str, int]] = {}
    for entry, unit in new.items():
        if entry in old:
            tally = counts.setdefault(unit, {})
            tally[old[entry]] = tally.get(old[entry], 0) + 1
    return {unit: max(tally, key=lambda k: (tally[k], k)) for unit, tally in counts.items()}
