"""Property tests: arbitrary bytes, mutated fixture files and arbitrary JSON thrown at every
importer. Each input is either imported (a Dump) or refused with InputError; nothing else may
escape."""

from __future__ import annotations

import datetime as dt
import json
import os
import plistlib
import tempfile
from pathlib import Path

import lz4.block
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SMALL_DUMP
from selfbook.errors import InputError
from selfbook.importers import FORMAT_NAMES, read_source
from selfbook.ingest import Dump
from selfbook.models import RawEntry, Skip

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
REAL = Path(__file__).parents[1] / "fixtures" / "real" / "formats"
FUZZ = settings(max_examples=int(os.environ.get("SELFBOOK_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLES = {
    "markdown": [SMALL_DUMP.encode()],
    "urls": ["urls.txt"],
    "netscape": ["bookmarks_chrome.html", "bookmarks_firefox.html", "../real/encodings/netscape/kafene-shaarli.htm"],
    "chrome": [REAL / "chrome_Bookmarks.json"],
    "firefox": [REAL / "firefox_bookmarks.json", REAL / "firefox_bookmarks.jsonlz4"],
    "safari": [REAL / "safari_Bookmarks.plist"],
    "linkwarden": [REAL / "linkwarden_backup.json"],
    "pocket": ["pocket.csv", "pocket.html"],
    "raindrop": ["raindrop.csv"],
    "csv": ["raindrop.csv", "pocket.csv"],
    "karakeep": ["karakeep.json"],
    "pinboard": ["pinboard.json"],
    "twitter": ["like.js", "bookmarks.js"],
    "jsonl": ["entries.jsonl"],
    "opml": ["subscriptions.opml"],
    "feed": ["feed.rss", "feed.atom", "../real/encodings/feeds/chardet-koi8r.xml", "../real/encodings/feeds/chardet-shiftjis.xml",
             "../real/encodings/feeds/encoding-euc-kr-item.xml", "../real/encodings/feeds/encoding-utf-16le-bom.xml"],
    "obsidian": ["vault/Reading/Papers/Transformers.md", "vault/Kitchen/Clipped dosa article.md", "vault/Kitchen/ಅಡುಗೆ.md"],
}


def sample(item: str | Path | bytes) -> bytes:
    return item if isinstance(item, bytes) else (item if isinstance(item, Path) else FIXTURES / item).read_bytes()


def check(data: bytes, format: str | None) -> None:
    """Import ``data`` as ``format``: a Dump of entries and skips, or an InputError; nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        if format == "obsidian":
            path = Path(folder) / "vault"
            (path / "sub").mkdir(parents=True)
            (path / "sub" / "note.md").write_bytes(data)
        else:
            path = Path(folder) / "input"
            path.write_bytes(data)
        try:
            dump = read_source(path, format)
        except InputError as err:
            assert str(err).startswith(str(path))
            return
        assert isinstance(dump, Dump) and dump.entries
        assert all(isinstance(e, RawEntry) and e.source.start >= 1 for e in dump.entries)
        assert all(isinstance(s, Skip) and s.reason for s in dump.skips)


@st.composite
def mutations(draw, original: bytes) -> bytes:
    """``original`` cut, with bytes flipped, inserted, deleted or repeated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "flip", "insert", "delete", "repeat"]))
        if action == "cut":
            del data[at:]
        elif action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b"[", b"{", b'"', b"\n", b",", b"---\n", b"\xe0\xb2"]))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = bytes(data[at : at + draw(st.integers(1, 200))])
    return bytes(data)


@pytest.mark.parametrize("format", FORMAT_NAMES)
@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes(format: str, data: bytes):
    check(data, format)


@pytest.mark.parametrize("format", FORMAT_NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_fixture_files(format: str, data):
    original = sample(data.draw(st.sampled_from(SAMPLES[format])))
    check(data.draw(mutations(original)), format)


@FUZZ
@given(data=st.data())
def test_detection_with_mutated_files_of_any_format(data):
    format = data.draw(st.sampled_from([f for f in FORMAT_NAMES if f != "obsidian"]))
    original = sample(data.draw(st.sampled_from(SAMPLES[format])))
    check(data.draw(mutations(original)), None)


# Text importers meet files in every encoding: a fixture re-encoded (with or without a byte-order
# mark or a declaration), with text of any script inserted, then perhaps mutated.
CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "koi8-r", "shift_jis", "euc-jp", "euc-kr", "big5", "gb18030", "cp1255", "tis-620"]
MARKED = {"utf-8-sig", "utf-16", "utf-32"}  # a byte-order mark says which codec: the result must not change
TEXT_FORMATS = {"netscape": "bookmarks_firefox.html", "csv": "raindrop.csv", "pocket": "pocket.csv", "feed": "feed.rss", "opml": "subscriptions.opml"}


@pytest.mark.parametrize("format", sorted(TEXT_FORMATS))
@FUZZ
@given(data=st.data())
def test_fixture_files_in_any_encoding(format: str, data):
    original = sample(TEXT_FORMATS[format])
    codec = data.draw(st.sampled_from(CODECS))
    text = original.decode("utf-8")
    if codec != "utf-8" and format in ("feed", "opml"):
        text = text.replace('encoding="UTF-8"', f'encoding="{codec}"').replace('encoding="utf-8"', f'encoding="{codec}"')
    encoded = text.encode(codec, errors="replace")
    if codec in MARKED and data.draw(st.booleans()):
        assert _titles(encoded, format) == _titles(original, format)
        return
    inserted = data.draw(st.text(alphabet="aé€ಕನ್ನಡКак日本語한국어中文，。「」<>&\"\n", max_size=30))
    at = data.draw(st.integers(0, len(text)))
    encoded = (text[:at] + inserted + text[at:]).encode(codec, errors="replace")
    check(data.draw(mutations(encoded)) if data.draw(st.booleans()) else encoded, format)


def _titles(data: bytes, format: str) -> list[str | None]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        return [e.title for e in read_source(path, format).entries]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["https://example.com/a", "2024-06-19", "1718791200", "link", "text", "[[x]]"]),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["href", "url", "urls", "title", "description", "extended", "note", "tags", "time", "date",
                         "createdAt", "content", "type", "text", "tweetId", "fullText", "expandedUrl", "like",
                         "chapter", "section", "headings", "folder", "date_label", "name"]) | st.text(max_size=8),
        inner, max_size=6,
    ),
    max_leaves=20,
)


@pytest.mark.parametrize("format", ["pinboard", "karakeep", "twitter", "jsonl"])
@FUZZ
@given(records=st.lists(JSON, max_size=6))
def test_arbitrary_json_records(format: str, records: list):
    if format == "jsonl":
        data = "\n".join(json.dumps(r) for r in records)
    elif format == "karakeep":
        data = json.dumps({"bookmarks": records})
    elif format == "twitter":
        data = "window.YTD.like.part0 = " + json.dumps([{"like": r} for r in records])
    else:
        data = json.dumps(records)
    check(data.encode(), format)


@FUZZ
@given(meta=st.dictionaries(st.sampled_from(["tags", "tag", "title", "source", "url", "urls", "date", "created", "selfbook_id", "related"]), JSON, max_size=5), body=st.text(max_size=300))
def test_arbitrary_obsidian_front_matter(meta: dict, body: str):
    text = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body
    check(text.encode("utf-8"), "obsidian")


# -- the browsers' and Linkwarden's trees ---------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20) | st.sampled_from(["ಕನ್ನಡ", "大規模言語モデル", "Bookmarks bar"])
URLISH = st.sampled_from([
    "https://example.com/a", "http://ಕನ್ನಡ.example/ಪುಟ", "javascript:alert(1)", "place:sort=8", "data:text/html,x",
    "", "https://", "ftp://files.example/x", "https://example.com/#/route",
]) | TEXT
TIMES = (st.integers(-(2**63), 2**63) | st.integers(0, 2**64).map(str) | TEXT | st.none() | st.floats(allow_nan=True)
         | st.sampled_from([float("inf"), 10**400, "Infinity"]))  # JSON's Infinity once made a date loop forever


def trees(leaf, folder):
    """Bookmark trees: ``leaf`` records and ``folder(children)`` records, with any JSON mixed in."""
    return st.recursive(leaf | JSON, lambda inner: folder(st.lists(inner, max_size=4)) | JSON, max_leaves=12)


CHROME = trees(
    st.fixed_dictionaries({"type": st.sampled_from(["url", "folder", "other"]), "name": TEXT, "url": URLISH, "date_added": TIMES}, optional={"meta_info": JSON}),
    lambda kids: st.fixed_dictionaries({"type": st.just("folder"), "name": TEXT, "children": kids}, optional={"date_added": TIMES}),
)
FIREFOX = trees(
    st.fixed_dictionaries(
        {"typeCode": st.sampled_from([1, 2, 3, 0, "1", None]), "title": TEXT, "uri": URLISH, "dateAdded": TIMES},
        optional={"tags": TEXT | JSON, "annos": st.lists(st.fixed_dictionaries({"name": st.just("bookmarkProperties/description"), "value": TEXT | JSON}), max_size=2) | JSON,
                  "type": st.sampled_from(["text/x-moz-place", "text/x-moz-place-separator", "x"])},
    ),
    lambda kids: st.fixed_dictionaries({"typeCode": st.just(2), "title": TEXT, "children": kids},
                                       optional={"root": st.sampled_from(["toolbarFolder", "tagsFolder", "x"])}),
)
LINKWARDEN_LINK = st.fixed_dictionaries(
    {"name": TEXT | JSON, "url": URLISH | st.none(), "type": st.sampled_from(["url", "pdf", "image"]) | JSON},
    optional={"description": TEXT | JSON, "tags": st.lists(st.fixed_dictionaries({"name": TEXT | JSON}), max_size=3) | JSON,
              "createdAt": TIMES | st.sampled_from(["2024-12-02T00:40:22.295Z"]), "importDate": TIMES},
)
LINKWARDEN_COLLECTION = st.fixed_dictionaries({"name": TEXT | JSON, "links": st.lists(LINKWARDEN_LINK | JSON, max_size=4)}) | JSON
PLIST_VALUE = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT | st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6,
)
SAFARI = st.recursive(
    st.fixed_dictionaries(
        {"WebBookmarkType": st.sampled_from(["WebBookmarkTypeLeaf", "WebBookmarkTypeProxy", "x"]), "URLString": URLISH},
        optional={"URIDictionary": st.fixed_dictionaries({"title": TEXT}) | PLIST_VALUE, "Title": TEXT,
                  "ReadingList": st.fixed_dictionaries({}, optional={"PreviewText": TEXT | PLIST_VALUE, "DateAdded": PLIST_VALUE})},
    ) | PLIST_VALUE,
    lambda inner: st.fixed_dictionaries({"WebBookmarkType": st.just("WebBookmarkTypeList"), "Title": TEXT, "Children": st.lists(inner, max_size=4) | PLIST_VALUE}),
    max_leaves=12,
)


@FUZZ
@given(bar=CHROME, other=CHROME, indent=st.sampled_from([None, 3]))
def test_arbitrary_chrome_trees(bar, other, indent):
    data = json.dumps({"checksum": "0", "roots": {"bookmark_bar": bar, "other": other}, "version": 1}, indent=indent, ensure_ascii=False).encode()
    check(data, "chrome")
    check(data, None)


@FUZZ
@given(children=st.lists(FIREFOX, max_size=4), compressed=st.booleans())
def test_arbitrary_firefox_backups(children, compressed):
    data = json.dumps({"guid": "root________", "title": "", "typeCode": 2, "root": "placesRoot", "children": children}, ensure_ascii=False).encode()
    if compressed:
        data = b"mozLz40\0" + lz4.block.compress(data)
    check(data, "firefox")
    check(data, None)


@FUZZ
@given(collections=st.lists(LINKWARDEN_COLLECTION, max_size=4), user=st.dictionaries(TEXT, JSON, max_size=3))
def test_arbitrary_linkwarden_exports(collections, user):
    data = json.dumps({**user, "collections": collections, "pinnedLinks": []}, ensure_ascii=False).encode()
    check(data, "linkwarden")
    check(data, None)


@FUZZ
@given(children=st.lists(SAFARI, max_size=4), fmt=st.sampled_from([plistlib.FMT_BINARY, plistlib.FMT_XML]))
def test_arbitrary_safari_plists(children, fmt):
    data = plistlib.dumps({"Children": children, "Title": "", "WebBookmarkFileVersion": 1, "WebBookmarkType": "WebBookmarkTypeList"}, fmt=fmt)
    check(data, "safari")
    check(data, None)
