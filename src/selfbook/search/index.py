"""The lexical index the store keeps, counted here and handed to the store with the book it saves.

The index holds, for every term (:func:`selfbook.search.terms.entry_counts`), the positions of
the entries that hold it and its count in their title and body (:class:`Postings`), and each
entry's field lengths. A build counts every entry (:func:`full_index`). An ``add`` keeps every
stored entry at its position and adds after them (:func:`updated_index`): only the rewritten and
new entries are counted, and only the rows of the terms they held or hold are read back, patched
and handed on, the rows a count from scratch gives (``tests/test_add.py``). The store writes what
it is handed in the save's transaction (:class:`~selfbook.store.base.SearchIndexRows`); it never
counts, so :mod:`selfbook.store` imports nothing from here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

import numpy as np

from ..models import Entry
from ..store.base import Postings, SearchIndexRows
from .terms import INDEX_VERSION, entry_counts

_MAX_TF = np.iinfo(np.uint16).max


@dataclass(frozen=True)
class IndexedEntries:
    """The postings of some entries, and the field lengths of every position up to the last."""

    title_len: np.ndarray  # uint32, one per entry position: how many terms each field holds
    body_len: np.ndarray
    postings: dict[str, Postings]


class StoredIndex(Protocol):
    """What :func:`updated_index` reads from the store."""

    def search_index_version(self) -> str | None: ...
    def search_postings(self, terms: Sequence[str]) -> dict[str, Postings]: ...


def full_index(entries: Sequence[Entry]) -> SearchIndexRows:
    """Every row of the index of ``entries``; ``entries[i]`` is the entry at position ``i``."""
    index = index_entries(entries)
    docs = tuple(zip(range(len(entries)), index.title_len.tolist(), index.body_len.tolist()))
    return SearchIndexRows(INDEX_VERSION, docs, index.postings)


def updated_index(store: StoredIndex, entries: Sequence[Entry], base: Sequence[Entry]) -> SearchIndexRows:
    """The rows that change when the stored ``base`` entries become ``entries``: those of the
    entries rewritten or added and of the terms they held or hold. When ``entries`` do not keep
    every entry of ``base`` at its position, or the stored index was counted by other search
    terms (or is missing), every row (:func:`full_index`)."""
    if not base or store.search_index_version() != INDEX_VERSION or [e.id for e in entries[: len(base)]] != [e.id for e in base]:
        return full_index(entries)
    changed = [i for i, (was, now) in enumerate(zip(base, entries)) if was != now]
    positions = [*changed, *range(len(base), len(entries))]
    old = {p: entry_counts(base[p]) for p in changed}
    fresh = index_counts({p: entry_counts(entries[p]) for p in positions}, len(entries))
    touched = sorted({t for title, body in old.values() for t in (*title, *body)} | fresh.postings.keys())
    stored = store.search_postings(touched)
    dropped = np.array(changed, dtype=np.int32)
    patched = {term: patch_postings(stored.get(term), dropped, fresh.postings.get(term)) for term in touched}
    return SearchIndexRows(
        INDEX_VERSION,
        docs=tuple((p, int(fresh.title_len[p]), int(fresh.body_len[p])) for p in positions),
        postings={term: p for term, p in patched.items() if len(p.positions)},
        drop=tuple(term for term, p in patched.items() if not len(p.positions)),
        full=False,
    )


def _counts(values: list[int]) -> np.ndarray:
    return np.minimum(np.array(values, dtype=np.int64), _MAX_TF).astype(np.uint16)


def index_entries(entries: Sequence[Entry]) -> IndexedEntries:
    """Count the terms of every entry; ``entries[i]`` is the entry at position ``i``."""
    return index_counts({position: entry_counts(entry) for position, entry in enumerate(entries)}, len(entries))


def index_counts(counts: Mapping[int, tuple[Counter[str], Counter[str]]], size: int) -> IndexedEntries:
    """The index of the entries at some positions, from their term counts; ``size`` is one more
    than the highest position (field lengths of positions not given are 0)."""
    title_len = np.zeros(size, dtype=np.uint32)
    body_len = np.zeros(size, dtype=np.uint32)
    found: dict[str, tuple[list[int], list[int], list[int]]] = defaultdict(lambda: ([], [], []))
    for position in sorted(counts):
        title, body = counts[position]
        title_len[position] = sum(title.values())
        body_len[position] = sum(body.values())
        for term in sorted(title.keys() | body.keys()):
            rows, in_title, in_body = found[term]
            rows.append(position)
            in_title.append(title.get(term, 0))
            in_body.append(body.get(term, 0))
    postings = {
        term: Postings(np.array(rows, dtype=np.int32), _counts(t), _counts(b)) for term, (rows, t, b) in sorted(found.items())
    }
    return IndexedEntries(title_len, body_len, postings)


def patch_postings(old: Postings | None, dropped: np.ndarray, fresh: Postings | None) -> Postings:
    """``old`` without the rows at the ``dropped`` positions, with the rows of ``fresh`` added,
    ordered by position: the postings of a term after some entries were rewritten or added."""
    parts = []
    if old is not None:
        keep = ~np.isin(old.positions, dropped)
        parts.append(Postings(old.positions[keep], old.title_tf[keep], old.body_tf[keep]))
    if fresh is not None:
        parts.append(fresh)
    positions = np.concatenate([p.positions for p in parts]) if parts else np.zeros(0, np.int32)
    order = np.argsort(positions, kind="stable")
    return Postings(
        positions[order].astype(np.int32),
        np.concatenate([p.title_tf for p in parts])[order].astype(np.uint16) if parts else np.zeros(0, np.uint16),
        np.concatenate([p.body_tf for p in parts])[order].astype(np.uint16) if parts else np.zeros(0, np.uint16),
    )
