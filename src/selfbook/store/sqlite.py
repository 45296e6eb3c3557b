"""The SQLite store: a book's state in ``<book>/.selfbook/book.db``.

All SQL selfbook runs lives under ``selfbook.store``. Migrations are numbered files
``migrations/mNNN_*.sql`` applied in order inside one transaction each; ``PRAGMA user_version``
records how far a database has come.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import BookError
from ..models import Chapter, DateRange, Decision, Entity, Entry, Flag, Installment, Merge, Outline, Section, Skip, Span
from .base import BookState, Placement, Postings, SearchIndexRows, SearchRows
from .fetched import FetchedRows
from .labels import LabelRows
from .rows import (
    COLUMNS, LABELS, NEW_DECISION, curation_rows, decisions_from, entry_rows, insert_sql, installments_from, outline_rows, postings_from, span,
    term_row,
)

DB_NAME = "book.db"


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for item in resources.files(__package__).joinpath("migrations").iterdir():
        name = item.name
        if name.startswith("m") and name.endswith(".sql"):
            found.append((int(name[1:4]), name, item.read_text(encoding="utf-8")))
    return sorted(found)


class SQLiteStore(FetchedRows, LabelRows):
    """A book's store in one SQLite file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise BookError(f"{self.path}: cannot open the book's store ({exc})") from None
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        migrations = _migrations()
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        newest = migrations[-1][0]
        if current > newest:
            raise BookError(
                f"{self.path}: this book was written by a newer selfbook (schema {current}, "
                f"this one knows {newest}) — upgrade selfbook"
            )
        for number, _name, sql in migrations:
            if number <= current:
                continue
            with self._transaction() as db:
                for statement in sql.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # -- meta ----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def committed(self, txid: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE txid = ?", (txid,)).fetchone() is not None

    # -- embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed by ``model`` for these content hashes."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT content_hash, dim, vector FROM embeddings WHERE model = ? AND content_hash IN ({marks})",
                (model, *chunk),
            )
            for content_hash, dim, blob in rows:
                found[content_hash] = np.frombuffer(blob, dtype="<f4", count=dim)
        return found

    def put_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Add vectors to the cache. The cache is not book state: it is committed on its own."""
        rows = [(h, model, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes()) for h, v in vectors.items()]
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    def cached_answer(self, model: str, prompt_hash: str) -> str | None:
        """The answer ``model`` gave to the prompt with this hash, if it was asked before."""
        row = self._db.execute("SELECT answer FROM llm_answers WHERE model = ? AND prompt_hash = ?", (model, prompt_hash)).fetchone()
        return row[0] if row else None

    def put_answer(self, model: str, prompt_hash: str, answer: str) -> None:
        """Keep an LLM answer (a cache, like the vectors': committed on its own)."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO llm_answers VALUES (?, ?, ?)", (model, prompt_hash, answer))

    # -- the book ----------------------------------------------------------------------------------
    def save_book(self, state: BookState, *, txid: str, command: str, report: Mapping) -> None:
        """Replace the book's entries and structure with ``state``, all in one transaction."""
        changed = self._changed(state)
        index = state.search_index
        if index is not None and not index.full and changed is None:
            index = None  # rows counted over entries this store does not hold: forget them, search counts afresh
        with self._transaction() as db:
            for table in ("placements", "sections", "chapters", "outline_params", "merges", "flags", "skips", "dumps"):
                db.execute(f"DELETE FROM {table}")
            if changed is None:
                db.execute("DELETE FROM entries")
                self._insert_entries(db, list(enumerate(state.entries)), state.content_hashes)
            else:
                self._rewrite_entries(db, state, changed)
            self._save_search_index(db, index)
            self._insert_outline(db, state.outline)
            db.executemany(
                "INSERT INTO merges VALUES (?, ?, ?, ?)",
                [(m.entry_id, i, m.reason, json.dumps([str(s) for s in m.sources])) for i, m in enumerate(state.merges)],
            )
            db.executemany("INSERT INTO flags VALUES (?, ?, ?, ?)", [(f.a, f.b, f.reason, f.score) for f in state.flags])
            db.executemany(
                "INSERT INTO skips VALUES (?, ?, ?, ?)",
                [(s.source.path, s.source.start, s.source.end, s.reason) for s in state.skips],
            )
            db.executemany("INSERT INTO dumps VALUES (?, ?, ?)", [(p, h, n) for p, (h, n) in sorted(state.dumps.items())])
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(state.meta.items()))
            self._save_curation(db, state)  # m003: installments and new decisions
            self._save_index_terms(db, state.index_terms)  # m004
            db.execute(
                "INSERT INTO runs (txid, command, finished, report) VALUES (?, ?, ?, ?)",
                (txid, command, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), json.dumps(report)),
            )

    def _changed(self, state: BookState) -> list[int] | None:
        """The positions of stored entries that ``state`` rewrites, when it keeps every stored
        entry at its position and only adds after them (an ``add`` whose search index rows are
        the changed ones too); else None: save it all."""
        if not state.base or state.search_index is None or state.search_index.full:
            return None
        stored = [row[0] for row in self._db.execute("SELECT id FROM entries ORDER BY position")]
        if stored != [e.id for e in state.base] or [e.id for e in state.entries[: len(stored)]] != stored:
            return None
        return [i for i, (was, now) in enumerate(zip(state.base, state.entries)) if was != now]

    def _rewrite_entries(self, db: sqlite3.Connection, state: BookState, changed: list[int]) -> None:
        """Rewrite the entries at ``changed`` positions and insert the new ones after the stored ones."""
        positions = [*changed, *range(len(state.base), len(state.entries))]
        for chunk in _chunks([state.entries[p].id for p in changed], 500):
            db.execute(f"DELETE FROM entries WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        self._insert_entries(db, [(p, state.entries[p]) for p in positions], state.content_hashes)

    @staticmethod
    def _insert_entries(db: sqlite3.Connection, placed: Sequence[tuple[int, Entry]], hashes: Mapping[str, str]) -> None:
        """Insert ``(position, entry)`` rows with everything each entry holds."""
        for table, rows in entry_rows(placed, hashes).items():
            db.executemany(insert_sql(table, "?"), rows)

    @staticmethod
    def _insert_outline(db: sqlite3.Connection, outline: Outline) -> None:
        for table, rows in outline_rows(outline).items():
            db.executemany(insert_sql(table, "?"), rows)

    def load_entries(self) -> list[Entry]:
        """Every entry, in reading order of first appearance."""
        return self._read_entries()

    def _read_entries(self, ids: Sequence[str] | None = None) -> list[Entry]:
        """Every entry, or those with these ids (at most a few hundred), in reading order."""
        db = self._db
        marks = ",".join("?" * len(ids)) if ids is not None else ""
        where, args = (f"WHERE entry_id IN ({marks})", tuple(ids)) if ids is not None else ("", ())
        grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for eid, url in db.execute(f"SELECT entry_id, url FROM entry_urls {where} ORDER BY entry_id, position", args):
            grouped[eid]["urls"].append(url)
        for eid, note in db.execute(f"SELECT entry_id, note FROM entry_notes {where} ORDER BY entry_id, position", args):
            grouped[eid]["notes"].append(note)
        for eid, kind, value in db.execute(f"SELECT entry_id, kind, value FROM entry_entities {where} ORDER BY entry_id, kind, value", args):
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
        params = tuple(db.execute("SELECT key, value FROM outline_params ORDER BY key").fetchall())
        return Outline(chapters, params)

    def load_merges(self) -> list[Merge]:
        rows = self._db.execute("SELECT entry_id, reason, sources FROM merges ORDER BY position")
        return [Merge(eid, tuple(span(s) for s in json.loads(src)), reason) for eid, reason, src in rows]

    def load_flags(self) -> list[Flag]:
        return [Flag(*row) for row in self._db.execute("SELECT a, b, reason, score FROM flags ORDER BY a, b")]

    def load_skips(self) -> list[Skip]:
        rows = self._db.execute("SELECT path, line_start, line_end, reason FROM skips ORDER BY path, line_start")
        return [Skip(Span(p, s, e), r) for p, s, e, r in rows]

    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, content_hash FROM entries"))

    def last_run(self) -> dict | None:
        row = self._db.execute("SELECT txid, command, finished, report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"txid": row[0], "command": row[1], "finished": row[2], "report": json.loads(row[3])}

    # == search (m002): the lexical index and what search reads; see selfbook.search ================
    @staticmethod
    def _save_search_index(db: sqlite3.Connection, index: SearchIndexRows | None) -> None:
        """Write the index's rows (all of them, or those an add changed); ``None`` forgets the index."""
        if index is None or index.full:
            db.execute("DELETE FROM search_terms")
            db.execute("DELETE FROM search_docs")
        if index is None:
            db.execute("DELETE FROM meta WHERE key = 'search_index'")
            return
        db.executemany("DELETE FROM search_terms WHERE term = ?", [(term,) for term in index.drop])
        db.executemany("INSERT OR REPLACE INTO search_terms VALUES (?, ?, ?, ?)", (term_row(t, p) for t, p in index.postings.items()))
        db.executemany("INSERT OR REPLACE INTO search_docs VALUES (?, ?, ?)", index.docs)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('search_index', ?)", (index.version,))

    def book_version(self) -> str | None:
        """The txid of the last saved book: it changes whenever the entries do."""
        row = self._db.execute("SELECT txid FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def search_index_version(self) -> str | None:
        """Which search terms counted the stored index (``search_index``); None when there is none."""
        return self.get_meta("search_index")

    def save_search_index(self, index: SearchIndexRows) -> None:
        """Put these rows of the index in place of the stored ones, in a transaction of their own."""
        with self._transaction() as db:
            self._save_search_index(db, index)

    def search_rows(self) -> SearchRows:
        """Kind, section, dates and field lengths of every entry, by position."""
        rows = self._db.execute(
            # julianday() - 1721424 is Python's date.toordinal()
            "SELECT e.kind, p.section_id, CAST(julianday(e.date_start) AS INTEGER) - 1721424, "
            "CAST(julianday(e.date_end) AS INTEGER) - 1721424, d.title_len, d.body_len "
            "FROM entries e LEFT JOIN placements p ON p.entry_id = e.id LEFT JOIN search_docs d ON d.position = e.position "
            "ORDER BY e.position"
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

    def search_postings(self, terms: Sequence[str]) -> dict[str, Postings]:
        """The postings of those ``terms`` that occur in the book."""
        found = {}
        for chunk in _chunks(sorted(set(terms)), 900):
            rows = self._db.execute(
                f"SELECT term, positions, title_tf, body_tf FROM search_terms WHERE term IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for term, *row in rows:
                found[term] = postings_from(*row)
        return found

    def search_vectors(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        """Entry positions that have a cached ``model`` vector, and those vectors (float32 rows)."""
        positions: list[int] = []
        blobs: list[bytes] = []
        dims = set()
        for position, dim, blob in self._db.execute(
            "SELECT e.position, v.dim, v.vector FROM entries e JOIN embeddings v "
            "ON v.content_hash = e.content_hash AND v.model = ? ORDER BY e.position",
            (model,),
        ):
            positions.append(position)
            blobs.append(blob)
            dims.add(dim)
        if len(dims) > 1:
            raise BookError(f"{self.path}: vectors of {model} have several sizes {sorted(dims)} — rebuild the book")
        dim = dims.pop() if dims else 0
        matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(positions), dim)
        return np.array(positions, dtype=np.int64), matrix

    def positions_from_source(self, source: str) -> np.ndarray:
        """Positions of entries with a copy from ``source``: that path, or a path ending in /source."""
        pattern = "%/" + source.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT DISTINCT e.position FROM entry_sources s JOIN entries e ON e.id = s.entry_id "
            "WHERE s.path = ? OR s.path LIKE ? ESCAPE '\\'",
            (source, pattern),
        )
        return np.array(sorted(r[0] for r in rows), dtype=np.int64)

    def load_placed(self, positions: Sequence[int]) -> list[Placement]:
        """The entries at ``positions`` (in that order) with their chapter and section."""
        placed: dict[int, tuple[str, str, str, str, str]] = {}
        for i in range(0, len(positions), 500):
            chunk = [int(p) for p in positions[i : i + 500]]
            rows = self._db.execute(
                "SELECT e.position, e.id, c.id, c.title, s.id, s.title FROM entries e "
                "JOIN placements p ON p.entry_id = e.id JOIN sections s ON s.id = p.section_id "
                f"JOIN chapters c ON c.id = s.chapter_id WHERE e.position IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            placed.update((row[0], row[1:]) for row in rows)
        lost = [p for p in positions if p not in placed]
        if lost:
            raise BookError(f"{self.path}: entry position {lost[0]} is in no section — rebuild the book")
        ids = [placed[p][0] for p in positions]
        entries = {}
        for i in range(0, len(ids), 500):
            entries.update((e.id, e) for e in self._read_entries(ids[i : i + 500]))
        return [(entries[placed[p][0]], *placed[p][1:]) for p in positions]
    # == end search ===================================================================================

    # == installments and decisions (m003); see selfbook.update and selfbook.curate ================
    @staticmethod
    def _save_curation(db: sqlite3.Connection, state: BookState) -> None:
        """Rewrite the installments (computed state); append the new decisions (never rewritten)."""
        db.execute("DELETE FROM installment_items")
        db.execute("DELETE FROM installments")
        for table, rows in curation_rows(state).items():
            db.executemany(insert_sql(table, "?", NEW_DECISION if table == "decisions" else None), rows)

    def load_installments(self) -> list[Installment]:
        """The dumps added with ``selfbook add``, oldest first."""
        items = self._db.execute("SELECT installment, role, item FROM installment_items ORDER BY installment, role, position")
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS['installments'])} FROM installments ORDER BY position")
        return installments_from(rows.fetchall(), items.fetchall())

    def load_dumps(self) -> dict[str, tuple[str, int]]:
        """The dumps the book was built from: path -> (sha256, entries)."""
        return {path: (sha, n) for path, sha, n in self._db.execute("SELECT path, sha256, entries FROM dumps ORDER BY path")}

    def load_decisions(self) -> list[Decision]:
        """Every decision the person made, in the order they were made."""
        return decisions_from(self._db.execute(f"SELECT {', '.join(COLUMNS['decisions'])} FROM decisions ORDER BY number"))
    # == end installments and decisions ===============================================================

    # == the index's term counts (m004); see selfbook.book.index_terms ===============================
    @staticmethod
    def _save_index_terms(db: sqlite3.Connection, terms) -> None:
        """Write the groups counted (all of them, or those an add touched); ``None`` forgets them."""
        if terms is None or terms.full:
            db.execute("DELETE FROM index_terms")
        if terms is None:
            db.execute("DELETE FROM meta WHERE key = 'index_terms'")
            return
        db.executemany("DELETE FROM index_terms WHERE stem = ?", [(stem,) for stem in terms.drop])
        db.executemany("INSERT OR REPLACE INTO index_terms VALUES (?, ?, ?, ?, ?, ?, ?)", terms.rows)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('index_terms', ?)", (terms.version,))

    def index_terms_version(self) -> str | None:
        """Which counting wrote the stored groups; None when there are none to trust."""
        return self.get_meta("index_terms")

    def index_term_groups(self, stems: Iterable[str]) -> dict[str, str]:
        """The stored groups with these stems: stem -> variants (JSON)."""
        found = {}
        for chunk in _chunks(sorted(set(stems)), 900):
            rows = self._db.execute(f"SELECT stem, variants FROM index_terms WHERE stem IN ({','.join('?' * len(chunk))})", chunk)
            found.update(rows)
        return found

    def index_term_candidates(self, offset: int, limit: int) -> list[tuple[str, str, str, int, str]]:
        """``(stem, phrase, form, entries, ids)`` of the groups in two entries or more, best ranked
        first (score, then phrase by code point), ``limit`` of them from ``offset``."""
        return self._db.execute(
            "SELECT stem, phrase, form, entries, ids FROM index_terms WHERE score IS NOT NULL ORDER BY score DESC, phrase LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
    # == end index terms ==============================================================================


def open_sqlite(state_dir: Path) -> SQLiteStore:
    return SQLiteStore(Path(state_dir) / DB_NAME)


def _chunks(items: Sequence, size: int) -> Iterator[list]:
    """``items`` in lists of at most ``size``: SQL ``IN (…)`` lists stay under SQLite's limit."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
