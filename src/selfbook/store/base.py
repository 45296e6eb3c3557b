"""The store seam: what the rest of selfbook may ask of a book's store.

SQLite (``sqlite.py``) is the embedded default. A PostgreSQL + pgvector store for shared,
team-sized books is planned behind the same :class:`Store` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol

import numpy as np

from ..models import Entry, Flag, Merge, Outline, Skip


@dataclass(frozen=True)
class BookState:
    """Everything a build computes, saved in one transaction."""

    entries: tuple[Entry, ...]
    content_hashes: Mapping[str, str]          # entry id -> hash of the text that was embedded
    outline: Outline
    merges: tuple[Merge, ...] = ()
    flags: tuple[Flag, ...] = ()
    skips: tuple[Skip, ...] = ()
    dumps: Mapping[str, tuple[str, int]] = field(default_factory=dict)   # path -> (sha256, entries)
    meta: Mapping[str, str] = field(default_factory=dict)


class Store(Protocol):
    """A book's persistent state. Every method is atomic on its own."""

    schema_version: int

    def close(self) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def committed(self, txid: str) -> bool: ...
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]: ...
    def put_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None: ...
    def save_book(self, state: BookState, *, txid: str, command: str, report: Mapping) -> None: ...
    def load_entries(self) -> list[Entry]: ...
    def load_outline(self) -> Outline: ...
    def load_merges(self) -> list[Merge]: ...
    def load_flags(self) -> list[Flag]: ...
    def load_skips(self) -> list[Skip]: ...
    def content_hashes(self) -> dict[str, str]: ...
    def last_run(self) -> dict | None: ...
