"""Real files in many encodings, one test per file (issue 17): feeds from feedparser's own test
suite, Netscape exports from netscape-bookmark-parser and linkding, an OPML list from
listparser. Each file's expected count was established by another parser (feedparser,
html.parser, xml.dom.minidom) and its text by decoding with the codec the file's project names;
see tests/fixtures/real/encodings/SOURCES.md. Nothing here was copied from selfbook's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfbook.cli import main
from selfbook.errors import InputError
from selfbook.importers import iter_source, read_source
from selfbook.importers.decoding import xml_as_utf8
from selfbook.models import Skip

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "encodings"
ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}

# file, format, entries, (field of the first entry, text it must hold intact)
FILES = [
    # undeclared encodings (feedparser tests/illformed/chardet): no mojibake
    ("feeds/chardet-koi8r.xml", "feed", 1, ("title", "Как пережить новогоднюю ночь")),
    ("feeds/chardet-shiftjis.xml", "feed", 1, ("title", "DrecomRSSに記事投稿が反映されない…")),
    ("feeds/chardet-eucjp.xml", "feed", 1, ("title", "ゲーム三昧な正月")),
    ("feeds/chardet-euckr.xml", "feed", 1, ("title", "EUC-KR 에서 TypeKey 한글닉네임 표시하기")),
    ("feeds/chardet-gb2312.xml", "feed", 1, ("title", "不归移民漫画系列：专业工作")),
    ("feeds/chardet-tis620.xml", "feed", 1, ("note", "สำนักงานส่งเสริมอุตสาหกรรมซอฟต์แวร์แห่งช")),
    ("feeds/chardet-windows1255.xml", "feed", 1, ("note", "האם תדפיס נייר של אתר אינטרנט שמוצג על")),
    # declared multi-byte and Windows code points (feedparser tests/encoding)
    ("feeds/encoding-euc-kr-item.xml", "feed", 1, ("note", "\ub144")),
    ("feeds/encoding-demoronize-1.xml", "feed", 1, ("note", "don\u2019t")),
    # Netscape bookmark files: Shaarli text notes ("?lY47tw" permalinks) are notes, not a refused file
    ("netscape/kafene-shaarli.htm", "netscape", 6, ("title", "Kouign'amann recipes")),
    ("netscape/kafene-shaarli_markdown.htm", "netscape", 3, ("note", "phpinfo();")),
    ("netscape/kafene-delicious.htm", "netscape", 5, ("title", "Export Firefox bookmarks to backup or transfer")),
    ("netscape/linkding-one_invalid_bookmark.html", "netscape", 3, ("note", "test description 1")),
    ("opml/listparser-hier-2-nested.xml", "opml", 1, ("title", "feedname")),
]

# feeds with no items: the file decodes (no traceback) and is refused in one line for holding none
EMPTY = [
    ("feeds/chardet-big5.xml", "我希望"),  # undeclared Big5; the text is the feed's title
    ("feeds/encoding-euc-kr.xml", "\ub144"),  # declared EUC-KR: expat used to raise "multi-byte encodings are not supported"
    ("feeds/encoding-utf-8-bom.xml", "<rss>"),
    ("feeds/encoding-utf-16le-bom.xml", "<rss>"),
    ("feeds/encoding-utf-32be-autodetect.xml", "<rss>"),  # UTF-32 with no byte-order mark
    ("feeds/encoding-bozo_bogus_encoding.xml", "<rss>"),  # encoding="bogus"
]


@pytest.mark.parametrize("name,format,count,check", FILES, ids=[f[0] for f in FILES])
def test_real_file_reads_whole_with_its_text_intact(name: str, format: str, count: int, check: tuple[str, str]):
    dump = read_source(REAL / name, format)
    assert len(dump.entries) == count
    field, text = check
    assert text in (getattr(dump.entries[0], field) or "")


@pytest.mark.parametrize("name,text", EMPTY, ids=[e[0] for e in EMPTY])
def test_real_feed_without_items_decodes_and_is_refused_in_one_line(name: str, text: str):
    path = REAL / name
    decoded = xml_as_utf8(path.read_bytes(), name).decode("utf-8")
    assert text in decoded and "\ufffd" not in decoded
    assert all(isinstance(item, Skip) for item in iter_source(path, "feed"))
    with pytest.raises(InputError, match="holds no entries") as caught:
        read_source(path, "feed")
    assert "\n" not in str(caught.value) and name in str(caught.value)


def test_real_feed_mixing_encodings_is_refused_naming_the_line():
    """A UTF-8 byte-order mark, a UTF-8 "Ѩ", then "ñ" in Latin-1 on line 7: no codec reads it whole."""
    name = "feeds/encoding-bozo_invalid-bytes-with-bom.xml"
    with pytest.raises(InputError, match="mixes encodings") as caught:
        read_source(REAL / name, "feed")
    assert caught.value.line == 7 and "\n" not in str(caught.value)


def test_shaarli_note_keeps_its_links_and_the_bookmarks_theirs():
    note, teapot, *_ = read_source(REAL / "netscape/kafene-shaarli.htm", "netscape").entries
    assert note.urls == ("http://www.davidlebovitz.com/2005/08/long-live-the-k/", "http://www.bonappetit.com/recipe/kouign-amann")
    assert "caramelization" in note.note and note.tags[:2] == ("breton", "recipe")
    assert teapot.urls == ("http://nautil.us/blog/the-most-important-object-in-computer-graphics-history-is-this-teapot",)
    markdown = read_source(REAL / "netscape/kafene-shaarli_markdown.htm", "netscape").entries
    assert [e.title for e in markdown] == ["Markdown - code", "Markdown - lists", "Markdown - headers and quotes"]
    assert all(not e.urls for e in markdown)


@pytest.mark.parametrize("name,count", [("feeds/chardet-koi8r.xml", 1), ("netscape/kafene-shaarli_markdown.htm", 3)])
def test_cli_builds_a_real_file_and_lists_its_entries(tmp_path: Path, name: str, count: int):
    runner = CliRunner(env=ENV)
    book = tmp_path / "book"
    built = runner.invoke(main, ["build", str(REAL / name), "--book", str(book), "--json"])
    assert built.exit_code == 0 and "Traceback" not in built.output, built.output
    listed = runner.invoke(main, ["entries", "--book", str(book), "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()] if not listed.stdout.lstrip().startswith("[") else json.loads(listed.stdout)
    assert len(rows) == count
