"""The counts the back-of-book index chooses its terms from, kept so an ``add`` need not recount.

Every placed entry's *index text* (its title and notes, @handles taken out: :func:`index_text`)
gives its phrases (:func:`selfbook.text.phrases.phrase_forms`). Phrases that differ only by an English
plural or possessive "s" index as one term; a *group* holds them, keyed by their singular
(:func:`singular`): for each variant (lower-cased), the entries that hold it and how often each
casing is written::

    {"agent": ({"e1", "e3"}, {"agent": 2, "Agent": 1}), "agents": ({"e2"}, {"Agents": 1})}

A group in two entries or more gives a :class:`Candidate`: the variant it is listed under (most
entries, then the shortest, then A–Z), that variant's usual casing, the entries of all its
variants, and its rank score (entries × (1 + (words − 1) / 2)). The index's choice
(:func:`selfbook.book.index.choose_terms`) reads candidates best ranked first and needs nothing else.

A build counts every entry (:func:`count_afresh`) and the store keeps every group (table
``index_terms``). An ``add`` (:func:`recount`) reads back only the groups its new and changed
entries touch, takes those entries' old phrases out and puts their new ones in, and reads the
other candidates from the store, best ranked first, only as far as the index's choice goes. The
groups, hence ``INDEX.md``, are exactly those a count from scratch gives. The store marks the
table with :data:`TERMS_VERSION`: change it whenever what a group holds changes (the phrase rules
of :mod:`selfbook.text.phrases`, :func:`singular`, :func:`index_text`), so that books saved before are
counted afresh, once.
"""

from __future__ import annotations

import heapq
import json
import logging
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import regex

from selfbook.models import Entry, Outline
from selfbook.text.phrases import most_common_form, phrase_forms
from selfbook.store.base import TermRows

__all__ = [
    "TERMS_VERSION",
    "Candidate",
    "Counted",
    "TermRows",
    "candidates",
    "count_afresh",
    "count_terms",
    "index_text",
    "placed",
    "ranked",
    "recount",
    "singular",
]

log = logging.getLogger(__name__)

TERMS_VERSION = "1"
"""What the stored groups were counted by (see the module docstring)."""
MIN_ENTRIES = 2
"""Groups in fewer entries are never listed, so they give no candidate."""
PAGE = 1000
"""Candidates read from the store at a time."""

_HANDLE = regex.compile(r"(?<![\w@])@[\w.]*\w")

Variant = tuple[set[str], dict[str, int]]
"""The entries that hold a variant, and how often each casing of it is written."""
Group = dict[str, Variant]


@dataclass(frozen=True)
class Candidate:
    """A term the index may list: its group's key (``stem``), the phrase it is listed under
    (lower-cased), that phrase's usual casing, how many entries hold the group, and which (sorted
    ids as JSON: compared whole, read only for the terms that need them)."""

    stem: str
    phrase: str
    form: str
    entries: int
    ids_json: str

    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(json.loads(self.ids_json))

    @property
    def score(self) -> float:
        return self.entries * (1 + (len(self.phrase.split()) - 1) / 2)

    def rank(self) -> tuple[float, str]:
        """Best first: the highest score, then the phrase A–Z (by code point)."""
        return (-self.score, self.phrase)


class TermStore(Protocol):
    """What :func:`recount` reads from a store."""

    def index_terms_version(self) -> str | None: ...
    def index_term_groups(self, stems: Collection[str]) -> dict[str, str]: ...
    def index_term_candidates(self, offset: int, limit: int) -> list[tuple[str, str, str, int, str]]: ...


def index_text(entry: Entry) -> str:
    """What the index reads of an entry: its title and notes, @handles taken out (they have
    their own part of the index)."""
    return _HANDLE.sub("\n", "\n".join([entry.title, *entry.notes]))


def singular(phrase: str) -> str:
    """The phrase with an English plural or possessive "s" taken off its last word: "llms" → "llm",
    "google's" → "google"."""
    if not phrase.endswith("s"):
        return phrase
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("'s", "’s")):
        last = last[:-2]
    if last.isascii() and last.isalpha() and len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head} {last}" if head else last


def placed(outline: Outline, entries: Mapping[str, Entry]) -> dict[str, Entry]:
    """The entries the outline places: the index is made of them."""
    return {e: entries[e] for c in outline.chapters for s in c.sections for e in s.entry_ids if e in entries}


# -- counting ---------------------------------------------------------------------------------------


def _add(groups: dict[str, Group], entry_id: str, forms: Iterable[str], variants: dict[str, Variant] | None = None) -> None:
    """Count an entry's phrases (``variants``: every group's variants by phrase, when at hand)."""
    for form, times in Counter(forms).items():
        low = form.casefold()
        variant = variants.get(low) if variants is not None else groups.get(singular(low), {}).get(low)
        if variant is None:
            variant = groups.setdefault(singular(low), {})[low] = (set(), {})
            if variants is not None:
                variants[low] = variant
        variant[0].add(entry_id)
        variant[1][form] = variant[1].get(form, 0) + times


class StaleTerms(Exception):
    """The stored groups do not hold what is being taken out of them: count afresh."""


def _remove(groups: dict[str, Group], entry_id: str, forms: Sequence[str]) -> None:
    for form in forms:
        variant = groups.get(singular(low := form.casefold()), {}).get(low)
        if variant is None or entry_id not in variant[0] or not variant[1].get(form):
            raise StaleTerms(f"{entry_id}: {form!r} is not counted for it")
        variant[1][form] -= 1
        if not variant[1][form]:
            del variant[1][form]
    for low in {form.casefold() for form in forms}:
        group = groups[stem := singular(low)]
        ids, casings = group[low]
        ids.discard(entry_id)
        if ids:
            continue
        if casings:
            raise StaleTerms(f"{low!r}: casings counted for no entry")
        del group[low]
        if not group:
            del groups[stem]


def count_terms(texts: Mapping[str, str]) -> dict[str, Group]:
    """Every group of the entries' phrases: entry id → index text in, stem → group out."""
    groups: dict[str, Group] = {}
    variants: dict[str, Variant] = {}
    for entry_id, text in texts.items():
        _add(groups, entry_id, phrase_forms(text), variants)
    return groups


def _entries(group: Group) -> set[str]:
    if len(group) == 1:
        return next(iter(group.values()))[0]
    return set().union(*(ids for ids, _ in group.values()))


def _candidate(stem: str, group: Group, ids: set[str]) -> Candidate:
    best = min(group, key=lambda p: (-len(group[p][0]), len(p), p))
    return Candidate(stem, best, most_common_form(group[best][1]), len(ids), _json(sorted(ids)))


_json = json.JSONEncoder(ensure_ascii=False).encode


def _sorted(items: Collection) -> list:
    return list(items) if len(items) < 2 else sorted(items)  # most groups hold one phrase of one entry


def candidates(groups: Mapping[str, Group]) -> list[Candidate]:
    """The candidates of the groups in at least :data:`MIN_ENTRIES` entries (in no order)."""
    return [_candidate(stem, g, ids) for stem, g in groups.items() if len(ids := _entries(g)) >= MIN_ENTRIES]


def ranked(found: Iterable[Candidate]) -> list[Candidate]:
    """Candidates best ranked first, as :func:`selfbook.book.index.choose_terms` reads them."""
    return sorted(found, key=Candidate.rank)


# -- what to save, and an add's recount ---------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A book's candidates for the index, best ranked first (read once), and the rows that save
    its groups."""

    candidates: Iterable[Candidate]
    rows: TermRows


def _rows(groups: Mapping[str, Group], made: Mapping[str, Candidate]) -> tuple[tuple, ...]:
    out = []
    for stem, group in sorted(groups.items()):
        variants = _json([[low, _sorted(ids), _sorted(casings.items())] for low, (ids, casings) in _sorted(group.items())])
        c = made.get(stem)
        if c is None:
            out.append((stem, len(_entries(group)), None, None, None, None, variants))
        else:
            out.append((stem, c.entries, c.phrase, c.form, c.ids_json, c.score, variants))
    return tuple(out)


def count_afresh(entries: Iterable[Entry]) -> Counted:
    """Every group counted from the entries (the placed ones)."""
    groups = count_terms({e.id: index_text(e) for e in entries})
    found = candidates(groups)
    return Counted(ranked(found), TermRows(_rows(groups, {c.stem: c for c in found}), TERMS_VERSION, full=True))


def recount(store: TermStore, before: Mapping[str, Entry], after: Mapping[str, Entry]) -> Counted:
    """The groups of ``after`` (the placed entries now) from those stored for ``before`` (the
    placed entries the store counted): only the entries whose title or notes differ, or that
    came or went, are counted again. Counts afresh when the store holds no groups of this
    :data:`TERMS_VERSION`, or groups that do not match ``before``."""
    if store.index_terms_version() != TERMS_VERSION:
        log.info("the index's term counts are missing or out of date: counting every entry")
        return count_afresh(after.values())
    changed = [e for e in {**before, **after} if _said(before.get(e)) != _said(after.get(e))]
    old = {e: phrase_forms(index_text(before[e])) for e in changed if e in before}
    new = {e: phrase_forms(index_text(after[e])) for e in changed if e in after}
    stems = {singular(f.casefold()) for forms in (*old.values(), *new.values()) for f in forms}
    groups = {stem: _group(text) for stem, text in store.index_term_groups(stems).items()}
    try:
        for entry_id, forms in old.items():
            _remove(groups, entry_id, forms)
    except (StaleTerms, KeyError) as exc:
        log.warning("the index's term counts do not match the book (%s): counting every entry", exc)
        return count_afresh(after.values())
    for entry_id, forms in new.items():
        _add(groups, entry_id, forms)
    made = {c.stem: c for c in candidates(groups)}
    kept = (c for c in _stored(store) if c.stem not in stems)  # the others, as stored
    return Counted(
        heapq.merge(kept, ranked(made.values()), key=Candidate.rank),
        TermRows(_rows(groups, made), TERMS_VERSION, drop=tuple(sorted(s for s in stems if s not in groups))),
    )


def _group(variants: str) -> Group:
    return {low: (set(ids), dict(casings)) for low, ids, casings in json.loads(variants)}


def _stored(store: TermStore) -> Iterator[Candidate]:
    """The stored candidates, best ranked first, read a page at a time as they are wanted."""
    offset = 0
    while page := store.index_term_candidates(offset, PAGE):
        yield from (Candidate(*row) for row in page)
        offset += len(page)


def _said(entry: Entry | None) -> tuple | None:
    return None if entry is None else (entry.title, entry.notes)
