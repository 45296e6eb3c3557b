"""The SQLite store: a book's state in ``<book>/.selfbook/book.db``.

All SQL selfbook runs lives under ``selfbook.store``. The schema is the numbered steps of
:mod:`selfbook.store.schema` (``migrations/NNN_*.sql``), applied in order inside one
transaction each; ``PRAGMA user_version`` records how far a database has come.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from ..errors import BookError
from . import schema
from .base import BookState, Closing, Postings, SearchIndexRows
from .book_rows import BookRows
from .fetched import FetchedRows
from .labels import LabelRows
from .rows import NEW_RUN, insert_entries, insert_sql, postings_from, run_row, saved_rows, term_row

if TYPE_CHECKING:
    import numpy as np

DB_NAME = "book.db"


class SQLiteStore(Closing, BookRows, FetchedRows, LabelRows):
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
        schema.migrate("sqlite", self.schema_version, str(self.path), self._apply)

    def _apply(self, step: schema.Step) -> None:
        with self._transaction() as db:
            for statement in step.statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step.number}")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # -- meta ----------------------------------------------------------------------------------
    def committed(self, txid: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE txid = ?", (txid,)).fetchone() is not None

    # -- embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed by ``model`` for these content hashes."""
        import numpy as np  # deferred: the embedder's (a command that only reads the book needs no numpy)

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
        rows = [(h, model, int(v.shape[0]), v.astype("<f4", copy=False).tobytes()) for h, v in vectors.items()]
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
                insert_entries(db, "?", list(enumerate(state.entries)), state.content_hashes)
            else:
                self._rewrite_entries(db, state, changed)
            self._save_search_index(db, index)
            for table, rows in saved_rows(state).items():
                db.executemany(insert_sql(table, "?"), rows)
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(state.meta.items()))
            self._save_curation(db, state)  # m003: installments and new decisions
            self._save_index_terms(db, state.index_terms)  # m004
            db.execute(insert_sql("runs", "?", NEW_RUN), run_row(txid, command, report))

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
        insert_entries(db, "?", [(p, state.entries[p]) for p in positions], state.content_hashes)

    # == search (m002): the lexical index and what search reads; see selfbook.search ================
    def _save_search_index(self, db: sqlite3.Connection, index: SearchIndexRows | None) -> None:
        """Write the index's rows (all of them, or those an add changed); ``None`` forgets the index."""
        if not self._make_room(db, index, "search_index", "search_terms", "search_docs"):
            return
        db.executemany("DELETE FROM search_terms WHERE term = ?", [(term,) for term in index.drop])
        db.executemany("INSERT OR REPLACE INTO search_terms VALUES (?, ?, ?, ?)", (term_row(t, p) for t, p in index.postings.items()))
        db.executemany("INSERT OR REPLACE INTO search_docs VALUES (?, ?, ?)", index.docs)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('search_index', ?)", (index.version,))

    def book_version(self) -> str | None:
        """The txid of the last saved book: it changes whenever the entries do."""
        row = self._db.execute("SELECT txid FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def save_search_index(self, index: SearchIndexRows) -> None:
        """Put these rows of the index in place of the stored ones, in a transaction of their own."""
        with self._transaction() as db:
            self._save_search_index(db, index)

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

    # == end search ===================================================================================

    # == the index's term counts (m004); see selfbook.book.index_terms ===============================
    def _save_index_terms(self, db: sqlite3.Connection, terms) -> None:
        """Write the groups counted (all of them, or those an add touched); ``None`` forgets them."""
        if not self._make_room(db, terms, "index_terms", "index_terms"):
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
