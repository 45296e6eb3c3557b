"""Moving a book between stores: ``selfbook migrate --book DIR --to postgresql://…|sqlite``.

Both stores hold the same tables, column for column (the steps of ``schema.py``), so a
move copies every table row by row: entries, the embedding cache, outline, merges, flags, skips,
dumps, installments, decisions, meta, the history of runs and the search index. Rows travel in
the SQLite store's form (dates as ISO text, vectors as little-endian float32 bytes); PostgreSQL
keeps vectors in its own byte form (``postgres._vector_bytes``).

The target must be empty. The book then records its new store; the old copy is kept (SQLite's
file renamed ``book.db.migrated``; a PostgreSQL database is left as it was).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import BookError
from . import SQLITE, check_url, open_store, record_store, recorded_store, redact, writer_lock
from .rows import COLUMNS
from .sqlite import DB_NAME, SQLiteStore

log = logging.getLogger(__name__)

STATE_DIR = ".selfbook"

TABLES = COLUMNS  # every table, in an order that keeps foreign keys satisfied

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
    """Move the book in ``book_dir`` into the store ``to`` (``"sqlite"`` or a PostgreSQL URL).

    Rows stream from one store to the other a chunk at a time (``CHUNK`` rows), so a book of any
    size moves in bounded memory; the target is written in one transaction."""
    book_dir = Path(book_dir)
    state_dir = book_dir / STATE_DIR
    if not state_dir.is_dir():
        raise BookError(f"{book_dir}: no book here yet — run 'selfbook build DUMP --book {book_dir}'")
    to = check_url(to)
    have = recorded_store(state_dir)
    if to == have:
        raise BookError(f"{book_dir}: the book is already kept in {redact(to)} — nothing to move")
    with writer_lock(state_dir, book_dir):
        source = open_store(state_dir, writer=True)
        try:
            chunks = {table: read_rows(source, table) for table in TABLES}
            moved = _write_sqlite(state_dir, chunks) if to == SQLITE else _write_postgres(to, chunks)
        finally:
            source.close()
        if have == SQLITE:
            (state_dir / DB_NAME).replace(state_dir / (DB_NAME + ".migrated"))
        if to == SQLITE:
            (state_dir / (DB_NAME + ".migrating")).replace(state_dir / DB_NAME)
        record_store(state_dir, to)
    log.info("moved %s from %s to %s", book_dir, redact(have), redact(to))
    return MigrateReport(str(book_dir), redact(have), redact(to), moved)


CHUNK = 5000
"""Rows read, converted and written at a time."""
BLOBS = {"embeddings": "vector", "search_terms": "positions"}
"""Tables whose rows are sorted by the columns before their first blob (their key), not by all."""


def read_rows(store, table: str) -> Iterator[Rows]:
    """Every row of ``table`` in the SQLite store's form, in chunks, sorted by its columns (the
    same order from either store). Reading starts at the first ``next()``."""
    columns = list(TABLES[table])
    key = columns[: columns.index(BLOBS[table])] if table in BLOBS else columns
    order = ", ".join(key)
    if isinstance(store, SQLiteStore):
        cursor = store._db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
        while rows := cursor.fetchmany(CHUNK):
            yield [tuple(r) for r in rows]
        return
    from .postgres import _vector_of  # an optional dependency: psycopg

    text = {
        name for name, kind in store._db.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        if kind == "text"
    }
    with store._db.transaction(), store._db.cursor(name=f"migrate_{table}", binary=table == "embeddings") as cursor:
        byte_order = ", ".join(f'{c} COLLATE "C"' if c in text else c for c in key)  # as SQLite sorts text
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {byte_order}")
        while rows := cursor.fetchmany(CHUNK):
            if table == "embeddings":
                rows = [(h, m, d, _vector_of(v, d).astype("<f4").tobytes()) for h, m, d, v in rows]
            yield [tuple(r) for r in rows]


def _write_sqlite(state_dir: Path, tables: dict[str, Iterator[Rows]]) -> dict[str, int]:
    """Write the rows into a new SQLite file (``book.db.migrating``; the caller puts it in place)."""
    tmp = state_dir / (DB_NAME + ".migrating")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    target = SQLiteStore(tmp)
    moved = {}
    try:
        with target._transaction() as db:
            for table, chunks in tables.items():
                columns = TABLES[table]
                moved[table] = 0
                for rows in chunks:
                    db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
                    moved[table] += len(rows)
    finally:
        target.close()
    for stale in (state_dir / f"{DB_NAME}-wal", state_dir / f"{DB_NAME}-shm"):
        stale.unlink(missing_ok=True)
    return moved


def _write_postgres(url: str, tables: dict[str, Iterator[Rows]]) -> dict[str, int]:
    """Write the rows into an empty PostgreSQL database with COPY, in one transaction."""
    from .postgres import PostgresStore, _vector_bytes  # an optional dependency: psycopg

    target = PostgresStore(url, writer=True)
    moved = {}
    try:
        if target.book_version() is not None or target._db.execute("SELECT 1 FROM entries LIMIT 1").fetchone():
            raise BookError(f"{target.path}: this database already holds a book — move into an empty database")
        with target._transaction() as cur:
            for table, chunks in tables.items():
                moved[table] = 0
                with cur.copy(f"COPY {table} ({', '.join(TABLES[table])}) FROM STDIN") as copy:
                    for rows in chunks:
                        for row in rows:
                            if table == "embeddings":
                                row = (*row[:-1], _vector_bytes(np.frombuffer(row[-1], dtype="<f4")))
                            copy.write_row(row)
                        moved[table] += len(rows)
            for table, column in (("runs", "id"), ("decisions", "number")):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), coalesce(max({column}), 0) + 1, false) FROM {table}")
    finally:
        target.close()
    return moved
