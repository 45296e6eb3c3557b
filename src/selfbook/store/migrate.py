"""Moving a book between stores: ``selfbook migrate --book DIR --to postgresql://…|sqlite``.

Both stores hold the same tables, column for column (``migrations/`` and ``migrations_pg/``), so a
move copies every table row by row: entries, the embedding cache, outline, merges, flags, skips,
dumps, installments, decisions, meta, the history of runs and the search index. Rows travel in
the SQLite store's form (dates as ISO text, vectors as little-endian float32 bytes); PostgreSQL
turns vectors into pgvector values and fills its full-text column and HNSW indexes.

The target must be empty. The book then records its new store; the old copy is kept (SQLite's
file renamed ``book.db.migrated``; a PostgreSQL database is left as it was).
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import BookError
from . import SQLITE, check_url, open_store, record_store, recorded_store, redact
from .sqlite import DB_NAME, SQLiteStore

log = logging.getLogger(__name__)

STATE_DIR = ".selfbook"

TABLES: dict[str, tuple[str, ...]] = {  # in an order that keeps foreign keys satisfied
    "meta": ("key", "value"),
    "entries": ("id", "position", "title", "title_derived", "kind", "lang", "script", "date_start", "date_end", "date_text", "content_hash"),
    "entry_urls": ("entry_id", "position", "url"),
    "entry_notes": ("entry_id", "position", "note"),
    "entry_entities": ("entry_id", "kind", "value"),
    "entry_sources": ("entry_id", "position", "path", "line_start", "line_end"),
    "entry_labels": ("entry_id", "kind", "position", "value"),
    "chapters": ("id", "position", "title", "description"),
    "sections": ("id", "chapter_id", "position", "title", "misc"),
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
}

Rows = list[tuple]


@dataclass(frozen=True)
class MigrateReport:
    book: str
    source: str            # "SQLite" or the URL without its password
    target: str
    rows: dict[str, int]   # table -> rows moved

    def to_dict(self) -> dict:
        return {"book": self.book, "from": self.source, "to": self.target, "rows": dict(self.rows)}


def migrate_book(book_dir: str | Path, to: str) -> MigrateReport:
    """Move the book in ``book_dir`` into the store ``to`` (``"sqlite"`` or a PostgreSQL URL)."""
    book_dir = Path(book_dir)
    state_dir = book_dir / STATE_DIR
    if not state_dir.is_dir():
        raise BookError(f"{book_dir}: no book here yet — run 'selfbook build DUMP --book {book_dir}'")
    to = check_url(to)
    have = recorded_store(state_dir)
    if to == have:
        raise BookError(f"{book_dir}: the book is already kept in {redact(to)} — nothing to move")
    with _locked(state_dir, book_dir):
        source = open_store(state_dir, writer=True)
        try:
            tables = {table: read_rows(source, table) for table in TABLES}
        finally:
            source.close()
        if to == SQLITE:
            _write_sqlite(state_dir, tables)
        else:
            _write_postgres(to, tables)
        if have == SQLITE:
            (state_dir / DB_NAME).replace(state_dir / (DB_NAME + ".migrated"))
        record_store(state_dir, to)
    log.info("moved %s from %s to %s", book_dir, redact(have), redact(to))
    return MigrateReport(str(book_dir), redact(have), redact(to), {t: len(r) for t, r in tables.items()})


@contextmanager
def _locked(state_dir: Path, book_dir: Path) -> Iterator[None]:
    """The book's own lock (the one :class:`selfbook.Library` takes to write)."""
    with open(state_dir / "lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BookError(f"{book_dir}: another selfbook command is writing this book — wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_rows(store, table: str) -> Rows:
    """Every row of ``table``, in the SQLite store's form, sorted (the same order from either store)."""
    columns = list(TABLES[table])
    if isinstance(store, SQLiteStore):
        rows = [tuple(r) for r in store._db.execute(f"SELECT {', '.join(columns)} FROM {table}")]
    else:
        if table == "embeddings":
            columns[-1] = "vector::real[]"
        rows = [tuple(r) for r in store._db.execute(f"SELECT {', '.join(columns)} FROM {table}")]
        if table == "embeddings":
            rows = [(*r[:-1], np.asarray(r[-1], dtype="<f4").tobytes()) for r in rows]
    return sorted(rows, key=lambda row: [(True, 0) if v is None else (False, v) for v in row])


def _write_sqlite(state_dir: Path, tables: dict[str, Rows]) -> None:
    """Write the rows into a new SQLite file, then put it in place of any old one."""
    tmp = state_dir / (DB_NAME + ".migrating")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    target = SQLiteStore(tmp)
    try:
        with target._transaction() as db:
            for table, rows in tables.items():
                columns = TABLES[table]
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        target.close()
    for stale in (state_dir / f"{DB_NAME}-wal", state_dir / f"{DB_NAME}-shm"):
        stale.unlink(missing_ok=True)
    tmp.replace(state_dir / DB_NAME)


def _write_postgres(url: str, tables: dict[str, Rows]) -> None:
    """Write the rows into an empty PostgreSQL database, in one transaction."""
    from .postgres import PostgresStore, _vector_text  # an optional dependency: psycopg

    target = PostgresStore(url, writer=True)
    try:
        if target.book_version() is not None or target._db.execute("SELECT 1 FROM entries LIMIT 1").fetchone():
            raise BookError(f"{target.path}: this database already holds a book — move into an empty database")
        with target._transaction() as cur:
            for table, rows in tables.items():
                columns = TABLES[table]
                marks = ["%s"] * len(columns)
                if table == "embeddings":
                    marks[-1] = "%s::vector"
                    rows = [(*r[:-1], _vector_text(np.frombuffer(r[-1], dtype="<f4"))) for r in rows]
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})", rows)
            target.index_fulltext(cur)
            for model, dim in sorted({(r[1], r[2]) for r in tables["embeddings"]}):
                target._ensure_index(cur, model, dim)
            for table, column in (("runs", "id"), ("decisions", "number")):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce(max({column}), 0) + 1, false) FROM {table}")
    finally:
        target.close()
