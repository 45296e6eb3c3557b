"""BookSearch: the searches of one book, from any number of threads.

Each thread keeps the store it opened for :data:`KEEP_READING_S`: opening a store and preparing
its queries cost more than a BM25 search (0.8 of 1.8 ms on a 10k-entry book). A change of the
book shows at once all the same (the searcher checks the book's version on every search); a store
put in place of another (``selfbook migrate``) shows when the kept one is opened afresh.

Start-up: the engine (numpy, the index, the vectors) is imported by the first search, not when a
Library makes its BookSearch: a command that only reads the book needs none of it.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from ..errors import SelfbookError
from . import check_query
from .queryvec import QueryVector, QueryVectors

if TYPE_CHECKING:
    from ..embed import Embedder
    from ..store import Store
    from .engine import Hits, Searcher
    from .filters import SearchFilters

KEEP_READING_S = 2.0
"""How long a thread keeps the store it searches open."""


class BookSearch:
    """Searches of the book ``open_store`` opens, by the embedders ``embedder_of`` gives for a model."""

    def __init__(self, open_store: Callable[[], Store], embedder_of: Callable[[str], Embedder]) -> None:
        self._open_store = open_store
        self._embedder_of = embedder_of
        self.searcher: Searcher | None = None
        self._searching = threading.Lock()
        self._kept = threading.local()  # each thread's store, and when it was opened
        self.query_vectors = QueryVectors(embedder_of)
        """Query vectors of every search: cached, batched across threads."""

    def search(
        self, query: str, *, limit: int, filters: SearchFilters | None, method: str, budget_ms: int, vector: QueryVector | None
    ) -> Hits:
        """See :meth:`selfbook.library.Library.search`; ``budget_ms`` 0: no budget."""
        check_query(query, limit, method)
        deadline = time.monotonic() + budget_ms / 1000 if budget_ms > 0 else None
        with self._reading() as store:
            searcher = self._current(store)
            return searcher.search(store, query, limit=limit, filters=filters, method=method, deadline=deadline, given=vector)

    def prepare(self) -> str:
        """Load what a search needs but the model; returns the model id the book's vectors are of."""
        with self._reading() as store:
            searcher = self._current(store)
            searcher.prepare(store)
            return searcher.model

    def query_vector(self, query: str, deadline: float | None) -> QueryVector:
        with self._reading() as store:
            model = self._current(store).model
        return QueryVector(model, self.query_vectors.get(model, query, deadline))

    @contextmanager
    def _reading(self) -> Iterator[Store]:
        kept = getattr(self._kept, "store", None)
        if kept is not None and time.monotonic() - kept[1] > KEEP_READING_S:
            kept[0].close()
            kept = self._kept.store = None
        if kept is None:
            self._kept.store = kept = (self._open_store(), time.monotonic())
        store = kept[0]
        try:
            yield store
        except BaseException as exc:
            if not isinstance(exc, SelfbookError):  # not a bad query: the store may be broken, open it afresh
                store.close()
                self._kept.store = None
            raise

    def _current(self, store: Store) -> Searcher:
        """The searcher of the book as it is now (loaded again when the book changed). The lock is
        taken only to load one: a search that holds it while it asks the store for the book's
        version would keep every other search waiting behind that query."""
        searcher = self.searcher
        if searcher is not None and searcher.current(store):
            return searcher
        from .engine import Searcher  # deferred: the engine's (numpy), for the first search

        with self._searching:
            if self.searcher is None or not self.searcher.current(store):
                self.searcher = Searcher(store, self._embedder_of, queries=self.query_vectors)
            return self.searcher
