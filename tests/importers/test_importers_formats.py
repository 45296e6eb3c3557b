"""The bookmark files on people's disks: Chrome's ``Bookmarks``, Firefox's backups (``.json``,
``.jsonlz4``), Safari's ``Bookmarks.plist`` and Linkwarden's export. Each real (or, where none
with a usable licence exists, hand-made) file in tests/fixtures/real/formats is read once, its
count checked against a walk of the file written here with json/plistlib (and the count by hand),
its non-ASCII titles intact and its folders in headings; then detection, streaming, damage, and
the CLI end to end."""

from __future__ import annotations

import json
import plistlib
import random
from pathlib import Path

import lz4.block
import pytest
from click.testing import CliRunner

from selfbook.cli import main
from selfbook.errors import InputError
from selfbook.importers import detect_format, iter_source, read_source
from selfbook.importers.jsontree import nodes

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "formats"
ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}
WEB = ("http://", "https://")


# -- independent walks: what each file holds, read with json / plistlib ---------------------------------


def chrome_links(path: Path) -> list[str]:
    def walk(node: dict) -> list[str]:
        if node.get("type") == "url":
            return [node["url"]] if node["url"].startswith(WEB) else []
        return [u for child in node.get("children", []) for u in walk(child)]

    roots = json.loads(path.read_text(encoding="utf-8"))["roots"]
    return [u for root in roots.values() for u in walk(root)]


def firefox_links(tree: dict) -> list[str]:
    if tree.get("root") == "tagsFolder":
        return []
    if tree.get("typeCode") == 1:
        return [tree["uri"]] if tree["uri"].startswith(WEB) else []
    return [u for child in tree.get("children", []) for u in firefox_links(child)]


def mozlz4(path: Path) -> dict:
    data = path.read_bytes()
    assert data[:8] == b"mozLz40\0"
    return json.loads(lz4.block.decompress(data[8:]))


def linkwarden_links(path: Path) -> list[str]:
    export = json.loads(path.read_text(encoding="utf-8"))
    return [link["url"] for c in export["collections"] for link in c["links"] if (link["url"] or "").startswith(WEB)]


def safari_links(node: dict) -> list[str]:
    if node.get("WebBookmarkType") == "WebBookmarkTypeLeaf":
        return [node["URLString"]] if node["URLString"].startswith(WEB) else []
    return [u for child in node.get("Children", []) for u in safari_links(child)]


REAL_FILES = {
    # file: (format, count by hand, walk, a title with non-ASCII text, its headings)
    "chrome_Bookmarks.json": ("chrome", 27, lambda p: chrome_links(p), "DigitalOcean – The developer cloud", ("Bookmarks bar", "Programming", "Web Services")),
    "firefox_bookmarks.json": ("firefox", 32, lambda p: firefox_links(json.loads(p.read_text(encoding="utf-8"))),
                               "Audi.com – the international Audi website | audi.com", ("Bookmarks Menu", "Cars")),
    "firefox_bookmarks.jsonlz4": ("firefox", 32, lambda p: firefox_links(mozlz4(p)), "Projects · Explore · GitLab", ("Mobile Bookmarks", "Version Control and Testing")),
    "linkwarden_backup.json": ("linkwarden", 4, linkwarden_links, "ಮಸಾಲೆ ದೋಸೆ ಮಾಡುವ ವಿಧಾನ", ("ಅಡುಗೆ · Cooking",)),
    "safari_Bookmarks.plist": ("safari", 5, lambda p: safari_links(plistlib.loads(p.read_bytes())), "大規模言語モデル - Wikipedia", ("Favorites", "Research", "LLMs")),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_file_is_read_whole_with_titles_and_folders_intact(name: str):
    format, by_hand, walk, title, headings = REAL_FILES[name]
    path = REAL / name
    expected = walk(path)
    assert len(expected) == by_hand
    assert detect_format(path) == format
    dump = read_source(path)
    assert [e.urls[0] for e in dump.entries] == expected
    found = [e for e in dump.entries if e.title == title]
    assert len(found) == 1 and found[0].headings == headings
    assert all(e.source.path == str(path) and e.source.start >= 1 for e in dump.entries)


def test_chrome_dates_and_the_lines_of_each_bookmark():
    dump = read_source(REAL / "chrome_Bookmarks.json")
    first = dump.entries[0]
    assert (first.source.start, first.source.end) == (6, 14)  # the lines of its JSON object
    assert first.date.start.isoformat() == "2020-09-10"  # 13244224031000000 µs after 1601-01-01
    assert {e.headings[0] for e in dump.entries} == {"Bookmarks bar", "Other bookmarks", "Mobile bookmarks"}


def test_firefox_separator_is_a_counted_skip_and_tags_notes_come_through(tmp_path: Path):
    dump = read_source(REAL / "firefox_bookmarks.json")
    assert [s.reason for s in dump.skips] == ["a separator"] and dump.skips[0].source.start == 43
    backup = {
        "guid": "root________", "title": "", "typeCode": 2, "root": "placesRoot", "children": [
            {"guid": "toolbar_____", "title": "toolbar", "typeCode": 2, "root": "toolbarFolder", "children": [
                {"title": "ಕನ್ನಡ ವಿಕಿಪೀಡಿಯ", "typeCode": 1, "uri": "https://kn.wikipedia.org/", "dateAdded": 1718791200000000, "tags": "kannada,wiki",
                 "annos": [{"name": "bookmarkProperties/description", "flags": 0, "expires": 4, "value": "ಮುಖಪುಟ"}]},
                {"title": "Most visited", "typeCode": 1, "uri": "place:sort=8&maxResults=10"},
                {"title": "Dark mode", "typeCode": 1, "uri": "javascript:void(0)"},
            ]},
            {"guid": "tags________", "title": "tags", "typeCode": 2, "root": "tagsFolder", "children": [
                {"title": "kannada", "typeCode": 2, "children": [{"title": "", "typeCode": 1, "uri": "https://kn.wikipedia.org/"}]},
            ]},
        ],
    }
    path = tmp_path / "bookmarks-2024-06-19.json"
    path.write_text(json.dumps(backup, ensure_ascii=False), encoding="utf-8")
    dump = read_source(path)
    [entry] = dump.entries
    assert entry.headings == ("Bookmarks Toolbar",) and entry.tags == ("kannada", "wiki") and entry.note == "ಮುಖಪುಟ"
    assert entry.date.start.isoformat() == "2024-06-19"
    reasons = [s.reason for s in dump.skips]
    assert reasons[:2] == ["not a web link (place:…)", "not a web link (javascript:…)"]
    assert "tag's listing" in reasons[2]


def test_dates_of_infinity_or_too_many_digits_are_no_dates(tmp_path: Path):
    path = tmp_path / "backup.json"
    path.write_text('{"name": "a", "collections": [{"name": "c", "links": [\n'
                    '{"name": "x", "url": "https://x.example/", "importDate": Infinity, "createdAt": 1' + "0" * 400 + '}]}]}', encoding="utf-8")
    [entry] = read_source(path).entries  # once looped forever: Infinity never shrank below a Unix time
    assert entry.date is None and entry.urls == ("https://x.example/",)


def test_safari_reading_list_keeps_preview_text_and_date_and_xml_plists_read_too(tmp_path: Path):
    dump = read_source(REAL / "safari_Bookmarks.plist")
    [item] = [e for e in dump.entries if e.headings == ("Reading List",)]
    assert item.note.startswith("Why reading slowly pays off") and item.date.start.isoformat() == "2024-03-05"
    assert sorted(s.reason.split(" (")[0] for s in dump.skips) == ["Safari's 'History' placeholder, not a bookmark", "not a web link", "not a web link"]
    xml = tmp_path / "Bookmarks.plist"
    xml.write_bytes(plistlib.dumps(plistlib.loads((REAL / "safari_Bookmarks.plist").read_bytes()), fmt=plistlib.FMT_XML))
    assert detect_format(xml) == "safari"
    assert [e.urls for e in read_source(xml).entries] == [e.urls for e in dump.entries]


def test_linkwarden_upload_without_a_url_is_a_counted_skip():
    dump = read_source(REAL / "linkwarden_backup.json")
    assert [s.reason for s in dump.skips] == ["an uploaded pdf ('Scanned recipe card') without a web link"]
    paper = next(e for e in dump.entries if "arxiv" in e.urls[0])
    assert paper.tags == ("papers", "llm") and paper.note == "The transformer paper."
    assert paper.date.start.isoformat() == "2019-05-04"  # importDate: when it was first saved elsewhere


# -- detection ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,format",
    [
        (b'{\n   "checksum": "abc",\n   "roots": {', "chrome"),
        (b'{"roots": {"bookmark_bar": {"children": []}}}', "chrome"),
        (b'{"guid":"root________","title":"","children":[]}', "firefox"),
        (b'{"title":"","typeCode":2,"children":[]}', "firefox"),
        (b"mozLz40\0\x10\0\0\0garbage", "firefox"),
        (b'{"name":"A","username":"a","collections":[{"name":"x","links":[]}]}', "linkwarden"),
        (b"bplist00\xd1\x01\x02", "safari"),
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "x">\n<plist version="1.0"><dict/></plist>', "safari"),
        (b'{"title": "t", "urls": ["https://a.example"]}\n{"title": "u"}\n', "jsonl"),
    ],
)
def test_json_objects_and_plists_are_told_apart_by_content(tmp_path: Path, content: bytes, format: str):
    path = tmp_path / "export.txt"
    path.write_bytes(content)
    assert detect_format(path) == format


def test_an_unknown_json_document_says_to_name_its_format(tmp_path: Path):
    path = tmp_path / "data.json"
    path.write_text('{\n  "items": [\n    {\n      "href": "https://a.example"\n    }\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_source(path)
    assert "read as jsonl" in str(caught.value) and "--format chrome, firefox, linkwarden" in str(caught.value)


# -- streaming, damage ----------------------------------------------------------------------------------


def test_tree_scan_gives_the_same_nodes_whatever_the_chunks():
    text = (REAL / "chrome_Bookmarks.json").read_text(encoding="utf-8")
    whole = list(nodes([text], ("roots", "children")))
    assert sum(1 for n in whole if isinstance(n.value, dict) and n.value.get("type") == "url") == 27
    for seed in range(20):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(text)), 300))
        chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assert list(nodes(chunks, ("roots", "children"))) == whole


def test_firefox_entries_come_out_before_their_folder_closes(tmp_path: Path):
    bookmarks = [{"title": f"ಪುಟ {i}", "typeCode": 1, "uri": f"https://e.example/{i}"} for i in range(3000)]
    backup = {"guid": "root________", "title": "", "typeCode": 2, "children": [
        {"title": "menu", "root": "bookmarksMenuFolder", "typeCode": 2, "children": [{"title": "Reading", "typeCode": 2, "children": bookmarks}]},
    ]}
    path = tmp_path / "bookmarks.json"
    path.write_text(json.dumps(backup, ensure_ascii=False), encoding="utf-8")
    chunks: list[int] = []
    items = iter_source(path, progress=lambda stage, done, total: chunks.append(done))
    first = next(items)
    assert first.headings == ("Bookmarks Menu", "Reading")
    assert len(chunks) < path.stat().st_size // (1 << 16)  # filed while most of the file is unread
    assert sum(1 for _ in items) == 2999


def test_truncated_chrome_file_keeps_what_came_before(tmp_path: Path):
    text = (REAL / "chrome_Bookmarks.json").read_text(encoding="utf-8")
    path = tmp_path / "Bookmarks"
    path.write_text(text[: text.index('"name": "Ubuntu"')], encoding="utf-8")
    dump = read_source(path)
    assert len(dump.entries) == 5  # Getting Started and the four in "Mozilla Firefox"
    assert dump.entries[1].headings == ("Mozilla Firefox",)  # "Bookmarks bar" never closed: its name is unknown
    assert "looks truncated" in dump.skips[-1].reason


def test_mismatched_brackets_stop_the_scan_with_a_skip(tmp_path: Path):
    path = tmp_path / "Bookmarks"
    path.write_text(
        '{"checksum": "x", "roots": {"bookmark_bar": {"children": [\n'
        '{"name": "one", "type": "url", "url": "https://one.example/"},\n'
        '{"name": "two", "type": "url", "url": "https://two.example/"]},\n'
        '{"name": "three", "type": "url", "url": "https://three.example/"}\n'
        '], "name": "Bookmarks bar", "type": "folder"}}}',
        encoding="utf-8",
    )
    dump = read_source(path)
    assert [e.urls[0] for e in dump.entries] == ["https://one.example/"]
    assert "brackets do not match" in dump.skips[0].reason and dump.skips[0].source.start == 3


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"mozLz40\0\xff\xff\xff\x7fxx", "damaged .jsonlz4"),
        (b"mozLz40\0\x40\0\0\0\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", "damaged .jsonlz4"),
        (b"mozLz40\0" + lz4.block.compress(b"\xff\xfe not utf-8"), "not valid UTF-8"),
        (b"bplist00 broken", "is not a readable property list"),
        (plistlib.dumps({"a": 1}, fmt=plistlib.FMT_BINARY), "not Safari's bookmarks"),
    ],
)
def test_damaged_backups_and_plists_are_refused_naming_the_file(tmp_path: Path, content: bytes, expected: str):
    path = tmp_path / "backup.bin"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_source(path)
    assert expected in str(caught.value) and str(caught.value).startswith(str(path))


def test_a_file_of_bookmarklets_only_is_refused_naming_the_first(tmp_path: Path):
    path = tmp_path / "Bookmarks"
    path.write_text(json.dumps({"checksum": "x", "roots": {"bookmark_bar": {"type": "folder", "name": "Bar", "children": [
        {"type": "url", "name": "Dark", "url": "javascript:void(0)"}, {"type": "url", "name": "Note", "url": "data:text/plain,hi"},
    ]}}}, indent=3), encoding="utf-8")
    with pytest.raises(InputError, match=r"2 record\(s\) skipped, the first because: not a web link \(javascript:…\)"):
        read_source(path)


# -- end to end -----------------------------------------------------------------------------------------


def test_cli_builds_a_book_from_a_chrome_file_and_adds_a_linkwarden_export(tmp_path: Path):
    runner = CliRunner(env=ENV)
    book = tmp_path / "book"
    result = runner.invoke(main, ["build", str(REAL / "chrome_Bookmarks.json"), "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries_read"] == 27
    result = runner.invoke(main, ["add", str(REAL / "linkwarden_backup.json"), "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    [added] = json.loads(result.stdout)["added"]
    assert added["new"] == 4 and "Traceback" not in result.output
    result = runner.invoke(main, ["entries", "--book", str(book), "--json"])
    listed = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(listed) == 27 + 4
    assert any(e["title"] == "ಮಸಾಲೆ ದೋಸೆ ಮಾಡುವ ವಿಧಾನ" for e in listed)
