"""Near duplicates: entries that say the same thing in other words, or point at one page,
found once entries are embedded (exact copies are merged earlier, by
:mod:`selfbook.normalize.dedupe`). For rows i < j of L2-normalized vectors:

1. Candidates: for each row, its ``max_neighbours`` nearest later rows with cosine ≥
   ``threshold``, computed block by block (``block_rows`` rows at a time, never n × n at once).
2. Text similarity: rapidfuzz ``token_sort_ratio`` (0–100) of the normalized text the model
   reads (title + note, :meth:`~selfbook.models.Entry.embed_text`); word order does not matter,
   but unlike ``token_set_ratio`` a short text is not "equal" to a longer one that contains it.
   An entry with no such text (a title that is only a licence tag) has similarity 0 with
   everything: two empty texts are not the same text.
3. URLs conflict when both entries have specific URLs and share no host + path (+ fragment);
   records conflict when both entries have identities and share none.
4. Merge (transitively, the earliest row kept) when text ≥ ``merge_text`` and neither URLs nor
   records conflict. Flag for review when text ≥ ``flag_text`` but it was not merged (reason
   "similar text, different records", "similar text, different links" or "similar text"), or
   when cosine ≥ ``flag_cosine`` and the text is below ``flag_text`` ("same meaning, different
   words"). A flag's score is the text similarity (0–1) for text flags and the cosine for
   meaning flags. Flags between entries that ended up merged are dropped; each flag names the
   surviving ids. The fragment look-alikes of the survivors are flagged too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from selfbook.models import Entry, Flag, Merge
from selfbook.normalize.dedupe import _conflict, _entry, _from_entry, _UnionFind, normalized_text
from selfbook.normalize.urls import anchor, canonical_url, dedupe_key, is_specific, page_key, split_url

__all__ = ["NearDuplicates", "near_duplicates", "fragment_flags"]


@dataclass(frozen=True)
class NearDuplicates:
    entries: tuple[Entry, ...]
    merges: tuple[Merge, ...]
    flags: tuple[Flag, ...]
    kept_rows: tuple[int, ...]


def near_duplicates(
    entries: Sequence[Entry],
    vectors: np.ndarray,
    *,
    threshold: float = 0.95,
    merge_text: float = 95.0,
    flag_text: float = 85.0,
    flag_cosine: float = 0.98,
    max_neighbours: int = 10,
    block_rows: int = 1024,
    scorer: Callable[[str, str], float] = fuzz.token_sort_ratio,
) -> NearDuplicates:
    """Merge confident near-duplicates and flag look-alikes (rules in the module docstring)."""
    if vectors.ndim != 2 or vectors.shape[0] != len(entries):
        raise ValueError(f"need one vector row per entry: {vectors.shape} for {len(entries)}")
    texts = [normalized_text(e.embed_text()) for e in entries]
    paths = [_host_paths(e) for e in entries]
    idents = [frozenset(e.idents) for e in entries]
    sets = _UnionFind(len(entries), idents=idents)
    pending: list[tuple[int, int, str, float]] = []
    for i, j, cosine in _candidates(vectors, threshold, max_neighbours, block_rows):
        similar = scorer(texts[i], texts[j]) if texts[i] and texts[j] else 0.0  # no words, no text evidence
        records = _conflict(idents[i], idents[j])
        conflict = records or _conflict(paths[i], paths[j])
        if similar >= merge_text and not conflict and sets.union(i, j, f"near-duplicate: text {similar:.0f}, cosine {cosine:.3f}"):
            continue
        if similar >= flag_text:
            why = "similar text, different records" if records else "similar text, different links" if conflict else "similar text"
            pending.append((i, j, why, round(similar / 100, 4)))
        elif cosine >= flag_cosine:
            pending.append((i, j, "same meaning, different words", round(cosine, 4)))
    return _near_result(entries, sets, pending)


def _near_result(
    entries: Sequence[Entry], sets: _UnionFind, pending: list[tuple[int, int, str, float]]
) -> NearDuplicates:
    groups = sets.groups()
    reasons = sets.reasons()
    kept: list[Entry] = []
    merges: list[Merge] = []
    for members in groups:
        head = entries[members[0]]
        if len(members) == 1:
            kept.append(head)
            continue
        entry = _entry(head.id, [_from_entry(entries[i]) for i in members])
        kept.append(entry)
        merges.append(Merge(head.id, entry.sources, "; ".join(reasons[members[0]])))
    flags: dict[tuple[str, str], Flag] = {}
    for i, j, reason, score in pending:
        a, b = sets.find(i), sets.find(j)
        if a != b:
            pair = (entries[a].id, entries[b].id)
            flags.setdefault(pair, Flag(pair[0], pair[1], reason, score))
    for flag in fragment_flags(kept):
        if (flag.a, flag.b) not in flags and (flag.b, flag.a) not in flags:
            flags[(flag.a, flag.b)] = flag
    return NearDuplicates(
        entries=tuple(kept),
        merges=tuple(merges),
        flags=tuple(flags.values()),
        kept_rows=tuple(members[0] for members in groups),
    )


def fragment_flags(entries: Sequence[Entry], among: Collection[str] | None = None) -> list[Flag]:
    """Entries kept apart whose URLs are the same page but for a place-in-a-page fragment
    (``…/#dailydave`` and ``…/#fulldisclosure``, or ``page`` and ``page#readme``): each entry
    with such a URL is flagged against the first entry on that page, reason "same page,
    different fragment". With ``among``, only pairs with at least one of these ids."""
    first: dict[str, str] = {}
    anchored: list[tuple[str, str]] = []
    for entry in entries:
        for url in entry.urls:
            page = page_key(url)
            first.setdefault(page, entry.id)
            if anchor(url):
                anchored.append((page, entry.id))
    flags: dict[tuple[str, str], Flag] = {}
    for page, eid in anchored:
        other = first[page]
        if other != eid and (among is None or other in among or eid in among):
            flags.setdefault((other, eid), Flag(other, eid, "same page, different fragment", 1.0))
    return list(flags.values())


def _host_paths(entry: Entry) -> frozenset[str]:
    """Host + path (+ fragment) of each specific URL: the query does not count here."""
    out = set()
    for url in entry.urls:
        parts = split_url(canonical_url(url))
        if parts and is_specific(url):
            fragment = dedupe_key(url).partition("#")[2]
            out.add(f"{parts[0]}{parts[1].rstrip('/')}" + (f"#{fragment}" if fragment else ""))
    return frozenset(out)


def _candidates(
    vectors: np.ndarray, threshold: float, max_neighbours: int, block_rows: int
) -> list[tuple[int, int, float]]:
    """Pairs (i, j > i, cosine) with cosine ≥ threshold, at most max_neighbours per row."""
    n = vectors.shape[0]
    matrix = np.asarray(vectors, dtype=np.float32)
    rows = max(1, min(block_rows, (1 << 25) // max(n, 1)))  # at most ~128 MB of scores at once
    cols = np.arange(n)
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, n, rows):
        block = matrix[start : start + rows] @ matrix.T
        block[cols[None, :] <= np.arange(start, start + block.shape[0])[:, None]] = -np.inf
        if n > max_neighbours:
            top = np.argpartition(-block, max_neighbours - 1, axis=1)[:, :max_neighbours]
        else:
            top = np.broadcast_to(cols, block.shape)
        scores = np.take_along_axis(block, top, axis=1)
        for r, c in zip(*np.nonzero(scores >= threshold)):
            pairs.append((start + int(r), int(top[r, c]), float(scores[r, c])))
    pairs.sort(key=lambda p: (p[0], p[1]))
    return pairs
