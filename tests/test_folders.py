"""Folders and tags made visible: ``entries --json`` fields, "Filed under" in the book, and the
search filter by tag through the library, the CLI and the web API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from selfbook import Library, Settings
from selfbook.book.render import filed_under, render_entry
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.models import Entry, Span
from selfbook.search import QueryError, SearchFilters
from selfbook.web import create_app

BOOKMARKS = """\
<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3>Bookmarks bar</H3>
    <DL><p>
        <DT><H3>Research</H3>
        <DL><p>
            <DT><H3>LLMs</H3>
            <DL><p>
                <DT><A HREF="https://arxiv.org/abs/2005.11401" ADD_DATE="1717200000" TAGS="llm,rag">Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks</A>
                <DT><A HREF="https://arxiv.org/abs/2310.03714" ADD_DATE="1717200000" TAGS="llm">DSPy: Compiling Declarative Language Model Calls</A>
            </DL><p>
        </DL><p>
        <DT><A HREF="https://www.example.org/sourdough" ADD_DATE="1717200000" TAGS="kitchen">Sourdough starter, day by day</A>
    </DL><p>
</DL><p>
"""

DUMP = """\
# self

## Kitchen notebook

Ragi mudde, how to make it soft #kitchen #ಕನ್ನಡ
https://www.example.org/ragi-mudde

Dosa batter fermentation: why rice and urad dal need warmth
https://www.example.org/dosa-batter
"""

SETTINGS = Settings(embedder="hashing", created="2026-01-01")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("folders")
    (root / "bookmarks.html").write_text(BOOKMARKS, encoding="utf-8")
    (root / "self.md").write_text(DUMP, encoding="utf-8")
    Library(root / "book", SETTINGS, embedder=HashingEmbedder()).build([root / "bookmarks.html", root / "self.md"])
    return root / "book"


def by_title(book: Path) -> dict[str, dict]:
    result = CliRunner().invoke(main, ["entries", "--book", str(book), "--json"], env={"SELFBOOK_EMBEDDER": "hashing"})
    assert result.exit_code == 0, result.output
    return {row["title"]: row for row in map(json.loads, result.output.splitlines())}


def test_entries_json_has_tags_and_folders(built: Path):
    rows = by_title(built)
    rag = rows["Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"]
    assert rag["tags"] == ["llm", "rag"] and rag["folders"] == ["Bookmarks bar", "Research", "LLMs"]
    assert rows["Sourdough starter, day by day"]["folders"] == ["Bookmarks bar"]
    ragi = rows["Ragi mudde, how to make it soft #kitchen #ಕನ್ನಡ"]
    assert ragi["tags"] == ["kitchen", "ಕನ್ನಡ"] and ragi["folders"] == ["self", "Kitchen notebook"]
    assert all({"id", "title", "urls", "kind", "date", "chapter", "section", "source", "note"} <= set(r) for r in rows.values())


def test_book_shows_where_a_bookmark_was_filed_but_not_a_dumps_outline(built: Path):
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(built.glob("[0-9]*.md")))
    assert text.count("Filed under: Bookmarks bar › Research › LLMs") == 2
    assert "Filed under: Bookmarks bar\\" in text
    assert "Filed under: self" not in text and text.count("Filed under:") == 3
    assert "#llm · #rag" in text  # tags stay on the entry's facts line


def entry(headings: tuple[str, ...], path: str, title: str = "A title") -> Entry:
    return Entry(
        id="e1", title=title, urls=("https://example.org/a",), notes=(), kind="article", entities=(), date=None,
        lang="en", script="Latn", sources=(Span(path, 3, 3),), headings=headings,
    )


def test_filed_under_rule():
    assert filed_under(entry(("Bookmarks bar", "Research"), "bookmarks.html")) == ("Bookmarks bar", "Research")
    assert filed_under(entry(("2023", "X bookmarks"), "notes/self.md")) == ()  # a dump's own outline
    assert filed_under(entry(("self", "unsorted"), "self.txt")) == ()
    vault = entry(("Reading", "ML papers", "Transformers"), "vault/Reading/ML papers.md")
    assert filed_under(vault) == ("Reading", "ML papers", "Transformers")  # a vault note's folders
    reread = entry(("Machine learning", "RAG"), "book.jsonl")
    assert filed_under(reread, ("Machine Learning", "rag")) == ()  # only the book's own place
    assert filed_under(reread, ("Cooking", "Bread")) == ("Machine learning", "RAG")
    assert filed_under(entry((), "bookmarks.html")) == ()


def test_filed_under_is_escaped():
    hostile = entry(("<script>x</script>", "*bold* [a](javascript:x)"), "bookmarks.html")
    line = render_entry(hostile).split("\\\n")[-2]
    assert line.startswith("Filed under: ") and "<script>" not in line and "[a](" not in line


def test_search_filters_by_tag(built: Path):
    library = Library(built, SETTINGS, embedder=HashingEmbedder())
    hits = library.search("generation language model", filters=SearchFilters(tags=("llm",)), limit=10)
    assert {h.placed.entry.title for h in hits} == {
        "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", "DSPy: Compiling Declarative Language Model Calls",
    }
    both = library.search("generation language model", filters=SearchFilters(tags=("#LLM", "rag")), limit=10)
    assert [h.placed.entry.title for h in both] == ["Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"]
    kannada = library.search("ragi mudde", filters=SearchFilters(tags=("ಕನ್ನಡ",)), limit=10)
    assert [h.placed.entry.title for h in kannada] == ["Ragi mudde, how to make it soft #kitchen #ಕನ್ನಡ"]
    with pytest.raises(QueryError, match="no entry is tagged 'podcast' — the book's tags: #kitchen #llm #rag"):
        library.search("generation", filters=SearchFilters(tags=("podcast",)))


def test_cli_and_web_take_the_tag_filter(built: Path):
    run = CliRunner().invoke(
        main, ["search", "language model", "--book", str(built), "--tag", "llm", "--tag", "rag", "--json"], env={"SELFBOOK_EMBEDDER": "hashing"}
    )
    assert run.exit_code == 0, run.output
    assert [json.loads(line)["title"] for line in run.output.splitlines()] == ["Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"]
    bad = CliRunner().invoke(main, ["search", "x", "--book", str(built), "--tag", "nope"], env={"SELFBOOK_EMBEDDER": "hashing"})
    assert bad.exit_code == 1 and "no entry is tagged 'nope'" in bad.output
    app = create_app(built, SETTINGS, make_library=lambda: Library(built, SETTINGS, embedder=HashingEmbedder()))
    web = TestClient(app, base_url="http://127.0.0.1:8765")
    data = web.get("/api/search", params=[("q", "language model"), ("tag", "llm"), ("tag", "rag")]).json()
    assert [r["title"] for r in data["results"]] == ["Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks"]
    assert data["params"]["tag"] == ["llm", "rag"]
    page = web.get("/search", params=[("q", "language model"), ("tag", "llm")])
    assert page.status_code == 200 and "DSPy" in page.text and "tag=llm" in page.text
    refused = web.get("/api/search", params={"q": "x", "tag": "nope"})
    assert refused.status_code == 400 and "no entry is tagged 'nope'" in refused.json()["error"]
