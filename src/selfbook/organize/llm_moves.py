"""What an LLM may change in the book's structure, and only where the vectors agree
(:mod:`selfbook.organize.llm_titles` asks; this module judges and applies):

- **Misfits.** A section's answer may name entries that do not belong (by their number in the
  prompt; none if it names more than ``MISFIT_SHARE`` of them). One moves only if its cosine to
  the centroid of the nearest other section beats its cosine to its own section's other entries,
  and its section keeps ``MIN_LEFT`` entries.
- **Merges.** A chapter's answer may name pairs of its sections that are one topic (by their
  number in the prompt). A pair is merged only if each section's centroid is the other's nearest
  in the chapter, and the merged section is no looser than the chapter's loosest section (the
  mean cosine of its entries to its centroid, at least that section's): two sections the
  vectors also see as one, that make a section like those the organizer already made. The larger
  section takes in the smaller and keeps its title and id; a section is merged once per build.

Centroids are those of the organizer's sections. Nothing else moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from ..models import Chapter, Outline, Section

__all__ = ["MISFIT_SHARE", "MIN_LEFT", "misfits", "moves", "move", "merge_pairs", "merges", "merge"]

MISFIT_SHARE = 1 / 3
"""At most this share of the entries shown for a section may be named misfits (more: none is)."""
MIN_LEFT = 2
"""A misfit moves only if its section keeps at least this many entries."""

Move = tuple[str, str, str, float, float]  # entry, from section id, to section id, own cosine, target's
Merge = tuple[str, str, float, float, float, str]  # kept id, merged id, cosine, cohesion, floor, refused


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def _centre(ids: Sequence[str], vectors: Mapping[str, np.ndarray]) -> np.ndarray:
    return _unit(np.mean([vectors[e] for e in ids], axis=0))


# -- misfits ---------------------------------------------------------------------------------------


def misfits(data: Mapping, members: Sequence[str]) -> list[str]:
    """The entries an answer names as misfits (by their number in the prompt); none when it names
    more than ``MISFIT_SHARE`` of them, or anything but numbers of the list."""
    numbers = data.get("misfits") if isinstance(data, Mapping) else None
    if not isinstance(numbers, list) or not numbers:
        return []
    if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(members) for n in numbers):
        return []
    chosen = sorted(set(numbers))
    return [members[n - 1] for n in chosen] if len(chosen) <= len(members) * MISFIT_SHARE else []


def moves(
    sections: Sequence[tuple[Chapter, Section]], flagged: Sequence[tuple[str, Section]], vectors: Mapping[str, np.ndarray]
) -> list[Move]:
    """The misfits the vectors agree to move: ``(entry, from section id, to section id, cosine to
    its own section's other entries, cosine to the target's centroid)``, the target being the
    section (not Miscellany) whose centroid is nearest."""
    if not flagged or not all(e in vectors for _, s in sections for e in s.entry_ids):
        return []
    centre = {s.id: _centre(s.entry_ids, vectors) for _, s in sections}
    left = {s.id: len(s.entry_ids) for _, s in sections}
    out = []
    for entry, section in flagged:
        if left[section.id] - 1 < MIN_LEFT:
            continue
        v = _unit(vectors[entry])
        own = float(v @ _centre([e for e in section.entry_ids if e != entry], vectors))
        others = [(float(v @ centre[s.id]), s.id) for _, s in sections if s.id != section.id]
        if not others:
            continue
        there, target = max(others, key=lambda pair: pair[0])  # the first of equals, in book order
        if there > own:
            out.append((entry, section.id, target, round(own, 4), round(there, 4)))
            left[section.id] -= 1
    return out


def move(outline: Outline, chosen: Sequence[Move], order: Sequence[str]) -> Outline:
    """The outline with each move made; a moved entry takes its place in book order."""
    if not chosen:
        return outline
    rank = {e: i for i, e in enumerate(order)}
    leaving = {e for e, *_ in chosen}
    joining: dict[str, list[str]] = {}
    for entry, _, target, *_ in chosen:
        joining.setdefault(target, []).append(entry)

    def moved(section: Section) -> Section:
        kept = [e for e in section.entry_ids if e not in leaving] + joining.get(section.id, [])
        return replace(section, entry_ids=tuple(sorted(kept, key=lambda e: rank.get(e, len(rank)))))

    return replace(outline, chapters=tuple(replace(c, sections=tuple(moved(s) for s in c.sections)) for c in outline.chapters))


# -- merges ----------------------------------------------------------------------------------------


def merge_pairs(data: Mapping, sections: Sequence[Section]) -> list[tuple[Section, Section]]:
    """The pairs of ``sections`` (numbered from 1 in the chapter's prompt) an answer names in
    ``merge``; nothing unless it is a list of pairs of two different numbers of the list."""
    pairs = data.get("merge") if isinstance(data, Mapping) else None
    if not isinstance(pairs, list) or not pairs:
        return []
    number = lambda n: isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(sections)  # noqa: E731
    if not all(isinstance(p, list) and len(p) == 2 and all(number(n) for n in p) and p[0] != p[1] for p in pairs):
        return []
    seen: set[tuple[int, int]] = set()
    out = []
    for a, b in pairs:
        key = (min(a, b), max(a, b))
        if key not in seen:
            seen.add(key)
            out.append((sections[key[0] - 1], sections[key[1] - 1]))
    return out


def _cohesion(ids: Sequence[str], vectors: Mapping[str, np.ndarray]) -> float:
    """The mean cosine of the entries to their centroid."""
    centre = _centre(ids, vectors)
    return float(np.mean([_unit(vectors[e]) @ centre for e in ids]))


def merges(
    proposed: Sequence[tuple[Chapter, Section, Section]], vectors: Mapping[str, np.ndarray]
) -> list[Merge]:
    """Every proposed pair judged (see the module docstring): ``(kept id, merged id, cosine between
    their centroids, cohesion of the merged section, the chapter's floor, why refused or "")``."""
    out: list[Merge] = []
    done: set[str] = set()
    for chapter, a, b in proposed:
        parts = [s for s in chapter.sections if not s.misc]
        if not all(e in vectors for s in parts for e in s.entry_ids):
            continue
        kept, other = (a, b) if (len(a.entry_ids), -parts.index(a)) >= (len(b.entry_ids), -parts.index(b)) else (b, a)
        centre = {s.id: _centre(s.entry_ids, vectors) for s in parts}
        cosine = float(centre[a.id] @ centre[b.id])
        cohesion = _cohesion([*kept.entry_ids, *other.entry_ids], vectors)
        floor = min(_cohesion(s.entry_ids, vectors) for s in parts)
        nearest = lambda s: max((float(centre[s.id] @ centre[t.id]), -i, t.id) for i, t in enumerate(parts) if t.id != s.id)[2]  # noqa: E731
        if nearest(a) != b.id or nearest(b) != a.id:
            why = "the vectors place another section nearer"
        elif cohesion < floor:
            why = "the merged section would be looser than any in its chapter"
        elif a.id in done or b.id in done:
            why = "one of them was already merged"
        else:
            why = ""
            done |= {a.id, b.id}
        out.append((kept.id, other.id, round(cosine, 4), round(cohesion, 4), round(floor, 4), why))
    return out


def merge(outline: Outline, chosen: Sequence[Merge], order: Sequence[str]) -> Outline:
    """The outline with each agreed merge made: the kept section holds both sections' entries, in
    book order, and the other section is gone."""
    agreed = {merged: kept for kept, merged, *_, why in chosen if not why}
    if not agreed:
        return outline
    rank = {e: i for i, e in enumerate(order)}
    joining: dict[str, list[str]] = {}
    for chapter in outline.chapters:
        for section in chapter.sections:
            if section.id in agreed:
                joining.setdefault(agreed[section.id], []).extend(section.entry_ids)

    def merged(section: Section) -> Section:
        ids = sorted([*section.entry_ids, *joining.get(section.id, [])], key=lambda e: rank.get(e, len(rank)))
        return replace(section, entry_ids=tuple(ids))

    chapters = [replace(c, sections=tuple(merged(s) for s in c.sections if s.id not in agreed)) for c in outline.chapters]
    return replace(outline, chapters=tuple(chapters))
