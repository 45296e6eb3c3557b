"""The only code in selfbook that runs SQL. See :mod:`selfbook.store.base` for the seam.

Two stores: SQLite (``sqlite.py``, the embedded default, ``.selfbook/book.db``) and PostgreSQL
(``postgres.py``, for shared books), chosen by a ``postgresql://`` URL. A book kept in
PostgreSQL records its URL in ``.selfbook/store.toml``, so later commands open the same store
without being told.
"""

from __future__ import annotations

import fcntl
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

from ..errors import BookError
from .base import BookState, Store
from .sqlite import DB_NAME, SQLiteStore, open_sqlite

__all__ = ["BookState", "Store", "SQLiteStore", "open_store", "recorded_store", "record_store"]

STORE_FILE = "store.toml"
SQLITE = "sqlite"
SCHEMES = ("postgresql://", "postgres://")


def recorded_store(state_dir: Path) -> str:
    """The store a book records: a PostgreSQL URL, or ``"sqlite"``."""
    path = Path(state_dir) / STORE_FILE
    if not path.is_file():
        return SQLITE
    try:
        url = tomllib.loads(path.read_text(encoding="utf-8")).get("url", "")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BookError(f"{path}: {exc} — fix the file (url = \"postgresql://…\") or delete it to use SQLite") from None
    if not isinstance(url, str) or not url.startswith(SCHEMES):
        raise BookError(f"{path}: url must be a postgresql:// URL, not {url!r} — fix it, or delete the file to use SQLite")
    return url


def record_store(state_dir: Path, url: str) -> None:
    """Record the store a book uses (``"sqlite"`` removes the record: SQLite is the default)."""
    path = Path(state_dir) / STORE_FILE
    if url == SQLITE:
        path.unlink(missing_ok=True)
        return
    text = "# The store of this book (written by selfbook; move it with 'selfbook migrate').\nurl = " + _toml_string(url) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_url(url: str) -> str:
    """``url`` as a store name: ``"sqlite"`` or a PostgreSQL URL."""
    if url in ("", SQLITE):
        return SQLITE
    if not url.startswith(SCHEMES):
        raise BookError(f"store {url!r} is neither 'sqlite' nor a postgresql:// URL — e.g. --store postgresql://user@host/dbname")
    return url


def open_store(state_dir: Path, url: str | None = None, *, writer: bool = False) -> Store:
    """Open (creating and migrating as needed) a book's store: the one its ``.selfbook`` folder
    records, else SQLite, else the PostgreSQL database at ``url`` for a new book.

    ``url`` (from ``--store`` / ``SELFBOOK_STORE``) picks the store of a book that has none yet; for
    a book that already has one it must name that one (moving a book is ``selfbook migrate``).
    ``writer``: on PostgreSQL, wait for other writers of the book and keep them waiting until closed.
    """
    state_dir = Path(state_dir)
    wanted = check_url(url or "")
    has = recorded_store(state_dir)
    if has == SQLITE and wanted != SQLITE:
        if (state_dir / DB_NAME).exists():
            raise BookError(
                f"{state_dir.parent}: this book is kept in SQLite, not in {redact(wanted)} — "
                f"move it with 'selfbook migrate --book {state_dir.parent} --to URL', or drop --store / SELFBOOK_STORE"
            )
        has = wanted
    elif url and wanted != has:
        raise BookError(
            f"{state_dir.parent}: this book is kept in {redact(has)}, not in {redact(wanted)} — "
            f"move it with 'selfbook migrate --book {state_dir.parent} --to ...', or drop --store / SELFBOOK_STORE"
        )
    if has == SQLITE:
        return open_sqlite(state_dir)
    store = _open_postgres(has, writer=writer)
    if not (state_dir / STORE_FILE).is_file():
        record_store(state_dir, has)
    return store


def _open_postgres(url: str, *, writer: bool = False) -> Store:
    try:
        from .postgres import PostgresStore  # an optional dependency: psycopg
    except ImportError:
        raise BookError("the PostgreSQL store needs psycopg — pip install 'psycopg[binary]'") from None
    return PostgresStore(url, writer=writer)


def redact(url: str) -> str:
    """A store's name for messages: ``SQLite``, or its URL without the password."""
    if url == SQLITE:
        return "SQLite"
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@contextmanager
def writer_lock(state_dir: Path, book_dir: Path) -> Iterator[None]:
    """The book's one writer lock (``<state_dir>/lock``), taken without waiting: a second writer
    is told another selfbook command is writing the book."""
    with open(Path(state_dir) / "lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BookError(f"{book_dir}: another selfbook command is writing this book — wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
