"""Dense search on a large book: an 8-bit scan for candidates, then their exact cosines
(selfbook.search.dense.approximate), from SearchParams.approximate_from entries; exact below it.
The threshold is lowered to a few thousand entries here; no test asserts a timing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from selfbook.embed import HashingEmbedder
from selfbook.models import Chapter, Entry, Outline, Section, Span
from selfbook.search import SearchFilters
from selfbook.search import engine
from selfbook.search.dense import Quantized, approximate, quantized, top
from selfbook.search.engine import SearchParams, Searcher
from selfbook.search.index import full_index
from selfbook.store import BookState, open_store

faiss = pytest.importorskip("faiss", reason="the 8-bit scan needs faiss (pip install 'selfbook[fast]')")

N = 3000
WORDS = "rag evaluation retrieval dosa recipe transformer attention sleep running budget garden kannada".split()


def clustered_unit_vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    """Vectors in a few tight clusters, with exact duplicates: many near ties at the top, the hard
    case for a coarse scan."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((12, dim))
    x = centres[rng.integers(0, 12, n)] + 0.3 * rng.standard_normal((n, dim))
    dups = min(50, n // 4)
    x[n // 2 : n // 2 + dups] = x[:dups]
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def big_book(tmp_path_factory):
    """A book of N entries, written through the store with clustered vectors of the hashing model's shape."""
    rng = np.random.default_rng(1)
    entries = tuple(
        Entry(id=f"{i:012x}", title=" ".join(rng.choice(WORDS, 4)), urls=(), notes=(" ".join(rng.choice(WORDS, 12)),),
              kind="note", entities=(), date=None, lang="en", script="Latin", sources=(Span("dump.md", i + 1, i + 1),))
        for i in range(N)
    )
    hashes = {e.id: f"h{i}" for i, e in enumerate(entries)}
    outline = Outline((Chapter("c0", "Chapter", (Section("c0-s0", "Section", tuple(e.id for e in entries)),)),))
    model = HashingEmbedder().model_id
    state = tmp_path_factory.mktemp("dense-scale") / ".selfbook"
    state.mkdir()
    store = open_store(state)
    store.save_book(BookState(entries=entries, content_hashes=hashes, outline=outline, meta={"model": model, "created": "2026-01-01"},
                              search_index=full_index(entries)), txid="t", command="test", report={})
    vectors = clustered_unit_vectors(N)
    store.put_vectors(model, {hashes[e.id]: v for e, v in zip(entries, vectors)})
    yield store
    store.close()


def searcher(store, approximate_from: int | None) -> Searcher:
    return Searcher(store, lambda model: HashingEmbedder(), SearchParams(approximate_from=approximate_from))


def test_the_8bit_scan_then_exact_cosines_give_the_exact_top_k():
    vectors = clustered_unit_vectors(5000, seed=2)
    coarse = quantized(vectors)
    queries = clustered_unit_vectors(40, seed=3)
    for q in queries:
        want = top(vectors @ q, 10)
        got, cosines = approximate(vectors, q, 10, coarse, rescored=100)  # 100 of 5,000 rescored
        assert got.tolist() == want.tolist()
        np.testing.assert_allclose(cosines, vectors[want] @ q, rtol=1e-6)


def test_slices_of_rows_share_one_range_so_they_find_what_one_slice_finds():
    vectors = clustered_unit_vectors(2000, seed=4)
    one, three = Quantized(vectors, faiss, slices=1), Quantized(vectors, faiss, slices=3)
    for q in clustered_unit_vectors(10, seed=5):
        assert three.best(q, 50).tolist() == one.best(q, 50).tolist()


def test_searches_from_many_threads_at_once_find_what_one_at_a_time_finds():
    """As ``selfbook serve`` searches: the slices' worker threads are shared by every search."""
    vectors = clustered_unit_vectors(4000, seed=6)
    coarse = Quantized(vectors, faiss, slices=2)
    queries = clustered_unit_vectors(32, seed=7)
    alone = [approximate(vectors, q, 10, coarse, rescored=100)[0].tolist() for q in queries]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda q: approximate(vectors, q, 10, coarse, rescored=100)[0].tolist(), queries))
    assert together == alone


def test_a_book_from_the_threshold_scans_8bit_vectors_and_returns_the_exact_ranking(big_book, monkeypatch):
    calls = []
    real = engine.approximate
    monkeypatch.setattr(engine, "approximate", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast, exact = searcher(big_book, approximate_from=N), searcher(big_book, approximate_from=None)
    for query in ("rag evaluation", "dosa recipe", "kannada sleep budget", "attention"):
        for method in ("dense", "hybrid"):
            got = fast.rank(big_book, query, limit=10, filters=SearchFilters(), method=method)
            want = exact.rank(big_book, query, limit=10, filters=SearchFilters(), method=method)
            assert [(r.position, r.ranks) for r in got] == [(r.position, r.ranks) for r in want]
            np.testing.assert_allclose([r.score for r in got], [r.score for r in want], rtol=1e-5)
    assert len(calls) == 8  # every search above took the 8-bit path


def test_below_the_threshold_or_with_a_filter_the_search_is_exact(big_book, monkeypatch):
    monkeypatch.setattr(engine, "approximate", lambda *a, **k: pytest.fail("the 8-bit scan ran"))
    small = searcher(big_book, approximate_from=N + 1)
    small.rank(big_book, "rag evaluation", limit=10, filters=SearchFilters(), method="dense")
    assert small._coarse is None  # no 8-bit copy is even made
    fast = searcher(big_book, approximate_from=N)
    assert fast.rank(big_book, "rag evaluation", limit=10, filters=SearchFilters(kind="note"), method="dense")


def test_without_faiss_every_search_is_exact(big_book, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "faiss", None)  # import faiss now raises ImportError
    monkeypatch.setattr(engine, "approximate", lambda *a, **k: pytest.fail("the 8-bit scan ran"))
    s = searcher(big_book, approximate_from=N)
    assert s.rank(big_book, "rag evaluation", limit=10, filters=SearchFilters(), method="dense")
    assert s._coarse is None


def test_the_default_threshold_keeps_ordinary_books_exact():
    assert SearchParams().approximate_from == 200_000
