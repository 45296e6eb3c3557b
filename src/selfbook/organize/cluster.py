"""Grouping entries: features → a neighbour graph → smoothing → a weighted Ward tree → cuts.

Up to :data:`EXACT_TREE_MAX` entries the tree is built over the entries themselves, in the full
space of their vectors (no projection, no k-means): nothing random is left, so the result does
not depend on the seed. Above that, it is built over k-means micro-cluster centroids, so memory
stays linear in the number of entries (the tree's distance matrix is over at most ``max_micro``
centroids).

Every step is deterministic: seeds are fixed, and BLAS/OpenMP run on one thread (the
reductions of a multi-threaded k-means depend on thread scheduling).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# sklearn and scipy are imported in the functions that use them, not here: they cost about a
# second of start-up that only the organizer (build, add --reorganize) needs, while every command
# imports the library (STYLE: heavy imports deferred to the seam that needs them).
from selfbook.text.phrases import STOPWORDS
from selfbook.text import terms

log = logging.getLogger(__name__)

# Above this many entries, micro-clusters come from mini-batch k-means.
_MINIBATCH_ABOVE = 20_000
# Up to this many entries, nearest neighbours are found exactly.
_EXACT_KNN_MAX = 20_000
# How many similarities the exact search holds at once.
_CHUNK_CELLS = 4_000_000
# Up to this many entries, the tree is built over the entries themselves (its cost matrix:
# 8·n² bytes, 128 MB at 4,000).
EXACT_TREE_MAX = 4_000


def _analyzer(text: str) -> list[str]:
    return [t for t in terms(text) if t not in STOPWORDS and any(c.isalpha() for c in t)]


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


def lexical_features(texts: Sequence[str], dims: int, seed: int) -> np.ndarray | None:
    """LSA of the texts: TF-IDF over selfbook terms, reduced to ``dims`` unit-length columns.

    None when the texts share too few words to be worth it.
    """
    from sklearn.decomposition import TruncatedSVD  # deferred: see the imports
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer=_analyzer, min_df=2, max_df=0.5, sublinear_tf=True, dtype=np.float32)
    try:
        counts = tfidf.fit_transform(texts)
    except ValueError:  # no term occurs twice
        return None
    dims = min(dims, counts.shape[1] - 1, counts.shape[0] - 1)
    if dims < 2:
        return None
    lsa = TruncatedSVD(dims, algorithm="randomized", random_state=seed).fit_transform(counts)
    return _unit_rows(lsa.astype(np.float32))


def recentre(x: np.ndarray) -> np.ndarray:
    """Rows minus their mean, renormalized: what they all share removed."""
    return _unit_rows(x - x.mean(axis=0, dtype=np.float64).astype(np.float32)).astype(np.float32)


def features(texts: Sequence[str], vectors: np.ndarray, lexical_weight: float, lexical_dims: int, seed: int) -> np.ndarray:
    """Rows to cluster: centered dense vectors, plus LSA of the texts weighted by ``lexical_weight``.

    Centering matters for e5 vectors: they share a large common direction (unrelated notes
    score ~0.73), which hides the topic structure from Euclidean methods.
    """
    dense = recentre(vectors.astype(np.float32))
    lexical = lexical_features(texts, lexical_dims, seed) if lexical_weight > 0 else None
    if lexical is None:
        return dense
    both = np.hstack([dense, lexical_weight * lexical])
    return _unit_rows(both).astype(np.float32)


def _top_k(sims: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k largest values, best first (ties: lower index first)."""
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(sims, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def neighbors(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Each row's ``k`` nearest other rows by inner product, as an (n, k) index array.

    Exact (chunked, O(n) memory) up to 20,000 rows; above that, searched only among the
    members of the 8 coarse k-means cells nearest to the row's own cell (an IVF index).
    """
    n = len(x)
    k = min(k, n - 1)
    if k < 1:
        return np.zeros((n, 0), dtype=np.int64)
    if n <= _EXACT_KNN_MAX:
        return _exact_neighbors(x, k)
    return _ivf_neighbors(x, k, seed)


def _exact_neighbors(x: np.ndarray, k: int) -> np.ndarray:
    out = np.empty((len(x), k), dtype=np.int64)
    step = max(64, _CHUNK_CELLS // len(x))  # rows per block: ~4M similarities at a time
    for start in range(0, len(x), step):
        rows = np.arange(start, min(start + step, len(x)))
        sims = x[rows] @ x.T
        sims[np.arange(len(rows)), rows] = -np.inf
        out[rows] = _top_k(sims, k)
    return out


def _ivf_neighbors(x: np.ndarray, k: int, seed: int, probes: int = 8) -> np.ndarray:
    cells = max(probes, int(np.sqrt(len(x))))
    from sklearn.cluster import MiniBatchKMeans  # deferred: see the imports

    coarse = MiniBatchKMeans(cells, random_state=seed, n_init=1, batch_size=4096).fit(x)
    labels = coarse.labels_
    centers = coarse.cluster_centers_.astype(x.dtype)
    sq = np.sum(centers**2, axis=1)
    near = _top_k(2 * centers @ centers.T - sq[None, :], min(probes, cells))  # own cell first
    members = [np.flatnonzero(labels == c) for c in range(cells)]
    out = np.empty((len(x), k), dtype=np.int64)
    for cell in range(cells):
        rows = members[cell]
        if len(rows) == 0:
            continue
        cands = np.concatenate([members[c] for c in near[cell]])
        sims = x[rows] @ x[cands].T
        sims[rows[:, None] == cands[None, :]] = -np.inf
        take = min(k, len(cands) - 1)
        found = cands[_top_k(sims, take)]
        if take < k:  # a tiny neighbourhood: pad with the row's best
            found = np.hstack([found, np.repeat(found[:, :1], k - take, axis=1)])
        out[rows] = found
    return out


def smooth(x: np.ndarray, k: int, steps: int, keep: float, seed: int) -> np.ndarray:
    """Pull each row toward the mean of its ``k`` nearest neighbours, ``steps`` times (see :func:`diffuse`)."""
    if steps <= 0 or k <= 0 or len(x) < 3:
        return x
    return diffuse(x, neighbors(x, k, seed), steps, keep)


def diffuse(x: np.ndarray, nbrs: np.ndarray, steps: int, keep: float) -> np.ndarray:
    """``y ← keep·y + (1−keep)·mean(y[nbrs])``, renormalized, ``steps`` times.

    A few steps of diffusion on the kNN graph: it tightens topics and dissolves lone bridges
    between them, which makes the tree's top cuts follow domains rather than noise.
    """
    if steps <= 0 or nbrs.shape[1] == 0:
        return x
    y = x.astype(np.float32)
    for _ in range(steps):
        pulled = np.zeros_like(y)
        for j in range(nbrs.shape[1]):  # one column at a time: O(n·d) memory, not O(n·k·d)
            pulled += y[nbrs[:, j]]
        y = _unit_rows(keep * y + (1 - keep) * pulled / nbrs.shape[1])
    return y.astype(np.float32)


def reduce(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """The rows projected on their ``dims`` principal components (randomized SVD, seeded).

    k-means and Ward only need distances; 64 components keep the structure that matters and
    make the micro-clustering several times faster.
    """
    if dims <= 0 or dims >= min(x.shape) - 1:
        return x
    from sklearn.decomposition import TruncatedSVD  # deferred: see the imports

    centred = x - x.mean(axis=0)
    return TruncatedSVD(dims, algorithm="randomized", random_state=seed).fit_transform(centred).astype(np.float32)


@dataclass(frozen=True)
class Micro:
    """Micro-clusters: each entry's cluster, and each cluster's centroid and size."""

    labels: np.ndarray
    centroids: np.ndarray
    sizes: np.ndarray


def singletons(x: np.ndarray) -> Micro:
    """Every row its own micro-cluster: the tree is then built over the entries themselves."""
    n = len(x)
    return Micro(np.arange(n), x.astype(np.float64), np.ones(n))


def micro_clusters(x: np.ndarray, k: int, seed: int) -> Micro:
    """k-means into ``k`` micro-clusters (mini-batch above 20,000 rows); empty ones dropped."""
    from sklearn.cluster import KMeans, MiniBatchKMeans  # deferred: see the imports

    if k >= len(x):
        labels = np.arange(len(x))
    elif len(x) > _MINIBATCH_ABOVE:
        model = MiniBatchKMeans(k, random_state=seed, n_init=1, batch_size=4096, max_no_improvement=20)
        labels = model.fit_predict(x)
    else:
        labels = KMeans(k, random_state=seed, n_init=1, max_iter=100).fit_predict(x)
    used, labels = np.unique(labels, return_inverse=True)
    sizes = np.bincount(labels, minlength=len(used)).astype(np.float64)
    sums = np.zeros((len(used), x.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, x)
    return Micro(labels, sums / sizes[:, None], sizes)


def ward_tree(centroids: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Ward agglomeration of weighted points, as a SciPy linkage matrix.

    Merging clusters A and B costs ``nA·nB/(nA+nB)·|cA−cB|²`` (the rise in within-cluster
    sum of squares); costs are updated by Lance–Williams, and each row keeps its cheapest
    partner so that a step rescans only the rows the merge touched. O(m²) memory for m points,
    which is why it runs on micro-cluster centroids. Heights are ``sqrt(2·cost)`` as in SciPy;
    the fourth column counts leaves (centroids), as SciPy requires, not weights.
    """
    m = len(centroids)
    if m <= 1:
        return np.zeros((0, 4))
    c = centroids.astype(np.float64)
    n = sizes.astype(np.float64).copy()
    cost = _ward_costs(c, n)
    np.fill_diagonal(cost, np.inf)
    best = np.argmin(cost, axis=1)
    best_cost = cost[np.arange(m), best]
    node = np.arange(m)  # SciPy id of the cluster held in each slot
    leaves = np.ones(m, dtype=np.int64)
    out = np.zeros((m - 1, 4))
    for step in range(m - 1):
        a = int(np.argmin(best_cost))
        b = int(best[a])
        a, b = min(a, b), max(a, b)
        d_ab = cost[a, b]
        na, nb = n[a], n[b]
        out[step] = (min(node[a], node[b]), max(node[a], node[b]), np.sqrt(2 * d_ab), leaves[a] + leaves[b])
        merged = ((na + n) * cost[a] + (nb + n) * cost[b] - n * d_ab) / (na + nb + n)
        merged[~np.isfinite(best_cost)] = np.inf  # slots already merged away
        merged[[a, b]] = np.inf
        cost[a, :] = merged
        cost[:, a] = merged
        cost[b, :] = np.inf
        cost[:, b] = np.inf
        n[a] = na + nb
        leaves[a] += leaves[b]
        node[a] = m + step
        best_cost[b] = np.inf
        stale = np.flatnonzero(np.isfinite(best_cost) & ((best == a) | (best == b)))
        for i in (a, *stale.tolist()):
            best[i] = int(np.argmin(cost[i]))
            best_cost[i] = cost[i, best[i]]
        closer = np.isfinite(best_cost) & (merged < best_cost)
        best[closer] = a
        best_cost[closer] = merged[closer]
    return out


def _ward_costs(c: np.ndarray, n: np.ndarray, block: int = 512) -> np.ndarray:
    """``n_i·n_j/(n_i+n_j)·|c_i−c_j|²`` for every pair, built in row blocks: one m×m matrix."""
    m = len(c)
    sq = np.sum(c**2, axis=1)
    cost = np.empty((m, m))
    for start in range(0, m, block):
        rows = slice(start, min(start + block, m))
        part = c[rows] @ c.T
        part *= -2
        part += sq[rows, None]
        part += sq[None, :]
        np.maximum(part, 0.0, out=part)
        part *= n[rows, None] * n[None, :] / (n[rows, None] + n[None, :])
        cost[rows] = part
    return cost


def loo_cosine(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's cosine to the mean of the *other* rows of its group (0 for a lone row).

    Leaving the row out matters for small groups: four unrelated notes each score 0.5
    against a mean that holds themselves, and 0 against the mean of the other three.
    """
    groups, inverse = np.unique(labels, return_inverse=True)
    sums = np.zeros((len(groups), x.shape[1]), dtype=np.float64)
    np.add.at(sums, inverse, x)
    others = sums[inverse] - x
    norms = np.linalg.norm(others, axis=1) * np.linalg.norm(x, axis=1)
    dots = np.einsum("ij,ij->i", others, x)
    return np.divide(dots, norms, out=np.zeros(len(x)), where=norms > 0)


def cut(tree: np.ndarray, m: int, k: int) -> np.ndarray:
    """The tree cut into ``k`` groups: a 0-based group per leaf (m leaves)."""
    if m == 1 or k <= 1:
        return np.zeros(m, dtype=int)
    from scipy.cluster.hierarchy import fcluster  # deferred: see the imports

    return fcluster(tree, t=min(k, m), criterion="maxclust") - 1


def merge_gap_choice(tree: np.ndarray, lo: int, hi: int) -> int:
    """The number of top-level groups before the largest relative jump in merge height."""
    heights = tree[::-1, 2]  # heights[j]: the merge that turns j+2 groups into j+1
    best, best_ratio = lo, -1.0
    for k in range(max(lo, 2), hi + 1):
        if k - 1 >= len(heights):
            break
        ratio = heights[k - 2] / max(heights[k - 1], 1e-12)
        if ratio > best_ratio:
            best, best_ratio = k, ratio
    return best


def refine(x: np.ndarray, labels: np.ndarray, steps: int) -> np.ndarray:
    """``labels`` after up to ``steps`` rounds of moving every row to the group whose mean
    direction is nearest (cosine): k-means started from a cut. Groups are renumbered in order
    of first appearance; one that empties is gone."""
    rows = _unit_rows(np.asarray(x, dtype=np.float64))
    for _ in range(steps):
        groups = np.unique(labels)
        centres = _unit_rows(np.stack([rows[labels == g].mean(axis=0) for g in groups]))
        moved = groups[np.argmax(rows @ centres.T, axis=1)]
        if np.array_equal(moved, labels):
            break
        labels = moved
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    renumber = np.empty(labels.max() + 1, dtype=np.int64)
    renumber[np.unique(labels)[order]] = np.arange(len(order))
    return renumber[labels]


# Silhouettes are measured on at most this many rows (an evenly spaced sample above it).
_SILHOUETTE_SAMPLE = 3_000


def silhouette_choice(x: np.ndarray, tree: np.ndarray, micro: Micro, lo: int, hi: int) -> tuple[int, dict[int, float]]:
    """The number of top-level groups, between ``lo`` and ``hi``, whose cut of ``tree`` has the
    highest mean silhouette (cosine) on the rows ``x``: groups tight inside and apart from each
    other, measured on the data alone. Returns the choice and every score."""
    from sklearn.metrics import silhouette_score

    n = len(x)
    rows = np.arange(n) if n <= _SILHOUETTE_SAMPLE else np.linspace(0, n - 1, _SILHOUETTE_SAMPLE).astype(int)
    scores: dict[int, float] = {}
    for k in range(max(lo, 2), hi + 1):
        if k > len(micro.sizes) or k >= len(rows):
            break
        labels = cut(tree, len(micro.sizes), k)[micro.labels[rows]]
        if not 2 <= len(set(labels.tolist())) < len(rows):
            continue
        scores[k] = float(silhouette_score(x[rows], labels, metric="cosine"))
    if not scores:
        return max(lo, 1), scores
    top = max(scores.values())
    return min(k for k, v in scores.items() if v >= top), scores
