"""Query vectors, shared by every search of a Library: kept in a small cache, and embedded in
batches across the threads that search at once.

::

    queries = QueryVectors(embedder_for)       # embedder_for(model id) -> an Embedder of that model
    vector = queries.get(model, "rag evaluation", deadline=time.monotonic() + 0.1)   # or None

- **Cache.** The last ``cache_size`` vectors, keyed by (model id, the query with its whitespace
  collapsed). The collapsed text is what gets embedded, so a cached vector is the vector.
- **Batches.** A query not in the cache is queued; one worker thread (started when there is work,
  gone after ``idle_s`` without any) embeds what is queued in one ``embed(texts, query=True)``
  call of at most ``max_batch`` texts, oldest first. The same query asked by several threads at
  once is embedded once. A batch gives the same vectors as one call per query (the engines pack
  texts rather than pad them; ``tests/search/test_queryvec.py`` checks it).
- **Deadlines.** ``get(..., deadline=t)`` returns None when the vector is not ready by ``t``
  (a :func:`time.monotonic` time): the caller answers without it (once the model is loaded:
  the first batch of a model is waited for, however long). The worker measures what a
  text costs (the median of its last batches), so when it is busy, a query that would wait past
  its deadline behind the queries already queued gets None at once rather than at its deadline
  (``bench/serve_load.py``, 50 clients, a 100 ms budget: 222 searches a second and p99 402 ms,
  against 192 and 444 ms with every query waiting out its deadline). A
  query that nobody waits for any more is dropped, not embedded, and a batch is cut so that it
  ends before the earliest deadline in it. Under overload the worker spends its time on queries
  someone can still use, and the queue never holds more than the callers waiting.

Every call to an embedder goes through this object's lock (:meth:`embed` for passages too), so
an embedder that is not thread-safe is only ever used by one thread at a time.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import EmbeddingError

if TYPE_CHECKING:
    import numpy as np

    from ..embed import Embedder

log = logging.getLogger(__name__)

CACHE_SIZE = 4096
"""Query vectors kept (384 floats each for e5-small: 6 MB)."""
MAX_BATCH = 32
"""Queries embedded in one call at most (e5-small, one thread: 11.7 ms a query alone, 9.2–9.6 ms
a query in batches of 4 to 32)."""
BACKLOG_BATCH = 4
"""Queries from the backlog embedded in one call at most (about 40 ms for e5-small)."""
IDLE_S = 5.0
"""Seconds the worker waits for work before it goes (a new one starts with the next query)."""
_COSTS = 8  # batches whose cost per text make the estimate (a median: the model's loading is an outlier)


@dataclass(frozen=True)
class QueryVector:
    """A query's vector as one caller found it, for a search that runs elsewhere (another
    thread or process): ``vector`` None means it was not ready in time, so the search ranks by
    BM25 alone and says so. A searcher of another model looks the vector up itself."""

    model: str
    vector: np.ndarray | None


def normalize(text: str) -> str:
    """The query as it is embedded and cached: whitespace collapsed, ends stripped."""
    return " ".join(text.split())


@dataclass(eq=False)
class _Wanted:
    """A query waiting for its vector, and how many callers wait for it."""

    model: str
    text: str
    deadline: float | None                        # the latest of its callers' (None: no limit)
    waiters: int = 0
    taken: bool = False                           # in the batch being embedded
    vector: np.ndarray | None = None
    error: Exception | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class QueryVectors:
    """Query vectors for any model ``embedder_for`` can embed; safe to share between threads."""

    def __init__(
        self,
        embedder_for: Callable[[str], Embedder],
        *,
        cache_size: int = CACHE_SIZE,
        max_batch: int = MAX_BATCH,
        idle_s: float = IDLE_S,
        backlog: int = 0,
    ) -> None:
        if cache_size < 0 or max_batch < 1 or backlog < 0:
            raise ValueError(f"cache_size and backlog must be ≥ 0 and max_batch ≥ 1, not {cache_size}, {backlog} and {max_batch}")
        self.backlog = backlog
        """Queries kept to embed when nobody waits for them any more (late, or turned away): the
        next search for one finds its vector ready. 0: they are dropped."""
        self._embedder_for = embedder_for
        self._embedders: dict[str, Embedder] = {}
        self.cache_size, self.max_batch, self.idle_s = cache_size, max_batch, idle_s
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._queue: OrderedDict[tuple[str, str], _Wanted] = OrderedDict()
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._embedding = threading.Lock()       # one embedder call at a time
        self._worker: threading.Thread | None = None
        self._costs: deque[float] = deque(maxlen=_COSTS)  # seconds per text of the last batches
        self._busy_until: float | None = None     # when the batch being embedded should end
        self._warm: set[str] = set()              # models that have embedded a batch
        self._closed = False
        self.counts = {
            "cached": 0, "embedded": 0, "coalesced": 0, "late": 0, "turned away": 0, "batches": 0, "for later": 0,
        }
        """How the vectors were found: from the cache, embedded, shared with a caller asking the
        same at once; how many were not ready by the caller's deadline, and how many were turned
        away at once, the embedder too busy to be in time; how many embedder calls; and how many
        of those embedded nobody waited for any more (from the backlog)."""

    # -- asking ---------------------------------------------------------------------------------
    def get(self, model: str, text: str, deadline: float | None = None) -> np.ndarray | None:
        """The vector of the query ``text`` by ``model`` (read-only float32), or None if it is not
        ready by ``deadline``. Raises what the embedder raised. The deadline holds once the model
        has embedded a batch: loading it is not being busy, and a one-off search (a command)
        waits for it."""
        key = (model, normalize(text))
        with self._lock:
            vector = self._cached(key)
            if vector is not None:
                return vector
            if model not in self._warm:
                deadline = None
            wanted = self._queue.get(key)
            if wanted is None and deadline is not None and self._too_late(deadline):
                self.counts["turned away"] += 1
                if self.backlog:
                    self._queue[key] = _Wanted(model, key[1], None)
                    self._trim_backlog()
                    self._start_worker()
                return None
            if wanted is None:
                wanted = self._queue[key] = _Wanted(model, key[1], deadline)
                self._start_worker()
            elif not wanted.waiters and not wanted.taken:  # in the backlog: now someone waits for it
                wanted.deadline = deadline
            else:
                self.counts["coalesced"] += 1
                wanted.deadline = None if deadline is None or wanted.deadline is None else max(wanted.deadline, deadline)
            wanted.waiters += 1
        wanted.ready.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        with self._lock:
            if wanted.vector is None and wanted.error is None:  # not ready in time: go on without it
                wanted.waiters -= 1
                if not wanted.waiters and not wanted.taken:
                    if self.backlog:
                        wanted.deadline = None
                        self._trim_backlog()
                    else:
                        self._queue.pop(key, None)
                self.counts["late"] += 1
                return None
        if wanted.error is not None:
            raise wanted.error
        return wanted.vector

    def cached(self, model: str, text: str) -> np.ndarray | None:
        """The vector of ``text`` if it is in the cache (counted as found there), else None."""
        with self._lock:
            return self._cached((model, normalize(text)))

    def _trim_backlog(self) -> None:
        """Drop the oldest queries nobody waits for, past ``backlog`` of them (the caller holds the lock)."""
        waiting_for_none = [key for key, w in self._queue.items() if not w.waiters and not w.taken]
        for key in waiting_for_none[: max(0, len(waiting_for_none) - self.backlog)]:
            del self._queue[key]

    def _cached(self, key: tuple[str, str]) -> np.ndarray | None:
        """The vector in this process's cache, counted (the caller holds the lock)."""
        if self._closed:
            raise EmbeddingError("the query vectors were closed — make a new Library to search")
        vector = self._cache.get(key)
        if vector is not None:
            self._cache.move_to_end(key)
            self.counts["cached"] += 1
        return vector

    def _keep(self, key: tuple[str, str], vector: np.ndarray) -> None:
        """Put a vector in this process's cache (the caller holds the lock)."""
        if self.cache_size:
            self._cache[key] = vector
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def embed(self, model: str, texts: Sequence[str], query: bool = False) -> np.ndarray:
        """``model``'s vectors of ``texts`` now, uncached (for passages a search needs); an
        embedder call like the worker's, never at the same time as one."""
        with self._embedding:
            return self._embedder(model).embed(list(texts), query=query)

    def close(self) -> None:
        """Stop the worker (after the batch it is embedding); later calls raise."""
        with self._lock:
            self._closed = True
            for wanted in self._queue.values():
                wanted.error = EmbeddingError("the query vectors were closed while this search waited")
                wanted.ready.set()
            self._queue.clear()
            self._work.notify_all()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()

    def _too_late(self, deadline: float) -> bool:
        """Whether the embedder is busy, and so busy that a query queued now would be embedded
        after ``deadline`` (the caller holds the lock). An idle embedder always takes the query:
        it is how the cost of a text gets measured, and measured again."""
        if self._busy_until is None or not self._costs:
            return False
        cost = statistics.median(self._costs)
        ahead = sum(1 for w in self._queue.values() if w.waiters and not w.taken)
        now = time.monotonic()
        return max(now, self._busy_until) + cost * (ahead + 1) > deadline

    # -- the worker -----------------------------------------------------------------------------
    def _start_worker(self) -> None:
        """Wake the worker, or start one (the caller holds the lock)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="selfbook-query-vectors", daemon=True)
            self._worker.start()
        else:
            self._work.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue and not self._closed:
                    self._work.wait(self.idle_s)
                if self._closed or not self._queue:
                    self._worker = None
                    return
                batch = self._take()
            if batch:
                self._embed_batch(batch)

    def _take(self) -> list[_Wanted]:
        """The next batch, oldest first (the caller holds the lock): queries still waited for, as
        many as can be embedded before the earliest deadline among them (one at least), at most
        ``max_batch``, all of one model. With none waited for, a few from the backlog, newest
        first (the likeliest to be asked again soon), so that a query someone asks meanwhile
        waits little behind them."""
        now = time.monotonic()
        cost = statistics.median(self._costs) if self._costs else None
        batch: list[_Wanted] = []
        ends: float | None = None                  # the earliest deadline in the batch
        for key, wanted in list(self._queue.items()):
            if len(batch) == self.max_batch:
                break
            if not wanted.waiters:
                if not self.backlog:
                    del self._queue[key]
                continue
            if batch and wanted.model != batch[0].model:
                continue
            earliest = wanted.deadline if ends is None else (ends if wanted.deadline is None else min(ends, wanted.deadline))
            if batch and cost is not None and earliest is not None and now + cost * (len(batch) + 1) > earliest:
                break                              # one more would make the batch end too late
            ends = earliest
            batch.append(wanted)
        if not batch:
            for wanted in reversed(self._queue.values()):
                if len(batch) == BACKLOG_BATCH:
                    break
                if not batch or wanted.model == batch[0].model:
                    batch.append(wanted)
        for wanted in batch:
            wanted.taken = True
        self._busy_until = now + cost * len(batch) if cost is not None and batch else None
        return batch

    def _embed_batch(self, batch: list[_Wanted]) -> None:
        import numpy as np  # deferred: the embedder has loaded it by now (a Library is made without it)

        model = batch[0].model
        start = time.perf_counter()
        try:
            vectors = self.embed(model, [w.text for w in batch], query=True)
            vectors = np.asarray(vectors, dtype=np.float32)
            if vectors.shape[0] != len(batch):
                raise EmbeddingError(f"the embedder of {model} returned {vectors.shape[0]} vectors for {len(batch)} queries")
        except Exception as exc:  # every caller of the batch hears it, in its own thread
            log.warning("embedding %d queries failed: %s", len(batch), exc)
            with self._lock:
                self._busy_until = None
                for wanted in batch:
                    wanted.error = exc
                    self._queue.pop((wanted.model, wanted.text), None)
                    wanted.ready.set()
            return
        per_text = (time.perf_counter() - start) / len(batch)
        with self._lock:
            self._busy_until = None
            self._costs.append(per_text)
            self.counts["batches"] += 1
            self.counts["embedded"] += len(batch)
            self.counts["for later"] += sum(1 for w in batch if not w.waiters)
            self._warm.add(model)
            for wanted, vector in zip(batch, vectors):
                vector = vector.copy()
                vector.setflags(write=False)
                wanted.vector = vector
                key = (wanted.model, wanted.text)
                self._queue.pop(key, None)
                self._keep(key, vector)
                wanted.ready.set()

    def _embedder(self, model: str) -> Embedder:
        embedder = self._embedders.get(model)
        if embedder is None:
            embedder = self._embedders[model] = self._embedder_for(model)
        return embedder
