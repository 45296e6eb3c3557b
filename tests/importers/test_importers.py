"""Importers: each format's fixture (written for these tests), format detection, errors that name
the file and line, one bad record skipped and reported, truncated files, and a book built from
two formats with their shared link merged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfbook.cli import main
from selfbook.errors import InputError
from selfbook.importers import FORMAT_NAMES, FORMATS, detect_format, iter_source, read_source, source_digest
from selfbook.models import RawEntry, Skip, Span

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}


def fixture(name: str) -> Path:
    return FIXTURES / name


def by_url(dump) -> dict[str, RawEntry]:
    return {e.urls[0]: e for e in dump.entries if e.urls}


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- detection ------------------------------------------------------------------------------------------

DETECTED = {
    "bookmarks_chrome.html": "netscape",
    "bookmarks_firefox.html": "netscape",
    "bookmarks_truncated.html": "netscape",
    "pocket.csv": "pocket",
    "pocket.html": "pocket",
    "raindrop.csv": "raindrop",
    "karakeep.json": "karakeep",
    "pinboard.json": "pinboard",
    "subscriptions.opml": "opml",
    "feed.rss": "feed",
    "feed.atom": "feed",
    "like.js": "twitter",
    "bookmarks.js": "twitter",
    "urls.txt": "urls",
    "entries.jsonl": "jsonl",
    "vault": "obsidian",
}


@pytest.mark.parametrize("name,format", sorted(DETECTED.items()))
def test_format_is_detected_from_content_not_extension(tmp_path: Path, name: str, format: str):
    assert detect_format(fixture(name)) == format
    if format != "obsidian":
        disguised = tmp_path / "export.txt"
        shutil.copy(fixture(name), disguised)
        assert detect_format(disguised) == format


def test_markdown_dumps_stay_markdown(small_dump: Path):
    assert detect_format(small_dump) == "markdown"
    dump = read_source(small_dump)
    assert dump.meta["format"] == "markdown" and dump.meta["title"] == "test dump"
    assert any(e.title.startswith("ಕುವೆಂಪು") for e in dump.entries)


def test_format_overrides_detection(tmp_path: Path):
    # A list of title-then-link lines reads as a markdown dump unless told otherwise.
    path = tmp_path / "links.txt"
    path.write_text("https://a.example/1 First\nhttps://b.example/2 Second\n", encoding="utf-8")
    assert len(read_source(path).entries) == 2
    assert len(read_source(path, "markdown").entries) == 1
    assert [e.title for e in read_source(path, format="URLS").entries] == ["First", "Second"]


def test_unknown_format_names_the_known_ones():
    with pytest.raises(InputError) as caught:
        read_source(fixture("urls.txt"), format="delicious")
    message = str(caught.value)
    assert "unknown format 'delicious'" in message
    assert all(name in message for name in FORMAT_NAMES)
    assert set(FORMAT_NAMES) <= set(FORMATS)


# -- each format ----------------------------------------------------------------------------------------


def test_netscape_keeps_folders_dates_tags_and_positions():
    dump = read_source(fixture("bookmarks_chrome.html"))
    entries = by_url(dump)
    primer = entries["https://arxiv.org/abs/2405.00208"]
    assert primer.headings == ("Bookmarks bar", "Research", "Papers")
    assert primer.date.start == day("2024-06-19")
    assert primer.tags == ("interpretability", "llm")
    assert primer.note == "Survey of interpretability methods & findings"
    assert primer.source == Span(str(fixture("bookmarks_chrome.html")), 15, 16)
    assert entries["https://www.youtube.com/watch?v=eMlx5fFNoYc"].headings == ("Bookmarks bar", "Research")
    assert entries["https://en.wikipedia.org/wiki/Caf%C3%A9"].title == 'Café & crème — "history" <wiki>'
    assert entries["https://github.com/stanfordnlp/dspy?utm_source=chrome"].title == "DSPy — programming, not prompting"


def test_netscape_kannada_and_missing_titles():
    entries = by_url(read_source(fixture("bookmarks_chrome.html")))
    kuvempu = next(e for u, e in entries.items() if u.startswith("https://kn.wikipedia.org"))
    assert kuvempu.title == "ಕುವೆಂಪು — ರಾಷ್ಟ್ರಕವಿ"
    assert kuvempu.headings == ("Bookmarks bar", "ಕನ್ನಡ & ಸಾಹಿತ್ಯ")
    untitled = entries["https://www.example.org/ragi-mudde"]
    assert untitled.title is None and untitled.lines == ("https://www.example.org/ragi-mudde",)


def test_netscape_skips_and_reports_links_that_are_not_web_links():
    chrome = read_source(fixture("bookmarks_chrome.html"))
    assert [(s.source.start, s.reason) for s in chrome.skips] == [(26, "not a web link (javascript:…)")]
    firefox = read_source(fixture("bookmarks_firefox.html"))
    assert [s.reason for s in firefox.skips] == ["not a web link (place:…)"]
    blog = by_url(firefox)["https://simonwillison.net/atom/everything/"]
    assert blog.note == "Notes on LLMs,\ntools and datasette" and blog.source.end == 17
    assert blog.title == "Simon Willison's Weblog" and blog.tags == ("blog", "llm")


def test_truncated_bookmark_file_keeps_what_came_before_and_reports_the_cut():
    dump = read_source(fixture("bookmarks_truncated.html"))
    assert [e.title for e in dump.entries] == ["First article", "Second article"]
    assert len(dump.skips) == 1 and "truncated" in dump.skips[0].reason and dump.skips[0].source.start == 10


def test_truncated_folder_is_reported(tmp_path: Path):
    path = tmp_path / "cut.html"
    text = fixture("bookmarks_chrome.html").read_text(encoding="utf-8")
    path.write_text(text[: text.index("<DT><H3 ADD_DATE=\"1700000000\">Other")], encoding="utf-8")
    dump = read_source(path)
    assert len(dump.entries) == 5
    assert "ends inside the bookmark list" in dump.skips[-1].reason
    path.write_text(text[: text.index('<DT><A HREF="javascript')], encoding="utf-8")
    assert "ends inside folder 'Bookmarks bar'" in read_source(path).skips[-1].reason


def test_pocket_csv_and_html():
    csv_dump = read_source(fixture("pocket.csv"))
    entries = by_url(csv_dump)
    assert entries["https://arxiv.org/abs/2405.00208"].tags == ("llm", "papers")
    assert entries["https://arxiv.org/abs/2405.00208"].headings == ("unread",)
    assert entries["https://kn.wikipedia.org/wiki/ಕರ್ವಾಲೊ"].title == 'ಪೂರ್ಣಚಂದ್ರ ತೇಜಸ್ವಿ ಅವರ "ಕರ್ವಾಲೋ"'
    assert entries["https://example.net/no-title"].title is None
    assert [(s.source.start, s.reason.split(" (")[0]) for s in csv_dump.skips] == [(6, "no http(s) link in this row")]
    html_dump = read_source(fixture("pocket.html"))
    assert [e.headings for e in html_dump.entries] == [("Unread",), ("Unread",), ("Read Archive",)]
    assert html_dump.entries[0].title == "Dosa batter fermentation: why rice & urad dal need warmth"
    assert html_dump.entries[0].date.start == day("2024-03-01")


def test_raindrop_folders_notes_and_a_bad_row():
    dump = read_source(fixture("raindrop.csv"))
    kan = by_url(dump)["https://arxiv.org/abs/2404.19756"]
    assert kan.headings == ("Research", "ML") and kan.tags == ("ml", "kan")
    assert kan.note == "Read section 3 first\n\nKANs replace fixed activations with learnable ones"
    assert kan.date.start == day("2024-05-02")
    assert [(s.source.start, s.reason) for s in dump.skips] == [(4, "has 3 fields, the header has 11")]
    assert len(dump.entries) == 3


def test_karakeep_links_text_bookmarks_and_uploads():
    dump = read_source(fixture("karakeep.json"))
    kan, idea, quoted = dump.entries
    assert kan.urls == ("https://arxiv.org/abs/2404.19756",) and kan.title is None and kan.note == "Compare with MLPs"
    assert kan.tags == ("ml", "kan") and kan.source.start == 3 and kan.date.start == day("2024-05-01")
    assert idea.urls == () and idea.note.startswith("Start with Kuvempu") and "ಕನ್ನಡ" in idea.title
    assert quoted.title == 'Ampersands & "quotes" stay as written' and quoted.date is None
    assert [s.source.start for s in dump.skips] == [18] and "uploaded" in dump.skips[0].reason


def test_pinboard_skips_one_broken_record_naming_its_line():
    dump = read_source(fixture("pinboard.json"))
    assert [e.title for e in dump.entries] == ["LlamaIndex", "ಶುದ್ಧ ಕನ್ನಡ"]
    assert dump.entries[0].tags == ("llm", "rag") and dump.entries[0].note == "Data framework for LLM retrieval"
    assert [(s.source.start, s.reason) for s in dump.skips] == [(2, "not valid JSON (Expecting value)"), (4, "a bookmark without an http(s) link in 'href'")]


def test_one_bad_record_in_thousands_is_skipped_not_fatal(tmp_path: Path):
    records = [{"href": f"https://example.com/{i}", "description": f"Page {i}", "tags": "", "time": "2024-01-01T00:00:00Z"} for i in range(3000)]
    lines = [json.dumps(r) for r in records]
    lines[1234] = '{"href": "https://example.com/bad", "description": "oops" "tags": ""}'
    path = tmp_path / "pinboard_export.json"
    path.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    dump = read_source(path)
    assert len(dump.entries) == 2999
    assert len(dump.skips) == 1 and dump.skips[0].source.start == 1236
    assert dump.entries[-1].source.start == 3001


def test_opml_folders_and_feeds():
    dump = read_source(fixture("subscriptions.opml"))
    entries = {e.title: e for e in dump.entries}
    simon = entries["Simon Willison's Weblog"]
    assert simon.urls == ("https://simonwillison.net/atom/everything/", "https://simonwillison.net/")
    assert simon.headings == ("Tech", "AI") and simon.note == "Notes on LLMs & tools" and simon.tags == ("llm", "blog")
    assert entries["Hacker News"].headings == ("Tech",) and entries["Hacker News"].date.start == day("2024-06-17")
    assert entries["ಕನ್ನಡ ಪ್ರಭ"].headings == ("ಕನ್ನಡ",) and entries["ಕನ್ನಡ ಪ್ರಭ"].source.start == 16
    assert [(s.source.start, s.reason) for s in dump.skips] == [(17, "not a web link ('feed://example.com/old')")]


def test_rss_and_atom_items_become_entries():
    rss = read_source(fixture("feed.rss"))
    ragi, dosa, text_only = rss.entries
    assert ragi.title == "Ragi mudde, the Karnataka staple" and ragi.note == "Soft ragi mudde every time."
    assert ragi.headings == ("ಅಡುಗೆ & Cooking Notes",) and ragi.tags == ("millets",) and ragi.source.start == 7
    assert dosa.title == "ಮಸಾಲೆ ದೋಸೆ" and dosa.date.start == day("2024-03-02")
    # an item with text but neither title nor link is a note, not a skip (issue 17: partial files)
    assert text_only.note == "An item with neither a title nor a link" and not text_only.urls and text_only.source.start == 19
    assert not rss.skips
    atom = read_source(fixture("feed.atom"))
    assert [e.title for e in atom.entries] == ["Transformers & graph algorithms", "Mixture of experts, explained"]
    assert [e.source.start for e in atom.entries] == [7, 14]


def test_truncated_feed_keeps_items_and_reports(tmp_path: Path):
    text = fixture("feed.rss").read_text(encoding="utf-8")
    path = tmp_path / "cut.rss"
    path.write_text(text[: text.index("<pubDate>Sat")], encoding="utf-8")
    dump = read_source(path)
    assert [e.title for e in dump.entries] == ["Ragi mudde, the Karnataka staple", "ಮಸಾಲೆ ದೋಸೆ"]
    assert "truncated" in dump.skips[-1].reason


def test_x_archive_likes_and_bookmarks():
    likes = read_source(fixture("like.js"))
    rag, kannada, bare = likes.entries
    assert rag.urls[0] == "https://twitter.com/i/web/status/1790000000000000000" and "https://t.co/abc123" in rag.urls
    assert "retrieval first & then" in rag.note  # HTML entities in the archive's text decoded
    assert rag.title.endswith("…") and len(rag.title) <= 91
    assert kannada.title == "ಕನ್ನಡ ಸಾಹಿತ್ಯದ ಬಗ್ಗೆ ಒಂದು ಸುಂದರ ಥ್ರೆಡ್" and kannada.headings == ("X likes",)
    assert bare.urls == ("https://x.com/i/web/status/1790000000000000002",) and bare.title is None
    assert [e.source.start for e in likes.entries] == [2, 9, 16]
    (mark,) = read_source(fixture("bookmarks.js")).entries
    assert mark.headings == ("X bookmarks",) and mark.urls == ("https://x.com/i/web/status/1800000000000000000",)


def test_url_list():
    dump = read_source(fixture("urls.txt"))
    assert [(e.title, e.urls[0], e.source.start) for e in dump.entries] == [
        ("DeepSeek-R1 technical report", "https://arxiv.org/abs/2501.12948", 2),
        (None, "https://www.example.org/filter-coffee", 3),
        ("ಕನ್ನಡ — ವಿಕಿಪೀಡಿಯ", "https://kn.wikipedia.org/wiki/ಕನ್ನಡ", 4),
        (None, "https://example.com/last", 7),
    ]
    assert [(s.source.start, s.reason) for s in dump.skips] == [(6, "no http(s) URL on this line")]


def test_jsonl_records_and_bad_lines():
    dump = read_source(fixture("entries.jsonl"))
    kan, kuvempu, generic, garden = dump.entries
    assert kan.headings == ("Machine Learning", "Architectures") and kan.tags == ("ml",)
    assert kan.date.label() == "May 2024" and kan.date.text == "May 2024"
    assert kuvempu.title == "ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ"
    assert generic.headings == ("Inbox", "Later") and generic.note == "From another tool" and generic.date.start == day("2024-02-03")
    assert garden.urls == () and garden.note.startswith("Ideas for the garden")
    assert [s.source.start for s in dump.skips] == [3, 5, 7]
    assert "truncated" in dump.skips[-1].reason


def test_obsidian_vault_paragraphs_tags_wikilinks_and_paths():
    vault = fixture("vault")
    dump = read_source(vault)
    entries = by_url(dump)
    primer = entries["https://arxiv.org/abs/2405.00208"]
    assert primer.source == Span(str(vault / "Reading" / "Papers" / "Transformers.md"), 7, 8)
    assert primer.headings == ("Reading", "Papers", "Transformers")
    assert primer.tags == ("ml", "papers")
    assert "[[Interpretability]]" in primer.title + primer.note
    video = entries["https://www.youtube.com/watch?v=eMlx5fFNoYc"]
    assert video.headings == ("Reading", "Papers", "Transformers", "Videos") and video.tags == ("ml", "papers", "video")
    ragi = entries["https://www.example.org/ragi-mudde"]
    assert ragi.headings == ("Kitchen", "ಅಡುಗೆ", "ರಾಗಿ ಮುದ್ದೆ") and ragi.tags == ("cooking", "ಕನ್ನಡ") and ragi.source.start == 8
    clip = entries["https://www.example.org/dosa-batter"]
    assert clip.title == "Dosa batter fermentation: why rice & urad dal need warmth"
    assert clip.note == "Keep the batter near 30 °C for 8–12 hours. See [[ಅಡುಗೆ]]." and clip.date.start == day("2024-03-05")
    assert "https://example.com/never-read" not in entries and len(dump.entries) == 5  # no link-less paragraphs, no .obsidian
    reasons = {Path(s.source.path).name: s.reason for s in dump.skips}
    assert reasons["Latin1.md"].startswith("not valid UTF-8")
    assert "front matter" in reasons["Broken front matter.md"]


def test_iter_source_streams_and_reports_progress():
    calls: list[tuple[str, int, int]] = []
    items = iter_source(fixture("bookmarks_chrome.html"), progress=lambda *a: calls.append(a))
    first = next(items)
    assert isinstance(first, RawEntry)
    rest = list(items)
    assert sum(isinstance(i, Skip) for i in rest) == 1
    size = fixture("bookmarks_chrome.html").stat().st_size
    assert calls[-1] == ("read bookmarks_chrome.html", size, size)


# -- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "format,content,expected",
    [
        ("netscape", "<DL><DT><A HREF='https://a.example'>ಕನ್ನಡ</A>\n".encode() + b"<DT>caf\xe9\n", "from line 2 on: it mixes encodings"),
        ("twitter", b'[{"like": {}}]', "does not start with 'window.YTD"),
        ("karakeep", b'{"items": []}', 'holds no "bookmarks" list'),
        ("pinboard", b'{"href": "https://a.example"}', "holds no JSON list"),
        ("opml", b'<?xml version="1.0"?><rss version="2.0"></rss>', "is XML but not OPML"),
        ("opml", b"<opml><body><outline text='x'", "ends before the XML closes"),
        ("feed", b"just words, not a feed", "is not an RSS or Atom feed"),
        ("raindrop", b"name,comment\nx,y\n", "has no url column"),
        ("urls", b"", "holds no entries"),
        ("jsonl", b"not json\nnor this\n", "holds no entries"),
        ("netscape", b"<DL><DT><A HREF='https://a.example'>x</A>\x00\x01", "looks like a binary file"),
        ("opml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "refuses"),
    ],
)
def test_unreadable_input_is_refused_with_file_and_what_to_do(tmp_path: Path, format: str, content: bytes, expected: str):
    path = tmp_path / "input.dat"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_source(path, format)
    assert expected in str(caught.value) and str(path) in str(caught.value)
    assert " — " in str(caught.value)  # says what to do


def test_missing_file_and_directory_errors(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "nope.html", "netscape")
    with pytest.raises(InputError, match="is a directory"):
        read_source(tmp_path, "netscape")
    with pytest.raises(InputError, match="no markdown notes"):
        read_source(tmp_path)


def test_all_records_bad_names_the_first_skip(tmp_path: Path):
    path = tmp_path / "links.txt"
    path.write_text("ftp://files.example.com/a\nwww.example.com\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_source(path, "urls")
    assert caught.value.line == 1 and "no http(s) URL" in str(caught.value)


# -- into the book ------------------------------------------------------------------------------------------


def test_book_from_two_formats_merges_the_shared_link_keeping_both_sources(library):
    chrome, pocket = fixture("bookmarks_chrome.html"), fixture("pocket.csv")
    report = library.build([chrome, pocket])
    assert report.entries_read == 6 + 4
    assert {s.reason.split(" (")[0] for s in report.skipped} == {"not a web link", "no http(s) link in this row"}
    placed = {p.entry.urls[0]: p.entry for p in library.entries() if p.entry.urls}
    primer = placed["https://arxiv.org/abs/2405.00208"]
    assert {s.path for s in primer.sources} == {str(chrome), str(pocket)}
    assert set(primer.tags) == {"interpretability", "llm", "papers"}
    ragi = placed["https://www.example.org/ragi-mudde"]  # as the first copy saved it
    assert {s.path for s in ragi.sources} == {str(chrome), str(pocket)}
    assert ragi.title == "Ragi mudde, how to make it soft"  # the written title wins over the derived one


def test_build_and_add_take_a_format(library, tmp_path: Path):
    listed = tmp_path / "later.txt"
    listed.write_text("https://a.example/one First\nhttps://b.example/two Second\n", encoding="utf-8")
    library.build([fixture("pocket.html")])
    report = library.add([listed], format="urls")
    assert [len(a.new) + len(a.resaved) for a in report.added] == [2]
    with pytest.raises(InputError, match="unknown format"):
        library.build([fixture("pocket.html")], format="nope")


def test_cli_build_with_format_and_a_bad_format(tmp_path: Path):
    runner = CliRunner(env=ENV)
    book = tmp_path / "book"
    result = runner.invoke(main, ["build", str(fixture("subscriptions.opml")), str(fixture("feed.rss")), "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["entries_read"] == 7 and len(report["skipped"]) == 1  # the feed's text-only item is a note
    result = runner.invoke(main, ["build", str(fixture("urls.txt")), "--book", str(book), "--format", "bogus"])
    assert result.exit_code == 1 and "unknown format 'bogus'" in result.output and "netscape" in result.output
    assert "Traceback" not in result.output


def test_source_digest_of_files_and_vaults(tmp_path: Path):
    data = fixture("pocket.csv").read_bytes()
    assert source_digest(fixture("pocket.csv")) == hashlib.sha256(data).hexdigest()
    vault = tmp_path / "vault"
    shutil.copytree(fixture("vault"), vault)
    before = source_digest(vault)
    (vault / ".obsidian" / "app.json").write_text("{}", encoding="utf-8")  # settings are not notes
    assert source_digest(vault) == before
    (vault / "Reading" / "Interpretability.md").write_text("changed https://example.com/x\n", encoding="utf-8")
    assert source_digest(vault) != before


def test_book_from_an_obsidian_vault(library):
    report = library.build([fixture("vault")])
    assert report.entries_read == 5
    assert any(p.entry.source.path.endswith("Transformers.md") for p in library.entries())


def test_add_reports_reading_progress(library, small_dump):
    library.build([small_dump])
    calls = []
    report = library.add([fixture("bookmarks_chrome.html")], progress=lambda *a: calls.append(a))
    assert report.changed and calls
    stage, done, total = calls[-1]
    assert done == total > 0


def test_add_reports_the_records_it_skipped(tmp_path, library, small_dump):
    from click.testing import CliRunner

    from selfbook.cli import main

    library.build([small_dump])
    bad = tmp_path / "bookmarks.html"
    bad.write_text(
        '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF="javascript:alert(1)">x</A>\n'
        '<DT><A HREF="https://ok.example/a">ok</A>\n<DT><H3>Fold', encoding="utf-8",
    )
    (added,) = library.add([bad]).added
    assert len(added.new) == 1 and len(added.skips) == 2
    assert added.to_dict()["skipped_blocks"][0]["source"].startswith(str(bad))
    again = tmp_path / "again.html"
    again.write_text(bad.read_text(encoding="utf-8").replace("ok.example/a", "ok.example/b"), encoding="utf-8")
    result = CliRunner(env={"SELFBOOK_EMBEDDER": "hashing"}).invoke(main, ["add", str(again), "--book", str(library.book_dir)])
    assert result.exit_code == 0 and "Skipped:" in result.output and "again.html:3" in result.output
