"""Dense retrieval: exact cosine between the query's vector and every entry's stored vector.

The vectors are the book's own (its embedding model, recorded in the store), held as one float32
matrix: a numpy matrix-vector product is exact and needs no index to build or keep in step.
float16 would halve the memory but numpy has no fast float16 product: measured once at 100k
rows, 113 ms against 8 ms for float32 (1.2 s against 54 ms at 1M). ``bench/search_speed.py``
measures float32 in the engine.
"""

from __future__ import annotations

import logging
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
