"""Where an installment's new topic goes once the book's sections have grown (organize.assign)."""

from __future__ import annotations

import numpy as np

from selfbook.models import Chapter, Outline, Section
from selfbook.organize.assign import AssignParams, new_titles, plan

DIM = 16


def _around(axis: int, count: int, rng: np.random.Generator, spread: float = 0.15) -> np.ndarray:
    rows = np.zeros((count, DIM), dtype=np.float32)
    rows[:, axis] = 1.0
    rows += rng.normal(0.0, spread, size=rows.shape).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _grown_book(rng: np.random.Generator) -> tuple[Outline, list[str], np.ndarray]:
    """Four sections of 24 entries each (a book that adds have filled), two per chapter."""
    ids, vectors, chapters = [], [], []
    for c in range(2):
        sections = []
        for s in range(2):
            axis = 2 * c + s
            members = [f"b{axis}-{i}" for i in range(24)]
            ids += members
            vectors.append(_around(axis, 24, rng))
            sections.append(Section(f"s{axis}", f"Topic {axis}", tuple(members)))
        chapters.append(Chapter(f"c{c}", f"Chapter {c}", tuple(sections)))
    return Outline(tuple(chapters)), ids, np.concatenate(vectors)


def test_a_new_topic_of_a_few_notes_founds_a_section_however_big_the_sections_have_grown():
    # Half the median section size (12 here) was once also a floor, so a grown book turned a
    # real new topic of six notes away to Miscellany; three new entries are enough at any size.
    rng = np.random.default_rng(0)
    outline, book_ids, book_vectors = _grown_book(rng)
    new_ids = [f"n{i}" for i in range(6)]
    texts = ["terrace garden compost"] * 6
    result = plan(outline, book_ids, book_vectors, new_ids, texts, _around(9, 6, rng), book_texts=["x"] * len(book_ids))
    assert [sorted(g.entry_ids) for g in result.groups] == [sorted(new_ids)]
    assert not result.misc and not result.sections
    new_ids = new_ids[:3]
    result = plan(outline, book_ids, book_vectors, new_ids, texts[:3], _around(9, 3, rng), book_texts=["x"] * len(book_ids))
    assert [sorted(g.entry_ids) for g in result.groups] == [sorted(new_ids)]
    assert not result.misc and not result.sections


def test_two_notes_on_a_new_topic_found_nothing():
    rng = np.random.default_rng(1)
    outline, book_ids, book_vectors = _grown_book(rng)
    new_ids = [f"n{i}" for i in range(2)]
    result = plan(outline, book_ids, book_vectors, new_ids, ["compost"] * 2, _around(9, 2, rng), book_texts=["x"] * len(book_ids))
    assert result.groups == ()
    assert set(result.misc) | set(result.sections) == set(new_ids)


def _book_of_titles() -> tuple[Outline, list[str], list[str]]:
    texts = [f"Sourdough starter feeding, day {i}" for i in range(6)] + [f"Dead hang practice, week {i}" for i in range(6)]
    ids = [f"b{i}" for i in range(len(texts))]
    outline = Outline((
        Chapter("c0", "Kitchen", (Section("s0", "Sourdough", tuple(ids[:6])),)),
        Chapter("c1", "Health", (Section("s1", "Dead Hang", tuple(ids[6:])),)),
    ))
    return outline, ids, texts


def test_a_new_section_is_titled_as_the_books_own_sections_are():
    # The book's titler knows the published vocabularies: notes on postgres are "PostgreSQL"
    # (the old rule, which knows no vocabulary, said "PostgreSQL & Table").
    outline, ids, texts = _book_of_titles()
    group = ["postgres: show the size of each table", "PostgreSQL: vacuum full locks the table",
             "Postgres expanded display for wide rows", "PostgreSQL EXPLAIN ANALYZE reads", "postgres history across sessions"]
    assert new_titles(outline, ids, texts, [group]) == ["PostgreSQL"]


def test_a_new_section_does_not_take_a_title_the_book_has():
    outline, ids, texts = _book_of_titles()
    # Larger than the book's "Sourdough", the group would be titled first and take the phrase.
    group = [f"Sourdough loaf, bake {i}: crumb and crust" for i in range(8)]
    (title,) = new_titles(outline, ids, texts, [group])
    assert title and title.casefold() != "sourdough"


def test_new_notes_that_fit_one_section_join_it_rather_than_found_one_beside_it():
    # Tighter among themselves than the section they fit ("Upma recipe with semolina" and two
    # more beside "Recipes"), they would have founded "Recipe with Semolina".
    rng = np.random.default_rng(2)
    outline, book_ids, book_vectors = _grown_book(rng)
    new_ids = [f"n{i}" for i in range(4)]
    near = _around(0, 4, rng, spread=0.01)
    near[:, 9] += 0.25
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    args = (outline, book_ids, book_vectors, new_ids, ["semolina recipe"] * 4, near)
    assert plan(*args, book_texts=["x"] * len(book_ids), params=AssignParams(join_share=0)).groups  # the old rule
    result = plan(*args, book_texts=["x"] * len(book_ids))
    assert result.groups == () and set(result.sections.values()) == {"s0"}
