"""Search: lexical, dense and fused retrieval, filters, Kannada words, snippets and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.models import Entry, Span
from selfbook.search import QueryError, SearchFilters, highlight_spans, parse_period, search_terms, snippet
from selfbook.search.dense import top
from selfbook.search.fusion import convex, rrf

from conftest import SMALL_DUMP

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}

SECOND_DUMP = """\
# Reading

ಕನ್ನಡ ಸಾಹಿತ್ಯ ಪರಿಷತ್ತು ವಾರ್ಷಿಕ ಸಮ್ಮೇಳನ
https://kn.wikipedia.org/wiki/ಕನ್ನಡ_ಸಾಹಿತ್ಯ_ಪರಿಷತ್ತು

ಕನಸು ಕಾಣುವ ಬಗ್ಗೆ ಒಂದು ಪುಸ್ತಕ, dreams and sleep
https://www.example.org/dreams

ಹಳೆಯ ಕನ್ನಡದ ಶಾಸನಗಳು ಮತ್ತು ಲಿಪಿ

Café culture in Vienna, a short history — 2023
https://www.example.org/vienna-cafe
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def book(request, templates, tmp_path: Path) -> Library:
    """A copy of the book of the small dump and ``reading.md``, built once per store for the run."""
    return templates.copy(request.param, {"self.md": SMALL_DUMP, "reading.md": SECOND_DUMP}, tmp_path / "book")


@pytest.fixture
def built_here(library: Library, small_dump: Path, tmp_path: Path) -> Library:
    """The same book built in the test's own folder, for a test of the dumps' paths."""
    second = tmp_path / "reading.md"
    second.write_text(SECOND_DUMP, encoding="utf-8")
    library.build([small_dump, second])
    return library


def titles(hits) -> list[str]:
    return [h.placed.entry.title for h in hits]


# -- the three paths ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["lexical", "dense", "hybrid"])
def test_each_method_finds_the_targeted_entry(book: Library, method: str):
    hits = book.search("dosa batter fermentation", method=method, limit=3)
    assert hits[0].placed.entry.title.startswith("Dosa batter fermentation")
    assert [name for name, _ in hits[0].ranks] == (["dense", "lexical"] if method == "hybrid" else [method])
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_hybrid_fuses_ranks_and_returns_placed_entries(book: Library):
    hits = book.search("Kolmogorov-Arnold networks", limit=5)
    assert "KAN" in hits[0].placed.entry.title or "Kolmogorov" in hits[0].placed.entry.title
    top = hits[0]
    assert dict(top.ranks) == {"lexical": 1, "dense": dict(top.ranks)["dense"]}
    assert top.placed.chapter and top.placed.section
    assert 0 < top.score <= 1 and all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_results_are_deterministic_and_limited(book: Library):
    first = book.search("retrieval", limit=4)
    assert len(first) == 4
    assert [h.placed.entry.id for h in first] == [h.placed.entry.id for h in book.search("retrieval", limit=4)]
    assert len(book.search("retrieval", limit=50)) > 4


# -- filters -----------------------------------------------------------------------------------
def test_kind_filter(book: Library):
    hits = book.search("retrieval language models", filters=SearchFilters(kind="paper"), limit=20)
    assert hits and all(h.placed.entry.kind == "paper" for h in hits)
    with pytest.raises(QueryError, match="unknown kind"):
        book.search("x", filters=SearchFilters(kind="podcast"))


def test_chapter_and_section_filters(book: Library):
    target = next(p for p in book.entries() if p.entry.title.startswith("Ragi mudde"))
    for method in ("lexical", "dense", "hybrid"):
        hits = book.search("ragi millet recipe", filters=SearchFilters(chapter=target.chapter), method=method, limit=50)
        assert hits and {h.placed.chapter_id for h in hits} == {target.chapter_id}
    by_id = book.search("ragi", filters=SearchFilters(chapter=target.chapter_id.upper()), limit=50)
    assert {h.placed.chapter_id for h in by_id} == {target.chapter_id}
    section = SearchFilters(chapter=target.chapter_id, section=target.section)
    hits = book.search("ragi millet", filters=section, limit=50)
    assert hits[0].placed.entry == target.entry and {h.placed.section_id for h in hits} == {target.section_id}
    with pytest.raises(QueryError, match="no chapter matches"):
        book.search("x", filters=SearchFilters(chapter="no such chapter here"))


def test_date_filters_overlap_and_drop_undated(book: Library):
    january = SearchFilters(since=dt.date(2025, 1, 1), until=dt.date(2025, 1, 31))
    hits = book.search("DeepSeek reasoning model", filters=january, method="lexical", limit=50)
    assert "DeepSeek-R1 technical report" in titles(hits)
    for method in ("lexical", "dense", "hybrid"):
        for hit in book.search("recipe coffee networks", filters=january, method=method, limit=50):
            date = hit.placed.entry.date
            assert date is not None and date.start <= dt.date(2025, 1, 31) and date.end >= dt.date(2025, 1, 1)
    none = book.search("DeepSeek", filters=SearchFilters(until=dt.date(2000, 12, 31)), limit=50)
    assert none == []
    with pytest.raises(QueryError, match="after"):
        book.search("x", filters=SearchFilters(since=dt.date(2025, 1, 1), until=dt.date(2024, 1, 1)))


def test_source_filter_by_file_name_or_path(built_here: Library, tmp_path: Path):
    book = built_here
    for source in ("reading.md", str(tmp_path / "reading.md")):
        hits = book.search("culture dreams ಕನ್ನಡ", filters=SearchFilters(source=source), limit=50)
        assert hits and all(any(s.path.endswith("reading.md") for s in h.placed.entry.sources) for h in hits)
    assert book.search("dosa", filters=SearchFilters(source="elsewhere.md")) == []


def test_parse_period():
    assert parse_period("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert parse_period("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse_period("2024-12") == (dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    assert parse_period("2024-06-19") == (dt.date(2024, 6, 19), dt.date(2024, 6, 19))
    for bad in ("2024-13", "24", "June 2024", "2024-02-30", ""):
        with pytest.raises(QueryError, match="YYYY"):
            parse_period(bad)


# -- Kannada -----------------------------------------------------------------------------------
def test_kannada_words_match_whole(book: Library):
    hits = book.search("ಕನ್ನಡ", method="lexical", limit=50)
    # the whole word first, then its inflected form (ಕನ್ನಡದ: "of Kannada") through the shared stem
    assert titles(hits) == ["ಕನ್ನಡ ಸಾಹಿತ್ಯ ಪರಿಷತ್ತು ವಾರ್ಷಿಕ ಸಮ್ಮೇಳನ", "ಹಳೆಯ ಕನ್ನಡದ ಶಾಸನಗಳು ಮತ್ತು ಲಿಪಿ"]
    assert hits[0].score > hits[1].score
    assert hits[0].highlights == ((0, 5),) and hits[0].snippet[0:5] == "ಕನ್ನಡ"
    assert [hits[1].snippet[a:b] for a, b in hits[1].highlights] == ["ಕನ್ನಡದ"]
    # a fragment that a combining-mark-blind tokenizer would make of ಕನ್ನಡ / ಕನಸು matches nothing
    assert book.search("ಕನ", method="lexical") == []
    assert titles(book.search("ಕಾದಂಬರಿ", method="lexical")) == ["ಪೂರ್ಣಚಂದ್ರ ತೇಜಸ್ವಿ ಅವರ ಕರ್ವಾಲೋ ಕಾದಂಬರಿ"]
    assert book.search("ಕಾದಂಬರಿ", method="hybrid")[0].placed.entry.title.endswith("ಕಾದಂಬರಿ")


def test_search_terms_keep_indic_marks_and_drop_latin_accents():
    assert search_terms("ಕನ್ನಡ ಸಾಹಿತ್ಯ") == ["ಕನ್ನಡ", "ಕನ್ನ~", "ಸಾಹಿತ್ಯ", "ಸಾಹಿ~"]  # whole words, plus stems
    assert not {"ಕನ", "ನಡ"} & set(search_terms("ಕನ್ನಡ"))
    assert search_terms("Café CAFÉ") == ["cafe", "cafe"]
    assert search_terms("Transformers running e5-small") == ["transform", "run", "e5-small", "e5", "small"]


def test_accents_do_not_matter(book: Library):
    assert titles(book.search("cafe vienna", method="lexical"))[0].startswith("Café culture")


# -- queries that must not break -----------------------------------------------------------------
@pytest.mark.parametrize(
    "query", ['"rag unbalanced', "rag*", "NEAR(rag retrieval)", "-retrieval", "title:rag", "(rag", "rag AND OR NOT", "^rag", "'; DROP TABLE entries; --"]
)
def test_query_syntax_never_raises(book: Library, query: str):
    for method in ("lexical", "dense", "hybrid"):
        hits = book.search(query, method=method)
        assert isinstance(hits, list)
    assert book.search(query, method="lexical") or query.startswith("'")


def test_punctuation_only_finds_nothing_and_empty_is_an_error(book: Library):
    assert book.search("?!… —", method="hybrid") == []
    for empty in ("", "   \n"):
        with pytest.raises(QueryError, match="empty query"):
            book.search(empty)
    with pytest.raises(QueryError, match="method"):
        book.search("rag", method="fuzzy")


# -- the index follows the book ------------------------------------------------------------------
def test_index_follows_a_rebuild(library: Library, small_dump: Path):
    library.build([small_dump])
    assert titles(library.search("filter coffee decoction", limit=1)) == ["Filter coffee decoction ratios for a strong South Indian coffee"]
    small_dump.write_text(small_dump.read_text(encoding="utf-8").replace(
        "Filter coffee decoction ratios for a strong South Indian coffee\nhttps://www.example.org/filter-coffee\n", ""
    ), encoding="utf-8")
    library.build([small_dump])  # the same Library: its loaded searcher must notice
    for method in ("lexical", "dense", "hybrid"):
        assert all("coffee" not in t.casefold() for t in titles(library.search("filter coffee decoction", method=method, limit=50)))
    fresh = Library(library.book_dir, library.settings, embedder=HashingEmbedder())
    assert all("coffee" not in t.casefold() for t in titles(fresh.search("coffee", method="lexical", limit=50)))


def test_old_book_index_is_rebuilt_and_missing_vectors_are_embedded(book: Library):
    if book.settings.store:
        pytest.skip("edits SQLite's tables by hand to make an old book")
    db = sqlite3.connect(book.state_dir / "book.db")
    with db:
        db.execute("DELETE FROM search_terms")
        db.execute("DELETE FROM meta WHERE key = 'search_index'")
        db.execute("DELETE FROM embeddings WHERE content_hash = (SELECT content_hash FROM entries WHERE title LIKE 'Dosa%')")
    db.close()
    fresh = Library(book.book_dir, Settings(embedder="hashing"), embedder=HashingEmbedder())
    assert titles(fresh.search("dosa batter", method="lexical", limit=1))[0].startswith("Dosa")
    assert titles(fresh.search("dosa batter fermentation", method="dense", limit=1))[0].startswith("Dosa")
    db = sqlite3.connect(book.state_dir / "book.db")
    assert db.execute("SELECT count(*) FROM entries e JOIN embeddings v ON v.content_hash = e.content_hash").fetchone()[0] == len(book.entries())
    db.close()


# -- snippets --------------------------------------------------------------------------------------
def _entry(title: str, note: str = "") -> Entry:
    return Entry("x", title, (), (note,) if note else (), "note", (), None, "en", "Latin", (Span("a.md", 1, 1),))


def test_snippet_centres_on_the_matches():
    note = " ".join(["filler"] * 80) + " the retrieval step of RAG decides quality " + " ".join(["tail"] * 80)
    text, spans = snippet(_entry("T", note), set(search_terms("RAG retrieval")))
    assert text.startswith("…") and text.endswith("…") and len(text) <= 202
    assert sorted(text[s:e] for s, e in spans) == ["RAG", "retrieval"]


def test_snippet_falls_back_to_the_title_and_keeps_markup_as_text():
    text, spans = snippet(_entry("[bold]RAG[/bold] <b>notes</b>"), {"rag"})
    assert text == "[bold]RAG[/bold] <b>notes</b>" and [text[s:e] for s, e in spans] == ["RAG"]
    assert highlight_spans("e5-small model", set(search_terms("e5-small"))) == ((0, 2), (3, 8))


# -- the command line --------------------------------------------------------------------------------
@pytest.fixture
def cli_book(templates, tmp_path: Path) -> Path:
    """A copy of the small dump's book built by the CLI on SQLite, once for the run."""
    return templates.copy_book("sqlite", {"self.md": SMALL_DUMP}, tmp_path / "clibook", cli_env=ENV)[0]


def test_cli_json_lines(cli_book: Path):
    result = CliRunner(env=ENV).invoke(main, ["search", "dosa batter", "--book", str(cli_book), "--json", "-n", "3"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3 and rows[0]["title"].startswith("Dosa")
    for row in rows:
        assert {"id", "title", "urls", "chapter", "section", "date", "score", "snippet", "highlights", "kind", "source", "ranks"} <= row.keys()
    assert rows[0]["ranks"] == {"dense": 1, "lexical": 1}


def test_cli_batch(cli_book: Path, tmp_path: Path):
    queries = tmp_path / "q.txt"
    queries.write_text("dosa batter\n\nಕಾದಂಬರಿ\n???\n", encoding="utf-8")
    result = CliRunner(env=ENV).invoke(main, ["search", "--batch", str(queries), "--book", str(cli_book), "-n", "2", "--method", "lexical"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [x["query"] for x in lines] == ["dosa batter", "ಕಾದಂಬರಿ", "???"]
    assert lines[0]["results"][0]["title"].startswith("Dosa") and lines[2]["results"] == []
    assert {"id", "title", "score", "snippet"} <= lines[1]["results"][0].keys()


def test_cli_human_output_and_errors(cli_book: Path):
    runner = CliRunner(env=ENV)
    result = runner.invoke(main, ["search", "[red]dosa[/red] batter", "--book", str(cli_book), "-n", "1"])
    assert result.exit_code == 0 and "Dosa batter" in result.output and "https://www.example.org/dosa-batter" in result.output  # as saved
    bad = runner.invoke(main, ["search", "x", "--book", str(cli_book), "--since", "2024-99"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    empty = runner.invoke(main, ["search", " ", "--book", str(cli_book)])
    assert empty.exit_code == 1 and "empty query" in empty.output
    assert runner.invoke(main, ["search", "--book", str(cli_book)]).exit_code == 2
    unknown = runner.invoke(main, ["search", "x", "--book", str(cli_book), "--chapter", "zzz"])
    assert unknown.exit_code == 1 and "no chapter matches" in unknown.output


# -- the real model ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_real_model_hybrid(tmp_path: Path, small_dump: Path):
    library = Library(tmp_path / "real", Settings(created="2026-01-01"))
    library.build([small_dump])
    hits = library.search("finger millet staple food", limit=3)
    assert hits[0].placed.entry.title.startswith("Ragi mudde")
    assert dict(hits[0].ranks).keys() == {"lexical", "dense"}
    assert library.search("ಕರ್ವಾಲೋ", method="lexical")[0].placed.entry.title.endswith("ಕಾದಂಬರಿ")


# -- fusion and top-k ------------------------------------------------------------------------------------
def test_rrf_sums_reciprocal_ranks_and_breaks_ties_by_position():
    fused = rrf({"lexical": [7, 3], "dense": [3, 9]}, k=60)
    assert [p for p, _, _ in fused] == [3, 7, 9]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61) and fused[0][2] == (("dense", 1), ("lexical", 2))
    assert [p for p, _, _ in rrf({"a": [5], "b": [2]})] == [2, 5]
    weighted = rrf({"lexical": [1], "dense": [2]}, weights={"lexical": 0.5})
    assert [p for p, _, _ in weighted] == [2, 1]


def test_convex_fusion_normalizes_each_retrievers_scores():
    fused = convex({"lexical": ([4, 5, 6], [12.0, 6.0, 2.0]), "dense": ([5, 4], [0.9, 0.8])}, weights={"lexical": 0.5, "dense": 0.5})
    scores = {p: s for p, s, _ in fused}
    assert scores[5] == pytest.approx(0.5 * 0.4 + 0.5 * 1.0) and scores[4] == pytest.approx(0.5) and scores[6] == 0
    assert [p for p, _, _ in fused] == [5, 4, 6]
    assert convex({"dense": ([3], [0.2])}, weights={"dense": 0.5})[0][1] == 0.5  # a lone hit is its list's best


def test_top_is_exact_and_deterministic_with_ties():
    scores = np.array([1, 3, 3, 2, 3, 0], dtype=np.float32)
    assert top(scores, 2).tolist() == [1, 2]
    assert top(scores, 2, np.array([0, 3, 5])).tolist() == [3, 0]
    assert top(scores, 10).tolist() == [1, 2, 4, 3, 0, 5]
