"""Organize entries into chapters (broad domains) and sections (topics) with human titles.

The method, in order (each step deterministic; up to 4,000 entries no step is random at all):

1. **Features.** The entry vectors, centred and renormalized (e5 vectors share a large common
   direction), optionally joined by an LSA of the texts (``lexical_weight``). Entries under one
   of the person's topical headings are pulled toward their heading's mean
   (:mod:`selfbook.organize.headings`, ``heading_weight``).
2. **Smoothing.** A few steps of diffusion on the k-nearest-neighbour graph: each row moves
   toward its neighbours' mean (fewer neighbours for small inputs: √n/2).
3. **Tree.** Ward agglomeration, over the entries themselves up to 4,000 entries (in the full
   space of the vectors), above that over k-means micro-clusters of about ``micro_size``
   entries (at most ``max_micro``) after projecting on ``dims`` principal components.
4. **Chapters.** The tree cut into k groups. Unless ``chapters`` fixes k, k is the cut with the
   highest mean silhouette (cosine, on the smoothed rows; ``chapter_choice="gap"``: where the
   merge heights jump most) between bounds that come from the size of the book: at least enough
   chapters for each to hold about ``max_chapter_sections`` sections, at most ``max_chapters``.
   Nothing outside the entries decides it. Chapters smaller than ``min_chapter`` entries go to
   a final "Miscellany" chapter.
5. **Sections.** Each chapter on its own: its vectors centred again, smoothed, put in a Ward
   tree, which is cut into about ``size / section_size`` groups, any group over 2.5 ×
   ``section_size`` cut again. Stragglers (entries far less similar to the rest of their
   section than is usual in the chapter, ``straggler_ratio``) and groups smaller than
   ``min_section`` are left over.
6. **Titles.** A section takes the person's heading when one dominates it, else its key
   phrases weighed against the whole book, among which the names of
   the published vocabularies (GitHub topics, IAB categories: :mod:`selfbook.organize.vocab`)
   are preferred and gather their aliases ("postgres", "psql" → "PostgreSQL"). A group no
   phrase describes is named after its central entries if it is as tight as its titled
   siblings, else its entries join the titled section they fit (``rehome_quantile``) or the
   chapter's Miscellany. Chapters take the person's heading when one dominates them, else the
   vocabulary name most of their entries hold (:mod:`selfbook.organize.domains`), else their
   own best phrase, else their two largest sections' titles; a chapter's description lists
   its sections.

What was measured to choose these steps is in bench/README.md (bench/organize.py).

Reading order: chapters by size (largest first) then title, the Miscellany chapter last;
sections likewise, the Miscellany section last; entries inside a section in input order (the
order of ``ids``, normally the order the person saved them), which keeps a section's reading
order stable when entries are added. Ids are slugs of titles, made unique across the book.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from selfbook.models import Chapter, Outline, Section
from selfbook.organize import cluster
from selfbook.organize.domains import chapter_titles
from selfbook.organize.headings import chapter_heading, entry_headings, pull, section_heading
from selfbook.organize.vocab import labels
from selfbook.organize.title import (
    PhraseTable,
    central_titles,
    disambiguate,
    key_phrases,
    holders,
    title_groups,
)
from selfbook.text import slug

__all__ = ["OrganizeParams", "organize", "MISC_TITLE"]

log = logging.getLogger(__name__)

MISC_TITLE = "Miscellany"
METHOD = "headings+knn-smooth+ward+silhouette-k+vocab-titles"
# A group no phrase describes is named after its central entries only when their titles are
# names (this many words or fewer: "Yoshua Bengio", "Quanta Magazine"), not sentences.
NAME_WORDS = 3
# Chapters are titled by phrases that at least this share of their entries hold.
CHAPTER_MIN_SHARE = 0.1


@dataclass(frozen=True)
class OrganizeParams:
    """Settings of :func:`organize`. Zero means "choose from the number of entries"."""

    seed: int = 0
    """Seed of every random step (k-means, SVD, above 4,000 entries only); recorded in the outline."""
    min_section: int = 3
    """Smaller groups go to their chapter's Miscellany section."""
    chapters: int = 0
    """A fixed number of chapters to cut the tree into; 0 chooses it (see the module docstring)."""
    min_chapters: int = 2
    """The fewest chapters the automatic choice considers."""
    max_chapters: int = 12
    """The most chapters the automatic choice considers."""
    max_chapter_sections: int = 12
    """The automatic choice considers at least enough chapters for each to hold about this many
    sections of ``section_size`` entries (a chapter a person can take in at a glance)."""
    min_chapter: int = 0
    """Chapters smaller than this go to the final Miscellany chapter; 0: max(2·min_section, n/100)."""
    section_size: int = 0
    """The typical size of a section; 0: 0.7·sqrt(n), kept within 8..150 (40 for 3,300 entries)."""
    straggler_ratio: float = 0.3
    """An entry whose cosine to the rest of its section is under this share of the chapter's
    median goes to the Miscellany section (0 turns this off)."""
    dims: int = 64
    """Principal components kept for the micro-clusters above 4,000 entries (0: keep all)."""
    micro_size: int = 5
    """The average size of the micro-clusters the tree is built on above 4,000 entries."""
    max_micro: int = 2000
    """The most micro-clusters (the tree's memory is quadratic in this)."""
    neighbors: int = 10
    """Neighbours per entry in the smoothing graph (fewer below 400 entries: sqrt(n)/2)."""
    section_neighbors: int = 5
    """Neighbours per entry when a chapter is smoothed again to find its sections."""
    smoothing_steps: int = 3
    """Diffusion steps on the neighbour graph; 0 turns smoothing off."""
    smoothing_keep: float = 0.5
    """How much of its own position an entry keeps at each smoothing step."""
    heading_weight: float = 1.0
    """How strongly entries under one topical heading are pulled together (0: not at all)."""
    lexical_weight: float = 0.0
    """Weight of the texts' LSA next to the dense vectors (0: vectors only)."""
    lexical_dims: int = 100
    """Dimensions of the LSA when ``lexical_weight`` is above 0."""
    plural_share: float = 0.1
    """A phrase whose plural the entries write at least this share as often as the phrase
    titles in the plural ("Courses"; 0: as written most). Chosen leave-one-set-out by
    bench/organize.py among 0, 0.1, 0.3."""
    follow_titles: bool = True
    """An entry that says a sibling section's title, not its own, moves there when it fits
    (see ``_follow_titles``)."""
    title_phrases: int = 2
    """At most this many phrases in a section title ("RAG & LlamaIndex")."""
    section_title_share: float = 0.1
    """A section is titled by phrases that at least this share of its entries hold (chosen
    leave-one-set-out by bench/organize.py among 0.1, 0.2, 0.3); a section that no phrase (nor
    heading) describes so is named after its central entries or re-homed (see ``_sections``)."""
    refine_steps: int = 0
    """Rounds of moving each entry to the chapter whose centre it is nearest after the tree is
    cut (k-means started from the cut; 0: the cut as it is). Measured with bench/organize.py
    (2026-11-28): 10 rounds took the awesome lists' chapter NMI from 0.783 to 0.724 and the
    example's from 0.751 to 0.754, so the cut stays as it is."""
    chapter_choice: str = "silhouette"
    """How the number of chapters is chosen: "silhouette", "gap" (largest jump in merge height)."""
    merge_untitled: bool = True
    """A group no title describes joins its nearest sibling, and the two are titled afresh."""
    rehome_quantile: float = 0.1
    """An entry no titled section holds joins the nearest one if it fits it as well as that
    section's own members at this quantile of their fit (0: it goes to Miscellany)."""

    def resolved(self, n: int) -> OrganizeParams:
        """These settings with the automatic (zero) values worked out for ``n`` entries."""
        section_size = self.section_size or min(150, max(8, round(0.7 * math.sqrt(n))))
        min_chapter = self.min_chapter or max(2 * self.min_section, round(n / 100))
        return OrganizeParams(**{**asdict(self), "section_size": section_size, "min_chapter": min_chapter})


@dataclass(frozen=True)
class _Grouping:
    """Each entry's chapter (-1: Miscellany chapter) and section (-1: its Miscellany section)."""

    chapter_of: np.ndarray
    section_of: np.ndarray
    choice: str  # how the number of chapters was chosen
    features: np.ndarray  # the rows that were clustered (centred, pulled by headings)


def organize(
    ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    params: OrganizeParams = OrganizeParams(),
    headings: Sequence[Sequence[str]] | None = None,
) -> Outline:
    """Organize entries into an :class:`Outline` of chapters and sections.

    ``texts[i]`` is entry i's title and note; ``vectors[i]`` its L2-normalized embedding.
    ``headings[i]``, if given, is the
    path of headings above entry i in its dump (outermost first): topical ones pull their
    entries together and may title sections (:mod:`selfbook.organize.headings`). Every id
    appears exactly once in the result.
    """
    if not (len(ids) == len(texts) == len(vectors)):
        raise ValueError(f"ids, texts and vectors differ in length: {len(ids)}, {len(texts)}, {len(vectors)}")
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique")
    n = len(ids)
    heading_of = entry_headings(headings, n)
    p = params.resolved(max(n, 1))
    if n == 0:
        return Outline((), _recorded(p, 0, 0, "none", heading_of))
    vectors = np.asarray(vectors, dtype=np.float32)
    table = PhraseTable.build(texts, labels(), p.plural_share)
    with threadpool_limits(1):
        grouping = _group(texts, vectors, heading_of, p)
    return _outline(list(ids), list(texts), vectors, table, grouping, heading_of, p)


def _chapter_bounds(n: int, p: OrganizeParams) -> tuple[int, int]:
    hi = min(p.max_chapters, max(p.min_chapters, n // (3 * p.min_section)))
    lo = min(hi, max(p.min_chapters, math.ceil(n / (p.section_size * p.max_chapter_sections))))
    return lo, hi


def _neighbors(n: int, wanted: int) -> int:
    """Fewer smoothing neighbours for small inputs, so that small topics are not blurred."""
    return min(wanted, max(2, round(math.sqrt(n) / 2)))


def _graph(x: np.ndarray, wanted: int, p: OrganizeParams) -> np.ndarray:
    """The smoothing graph: each row's nearest neighbours (none when smoothing is off)."""
    n = len(x)
    if p.smoothing_steps <= 0 or n < 3:
        return np.zeros((n, 0), dtype=np.int64)
    return cluster.neighbors(x, _neighbors(n, wanted), p.seed)


def _leaves(x: np.ndarray, p: OrganizeParams) -> cluster.Micro:
    """What the tree is built over: the entries themselves up to ``EXACT_TREE_MAX``, else
    k-means micro-clusters of about ``micro_size`` entries in ``dims`` principal components."""
    n = len(x)
    if n <= cluster.EXACT_TREE_MAX:
        return cluster.singletons(x)
    count = min(n, p.max_micro, round(n / p.micro_size))
    return cluster.micro_clusters(cluster.reduce(x, p.dims, p.seed), count, p.seed)


def _group(
    texts: Sequence[str],
    vectors: np.ndarray,
    heading_of: list[str | None],
    p: OrganizeParams,
) -> _Grouping:
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
    return _Grouping(chapter_of, section_of, choice, base)


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


@dataclass(frozen=True)
class _Draft:
    title: str
    rows: np.ndarray
    misc: bool = False


def _outline(
    ids: list[str],
    texts: list[str],
    vectors: np.ndarray,
    table: PhraseTable,
    grouping: _Grouping,
    heading_of: list[str | None],
    p: OrganizeParams,
) -> Outline:
    chapter_of, section_of = grouping.chapter_of, grouping.section_of
    everything = np.arange(len(ids))
    chapter_keys = sorted(set(chapter_of.tolist()) - {-1})
    chapter_rows = [np.flatnonzero(chapter_of == c) for c in chapter_keys]
    totals = Counter(h for h in heading_of if h is not None)
    by_heading = [section_heading(heading_of, rows, totals) for rows in chapter_rows]
    by_vocab = chapter_titles(table, chapter_rows)
    picked: list[list[str]] = []
    by_phrases = title_groups(table, chapter_rows, everything, 1, min_share=CHAPTER_MIN_SHARE, phrases=picked)
    extras = [key_phrases(table, rows, everything, 5, min_share=CHAPTER_MIN_SHARE) for rows in chapter_rows]
    titles = [h or v or k for h, v, k in zip(by_heading, by_vocab, by_phrases)]
    said = [[v.casefold()] if v else k for v, k in zip(by_vocab, picked)]  # what a name from the texts says

    chapters: list[tuple[_Draft, list[_Draft], str]] = []
    for title, rows, heading, says in zip(titles, chapter_rows, by_heading, said):
        sections = _sections(table, rows, section_of, heading_of, totals, p, title, grouping.features)
        named = [d.title for d in sections if not d.misc]
        if title and not heading and not _across(table, says, sections):
            title = ""  # the name of one section ("Redis" over SSH and Redis) is not the chapter's
        if not title:  # no name fits the whole chapter: the person's heading or its two largest sections do
            title = chapter_heading(heading_of, rows, totals, p.min_chapter) or _lead_pair(named) or central_titles(texts, vectors, rows)
            if len(sections) == 1 and not sections[0].misc:
                sections = [_Draft(title, sections[0].rows)]
        others = [t for t in named if t.casefold() != title.casefold()]
        more = [t for t in extras[len(chapters)] if t.casefold() != title.casefold()]
        chapters.append((_Draft(title, rows), sections, _describe(others or more)))
    # A repeated chapter name is told apart by its largest section's lead phrase, else a key phrase.
    leads = [[_lead_pair([d.title]) for d in secs if not d.misc and d.title != c.title] for c, secs, _ in chapters]
    unique = disambiguate([c[0].title for c in chapters], [lead + more for lead, more in zip(leads, extras)])
    chapters = [(_Draft(t, c.rows), secs, d) for t, (c, secs, d) in zip(unique, chapters)]
    chapters.sort(key=lambda c: (-len(c[0].rows), c[0].title))
    leftover = np.flatnonzero(chapter_of == -1)
    if len(leftover):
        misc = _Draft(MISC_TITLE, leftover, misc=True)
        chapters.append((misc, [misc], ""))
    return Outline(_assemble(ids, chapters), _recorded(p, len(chapters), len(ids), grouping.choice, heading_of))


def _sections(
    table: PhraseTable,
    rows: np.ndarray,
    section_of: np.ndarray,
    heading_of: list[str | None],
    totals: Counter[str],
    p: OrganizeParams,
    chapter_title: str,
    features: np.ndarray,
) -> list[_Draft]:
    """A chapter's sections, titled. A section takes the person's heading where one dominates
    it, else its key phrases; a section that neither describes joins the Miscellany section."""
    keys = sorted(set(section_of[rows].tolist()) - {-1})
    groups = [rows[section_of[rows] == s] for s in keys]
    if len(groups) == 1 and not np.any(section_of[rows] == -1):
        return [_Draft(chapter_title, groups[0])]
    ref = np.arange(table.matrix.shape[0])  # the whole book: a section is named by what sets it apart there
    x = cluster.recentre(features[rows])
    at = {int(r): i for i, r in enumerate(rows)}

    said: list[list[str]] = []  # each group's title phrases, [] where a heading or its members name it

    def titled(groups: list[np.ndarray]) -> list[str]:
        by_heading = [section_heading(heading_of, g, totals, chapter_title) for g in groups]
        by_phrases = title_groups(table, groups, ref, p.title_phrases, p.section_title_share, said)
        said[:] = [[] if h else picked for h, picked in zip(by_heading, said)]
        return _name_coherent(x, rows, groups, [h or t for h, t in zip(by_heading, by_phrases)], table)

    titles = titled(groups)
    settled: set[int] = set()  # untitled groups with no sibling left to join (ids of their first row)
    while p.merge_untitled and len(groups) > 1 and not all(t or int(g[0]) in settled for t, g in zip(titles, groups)):
        # The smallest group no title describes joins the sibling whose centre is nearest,
        # and the two are titled afresh: a section is what its entries say together. A merge
        # never makes a section over 2.5 sections' worth (where _split cuts one again): a
        # group with no such sibling stays untitled, for re-homing or Miscellany.
        g = min((i for i, t in enumerate(titles) if not t and int(groups[i][0]) not in settled),
                key=lambda i: (len(groups[i]), i))
        centres = np.stack([x[[at[int(r)] for r in h]].mean(axis=0) for h in groups])
        near = centres @ centres[g]
        near[g] = -np.inf
        near[[i for i, h in enumerate(groups) if len(h) + len(groups[g]) > 2.5 * p.section_size]] = -np.inf
        if not np.isfinite(near.max()):
            settled.add(int(groups[g][0]))
            continue
        k = int(np.argmax(near))
        groups[k] = np.sort(np.concatenate([groups[k], groups[g]]))
        del groups[g]
        titles = titled(groups)
    extras = [key_phrases(table, g, rows, 3) for g in groups]
    named = [i for i, t in enumerate(titles) if t]
    leftover = np.sort(np.concatenate([rows[section_of[rows] == -1]] + [g for g, t in zip(groups, titles) if not t]))
    homes, leftover = _rehome(x, rows, [groups[i] for i in named], leftover, p.rehome_quantile)
    if p.follow_titles:
        homes = _follow_titles(x, rows, homes, [holders(table, said[i]) for i in named], p)
    drafts = [
        _Draft(t, home) for t, home in zip(disambiguate([titles[i] for i in named], [extras[i] for i in named]), homes)
    ]
    drafts.sort(key=lambda d: (-len(d.rows), d.title))
    if not drafts:  # nothing finer describes it: the chapter is one section, named like the chapter
        return [_Draft(chapter_title, rows)]
    if len(leftover):
        drafts.append(_Draft(MISC_TITLE, leftover, misc=True))
    return drafts


def _name_coherent(
    x: np.ndarray, rows: np.ndarray, groups: list[np.ndarray], titles: list[str], table: PhraseTable
) -> list[str]:
    """Titles, with each untitled group that is as tight as the chapter's titled groups (the
    mean fit of its members at least their median) named after its most central entries
    ("Yoshua Bengio, Geoffrey Hinton, …": people, say, whom no phrase names). Looser untitled
    groups stay untitled: their entries are re-homed or go to Miscellany."""
    at = {int(r): i for i, r in enumerate(rows)}
    fit = [
        float(np.mean(cluster.loo_cosine(x[[at[int(r)] for r in g]], np.zeros(len(g), dtype=int)))) if len(g) > 1 else 0.0
        for g in groups
    ]
    if not fit:
        return titles
    titled = [f for f, t in zip(fit, titles) if t]
    # With no titled sibling to compare with, the bar is the median group of the chapter: the
    # tighter half of a chapter no phrase describes (people, datasets) is named, not lumped.
    bar = float(np.median(titled if titled else fit))
    out = []
    for t, f, g in zip(titles, fit, groups):
        if not t and f >= bar:
            t = central_titles(table.texts, x, np.array([at[int(r)] for r in g]), rows=g)
            if any(len(name.split()) > NAME_WORDS for name in t.removesuffix(", …").split(", ")):
                t = ""  # sentences, not names: no title at all reads better than two of them
        out.append(t)
    return out


def _follow_titles(
    x: np.ndarray, rows: np.ndarray, groups: list[np.ndarray], hold: list[np.ndarray], p: OrganizeParams
) -> list[np.ndarray]:
    """Sections with each entry that says none of its own section's title phrases, and the
    phrases of exactly one sibling's title, moved to that sibling ("how to rebase in git" from
    "Version" to "Git"), when it fits it as well as the sibling's own members at the
    ``rehome_quantile`` of their fit (:func:`_rehome`'s rule). A section keeps at least
    ``min_section`` entries. ``hold[g][r]``: whether book row r says a phrase of group g's title
    (all False for a group titled otherwise)."""
    if len(groups) < 2 or p.rehome_quantile <= 0:
        return groups
    at = {int(r): i for i, r in enumerate(rows)}
    centres, floors = _centres_and_floors(x, at, groups, p.rehome_quantile)
    moves: dict[int, int] = {}
    for g, members in enumerate(groups):
        if not hold[g].any():
            continue
        for r in members:
            if hold[g][r]:
                continue
            saying = [h for h in range(len(groups)) if h != g and hold[h][r]]
            if len(saying) == 1 and float(x[at[int(r)]] @ centres[saying[0]]) >= floors[saying[0]]:
                moves[int(r)] = saying[0]
    # A section that would fall under min_section lets none of its entries go.
    going = {
        int(r) for members in groups if sum(int(r) in moves for r in members) <= len(members) - p.min_section
        for r in members if int(r) in moves
    }
    out = [[r for r in members if int(r) not in going] for members in groups]
    for r in sorted(going):
        out[moves[r]].append(r)
    return [np.sort(np.asarray(g, dtype=rows.dtype)) for g in out]


def _centres_and_floors(
    x: np.ndarray, at: dict[int, int], groups: list[np.ndarray], quantile: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each group's unit centre, and the cosine its own members reach at ``quantile`` of their
    leave-one-out fit (1 for a group of one): how well an entry must fit to join it."""
    centres, floors = [], []
    for g in groups:
        members = x[[at[int(r)] for r in g]]
        total = members.sum(axis=0, dtype=np.float64)
        centres.append(total / max(np.linalg.norm(total), 1e-12))
        floors.append(np.quantile(cluster.loo_cosine(members, np.zeros(len(g), dtype=int)), quantile) if len(g) > 1 else 1.0)
    return np.stack(centres), np.asarray(floors, dtype=np.float64)


def _rehome(
    x: np.ndarray, rows: np.ndarray, groups: list[np.ndarray], leftover: np.ndarray, quantile: float
) -> tuple[list[np.ndarray], np.ndarray]:
    """Entries of ``leftover`` (stragglers, and groups no title describes) moved to the titled
    group of the chapter whose centre they are nearest, when they fit it as well as its own
    members at the ``quantile`` of their fit do; the rest stay left over.

    ``x`` holds the chapter's rows (in the order of ``rows``), centred on the chapter.
    """
    if not groups or not len(leftover) or quantile <= 0:
        return groups, leftover
    at = {int(r): i for i, r in enumerate(rows)}
    centres, floors = _centres_and_floors(x, at, groups, quantile)
    sims = x[[at[int(r)] for r in leftover]] @ centres.T
    best = np.argmax(sims, axis=1)
    fits = sims[np.arange(len(leftover)), best] >= floors[best]
    out = [np.sort(np.concatenate([g, leftover[fits & (best == i)]])) for i, g in enumerate(groups)]
    return out, leftover[~fits]


def _assemble(ids: list[str], chapters: list[tuple[_Draft, list[_Draft], str]]) -> tuple[Chapter, ...]:
    used: set[str] = set()
    out = []
    for chapter, sections, description in chapters:
        chapter_id = _unique(slug(chapter.title), used)
        built = []
        for section in sections:
            base = f"{chapter_id}-{slug(MISC_TITLE)}" if section.misc else slug(section.title)
            built.append(
                Section(
                    id=_unique(base, used),
                    title=section.title,
                    entry_ids=tuple(ids[i] for i in np.sort(section.rows)),
                    misc=section.misc,
                )
            )
        out.append(Chapter(chapter_id, chapter.title, tuple(built), description))
    return tuple(out)


def _across(table: PhraseTable, says: Sequence[str], sections: Sequence[_Draft]) -> bool:
    """True if a chapter name that says ``says`` is broader than any one of the chapter's
    sections: at least ``CHAPTER_MIN_SHARE`` of the entries of two of them say it (or the
    chapter has one section)."""
    titled = [d for d in sections if not d.misc]
    if len(titled) < 2:
        return True
    held = holders(table, says)
    return sum(float(held[d.rows].mean()) >= CHAPTER_MIN_SHARE for d in titled) >= 2


def _lead_pair(titles: Sequence[str]) -> str:
    """A chapter name from its two largest sections' titles: the lead phrase of each ("QA" and
    "Open Information Extraction" from "QA & Reasoning" and "Open Information Extraction &
    Few-Shot"), so that a name holds at most one "&"."""
    leads: list[str] = []
    # Titles made of central entries' names ("Yoshua Bengio, Geoffrey Hinton, …") name a chapter
    # only when no section has a phrase title.
    phrased = [t for t in titles if not t.endswith("…")]
    for title in phrased or titles:
        lead = title.split(" & ")[0].split(" — ")[0].split(": ")[0].strip()
        if lead and lead.casefold() not in {t.casefold() for t in leads}:
            leads.append(lead)
        if len(leads) == 2:
            break
    return " & ".join(leads)


def _describe(topics: Sequence[str], most: int = 4) -> str:
    """A chapter's one-line description from its section titles (or, for a chapter of one
    section, its key phrases): "PostgreSQL, Docker, Redis and Kubernetes, among others." """
    topics = list(dict.fromkeys(t for t in topics if t))[:most]
    if not topics:
        return ""
    listed = topics[0] if len(topics) == 1 else f"{', '.join(topics[:-1])} and {topics[-1]}"
    return f"{listed}{', among others' if len(topics) == most else ''}."


def _unique(base: str, used: set[str]) -> str:
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def _recorded(
    p: OrganizeParams, chapters: int, n: int, choice: str, heading_of: list[str | None]
) -> tuple[tuple[str, str], ...]:
    return (
        ("method", METHOD),
        ("seed", str(p.seed)),
        ("entries", str(n)),
        ("chapters", str(chapters)),
        ("chapter_choice", choice),
        ("topical_headings", str(len({h for h in heading_of if h is not None}))),
        ("heading_weight", str(p.heading_weight)),
        ("min_section", str(p.min_section)),
        ("section_size", str(p.section_size)),
        ("micro_size", str(p.micro_size)),
        ("neighbors", str(_neighbors(n, p.neighbors))),
        ("section_neighbors", str(p.section_neighbors)),
        ("smoothing_steps", str(p.smoothing_steps)),
        ("dims", str(p.dims)),
        ("lexical_weight", str(p.lexical_weight)),
    )
