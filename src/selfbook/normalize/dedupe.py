"""Raw entries become entries; copies of the same thing become one entry.

Exact duplicates (:func:`normalize_entries`) are merged transitively (union-find) when two
raw entries share

- an identity: the same record of the same source (``twitter:1234``, an X post liked and
  bookmarked; :attr:`~selfbook.models.RawEntry.ident`);
- a URL: the same canonical URL without its scheme (:func:`~selfbook.normalize.urls.dedupe_key`),
  counted only for URLs that name one item (:func:`~selfbook.normalize.urls.is_specific`): many
  different entries point at ``https://arxiv.org/`` or at someone's profile page;
- a paper: the same arXiv id or DOI, counted only for entries that name at most one of each
  (a note that lists several papers is not a copy of any of them);
- their text: the same normalized title + note (case-folded words, punctuation and spacing
  collapsed; a derived title does not count) of at least :data:`MIN_TEXT_CHARS` characters,
  unless both sides have specific URLs and share none (the same words about two different links).

**Identity before URL.** A record with an identity of its own is a copy of another only by
that identity, by its own link (its first URL: an X post's status URL), or by the same text:
the links and papers found in its text are not its (two X likes whose texts hold the same
``t.co`` link are two posts). Two raw entries with different identities never merge, however
they are linked, directly or through a third.

**Fragments.** URLs are kept as saved; matching uses their canonical form. A fragment that
addresses content (``#/…``, ``#!…``, ``#key=value``, a route such as ``#en/zh/``) is part of
the canonical URL, so URLs that differ in one are different links. Any other fragment
(``#dailydave``, ``#section-2``, ``#readme``: a place in a page) is dropped from the canonical
URL but kept in the duplicate key, so ``http://seclists.org/#dailydave`` and
``…/#fulldisclosure`` stay two entries, and ``page`` and ``page#readme`` too; such entries
are flagged for review as "same page, different fragment"
(:func:`selfbook.normalize.near.fragment_flags`). An empty ``#`` is ignored.

The kept entry is the first seen. It keeps every note (unique, in source order; an absorbed
copy's different title is kept as a note too), every source, the union of URLs, entities, tags
and headings, the first title that was written (not derived), and the most trustworthy date:
one written in an entry beats one implied by an entity, which beats one from a heading; among
equals the earliest.

Near duplicates, found once entries are embedded: :mod:`selfbook.normalize.near`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from selfbook.models import DateRange, Entity, Entry, Merge, RawEntry, Span
from selfbook.normalize.entities import classify_kind, derive_title, entity_date, extract_entities, url_entities
from selfbook.normalize.urls import canonical_url, dedupe_key, is_specific, saved_url
from selfbook.text import dominant_script, language, words

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 20
PAPER_KINDS = ("arxiv", "doi")
_PAPER_LABELS = {"arxiv": "arXiv", "doi": "DOI"}
_WRITTEN, _IMPLIED, _CONTEXT = 0, 1, 2  # how much a date is trusted, best first
_DAY_LIKE = dt.timedelta(days=31)


@dataclass(frozen=True)
class NormalizeResult:
    entries: tuple[Entry, ...]
    merges: tuple[Merge, ...]


@dataclass(frozen=True)
class _Draft:
    """One or more copies of an entry, before it gets an id."""

    title: str
    title_derived: bool
    urls: tuple[str, ...]
    notes: tuple[str, ...]
    entities: tuple[Entity, ...]
    dates: tuple[tuple[int, DateRange], ...]
    text: str
    sources: tuple[Span, ...]
    headings: tuple[str, ...]
    tags: tuple[str, ...]
    idents: tuple[str, ...] = ()
    own_urls: tuple[str, ...] = ()
    """The URLs by which it is a copy of another: all, or only its own link when it has an identity."""
    papers: tuple[Entity, ...] = ()
    """The papers it is a copy of (:func:`_paper_ids`)."""


def entry_id(key: str) -> str:
    """12 lower-case hex characters: the start of the SHA-1 of the key's UTF-8 bytes."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def normalized_text(text: str) -> str:
    """Case-folded words joined by single spaces: punctuation and spacing do not count."""
    return " ".join(w.casefold() for w in words(text))


# ── exact duplicates ────────────────────────────────────────────────────────────────────────


def normalize_entries(raws: Iterable[RawEntry]) -> NormalizeResult:
    """Normalize raw entries and merge exact duplicates (rules in the module docstring)."""
    drafts = [_draft(raw) for raw in raws]
    groups, reasons = _exact_groups(drafts)
    entries: list[Entry] = []
    merges: list[Merge] = []
    used: set[str] = set()
    for members in groups:
        first = drafts[members[0]]
        ident = _unique_id(_identity_key(first), first.sources[0], used)
        entry = _entry(ident, [drafts[i] for i in members])
        entries.append(entry)
        if len(members) > 1:
            merges.append(Merge(ident, entry.sources, "; ".join(reasons[members[0]])))
    log.debug("normalized %d raw entries into %d entries", len(drafts), len(entries))
    return NormalizeResult(tuple(entries), tuple(merges))


def _draft(raw: RawEntry) -> _Draft:
    urls = _unique_urls(saved_url(u) for u in raw.urls)
    text = raw.text or "\n".join(p for p in (raw.title or "", raw.note, *raw.urls) if p)
    entities = extract_entities(urls, text)
    own = urls[:1] if raw.ident else urls
    own_entities = tuple(sorted({e for u in own for e in url_entities(u)})) if raw.ident else entities
    dates = [(_WRITTEN, raw.date), (_IMPLIED, entity_date(entities)), (_CONTEXT, raw.context_date)]
    title = (raw.title or "").strip()
    return _Draft(
        title=title or derive_title(urls, raw.note),
        title_derived=not title,
        urls=urls,
        notes=(raw.note,),
        entities=entities,
        dates=tuple((level, d) for level, d in dates if d is not None),
        text=text,
        sources=(raw.source,),
        headings=raw.headings,
        tags=raw.tags,
        idents=(raw.ident,) if raw.ident else (),
        own_urls=own,
        papers=tuple(_paper_ids(own_entities)),
    )


def _exact_groups(drafts: Sequence[_Draft]) -> tuple[list[list[int]], dict[int, list[str]]]:
    """Groups of draft indexes (each sorted, groups in first-seen order) and why each merged."""
    url_keys = [_url_keys(d) for d in drafts]
    sets = _UnionFind(len(drafts), url_keys, [frozenset(d.idents) for d in drafts])
    links: list[tuple[int, int, str]] = []
    first_ident: dict[str, int] = {}
    first_url: dict[str, int] = {}
    first_paper: dict[Entity, int] = {}
    by_text: dict[str, list[int]] = {}
    for i, draft in enumerate(drafts):
        for ident in draft.idents:
            j = first_ident.setdefault(ident, i)
            links.append((j, i, f"same record {ident}"))
        for url in draft.own_urls:
            if is_specific(url):
                j = first_url.setdefault(dedupe_key(url), i)
                links.append((j, i, f"same URL {canonical_url(url)}"))
        for paper in draft.papers:
            j = first_paper.setdefault(paper, i)
            links.append((j, i, f"same {_PAPER_LABELS[paper.kind]} {paper.value}"))
        text = _text_key(draft)
        if len(text) >= MIN_TEXT_CHARS:
            by_text.setdefault(text, []).append(i)
    for j, i, reason in links:
        sets.union(j, i, reason)
    for members in by_text.values():  # after URL and paper links, so conflicts are known
        for pos, i in enumerate(members[1:], 1):
            for j in members[:pos]:
                if not _conflict(sets.keys(j), sets.keys(i)) and sets.union(j, i, "same text"):
                    break
    return sets.groups(), sets.reasons()


def _paper_ids(entities: Sequence[Entity]) -> list[Entity]:
    """The papers an entry naming these is a copy of: none when it names several of one kind
    (a reading list)."""
    papers = [e for e in entities if e.kind in PAPER_KINDS]
    if any(sum(e.kind == kind for e in papers) > 1 for kind in PAPER_KINDS):
        return []
    return papers


def _url_keys(draft: _Draft) -> frozenset[str]:
    return frozenset(dedupe_key(u) for u in draft.own_urls if is_specific(u))


def _conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and not (a & b)


def _text_key(draft: _Draft) -> str:
    title = "" if draft.title_derived else draft.title
    return normalized_text("\n".join([title, *draft.notes]))


def _identity_key(draft: _Draft) -> str:
    """Paper id, else the first specific URL, else the text, else the first URL, else the span.

    Every paper it names counts here, its identity or not, so that ids stay as they were."""
    papers = _paper_ids(draft.entities)
    if papers:
        return str(papers[0])
    specific = [u for u in draft.urls if is_specific(u)]
    if specific:
        return dedupe_key(specific[0])
    text = _text_key(draft)
    if text:
        return f"text:{text}"
    if draft.urls:
        return dedupe_key(draft.urls[0])
    return f"span:{draft.sources[0]}"


def _unique_id(key: str, source: Span, used: set[str]) -> str:
    ident = entry_id(key)
    if ident in used:
        ident = entry_id(f"{key}#{source}")
    counter = 2
    while ident in used:  # the same span twice: only when the caller repeats a raw entry
        ident = entry_id(f"{key}#{source}#{counter}")
        counter += 1
    used.add(ident)
    return ident


class _UnionFind:
    """Disjoint sets whose root is always the earliest member; remembers why sets joined, and
    never joins two sets holding different identities."""

    def __init__(self, n: int, keys: Sequence[frozenset[str]] = (), idents: Sequence[frozenset[str]] = ()) -> None:
        self.parent = list(range(n))
        self.why: dict[int, list[str]] = {}
        self.url_keys: dict[int, frozenset[str]] = dict(enumerate(keys))
        self.idents: dict[int, frozenset[str]] = {i: x for i, x in enumerate(idents) if x}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, reason: str) -> bool:
        """Join a's and b's sets; False when they hold different identities (never joined)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if _conflict(self.idents.get(ra, frozenset()), self.idents.get(rb, frozenset())):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        why = self.why.setdefault(keep, [])
        for r in (reason, *self.why.pop(gone, [])):
            if r not in why:
                why.append(r)
        if self.url_keys:
            self.url_keys[keep] = self.url_keys[keep] | self.url_keys.pop(gone)
        if gone in self.idents:
            self.idents[keep] = self.idents.get(keep, frozenset()) | self.idents.pop(gone)
        return True

    def keys(self, i: int) -> frozenset[str]:
        """The specific-URL keys of i's whole set."""
        return self.url_keys[self.find(i)]

    def groups(self) -> list[list[int]]:
        """Every set as sorted members, sets in the order of their earliest member."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return list(out.values())

    def reasons(self) -> dict[int, list[str]]:
        return {root: list(why) for root, why in self.why.items()}


# ── merging drafts into an entry ────────────────────────────────────────────────────────────


def _entry(ident: str, drafts: Sequence[_Draft]) -> Entry:
    written = [d for d in drafts if not d.title_derived]
    title = (written or list(drafts))[0].title
    notes: list[str] = []
    for draft in drafts:
        for note in _notes_of(draft, title):
            if note not in notes:
                notes.append(note)
    kept_notes = tuple(n for n in notes if n) or ("",)
    urls = _unique_urls(u for d in drafts for u in d.urls)
    entities = tuple(sorted({e for d in drafts for e in d.entities}))
    dates = [pair for d in drafts for pair in d.dates]
    body = "\n".join([title, *kept_notes])
    return Entry(
        id=ident,
        title=title,
        urls=urls,
        notes=kept_notes,
        kind=classify_kind(urls, entities, "\n".join(d.text for d in drafts)),
        entities=entities,
        date=min(dates, key=lambda p: (p[0], p[1].start, p[1].end))[1] if dates else None,
        lang=language(body),
        script=dominant_script(body),
        sources=tuple(s for d in drafts for s in d.sources),
        headings=_unique(h for d in drafts for h in d.headings),
        tags=_unique(t for d in drafts for t in d.tags),
        title_derived=not written,
        idents=_unique(x for d in drafts for x in d.idents),
    )


def _notes_of(draft: _Draft, title: str) -> list[str]:
    """A draft's notes; a written title other than the entry's becomes part of its first note."""
    notes = list(draft.notes)
    if not draft.title_derived and normalized_text(draft.title) != normalized_text(title):
        first = notes[0] if notes else ""
        notes[:1] = [f"{draft.title}\n{first}".strip()]
    return notes


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _unique_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """The URLs as saved, once per duplicate key (the first spelling kept)."""
    seen: dict[str, str] = {}
    for url in urls:
        if url:
            seen.setdefault(dedupe_key(url), url)
    return tuple(seen.values())


def _from_entry(entry: Entry) -> _Draft:
    level = _IMPLIED if entry.date and entry.date.end - entry.date.start <= _DAY_LIKE else _CONTEXT
    return _Draft(
        title=entry.title,
        title_derived=entry.title_derived,
        urls=entry.urls,
        notes=entry.notes,
        entities=entry.entities,
        dates=((level, entry.date),) if entry.date else (),
        text=entry.embed_text(),
        sources=entry.sources,
        headings=entry.headings,
        tags=entry.tags,
        idents=entry.idents,
    )
