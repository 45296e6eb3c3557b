"""Fusing ranked lists.

- :func:`adaptive` (the default): :func:`convex` z-score fusion with weights set per query by
  :func:`query_weights`. Both retrievers weigh 0.5, but BM25's weight is scaled by
  ``min(1, coverage / coverage_full)`` (``coverage_full`` 0.5): ``coverage`` is how much of the
  query the book holds at all (:func:`selfbook.search.lexical.coverage`), and 0 when the book
  holds none of the words written in the query's own script. A Kannada question over English
  notes shares no word with them but perhaps a year or a Latin name, and the fixed half-and-half
  sum gave BM25's z-scored noise half the vote; here BM25 gets none and the query ranks exactly
  as dense.
- :func:`convex`: each retriever's scores over its own candidates normalized (z-score, or
  min–max) and summed with fixed weights.
- :func:`rrf`: reciprocal-rank fusion, each retriever adding ``weight / (k + rank)``.

Chosen on dev queries only (``bench/retrieval.py --fusions``: SciFact's train queries and the
recorded dev halves of Cranfield and IndicQuest); the figures, and the fusions measured and not
shipped (RRF, peak-weighted lists, rules on the agreement of the two lists), are in the README's
search section and bench/results/retrieval.jsonl, not here.
"""

from __future__ import annotations

from typing import Mapping, Sequence


def rrf(
    rankings: Mapping[str, Sequence[int]], *, k: int = 60, weights: Mapping[str, float] | None = None
) -> list[tuple[int, float, tuple[tuple[str, int], ...]]]:
    """Fuse ``{retriever: positions best first}`` into ``(position, score, ranks)``, best first;
    ties go to the lower position."""
    scores: dict[int, float] = {}
    ranks: dict[int, list[tuple[str, int]]] = {}
    for name in sorted(rankings):
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, position in enumerate(rankings[name], start=1):
            scores[position] = scores.get(position, 0.0) + weight / (k + rank)
            ranks.setdefault(position, []).append((name, rank))
    order = sorted(scores, key=lambda p: (-scores[p], p))
    return [(p, scores[p], tuple(ranks[p])) for p in order]


def convex(
    scored: Mapping[str, tuple[Sequence[int], Sequence[float]]], *, weights: Mapping[str, float], norm: str = "minmax"
) -> list[tuple[int, float, tuple[tuple[str, int], ...]]]:
    """Fuse ``{retriever: (positions, scores) best first}`` by a weighted sum of normalized
    scores; same output as :func:`rrf`. ``norm`` is ``minmax`` (each retriever's candidates
    scaled to [0, 1]; one it did not rank gets 0) or ``zscore`` (scaled by their mean and
    standard deviation; one it did not rank gets its lowest; the sums are then scaled to
    [0, 1], which keeps their order)."""
    fused: dict[int, float] = {}
    ranks: dict[int, list[tuple[str, int]]] = {}
    floors: dict[str, float] = {}
    for name in sorted(scored):
        positions, scores = scored[name]
        if not len(positions):
            continue
        shares = _normalized(scores, norm)
        floors[name] = min(shares)
        weight = weights.get(name, 1.0)
        for rank, (position, share) in enumerate(zip(positions, shares), start=1):
            fused[position] = fused.get(position, 0.0) + weight * share
            ranks.setdefault(position, []).append((name, rank))
    if norm == "zscore":
        for name, floor in floors.items():  # a candidate a retriever did not rank gets its floor
            extra = weights.get(name, 1.0) * floor
            ranked = set(scored[name][0])
            for position in fused:
                if position not in ranked:
                    fused[position] += extra
        fused = dict(zip(fused, _normalized(list(fused.values()), "minmax"))) if fused else fused  # order kept, 0–1
    order = sorted(fused, key=lambda p: (-fused[p], p))
    return [(p, fused[p], tuple(ranks[p])) for p in order]


def peak(scores: Sequence[float]) -> float:
    """How far a list's best score stands above its candidates, in their standard deviations
    (the best one's z-score); 0 for a flat list or one of fewer than two scores."""
    if len(scores) < 2:
        return 0.0
    mean = sum(scores) / len(scores)
    spread = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
    return (max(scores) - mean) / spread if spread > 0 else 0.0


def query_weights(
    scored: Mapping[str, tuple[Sequence[int], Sequence[float]]], *, weights: Mapping[str, float], coverage: float,
    coverage_full: float = 0.5, sharpness: float = 0.0,
) -> dict[str, float]:
    """Each retriever's weight for one query, from what the query shows: its base weight; for
    ``lexical``, times ``min(1, coverage / coverage_full)``, where ``coverage`` is how much of the
    query the book holds (:func:`~selfbook.search.lexical.coverage`): BM25 cannot speak for words
    the book does not hold, so a query with none of them leaves it no vote; and, with
    ``sharpness`` > 0, times its list's :func:`peak` to that power (a flat list has no favourite)."""
    out = {}
    for name, (_, scores) in scored.items():
        weight = weights.get(name, 1.0) * (peak(scores) ** sharpness if sharpness else 1.0)
        if name == "lexical":
            weight *= min(1.0, coverage / coverage_full) if coverage_full > 0 else 1.0
        out[name] = weight
    return out


def adaptive(
    scored: Mapping[str, tuple[Sequence[int], Sequence[float]]], *, weights: Mapping[str, float], coverage: float,
    coverage_full: float = 0.5, sharpness: float = 0.0,
) -> list[tuple[int, float, tuple[tuple[str, int], ...]]]:
    """:func:`convex` z-score fusion with this query's :func:`query_weights`. A retriever whose
    weight is 0 adds nothing (its ranks are still reported): a query none of whose words the
    book holds ranks exactly as dense does; a flat list (all scores equal) adds nothing either,
    so a flat dense list leaves the order to BM25."""
    chosen = query_weights(scored, weights=weights, coverage=coverage, coverage_full=coverage_full, sharpness=sharpness)
    return convex(scored, weights=chosen, norm="zscore")


def _normalized(scores: Sequence[float], norm: str) -> list[float]:
    if norm == "zscore":
        mean = sum(scores) / len(scores)
        spread = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
        return [(s - mean) / spread if spread > 0 else 0.0 for s in scores]
    high, low = max(scores), min(scores)
    return [(s - low) / (high - low) if high > low else 1.0 for s in scores]
