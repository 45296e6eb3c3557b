"""Writing the book: markdown chapters, the table of contents, the back-of-book index, safely.

A book is a folder a person reads in any markdown viewer (GitHub, Obsidian, VS Code)::

    README.md          title, provenance, table of contents (chapters and sections, with counts)
    01-<slug>.md …     one file per chapter: YAML front matter, sections, entries
    INDEX.md           terms, people & handles, papers, repositories — A–Z
    REVIEW.md          look-alikes not merged, merges with their reasons, an LLM's titles (only when any)
    map.png, map.html  the topic map: every entry as a point, placed by meaning (:mod:`selfbook.book.topicmap`)

:func:`render_book` turns an outline into those files' text (pure and byte-deterministic);
:mod:`selfbook.book.write` puts them on disk so that a crash leaves the book before or after,
never between. The layers: ``markdown`` (escaping, links, anchors) ← ``entry`` (how an entry is
laid out) ← ``review`` (REVIEW.md) ← ``render`` (chapters, the README) ← ``index`` (INDEX.md, from
the phrase counts of ``index_terms``, which the store keeps) ← here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from selfbook.book.index import render_index
from selfbook.book.index_terms import Candidate
from selfbook.book.render import (
    BookMeta,
    chapter_filename,
    entry_anchor,
    escape_markdown,
    render_chapter,
    render_readme,
    section_anchor,
)
from selfbook.book.review import render_review
from selfbook.book.write import Staged, WriteResult, discard, recover, stage
from selfbook.models import Entry, Flag, Installment, LLMTitles, Merge, Outline

__all__ = [
    "BookMeta",
    "Staged",
    "WriteResult",
    "chapter_filename",
    "discard",
    "entry_anchor",
    "escape_markdown",
    "recover",
    "render_book",
    "render_index",
    "section_anchor",
    "stage",
]


def render_book(
    outline: Outline,
    entries: Mapping[str, Entry],
    meta: BookMeta,
    *,
    merges: Sequence[Merge] = (),
    flags: Sequence[Flag] = (),
    installments: Sequence[Installment] = (),
    terms: Iterable[Candidate] | None = None,
    dead: Sequence[tuple[str, str, str]] = (),
    titles: LLMTitles | None = None,
) -> dict[str, str]:
    """Every file of the book: relative path → text, sorted by path.

    Chapters are numbered from 1 in outline order. Every entry the outline names must be in
    ``entries`` (``ValueError`` otherwise); entries the outline does not place are left out.
    Entries an installment brought are shown in its dated block at the end of their chapter,
    not in their section (as in the reference chapter); they stay placed in their section.
    ``terms``: the index's candidates when the caller counted them (:mod:`selfbook.book.index_terms`).
    ``dead``: ``(entry id, url, status)`` of the links ``selfbook fetch`` found dead, for REVIEW.md.
    ``titles``: the title choices an LLM made, listed in REVIEW.md.
    """
    ids = [c.id for c in outline.chapters]
    if len(set(ids)) != len(ids):
        raise ValueError(f"chapter ids repeat in the outline: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    names = [chapter_filename(i, c) for i, c in enumerate(outline.chapters, 1)]
    files = {name: render_chapter(i, outline, entries, meta, names, installments) for i, name in enumerate(names, 1)}
    files["README.md"] = render_readme(
        outline, meta, names, merges=merges, flags=flags, entries=entries, dead=dead, titles=titles,
        installments=installments,
    )
    files["INDEX.md"] = render_index(outline, entries, dict(zip(ids, names)), terms)
    review = render_review(
        outline, entries, names, merges=merges, flags=flags, dead=dead, titles=titles, installments=installments
    )
    if review is not None:
        files["REVIEW.md"] = review
    return dict(sorted(files.items()))
