"""What both stores read back of a saved book, with the same SQL: meta, the entries, the outline,
the merges, flags and skips, the runs, the installments and decisions, and what search asks of
them. (What a save writes is :mod:`selfbook.store.rows`'s rows, put by each store's own SQL.)

A store mixes :class:`BookRows` in and names its dialect: its placeholder (``MARK``: ``?`` or
``%s``), the collation that orders text by code point as Python does (``COLLATE``: SQLite's
default, PostgreSQL's ``"C"``), how a column is matched against a list (:meth:`BookRows._in`),
how a stored ISO date becomes Python's ``date.toordinal()`` (``ORDINAL``), and how its cached
vectors are read (:meth:`BookRows._vector_cursor`, :meth:`BookRows._vector_matrix`). The defaults
are SQLite's. Two steps of a save are the same on both stores too, run in its transaction:
clearing what a save derives before writing it again (:meth:`BookRows._make_room`), and rewriting
the installments with the new decisions (:meth:`BookRows._save_curation`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Sequence

from ..errors import BookError
from ..models import Chapter, DateRange, Decision, Entity, Entry, Flag, Installment, Merge, Outline, Section, Skip, Span
from .base import BookState, Placement, SearchRows
from .rows import COLUMNS, LABELS, NEW_DECISION, curation_rows, decisions_from, insert_sql, installments_from, span

if TYPE_CHECKING:
    import numpy as np

CHUNK = 500
"""Ids or positions asked for in one statement: SQLite's ``IN (…)`` lists stay under its limit."""


class BookRows:
    """The reads of a saved book that SQLite and PostgreSQL run alike; a store mixes it in."""

    MARK = "?"
    COLLATE = ""
    ORDINAL = "CAST(julianday({}) AS INTEGER) - 1721424"  # julianday() - 1721424 is date.toordinal()

    def _in(self, column: str, values: Sequence) -> tuple[str, tuple]:
        """``column IN (…)`` for these values, and its parameters."""
        return f"{column} IN ({','.join([self.MARK] * len(values))})", tuple(values)

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute(f"SELECT value FROM meta WHERE key = {self.MARK}", (key,)).fetchone()
        return row[0] if row else None

    def load_entries(self) -> list[Entry]:
        """Every entry, in reading order of first appearance."""
        return self._read_entries()

    def _read_entries(self, ids: Sequence[str] | None = None) -> list[Entry]:
        """Every entry, or those with these ids (at most :data:`CHUNK`), in reading order."""
        db, c = self._db, self.COLLATE
        where, args = "", ()
        if ids is not None:
            match, args = self._in("entry_id", ids)
            where = "WHERE " + match
        grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for eid, url in db.execute(f"SELECT entry_id, url FROM entry_urls {where} ORDER BY entry_id, position", args):
            grouped[eid]["urls"].append(url)
        for eid, note in db.execute(f"SELECT entry_id, note FROM entry_notes {where} ORDER BY entry_id, position", args):
            grouped[eid]["notes"].append(note)
        for eid, kind, value in db.execute(f"SELECT entry_id, kind, value FROM entry_entities {where} ORDER BY entry_id, kind{c}, value{c}", args):
            grouped[eid]["entities"].append(Entity(kind, value))
        for eid, path, start, end in db.execute(
            f"SELECT entry_id, path, line_start, line_end FROM entry_sources {where} ORDER BY entry_id, position", args
        ):
            grouped[eid]["sources"].append(Span(path, start, end))
        for eid, kind, value in db.execute(f"SELECT entry_id, kind, value FROM entry_labels {where} ORDER BY entry_id, kind, position", args):
            grouped[eid][LABELS.get(kind, "tags")].append(value)
        entries = []
        for row in db.execute(
            "SELECT id, title, title_derived, kind, lang, script, date_start, date_end, date_text, fetched, page_text FROM entries "
            f"{where.replace('entry_id', 'id')} ORDER BY position",
            args,
        ):
            eid, title, derived, kind, lang, script, start, end, text, fetched, page_text = row
            parts = grouped[eid]
            date = DateRange(dt.date.fromisoformat(start), dt.date.fromisoformat(end), text or "") if start else None
            entries.append(
                Entry(
                    id=eid, title=title, urls=tuple(parts["urls"]), notes=tuple(parts["notes"]), kind=kind,
                    entities=tuple(parts["entities"]), date=date, lang=lang, script=script,
                    sources=tuple(parts["sources"]), headings=tuple(parts["headings"]), tags=tuple(parts["tags"]), idents=tuple(parts["idents"]),
                    title_derived=bool(derived), fetched=tuple(fetched.split(",")) if fetched else (), page_text=page_text or "",
                )
            )
        return entries

    def load_outline(self) -> Outline:
        db = self._db
        placed: dict[str, list[str]] = defaultdict(list)
        for eid, sid in db.execute("SELECT entry_id, section_id FROM placements ORDER BY section_id, position"):
            placed[sid].append(eid)
        sections: dict[str, list[Section]] = defaultdict(list)
        for sid, cid, title, misc, description in db.execute(
            "SELECT id, chapter_id, title, misc, description FROM sections ORDER BY chapter_id, position"
        ):
            sections[cid].append(Section(sid, title, tuple(placed[sid]), bool(misc), description))
        chapters = tuple(
            Chapter(cid, title, tuple(sections[cid]), description)
            for cid, title, description in db.execute("SELECT id, title, description FROM chapters ORDER BY position")
        )
        params = tuple(tuple(r) for r in db.execute(f"SELECT key, value FROM outline_params ORDER BY key{self.COLLATE}"))
        return Outline(chapters, params)

    def load_merges(self) -> list[Merge]:
        rows = self._db.execute("SELECT entry_id, reason, sources FROM merges ORDER BY position")
        return [Merge(eid, tuple(span(s) for s in json.loads(src)), reason) for eid, reason, src in rows]

    def load_flags(self) -> list[Flag]:
        c = self.COLLATE
        return [Flag(*row) for row in self._db.execute(f"SELECT a, b, reason, score FROM flags ORDER BY a{c}, b{c}")]

    def load_skips(self) -> list[Skip]:
        rows = self._db.execute(f"SELECT path, line_start, line_end, reason FROM skips ORDER BY path{self.COLLATE}, line_start")
        return [Skip(Span(p, s, e), r) for p, s, e, r in rows]

    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, content_hash FROM entries").fetchall())

    def last_run(self) -> dict | None:
        row = self._db.execute("SELECT txid, command, finished, report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"txid": row[0], "command": row[1], "finished": row[2], "report": json.loads(row[3])}

    # == search (m002): what search reads of the entries; see selfbook.search =======================
    def search_index_version(self) -> str | None:
        """Which search terms counted the stored index (``search_index``); None when there is none."""
        return self.get_meta("search_index")

    def search_rows(self) -> SearchRows:
        """Kind, section, dates and field lengths of every entry, by position."""
        import numpy as np  # deferred: search's (a command that only reads the book needs no numpy)

        rows = self._db.execute(
            f"SELECT e.kind, p.section_id, {self.ORDINAL.format('e.date_start')}, {self.ORDINAL.format('e.date_end')}, "
            "d.title_len, d.body_len FROM entries e LEFT JOIN placements p ON p.entry_id = e.id "
            "LEFT JOIN search_docs d ON d.position = e.position ORDER BY e.position"
        ).fetchall()
        kinds = tuple(sorted({r[0] for r in rows}))
        sections = tuple(sorted({r[1] for r in rows if r[1] is not None}))
        kind_code = {k: i for i, k in enumerate(kinds)}
        section_code = {s: i for i, s in enumerate(sections)}
        return SearchRows(
            kind=np.array([kind_code[r[0]] for r in rows], dtype=np.int8),
            kinds=kinds,
            section=np.array([section_code.get(r[1], -1) for r in rows], dtype=np.int32),
            sections=sections,
            date_start=np.array([r[2] or 0 for r in rows], dtype=np.int32),
            date_end=np.array([r[3] or 0 for r in rows], dtype=np.int32),
            title_len=np.array([r[4] or 0 for r in rows], dtype=np.float32),
            body_len=np.array([r[5] or 0 for r in rows], dtype=np.float32),
        )

    def positions_from_source(self, source: str) -> np.ndarray:
        """Positions of entries with a copy from ``source``: that path, or a path ending in /source."""
        import numpy as np  # deferred: search's

        pattern = "%/" + source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT DISTINCT e.position FROM entry_sources s JOIN entries e ON e.id = s.entry_id "
            f"WHERE s.path = {self.MARK} OR s.path LIKE {self.MARK} ESCAPE '\\'",
            (source, pattern),
        )
        return np.array(sorted(r[0] for r in rows), dtype=np.int64)

    def load_placed(self, positions: Sequence[int]) -> list[Placement]:
        """The entries at ``positions`` (in that order) with their chapter and section."""
        wanted = [int(p) for p in positions]
        placed: dict[int, tuple[str, str, str, str, str]] = {}
        for i in range(0, len(wanted), CHUNK):
            where, args = self._in("e.position", wanted[i : i + CHUNK])
            rows = self._db.execute(
                "SELECT e.position, e.id, c.id, c.title, s.id, s.title FROM entries e "
                "JOIN placements p ON p.entry_id = e.id JOIN sections s ON s.id = p.section_id "
                f"JOIN chapters c ON c.id = s.chapter_id WHERE {where}",
                args,
            )
            placed.update((row[0], tuple(row[1:])) for row in rows)
        lost = [p for p in wanted if p not in placed]
        if lost:
            raise BookError(f"{self.path}: entry position {lost[0]} is in no section — rebuild the book")
        ids = [placed[p][0] for p in wanted]
        entries = {}
        for i in range(0, len(ids), CHUNK):
            entries.update((e.id, e) for e in self._read_entries(ids[i : i + CHUNK]))
        return [(entries[placed[p][0]], *placed[p][1:]) for p in wanted]

    def search_vectors(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        """Entry positions that have a cached ``model`` vector, and those vectors (float32 rows)."""
        import numpy as np  # deferred: search's

        rows = self._vector_cursor().execute(
            "SELECT e.position, v.dim, v.vector FROM entries e JOIN embeddings v "
            f"ON v.content_hash = e.content_hash AND v.model = {self.MARK} ORDER BY e.position",
            (model,),
        ).fetchall()
        dims = {row[1] for row in rows}
        if len(dims) > 1:
            raise BookError(f"{self.path}: vectors of {model} have several sizes {sorted(dims)} — rebuild the book")
        dim = dims.pop() if dims else 0
        return np.array([row[0] for row in rows], dtype=np.int64), self._vector_matrix([row[2] for row in rows], dim)

    def _vector_cursor(self):
        """What runs a query that reads stored vectors."""
        return self._db

    @staticmethod
    def _vector_matrix(stored: Sequence, dim: int) -> np.ndarray:
        """Stored vectors of size ``dim`` as the rows of one float32 matrix (SQLite's are float32 blobs)."""
        import numpy as np  # deferred: search's

        return np.frombuffer(b"".join(stored), dtype="<f4").reshape(len(stored), dim)

    def _make_room(self, db, rows, key: str, *tables: str) -> bool:
        """Before a save writes ``rows`` of what it derives from the entries (the search index, the
        index's term counts) in ``db``'s transaction: empty ``tables`` when the rows replace them
        all (``rows.full``) or are None, and for None forget the meta ``key`` that names what wrote
        them. Whether there are rows to write."""
        if rows is None or rows.full:
            for table in tables:
                db.execute(f"DELETE FROM {table}")
        if rows is None:
            db.execute(f"DELETE FROM meta WHERE key = {self.MARK}", (key,))
            return False
        return True
    # == end search ===================================================================================

    # == installments and decisions (m003); see selfbook.organize.update and selfbook.organize.curate ====
    def load_installments(self) -> list[Installment]:
        """The dumps added with ``selfbook add``, oldest first."""
        items = self._db.execute("SELECT installment, role, item FROM installment_items ORDER BY installment, role, position")
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS['installments'])} FROM installments ORDER BY position")
        return installments_from(rows.fetchall(), items.fetchall())

    def load_dumps(self) -> dict[str, tuple[str, int]]:
        """The dumps the book was built from: path -> (sha256, entries)."""
        rows = self._db.execute(f"SELECT path, sha256, entries FROM dumps ORDER BY path{self.COLLATE}")
        return {path: (sha, n) for path, sha, n in rows}

    def load_decisions(self) -> list[Decision]:
        """Every decision the person made, in the order they were made."""
        return decisions_from(self._db.execute(f"SELECT {', '.join(COLUMNS['decisions'])} FROM decisions ORDER BY number"))

    def _save_curation(self, db, state: BookState) -> None:
        """Rewrite the installments (computed state); append the new decisions (never rewritten).
        ``db`` runs the save's transaction."""
        db.execute("DELETE FROM installment_items")
        db.execute("DELETE FROM installments")
        for table, rows in curation_rows(state).items():
            db.executemany(insert_sql(table, self.MARK, NEW_DECISION if table == "decisions" else None), rows)
    # == end installments and decisions ===============================================================
