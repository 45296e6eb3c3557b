"""``REVIEW.md``: the decisions selfbook made on its own, for a person to check: dead links, the
titles an LLM chose, section titles few of their entries bear out, chapters that installments have
grown past what they were built with, look-alikes not merged, and merges with their reasons.

The page is written only when there is something to review; the README's summary line
(:func:`review_summary`) counts what it holds and links there. A years-long dump can hold hundreds
of merges, which would bury the table of contents if listed in the README.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import regex

from selfbook.book.markdown import count_label, entry_anchor, escape_markdown, link, link_line, page, section_anchor, short_title
from selfbook.models import Chapter, Entry, Flag, Installment, LLMTitles, Merge, Outline, Section
from selfbook.text import stem

__all__ = ["grown_chapters", "render_review", "review_summary", "weak_titles"]


# A section title is weak when fewer than this share of its entries say any of its words.
WEAK_TITLE_SHARE = 0.3
# A chapter is worth re-cutting once installments brought at least as many entries as it was
# built with, and at least this many: an add never moves what is placed, so a first book cut
# coarsely stays coarse however much is added (bench/incremental.py --til: two chapters built
# from a person's first 162 notes held all 620 nine years later).
GROWN_AT_LEAST = 10
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


def grown_chapters(outline: Outline, installments: Sequence[Installment]) -> list[tuple[Chapter, int, int]]:
    """Chapters that installments have at least doubled (``GROWN_AT_LEAST`` entries or more), with
    the entries they were built with and the entries added since, in book order. A chapter an
    installment made is not listed: its sections were cut from what it holds."""
    added = {e for inst in installments for e in inst.entry_ids}
    out = []
    for chapter in outline.chapters:
        new = sum(e in added for e in chapter.entry_ids)
        built = len(chapter.entry_ids) - new
        if built and new >= max(built, GROWN_AT_LEAST):
            out.append((chapter, built, new))
    return out


def review_summary(
    merges: Sequence[Merge],
    flags: Sequence[Flag],
    weak: int = 0,
    dead: Sequence[tuple[str, str, str]] = (),
    titles: LLMTitles | None = None,
    grown: int = 0,
) -> str:
    """The README's line that links to REVIEW.md and says what it holds; "" when nothing."""
    bits = []
    if titles is not None and titles.retitled:
        bits.append(count_label(len(titles.retitled), "title", "titles") + f" chosen by {titles.model}")
    elif titles is not None and (titles.choices or titles.warning):
        bits.append(f"the titles {titles.model} was asked for (none taken)")
    if dead:
        bits.append(count_label(len(dead), "dead link", "dead links"))
    if weak:
        bits.append(count_label(weak, "section title", "section titles") + " to check")
    if grown:
        bits.append(count_label(grown, "chapter", "chapters") + " grown since the book was built")
    if flags:
        bits.append(count_label(len(flags), "pair of look-alike entries", "pairs of look-alike entries") + " to check")
    if merges:
        bits.append(count_label(len(merges), "merge", "merges") + " of duplicate saves")
    return f"- [Review](REVIEW.md) — {' and '.join(bits)}" if bits else ""


DEAD_REASONS = {
    "gone": "gone (404 or 410)", "soft-404": "the page says it is not found", "dns": "its host no longer exists",
    "refused": "the server refuses connections", "timeout": "no answer in time",
}
"""How REVIEW.md says why a link is dead, by its status (failed on two runs or more)."""


def _review_titles(titles: LLMTitles) -> list[str]:
    """The LLM's choices: each title it changed (old → new, with its description), each answer
    it gave that was rejected (the organizer's title was kept), each misfit it named that moved
    and each pair of sections it merged, with the vectors' evidence, and the merges the vectors
    refused."""
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
    if titles.merged:
        merged = [
            f"- {escape_markdown(m.merged)} → **{escape_markdown(m.kept)}** — each the other's nearest section (centroid "
            f"cosine {m.cosine:.2f}); the merged section's entries lie {m.cohesion:.2f} from its centroid, the chapter's "
            f"loosest section {m.floor:.2f}"
            for m in titles.merged
        ]
        blocks += [f"### Sections merged ({len(merged)})", "\n".join(merged)]
    refused = [m for m in titles.merges if m.refused]
    if refused:
        refusals = [f"- {escape_markdown(m.merged)} + {escape_markdown(m.kept)} — {escape_markdown(m.refused)}" for m in refused]
        blocks += [f"### Merges the vectors did not agree to ({len(refusals)})", "\n".join(refusals)]
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
    installments: Sequence[Installment] = (),
) -> str | None:
    """``REVIEW.md``: dead links (``(entry id, url, status)``, found by ``selfbook fetch``), the
    titles an LLM chose, section titles few of their entries bear out, chapters ``installments``
    have grown (:func:`grown_chapters`), look-alike pairs that were not merged, then merges with
    their reasons. ``None`` when there is nothing to review (the page is then not written)."""
    weak = weak_titles(outline, entries)
    grown = grown_chapters(outline, installments)
    chosen = titles is not None and (titles.choices or titles.warning)
    if not merges and not flags and not weak and not dead and not chosen and not grown:
        return None
    files = dict(zip((c.id for c in outline.chapters), filenames))
    where = {e: files[c.id] for c in outline.chapters for e in c.entry_ids}
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
    if grown:
        lines = [
            f"- {link(chapter.title, files[chapter.id])} — built with "
            f"{count_label(built, 'entry', 'entries')}, {new} added since"
            for chapter, built, new in grown
        ]
        blocks += [
            f"## Chapters grown since the book was built ({len(grown)})",
            "> An installment never moves what is already placed, so these chapters keep the sections "
            "they were cut into, and what came later fills them. `selfbook build --reorganize` cuts "
            "the whole book afresh and reports what moved; your moves and renames stay.",
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
    return page(blocks)
