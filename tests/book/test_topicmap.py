"""The topic map: a deterministic 2-D layout of the entries, written into the book as map.png
and map.html with the rest of its files."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np

from selfbook import Library
from selfbook.embed import HashingEmbedder
from selfbook.book.topicmap import layout, render_html

HOSTILE = "<script>alert(1)</script> & \"quotes\""


def png_chunks(data: bytes) -> list[str]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, kinds = 8, []
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        kinds.append(kind.decode())
        at += 12 + length
    return kinds


def test_layout_is_deterministic_and_fills_the_square():
    vectors = np.random.default_rng(0).normal(size=(500, 64)).astype(np.float32)
    first, again = layout(vectors), layout(vectors.copy())
    assert first.shape == (500, 2) and np.array_equal(first, again)
    assert first.min() >= 0.0 and first.max() <= 1.0 and np.ptp(first, axis=0).min() > 0.9
    assert layout(np.zeros((0, 8))).shape == (0, 2)
    assert layout(np.ones((1, 8))).tolist() == [[0.5, 0.5]]
    assert layout(np.ones((2, 8))).shape == (2, 2)
    assert np.isfinite(layout(np.ones((5, 8)))).all()  # all alike: no direction to spread them along


def test_the_build_writes_the_map_atomically_and_byte_identically(tmp_path: Path, small_dump: Path, settings):
    books = [tmp_path / "a", tmp_path / "b"]
    reports = [Library(book, settings, embedder=HashingEmbedder()).build([small_dump]) for book in books]
    for report in reports:
        assert {"map.png", "map.html"} <= set(report.files.written)
    a, b = books
    assert (a / "map.png").read_bytes() == (b / "map.png").read_bytes()
    assert (a / "map.html").read_bytes() == (b / "map.html").read_bytes()
    assert "tEXt" not in png_chunks((a / "map.png").read_bytes()) and "tIME" not in png_chunks((a / "map.png").read_bytes())
    again = Library(a, settings, embedder=HashingEmbedder()).build([small_dump])
    assert again.files.written == () and {"map.png", "map.html"} <= set(again.files.unchanged)


def test_map_html_links_every_entry_to_its_anchor_in_its_chapter(tmp_path: Path, small_dump: Path, settings):
    book = tmp_path / "book"
    library = Library(book, settings, embedder=HashingEmbedder())
    library.build([small_dump])
    page = (book / "map.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"#]+)#(e-[0-9a-f]+)"', page)
    assert len(links) == len(library.entries())
    for file, anchor in links:
        assert f'<a id="{anchor}"></a>' in (book / file).read_text(encoding="utf-8")
    assert "<script>\n" in page and "http" not in page.split("<body>")[0]  # one inline script, nothing fetched


def test_moving_an_entry_recolours_it_without_moving_any_point(tmp_path: Path, small_book: Library):
    library = small_book  # at tmp_path / "book"
    before = library.topic_map()
    placed = library.entries()[0]
    other = next(c for c in library.outline().chapters if c.id != placed.chapter_id)
    report_before = (tmp_path / "book" / "map.png").read_bytes()
    library.move(placed.entry.id, f"{other.title}/{other.sections[0].title}")
    after = library.topic_map()
    assert [(p.id, p.x, p.y) for p in before.points] == [(p.id, p.x, p.y) for p in after.points]
    moved = next(p for p in after.points if p.id == placed.entry.id)
    assert after.chapter(moved).id == other.id
    assert (tmp_path / "book" / "map.png").read_bytes() != report_before  # written with the move


def test_the_page_escapes_what_notes_hold(tmp_path: Path, settings):
    dump = tmp_path / "d.md"
    dump.write_text(f"{HOSTILE}\nhttps://www.example.com/a\n\nA second note\nhttps://www.example.com/b\n\nThird one\n", encoding="utf-8")
    library = Library(tmp_path / "book", settings.replace(title="<b>T</b>"), embedder=HashingEmbedder())
    library.build([dump])
    page = render_html(library.topic_map(), "<b>T</b>")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\"" in page  # text content: quotes need no escape
    assert "<b>T</b>" not in page and "&lt;b&gt;T&lt;/b&gt;" in page
    assert (tmp_path / "book" / "map.html").read_text(encoding="utf-8") == page


def test_layout_fitted_on_some_rows_places_the_others_without_moving_them():
    vectors = np.random.default_rng(1).normal(size=(300, 32)).astype(np.float32)
    first = layout(vectors[:250])
    grown = layout(vectors, fit=np.arange(250))
    assert np.array_equal(grown[:250], first)


def test_an_add_places_new_entries_without_moving_the_others(tmp_path: Path, small_book: Library):
    library = small_book
    before = {p.id: (p.x, p.y) for p in library.topic_map().points}
    later = tmp_path / "self-1.md"
    later.write_text("Sourdough starter, day by day\nhttps://example.org/sourdough\n\nMamba: linear-time sequence models\nhttps://arxiv.org/abs/2312.00752\n", encoding="utf-8")
    library.add([later])
    after = {p.id: (p.x, p.y) for p in library.topic_map().points}
    assert len(after) == len(before) + 2
    assert {i: after[i] for i in before} == before
