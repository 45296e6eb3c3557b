"""Identity before URL, and URLs kept as saved: a record with an identity of its own (an X post)
merges with another only by that identity, its own link or the same text; fragments that differ
keep entries apart (flagged when they only name a place in a page)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from click.testing import CliRunner
from hypothesis import strategies as st

from selfbook.cli import main
from selfbook.importers import read_source
from selfbook.models import RawEntry, Span
from selfbook.normalize import fragment_flags, near_duplicates, normalize_entries

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"


def raw(line, title=None, urls=(), note="", **fields):
    lines = tuple(p for p in (title, note, *urls) if p)
    return RawEntry(lines=lines or ("",), source=Span("t.md", line, line), title=title, urls=tuple(urls), note=note, **fields)


def like(line, tweet, text, *links):
    return raw(line, text[:40], (f"https://twitter.com/i/web/status/{tweet}", *links), text, ident=f"twitter:{tweet}")


# -- identity before URL ---------------------------------------------------------------------------


def test_likes_sharing_a_short_link_stay_apart():
    """A hand-made like.js in the archive's format: six likes of six posts (counted by their
    tweetIds), all holding the same t.co link, two of them with the same text."""
    dump = read_source(FIXTURES / "like_shared_link.js")
    ids = [r["like"]["tweetId"] for r in json.loads((FIXTURES / "like_shared_link.js").read_text("utf-8").partition("=")[2])]
    assert len(set(ids)) == 6
    result = normalize_entries(dump.entries)
    assert len(result.entries) == 6 and not result.merges
    assert [e.idents for e in result.entries] == [(f"twitter:{i}",) for i in ids]
    assert all(e.urls[0].endswith(i) and "https://t.co/Rel3aseN0t" in e.urls for e, i in zip(result.entries, ids))


def test_same_post_twice_or_its_own_link_elsewhere_merges():
    result = normalize_entries([
        like(1, 111, "Release 1.4 is out https://t.co/abc", "https://t.co/abc"),
        like(2, 111, "Release 1.4 is out https://t.co/abc", "https://t.co/abc"),  # liked and bookmarked
        raw(3, "Saved by hand", ["https://x.com/someone/status/111?s=20"]),
        like(4, 222, "Release 1.5 is out https://t.co/abc", "https://t.co/abc"),
        raw(5, "The release notes", ["https://t.co/abc"]),  # a link found in both posts' texts
    ])
    first, second, notes = result.entries
    assert first.idents == ("twitter:111",) and len(first.sources) == 3
    assert result.merges[0].reason == "same record twitter:111; same URL https://x.com/someone/status/111"
    assert second.idents == ("twitter:222",) and not notes.idents


def test_a_third_entry_never_joins_two_records():
    both = raw(3, "Two posts", ["https://x.com/i/status/111", "https://x.com/i/status/222"])
    result = normalize_entries([like(1, 111, "first post"), like(2, 222, "second post"), both])
    assert sorted(e.idents for e in result.entries) == [("twitter:111",), ("twitter:222",)]


def test_same_text_of_two_records_stays_apart_and_is_flagged_as_near():
    entries = normalize_entries([like(1, 111, "🎉 New release! big day"), like(2, 222, "🎉 New release! big day")]).entries
    assert len(entries) == 2
    near = near_duplicates(entries, np.ones((2, 3), np.float32) / np.sqrt(3))
    assert len(near.entries) == 2
    assert [f.reason for f in near.flags] == ["similar text, different records"]


records = st.builds(
    lambda ident, urls, text: (ident, urls, text),
    st.one_of(st.none(), st.sampled_from(["twitter:1", "twitter:2", "twitter:3", "karakeep:a"])),
    st.lists(st.sampled_from([
        "https://t.co/abc", "https://example.com/notes", "https://x.com/i/status/1", "https://x.com/i/status/2",
        "https://arxiv.org/abs/2405.00208", "http://seclists.org/#dailydave",
    ]), max_size=3),
    st.sampled_from(["Release notes for the new version", "🎉 New release!", "", "ಹೊಸ ಬಿಡುಗಡೆ ಇಲ್ಲಿದೆ ನೋಡಿ"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=8))
def test_two_records_with_different_identities_never_merge(drawn):
    raws = [raw(i + 1, text or None, urls, text, ident=ident) for i, (ident, urls, text) in enumerate(drawn)]
    entries = normalize_entries(raws).entries
    assert all(len(e.idents) <= 1 for e in entries)
    assert sum(len(e.sources) for e in entries) == len(raws)
    if entries:  # and not as near-duplicates either: every vector the same
        near = near_duplicates(entries, np.ones((len(entries), 2), np.float32) / np.sqrt(2), threshold=0.5)
        assert all(len(e.idents) <= 1 for e in near.entries)


# -- fragments and URLs as saved -------------------------------------------------------------------


def test_fragments_keep_entries_apart():
    result = normalize_entries([
        raw(1, "SecLists.Org Security Mailing List Archive", ["http://seclists.org/#dailydave"]),
        raw(2, "SecLists.Org Security Mailing List Archive", ["http://seclists.org/#fulldisclosure"]),
        raw(3, "Translator", ["https://translate.google.com/#en/zh/"]),
        raw(4, "Translator", ["https://translate.google.com/#en/kn/"]),
        raw(5, "A shared folder", ["https://pan.baidu.com/s/1abc#path=%2Fpapers"]),
        raw(6, "Another shared folder", ["https://pan.baidu.com/s/1abc#path=%2Fbooks"]),
        raw(7, "A page", ["https://example.com/page?utm_source=feed"]),
        raw(8, "The same page", ["https://example.com/page#"]),
    ])
    urls = [e.urls for e in result.entries]
    assert urls == [
        ("http://seclists.org/#dailydave",), ("http://seclists.org/#fulldisclosure",),
        ("https://translate.google.com/#en/zh/",), ("https://translate.google.com/#en/kn/",),
        ("https://pan.baidu.com/s/1abc#path=%2Fpapers",), ("https://pan.baidu.com/s/1abc#path=%2Fbooks",),
        ("https://example.com/page?utm_source=feed",),  # a tracking parameter and an empty '#' merge, as saved first
    ]
    flags = fragment_flags(result.entries)
    assert [(f.a, f.b, f.reason) for f in flags] == [
        (result.entries[0].id, result.entries[1].id, "same page, different fragment"),
    ]


def test_a_page_and_a_place_in_it_are_flagged_not_merged():
    entries = normalize_entries([
        raw(1, "A library", ["https://github.com/owner/lib"]),
        raw(2, "Its readme", ["https://github.com/owner/lib#readme"]),
        raw(3, "Its install section", ["https://github.com/owner/lib#install"]),
    ]).entries
    assert len(entries) == 3
    pairs = [(f.a, f.b) for f in near_duplicates(entries, np.eye(3, dtype=np.float32)).flags]
    assert pairs == [(entries[0].id, entries[1].id), (entries[0].id, entries[2].id)]


# -- through a book: store, add, export ------------------------------------------------------------


def _likes(path: Path, *likes: tuple[int, str]) -> Path:
    records = [{"like": {"tweetId": str(t), "fullText": text, "expandedUrl": f"https://twitter.com/i/web/status/{t}"}} for t, text in likes]
    path.write_text("window.YTD.like.part0 = " + json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_a_book_keeps_identities_through_the_store_add_and_jsonl(library, tmp_path: Path):
    """Identities survive the store (both stores), an added dump (a new post sharing a link is
    new, the same post is saved again) and a JSON Lines export built again."""
    library.build([FIXTURES / "like_shared_link.js"])
    assert sorted(len(p.entry.idents) for p in library.entries()) == [1] * 6
    later = _likes(tmp_path / "later.js", (1530001234567890007, "Release 3.0 https://t.co/Rel3aseN0t"),
                   (883001234567890001, "Release 1.4 is out: faster imports and a new CLI. Notes: https://t.co/Rel3aseN0t"))
    (added,) = library.add([later]).added
    assert (len(added.new), len(added.resaved)) == (1, 1)
    entries = [p.entry for p in library.entries()]
    assert len(entries) == 7 and all(len(e.idents) == 1 for e in entries)
    out = tmp_path / "entries.jsonl"
    from selfbook.export import export_book

    export_book(library, "jsonl", out)
    again = normalize_entries(read_source(out).entries).entries
    assert sorted(e.idents for e in again) == sorted(e.idents for e in entries)


def test_entries_json_lists_each_entrys_identities(library, tmp_path: Path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Reading\n\nA note of my own about release notes\nhttps://example.org/release-notes\n", encoding="utf-8")
    library.build([FIXTURES / "like_shared_link.js", notes])
    result = CliRunner().invoke(main, ["entries", "--book", str(library.book_dir), "--json"], env={"SELFBOOK_EMBEDDER": "hashing"})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    stored = [list(p.entry.idents) for p in library.entries()]
    assert sorted(r["idents"] for r in rows) == sorted(stored) and sum(len(i) for i in stored) == 6  # the six likes'
    (mine,) = [r for r in rows if r["urls"] == ["https://example.org/release-notes"]]
    assert mine["idents"] == []


def test_an_added_place_in_a_page_already_in_the_book_is_flagged(library, tmp_path: Path):
    first, later = tmp_path / "first.md", tmp_path / "later.md"
    first.write_text("# Lists\n\nDailydave mailing list archive\nhttp://seclists.org/#dailydave\n", encoding="utf-8")
    later.write_text("# Lists\n\nFull Disclosure mailing list archive\nhttp://seclists.org/#fulldisclosure\n", encoding="utf-8")
    library.build([first])
    (added,) = library.add([later]).added
    assert len(added.new) == 1 and not added.resaved
    review = (library.book_dir / "REVIEW.md").read_text(encoding="utf-8")
    assert "same page, different fragment" in review
