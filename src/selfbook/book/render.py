"""Markdown pages of the book: chapters, the README with its table of contents, the review page.

Everything here is a pure function of its arguments: no clock, no file system, no dict-order
surprises. The same outline and entries give byte-identical text, with ``\\n`` line endings and
exactly one trailing newline per file.

How an entry is laid out
------------------------
An entry is one paragraph whose lines end with a backslash, CommonMark's *hard line break*::

    <a id="e-3f9a1c2b7d01"></a>**A Primer on Inner Workings of Transformer-based Language Models**\\
    How the parts of a transformer work together, with pointers to the literature\\
    paper · May 2024 · arXiv 2405.00208\\
    arxiv.org — <https://arxiv.org/abs/2405.00208>

Why a backslash and not the alternatives:

- two trailing spaces are invisible in raw text and editors strip them on save;
- ``<br>`` renders everywhere but makes the raw file read like HTML;
- a blank line between the lines would split one entry into several paragraphs, so entries would
  no longer read as blocks;
- the backslash is visible, survives editors, and is a hard break in CommonMark and GFM (GitHub,
  VS Code's markdown-it) and in Obsidian, whose default mode already breaks at every newline and
  whose strict mode follows CommonMark. A note that itself ends in a backslash has it escaped.

The anchor sits at the start of the title line rather than on a line of its own: on its own line
Obsidian's default mode would show it as an empty first line of the entry.

Titles selfbook wrote itself (``Entry.title_derived``) are set in bold italics; the README's
legend says so. Merged duplicates get a line "Saved 3 times: self.md:12, …".

Where the source filed an entry (``Entry.headings``: a bookmark folder path, a vault's folders, a
feed's title, a Pocket list) shows as "Filed under: Bookmarks bar › Research › LLMs", because the
book replaces that filing with its own chapters and a reader may want it back. It is left out when
it would only repeat something: for entries read from a markdown or text dump (``.md``,
``.markdown``, ``.txt``), whose headings are the dump's own outline ("2023", "X bookmarks",
"unsorted"), which the book reorganizes on purpose and which would repeat over every entry of a
run; and when the folders are only the entry's own chapter and section (a book's export read
back). A note of an Obsidian vault is a markdown file but its folders are a filing: its headings
start with the folders of its path, which is how it is told apart.

Escaping, links, anchors and file names are :mod:`selfbook.book.markdown`'s.

Merges and look-alikes
----------------------
They go to ``REVIEW.md``, written only when there is something to review; the README's summary
counts them and links there. A years-long dump can hold hundreds of merges, which would bury the
table of contents if listed in the README.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import regex
import yaml

from selfbook.book.markdown import (
    chapter_filename, count_label, destination, domain, entry_anchor, escape_markdown, link, link_line, section_anchor, short_title,
)
from selfbook.models import Chapter, Entry, Flag, Installment, LLMTitles, Merge, Outline, Section
from selfbook.text import stem

__all__ = [
    "BookMeta",
    "chapter_filename",
    "entry_anchor",
    "section_anchor",
    "escape_markdown",
    "short_title",
    "link",
    "count_label",
    "render_entry",
    "render_installment_entry",
    "render_chapter",
    "render_readme",
    "render_review",
]

ENTITY_ORDER = ("arxiv", "doi", "github", "handle")
HARD_BREAK = "\\"  # CommonMark's visible hard line break; see "How an entry is laid out"


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


def _page(blocks: Sequence[str]) -> str:
    """Blocks separated by one blank line, ``\\n`` endings, exactly one trailing newline."""
    return "\n\n".join(b.rstrip("\n") for b in blocks if b) + "\n"


# -- entries -------------------------------------------------------------------------------------


def _entity_label(kind: str, value: str) -> str:
    if kind == "arxiv":
        return f"arXiv {value}"
    if kind == "doi":
        return f"DOI {value}"
    if kind == "github":
        return f"GitHub {value}"
    return f"@{value.lstrip('@')}"


def _meta_line(entry: Entry) -> str:
    bits = [entry.kind]
    if entry.date is not None:
        bits.append(entry.date.label())
    entities = sorted(
        {x for x in entry.entities if x.kind in ENTITY_ORDER},
        key=lambda x: (ENTITY_ORDER.index(x.kind), x.value.casefold(), x.value),
    )
    bits.extend(_entity_label(x.kind, x.value) for x in entities)
    bits.extend(f"#{t}" if regex.fullmatch(r"[\p{L}\p{M}\p{N}_/-]+", t) else t for t in entry.tags)
    if bits == ["note"]:  # a bare note says nothing a reader cannot see
        return ""
    return escape_markdown(" · ".join(bits))


def _note_lines(entry: Entry) -> list[str]:
    """Each distinct note's non-empty lines; a second note (from a merged save) starts with "— "."""
    seen: set[str] = {" ".join(entry.title.split()).casefold()}
    lines: list[str] = []
    for note in entry.notes:
        key = " ".join(note.split()).casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        own = [line for line in map(escape_markdown, note.splitlines()) if line]
        if not own:
            continue
        if lines:
            own[0] = "— " + own[0]
        lines.extend(own)
    return lines


def _title_line(entry: Entry) -> str:
    title = escape_markdown(entry.title) or escape_markdown(domain(entry.urls[0]) if entry.urls else "") or "Untitled"
    if entry.title_derived:
        return f"**_{title}_**"
    return f"**{title}**"


OUTLINE_SUFFIXES = (".md", ".markdown", ".txt")
"""Dumps whose headings are the writer's outline of the document, not a filing place."""


def _vault_note(path: PurePosixPath, headings: Sequence[str]) -> bool:
    """A note of a vault: its headings start with the folders its path ends in."""
    folders = path.parent.parts
    return any(tuple(headings[:k]) == folders[-k:] for k in range(1, min(len(folders), len(headings)) + 1))


def filed_under(entry: Entry, place: Sequence[str] = ()) -> tuple[str, ...]:
    """The folders the source filed ``entry`` in, as the book shows them; () when they would
    only repeat the dump's outline or ``place`` (the entry's chapter and section titles)."""
    if not entry.headings:
        return ()
    paths = [PurePosixPath(s.path.replace("\\", "/")) for s in entry.sources]
    if all(p.suffix.casefold() in OUTLINE_SUFFIXES and not _vault_note(p, entry.headings) for p in paths):
        return ()
    if {h.casefold() for h in entry.headings} <= {p.casefold() for p in place}:
        return ()
    return entry.headings


def _filed_line(entry: Entry, place: Sequence[str]) -> str:
    folders = filed_under(entry, place)
    return escape_markdown("Filed under: " + " › ".join(" ".join(f.split()) for f in folders)) if folders else ""


def render_entry(entry: Entry, place: Sequence[str] = ()) -> str:
    """One entry as a paragraph of hard-broken lines, its anchor first (see the module docstring).
    ``place``: the titles of its chapter and section, which "Filed under" need not repeat."""
    lines = [f'<a id="{entry_anchor(entry.id)}"></a>' + _title_line(entry)]
    lines.extend(_note_lines(entry))
    meta = _meta_line(entry)
    if meta:
        lines.append(meta)
    filed = _filed_line(entry, place)
    if filed:
        lines.append(filed)
    if len(entry.sources) > 1:
        saved = ", ".join(str(s) for s in entry.sources)
        lines.append(escape_markdown(f"Saved {len(entry.sources)} times: {saved}"))
    lines.extend(link_line(url) for url in entry.urls)
    return (HARD_BREAK + "\n").join(lines)


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
    return _page(blocks)


# -- installments ------------------------------------------------------------------------------


def render_installment_entry(entry: Entry, place: Sequence[str] = ()) -> str:
    """An entry in the reference chapter's installment style: the bold title, one line of
    summary (every note line, joined) ending with the date, then ``domain — URL`` lines::

        <a id="e-…"></a>**Bokashi**\\
        ferment food waste with inoculated bran in a sealed bucket; Mar 2026.\\
        en.wikipedia.org — <https://en.wikipedia.org/wiki/Bokashi_(horticulture)>
    """
    lines = [f'<a id="{entry_anchor(entry.id)}"></a>' + _title_line(entry)]
    summary = " ".join(_note_lines(entry))
    when = entry.date.label() if entry.date is not None else ""
    written = [w.casefold() for w in (when, entry.date.text if entry.date else "") if w]
    if when and not any(w in summary.casefold() for w in written):
        summary = f"{summary.rstrip(' .;,')}; {when}." if summary else f"{when}."
    if summary:
        lines.append(summary)
    filed = _filed_line(entry, place)
    if filed:
        lines.append(filed)
    lines.extend(link_line(url) for url in entry.urls)
    return (HARD_BREAK + "\n").join(lines)


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


# A section title is weak when fewer than this share of its entries say any of its words.
WEAK_TITLE_SHARE = 0.3
_TITLE_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to vs via with".split())


def _stems(text: str) -> set[str]:
    """The stems (:func:`selfbook.text.stem`) of the words of two letters or more: "postgres" and
    "PostgreSQL" meet, and so do "Tools" and "tool", "Jq" and "jq"."""
    low = (w.casefold() for w in _TITLE_WORD.findall(text))
    return {stem(w) for w in low if len(w) >= 2 and w not in _SMALL_WORDS}


def weak_titles(outline: Outline, entries: Mapping[str, Entry]) -> list[tuple[Chapter, Section, float]]:
    """Sections (not Miscellany) whose title words appear in under ``WEAK_TITLE_SHARE`` of their
    entries' titles and notes, with that share: titles a person may want to rename. A section
    titled with the person's own heading over most of its entries ("Money") is theirs, not
    selfbook's guess, and is not listed."""
    out = []
    for chapter in outline.chapters:
        for section in chapter.sections:
            wanted = _stems(section.title)
            members = [entries[e] for e in section.entry_ids if e in entries]
            if section.misc or not wanted or not members:
                continue
            own = section.title.casefold()
            if sum(own in {h.casefold() for h in e.headings} for e in members) * 2 > len(members):
                continue
            share = sum(bool(wanted & _stems(f"{e.title} {e.note}")) for e in members) / len(members)
            if share < WEAK_TITLE_SHARE:
                out.append((chapter, section, share))
    return out


def _review_summary(
    merges: Sequence[Merge],
    flags: Sequence[Flag],
    weak: int = 0,
    dead: Sequence[tuple[str, str, str]] = (),
    titles: LLMTitles | None = None,
) -> str:
    bits = []
    if titles is not None and titles.retitled:
        bits.append(count_label(len(titles.retitled), "title", "titles") + f" chosen by {titles.model}")
    elif titles is not None and (titles.choices or titles.warning):
        bits.append(f"the titles {titles.model} was asked for (none taken)")
    if dead:
        bits.append(count_label(len(dead), "dead link", "dead links"))
    if weak:
        bits.append(count_label(weak, "section title", "section titles") + " to check")
    if flags:
        bits.append(count_label(len(flags), "pair of look-alike entries", "pairs of look-alike entries") + " to check")
    if merges:
        bits.append(count_label(len(merges), "merge", "merges") + " of duplicate saves")
    return f"- [Review](REVIEW.md) — {' and '.join(bits)}" if bits else ""


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
    review = _review_summary(merges, flags, len(weak_titles(outline, entries)) if entries is not None else 0, dead, titles)
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
    return _page(blocks)


# -- REVIEW --------------------------------------------------------------------------------------
DEAD_REASONS = {
    "gone": "gone (404 or 410)", "soft-404": "the page says it is not found", "dns": "its host no longer exists",
    "refused": "the server refuses connections", "timeout": "no answer in time",
}
"""How REVIEW.md says why a link is dead, by its status (failed on two runs or more)."""


def _review_titles(titles: LLMTitles) -> list[str]:
    """The LLM's choices: each title it changed (old → new, with its description), each answer
    it gave that was rejected (the organizer's title was kept), and each misfit it named that
    moved, with the vectors' evidence."""
    lines = []
    for c in titles.retitled:
        where = "Chapter" if c.kind == "chapter" else f"Section of *{escape_markdown(c.chapter)}*"
        change = f"“{escape_markdown(c.old)}” → **{escape_markdown(c.new)}**" if c.new != c.old else f"**{escape_markdown(c.new)}** (kept)"
        lines.append(f"- {where}: {change}" + (f" — {escape_markdown(c.description)}" if c.description else ""))
    kept = [
        f"- {'Chapter' if c.kind == 'chapter' else 'Section'} “{escape_markdown(c.old)}” — {escape_markdown(c.rejected)}"
        + (f": “{escape_markdown(c.proposed)}”" if c.proposed else "")
        for c in titles.rejected
    ]
    blocks = [
        f"## Titles by {escape_markdown(titles.model)} ({len(titles.retitled)})",
        f"> The LLM {escape_markdown(titles.model)} named these chapters and sections from their entries; the organizer's "
        "title is on the left. Rename any with `selfbook rename`; `selfbook build --no-llm` keeps the organizer's.",
    ]
    if titles.warning:
        blocks.append(f"**Warning:** {escape_markdown(titles.warning)}")
    if lines:
        blocks.append("\n".join(lines))
    if kept:
        blocks += [f"### Answers not taken ({len(kept)})", "\n".join(kept)]
    if titles.moves:
        moved = [
            f"- {escape_markdown(short_title(m.title))}: {escape_markdown(m.source)} → **{escape_markdown(m.target)}** — "
            f"cosine {m.target_cosine:.2f} to its new section's centroid, {m.source_cosine:.2f} to its old section's other entries"
            for m in titles.moves
        ]
        blocks += [f"### Misfits moved ({len(moved)})", "\n".join(moved)]
    return blocks


def _entry_ref(entry_id: str, entries: Mapping[str, Entry], where: Mapping[str, str]) -> str:
    entry = entries.get(entry_id)
    title = short_title(entry.title) if entry else entry_id
    if entry_id in where:
        return link(title, f"{where[entry_id]}#{entry_anchor(entry_id)}")
    return f"{escape_markdown(title)} (not in the book)"


def render_review(
    outline: Outline,
    entries: Mapping[str, Entry],
    filenames: Sequence[str],
    *,
    merges: Sequence[Merge] = (),
    flags: Sequence[Flag] = (),
    dead: Sequence[tuple[str, str, str]] = (),
    titles: LLMTitles | None = None,
) -> str | None:
    """``REVIEW.md``: dead links (``(entry id, url, status)``, found by ``selfbook fetch``), the
    titles an LLM chose, section titles few of their entries bear out, look-alike pairs that
    were not merged, then merges with their reasons. ``None`` when there is nothing to review
    (the page is then not written)."""
    weak = weak_titles(outline, entries)
    chosen = titles is not None and (titles.choices or titles.warning)
    if not merges and not flags and not weak and not dead and not chosen:
        return None
    where = {e: f for c, f in zip(outline.chapters, filenames) for e in c.entry_ids}
    order = {e: i for i, e in enumerate(e for c in outline.chapters for e in c.entry_ids)}
    blocks = [
        "# Review",
        "> Decisions selfbook made on its own, for a person to check. Back to [Contents](README.md).",
    ]
    if chosen:
        blocks += _review_titles(titles)
    if dead:
        lines = [
            f"- {_entry_ref(eid, entries, where)} — {link_line(url)} — " + escape_markdown(DEAD_REASONS.get(status, status))
            for eid, url, status in sorted(dead, key=lambda d: (order.get(d[0], len(order)), d[1]))
        ]
        blocks += [f"## Dead links ({len(dead)})", "\n".join(lines)]
    if weak:
        files = dict(zip((c.id for c in outline.chapters), filenames))
        lines = [
            f"- {link(f'{chapter.title} / {section.title}', f'{files[chapter.id]}#{section_anchor(section.id)}')} — "
            f"{share:.0%} of its {count_label(len(section.entry_ids), 'entry', 'entries')} say a word of its title"
            for chapter, section, share in weak
        ]
        blocks += [
            f"## Section titles to check ({len(weak)})",
            "> selfbook titled these sections by what few of their entries say. Rename one with "
            "`selfbook rename \"Chapter/Section\" \"New title\"`; the name stays through every rebuild.",
            "\n".join(lines),
        ]
    if flags:
        lines = [
            f"- {_entry_ref(f.a, entries, where)} and {_entry_ref(f.b, entries, where)} — "
            f"{escape_markdown(f.reason)} · similarity {f.score:.2f}"
            for f in sorted(flags, key=lambda f: (-f.score, f.a, f.b, f.reason))
        ]
        blocks += [f"## Look-alikes not merged ({len(flags)})", "\n".join(lines)]
    if merges:
        ranked = sorted(merges, key=lambda m: (order.get(m.entry_id, len(order)), m.entry_id, m.reason))
        lines = [
            f"- {_entry_ref(m.entry_id, entries, where)} — "
            + escape_markdown(
                f"{count_label(len(m.sources), 'save', 'saves')}: {', '.join(str(s) for s in m.sources)} — {m.reason}"
            )
            for m in ranked
        ]
        blocks += [f"## Merged duplicates ({len(merges)})", "\n".join(lines)]
    return _page(blocks)
