"""Searches in processes of their own: ``selfbook serve --workers N``.

Python runs one thread at a time, so one server process cannot search on more than one core:
under 50 clients it left a quarter of two cores idle. With workers the work is split three
ways (``bench/serve_load.py``, 50 clients, 2 cores: 428–455 searches a second and p99 190–194
ms with one worker, against 229 a second and p99 358 ms in one process):

- **the server process** speaks HTTP, serves the pages, and finds each query's vector through
  its :class:`~selfbook.web.service.BookService` (cached, embedded in batches across every
  search in flight, within the search budget, on a thread that holds no lock Python needs);
- **N worker processes** rank and fetch the entries, each search by whichever worker is free
  first, in the order they came, given the vector (or told there is none in time: BM25 alone);
- so no worker ever waits for the model, and no search waits behind a worker that does.

::

    pool = SearchPool(book_dir, service, settings, workers=2)
    pool.warm()                                # each worker loads the index and the vectors
    body = await pool.search(params)           # views.search_data's dict, as JSON bytes
    pool.close()

Each worker is started afresh (spawned, not forked: the server's threads and locks stay
behind) with its own read-only :class:`~selfbook.web.service.BookService`; none loads the model.
A change of the book (a move on a page, ``selfbook add`` in a shell) shows in a worker's next
search, as for any reader: the searcher checks the book's version. A worker that dies is
replaced: the searches it had get an error, later ones run in a new pool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import anyio

from selfbook import QueryVector, one_blas_thread, search_terms
from selfbook.errors import SelfbookError
from selfbook.settings import Settings

from . import views
from .service import BookService

log = logging.getLogger(__name__)

WARM_S = 300.0
"""How long :meth:`SearchPool.warm` waits for the workers to load, at most."""
WAITING = 256
"""Searches that may wait for their query's vector at once (each on a thread that only waits)."""
STOPPED = "a search worker stopped while searching — search again"
WATCH_S = 0.5
"""How often a worker looks whether the server process is still there."""

_service: BookService | None = None  # the worker's own (in each worker process)
_barrier = None                      # the pool's barrier for warm() (in each worker process)


class SearchUnavailable(SelfbookError):
    """A search that was lost with the worker that had it (the API answers 503: search again)."""


class SearchPool:
    """``workers`` processes searching the book in ``book_dir`` with ``settings`` (the server's)
    for ``service`` (the server's own, which finds the query vectors)."""

    def __init__(self, book_dir: str | os.PathLike, service: BookService, settings: Settings, *, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be ≥ 1, not {workers}")
        self.book_dir, self.service, self.settings, self.workers = Path(book_dir), service, settings, workers
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._waiting = anyio.CapacityLimiter(WAITING)
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # The barrier of warm(): a process shares one only by inheriting it, so each worker gets it now.
        barrier = self._context.Barrier(self.workers)
        return ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=_start_worker, initargs=(str(self.book_dir), self.settings, barrier),
        )

    def warm(self, timeout: float = WARM_S) -> list[int]:
        """Start every worker and have it load what its first search needs (the index and the
        vectors); returns their process ids. Each waits for all the others at a barrier, so
        that no worker takes two of these calls and leaves another cold."""
        futures = [self._pool.submit(_warm_worker, timeout) for _ in range(self.workers)]
        return [future.result() for future in futures]

    async def search(self, params: views.SearchParams) -> bytes:
        """``views.search_data``'s dict for ``params`` as JSON (UTF-8): the query's vector found
        here, the search made in a worker."""
        arrived = time.monotonic()
        needed, vector = self._vector_at_hand(params)
        if needed and vector is None:  # embedding it takes a thread that only waits
            vector = await anyio.to_thread.run_sync(self.service.query_vector, params.q, arrived, limiter=self._waiting)
        try:
            return await asyncio.wrap_future(self._submit(params, vector, as_json=True))
        except BrokenProcessPool:
            raise SearchUnavailable(STOPPED) from None

    def search_now(self, params: views.SearchParams) -> dict:
        """``views.search_data``'s dict for ``params``, for a thread."""
        arrived = time.monotonic()
        needed, vector = self._vector_at_hand(params)
        if needed and vector is None:
            vector = self.service.query_vector(params.q, arrived)
        try:
            return self._submit(params, vector, as_json=False).result()
        except BrokenProcessPool:
            raise SearchUnavailable(STOPPED) from None

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _vector_at_hand(self, params: views.SearchParams) -> tuple[bool, QueryVector | None]:
        """Whether the search needs a query vector (not a words-only search, and a query with
        words), and the vector if it is cached."""
        if params.method == "lexical" or not search_terms(params.q):
            return False, None
        return True, self.service.cached_query_vector(params.q)

    def _submit(self, params: views.SearchParams, vector: QueryVector | None, *, as_json: bool) -> Future:
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_search, params, vector, as_json)
        except BrokenProcessPool:  # a worker died: this pool is no use any more, start another
            with self._lock:
                if self._pool is pool:
                    log.warning("a search worker stopped; starting the search workers again")
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._start()
                pool = self._pool
            return pool.submit(_search, params, vector, as_json)


# -- in the workers ------------------------------------------------------------------------------
def _start_worker(book_dir: str, settings: Settings, barrier) -> None:
    global _service, _barrier
    _barrier = barrier
    threading.Thread(target=_outlive_no_server, args=(os.getppid(),), name="selfbook-watch-server", daemon=True).start()
    one_blas_thread()
    _service = BookService(book_dir, settings, readers=1, askers=1)


def _outlive_no_server(server: int) -> None:
    """End this worker when the server process is gone, however it went: one stopped by a
    signal (uvicorn raises SIGTERM again once it has shut down) or killed never closes its pool,
    and its workers would wait for searches for ever."""
    while os.getppid() == server:
        time.sleep(WATCH_S)
    os._exit(0)


def _warm_worker(timeout: float) -> int:
    assert _service is not None and _barrier is not None
    _service.prepare_search()  # the index and the vectors; the model stays with the server process
    _barrier.wait(timeout)
    return os.getpid()


def _search(params: views.SearchParams, vector: QueryVector | None, as_json: bool) -> dict | bytes:
    """The search, in a worker; as JSON as Starlette's JSONResponse writes it, when asked (the
    server process then sends the bytes as they are)."""
    assert _service is not None
    data = views.search_data(_service, params, vector=vector)
    if not as_json:
        return data
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
