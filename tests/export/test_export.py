"""Exports: each format written from a book and imported back gives the same entries (titles,
links, notes); chapters and sections survive as folders; the vault links related notes. Every
export reads a book kept in SQLite and one kept in PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
import yaml
from click.testing import CliRunner

import pg_helpers
from conftest import SMALL_DUMP
from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.export import EXPORTERS, ExportError, export_book
from selfbook.export.obsidian import MARKER, note_name
from selfbook.importers import detect_format, read_source
from selfbook.normalize import normalize_entries

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}
TARGETS = {"netscape": "bookmarks.html", "jsonl": "entries.jsonl", "obsidian": "vault", "opml": "book.opml"}
FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request, tmp_path_factory):
    """A book built once per store from the small dump and a bookmark file (tags, merged sources,
    Kannada); exports only read it."""
    store = "" if request.param == "sqlite" else pg_helpers.fresh_database()
    folder = tmp_path_factory.mktemp("export")
    dump = folder / "self.md"
    dump.write_text(SMALL_DUMP, encoding="utf-8")
    settings = Settings(embedder="hashing", created="2026-01-01", store=store)
    library = Library(folder / "book", settings, embedder=HashingEmbedder())
    library.build([dump, FIXTURES / "bookmarks_chrome.html"])
    return library


def identity(entry) -> tuple:
    return entry.title, entry.urls, entry.note


@pytest.mark.parametrize("format", sorted(EXPORTERS))
def test_import_of_an_export_gives_back_the_same_entries(built, tmp_path: Path, format: str):
    out = tmp_path / TARGETS[format]
    report = export_book(built, format, out, related=2)
    assert detect_format(out) == format
    back = normalize_entries(read_source(out).entries).entries
    placed = built.entries()
    expected = [p.entry for p in placed if p.entry.urls or format in ("jsonl", "obsidian")]
    assert sorted(map(identity, back)) == sorted(map(identity, expected))
    assert report.entries == len(expected)
    assert len(report.left_out) == len(placed) - len(expected)
    assert any(e.script == "Knda" or "ಕ" in e.title for e in back)


@pytest.mark.parametrize("format", ["netscape", "opml", "jsonl", "obsidian"])
def test_chapters_and_sections_come_back_as_headings(built, tmp_path: Path, format: str):
    out = tmp_path / TARGETS[format]
    export_book(built, format, out, related=0)
    where = {p.entry.title: (p.chapter, p.section) for p in built.entries()}
    assert len(where) == len(built.entries())
    for raw in read_source(out).entries:
        chapter, section = where[raw.title]
        if format == "obsidian":  # the folders, named as files may be
            assert raw.headings == (note_name(chapter), note_name(section))
        else:
            assert raw.headings == (chapter, section)


def test_netscape_export_is_a_browser_bookmark_file(built, tmp_path: Path):
    out = tmp_path / "bookmarks.html"
    export_book(built, "netscape", out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    outline = built.outline()
    for chapter in outline.chapters:
        assert f"<DT><H3>{chapter.title.replace('&', '&amp;')}</H3>" in text
    assert 'TAGS="interpretability,llm"' in text and "ADD_DATE=" in text
    assert text.count("<DL><p>") == text.count("</DL><p>")


def test_jsonl_export_holds_the_full_entry_model(built, tmp_path: Path):
    out = tmp_path / "entries.jsonl"
    export_book(built, "jsonl", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    placed = built.entries()
    assert [r["id"] for r in rows] == [p.entry.id for p in placed]
    for row, p in zip(rows, placed):
        assert row == {**p.to_dict(), "tags": list(p.entry.tags), "headings": list(p.entry.headings), "idents": list(p.entry.idents)}


def test_opml_export_is_valid_and_marks_feeds(built, tmp_path: Path, small_dump: Path):
    out = tmp_path / "book.opml"
    export_book(built, "opml", out)
    root = ET.parse(out).getroot()
    assert root.tag == "opml" and root.find("head/title").text
    chapters = root.findall("body/outline")
    assert [c.get("text") for c in chapters] == [c.title for c in built.outline().chapters if any(
        p.entry.urls for p in built.entries() if p.chapter_id == c.id)]
    links = [o for o in root.iter("outline") if o.get("type")]
    assert all(o.get("url") or o.get("xmlUrl") for o in links)


def test_opml_export_writes_feed_links_as_subscriptions(library, tmp_path: Path):
    library.build([FIXTURES / "subscriptions.opml"])
    out = tmp_path / "feeds.opml"
    export_book(library, "opml", out)
    feeds = {o.get("text"): o for o in ET.parse(out).getroot().iter("outline") if o.get("type") == "rss"}
    assert feeds["Hacker News"].get("xmlUrl") == "https://news.ycombinator.com/rss"
    assert "https://simonwillison.net" in feeds["Simon Willison's Weblog"].get("description")


def test_obsidian_vault_has_a_note_per_entry_with_related_wikilinks(built, tmp_path: Path):
    vault = tmp_path / "vault"
    export_book(built, "obsidian", vault, related=3)
    notes = sorted(p for p in vault.rglob("*.md") if p.name != "Index.md")
    assert len(notes) == len(built.entries())
    names = {p.stem for p in notes}
    linked = 0
    for note in notes:
        text = note.read_text(encoding="utf-8")
        meta = yaml.safe_load(text.split("---\n")[1])
        assert {"title", "chapter", "section", "selfbook_id", "kind"} <= meta.keys()
        for link in meta.get("related", []):
            assert link.startswith("[[") and link[2:-2] in names and link[2:-2] != note.stem
            linked += 1
        assert note.parent.parent.parent == vault  # Chapter/Section/note.md
    assert linked >= len(notes)  # every note links to related notes (the book has more than 3 entries)
    index = (vault / "Index.md").read_text(encoding="utf-8")
    assert all(f"[[{name}]]" in index for name in names)
    assert (vault / MARKER).exists()


def test_obsidian_export_replaces_its_own_vault_but_not_other_folders(built, tmp_path: Path):
    vault = tmp_path / "vault"
    export_book(built, "obsidian", vault, related=0)
    first = {p.relative_to(vault): p.read_bytes() for p in vault.rglob("*") if p.is_file()}
    export_book(built, "obsidian", vault, related=0)
    assert {p.relative_to(vault): p.read_bytes() for p in vault.rglob("*") if p.is_file()} == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".vault")]
    mine = tmp_path / "my notes"
    mine.mkdir()
    (mine / "diary.md").write_text("private", encoding="utf-8")
    with pytest.raises(ExportError, match="holds other files"):
        export_book(built, "obsidian", mine)
    assert (mine / "diary.md").read_text(encoding="utf-8") == "private"


def test_note_names_are_safe_file_names():
    assert note_name('What is "RAG"? A/B tests: [[x]] #tag') == "What is RAG A B tests x tag"
    assert note_name("...") == "Untitled"
    assert len(note_name("word " * 50)) <= 80
    assert note_name("ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ") == "ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ"


def test_exports_are_deterministic(built, tmp_path: Path):
    for format in ("netscape", "jsonl", "opml"):
        a, b = tmp_path / f"a.{format}", tmp_path / f"b.{format}"
        export_book(built, format, a)
        export_book(built, format, b)
        assert a.read_bytes() == b.read_bytes()


def test_export_errors(built, tmp_path: Path):
    with pytest.raises(ExportError, match="unknown export format"):
        export_book(built, "pdf", tmp_path / "x")
    with pytest.raises(ExportError, match="is a folder"):
        export_book(built, "netscape", tmp_path)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="is a file"):
        export_book(built, "obsidian", tmp_path / "file")


def test_cli_export_then_build_from_it(tmp_path: Path, small_dump: Path, store_url: str):
    runner = CliRunner(env={**ENV, "SELFBOOK_STORE": store_url})
    book = tmp_path / "book"
    assert runner.invoke(main, ["build", str(small_dump), "--book", str(book)]).exit_code == 0
    out = tmp_path / "bookmarks.html"
    result = runner.invoke(main, ["export", "--book", str(book), "--format", "netscape", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 15 entries" in result.output and "Left out 1" in result.output
    result = runner.invoke(main, ["export", "--book", str(book), "--format", "jsonl", str(tmp_path / "e.jsonl"), "--json"])
    assert json.loads(result.stdout)["entries"] == 16
    again = tmp_path / "again"
    result = runner.invoke(main, ["build", str(out), "--book", str(again), "--json"], env={"SELFBOOK_STORE": pg_helpers.fresh_store(store_url)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"] == 15
    result = runner.invoke(main, ["export", "--book", str(book), "--format", "pdf", str(out)])
    assert result.exit_code == 2 and "netscape" in result.output


def test_neighbours_are_the_nearest_by_the_books_own_vectors(library, small_dump):
    library.build([small_dump])
    nearest = library.neighbours(3)
    ids = [p.entry.id for p in library.entries()]
    assert set(nearest) == set(ids)
    assert all(len(v) == 3 and i not in v and len(set(v)) == 3 for i, v in nearest.items())
    assert library.neighbours(3) == nearest  # the same book, the same neighbours


def test_nearest_rows_is_exact_and_leaves_each_row_out():
    import numpy as np

    from selfbook.search.dense import nearest_rows

    x = np.random.default_rng(3).normal(size=(50, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    got = nearest_rows(x, 4, block=7)
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    assert got.tolist() == [list(np.argsort(-row, kind="stable")[:4]) for row in sims]
    assert nearest_rows(x[:1], 4).shape == (1, 0)


SAVED = [
    "http://seclists.org/#dailydave",
    "http://seclists.org/#fulldisclosure",
    "https://translate.google.com/#en/zh/",
    "https://pan.baidu.com/s/1abcDEF#path=%2Fpapers",
    "https://app.example.com/#!/inbox",
    "https://example.com/guide?utm_source=newsletter&utm_medium=email&id=7",
    "https://www.example.org/post/?fbclid=IwAR0abc#comments",
    "https://youtu.be/eMlx5fFNoYc?t=42",
    "https://twitter.com/someone/status/1790000000000000000?s=20",
]


def test_netscape_round_trip_keeps_every_url_as_saved(tmp_path: Path):
    """Fragments and tracking parameters survive build → export → re-read, byte for byte; the
    hrefs are read back with html.parser, not selfbook's importer."""
    from html.parser import HTMLParser

    rows = "\n".join(f'    <DT><A HREF="{u.replace("&", "&amp;")}" ADD_DATE="1700000000">Saved page {i}</A>' for i, u in enumerate(SAVED))
    source = tmp_path / "saved.html"
    source.write_text(f"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n{rows}\n</DL><p>\n", encoding="utf-8")
    runner = CliRunner(env=ENV)
    book, out = tmp_path / "book", tmp_path / "out.html"
    assert runner.invoke(main, ["build", str(source), "--book", str(book)]).exit_code == 0
    result = runner.invoke(main, ["export", "--book", str(book), "--format", "netscape", str(out)])
    assert result.exit_code == 0, result.output

    class Hrefs(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.found.append(dict(attrs)["href"])

    parser = Hrefs()
    parser.found = []
    parser.feed(out.read_text(encoding="utf-8"))
    assert sorted(parser.found) == sorted(SAVED)
    assert sorted(u for e in read_source(out).entries for u in e.urls) == sorted(SAVED)
    review = (book / "REVIEW.md").read_text(encoding="utf-8")
    assert "same page, different fragment" in review
