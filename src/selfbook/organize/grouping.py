"""From vectors to groups: each entry's chapter and section, untitled (steps 1-5 of the method
in :mod:`selfbook.organize`). :func:`group` features the entries (centred, pulled toward the
person's topical headings), smooths them over their neighbours, cuts a Ward tree into chapters
(how many by silhouette or merge gap, within bounds from the book's size), then cuts each
chapter's own tree into sections and leaves its stragglers over. Titles come after, in the
package root."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selfbook.organize import cluster
from selfbook.organize.headings import pull
from selfbook.organize.params import OrganizeParams

__all__ = ["Grouping", "group", "neighbor_count"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grouping:
    """Each entry's chapter (-1: Miscellany chapter) and section (-1: its Miscellany section)."""

    chapter_of: np.ndarray
    section_of: np.ndarray
    choice: str  # how the number of chapters was chosen
    features: np.ndarray  # the rows that were clustered (centred, pulled by headings)



def _chapter_bounds(n: int, p: OrganizeParams) -> tuple[int, int]:
    hi = min(p.max_chapters, max(p.min_chapters, n // (3 * p.min_section)))
    lo = min(hi, max(p.min_chapters, math.ceil(n / (p.section_size * p.max_chapter_sections))))
    return lo, hi


def neighbor_count(n: int, wanted: int) -> int:
    """Fewer smoothing neighbours for small inputs, so that small topics are not blurred."""
    return min(wanted, max(2, round(math.sqrt(n) / 2)))


def _graph(x: np.ndarray, wanted: int, p: OrganizeParams) -> np.ndarray:
    """The smoothing graph: each row's nearest neighbours (none when smoothing is off)."""
    n = len(x)
    if p.smoothing_steps <= 0 or n < 3:
        return np.zeros((n, 0), dtype=np.int64)
    return cluster.neighbors(x, neighbor_count(n, wanted), p.seed)


def _leaves(x: np.ndarray, p: OrganizeParams) -> cluster.Micro:
    """What the tree is built over: the entries themselves up to ``EXACT_TREE_MAX``, else
    k-means micro-clusters of about ``micro_size`` entries in ``dims`` principal components."""
    n = len(x)
    if n <= cluster.EXACT_TREE_MAX:
        return cluster.singletons(x)
    count = min(n, p.max_micro, round(n / p.micro_size))
    return cluster.micro_clusters(cluster.reduce(x, p.dims, p.seed), count, p.seed)


def group(
    texts: Sequence[str],
    vectors: np.ndarray,
    heading_of: list[str | None],
    p: OrganizeParams,
) -> Grouping:
    n = len(texts)
    base = cluster.features(texts, vectors, p.lexical_weight, p.lexical_dims, p.seed)
    base = pull(base, heading_of, p.heading_weight)
    chapter_of, choice = _chapters(base, p)
    section_of = np.full(n, -1)
    next_id = 0
    for c in range(chapter_of.max() + 1):
        members = np.flatnonzero(chapter_of == c)
        local = _drop_stragglers(base[members], _section_groups(base[members], p), p.straggler_ratio)
        counts = np.bincount(local[local >= 0]) if np.any(local >= 0) else np.zeros(0, dtype=int)
        for s in np.flatnonzero(counts >= p.min_section):
            section_of[members[local == s]] = next_id
            next_id += 1
    log.debug("organize: %d entries, %d chapters (%s), %d sections", n, chapter_of.max() + 1, choice, next_id)
    return Grouping(chapter_of, section_of, choice, base)


def _chapters(base: np.ndarray, p: OrganizeParams) -> tuple[np.ndarray, str]:
    """Each entry's chapter, numbered from 0 (-1 for chapters under ``min_chapter`` entries),
    and how their number was chosen."""
    nbrs = _graph(base, p.neighbors, p)
    smoothed = cluster.diffuse(base, nbrs, p.smoothing_steps, p.smoothing_keep)
    micro = _leaves(smoothed, p)
    tree = cluster.ward_tree(micro.centroids, micro.sizes)
    k, choice = _chapter_count(len(base), tree, micro, p, smoothed)
    chapter_of = cluster.refine(smoothed, cluster.cut(tree, len(micro.sizes), k)[micro.labels], p.refine_steps)
    k = chapter_of.max() + 1
    sizes = np.bincount(chapter_of, minlength=k)
    kept = np.flatnonzero(sizes >= p.min_chapter)
    renumber = np.full(k, -1)
    renumber[kept] = np.arange(len(kept))
    return renumber[chapter_of], choice


def _chapter_count(n: int, tree: np.ndarray, micro: cluster.Micro, p: OrganizeParams, features: np.ndarray) -> tuple[int, str]:
    """The number of chapters, and how it was chosen (see the module docstring, step 4)."""
    if p.chapters:
        return p.chapters, "fixed"
    lo, hi = _chapter_bounds(n, p)
    if p.chapter_choice == "gap":
        return cluster.merge_gap_choice(tree, lo, hi), "merge-gap"
    k, _ = cluster.silhouette_choice(features, tree, micro, lo, hi)
    return k, "silhouette"


def _section_groups(base: np.ndarray, p: OrganizeParams) -> np.ndarray:
    """The sections of one chapter's entries, numbered from 0.

    The chapter is looked at on its own: its vectors centred again (what all its entries
    share says nothing about how they differ), smoothed over ``section_neighbors``
    neighbours, then put in a tree and cut by :func:`_split`.
    """
    n = len(base)
    x = cluster.recentre(base)
    x = cluster.diffuse(x, _graph(x, p.section_neighbors, p), p.smoothing_steps, p.smoothing_keep)
    micro = _leaves(x, p)
    leaves = np.arange(len(micro.sizes))
    return _split(micro, leaves, round(n / p.section_size), p.section_size)[micro.labels]


def _drop_stragglers(x: np.ndarray, local: np.ndarray, ratio: float) -> np.ndarray:
    """Groups with the stragglers set to -1: entries whose cosine to the rest of their group
    (:func:`cluster.loo_cosine`) is under ``ratio`` times the chapter's median."""
    if ratio <= 0 or len(local) < 2:
        return local
    fit = cluster.loo_cosine(x, local)
    return np.where(fit < ratio * np.median(fit), -1, local)


def _split(micro: cluster.Micro, leaves: np.ndarray, wanted: int, size: int) -> np.ndarray:
    """A group per micro-cluster (-1 outside ``leaves``): the leaves' Ward tree cut into
    ``wanted`` groups, then any group over 2.5 × ``size`` entries cut again the same way."""
    out = np.full(len(micro.sizes), -1)
    if len(leaves) == 0:
        return out
    tree = cluster.ward_tree(micro.centroids[leaves], micro.sizes[leaves])
    first = cluster.cut(tree, len(leaves), max(1, wanted))
    next_id = 0
    for g in range(first.max() + 1):
        part = leaves[first == g]
        weight = micro.sizes[part].sum()
        if weight > 2.5 * size and len(part) > 1:
            sub = cluster.ward_tree(micro.centroids[part], micro.sizes[part])
            pieces = cluster.cut(sub, len(part), round(weight / size))
        else:
            pieces = np.zeros(len(part), dtype=int)
        out[part] = pieces + next_id
        next_id += pieces.max() + 1
    return out
