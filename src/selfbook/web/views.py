"""The data of each page, as plain dicts: the JSON API returns them, the templates render them.

So every HTML page has a JSON twin with the same content (``/`` ↔ ``/api/book``,
``/chapter/ID`` ↔ ``/api/chapters/ID``, ``/entry/ID`` ↔ ``/api/entries/ID``, …). Entries are
``selfbook entries --json`` objects and search results ``selfbook search --json`` objects.
Nothing here escapes: the templates do (Jinja2 autoescaping), and the page script sets text
with ``textContent`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selfbook import (
    METHODS, PlacedEntry, QueryError, QueryVector, SearchFilters, canonical_url, describe, entry_anchor, highlight_spans,
    parse_period, search_terms,
)
from selfbook.models import Chapter, Decision, Installment

from .service import BookService, BookView

ARCHIVE_SCHEMES = ("http://", "https://")
"""The only URLs ever made clickable."""


class NotFound(LookupError):
    """A chapter or entry id the book does not have."""


def installment_dict(inst: Installment) -> dict:
    return {
        "name": inst.name, "added": inst.added, "period": inst.period.label() if inst.period else None,
        "heading": inst.heading(), "entries": len(inst.entry_ids), "resaved": len(inst.resaved),
    }


def decision_dict(d: Decision) -> dict:
    """As ``selfbook history --json`` prints it."""
    return {"number": d.number, "made": d.made, "action": d.action, "subject": d.subject, "target": d.target, "text": describe(d)}


def _chapter_summary(view: BookView, number: int, chapter: Chapter) -> dict:
    return {
        "id": chapter.id, "number": number, "title": chapter.title, "description": chapter.description,
        "file": view.chapter_file(chapter.id), "entries": len(chapter.entry_ids),
        "sections": [{"id": s.id, "title": s.title, "entries": len(s.entry_ids), "misc": s.misc} for s in chapter.sections],
    }


def book_data(view: BookView) -> dict:
    """The table of contents: chapters and sections with counts, and the last installment."""
    last = view.last_installment
    return {
        "title": view.title,
        "version": view.version,
        "entries": len(view.entries),
        "chapters": [_chapter_summary(view, n, c) for n, c in enumerate(view.outline.chapters, 1)],
        "last_installment": installment_dict(last) if last else None,
        "installments": len(view.installments),
        "decisions": len(view.decisions),
    }


def chapters_data(view: BookView) -> list[dict]:
    """As ``selfbook chapters --json`` prints it."""
    return [
        {"id": c.id, "title": c.title, "entries": len(c.entry_ids),
         "sections": [{"id": s.id, "title": s.title, "entries": len(s.entry_ids), "misc": s.misc} for s in c.sections]}
        for c in view.outline.chapters
    ]


def link_states(view: BookView, urls) -> list[dict]:
    """Each URL with what its last fetch found: ``status`` ("unfetched" before any fetch),
    ``dead``, and when the link is dead and the Wayback Machine has a copy, ``archived_url``
    (http(s) only) and ``archived_date`` (YYYY-MM-DD, or "")."""
    out = []
    for url in urls:
        link = view.links.get(canonical_url(url))
        archived = link.archived_url if link and link.dead and link.archived_url.lower().startswith(ARCHIVE_SCHEMES) else ""
        out.append({
            "url": url, "status": link.status if link else "unfetched", "dead": bool(link and link.dead),
            "archived_url": archived or None, "archived_date": (link.archived_date if archived else "") or None,
        })
    return out


def entry_dict(view: BookView, placed: PlacedEntry) -> dict:
    """An entry as ``selfbook entries --json`` prints it, with its place in the book's files,
    its notes one by one (for the page's layout) and its links' states (:func:`link_states`)."""
    e = placed.entry
    return {
        **placed.to_dict(),
        "links": link_states(view, e.urls),
        "notes": [n for n in e.notes if n and " ".join(n.split()) != " ".join(e.title.split())],
        "file": view.chapter_file(placed.chapter_id),
        "anchor": entry_anchor(e.id),
        "title_derived": e.title_derived,
    }


def chapter_data(view: BookView, chapter_id: str) -> dict:
    """A chapter laid out as its markdown file: each section with its entries, then a block per
    installment that brought entries to this chapter (as ``render_chapter`` does)."""
    if chapter_id not in view.chapters:
        raise NotFound(f"no chapter {chapter_id!r} in this book — see the table of contents")
    number, chapter = view.chapters[chapter_id]
    chapters = view.outline.chapters
    later = {e for inst in view.installments for e in inst.entry_ids}
    mine = set(chapter.entry_ids)
    sections = []
    for s in chapter.sections:
        own = [entry_dict(view, view.by_id[e]) for e in s.entry_ids if e not in later and e in view.by_id]
        sections.append({"id": s.id, "title": s.title, "misc": s.misc, "count": len(s.entry_ids), "entries": own})
    blocks = []
    for inst in view.installments:
        brought = [entry_dict(view, view.by_id[e]) for e in inst.entry_ids if e in mine and e in view.by_id]
        if brought:
            blocks.append({"heading": inst.heading(), "installment": inst.name, "added": inst.added, "entries": brought})
    neighbour = lambda i: {"id": chapters[i].id, "title": chapters[i].title} if 0 <= i < len(chapters) else None  # noqa: E731
    return {
        **_chapter_summary(view, number, chapter),
        "count": len(chapter.entry_ids),
        "sections": sections,
        "installments": blocks,
        "previous": neighbour(number - 2),
        "next": neighbour(number),
    }


def entry_data(service: BookService, view: BookView, entry_id: str) -> dict:
    """An entry with its provenance (each saved copy's file and lines) and its nearest neighbours."""
    placed = view.by_id.get(entry_id)
    if placed is None:
        raise NotFound(f"no entry {entry_id!r} in this book — search for it instead")
    related = service.related(placed)
    return {
        **entry_dict(view, placed),
        "provenance": [{"path": s.path, "start": s.start, "end": s.end, "where": str(s)} for s in placed.entry.sources],
        "related": [h.to_dict() for h in related],
    }


@dataclass(frozen=True)
class SearchParams:
    """A search as the CLI takes it: ``selfbook search Q --chapter … --since … --method …``."""

    q: str = ""
    limit: int = 10
    chapter: str | None = None
    section: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    source: str | None = None
    method: str = "hybrid"
    tag: tuple[str, ...] = ()

    def filters(self) -> SearchFilters:
        """The filters; raises :class:`QueryError` for a date that is not YYYY, YYYY-MM or YYYY-MM-DD."""
        blank = lambda v: v if v and v.strip() else None  # noqa: E731
        since, until = blank(self.since), blank(self.until)
        return SearchFilters(
            chapter=blank(self.chapter), section=blank(self.section), kind=blank(self.kind),
            since=parse_period(since)[0] if since else None, until=parse_period(until)[1] if until else None,
            source=blank(self.source), tags=tuple(t for t in self.tag if t and t.strip()),
        )

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items() if v not in (None, "", ())}


def search_data(service: BookService, params: SearchParams, *, vector: QueryVector | None = None) -> dict:
    """The results as ``selfbook search --json`` gives them, one object each, best first, each
    with ``title_highlights`` too: the spans of its title to highlight (the CLI bolds them), and
    ``links``: its links' states (:func:`link_states`).
    ``degraded`` is null, or ``"lexical"`` when the search ran out of its budget before its
    query's vector was ready and the results match the words only; ``note`` then says so.
    ``vector``: the query's vector, when the caller has looked for it (see :meth:`Library.search`)."""
    if params.method not in METHODS:
        raise QueryError(f"unknown search method {params.method!r} — one of: {', '.join(METHODS)}")
    hits = service.search(params.q, limit=params.limit, filters=params.filters(), method=params.method, vector=vector)
    terms = set(search_terms(params.q))
    view = service.view()
    results = [{**h.to_dict(), "title_highlights": [list(s) for s in highlight_spans(h.placed.entry.title, terms)],
                "links": link_states(view, h.placed.entry.urls)} for h in hits]
    return {"query": params.q, "params": params.to_dict(), "results": results, "degraded": hits.degraded, "note": hits.note}


def history_data(view: BookView) -> dict:
    return {"decisions": [decision_dict(d) for d in view.decisions], "installments": [installment_dict(i) for i in view.installments]}


_MARKER = re.compile(r"\[(\d+)\]")


def answer_parts(text: str, citations: list[dict]) -> list[dict]:
    """An answer cut into text and citation markers: ``{"text": …}`` or ``{"cite": n, "id": …}``."""
    ids = {c["number"]: c["id"] for c in citations}
    parts, at = [], 0
    for match in _MARKER.finditer(text):
        number = int(match.group(1))
        if number not in ids:
            continue
        if match.start() > at:
            parts.append({"text": text[at : match.start()]})
        parts.append({"cite": number, "id": ids[number]})
        at = match.end()
    if at < len(text):
        parts.append({"text": text[at:]})
    return parts


def highlighted(text: str, spans) -> list[tuple[str, bool]]:
    """``text`` cut at the ``[start, end)`` spans: (piece, highlighted) pairs, for ``<mark>``."""
    out, at = [], 0
    for start, end in sorted(tuple(s) for s in spans):
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out
