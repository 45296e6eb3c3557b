"""Search filters, and the one mask of entry positions that both retrievers obey.

How each filter matches (all case-insensitive; several filters must all hold):

- ``chapter``: a chapter whose id is the value, or whose title is it; failing that, every chapter
  whose title holds the value's words in a row ("learning" matches "Machine Learning & AI",
  "ai" does not match "Sustainable farming"). No chapter matching is an error that lists them.
- ``section``: the same, over sections (of the matched chapters when ``chapter`` is given).
- ``kind``: one of :data:`selfbook.models.KINDS`.
- ``since`` / ``until``: entries whose date range overlaps ``[since, until]``; undated entries are
  left out whenever either is given.
- ``source``: entries with a saved copy from that file: its path as the book recorded it, or a
  trailing part of it (``self.md`` matches ``notes/self.md``).
- ``tags``: entries carrying every one of these tags (``llm`` or ``#llm``; case-insensitive). A
  tag no entry carries is an error that lists the book's tags.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import QueryError
from ..models import KINDS, Outline
from .resolve import named
from ..store.base import SearchRows


@dataclass(frozen=True)
class SearchFilters:
    chapter: str | None = None
    section: str | None = None
    kind: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        filters = (self.chapter, self.section, self.kind, self.since, self.until, self.source)
        return any(v is not None for v in filters) or bool(self.tags)


_PERIOD = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` → its first and last day."""
    match = _PERIOD.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError
        year, month, day = (int(g) if g else None for g in match.groups())
        if day is not None:
            first = last = dt.date(year, month, day)
        elif month is not None:
            first = dt.date(year, month, 1)
            last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        else:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    except (ValueError, OverflowError):
        raise QueryError(f"{text!r} is not a date — write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024-06") from None
    return first, last


def _matching(value: str, items: Iterable[tuple[str, str]], what: str) -> set[str]:
    """Ids of the (id, title) items that ``value`` names (:func:`selfbook.search.resolve.named`)."""
    items = list(items)
    found = set(named(items, value))
    if not found:
        known = "; ".join(sorted({title for _, title in items}))[:400]
        raise QueryError(f"no {what} matches {value!r} — the book's {what}s: {known}")
    return found


def _tag_key(tag: str) -> str:
    return tag.strip().lstrip("#").casefold()


def _tagged(tags: Iterable[str], tag_positions: Mapping[str, Sequence[int]], size: int) -> np.ndarray:
    """A mask of the entries that carry every tag of ``tags``."""
    by_key: dict[str, set[int]] = {}
    for tag, positions in tag_positions.items():
        by_key.setdefault(_tag_key(tag), set()).update(positions)
    mask = np.ones(size, dtype=bool)
    for tag in tags:
        key = _tag_key(tag)
        if not key:
            raise QueryError("an empty tag — give a tag such as llm or #llm")
        if key not in by_key:
            known = " ".join(f"#{t}" for t in sorted(by_key))[:400] or "none"
            raise QueryError(f"no entry is tagged {tag!r} — the book's tags: {known}")
        hits = np.zeros(size, dtype=bool)
        hits[sorted(p for p in by_key[key] if 0 <= p < size)] = True
        mask &= hits
    return mask


def filter_mask(
    filters: SearchFilters | None,
    rows: SearchRows,
    outline: Outline,
    from_source: Callable[[str], np.ndarray],
    tag_positions: Callable[[], Mapping[str, Sequence[int]]],
) -> np.ndarray | None:
    """A boolean mask over entry positions, or None when no filter is set.
    ``from_source(path)`` gives the positions of entries with a copy from that file;
    ``tag_positions()`` the positions of the entries carrying each tag."""
    if not filters:
        return None
    mask = np.ones(len(rows), dtype=bool)
    chapters = outline.chapters
    if filters.chapter is not None:
        keep = _matching(filters.chapter, ((c.id, c.title) for c in chapters), "chapter")
        chapters = tuple(c for c in chapters if c.id in keep)
    sections = [s for c in chapters for s in c.sections]
    if filters.section is not None:
        keep = _matching(filters.section, ((s.id, s.title) for s in sections), "section")
        sections = [s for s in sections if s.id in keep]
    if filters.chapter is not None or filters.section is not None:
        code = {sid: i for i, sid in enumerate(rows.sections)}
        mask &= np.isin(rows.section, [code[s.id] for s in sections if s.id in code])
    if filters.kind is not None:
        kind = filters.kind.strip().casefold()
        if kind not in KINDS:
            raise QueryError(f"unknown kind {filters.kind!r} — one of: {', '.join(KINDS)}")
        mask &= rows.kind == (rows.kinds.index(kind) if kind in rows.kinds else -1)
    if filters.since is not None or filters.until is not None:
        if filters.since and filters.until and filters.since > filters.until:
            raise QueryError(f"--since {filters.since} is after --until {filters.until} — swap them")
        dated = rows.date_start > 0
        mask &= dated
        if filters.since is not None:
            mask &= rows.date_end >= filters.since.toordinal()
        if filters.until is not None:
            mask &= rows.date_start <= filters.until.toordinal()
    if filters.source is not None:
        source = os.path.normpath(filters.source.strip())
        hits = np.zeros(len(rows), dtype=bool)
        hits[from_source(source)] = True
        mask &= hits
    if filters.tags:
        mask &= _tagged(filters.tags, tag_positions(), len(rows))
    return mask
