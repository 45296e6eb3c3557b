"""How an entry is laid out on a page: its anchor and title, its notes, what it is and when, where
the source filed it, the saves merged into it, its links.

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

Escaping, links, anchors and file names are :mod:`selfbook.book.markdown`'s; the pages that hold
entries are :mod:`selfbook.book.render`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

import regex

from selfbook.book.markdown import domain, entry_anchor, escape_markdown, link_line
from selfbook.models import Entry

__all__ = ["filed_under", "render_entry", "render_installment_entry"]

ENTITY_ORDER = ("arxiv", "doi", "github", "handle")
HARD_BREAK = "\\"  # CommonMark's visible hard line break; see the module docstring


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
