"""Markdown pages of the book: chapters (with their installments' blocks) and the README with its
table of contents.

Everything here is a pure function of its arguments: no clock, no file system, no dict-order
surprises. The same outline and entries give byte-identical text, with ``\\n`` line endings and
exactly one trailing newline per file.

How an entry is laid out is :mod:`selfbook.book.entry`'s; the review page (merges, look-alikes,
weak titles, dead links, an LLM's titles) is :mod:`selfbook.book.review`'s; escaping, links,
anchors and file names are :mod:`selfbook.book.markdown`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from selfbook.book.entry import filed_under, render_entry, render_installment_entry
from selfbook.book.markdown import (
    chapter_filename, count_label, destination, entry_anchor, escape_markdown, link, page, section_anchor, short_title,
)
from selfbook.book.review import grown_chapters, render_review, review_summary, weak_titles
from selfbook.models import Chapter, Entry, Flag, Installment, LLMTitles, Merge, Outline, Section

__all__ = [
    "BookMeta",
    "chapter_filename",
    "entry_anchor",
    "section_anchor",
    "escape_markdown",
    "short_title",
    "link",
    "count_label",
    "filed_under",
    "render_entry",
    "render_installment_entry",
    "render_chapter",
    "render_readme",
    "render_review",
    "weak_titles",
]


@dataclass(frozen=True)
class BookMeta:
    """What a book says about itself: its title, when it was first made, and from which dumps.

    ``created`` is an ISO date chosen by the caller (rendering never reads the clock);
    ``sources`` are dump paths relative to the book folder, such as ``("../self.md",)``.
    """

    title: str = "Notes"
    created: str = ""
    sources: tuple[str, ...] = ()


def _source_links(sources: Sequence[str]) -> str:
    parts = []
    for path in (p.replace("\\", "/") for p in sources):  # a Windows relpath links the same way
        name = PurePosixPath(path).name or path
        label = f"`{name}`" if "`" not in name else escape_markdown(name)
        parts.append(f"[{label}]({destination(path)})")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _provenance(meta: BookMeta, extra: str = "") -> str:
    bits = []
    if meta.sources:
        bits.append(f"Derived from {_source_links(meta.sources)}")
    if extra:
        bits.append(extra)
    if meta.created:
        bits.append(f"Created: {escape_markdown(meta.created)}")
    return "> " + " · ".join(bits) if bits else ""


def _front_matter(fields: Mapping[str, object]) -> str:
    body = yaml.safe_dump(
        dict(fields), sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
    )
    return f"---\n{body}---"


def _created_value(created: str) -> object:
    """A date object when ``created`` is an ISO date, so YAML writes it bare, as the reference does."""
    try:
        return dt.date.fromisoformat(created)
    except ValueError:
        return created


# -- chapters ------------------------------------------------------------------------------------


def _section_entries(section: Section, entries: Mapping[str, Entry]) -> list[Entry]:
    missing = [e for e in section.entry_ids if e not in entries]
    if missing:
        raise ValueError(f"section {section.id!r} names entries that were not given: {missing[:5]}")
    return [entries[e] for e in section.entry_ids]


def _heading(level: int, text: str) -> str:
    return "#" * level + " " + (escape_markdown(text) or "Untitled")


def _nav(index: int, outline: Outline, filenames: Sequence[str]) -> str:
    bits = []
    if index > 1:
        bits.append("← " + link(short_title(outline.chapters[index - 2].title), filenames[index - 2]))
    bits.append("[Contents](README.md)")
    bits.append("[Index](INDEX.md)")
    if index < len(outline.chapters):
        bits.append(link(short_title(outline.chapters[index].title), filenames[index]) + " →")
    return " · ".join(bits)


def render_chapter(
    index: int,
    outline: Outline,
    entries: Mapping[str, Entry],
    meta: BookMeta,
    filenames: Sequence[str],
    installments: Sequence[Installment] = (),
) -> str:
    """The chapter numbered ``index`` (1-based): front matter, title, provenance, description,
    its sections listed with counts, then each section with its entries, then a block for each
    installment that reached the chapter (see :func:`render_installments`), then links to the
    neighbouring chapters. ``filenames`` are every chapter's file name, in outline order."""
    chapter = outline.chapters[index - 1]
    front: dict[str, object] = {"title": " ".join(chapter.title.split())}
    if meta.created:
        front["created"] = _created_value(meta.created)
    if len(meta.sources) == 1:
        front["source"] = meta.sources[0]
    elif meta.sources:
        front["source"] = list(meta.sources)
    front["entries"] = len(chapter.entry_ids)
    front["sections"] = len(chapter.sections)
    blocks = [_front_matter(front), _heading(1, chapter.title), _provenance(meta)]
    if chapter.description.strip():
        blocks.append(escape_markdown(chapter.description))
    if chapter.sections:
        blocks.append(
            "\n".join(
                f"- {link(s.title or 'Untitled', '#' + section_anchor(s.id))} · {len(s.entry_ids)}"
                for s in chapter.sections
            )
        )
        blocks.append("---")
    later = {e for inst in installments for e in inst.entry_ids}
    headed: set[str] = set()
    for section in chapter.sections:
        own = [e for e in _section_entries(section, entries) if e.id not in later]
        if not own and section.entry_ids:  # only installment entries: titled in their block
            continue
        headed.add(section.id)
        blocks.append(f'<a id="{section_anchor(section.id)}"></a>\n' + _heading(2, section.title))
        if section.description.strip():
            blocks.append(f"*{escape_markdown(section.description.strip())}*")
        blocks.extend(render_entry(e, (chapter.title, section.title)) for e in own)
    blocks.extend(render_installments(chapter, entries, installments, headed))
    blocks.append("---")
    blocks.append(_nav(index, outline, filenames))
    return page(blocks)


def render_installments(
    chapter: Chapter, entries: Mapping[str, Entry], installments: Sequence[Installment], headed: set[str]
) -> list[str]:
    """The blocks that end a chapter, oldest installment first: ``## From self-1.md (Mar 2026 –
    Oct 2026)``, then the installment's entries placed in this chapter, in dump order.

    Entries that joined a section already titled above (in the chapter's body or an earlier
    block) are listed plainly, as in the reference chapter; a section the page has not titled
    yet (one this installment created) follows as a ``###`` heading carrying the section's
    anchor, with its entries. ``headed`` (section ids titled so far) is updated.
    """
    section_of = {e: s for s in chapter.sections for e in s.entry_ids}
    blocks: list[str] = []
    for inst in installments:
        mine = [e for e in inst.entry_ids if e in section_of]
        if not mine:
            continue
        blocks.append(_heading(2, inst.heading()))
        blocks.extend(
            render_installment_entry(entries[e], (chapter.title, section_of[e].title)) for e in mine if section_of[e].id in headed
        )
        for section in chapter.sections:
            new = [e for e in mine if section_of[e] is section and section.id not in headed]
            if new:
                blocks.append(f'<a id="{section_anchor(section.id)}"></a>\n' + _heading(3, section.title))
                blocks.extend(render_installment_entry(entries[e], (chapter.title, section.title)) for e in new)
        headed.update(section_of[e].id for e in mine)
    return blocks


# -- README --------------------------------------------------------------------------------------

LEGEND = (
    "Each entry shows its **title** (in _italics_ when selfbook wrote it from the note), "
    "its note, then what it is · when · the papers, repositories and people it names, "
    "then its links as `site — address`. "
    "\"Saved 3 times\" means three saved copies were merged into one entry; the places they came "
    "from follow."
)


def _toc(outline: Outline, filenames: Sequence[str]) -> str:
    lines = []
    for chapter, filename in zip(outline.chapters, filenames):
        lines.append(f"- {link(chapter.title or 'Untitled', filename)} — {count_label(len(chapter.entry_ids), 'entry', 'entries')}")
        for section in chapter.sections:
            target = f"{filename}#{section_anchor(section.id)}"
            lines.append(f"  - {link(section.title or 'Untitled', target)} · {len(section.entry_ids)}")
    return "\n".join(lines)


def render_readme(
    outline: Outline,
    meta: BookMeta,
    filenames: Sequence[str],
    *,
    merges: Sequence[Merge] = (),
    flags: Sequence[Flag] = (),
    entries: Mapping[str, Entry] | None = None,
    dead: Sequence[tuple[str, str, str]] = (),
    titles: LLMTitles | None = None,
    installments: Sequence[Installment] = (),
) -> str:
    """The book's front page: title, where it came from, the table of contents, and links to the
    index, the topic map (written beside the pages by the library) and, when there is anything
    to review, the review page."""
    total = len({e for c in outline.chapters for e in c.entry_ids})
    counts = (
        f"{count_label(total, 'entry', 'entries')} in "
        f"{count_label(len(outline.chapters), 'chapter', 'chapters')}"
    )
    also = [
        "- [Index](INDEX.md) — terms, people, papers and repositories, A–Z",
        "- [Map](map.html) — every entry placed by meaning, coloured by chapter ([picture](map.png))",
    ]
    weak = len(weak_titles(outline, entries)) if entries is not None else 0
    review = review_summary(merges, flags, weak, dead, titles, len(grown_chapters(outline, installments)))
    if review:
        also.append(review)
    blocks = [
        _heading(1, meta.title or "Notes"),
        _provenance(meta, counts),
        "## Contents",
        _toc(outline, filenames) or "_No entries yet._",
        "## Also in this book",
        "\n".join(also),
        "## Reading an entry",
        LEGEND,
    ]
    return page(blocks)
