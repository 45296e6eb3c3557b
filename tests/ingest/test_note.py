"""Library.add_note: one hand-typed entry joins the book as an installment, with provenance."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from selfbook import InputError
from selfbook.cli import main
from selfbook.ingest import parse_markdown
from selfbook.ingest.note import note_dump, note_slug


def test_note_dump_parses_back_as_exactly_one_entry():
    text = note_dump("# Mamba: linear-time sequence models", "https://arxiv.org/abs/2312.00752", "state spaces\n\n- not a list")
    dump = parse_markdown(text, "n.md")
    assert len(dump.entries) == 1
    raw = dump.entries[0]
    assert raw.urls == ("https://arxiv.org/abs/2312.00752",)
    assert "Mamba" in raw.text and "not a list" in raw.text and not raw.text.startswith("#")


@pytest.mark.parametrize(
    "title, url, note, problem",
    [("", "", "only a note", "title or a URL"), ("x" * 501, "", "", "title is 501"), ("t", "ftp://x", "", "not a web address"),
     ("t", "", "n" * 20_001, "note is 20001")],
)
def test_note_dump_refuses_unsound_notes(title, url, note, problem):
    with pytest.raises(InputError, match=problem):
        note_dump(title, url, note)


def test_note_slug_keeps_kannada_letters():
    assert note_slug("ಕುವೆಂಪು: Sri Ramayana Darshanam!") == "ಕುವೆಂಪು-sri-ramayana-darshanam"
    assert note_slug("!!!") == "note"


def test_add_note_places_the_entry_with_its_file_and_line(library, small_dump, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    library.build([small_dump])
    before = {p.entry.id for p in library.entries()}
    report = library.add_note("Ragi dosa batter without rice", "https://www.example.org/ragi-dosa", "finger millet, fermented overnight")
    assert report.changed
    new = [p for p in library.entries() if p.entry.id not in before]
    assert len(new) == 1
    placed = new[0]
    assert placed.entry.urls == ("https://www.example.org/ragi-dosa",)  # as given
    source = placed.entry.sources[0]
    assert source.path.endswith(".md") and "/notes/20260101T000000-ragi-dosa-batter-without-rice" in source.path
    assert source.start == 1
    assert placed.chapter


def test_add_note_twice_adds_it_once(small_book):
    library = small_book
    library.add_note("A note on sleep", "https://www.example.org/sleep")
    n = len(library.entries())
    again = library.add_note("A note on sleep", "https://www.example.org/sleep")
    assert not again.changed and len(library.entries()) == n
    assert len(list((library.book_dir / "notes").glob("*.md"))) == 1


def test_add_note_needs_a_book(library):
    with pytest.raises(Exception, match="no book here yet"):
        library.add_note("t", "https://example.org/")


def test_a_rebuild_keeps_the_notes_added_by_hand(library, small_dump, book_files):
    library.build([small_dump])
    library.add_note("Ragi dosa batter without rice", "https://www.example.org/ragi-dosa")
    files = book_files(library.book_dir)
    ids = [p.entry.id for p in library.entries()]
    library.build([small_dump])
    assert [p.entry.id for p in library.entries()] == ids
    assert book_files(library.book_dir) == files


def test_cli_note_adds_and_reports(tmp_path, small_dump, monkeypatch, store_url):
    monkeypatch.setenv("SELFBOOK_EMBEDDER", "hashing")
    monkeypatch.setenv("SELFBOOK_STORE", store_url)
    book = tmp_path / "book"
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(small_dump), "--book", str(book)]).exit_code == 0
    result = runner.invoke(main, ["note", "Filter coffee at home", "--url", "https://example.net/coffee", "--note", "chicory 20%", "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["changed"] and report["added"][0]["new"] == 1
    bad = runner.invoke(main, ["note", "", "--book", str(book)])
    assert bad.exit_code != 0 and "title or a URL" in bad.output
