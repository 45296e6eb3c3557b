"""The web layer's one door to the book: :class:`BookService`, shared by the pages and the API.

Threads: uvicorn runs the endpoints' work in a thread pool. Every search goes to one shared
:class:`~selfbook.Library`, which threads may search at once: the query vectors of searches in
flight are embedded together in batches, and repeated queries come from its cache (see
:mod:`selfbook.search.queryvec`). A search waits for its query's vector at most the search budget
(``Settings.search_budget_ms``, :data:`SERVE_BUDGET_MS` unless chosen); past it, it answers from
BM25 alone and says so, so that searches keep answering in time when more come than the embedder
can keep up with. Other reads and the writes borrow a Library from a small pool, one thread at a
time (their embedder is never shared). Questions use a pool of their own, so a long streamed
answer never holds up searching.

Reads and writes (moves, renames, merges, pins, added notes) are kept apart by a read-write
lock, writers first: a write waits for the reads in progress, reads wait for the write. A read
must not overlap a write because opening a book tidies up after crashed writes, and would take a
write in progress for one. A question holds the read side only until its answer starts to
stream (everything it reads from the book it has read by then), so an answer that takes a
minute does not hold up a move.

Reads that every page needs (the outline, every placed entry, the history, the topic map) are
kept as one :class:`BookView` per version of the book (:meth:`Library.version`), so a build or
a ``selfbook move`` in another process shows up on the next request.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from selfbook import (
    Answer, Hits, Library, PlacedEntry, QueryVector, SearchFilters, SelfbookError, Settings, chapter_filename, load_settings,
)
from selfbook.models import Chapter, Decision, Installment, Link, Outline
from selfbook.settings import SERVE_BUDGET_MS

log = logging.getLogger(__name__)

T = TypeVar("T")


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


BACKLOG = 256
"""Queries the server embeds though their searches could not wait (see ``QueryVectors.backlog``)."""
RELATED = 8
"""How many nearest neighbours an entry page shows."""


@dataclass
class BookView:
    """What the book looks like at one version: built once, shared by every request."""

    version: str
    title: str
    outline: Outline
    entries: list[PlacedEntry]
    decisions: list[Decision]
    installments: list[Installment]
    links: dict[str, Link] = field(default_factory=dict)
    """What ``selfbook fetch`` learned of each link, by URL (see :func:`views.link_states`)."""
    _map: object = field(default=None, repr=False)

    @cached_property
    def by_id(self) -> dict[str, PlacedEntry]:
        return {p.entry.id: p for p in self.entries}

    @cached_property
    def chapters(self) -> dict[str, tuple[int, Chapter]]:
        """Chapter id → (number, chapter), numbered from 1 in book order."""
        return {c.id: (n, c) for n, c in enumerate(self.outline.chapters, 1)}

    def chapter_file(self, chapter_id: str) -> str:
        number, chapter = self.chapters[chapter_id]
        return chapter_filename(number, chapter)

    def section_paths(self) -> list[str]:
        """Every ``Chapter/Section`` title path, for the move form's suggestions."""
        return [f"{c.title}/{s.title}" for c in self.outline.chapters for s in c.sections]

    @property
    def last_installment(self) -> Installment | None:
        return self.installments[-1] if self.installments else None


class BookService:
    """A book served to many threads at once. ``readers``: Libraries lent for reading (searches
    share one more). ``budget_ms``: how long a search waits for its query's vector (None: the
    settings' ``search_budget_ms`` if they choose one, else :data:`SERVE_BUDGET_MS`; 0: no limit)."""

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
            budget_ms = settings.search_budget_ms if "search_budget_ms" in settings.chosen else SERVE_BUDGET_MS
        self.budget_ms = budget_ms
        if settings.threads == 0:
            # One thread per embedding call: the Libraries already run side by side, and a
            # multi-threaded call waits for its slowest thread whenever the cores are busy
            # (measured: 36 searches/s with the default, 85 with one thread, 50 clients, 2 cores).
            settings = settings.replace(threads=1)
        make = make_library or (lambda: Library(book_dir, settings))
        self.book_dir = book_dir
        self._readers: queue.Queue[Library] = queue.Queue()
        self._askers: queue.Queue[Library] = queue.Queue()
        for _ in range(max(1, readers)):
            self._readers.put(make())
        for _ in range(max(1, askers)):
            self._askers.put(make())
        self._searcher = make()  # shared by every search (Library.search is thread-safe)
        # A search that could not wait for its query's vector still has it embedded, when the
        # model has time: the same search again is answered in full.
        self._searcher.query_vectors.backlog = BACKLOG
        self._model: str | None = None  # the model of the last query vector found
        self._lock = ReadWriteLock()
        self._view_lock = threading.Lock()
        self._view: BookView | None = None
        self.title = self._peek().settings.title

    def _peek(self) -> Library:
        with self._lent() as library:
            return library

    @contextmanager
    def _lent(self) -> Iterator[Library]:
        library = self._readers.get()
        try:
            yield library
        finally:
            self._readers.put(library)

    @contextmanager
    def reader(self) -> Iterator[Library]:
        """A Library for this thread alone, to read with until the block ends."""
        with self._lock.shared(), self._lent() as library:
            yield library

    def read(self, call: Callable[[Library], T]) -> T:
        with self.reader() as library:
            return call(library)

    def search(
        self, query: str, *, limit: int = 10, filters: SearchFilters = SearchFilters(), method: str = "hybrid",
        budget_ms: int | None = None, vector: QueryVector | None = None,
    ) -> Hits:
        """:meth:`Library.search` on the shared searching Library, within the service's budget
        (or ``budget_ms``), or with the query's ``vector`` found before (:meth:`query_vector`);
        other searches run at the same time."""
        budget = self.budget_ms if budget_ms is None else budget_ms
        with self._lock.shared():
            return self._searcher.search(query, limit=limit, filters=filters, method=method, budget_ms=budget, vector=vector)

    def prepare_search(self) -> str:
        """Load the index and the vectors, not the model (a search worker's; see searchpool)."""
        with self._lock.shared():
            return self._searcher.prepare_search()

    def query_vector(self, query: str, arrived: float) -> QueryVector:
        """The query's vector as a search would find it, waiting for it at most the service's
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

    def write(self, call: Callable[[Library], T]) -> T:
        """Run a change to the book, with no read in progress; the next view is read afresh."""
        with self._lock.exclusive(), self._lent() as library:
            try:
                return call(library)
            finally:
                with self._view_lock:
                    self._view = None

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

    # -- the cached view ------------------------------------------------------------------------
    def view(self) -> BookView:
        """The book as it is now (re-read only when its version changed)."""
        with self.reader() as library:
            version = library.version()
            with self._view_lock:
                if self._view is not None and self._view.version == version:
                    return self._view
            decisions, installments = library.history()
            view = BookView(version, self.title, library.outline(), library.entries(), decisions, installments, library.link_states())
        with self._view_lock:
            self._view = view
        return view

    def topic_map(self, view: BookView):
        """The view's topic map (computed on first use, then kept with the view)."""
        with self._view_lock:
            if view._map is not None:
                return view._map
        topic_map = self.read(lambda library: library.topic_map())
        with self._view_lock:
            view._map = topic_map
        return topic_map

    def related(self, placed: PlacedEntry, limit: int = RELATED) -> list:
        """The entries nearest to ``placed`` in meaning (its own vector search), itself left out."""
        e = placed.entry
        query = " ".join(f"{e.title} {e.note[:400]}".split())
        if not query:
            return []
        hits = self.search(query, method="dense", limit=limit + 1, budget_ms=0)  # a page, not typing: it waits
        return [h for h in hits if h.placed.entry.id != e.id][:limit]
