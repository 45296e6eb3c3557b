"""The index's term counts kept in the store: an add recounts only its own entries, and the book
it writes (INDEX.md, the stored counts, the topic map) is the one a count from scratch gives."""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from installment_helpers import built_with_later, by_title

import selfbook.book.topicmap
from selfbook.book import BookMeta, render_book
from selfbook.book.index import (
    COMMON_FLOOR,
    COMMON_SHARE,
    GENERIC,
    MAX_TERMS,
    _distinctive,
    choose_terms,
    select_terms,
)
from selfbook.book.index_terms import (
    MIN_ENTRIES,
    TERMS_VERSION,
    Candidate,
    count_afresh,
    index_text,
    placed,
    ranked,
    recount,
    singular,
)
from selfbook.models import Entry, Span
from selfbook.text.phrases import most_common_form, phrase_forms
from selfbook.book.topicmap import make_map, map_files

# -- the choice from counts is the choice the rules describe ----------------------------------------


def rules(texts, sections=None, max_terms=MAX_TERMS):
    """The index's rules applied directly to every phrase (how select_terms read before the
    counts were kept): the oracle the counted choice must agree with."""
    order = {e: i for i, e in enumerate(texts)}
    written = [phrase_forms(t) for t in texts.values()]
    found = defaultdict(set)
    for entry_id, forms in zip(texts, written):
        for form in forms:
            found[form.casefold()].add(entry_id)
    groups = defaultdict(list)
    for phrase in found:
        groups[singular(phrase)].append(phrase)
    merged = {}
    for variants in groups.values():
        best = min(variants, key=lambda p: (-len(found[p]), len(p), p))
        merged[best] = set().union(*(found[p] for p in variants))
    most = max(COMMON_FLOOR, math.ceil(COMMON_SHARE * len(texts)))
    kept = {p: tuple(sorted(ids, key=order.__getitem__)) for p, ids in merged.items() if MIN_ENTRIES <= len(ids) <= most and p not in GENERIC}
    by_entries = defaultdict(list)
    for phrase, ids in kept.items():
        by_entries[ids].append(phrase)
    for same in by_entries.values():
        for phrase in same:
            if any(other != phrase and f" {phrase} " in f" {other} " for other in same):
                del kept[phrase]
    casings = {p: Counter(f for forms in written for f in forms if f.casefold() == p) for p in kept}
    forms = {p: most_common_form(c) for p, c in casings.items()}
    kept = {p: ids for p, ids in kept.items() if _distinctive(forms[p], ids, sections)}
    best = sorted(kept, key=lambda p: (-len(kept[p]) * (1 + (len(p.split()) - 1) / 2), p))[:max_terms]
    return {forms[p]: kept[p] for p in sorted(best)}


WORDS = ["agent", "agents", "Agent", "AGENTS", "Google's", "google", "GRPO", "kolmogorov-arnold", "networks", "network",
         "budget", "travel", "guide", "explained", "the", "of", "ಕುವೆಂಪು", "ಕಾವ್ಯ", "R1", "DeepSeek", "class", "classes"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS + [",", "."]), min_size=1, max_size=8), min_size=0, max_size=30),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=8),
)
def test_terms_chosen_from_counts_follow_the_rules(docs, sections, max_terms):
    texts = {f"e{i:02d}": " ".join(words) for i, words in enumerate(docs)}
    where = {e: f"s{i % sections}" for i, e in enumerate(texts)}
    assert select_terms(texts, where, max_terms=max_terms) == rules(texts, where, max_terms)
    assert select_terms(texts, max_terms=max_terms) == rules(texts, None, max_terms)


def test_candidates_rank_best_first_and_read_their_entries_lazily():
    pair = Candidate("retrieval pipeline", "retrieval pipelines", "Retrieval pipelines", 2, '["a", "b"]')
    word = Candidate("retrieval", "retrieval", "retrieval", 3, '["a", "b", "c"]')
    tie = Candidate("agent", "agent", "agent", 3, '["d", "e", "f"]')
    assert [c.phrase for c in ranked([pair, word, tie])] == ["agent", "retrieval", "retrieval pipelines"]  # 3 × 1 > 2 × 1.5
    assert pair.score == 3.0 and pair.ids == ("a", "b")


# -- an add's recount is a count from scratch --------------------------------------------------------


def note(entry_id: str, title: str, *notes: str) -> Entry:
    return Entry(entry_id, title, (), tuple(notes), "note", (), None, "en", "Latin", (Span("self.md", 1, 1),))


class Store:
    """The store's side of the counts, in memory: rows saved as SQLite keeps them."""

    def __init__(self, rows) -> None:
        self.rows = {r[0]: r for r in rows.rows}
        self.version = rows.version

    def save(self, rows) -> None:
        if rows.full:
            self.rows = {}
        for stem in rows.drop:
            self.rows.pop(stem, None)
        self.rows.update((r[0], r) for r in rows.rows)

    def index_terms_version(self):
        return self.version

    def index_term_groups(self, stems):
        return {s: self.rows[s][6] for s in stems if s in self.rows}

    def index_term_candidates(self, offset, limit):
        found = sorted((r for r in self.rows.values() if r[5] is not None), key=lambda r: (-r[5], r[2]))
        return [(r[0], r[2], r[3], r[1], r[4]) for r in found[offset : offset + limit]]


def test_a_recount_gives_the_rows_and_terms_of_a_count_from_scratch():
    rnd = random.Random(4)
    before = {f"e{i}": note(f"e{i}", " ".join(rnd.choices(WORDS, k=5)), " ".join(rnd.choices(WORDS, k=4))) for i in range(60)}
    store = Store(count_afresh(before.values()).rows)
    after = dict(before)
    del after["e3"], after["e7"]                                                   # entries that went
    after["e5"] = note("e5", before["e5"].title, *before["e5"].notes, "agents of DeepSeek")  # one saved again
    after |= {f"n{i}": note(f"n{i}", " ".join(rnd.choices(WORDS, k=5))) for i in range(20)}  # new ones
    counted = recount(store, before, after)
    order = list(after)
    assert select_terms({e: index_text(x) for e, x in after.items()}, max_terms=25) == choose_terms(counted.candidates, order, max_terms=25)
    store.save(counted.rows)
    assert store.rows == Store(count_afresh(after.values()).rows).rows


def test_counts_that_do_not_match_the_book_are_counted_afresh(caplog):
    before = {"a": note("a", "GRPO training"), "b": note("b", "GRPO maths")}
    store = Store(count_afresh(before.values()).rows)
    wrong = {"a": note("a", "something never counted"), "b": before["b"]}
    counted = recount(store, wrong, before)
    assert counted.rows.full and "do not match" in caplog.text
    store.version = None
    assert recount(store, before, before).rows.full  # no counts of this version: every entry


# -- a book: add, curate, and compare with a count from scratch --------------------------------------


both_stores = pytest.mark.usefixtures("store_url")  # these run on SQLite and on PostgreSQL


def _state(lib):
    with lib._open(create=False) as store:
        outline, entries = store.load_outline(), {e.id: e for e in store.load_entries()}
        rows = [tuple(r) for r in store._db.execute("SELECT stem, entries, phrase, form, ids, score, variants FROM index_terms ORDER BY stem")]
        return outline, entries, rows, store.get_meta("index_terms"), store.load_installments()


def _from_scratch(lib):
    """INDEX.md and the stored counts as a count over the stored book gives them."""
    outline, entries, rows, version, installments = _state(lib)
    index = render_book(outline, entries, BookMeta(), installments=installments)["INDEX.md"]
    fresh = count_afresh(placed(outline, entries).values()).rows
    return index, sorted(fresh.rows), rows, version


@pytest.fixture
def built(tmp_path: Path, keywords):
    return built_with_later(tmp_path)


@both_stores
def test_after_an_add_the_index_is_the_one_counted_from_scratch(built, monkeypatch):
    lib, later = built
    monkeypatch.setattr("selfbook.book.index_terms.count_afresh", lambda entries: pytest.fail("the add counted every entry"))
    lib.add([later])  # new entries, and two saved again whose notes grow
    index, fresh, stored, version = _from_scratch(lib)
    assert (lib.book_dir / "INDEX.md").read_text(encoding="utf-8") == index
    assert stored == fresh and version == TERMS_VERSION
    assert "**compost**" in index  # a term only the installment brings


@both_stores
def test_after_a_merge_of_entries_the_index_is_the_one_counted_from_scratch(built):
    lib, later = built
    lib.add([later])
    a, b = by_title(lib, "Dosa batter recipe"), by_title(lib, "Masala dosa recipe")
    lib.merge(a.entry.id, b.entry.id)  # one entry goes, the other gains its note
    index, fresh, stored, _ = _from_scratch(lib)
    assert (lib.book_dir / "INDEX.md").read_text(encoding="utf-8") == index and stored == fresh


@both_stores
def test_a_book_without_counts_is_counted_afresh_by_its_next_add(built):
    lib, later = built
    with lib._open(create=False, lock=True) as store:
        with store._transaction() as db:
            db.execute("DELETE FROM index_terms")
            db.execute("DELETE FROM meta WHERE key = 'index_terms'")  # as a book saved before m004
    lib.add([later])
    index, fresh, stored, version = _from_scratch(lib)
    assert (lib.book_dir / "INDEX.md").read_text(encoding="utf-8") == index and stored == fresh and version == TERMS_VERSION


# -- the topic map's projection, kept with the book --------------------------------------------------


@both_stores
def test_an_add_draws_the_map_a_fresh_fit_draws_without_fitting_again(built, monkeypatch):
    lib, later = built
    fits = []
    fit = selfbook.book.topicmap.fit_projection
    monkeypatch.setattr(selfbook.book.topicmap, "fit_projection", lambda *a: fits.append(1) or fit(*a))
    lib.add([later])
    assert fits == []  # the base is the build's: its projection is used again
    with lib._open(create=False) as store:
        book = lib._pipeline().load_book(store)
    later_ids = {e for i in book.installments for e in i.entry_ids}
    vectors = {e.id: v for e, v in zip(book.entries, book.vectors)}
    fresh = make_map(book.outline, book.by_id(), vectors, frozenset(e.id for e in book.entries if e.id not in later_ids))
    assert fits == [1]
    files = map_files(fresh, lib.settings.title)
    assert (lib.book_dir / "map.png").read_bytes() == files["map.png"]
    assert (lib.book_dir / "map.html").read_text(encoding="utf-8") == files["map.html"]


def test_a_kept_projection_is_used_only_for_the_rows_it_was_fitted_on():
    rnd = random.Random(2)
    vectors = np.array([[rnd.random() for _ in range(6)] for _ in range(40)], dtype=np.float32)
    fresh, projection = selfbook.book.topicmap.placed(vectors, np.arange(30))
    again, same = selfbook.book.topicmap.placed(vectors, np.arange(30), selfbook.book.topicmap.Projection.loads(projection.dumps()))
    assert np.array_equal(fresh, again) and same.key == projection.key
    _, other = selfbook.book.topicmap.placed(vectors, np.arange(31), projection)
    assert other.key != projection.key  # another base: fitted afresh
    assert selfbook.book.topicmap.Projection.loads("not json") is None and selfbook.book.topicmap.Projection.loads(None) is None
    assert json.loads(projection.dumps())["dim"] == 6
