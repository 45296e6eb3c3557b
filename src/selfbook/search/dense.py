"""Dense retrieval: cosine between the query's vector and every entry's stored vector.

The vectors are the book's own (its embedding model, recorded in the store), held as one float32
matrix: a numpy matrix-vector product is exact and needs no index to build or keep in step.
float16 would halve the memory but numpy has no fast float16 product: measured once at 100k
rows, 113 ms against 8 ms for float32 (1.2 s against 54 ms at 1M). ``bench/search_speed.py``
measures float32 in the engine.

From :data:`APPROXIMATE_FROM` entries, when faiss is installed (``pip install 'selfbook[fast]'``),
the product over every vector is the wait (it reads the whole float32 matrix for each query), so
a search scans an 8-bit copy of the vectors instead (:func:`quantized`, a quarter of the bytes)
for its :data:`RESCORED` best candidates, then ranks those by their exact float32 cosines
(:func:`approximate`). Below it, or without faiss, every search is exact.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import lru_cache
from typing import Callable, ContextManager

import numpy as np
from threadpoolctl import ThreadpoolController

from ..embed import embedder_for  # noqa: F401 -- re-exported as selfbook.search.embedder_for

log = logging.getLogger(__name__)


ONE_THREAD_BELOW = 200_000
"""Books with fewer entries search their vectors on one BLAS thread. Measured on 2 cores
(a 10,000-entry book, 60 queries, e5-small): hybrid search took 22–32 ms a query with numpy's
default threads and 8–9 ms with one, because the BLAS threads left spinning after the product
take the cores from the next query's embedding. A product over a million rows is bound by memory
bandwidth and keeps every thread."""


APPROXIMATE_FROM = 200_000
"""Books with at least this many entries scan 8-bit vectors first (see the module docstring), when
faiss is installed. Below it the exact product is fast enough and every result stays exactly as it
was: at 100k entries exact dense search takes about 30 ms and hybrid meets its 50 ms p99 target
(bench/results/search_speed.json), and the books of the tests and of ``bench/retrieval.py`` hold
at most 5,183 entries (SciFact)."""

RESCORED = 1000
"""Candidates of the 8-bit scan ranked again by their exact cosines (at least 10 times the depth
asked for). Rounding each coordinate to its dimension's 256 steps moves a cosine by about a
thousandth, far less than the gap between the 10th and the 1,000th best: bench/search_speed.py
measures recall@10 against exact search at 1M."""


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()  # scans the loaded libraries once


def blas_threads(rows: int) -> ContextManager:
    """The BLAS thread limit for a product over ``rows`` vectors (see :data:`ONE_THREAD_BELOW`);
    nothing to do when BLAS already runs on one thread. The limit is process-wide, and setting it
    and restoring it around every product goes wrong when threads search at once (one restores
    the threads while another multiplies, and BLAS threads woken again and again spin: under 50
    clients, 17% of the server's time). So ``selfbook serve`` keeps BLAS on one thread for good
    (:func:`one_blas_thread`), and its searches leave the setting alone."""
    if rows >= ONE_THREAD_BELOW or all(lib.num_threads == 1 for lib in _blas().lib_controllers):
        return nullcontext()
    return _controller().limit(limits=1, user_api="blas")


def one_blas_thread() -> None:
    """Run every BLAS product of this process on one thread, from now on (for a process that
    searches small books from many threads at once: a server)."""
    _controller().limit(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return _controller().select(user_api="blas")


def top(scores: np.ndarray, k: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` best ``scores`` among ``keep`` (a position array; all if None),
    best first, ties by lower position: the same input always gives the same order."""
    if keep is None and len(scores) > k:
        cut = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= cut)  # ties at the cut all stay, then the sort decides
    else:
        candidates = np.arange(len(scores)) if keep is None else keep
    if len(candidates) > k:
        values = scores[candidates]
        cut = np.partition(values, len(values) - k)[len(values) - k]
        candidates = candidates[values >= cut]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order][:k]


def fill_missing(
    matrix: np.ndarray, have: np.ndarray, n: int, embed_missing: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """An ``n``-row matrix with row ``p`` the vector of position ``p``. ``matrix`` holds the rows
    of positions ``have``; the others (entries whose merged text was never embedded) come from
    ``embed_missing(positions)``."""
    if len(have) == n:  # every entry has its vector, in position order: no copy
        return matrix
    dim = matrix.shape[1] if matrix.size else 0
    missing = np.setdiff1d(np.arange(n), have)
    if len(missing):
        log.info("embedding %d entries that have no stored vector", len(missing))
        extra = embed_missing(missing)
        dim = extra.shape[1]
    full = np.zeros((n, dim), dtype=np.float32)
    if len(have):
        full[have] = matrix
    if len(missing):
        full[missing] = extra
    return full


def nearest_rows(vectors: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    """For every row of ``vectors`` (L2-normalized), the indices of its ``k`` nearest other rows
    by cosine, nearest first, ties by lower index: an ``(n, min(k, n - 1))`` array, computed
    exactly a block of rows at a time."""
    n = len(vectors)
    k = max(0, min(k, n - 1))
    out = np.zeros((n, k), dtype=np.int64)
    if not k:
        return out
    x = np.asarray(vectors, dtype=np.float32)
    for start in range(0, n, block):
        sims = x[start : start + block] @ x.T
        rows = np.arange(start, min(start + block, n))
        sims[rows - start, rows] = -np.inf  # not its own neighbour
        for i, row in enumerate(sims):
            out[start + i] = top(row, k)
    return out


SCAN_THREADS = 4
"""At most this many threads scan the 8-bit vectors of one query, one slice of the rows each (one
a core, up to this): faiss scans one query on one thread."""


class Quantized:
    """An 8-bit copy of a book's vectors (faiss's scalar quantizer: each dimension's range over all
    the vectors cut in 256 steps) in ``slices`` slices of rows, scanned at once on a thread each,
    that finds the largest inner products."""

    def __init__(self, vectors: np.ndarray, faiss, slices: int) -> None:
        trained = faiss.IndexScalarQuantizer(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        trained.train(vectors)  # one range per dimension for every slice, so their scores compare
        self.index = faiss.IndexShards(vectors.shape[1], True, True)  # threaded; ids run on from slice to slice
        self.parts = []  # the slices, kept alive here: the faiss index does not own them
        for rows in np.array_split(np.arange(len(vectors)), slices):
            part = faiss.clone_index(trained)
            part.add(vectors[rows[0] : rows[-1] + 1])
            self.parts.append(part)
            self.index.add_shard(part)

    def best(self, q: np.ndarray, k: int) -> np.ndarray:
        """Positions of the ``k`` largest 8-bit inner products with ``q``, in position order."""
        _, found = self.index.search(np.asarray(q, dtype=np.float32).reshape(1, -1), k)
        return np.sort(found[0][found[0] >= 0])


@lru_cache(maxsize=1)
def scan_beside() -> ThreadPoolExecutor:
    """The threads on which a hybrid search of a large book scans its 8-bit vectors while its own
    thread ranks by BM25 (shared by every searcher of the process)."""
    return ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix="selfbook-dense")


def quantized(vectors: np.ndarray) -> Quantized | None:
    """The 8-bit copy of ``vectors`` (:class:`Quantized`), or None when faiss is not installed."""
    try:
        import faiss  # the optional extra selfbook[fast], imported by the first search that can use it
    except ImportError:
        log.info("faiss is not installed: searching %d vectors exactly (pip install 'selfbook[fast]')", len(vectors))
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return Quantized(vectors, faiss, slices=max(1, min(SCAN_THREADS, cores, len(vectors))))


def approximate(vectors: np.ndarray, q: np.ndarray, depth: int, coarse: Quantized, rescored: int = RESCORED) -> tuple[np.ndarray, np.ndarray]:
    """The ``depth`` best positions by exact cosine among the ``max(rescored, 10 * depth)`` best
    of the 8-bit scan ``coarse``, and their exact cosines: best first, ties by lower position, as
    :func:`top`."""
    candidates = coarse.best(q, min(len(vectors), max(rescored, 10 * depth)))
    scores = vectors[candidates] @ q
    best = top(scores, depth)
    return candidates[best], scores[best]
