"""The organizer's entry point and its titles: :func:`organize` groups the entries
(:mod:`selfbook.organize.grouping`, steps 1-5 of the method in :mod:`selfbook.organize`), then
names chapters and sections and makes the :class:`~selfbook.models.Outline` (step 6)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from selfbook.models import KIND_PLURALS, Chapter, Outline, Section
from selfbook.organize import cluster
from selfbook.organize.domains import chapter_titles
from selfbook.organize.grouping import Grouping, group, neighbor_count
from selfbook.organize.headings import chapter_heading, entry_headings, section_heading
from selfbook.organize.params import OrganizeParams
from selfbook.organize.vocab import labels
from selfbook.organize.title import (
    PhraseTable,
    central_titles,
    disambiguate,
    key_phrases,
    holders,
    title_groups,
)
from selfbook.text.phrases import is_hostlike
from selfbook.text import slug

__all__ = ["organize", "MISC_TITLE"]

MISC_TITLE = "Miscellany"
METHOD = "headings+knn-smooth+ward+silhouette-k+vocab-titles"
# A group no phrase describes is named after its central entries only when their titles are
# names (this many words or fewer: "Yoshua Bengio", "Quanta Magazine"), not sentences.
NAME_WORDS = 3
# Chapters are titled by phrases that at least this share of their entries hold.
CHAPTER_MIN_SHARE = 0.1


def organize(
    ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    params: OrganizeParams = OrganizeParams(),
    headings: Sequence[Sequence[str]] | None = None,
    kinds: Sequence[str] | None = None,
) -> Outline:
    """Organize entries into an :class:`Outline` of chapters and sections.

    ``texts[i]`` is entry i's title and note; ``vectors[i]`` its L2-normalized embedding.
    ``headings[i]``, if given, is the path of headings above entry i in its dump (outermost
    first): topical ones pull their entries together and may title sections
    (:mod:`selfbook.organize.headings`). ``kinds[i]``, if given, is entry i's kind ("paper",
    "note"…): a chapter's blurb says what kinds of things it holds. Every id appears exactly
    once in the result.
    """
    if not (len(ids) == len(texts) == len(vectors)):
        raise ValueError(f"ids, texts and vectors differ in length: {len(ids)}, {len(texts)}, {len(vectors)}")
    if kinds is not None and len(kinds) != len(ids):
        raise ValueError(f"kinds and ids differ in length: {len(kinds)}, {len(ids)}")
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
        grouping = group(texts, vectors, heading_of, p)
    return _outline(list(ids), list(texts), vectors, table, grouping, heading_of, p, kinds)


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
    grouping: Grouping,
    heading_of: list[str | None],
    p: OrganizeParams,
    kinds: Sequence[str] | None = None,
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

    book_kinds = _kind_names(kinds or ()) if len(chapter_rows) > 1 else []  # one chapter repeats nothing
    chapters: list[tuple[_Draft, list[_Draft], str]] = []
    for title, rows, heading, says in zip(titles, chapter_rows, by_heading, said):
        sections = _sections(table, rows, section_of, heading_of, totals, p, title, grouping.features)
        named = [d.title for d in sections if not d.misc]
        if title and not heading and not _across(table, says, sections):
            title = ""  # a smaller section's name ("Redis" over SSH and Redis) is not the chapter's
        if not title:  # no name fits the whole chapter: the person's heading or its two largest sections do
            title = chapter_heading(heading_of, rows, totals, p.min_chapter) or _lead_pair(named) or central_titles(texts, vectors, rows)
            if len(sections) == 1 and not sections[0].misc:
                sections = [_Draft(title, sections[0].rows)]
        others = [t for t in named if t.casefold() != title.casefold()]
        more = [t for t in extras[len(chapters)] if t.casefold() != title.casefold()]
        held = [kinds[i] for i in rows] if kinds is not None else []
        chapters.append((_Draft(title, rows), sections, _describe(others or more, held, book_kinds)))
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
            if any(len(name.split()) > NAME_WORDS or _is_address(name) for name in t.removesuffix(", …").split(", ")):
                t = ""  # sentences or addresses, not names: no title at all reads better than two of them
        out.append(t)
    return out


def _is_address(name: str) -> bool:
    """True for a first line that is a web address, not a name ("cs.washington.edu/research/ai")."""
    return "/" in name or any(is_hostlike(word) for word in name.split())


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
    """True if a chapter name that says ``says`` may name the chapter: at least
    ``CHAPTER_MIN_SHARE`` of the entries of two of its sections say it (it is broader than
    either), or of its largest section (the topic of most of its entries; "Transformers" over
    "Attention & Transformers" and "Experts"), or the chapter has one section. The name of a
    smaller section alone ("Redis" over SSH and Redis) is not the chapter's."""
    titled = sorted((d for d in sections if not d.misc), key=lambda d: -len(d.rows))
    if len(titled) < 2:
        return True
    held = holders(table, says)
    said = [float(held[d.rows].mean()) >= CHAPTER_MIN_SHARE for d in titled]
    return said[0] or sum(said) >= 2


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


# What a blurb calls the entries of each kind: their plurals, a repository's written out.
_KIND_NAMES = {**KIND_PLURALS, "repo": "repositories"}
KIND_SHARE = 0.1
"""A kind a blurb names: at least this share of the chapter's entries (a tenth, not tuned)."""


def _describe(topics: Sequence[str], kinds: Sequence[str] = (), book_kinds: Sequence[str] = (), most: int = 4) -> str:
    """A chapter's blurb, as a person heads a chapter of their notes: the kinds of things it holds,
    most first, and what they are about, from its section titles (or, for a chapter of one
    section, its key phrases): "Papers, repositories and notes on LoRA, Claude and Karpathy."
    Without kinds: "On PostgreSQL, Docker, Redis and Kubernetes." A kind under ``KIND_SHARE`` of
    the entries is not named, nor more than ``most`` topics (the section list follows the blurb),
    nor a title made of central entries' names ("Yoshua Bengio, Geoffrey Hinton, …").

    ``book_kinds`` are the kinds the whole book would name (:func:`_kind_names`): a chapter that
    holds the same mix names none, so a book of papers does not open every chapter with
    "Papers on …", while its one chapter of papers and repositories says so."""
    topics = list(dict.fromkeys(t for t in topics if t and not t.endswith("…")))[:most]
    named = _kind_names(kinds)
    if named == list(book_kinds):
        named = []
    if not topics:
        return f"{_listed(named).capitalize()}." if named else ""
    about = _listed(topics)
    return f"{_listed(named).capitalize()} on {about}." if named else f"On {about}."


def _kind_names(kinds: Sequence[str]) -> list[str]:
    """The plural names of the kinds in ``kinds`` that hold at least ``KIND_SHARE`` of them, the
    most common first: ``["papers", "notes"]``."""
    counts = Counter(k for k in kinds if k in _KIND_NAMES)
    return [_KIND_NAMES[k] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= KIND_SHARE * len(kinds)]


def _listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


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
        ("neighbors", str(neighbor_count(n, p.neighbors))),
        ("section_neighbors", str(p.section_neighbors)),
        ("smoothing_steps", str(p.smoothing_steps)),
        ("dims", str(p.dims)),
        ("lexical_weight", str(p.lexical_weight)),
    )
