"""One book shared by many threads: the read/write policy of ``selfbook serve`` and ``selfbook mcp``.

A :class:`SharedBook` lends :class:`~selfbook.Library` objects to the threads of a server (uvicorn's
and the MCP SDK's thread pools), one thread at a time (their embedders are never shared):

- **Reads run together, a write runs alone.** Reads and writes (moves, renames, merges, pins,
  added notes) are kept apart by a read-write lock, writers first: a write waits for the reads in
  progress, reads that come after it wait for the write, and every read after it sees it. A read
  must not overlap a write because opening a book tidies up after crashed writes, and would take
  a write in progress for one.
- **Every search goes to one shared Library**, which threads may search at once: the query vectors
  of searches in flight are embedded together in batches, and repeated queries come from its
  cache (see :mod:`selfbook.search.queryvec`). A search waits for its query's vector at most the
  book's budget (``budget_ms``); past it, it answers from BM25 alone and says so. A query that
  could not wait is still embedded when the model has time (:data:`BACKLOG`), so the same search
  again is answered in full.
- **Questions use a pool of their own**, so a long streamed answer never holds up searching, and
  hold the read side only until the answer starts to stream (everything a question reads from the
  book it has read by then), so an answer that takes a minute does not hold up a write.

A change made by another process (``selfbook add`` in a shell) shows in the next read: every
Library checks the book's version. ::

    book = SharedBook("book")
    hits = book.search("dosa batter")
    with book.reading() as library:
        outline, entries = library.outline(), library.entries()
    decision = book.write(lambda library: library.move(entry_id, "Food/Breakfast"))
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from ..errors import SelfbookError
from . import Library
from ..search import Hits, QueryVector, SearchFilters
from ..settings import Settings, load_settings

if TYPE_CHECKING:
    from ..answer.ask import Answer

__all__ = ["BACKLOG", "ReadWriteLock", "SharedBook"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKLOG = 256
"""Queries embedded though their searches could not wait (see ``QueryVectors.backlog``)."""


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come after it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    def acquire_shared(self) -> Callable[[], None]:
        """Take the read side; returns a function that gives it back (calling it again does nothing)."""
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._cond:
                if not released:
                    released = True
                    self._readers -= 1
                    self._cond.notify_all()

        return release

    @contextmanager
    def shared(self) -> Iterator[None]:
        release = self.acquire_shared()
        try:
            yield
        finally:
            release()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class SharedBook:
    """The book in ``book_dir`` shared by many threads (the policy in the module docstring).
    ``readers``: Libraries lent for reading and writing; ``askers``: for questions (searches share
    one more). ``budget_ms``: how long a search waits for its query's vector (None:
    :meth:`default_budget_ms`; 0: no limit). ``make_library``: how to make each Library (tests pass
    one with the hashing embedder)."""

    def __init__(
        self,
        book_dir: str | os.PathLike,
        settings: Settings | None = None,
        *,
        make_library: Callable[[], Library] | None = None,
        readers: int = 2,
        askers: int = 2,
        budget_ms: int | None = None,
    ) -> None:
        settings = settings or load_settings(book_dir)
        if budget_ms is None:
            budget_ms = self.default_budget_ms(settings)
        if settings.threads == 0:
            # One thread per embedding call: the Libraries already run side by side, and a
            # multi-threaded call waits for its slowest thread whenever the cores are busy
            # (measured: 36 searches/s with the default, 85 with one thread, 50 clients, 2 cores).
            settings = settings.replace(threads=1)
        make = make_library or (lambda: Library(book_dir, settings))
        self.book_dir = book_dir
        self.budget_ms = budget_ms
        self._readers: queue.Queue[Library] = queue.Queue()
        self._askers: queue.Queue[Library] = queue.Queue()
        for _ in range(max(1, readers)):
            self._readers.put(make())
        for _ in range(max(1, askers)):
            self._askers.put(make())
        self._searcher = make()  # shared by every search (Library.search is thread-safe)
        self._searcher.query_vectors.backlog = BACKLOG
        self._model: str | None = None  # the model of the last query vector found
        self._lock = ReadWriteLock()
        self.settings = self._searcher.settings

    @staticmethod
    def default_budget_ms(settings: Settings) -> int:
        """How long a search waits for its query's vector when none is given: the settings'
        ``search_budget_ms``."""
        return settings.search_budget_ms

    @property
    def title(self) -> str:
        return self.settings.title

    # -- reading and writing ---------------------------------------------------------------------
    @contextmanager
    def _lent(self) -> Iterator[Library]:
        library = self._readers.get()
        try:
            yield library
        finally:
            self._readers.put(library)

    @contextmanager
    def reading(self) -> Iterator[Library]:
        """A Library for this thread alone, to read with until the block ends; other reads run
        at the same time, a write waits for the block to end."""
        with self._lock.shared(), self._lent() as library:
            yield library

    def read(self, call: Callable[[Library], T]) -> T:
        """``call(library)`` as a read (see :meth:`reading`)."""
        with self.reading() as library:
            return call(library)

    def write(self, call: Callable[[Library], T]) -> T:
        """``call(library)`` as a change to the book: it waits for the reads in progress, holds up
        the reads that come after it, and every read after it sees what it wrote."""
        with self._lock.exclusive(), self._lent() as library:
            return call(library)

    # -- searching and asking --------------------------------------------------------------------
    def search(
        self, query: str, *, limit: int = 10, filters: SearchFilters = SearchFilters(), method: str = "hybrid",
        budget_ms: int | None = None, vector: QueryVector | None = None,
    ) -> Hits:
        """:meth:`Library.search` on the shared searching Library, within the book's budget (or
        ``budget_ms``), or with the query's ``vector`` found before (:meth:`query_vector`);
        other searches run at the same time."""
        budget = self.budget_ms if budget_ms is None else budget_ms
        with self._lock.shared():
            return self._searcher.search(query, limit=limit, filters=filters, method=method, budget_ms=budget, vector=vector)

    def prepare_search(self) -> str:
        """Load the index and the vectors, not the model (a search worker's; see web/searchpool)."""
        with self._lock.shared():
            return self._searcher.prepare_search()

    def query_vector(self, query: str, arrived: float) -> QueryVector:
        """The query's vector as a search would find it, waiting for it at most the book's
        budget from ``arrived`` (a :func:`time.monotonic` time)."""
        deadline = arrived + self.budget_ms / 1000 if self.budget_ms else None
        with self._lock.shared():
            found = self._searcher.query_vector(query, deadline)
        self._model = found.model
        return found

    def cached_query_vector(self, query: str) -> QueryVector | None:
        """The query's vector if it is at hand (cached), found without waiting or reading the
        book; else None (then ask :meth:`query_vector`)."""
        model = self._model
        vector = None if model is None else self._searcher.query_vectors.cached(model, query)
        return None if vector is None else QueryVector(model, vector)

    def warm(self) -> None:
        """Load what the first search needs (the index, the vectors, the model), so that the first
        searches are not cut short by the budget while it loads."""
        try:
            self.search("warm up", limit=1, budget_ms=0)
        except SelfbookError as exc:  # the first real search will say it again, to its client
            log.warning("could not prepare searching: %s", exc)

    def ask(self, question: str, *, limit: int = 8, on_text: Callable[[str], None] | None = None) -> Answer:
        """:meth:`Library.ask` on a Library of its own, holding the read side until the answer streams."""
        library = self._askers.get()
        try:
            release = self._lock.acquire_shared()

            def streamed(piece: str) -> None:
                release()  # retrieval is over: the rest comes from the LLM
                if on_text is not None:
                    on_text(piece)

            try:
                return library.ask(question, limit=limit, on_text=streamed)
            finally:
                release()
        finally:
            self._askers.put(library)
