"""The only code in selfbook that runs SQL. See :mod:`selfbook.store.base` for the seam."""

from __future__ import annotations

from pathlib import Path

from .base import BookState, Store
from .sqlite import SQLiteStore, open_sqlite

__all__ = ["BookState", "Store", "SQLiteStore", "open_store"]


def open_store(state_dir: Path) -> Store:
    """Open (creating and migrating as needed) the store kept in a book's ``.selfbook`` folder."""
    return open_sqlite(state_dir)
