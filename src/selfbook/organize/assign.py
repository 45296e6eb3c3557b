"""Where new entries go in a book that already exists, without moving anything already there.

:func:`plan` decides, for the entries of an installment, in this order:

1. **Vectors.** The direction of the mean of the book's vectors is projected out of every
   vector (the book's and the new ones), which are then renormalized: e5 vectors share one
   large direction that otherwise makes every cosine look alike. (Subtracting the mean would
   do that too, but would also make an entry unlike everything look like every small section.)
2. **Spread of a section.** Each section's centroid is the normalized sum of its members
   (an entry the person moved counts ``anchor_weight`` times). Its *spread* is the
   leave-one-out cosine of each member to the centroid of the others; its threshold τ is the
   ``fit_quantile`` quantile of those (its least typical members), capped at the median τ of
   all sections so that a very tight section does not turn away what plainly belongs to it,
   and raised to what outsiders score: the ``outsider_quantile`` quantile of the cosines of
   the book's other entries to that centroid. Sections of fewer than 3 entries take the
   median. Miscellany sections are never a fit.
3. **The person's moves pull** (a decision used as a signal). A new entry whose nearest entry
   in the book is one the person moved goes to that entry's section, when their cosine is at
   least that section's τ.
4. **A new topic: a group.** The other new entries are clustered (average linkage on cosine,
   cut where a group's mean pairwise cosine falls under ``group_cut`` × the median coherence of
   the book's sections). A member whose nearest entry in the book is closer than its nearest
   fellow member leaves the group. A group becomes a **new section** when it has at least
   ``min_new_section`` entries, fewer than ``join_share`` of them fit one and the same existing
   section (step 5), it is at least as coherent as the book's loosest quarter of sections, and
   it is more similar to itself than to any existing section. It goes to the chapter whose
   centroid is nearest, or becomes a **new chapter** when it has ``min_new_chapter`` entries
   and is further from every chapter than that chapter's own furthest section.
5. **An entry that fits** (cosine to the nearest section centroid ≥ that section's τ) joins
   that section; any other goes to the **Miscellany** of the nearest chapter.

New sections and chapters are titled as the book's own sections are, by the phrases their entries
share and the rest of the book does not (:func:`new_titles`). Everything is deterministic.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import Outline
from ..text.phrases import candidate_phrases, is_title_phrase, surface_forms

__all__ = ["AssignParams", "NewGroup", "Plan", "group_title", "new_titles", "plan"]

TITLE_SAMPLE = 3000  # book texts read to weigh phrases (a deterministic sample of larger books)


@dataclass(frozen=True)
class AssignParams:
    """The rules of :func:`plan` (see the module docstring)."""

    fit_quantile: float = 0.0
    """A new entry fits a section when it is as close to it as the section's members at this
    quantile of their fit are (0: its least typical member). Chosen on the TIL replays
    (``python bench/incremental.py --til --fit Q``, dev data): Miscellany took 16% and 25% of
    the added notes at 0.1, 12% at 0.05 and 7% and 14% at 0; reported on ML Papers of the Week."""
    outsider_quantile: float = 0.9
    anchor_weight: float = 3.0
    group_cut: float = 0.6
    min_new_section: int = 3
    """The fewest new entries that found a new section, whatever the size of the book's sections:
    as few as the organizer keeps in a section (``OrganizeParams.min_section``). It was 5 and also
    half their median size: as adds filled the sections, that floor rose (from 5 to 14 over one
    person's nine yearly adds, whose new topics came 2 to 6 notes a year), so a growing book
    stopped growing sections and its notes went to loose sections and Miscellany. Chosen on the
    TIL replays (``python bench/incremental.py --til --min-new-section N``, dev data): 3 did best
    of 3 to 6 on both people's notes (Miscellany, and AMI and titles against their folders)."""
    join_share: float = 0.8
    """A group at least this share of whose members fit one and the same existing section joins
    it (each member placed as any new entry is) rather than founding a section beside it (0: never).
    With sections of three, a few new recipes made "Recipe with Semolina" beside "Recipes". Chosen on
    the TIL replays (dev) among 0, 0.5 and 0.8 by section AMI plus title score against the folders."""
    min_new_chapter: int = 10
    """The fewest new entries that found a new chapter (when they are also further from every
    chapter than its own furthest section): twice the old section floor of 5, so that a new
    chapter stays what it was when new sections needed 5."""


@dataclass(frozen=True)
class NewGroup:
    """A group of new entries that makes a new section: in ``chapter_id``, or a new chapter."""

    title: str
    entry_ids: tuple[str, ...]
    chapter_id: str | None


@dataclass(frozen=True)
class Plan:
    """Where each new entry goes. Every new id is in exactly one of the four."""

    sections: Mapping[str, str]       # entry id -> existing section id
    pulled: Mapping[str, str]         # entry id -> section id of the moved entry that pulled it
    groups: tuple[NewGroup, ...]
    misc: Mapping[str, str]           # entry id -> chapter id (its Miscellany section)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def _without(rows: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return _unit(rows - np.outer(rows @ direction, direction))


@dataclass(frozen=True)
class _Sections:
    ids: tuple[str, ...]
    chapter_of: tuple[str, ...]
    centroids: np.ndarray        # unit rows
    means: np.ndarray            # plain means of members (for group similarities)
    tau: np.ndarray
    coherence: np.ndarray        # mean pairwise cosine of members


def _leave_one_out(members: np.ndarray, weights: np.ndarray) -> np.ndarray:
    total = (members * weights[:, None]).sum(axis=0)
    rest = total[None, :] - members * weights[:, None]
    return np.einsum("ij,ij->i", members, _unit(rest))


def _coherence(members: np.ndarray) -> float:
    n = len(members)
    if n < 2:
        return 1.0
    total = members.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def _sections(outline: Outline, row: Mapping[str, int], vectors: np.ndarray, anchors: set[str], p: AssignParams) -> _Sections:
    ids, chapters, centroids, means, taus, coherence = [], [], [], [], [], []
    for chapter in outline.chapters:
        for section in chapter.sections:
            members = [e for e in section.entry_ids if e in row]
            if section.misc or not members:
                continue
            m = vectors[[row[e] for e in members]]
            w = np.array([p.anchor_weight if e in anchors else 1.0 for e in members])
            ids.append(section.id)
            chapters.append(chapter.id)
            centroids.append(_unit((m * w[:, None]).sum(axis=0)))
            means.append(m.mean(axis=0))
            taus.append(float(np.quantile(_leave_one_out(m, w), p.fit_quantile)) if len(members) >= 3 else math.nan)
            coherence.append(_coherence(m) if len(members) >= 3 else math.nan)
    tau = np.array(taus, dtype=np.float64)
    known = tau[~np.isnan(tau)]
    cap = float(np.median(known)) if len(known) else 0.0
    tau = np.where(np.isnan(tau), cap, np.minimum(tau, cap))
    dim = vectors.shape[1]
    centroids = np.array(centroids, dtype=np.float32).reshape(-1, dim)
    tau = np.maximum(tau, _outsiders(outline, row, vectors, ids, centroids, p.outsider_quantile))
    return _Sections(
        tuple(ids), tuple(chapters),
        centroids, np.array(means, dtype=np.float32).reshape(-1, dim),
        tau, np.array(coherence, dtype=np.float64),
    )


def _outsiders(outline: Outline, row: Mapping[str, int], vectors: np.ndarray, ids, centroids: np.ndarray, q: float) -> np.ndarray:
    """Per section: the ``q`` quantile of the cosines of entries outside it to its centroid."""
    if not len(ids):
        return np.zeros(0)
    scores = vectors @ centroids.T
    inside = np.zeros(scores.shape, dtype=bool)
    column = {sid: k for k, sid in enumerate(ids)}
    for chapter in outline.chapters:
        for section in chapter.sections:
            if section.id in column:
                inside[[row[e] for e in section.entry_ids if e in row], column[section.id]] = True
    out = np.full(len(ids), -1.0)
    for k in range(len(ids)):
        others = scores[~inside[:, k], k]
        if len(others):
            out[k] = float(np.quantile(others, q))
    return out


def plan(
    outline: Outline,
    book_ids: Sequence[str],
    book_vectors: np.ndarray,
    new_ids: Sequence[str],
    new_texts: Sequence[str],
    new_vectors: np.ndarray,
    *,
    anchors: Sequence[str] = (),
    book_texts: Sequence[str] = (),
    params: AssignParams = AssignParams(),
) -> Plan:
    """Where the new entries go (rules in the module docstring). ``anchors`` are entries the
    person moved; ``book_texts`` (aligned with ``book_ids``) weigh the words of new titles."""
    if not len(new_ids):
        return Plan({}, {}, (), {})
    if not len(book_ids):
        raise ValueError("the book has no entries to place new ones beside")
    p = params
    common = _unit(np.asarray(book_vectors, dtype=np.float32).mean(axis=0))
    book = _without(np.asarray(book_vectors, dtype=np.float32), common)
    new = _without(np.asarray(new_vectors, dtype=np.float32), common)
    row = {e: i for i, e in enumerate(book_ids)}
    sections = _sections(outline, row, book, set(anchors), p)
    section_of = {e: s.id for c in outline.chapters for s in c.sections for e in s.entry_ids}
    chapter_ids, chapter_means = _chapters(outline, row, book)

    pulled = _pulled(book, new, book_ids, new_ids, set(anchors) & set(row), section_of, sections)
    rest = [i for i, e in enumerate(new_ids) if e not in pulled]
    to_section = new[rest] @ sections.centroids.T if len(sections.ids) else np.zeros((len(rest), 0))
    nearest_book = (new[rest] @ book.T).max(axis=1) if rest else np.zeros(0)
    groups, grouped = _groups(new, rest, to_section, nearest_book, sections, chapter_ids, chapter_means, p)
    placed, misc = {}, {}
    for k, i in enumerate(rest):
        if i in grouped:
            continue
        best = int(np.argmax(to_section[k])) if to_section.shape[1] else -1
        if best >= 0 and to_section[k, best] >= sections.tau[best]:
            placed[new_ids[i]] = sections.ids[best]
        else:
            misc[new_ids[i]] = chapter_ids[int(np.argmax(chapter_means @ new[i]))]
    titles = new_titles(outline, book_ids, book_texts, [[new_texts[i] for i in members] for members, _ in groups])
    titled = tuple(
        NewGroup(title, tuple(new_ids[i] for i in members), chapter) for title, (members, chapter) in zip(titles, groups)
    )
    return Plan(placed, pulled, titled, misc)


def _chapters(outline: Outline, row: Mapping[str, int], book: np.ndarray) -> tuple[list[str], np.ndarray]:
    ids, means = [], []
    for chapter in outline.chapters:
        members = [row[e] for e in chapter.entry_ids if e in row]
        if members:
            ids.append(chapter.id)
            means.append(_unit(book[members].mean(axis=0)))
    return ids, np.array(means, dtype=np.float32).reshape(len(ids), book.shape[1])


def _pulled(book, new, book_ids, new_ids, anchors, section_of, sections: _Sections) -> dict[str, str]:
    if not anchors:
        return {}
    tau = dict(zip(sections.ids, sections.tau))
    cap = float(np.median(sections.tau)) if len(sections.tau) else 0.0
    nearest = np.argmax(new @ book.T, axis=1)
    pulled = {}
    for i, j in enumerate(nearest):
        anchor = book_ids[j]
        if anchor in anchors and anchor in section_of and float(new[i] @ book[j]) >= tau.get(section_of[anchor], cap):
            pulled[new_ids[i]] = section_of[anchor]
    return pulled


def _groups(new, rest, to_section, nearest_book, sections: _Sections, chapter_ids, chapter_means, p: AssignParams):
    """New-topic groups among ``rest`` (rows of ``new``): [(rows, chapter id or None)], rows used."""
    known = sections.coherence[~np.isnan(sections.coherence)]
    if len(rest) < p.min_new_section or not len(known):
        return [], set()
    min_size = p.min_new_section
    floor = float(np.quantile(known, 0.25))
    cut = p.group_cut * float(np.median(known))
    x = new[rest]
    from scipy.cluster.hierarchy import fcluster, linkage  # deferred: ~0.3 s that only an add with new topics pays

    labels = fcluster(linkage(x.astype(np.float64), method="average", metric="cosine"), t=1.0 - cut, criterion="distance")
    found, used = [], set()
    for label in sorted(set(labels.tolist()), key=lambda l: int(np.flatnonzero(labels == l)[0])):
        local = np.flatnonzero(labels == label)
        if len(local) < min_size:
            continue
        local = _keep_members(x, local, nearest_book)
        members = x[local]
        if len(local) < min_size or _coherence(members) < floor:
            continue
        mean = members.mean(axis=0)
        if len(sections.means) and float((sections.means @ mean).max()) >= _coherence(members):
            continue
        if _fits_one_section(to_section[local], sections.tau, p.join_share):
            continue
        rows = [rest[k] for k in local]
        found.append((rows, _chapter_for(mean, len(rows), p.min_new_chapter, sections, chapter_ids, chapter_means)))
        used.update(rows)
    return found, used


def _fits_one_section(to_section: np.ndarray, tau: np.ndarray, share: float) -> bool:
    """True when at least ``share`` of a group's members fit one and the same existing section
    (their cosine to its centroid reaches its τ, and it is their nearest): the group is more of
    that section, not a topic the book lacks."""
    if share <= 0 or not to_section.shape[1]:
        return False
    best = np.argmax(to_section, axis=1)
    fit = to_section[np.arange(len(best)), best] >= tau[best]
    return bool(fit.any()) and int(np.bincount(best[fit]).max()) >= share * len(best)


def _keep_members(x: np.ndarray, local: np.ndarray, nearest_book: np.ndarray) -> np.ndarray:
    """Members of a group whose nearest fellow member is at least as close as their nearest
    entry in the book: the others belong with what the book already holds."""
    sims = x[local] @ x[local].T
    np.fill_diagonal(sims, -np.inf)
    return local[sims.max(axis=1) >= nearest_book[local]]


def _chapter_for(mean, size, chapter_size, sections: _Sections, chapter_ids, chapter_means) -> str | None:
    """The nearest chapter, or None (a new chapter) for a big group further from every chapter
    than that chapter's furthest section is."""
    unit = _unit(mean)
    closeness = chapter_means @ unit
    if size >= chapter_size:
        floors = []
        for cid, centre in zip(chapter_ids, chapter_means):
            own = [k for k, c in enumerate(sections.chapter_of) if c == cid]
            floors.append(min((float(_unit(sections.means[k]) @ centre) for k in own), default=-1.0))
        if np.all(closeness < np.array(floors)):
            return None
    return chapter_ids[int(np.argmax(closeness))]


# -- titles ---------------------------------------------------------------------------------------


def new_titles(outline: Outline, book_ids: Sequence[str], book_texts: Sequence[str], groups: Sequence[Sequence[str]]) -> list[str]:
    """Titles for groups of new entries (their texts), made as the book's own sections' titles
    are (:func:`selfbook.organize.title.title_groups`, with the published vocabularies): each
    group against the book with it, beside the book's sections ("Soil", where the old rule said
    "Soil & Bengaluru"). A group no such phrase describes, or whose title a section of the book
    already has, falls back to :func:`group_title`. Above ``TITLE_SAMPLE`` book texts, a
    deterministic sample of them."""
    if not groups:
        return []
    if len(book_texts) != len(book_ids):
        return [group_title(texts, book_texts) for texts in groups]
    from .params import OrganizeParams  # deferred: titling loads the vocabularies, only an add with new topics pays
    from .title import PhraseTable, title_groups
    from .vocab import labels

    step = max(1, math.ceil(len(book_ids) / TITLE_SAMPLE))
    sample = range(0, len(book_ids), step)
    row = {book_ids[i]: k for k, i in enumerate(sample)}
    texts = [book_texts[i] for i in sample]
    sections = [
        np.array([row[e] for e in section.entry_ids if e in row], dtype=np.int64)
        for chapter in outline.chapters for section in chapter.sections if not section.misc
    ]
    sections = [rows for rows in sections if len(rows)]
    new_rows = []
    for group in groups:
        new_rows.append(np.arange(len(texts), len(texts) + len(group)))
        texts.extend(group)
    p = OrganizeParams()
    table = PhraseTable.build(texts, labels(), p.plural_share)
    found = title_groups(table, sections + new_rows, np.arange(len(texts)), p.title_phrases, p.section_title_share)
    taken = {section.title.casefold() for chapter in outline.chapters for section in chapter.sections}
    return [
        title if title and title.casefold() not in taken else group_title(group, book_texts)
        for title, group in zip(found[len(sections):], groups)
    ]


def group_title(texts: Sequence[str], book_texts: Sequence[str], phrases: int = 2) -> str:
    """A title for new entries: the phrases most of them share and the book mostly lacks,
    joined by " & " ("Compost & Garden Soil"); the shortest text's first words when none do."""
    held = Counter(p for t in texts for p in set(candidate_phrases(t)) if is_title_phrase(p))
    sample = book_texts if len(book_texts) <= TITLE_SAMPLE else book_texts[:: math.ceil(len(book_texts) / TITLE_SAMPLE)]
    wanted = {p for p, n in held.items() if n >= 2}
    in_book = Counter(p for t in sample for p in set(candidate_phrases(t)) if p in wanted)
    n = len(sample) + len(texts)

    def score(phrase: str) -> float:
        return held[phrase] * math.log((n + 1) / (in_book[phrase] + held[phrase] + 1)) * (1 + 0.2 * (len(phrase.split()) - 1))

    chosen: list[str] = []
    for phrase in sorted(wanted, key=lambda q: (-score(q), q)):
        if score(phrase) <= 0 or any(phrase in c or c in phrase for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == phrases:
            break
    if not chosen:
        first = min(texts, key=lambda t: (len(t), t)).split("\n")[0]
        return " ".join(first.split()[:6]) or "New entries"
    forms = surface_forms(texts, chosen)
    return " & ".join(_capital(forms[c]) for c in chosen)


def _capital(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:] if phrase[:1].islower() else phrase

