"""Query vectors shared across searches: the cache, batches across threads, coalesced repeats,
deadlines, and the same vectors as one embedder call per query."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from selfbook.embed import E5Small, HashingEmbedder
from selfbook.errors import EmbeddingError
from selfbook.search import QueryVectors
from selfbook.search.queryvec import normalize

QUERIES = ["rag evaluation", "dosa batter fermentation", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "kolmogorov arnold", "filter coffee", "millet"]


class Recording:
    """An embedder (the real seam) that records each call, and can be held: a held call waits
    until the test lets it go, so a test sees what happens while the embedder is busy."""

    def __init__(self, inner=None) -> None:
        self.inner = inner or HashingEmbedder()
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.calls: list[list[str]] = []
        self.started = threading.Event()  # a call has begun
        self.go = threading.Event()       # calls may finish
        self.go.set()

    def embed(self, texts, query=False):
        self.calls.append(list(texts))
        self.started.set()
        self.go.wait()
        return self.inner.embed(texts, query=query)

    def hold(self) -> None:
        self.started.clear()
        self.go.clear()

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


def vectors_for(embedder, **options) -> QueryVectors:
    return QueryVectors(lambda model: embedder, **options)


def until(condition, seconds: float = 30) -> None:
    """Wait for ``condition()`` to hold (threads at work); fail if it never does."""
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "gave up waiting"
        time.sleep(0.001)


def queued(queries: QueryVectors) -> set[str]:
    """The queries waiting for (or being given) their vector."""
    return {text for _model, text in queries._queue}


def test_a_vector_is_the_embedders_vector_of_the_collapsed_query():
    embedder = HashingEmbedder()
    queries = vectors_for(embedder)
    for query in [*QUERIES, "  rag \t evaluation \n"]:
        want = embedder.embed([normalize(query)], query=True)[0]
        assert np.array_equal(queries.get(embedder.model_id, query), want), query
    assert normalize("  rag \t evaluation \n") == "rag evaluation"


def test_repeats_come_from_the_cache_and_the_oldest_are_dropped():
    embedder = Recording()
    queries = vectors_for(embedder, cache_size=2)
    first = queries.get("m", "rag evaluation")
    again = queries.get("m", "rag  evaluation ")  # the same query, typed with more space
    assert again is first and embedder.texts == ["rag evaluation"]
    assert not again.flags.writeable  # shared: nobody may change it
    queries.get("m", "dosa")
    queries.get("m", "coffee")  # a third: the least recently used goes
    queries.get("m", "rag evaluation")
    assert embedder.texts == ["rag evaluation", "dosa", "coffee", "rag evaluation"]
    assert queries.counts["cached"] == 1 and queries.counts["embedded"] == 4


def test_queries_of_threads_searching_at_once_are_embedded_together():
    embedder = Recording()
    queries = vectors_for(embedder)
    embedder.hold()
    asked = QUERIES + QUERIES[:3]  # three asked twice, at once
    with ThreadPoolExecutor(len(asked) + 1) as pool:
        first = pool.submit(queries.get, "m", "warm up")
        assert embedder.started.wait(10)  # the worker is busy with the first query
        futures = [pool.submit(queries.get, "m", q) for q in asked]
        until(lambda: queries.counts["coalesced"] == 3 and queued(queries) >= set(QUERIES))
        embedder.go.set()
        got = [f.result() for f in futures]
        first.result()
    assert embedder.calls == [["warm up"], QUERIES]  # one call for all that waited, each query once
    single = HashingEmbedder()
    for query, vector in zip(asked, got):
        assert np.array_equal(vector, single.embed([query], query=True)[0])


def test_a_batch_is_at_most_max_batch_queries():
    embedder = Recording()
    queries = vectors_for(embedder, max_batch=2)
    embedder.hold()
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(queries.get, "m", "warm up")
        assert embedder.started.wait(10)
        futures = [pool.submit(queries.get, "m", q) for q in QUERIES[:5]]
        until(lambda: queued(queries) >= set(QUERIES[:5]))
        embedder.go.set()
        for f in [first, *futures]:
            f.result()
    assert [len(c) for c in embedder.calls] == [1, 2, 2, 1]
    assert embedder.texts == ["warm up", *QUERIES[:5]]  # oldest first


def test_a_query_not_ready_by_its_deadline_gives_none_and_is_not_embedded_later():
    embedder = Recording()
    queries = vectors_for(embedder)
    queries.get("m", "warm up")  # the model is loaded: deadlines hold from now on
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        # the embedder is busy and stays so: the search cannot have its vector in time
        assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.05) is None
        assert not embedder.go.is_set()  # it came back while the embedder was still held
        embedder.go.set()
        busy.result()
    assert queries.get("m", "dosa", deadline=time.monotonic() + 60) is not None  # idle: in time
    assert "rag evaluation" not in embedder.texts  # nobody waited for it any more: dropped
    assert queries.counts["late"] == 1


def test_a_busy_embedder_sends_a_query_that_would_be_late_away_at_once():
    """Once the worker knows what a text costs, a query that would wait past its deadline behind
    a busy embedder gets None at once: it is not queued, and not embedded later."""

    class Slow(Recording):
        def embed(self, texts, query=False):
            time.sleep(0.2 * len(texts))  # what a text costs, as the worker will measure it
            return super().embed(texts, query=query)

    embedder = Slow()
    queries = vectors_for(embedder)
    queries.get("m", "measured")  # the worker learns what a text costs
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.05) is None
        assert "rag evaluation" not in queued(queries)  # sent away, not queued
        patient = pool.submit(queries.get, "m", "dosa", time.monotonic() + 600)  # time enough: it waits its turn
        until(lambda: "dosa" in queued(queries))
        embedder.go.set()
        assert busy.result() is not None and patient.result() is not None
    assert embedder.texts == ["measured", "a long one", "dosa"]
    assert queries.counts["turned away"] == 1 and queries.counts["late"] == 0  # at once, not at its deadline


def test_a_query_waited_for_by_another_caller_is_still_embedded():
    embedder = Recording()
    queries = vectors_for(embedder)
    queries.get("m", "warm up")
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        patient = pool.submit(queries.get, "m", "rag evaluation")  # no deadline
        until(lambda: "rag evaluation" in queued(queries))
        assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.01) is None
        embedder.go.set()
        assert patient.result() is not None and busy.result() is not None
    assert embedder.texts == ["warm up", "a long one", "rag evaluation"]


def test_the_first_batch_of_a_model_is_waited_for_past_the_deadline():
    """Loading the model is not being busy: the first query of a model (a command's one search)
    gets its vector however long the model takes to load."""
    embedder = Recording()
    queries = vectors_for(embedder)
    embedder.hold()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(queries.get, "m", "rag evaluation", time.monotonic() + 0.01)
        assert embedder.started.wait(10)
        time.sleep(0.05)  # the deadline has passed; the model is still loading
        embedder.go.set()
        assert first.result() is not None
    assert queries.counts["late"] == 0


def test_the_embedders_error_reaches_every_caller_of_its_batch():
    class Failing(Recording):
        def embed(self, texts, query=False):
            raise EmbeddingError("the model is gone")

    queries = vectors_for(Failing())
    with pytest.raises(EmbeddingError, match="the model is gone"):
        queries.get("m", "rag")
    with pytest.raises(EmbeddingError, match="the model is gone"):  # and the next: nothing cached
        queries.get("m", "rag")


def test_the_worker_goes_when_idle_and_comes_back_when_needed():
    queries = vectors_for(HashingEmbedder(), idle_s=0.01)
    queries.get("m", "rag")
    worker = queries._worker
    assert worker is not None
    worker.join(10)
    assert not worker.is_alive() and queries._worker is None
    assert queries.get("m", "dosa") is not None
    queries.close()
    with pytest.raises(EmbeddingError, match="closed"):
        queries.get("m", "coffee")


def test_models_are_embedded_by_their_own_embedder():
    small, large = HashingEmbedder(dim=16), HashingEmbedder(dim=64)
    queries = QueryVectors({"small": small, "large": large}.__getitem__)
    assert queries.get("small", "rag").shape == (16,) and queries.get("large", "rag").shape == (64,)
    assert queries.embed("large", ["a passage"]).shape == (1, 64)


@pytest.mark.slow
def test_e5_gives_the_same_vectors_in_a_batch_as_one_by_one():
    """The real model: a batch of the queries of threads searching at once is bit-identical to
    embedding each query alone (the C engine packs texts, it does not pad them)."""
    e5 = E5Small(threads=1)
    alone = [e5.embed([q], query=True)[0] for q in QUERIES]
    embedder = Recording(e5)
    queries = vectors_for(embedder)
    embedder.hold()
    with ThreadPoolExecutor(len(QUERIES) + 1) as pool:
        first = pool.submit(queries.get, e5.model_id, "warm up")
        assert embedder.started.wait(30)
        futures = [pool.submit(queries.get, e5.model_id, q) for q in QUERIES]
        until(lambda: queued(queries) >= set(QUERIES))
        embedder.go.set()
        got = [f.result() for f in futures]
        first.result()
    assert embedder.calls[1] == QUERIES  # all in one batch
    for query, vector, want in zip(QUERIES, got, alone):
        assert np.array_equal(vector, want), query


# -- the backlog: queries nobody waits for any more, embedded all the same -------------------------
def test_with_a_backlog_a_late_or_turned_away_query_is_embedded_for_next_time():
    class Slow(Recording):
        def embed(self, texts, query=False):
            time.sleep(0.05 * len(texts))  # what a text costs, as the worker will measure it
            return super().embed(texts, query=query)

    embedder = Slow()
    queries = vectors_for(embedder, backlog=8)
    queries.get("m", "measured")
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.01) is None  # turned away
        assert queries.counts["turned away"] == 1
        assert "rag evaluation" in queued(queries)  # kept, though nobody waits
        embedder.go.set()
        busy.result()
    until(lambda: queries.cached("m", "rag evaluation") is not None)
    assert np.array_equal(queries.cached("m", "rag evaluation"), HashingEmbedder().embed(["rag evaluation"], query=True)[0])
    assert queries.counts["for later"] == 1
    calls = len(embedder.calls)
    assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.01) is not None  # ready: no new call
    assert len(embedder.calls) == calls


def test_the_backlog_keeps_the_newest_and_gives_way_to_a_query_someone_waits_for():
    embedder = Recording()
    queries = vectors_for(embedder, backlog=3)
    queries.get("m", "warm up")
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        for query in QUERIES:  # each late: the embedder is held
            assert queries.get("m", query, deadline=time.monotonic() + 0.005) is None
        assert queued(queries) == {"a long one", *QUERIES[-3:]}  # the three newest kept
        patient = pool.submit(queries.get, "m", "dosa")  # someone waits for this one
        until(lambda: "dosa" in queued(queries))
        embedder.go.set()
        assert busy.result() is not None and patient.result() is not None
        until(lambda: not queued(queries))
    assert embedder.calls[2] == ["dosa"]  # before the backlog
    assert embedder.calls[3:] == [list(reversed(QUERIES[-3:]))]  # then the backlog, newest first
    assert queries.counts["for later"] == 3


def test_a_query_in_the_backlog_that_someone_asks_again_is_waited_for():
    embedder = Recording()
    queries = vectors_for(embedder, backlog=4)
    queries.get("m", "warm up")
    embedder.hold()
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(queries.get, "m", "a long one")
        assert embedder.started.wait(10)
        assert queries.get("m", "rag evaluation", deadline=time.monotonic() + 0.005) is None
        again = pool.submit(queries.get, "m", "rag evaluation", time.monotonic() + 600)
        until(lambda: queries._queue[("m", "rag evaluation")].waiters == 1)
        embedder.go.set()
        assert busy.result() is not None
        assert np.array_equal(again.result(), HashingEmbedder().embed(["rag evaluation"], query=True)[0])
    assert embedder.texts.count("rag evaluation") == 1
    assert queries.counts["for later"] == 0  # someone waited for it when it was embedded
