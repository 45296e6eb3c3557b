"""The rows both stores keep, apart from their SQL: each table's columns, the rows a book's
entries, outline and curation become, and the models rows become again.

SQLite (``sqlite.py``) and PostgreSQL (``postgres.py``) hold the same tables column for column
(the steps of ``schema.py``, written once for both); only their SQL differs (placeholders, collation, array
parameters). What a row holds is decided here, once, so the two cannot drift apart, and
``selfbook migrate`` copies tables by these columns.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Iterable, Mapping, Sequence

from ..models import DateRange, Decision, Entry, Installment, Link, Outline, Span
from .base import BookState, Postings

COLUMNS: dict[str, tuple[str, ...]] = {  # in an order that keeps foreign keys satisfied
    "meta": ("key", "value"),
    "entries": ("id", "position", "title", "title_derived", "kind", "lang", "script", "date_start", "date_end", "date_text", "content_hash", "fetched", "page_text"),
    "entry_urls": ("entry_id", "position", "url"),
    "entry_notes": ("entry_id", "position", "note"),
    "entry_entities": ("entry_id", "kind", "value"),
    "entry_sources": ("entry_id", "position", "path", "line_start", "line_end"),
    "entry_labels": ("entry_id", "kind", "position", "value"),
    "chapters": ("id", "position", "title", "description"),
    "sections": ("id", "chapter_id", "position", "title", "misc", "description"),
    "placements": ("entry_id", "section_id", "position"),
    "outline_params": ("key", "value"),
    "merges": ("entry_id", "position", "reason", "sources"),
    "flags": ("a", "b", "reason", "score"),
    "skips": ("path", "line_start", "line_end", "reason"),
    "dumps": ("path", "sha256", "entries"),
    "embeddings": ("content_hash", "model", "dim", "vector"),
    "runs": ("id", "txid", "command", "finished", "report"),
    "search_terms": ("term", "positions", "title_tf", "body_tf"),
    "search_docs": ("position", "title_len", "body_len"),
    "installments": ("position", "name", "path", "sha256", "added", "period_start", "period_end", "period_text", "after_decision"),
    "installment_items": ("installment", "role", "position", "item"),
    "decisions": ("number", "made", "action", "subject", "target", "members", "target_members"),
    "index_terms": ("stem", "entries", "phrase", "form", "ids", "score", "variants"),
    "links": ("url", "status", "code", "final_url", "fetched", "title", "description", "published", "lang", "content_type",
              "authors", "failures", "dead", "archived_url", "archived_at"),
    "llm_answers": ("model", "prompt_hash", "answer"),
    "pages": ("url", "text", "bytes", "cut", "archived"),
}
LABELS = {"heading": "headings", "tag": "tags", "ident": "idents"}
"""What each kind of ``entry_labels`` row holds: the :class:`~selfbook.models.Entry` field."""
NEW_DECISION = COLUMNS["decisions"][1:]
"""A new decision's columns: its number is the store's to give."""
NEW_RUN = COLUMNS["runs"][1:]
"""A new run's columns: its id is the store's to give."""


def insert_sql(table: str, mark: str, columns: Sequence[str] | None = None) -> str:
    """``INSERT INTO table (columns) VALUES (mark, …)`` with the store's placeholder ``mark``."""
    columns = columns or COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def insert_entries(executor, mark: str, placed: Sequence[tuple[int, Entry]], hashes: Mapping[str, str]) -> None:
    """Insert ``(position, entry)`` rows with everything each entry holds, through ``executor``'s
    ``executemany`` (a SQLite connection or a PostgreSQL cursor) and its placeholder ``mark``."""
    for table, rows in entry_rows(placed, hashes).items():
        executor.executemany(insert_sql(table, mark), rows)


def span(text: str) -> Span:
    """``path:start`` or ``path:start-end`` as written in a row."""
    path, _, lines = text.rpartition(":")
    start, _, end = lines.partition("-")
    return Span(path, int(start), int(end or start))


def entry_rows(placed: Sequence[tuple[int, Entry]], hashes: Mapping[str, str]) -> dict[str, list[tuple]]:
    """The rows of ``(position, entry)`` pairs, by table: each entry with everything it holds."""
    entries = [e for _, e in placed]
    return {
        "entries": [
            (
                e.id, i, e.title, int(e.title_derived), e.kind, e.lang, e.script,
                e.date.start.isoformat() if e.date else None,
                e.date.end.isoformat() if e.date else None,
                e.date.text if e.date else None,
                hashes[e.id],
                ",".join(e.fetched),
                e.page_text,
            )
            for i, e in placed
        ],
        "entry_urls": [(e.id, i, u) for e in entries for i, u in enumerate(e.urls)],
        "entry_notes": [(e.id, i, n) for e in entries for i, n in enumerate(e.notes)],
        "entry_entities": [(e.id, x.kind, x.value) for e in entries for x in sorted(set(e.entities))],
        "entry_sources": [(e.id, i, s.path, s.start, s.end) for e in entries for i, s in enumerate(e.sources)],
        "entry_labels": [(e.id, "heading", i, h) for e in entries for i, h in enumerate(e.headings)]
        + [(e.id, "tag", i, t) for e in entries for i, t in enumerate(e.tags)]
        + [(e.id, "ident", i, x) for e in entries for i, x in enumerate(e.idents)],
    }


def outline_rows(outline: Outline) -> dict[str, list[tuple]]:
    """The rows of an outline, by table: chapters, their sections, the placements, the params."""
    return {
        "chapters": [(c.id, ci, c.title, c.description) for ci, c in enumerate(outline.chapters)],
        "sections": [(s.id, c.id, si, s.title, int(s.misc), s.description) for c in outline.chapters for si, s in enumerate(c.sections)],
        "placements": [(eid, s.id, ei) for c in outline.chapters for s in c.sections for ei, eid in enumerate(s.entry_ids)],
        "outline_params": list(outline.params),
    }


def saved_rows(state: BookState) -> dict[str, list[tuple]]:
    """The rows a save rewrites whole besides the entries, by table: the outline, merges, flags,
    skips and dumps."""
    return {
        **outline_rows(state.outline),
        "merges": [(m.entry_id, i, m.reason, json.dumps([str(s) for s in m.sources])) for i, m in enumerate(state.merges)],
        "flags": [(f.a, f.b, f.reason, f.score) for f in state.flags],
        "skips": [(s.source.path, s.source.start, s.source.end, s.reason) for s in state.skips],
        "dumps": [(p, h, n) for p, (h, n) in sorted(state.dumps.items())],
    }


def run_row(txid: str, command: str, report: Mapping) -> tuple[str, str, str, str]:
    """The ``runs`` row of a save (in :data:`NEW_RUN` columns: its id is the store's to give)."""
    return txid, command, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), json.dumps(report)


def curation_rows(state: BookState) -> dict[str, list[tuple]]:
    """The installments (rewritten on every save) and the new decisions (appended, in
    :data:`NEW_DECISION` columns), by table."""
    installments, items = [], []
    for i, inst in enumerate(state.installments):
        period = inst.period
        installments.append((
            i, inst.name, inst.path, inst.sha256, inst.added,
            period.start.isoformat() if period else None, period.end.isoformat() if period else None,
            period.text if period else None, inst.after_decision,
        ))
        roles = [("entry", inst.entry_ids), ("resaved", inst.resaved), ("section", inst.sections), ("chapter", inst.chapters)]
        items += [(i, role, k, item) for role, ids in roles for k, item in enumerate(ids)]
    decisions = [
        (d.made, d.action, d.subject, d.target, json.dumps(list(d.members)), json.dumps(list(d.target_members)))
        for d in state.decisions
    ]
    return {"installments": installments, "installment_items": items, "decisions": decisions}


def installments_from(rows: Iterable[Sequence], items: Iterable[Sequence]) -> list[Installment]:
    """Installments from their rows (by position) and their items' rows
    (``installment, role, item``, by installment, role and position)."""
    by_role: dict[tuple[int, str], list[str]] = defaultdict(list)
    for inst, role, item in items:
        by_role[inst, role].append(item)
    out = []
    for pos, name, path, sha, added, start, end, text, after in rows:
        period = DateRange(dt.date.fromisoformat(start), dt.date.fromisoformat(end), text or "") if start else None
        out.append(
            Installment(
                name=name, path=path, sha256=sha, added=added, period=period,
                entry_ids=tuple(by_role[pos, "entry"]), resaved=tuple(by_role[pos, "resaved"]),
                sections=tuple(by_role[pos, "section"]), chapters=tuple(by_role[pos, "chapter"]), after_decision=after,
            )
        )
    return out


def decisions_from(rows: Iterable[Sequence]) -> list[Decision]:
    """Decisions from rows in :data:`COLUMNS` ``["decisions"]`` order."""
    return [
        Decision(action, subject, target, tuple(json.loads(members)), tuple(json.loads(others)), made, number)
        for number, made, action, subject, target, members, others in rows
    ]


def link_row(link: Link) -> tuple:
    """A :class:`Link` as a row of ``links``, in :data:`COLUMNS` order."""
    return (
        link.url, link.status, link.code, link.final_url, link.fetched, link.title, link.description, link.published,
        link.lang, link.content_type, json.dumps(list(link.authors), ensure_ascii=False), link.failures, int(link.dead),
        link.archived_url, link.archived_at,
    )


def link_from(row: Sequence) -> Link:
    url, status, code, final, fetched, title, description, published, lang, ctype, authors, failures, dead, archived, archived_at = row
    return Link(
        url=url, status=status, fetched=fetched, code=code, final_url=final or "", title=title or "",
        description=description or "", published=published or "", lang=lang or "", content_type=ctype or "",
        authors=tuple(json.loads(authors)) if authors else (), failures=failures, dead=bool(dead),
        archived_url=archived or "", archived_at=archived_at or "",
    )


def term_row(term: str, postings: Postings) -> tuple[str, bytes, bytes, bytes]:
    """A ``search_terms`` row: the positions as int32 and the counts as uint16, little-endian."""
    return term, postings.positions.astype("<i4").tobytes(), postings.title_tf.astype("<u2").tobytes(), postings.body_tf.astype("<u2").tobytes()


def postings_from(positions: bytes, title_tf: bytes, body_tf: bytes) -> Postings:
    """The :class:`Postings` a ``search_terms`` row holds (its columns after the term)."""
    import numpy as np  # deferred: search's (a command that only reads the book needs no numpy)

    return Postings(np.frombuffer(positions, dtype="<i4"), np.frombuffer(title_tf, dtype="<u2"), np.frombuffer(body_tf, dtype="<u2"))
