"""Searching under load: the search budget (BM25 alone when the query's vector is late, and the
hits say so), one Library searched by many threads at once, and the settings that choose it."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import HeldEmbedder
from selfbook import Library, Settings, load_settings
from selfbook.embed import HashingEmbedder
from selfbook.search import Hits, QueryVector, search_terms
from selfbook.search.terms import _index_forms

QUERIES = ["dosa batter fermentation", "retrieval augmented generation", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "kolmogorov networks", "filter coffee"]


@pytest.fixture
def built(small_book: Library) -> Library:
    return small_book


def summary(hits) -> list[tuple[str, float, tuple]]:
    return [(h.placed.entry.id, round(h.score, 6), h.ranks) for h in hits]


def test_a_search_past_its_budget_answers_from_words_alone_and_says_so(built: Library):
    held = HeldEmbedder()
    library = Library(built.book_dir, built.settings.replace(search_budget_ms=50), embedder=held)
    normal = library.search("dosa batter fermentation")  # idle: the whole search, in time
    assert isinstance(normal, Hits) and normal.degraded is None and normal.note is None
    assert any(name == "dense" for h in normal for name, _ in h.ranks)

    held.go.clear()
    held.busy.clear()
    other = threading.Thread(target=library.search, args=("another search keeps the model busy",), kwargs={"budget_ms": 0})
    other.start()
    assert held.busy.wait(30)
    late = library.search("fermenting dosa batter")
    assert not held.go.is_set()  # it answered while the model was still busy
    assert late.degraded == "lexical" and "words only" in late.note
    assert summary(late) == summary(library.search("fermenting dosa batter", method="lexical"))  # the BM25 hits
    dense_late = library.search("dosa batter", method="dense")
    assert dense_late.degraded == "lexical" and all(name == "lexical" for h in dense_late for name, _ in h.ranks)
    again = library.search("dosa batter fermentation")  # its vector is known: the whole search
    assert again.degraded is None and summary(again) == summary(normal)
    held.go.set()
    other.join(30)
    assert library.search("fermenting dosa batter").degraded is None


def test_without_load_the_budget_changes_nothing(built: Library):
    budgeted = Library(built.book_dir, built.settings.replace(search_budget_ms=60_000), embedder=HashingEmbedder())
    unlimited = Library(built.book_dir, built.settings, embedder=HashingEmbedder())
    for query in QUERIES:
        for method in ("hybrid", "dense", "lexical"):
            with_budget, without = budgeted.search(query, method=method), unlimited.search(query, method=method)
            assert with_budget.degraded is None and without.degraded is None
            assert summary(with_budget) == summary(without), (query, method)
            assert [h.snippet for h in with_budget] == [h.snippet for h in without]


def test_a_query_vector_found_before_searches_as_the_search_would(built: Library):
    """serve --workers finds the vector in one process and ranks in another: Library.query_vector
    then Library.search(vector=…) is the search, one found too late is the words-only search,
    and a vector of another model is not used."""
    finder = Library(built.book_dir, built.settings, embedder=HashingEmbedder())
    searcher = Library(built.book_dir, built.settings, embedder=HashingEmbedder())
    model = searcher.prepare_search()
    assert model == HashingEmbedder().model_id
    for query in QUERIES:
        found = finder.query_vector(query)
        assert found.model == model and found.vector is not None
        for method in ("hybrid", "dense"):
            whole = searcher.search(query, method=method)
            assert summary(searcher.search(query, method=method, vector=found)) == summary(whole), (query, method)
            other = QueryVector("some-other-model", np.zeros(7, dtype=np.float32))
            assert summary(searcher.search(query, method=method, vector=other)) == summary(whole), (query, method)
        late = searcher.search(query, vector=QueryVector(model, None))
        assert late.degraded == "lexical" and "words only" in late.note
        assert summary(late) == summary(searcher.search(query, method="lexical"))
    busy = HeldEmbedder()
    busy.go.clear()
    slow = Library(built.book_dir, built.settings, embedder=busy)
    waiting = ThreadPoolExecutor(1).submit(slow.query_vector, "warm the model")
    assert busy.busy.wait(30)
    busy.go.set()
    waiting.result(30)  # the model's first batch is waited for; from now on deadlines hold
    busy.go.clear()
    keeping_busy = ThreadPoolExecutor(1).submit(slow.query_vector, "keeps the model busy")
    assert busy.busy.wait(30)
    assert slow.query_vector("dosa batter", deadline=time.monotonic() + 0.02).vector is None
    busy.go.set()
    keeping_busy.result(30)


def test_a_budget_given_to_the_call_wins_over_the_settings(built: Library):
    held = HeldEmbedder()
    library = Library(built.book_dir, built.settings.replace(search_budget_ms=50), embedder=held)
    held.go.clear()
    waiting = ThreadPoolExecutor(1).submit(library.search, "dosa batter", budget_ms=0)  # waits, however long
    assert held.busy.wait(30)
    assert not waiting.done()
    held.go.set()
    assert waiting.result(30).degraded is None


def test_many_threads_search_one_library_as_one_thread_does(built: Library):
    """One Library, many threads at once (as the web server searches): the same hits as one by
    one, English words stemmed right (the Snowball stemmer is not safe to share unguarded)."""
    library = Library(built.book_dir, built.settings, embedder=HashingEmbedder())
    asked = [(q, m) for q in QUERIES for m in ("hybrid", "lexical", "dense")] * 6
    serial = {key: summary(library.search(key[0], method=key[1])) for key in set(asked)}
    _index_forms.cache_clear()  # every thread stems afresh
    with ThreadPoolExecutor(16) as pool:
        found = list(pool.map(lambda key: summary(library.search(key[0], method=key[1])), asked))
    assert found == [serial[key] for key in asked]
    stems = [b + s + x for b in ("transform", "network", "ferment", "retriev", "generat", "relat", "hope", "nation")
             for s in ("ational", "izations", "fulness", "iveness", "ically", "ings", "ement", "ousness") for x in ("", "al", "ing")]
    one_by_one = [search_terms(w) for w in stems]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often: unguarded, the stemmer soon fails
    try:
        for _ in range(5):
            _index_forms.cache_clear()
            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(search_terms, stems)) == one_by_one
    finally:
        sys.setswitchinterval(switching)
        _index_forms.cache_clear()


def test_the_search_budget_is_a_setting(tmp_path: Path):
    assert Settings().search_budget_ms == 0  # the CLI waits for every vector unless told
    assert load_settings(tmp_path, env={"SELFBOOK_SEARCH_BUDGET_MS": "80"}).search_budget_ms == 80
    (tmp_path / ".selfbook").mkdir()
    (tmp_path / ".selfbook" / "config.toml").write_text("search_budget_ms = 120\n", encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    assert settings.search_budget_ms == 120 and "search_budget_ms" in settings.chosen
