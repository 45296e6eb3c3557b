"""The person's own headings: which of them name a topic, and what they are used for.

A dump's headings are of two kinds. Some name a topic ("Health", "Kitchen notebook", "Trips:
Hampi, Belur, Halebidu", "ಕನ್ನಡ"); others say when or how things were saved ("2023",
"March 2024", "Pocket export — June 2024", "X bookmarks", "From self-1.md (Oct 2024 – Feb
2026)", "unsorted"). A heading is **topical** when, with any parenthetical remark taken out,

- it holds a word that is neither a stopword, a generic word nor a date word;
- it holds no date (a month or weekday name, a year from 1900 to 2099 or a quarter or half of
  one such as "2023Q1", a numeric date);
- it holds no file name (``self-1.md``, ``notes.txt``);
- it holds none of :data:`NOISE` ("unsorted", "bookmarks", "export", "inbox", "stuff"…);
- it is above at most half of the entries (a heading over everything is the dump's title).

An entry's topical heading is the last (most specific) topical heading of its path. Topical
headings are used twice:

1. **Grouping.** Entries under one topical heading are pulled toward their group's mean before
   clustering (:func:`pull`), so that a short entry ("Idli", "jq") lands with its neighbours in
   the person's notebook rather than with other short entries.
2. **Titles.** A section whose entries mostly share a topical heading, and which holds most of
   that heading's entries, takes the heading as its title (:func:`section_heading`). A chapter
   does too; and where no name fits the whole chapter, the heading that most of its filed
   entries share names it (:func:`chapter_heading`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import regex

from selfbook.text.phrases import DATE_WORDS, GENERIC_WORDS, STOPWORDS
from selfbook.text import words

__all__ = ["NOISE", "is_topical", "entry_headings", "pull", "section_heading", "chapter_heading"]

NOISE = frozenset(
    """
    unsorted unfiled uncategorized uncategorised misc miscellaneous bookmarks bookmark export
    exports exported import imported inbox todo to-do later stuff random various saved untitled
    archive archived dump backup draft drafts scratch
    """.split()
)
# A section takes a heading as its title when at least this share of its entries has it...
TITLE_SHARE = 0.6
# ...and it holds at least this share of the heading's entries.
TITLE_COVER = 0.5
# Headings above more than this share of all entries are the dump's title, not a topic.
MAX_HEADING_SHARE = 0.5

_PARENTHETICAL = regex.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# A year, a decade, or a part of a year written on it: "2023", "2020s", "2023Q1", "2024-H1", "FY2024".
_YEAR = regex.compile(r"^(?:fy)?(?:19|20)\d\d(?:s|-?(?:q[1-4]|h[12]))?$")
_NUMERIC_DATE = regex.compile(r"\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?")
_FILE = regex.compile(r"\.(?:md|markdown|txt|html?|csv|json|ya?ml|org|pdf|docx?|xlsx?)\b", regex.IGNORECASE)


def is_topical(heading: str) -> bool:
    """True if ``heading`` names a topic rather than a date, a source or a catch-all."""
    text = _PARENTHETICAL.sub(" ", heading)
    if _FILE.search(heading) or _NUMERIC_DATE.search(text):
        return False
    folded = [w.casefold() for w in words(text)]
    if any(w in DATE_WORDS or w in NOISE or _YEAR.match(w) for w in folded):
        return False
    return any(w not in STOPWORDS and w not in GENERIC_WORDS and any(c.isalpha() for c in w) for w in folded)


def entry_headings(headings: Sequence[Sequence[str]] | None, n: int) -> list[str | None]:
    """Each entry's topical heading (its last topical one), or None."""
    if headings is None:
        return [None] * n
    if len(headings) != n:
        raise ValueError(f"headings and ids differ in length: {len(headings)}, {n}")
    above = Counter(h for path in headings for h in set(path))
    common = {h for h, count in above.items() if count > MAX_HEADING_SHARE * n}
    topical = {h: is_topical(h) and h not in common for h in above}
    out: list[str | None] = []
    for path in headings:
        chosen = [h for h in path if topical[h]]
        out.append(chosen[-1] if chosen else None)
    return out


def pull(x: np.ndarray, heading_of: Sequence[str | None], weight: float) -> np.ndarray:
    """Rows moved toward the mean of their heading's group: ``x + weight · unit(mean)``, renormalized.

    Groups of one entry, and entries without a topical heading, stay where they are.
    """
    if weight <= 0:
        return x
    groups: dict[str, list[int]] = {}
    for i, h in enumerate(heading_of):
        if h is not None:
            groups.setdefault(h, []).append(i)
    out = x.astype(np.float32).copy()
    for h in sorted(groups):
        rows = np.asarray(groups[h])
        if len(rows) < 2:
            continue
        mean = x[rows].mean(axis=0, dtype=np.float64)
        norm = np.linalg.norm(mean)
        if norm > 0:
            out[rows] += (weight * mean / norm).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (out / norms).astype(np.float32)


def section_heading(
    heading_of: Sequence[str | None], rows: np.ndarray, totals: Counter[str], chapter_title: str = ""
) -> str | None:
    """The topical heading that titles a section of ``rows``, if one dominates it: at least
    ``TITLE_SHARE`` of the section's entries have it, and the section holds at least
    ``TITLE_COVER`` of its entries in the book (``totals`` counts them). A heading that only
    repeats the chapter's title ("Health" in "Health & Fitness") is not used.
    """
    held = Counter(heading_of[i] for i in rows if heading_of[i] is not None)
    if not held:
        return None
    heading, count = min(held.items(), key=lambda kv: (-kv[1], kv[0]))
    if count < TITLE_SHARE * len(rows) or count < TITLE_COVER * totals[heading]:
        return None
    said = {w.casefold() for w in words(chapter_title)}
    own = {w.casefold() for w in words(heading)} - STOPWORDS
    return None if own <= said else heading


def chapter_heading(heading_of: Sequence[str | None], rows: np.ndarray, totals: Counter[str], least: int) -> str | None:
    """The topical heading that names a chapter of ``rows`` that no name fits as a whole: as for
    a section (:func:`section_heading`), but only the entries filed under a topical heading
    vote, and the heading must hold at least ``least`` of them. Such a chapter also gathers
    entries from the dated and untitled parts of a dump ("X bookmarks", "March 2024"), which
    say nothing of its name; the person's heading over the rest ("Software, tools" over SQLite
    and the terminal) is the name they chose for the domain."""
    headed = [i for i in rows if heading_of[i] is not None]
    if not headed:
        return None
    name = section_heading(heading_of, np.asarray(headed), totals)
    return name if name and sum(heading_of[i] == name for i in headed) >= least else None
