"""Fusion: per-query weights from what the query shows (coverage of the book, peaked lists)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from selfbook import Library, Settings
from selfbook.embed import HashingEmbedder
from selfbook.search.fusion import adaptive, convex, peak, query_weights
from selfbook.search.lexical import coverage, script_of
from selfbook.search.terms import word_forms
from selfbook.store.base import Postings

LEXICAL = ([4, 5, 6, 7], [9.0, 3.0, 2.5, 2.0])
DENSE = ([7, 6, 5, 4], [0.91, 0.90, 0.89, 0.80])


def order(fused) -> list[int]:
    return [p for p, _, _ in fused]


def _postings(n: int) -> Postings:
    return Postings(np.arange(n, dtype=np.int32), np.zeros(n, np.uint16), np.ones(n, np.uint16))


def test_coverage_is_the_idf_share_of_the_query_the_book_holds():
    postings = {"dosa": _postings(3), "the": _postings(90), "ಹಿಟ್~": _postings(5)}
    assert coverage([("dosa",), ("the",)], postings, 100) == 1.0
    assert coverage([("ದೋಸೆ", "ದೋಸೆ~"), ("ಕಾಫಿ",)], postings, 100) == 0.0
    some = coverage([("dosa",), ("ದೋಸೆ", "ದೋಸೆ~")], postings, 100)
    assert 0 < some < 0.5  # a word no entry holds weighs more than one that three hold
    assert coverage([("the",), ("ದೋಸೆ", "ದೋಸೆ~")], postings, 100) < some  # a common word held says less
    assert coverage([("ಹಿಟ್ಟನ್ನು", "ಹಿಟ್~")], postings, 100) == 1.0  # held through its stem
    assert coverage([], postings, 100) == 0.0


def test_a_query_whose_own_script_the_book_never_holds_has_no_coverage():
    """A Kannada question over English notes shares a year or a Latin name with them at most:
    that is not the book holding the question, so BM25 gets no vote (before, the year gave it one)."""
    postings = {"2024": _postings(4), "usa": _postings(2), "dosa": _postings(3)}
    assert coverage([("ದೋಸೆ", "ದೋಸೆ~"), ("ಹಿಟ್ಟು", "ಹಿಟ್ಟ~"), ("2024",)], postings, 100) == 0.0
    assert coverage([("ದೋಸೆ", "ದೋಸೆ~"), ("ಹಿಟ್ಟು", "ಹಿಟ್ಟ~"), ("usa",)], postings, 100) == 0.0
    # the query's own script held: the usual share; a tie of scripts counts either one
    assert 0 < coverage([("dosa",), ("batter",), ("ದೋಸೆ", "ದೋಸೆ~"), ("2024",)], postings, 100) < 1
    assert 0 < coverage([("dosa",), ("ದೋಸೆ", "ದೋಸೆ~")], postings, 100) < 1
    assert coverage([("2024",)], postings, 100) == 1.0  # no letters: no script to ask about


def test_script_of_names_a_words_first_letters_script():
    assert [script_of(w) for w in ("ಕನ್ನಡ", "ಕನ್ನ~", "café", "東京", "2024", "e5")] == ["KANNADA", "KANNADA", "LATIN", "CJK", None, "LATIN"]


def test_word_forms_group_a_words_index_forms():
    assert word_forms("ಹಿಟ್ಟನ್ನು dosas Dosa") == [("ಹಿಟ್ಟನ್ನು", "ಹಿಟ್~"), ("dosa",)]


def test_peak_is_the_best_scores_z_and_zero_for_a_flat_list():
    assert peak([1.0, 1.0, 1.0]) == 0.0 and peak([0.5]) == 0.0
    assert peak([3.0, 1.0, 1.0, 1.0]) == pytest.approx(np.sqrt(3))
    assert peak(LEXICAL[1]) > peak(DENSE[1])


def test_query_weights_follow_coverage_and_peaks():
    base = {"lexical": 0.5, "dense": 0.5}
    lists = {"lexical": LEXICAL, "dense": DENSE}
    assert query_weights(lists, weights=base, coverage=1.0) == base
    assert query_weights(lists, weights=base, coverage=0.3, coverage_full=0.2) == base  # enough of the query is held
    assert query_weights(lists, weights=base, coverage=0.05, coverage_full=0.2)["lexical"] == pytest.approx(0.125)
    assert query_weights(lists, weights=base, coverage=0.0)["lexical"] == 0.0
    peaked = query_weights(lists, weights=base, coverage=1.0, sharpness=1.0)
    assert peaked["lexical"] == pytest.approx(0.5 * peak(LEXICAL[1])) and peaked["dense"] == pytest.approx(0.5 * peak(DENSE[1]))


def test_a_query_the_book_holds_no_word_of_ranks_exactly_as_dense():
    fused = adaptive({"lexical": LEXICAL, "dense": DENSE}, weights={"lexical": 0.5, "dense": 0.5}, coverage=0.0)
    assert order(fused) == DENSE[0]
    assert dict(fused[0][2]) == {"lexical": 4, "dense": 1}  # its ranks are still reported
    # the fixed convex sum let BM25's noise vote: its top hit moves up
    assert order(convex({"lexical": LEXICAL, "dense": DENSE}, weights={"lexical": 0.5, "dense": 0.5}, norm="zscore")) != DENSE[0]


def test_a_flat_dense_list_defers_to_lexical():
    flat = ([7, 6, 5, 4], [0.3, 0.3, 0.3, 0.3])
    assert order(adaptive({"lexical": LEXICAL, "dense": flat}, weights={"lexical": 0.5, "dense": 0.5}, coverage=1.0)) == LEXICAL[0]
    # nearly flat: the z-score alone would make its noise a clear favourite; its peak weighs it down
    nearly = ([7, 6, 5, 4], [0.3001, 0.3, 0.3, 0.3])
    lists = {"lexical": LEXICAL, "dense": nearly}
    assert order(adaptive(lists, weights={"lexical": 0.5, "dense": 0.5}, coverage=1.0, sharpness=1.0))[0] == 4


# -- through a book: Kannada questions over English notes ------------------------------------------
KANNADA = {"ದೋಸೆ": "dosa", "ಹಿಟ್ಟು": "batter", "ಹುದುಗುವಿಕೆ": "fermentation", "ಕಾಫಿ": "coffee", "ರಾಗಿ": "ragi"}


class TranslatingEmbedder(HashingEmbedder):
    """The hashing embedder that reads a few Kannada words as their English meaning: a stand-in,
    at the embedder seam, for a multilingual model (e5) that puts both languages in one space."""

    def __init__(self) -> None:
        super().__init__()
        self.model_id = "hashing-384-kn-en"

    def embed(self, texts, query=False):
        return super().embed([" ".join(KANNADA.get(w, w) for w in t.split()) for t in texts], query=query)


@pytest.fixture
def english_book(tmp_path: Path, small_dump: Path) -> Library:
    library = Library(tmp_path / "book", Settings(created="2026-01-01"), embedder=TranslatingEmbedder())
    library.build([small_dump])
    return library


def ids(hits) -> list[str]:
    return [h.placed.entry.id for h in hits]


def test_a_kannada_question_over_english_notes_ranks_as_dense(english_book: Library):
    query = "ದೋಸೆ ಹಿಟ್ಟು ಹುದುಗುವಿಕೆ"
    assert english_book.search(query, method="lexical", limit=10) == []  # BM25 has nothing to say
    hybrid = english_book.search(query, limit=10)
    assert ids(hybrid) == ids(english_book.search(query, method="dense", limit=10))
    assert hybrid[0].placed.entry.title.startswith("Dosa batter fermentation")


@pytest.mark.parametrize("shared", ["Karnataka", "2025"])
def test_a_kannada_question_sharing_a_word_with_english_notes_still_ranks_as_dense(english_book: Library, shared: str):
    """A Kannada question holding one word the English book holds (a Latin name, a year): BM25
    ranks what holds that word, but the book holds none of the question's Kannada words, so BM25
    gets no vote and the question ranks exactly as by meaning (before, the shared word got its
    idf share of the vote)."""
    query = f"ರಾಗಿ ಹಿಟ್ಟು ಹುದುಗುವಿಕೆ ದೋಸೆ ಕಾಫಿ {shared}"
    assert english_book.search(query, method="lexical", limit=10)  # BM25 does find something
    hybrid = english_book.search(query, limit=10)
    dense = english_book.search(query, method="dense", limit=10)
    assert ids(hybrid) == ids(dense)
