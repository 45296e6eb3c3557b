"""The bundled example, built end to end with the real default embedder (multilingual-e5-small)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from selfbook import Library, Settings

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "self.md"
KANNADA = re.compile(r"[\u0C80-\u0CFF]")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    book = tmp_path_factory.mktemp("example") / "book"
    library = Library(book, Settings(created="2026-01-01"))
    report = library.build([EXAMPLE])
    return library, report


def test_every_entry_is_in_the_book_once(built):
    library, report = built
    placed = library.entries()
    assert report.model.startswith("multilingual-e5-small")
    assert len({p.entry.id for p in placed}) == len(placed) == report.entries
    assert sum(len(p.entry.sources) for p in placed) == report.entries_read
    assert report.entries_read >= 340 and report.merged >= 12


def test_chapters_are_broad_domains_of_sensible_size(built):
    library, report = built
    outline = library.outline()
    assert 4 <= report.chapters <= 12
    sizes = [len(c.entry_ids) for c in outline.chapters]
    assert max(sizes) < 0.5 * report.entries
    for chapter in outline.chapters:
        assert all(len(s.entry_ids) >= 2 or s.misc for s in chapter.sections)


def test_kannada_entries_gather_together(built):
    library, _ = built
    kannada = [p for p in library.entries() if p.entry.script == "Kannada"]
    assert len(kannada) >= 20
    chapters = {p.chapter for p in kannada}
    biggest = max(chapters, key=lambda c: sum(p.chapter == c for p in kannada))
    assert sum(p.chapter == biggest for p in kannada) >= 0.8 * len(kannada)


def test_rebuild_is_cached_and_byte_identical(built, book_files):
    library, _ = built
    before = book_files(library.book_dir)
    report = library.build([EXAMPLE])
    assert report.embedded == 0 and report.files.written == ()
    assert book_files(library.book_dir) == before
