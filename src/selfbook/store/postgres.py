"""The PostgreSQL store: a shared, team-sized book in a PostgreSQL database (no extension needed).

Chosen with ``--store postgresql://…`` (or ``SELFBOOK_STORE``); see :func:`selfbook.store.open_store`.
The tables are the SQLite store's, column for column (:mod:`selfbook.store.schema`), so the search engine
reads the same postings and vectors and gives the same results on both stores; the embedding cache
keeps each vector as bytes in pgvector's binary form (:func:`_vector_bytes`), the form of the
pgvector column it had before step 011.

Writers: a store opened with ``writer=True`` holds a PostgreSQL advisory lock for the book until
it is closed, so two ``selfbook add`` on different machines run one after the other, each on the
book the other left. ``save_book`` also refuses to save over a book another writer changed since
this store read it.
"""

from __future__ import annotations

import logging
import struct
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

import psycopg

from ..errors import BookError
from . import redact, schema
from .base import BookState, Closing, Postings, SearchIndexRows
from .book_rows import BookRows
from .postgres_terms import PostgresIndexTerms
from .fetched import FetchedRows
from .labels import LabelRows
from .rows import NEW_RUN, insert_entries, insert_sql, postings_from, run_row, saved_rows, term_row

if TYPE_CHECKING:  # arrays are search's and the embedder's: reading a book's entries needs no numpy
    import numpy as np

log = logging.getLogger(__name__)

LOCK_KEY = 0x5E1FB00C
"""The advisory lock a writer holds: one book per database."""

WRITER_WAIT_S = 300
"""How long a writer waits for another one to finish before giving up."""

class PostgresStore(Closing, BookRows, FetchedRows, LabelRows, PostgresIndexTerms):
    """A book's store in a PostgreSQL database. Use as a context manager, or :meth:`close`."""

    MARK = "%s"
    COLLATE = ' COLLATE "C"'
    ORDINAL = "{}::date - DATE '0001-01-01' + 1"  # days since 0001-01-01, plus one, is date.toordinal()

    def _in(self, column: str, values: Sequence) -> tuple[str, tuple]:
        return f"{column} = ANY(%s)", (list(values),)

    def __init__(self, url: str, *, writer: bool = False) -> None:
        self.url = url
        self.path = redact(url)  # what messages name, as the SQLite store names its file
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except (psycopg.Error, ValueError) as exc:
            raise BookError(
                f"cannot connect to the PostgreSQL store {self.path}: {str(exc).strip()} — check the URL "
                "(--store or SELFBOOK_STORE, recorded in the book's .selfbook/store.toml) and that the server is running"
            ) from None
        self._writer = writer
        try:
            if writer:
                self._lock_writer()
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        self._seen = self.book_version()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        if not self._db.closed:
            self._db.close()  # ends the session: its advisory lock goes with it

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor]:
        with self._db.transaction(), self._db.cursor() as cur:
            yield cur

    def _lock_writer(self) -> None:
        self._db.execute(f"SET lock_timeout = '{WRITER_WAIT_S}s'")
        try:
            self._db.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise BookError(f"{self.path}: another selfbook command has been writing this book for {WRITER_WAIT_S}s — try again later") from None
        finally:
            self._db.execute("SET lock_timeout = 0")

    def _migrate(self) -> None:
        """Run the schema's steps this database lacks, all in one transaction."""
        try:
            with self._transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY + 1,))  # one migrator at a time
                schema.migrate("pg", self._recorded_step(cur), self.path, partial(self._apply, cur))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise BookError(f"{self.path}: cannot set up the book's tables ({str(exc).strip().splitlines()[0]}) — open the book once as "
                            "the database's owner, or use a database you own") from None

    @staticmethod
    def _recorded_step(cur: psycopg.Cursor) -> int:
        """The last step this database has. ``selfbook_schema`` holds its number, and a column
        ``numbering`` since the stores share one list of steps: a table without it counted
        PostgreSQL's own steps, and is converted here, once. A role that may only read a book
        that is up to date opens it (so the table is made only when missing: CREATE TABLE IF NOT
        EXISTS needs the right to create)."""
        if cur.execute("SELECT to_regclass('selfbook_schema')").fetchone()[0] is None:
            cur.execute("CREATE TABLE selfbook_schema (version INTEGER NOT NULL, numbering TEXT NOT NULL DEFAULT 'shared')")
        row = cur.execute("SELECT * FROM selfbook_schema").fetchone()  # *: which columns it has
        old = len(cur.description) == 1
        if old:
            cur.execute("ALTER TABLE selfbook_schema ADD COLUMN numbering TEXT NOT NULL DEFAULT 'shared'")
        if row is None:
            cur.execute("INSERT INTO selfbook_schema (version) VALUES (0)")
            return 0
        if old:
            cur.execute("UPDATE selfbook_schema SET version = %s", (schema.from_old_postgres(row[0]),))
            return schema.from_old_postgres(row[0])
        return row[0]

    @staticmethod
    def _apply(cur: psycopg.Cursor, step: schema.Step) -> None:
        for statement in step.statements:
            cur.execute(statement)
        cur.execute("UPDATE selfbook_schema SET version = %s", (step.number,))

    @property
    def schema_version(self) -> int:
        return self._db.execute("SELECT version FROM selfbook_schema").fetchone()[0]

    # -- meta ----------------------------------------------------------------------------------
    def committed(self, txid: str) -> bool:
        """Whether the write ``txid`` committed. A writer killed while committing can leave its
        session on the server a moment longer, still holding the writers' lock with its COMMIT
        under way: before answering no, wait for that lock (the session's end), then look again."""
        if self._has_run(txid):
            return True
        self._lock_writer()  # re-entrant: a writer's own store already holds it
        self._db.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        return self._has_run(txid)

    def _has_run(self, txid: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE txid = %s", (txid,)).fetchone() is not None

    # -- embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed by ``model`` for these content hashes."""
        rows = self._db.cursor(binary=True).execute(
            "SELECT content_hash, dim, vector FROM embeddings WHERE model = %s AND content_hash = ANY(%s)",
            (model, sorted(set(hashes))),
        )
        return {h: _vector_of(blob, dim) for h, dim, blob in rows}

    def put_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Add vectors to the cache."""
        rows = [(h, model, int(v.shape[0]), _vector_bytes(v)) for h, v in vectors.items()]
        with self._transaction() as cur:
            cur.executemany(
                "INSERT INTO embeddings VALUES (%s, %s, %s, %s) ON CONFLICT (content_hash, model) "
                "DO UPDATE SET dim = excluded.dim, vector = excluded.vector",
                rows,
            )

    def cached_answer(self, model: str, prompt_hash: str) -> str | None:
        """The answer ``model`` gave to the prompt with this hash, if it was asked before."""
        row = self._db.execute("SELECT answer FROM llm_answers WHERE model = %s AND prompt_hash = %s", (model, prompt_hash)).fetchone()
        return row[0] if row else None

    def put_answer(self, model: str, prompt_hash: str, answer: str) -> None:
        """Keep an LLM answer (a cache, like the vectors': committed on its own)."""
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO llm_answers VALUES (%s, %s, %s) ON CONFLICT (model, prompt_hash) DO UPDATE SET answer = excluded.answer",
                (model, prompt_hash, answer),
            )

    # -- the book ----------------------------------------------------------------------------------
    def save_book(self, state: BookState, *, txid: str, command: str, report: Mapping) -> None:
        """Replace the book's entries and structure with ``state``, all in one transaction."""
        index = state.search_index
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY + 2,))  # savers one at a time
            now = self._book_version(cur)
            if now != self._seen:
                raise BookError(
                    f"{self.path}: another selfbook command saved this book while this one ran — run this command again"
                )
            if index is not None and not index.full and self._stored_ids(cur) != [e.id for e in state.base]:
                index = None  # rows counted over entries this store does not hold: forget them, search counts afresh
            for table in ("placements", "sections", "chapters", "outline_params", "merges", "flags", "skips", "dumps", "entries"):
                cur.execute(f"DELETE FROM {table}")
            insert_entries(cur, "%s", list(enumerate(state.entries)), state.content_hashes)
            self._save_search_index(cur, index)
            for table, rows in saved_rows(state).items():
                cur.executemany(insert_sql(table, "%s"), rows)
            self._put_meta(cur, sorted(state.meta.items()))
            self._save_curation(cur, state)
            self._save_index_terms(cur, state.index_terms)  # m004
            cur.execute(insert_sql("runs", "%s", NEW_RUN), run_row(txid, command, report))
        self._seen = txid

    @staticmethod
    def _stored_ids(cur: psycopg.Cursor) -> list[str]:
        return [row[0] for row in cur.execute("SELECT id FROM entries ORDER BY position")]

    @staticmethod
    def _put_meta(cur: psycopg.Cursor, items: Sequence[tuple[str, str]]) -> None:
        cur.executemany(
            "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", list(items)
        )

    # == search: the lexical index and what search reads; see selfbook.search ==========================
    def _save_search_index(self, cur: psycopg.Cursor, index: SearchIndexRows | None) -> None:
        """Write the index's rows (all of them, or those an add changed; by COPY); ``None`` forgets the index."""
        if not self._make_room(cur, index, "search_index", "search_terms", "search_docs"):
            return
        if not index.full:
            cur.execute("DELETE FROM search_terms WHERE term = ANY(%s)", ([*index.drop, *index.postings],))
            cur.execute("DELETE FROM search_docs WHERE position = ANY(%s)", ([d[0] for d in index.docs],))
        with cur.copy("COPY search_docs (position, title_len, body_len) FROM STDIN") as copy:
            for row in index.docs:
                copy.write_row(row)
        with cur.copy("COPY search_terms (term, positions, title_tf, body_tf) FROM STDIN") as copy:
            for term, postings in index.postings.items():
                copy.write_row(term_row(term, postings))
        self._put_meta(cur, [("search_index", index.version)])

    @staticmethod
    def _book_version(cur: psycopg.Cursor | psycopg.Connection) -> str | None:
        row = cur.execute("SELECT txid FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def book_version(self) -> str | None:
        """The txid of the last saved book: it changes whenever the entries do."""
        return self._book_version(self._db)

    def save_search_index(self, index: SearchIndexRows) -> None:
        """Put these rows of the index in place of the stored ones, in a transaction of their own."""
        with self._transaction() as cur:
            self._save_search_index(cur, index)

    def search_postings(self, terms: Sequence[str]) -> dict[str, Postings]:
        """The postings of those ``terms`` that occur in the book."""
        rows = self._db.execute(
            "SELECT term, positions, title_tf, body_tf FROM search_terms WHERE term = ANY(%s)", (sorted(set(terms)),)
        )
        return {term: postings_from(*row) for term, *row in rows}

    def _vector_cursor(self) -> psycopg.Cursor:
        return self._db.cursor(binary=True)  # bytea as the bytes themselves, not parsed from hex text

    @staticmethod
    def _vector_matrix(stored: Sequence, dim: int) -> np.ndarray:
        import numpy as np  # deferred: see the imports

        matrix = np.empty((len(stored), dim), dtype=np.float32)
        for row, blob in enumerate(stored):
            matrix[row] = _vector_of(blob, dim)
        return matrix


def _vector_bytes(v: np.ndarray) -> bytes:
    """A vector as this store keeps it: pgvector's binary form (int16 size, int16 zero, the size's
    big-endian float4s), what the column of pgvector's type sent before step 011 made it bytea.
    :func:`_vector_of` reads it back, bit for bit."""
    import numpy as np  # deferred: see the imports

    v = np.asarray(v, dtype=np.float32)
    return struct.pack(">hh", v.shape[0], 0) + v.astype(">f4").tobytes()


def _vector_of(blob: bytes, dim: int) -> np.ndarray:
    """A stored vector (:func:`_vector_bytes`) of size ``dim`` as float32: fetched as bytes, a
    million vectors never become Python floats."""
    import numpy as np  # deferred: see the imports

    return np.frombuffer(blob, dtype=">f4", count=dim, offset=4).astype(np.float32)
