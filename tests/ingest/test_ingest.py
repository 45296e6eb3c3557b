"""Reading dumps: every entry form of a dump, English and Kannada, and every way a file can be bad."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfbook.errors import InputError
from selfbook.ingest import Dump, find_urls, parse_markdown, read_dump
from selfbook.models import RawEntry, Span

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ingest"


def parse(text: str) -> Dump:
    return parse_markdown(text, "notes.md")


def only(text: str) -> RawEntry:
    dump = parse(text)
    assert len(dump.entries) == 1, dump.entries
    return dump.entries[0]


def spans(dump: Dump) -> list[tuple[int, int]]:
    return [(e.source.start, e.source.end) for e in dump.entries]


# -- title / URL paragraphs -----------------------------------------------------------------------


def test_title_url_pairs_without_blank_lines_are_separate_entries():
    dump = parse("First title\nhttps://a.example/1\nSecond title\nhttps://b.example/2\n")
    assert [e.title for e in dump.entries] == ["First title", "Second title"]
    assert [e.urls for e in dump.entries] == [("https://a.example/1",), ("https://b.example/2",)]
    assert spans(dump) == [(1, 2), (3, 4)]
    assert dump.entries[0].source == Span("notes.md", 1, 2)


def test_consecutive_url_lines_stay_in_one_entry():
    entry = only("Two mirrors of one talk\nhttps://a.example/talk\nhttps://b.example/talk\n")
    assert entry.urls == ("https://a.example/talk", "https://b.example/talk")
    assert entry.title == "Two mirrors of one talk"


def test_title_with_inline_url():
    entry = only("Listening with small models https://blog.example.dev/listen\n")
    assert entry.title == "Listening with small models"
    assert entry.urls == ("https://blog.example.dev/listen",)


@pytest.mark.parametrize(
    "ident",
    ["arxiv 2401.01234", "arXiv:2401.01234v2", "doi:10.1145/3292500.3330701", "DOI 10.1000/xyz123",
     "ISBN 978-0-13-468599-1", "GitHub: someone/some-repo"],
)
def test_identifier_line_stays_in_lines_but_not_in_note(ident):
    entry = only(f"A study of sparse attention\n{ident}\nhttps://arxiv.org/abs/2401.01234\n")
    assert entry.title == "A study of sparse attention"
    assert entry.note == ""
    assert ident in entry.lines
    assert entry.date is None


def test_identifier_line_alone_with_url_is_the_title():
    entry = only("GitHub: someone/some-repo\nhttps://github.com/someone/some-repo\n")
    assert entry.title == "GitHub: someone/some-repo"
    assert entry.urls == ("https://github.com/someone/some-repo",)


def test_identifier_line_does_not_start_an_entry_after_a_url():
    dump = parse("Paper title\nhttps://arxiv.org/abs/2401.01234\narxiv 2401.01234\nNext note\n")
    assert [e.title for e in dump.entries] == ["Paper title", "Next note"]
    assert spans(dump) == [(1, 3), (4, 4)]


def test_description_and_bare_domain_line():
    text = (
        "How sparse models learn\n"
        "Researchers find that most weights never move during training.\n"
        "www.science-news.example.org\n"
        "https://www.science-news.example.org/sparse-models-20240911/\n"
    )
    entry = only(text)
    assert entry.title == "How sparse models learn"
    assert entry.note == "Researchers find that most weights never move during training."
    assert "www.science-news.example.org" in entry.lines
    assert entry.date is None  # the digits in the URL are not a date


@pytest.mark.parametrize("domain", ["medium.com", "www.medium.com"])
def test_bare_domain_that_is_a_suffix_of_the_host_is_dropped(domain):
    entry = only(f"Difference between two network kinds\n{domain}\nhttps://medium.com/@writer/difference-abc123\n")
    assert entry.note == ""
    assert entry.title == "Difference between two network kinds"


def test_domain_line_naming_another_host_stays_in_note():
    entry = only("Some page\nother.example.net\nhttps://site.example.com/page\n")
    assert entry.note == "other.example.net"


# -- handles ----------------------------------------------------------------------------------------


def test_handle_quote_title_cut_at_sentence_end():
    text = (
        "Asha Menon (@ashamenon): Small models with good retrieval beat big ones. "
        "They are also cheaper to run (and easier to debug)\n"
        "https://x.com/ashamenon/status/1800000000000000001\n"
    )
    entry = only(text)
    assert entry.title == "Asha Menon: Small models with good retrieval beat big ones."
    assert entry.note.startswith("Small models with good retrieval beat big ones. They are also cheaper")
    assert entry.note.endswith("easier to debug)")
    assert "@ashamenon" in entry.text
    assert entry.urls == ("https://x.com/ashamenon/status/1800000000000000001",)


def test_handle_quote_without_sentence_end_is_cut_at_a_word_with_ellipsis():
    quote = "The current approach cannot improve itself because it has no way of telling right from wrong answers at all"
    entry = only(f"Ravi Kumar (@ravi_k): {quote}\nhttps://x.com/ravi_k/status/1\n")
    assert entry.title.startswith("Ravi Kumar: The current approach cannot")
    assert entry.title.endswith("…")
    assert len(entry.title) <= 90
    assert not entry.title[:-1].endswith(" ")
    assert entry.note == quote


def test_handle_on_its_own_line_with_quote_below():
    text = (
        "Health model — Dev Shah (@devshah):\n"
        "A model tuned for sleep questions was released.\n"
        "It answers in plain words.\n"
        "https://x.com/devshah/status/2\n"
    )
    entry = only(text)
    assert entry.title == "Health model — Dev Shah: A model tuned for sleep questions was released."
    assert entry.note == "A model tuned for sleep questions was released.\nIt answers in plain words."


def test_handle_without_colon_is_a_plain_title():
    entry = only("Santosh (@santosh) tutorials on retrieval (several posts)\nhttps://twitter.com/santosh\n")
    assert entry.title == "Santosh (@santosh) tutorials on retrieval (several posts)"


# -- bold titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dash", ["—", "–", "-"])
def test_bold_title_summary_and_domain_dash_url(dash):
    text = (
        "**Reasoning on graph tasks**\n"
        "How transformers solve shortest paths internally; Oct 2024.\n"
        f"arxiv.org {dash} https://arxiv.org/abs/2410.00001\n"
        "**Second bold entry**\n"
        "A summary line, Jan 2025\n"
        f"example.com {dash} https://example.com/b\n"
    )
    first, second = parse(text).entries
    assert first.title == "Reasoning on graph tasks"
    assert first.note == "How transformers solve shortest paths internally; Oct 2024."
    assert first.urls == ("https://arxiv.org/abs/2410.00001",)
    assert (first.date.start, first.date.end) == (dt.date(2024, 10, 1), dt.date(2024, 10, 31))
    assert first.date.text == "Oct 2024"
    assert second.title == "Second bold entry"
    assert second.date.label() == "Jan 2025"
    assert (first.source.start, first.source.end, second.source.start) == (1, 3, 4)


def test_bold_titles_without_urls_split_on_the_next_bold_line():
    dump = parse("**One**\nfirst summary\n**Two**\nsecond summary\n")
    assert [(e.title, e.note) for e in dump.entries] == [("One", "first summary"), ("Two", "second summary")]


def test_title_emphasis_is_stripped():
    assert only("**Bold** and `code` and __two words__ in a title\n").title == "Bold and code and two words in a title"
    assert only("Why `__init__` runs twice\n").title == "Why __init__ runs twice"


# -- bullets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["-", "*", "+", "1.", "1)", "- [ ]", "- [x]", "•"])
def test_each_top_level_bullet_is_an_entry(marker):
    dump = parse(f"{marker} first idea\n{marker} second idea\n{marker} third idea\n")
    assert [e.title for e in dump.entries] == ["first idea", "second idea", "third idea"]
    assert spans(dump) == [(1, 1), (2, 2), (3, 3)]


def test_bullet_continuation_and_nested_bullets_belong_to_it():
    text = (
        "- Parent idea\n"
        "  continued on the next line\n"
        "  - a nested point https://nested.example.com/\n"
        "    * deeper\n"
        "- Sibling\n"
    )
    parent, sibling = parse(text).entries
    assert parent.lines == ("Parent idea", "continued on the next line", "a nested point https://nested.example.com/", "deeper")
    assert parent.title == "Parent idea"
    assert parent.urls == ("https://nested.example.com/",)
    assert (parent.source.start, parent.source.end) == (1, 4)
    assert sibling.title == "Sibling"


def test_loose_list_item_continues_after_blank_line_when_indented():
    dump = parse("- Item one\n\n  more about item one\n\n- Item two\n\nA paragraph after the list\n")
    assert [e.title for e in dump.entries] == ["Item one", "Item two", "A paragraph after the list"]
    assert dump.entries[0].note == "more about item one"


@pytest.mark.parametrize("separator", [" — ", ": ", " – ", " - "])
def test_bullet_link_title_and_description(separator):
    entry = only(f"- [Declarative pipelines](https://github.com/someone/dspy-like){separator}a tool for prompts\n")
    assert entry.title == "Declarative pipelines"
    assert entry.note == "a tool for prompts"
    assert entry.urls == ("https://github.com/someone/dspy-like",)


def test_link_inside_a_sentence_keeps_the_whole_line_as_title():
    entry = only("- [Foo](https://foo.example/) is a great tool\n")
    assert entry.title == "Foo is a great tool"


def test_paragraph_then_bullets_without_blank_line():
    dump = parse("Reading list:\n- one https://a.example/\n- two https://b.example/\n")
    assert [e.title for e in dump.entries] == ["Reading list", "one", "two"]


# -- notes and bare URLs ------------------------------------------------------------------------------------


def test_one_line_note_without_url():
    entry = only("Priya Iyer: attention sinks and the softmax issue\n")
    assert entry.title == "Priya Iyer: attention sinks and the softmax issue"
    assert entry.note == ""
    assert entry.urls == ()


def test_multi_line_note_without_url():
    entry = only("Street Talk: control theory of prompting\nA paper on steering models (A. Author)\n")
    assert entry.title == "Street Talk: control theory of prompting"
    assert entry.note == "A paper on steering models (A. Author)"


def test_bare_url_alone_has_no_title():
    entry = only("https://www.example.com/a/b?c=1\n")
    assert entry.title is None
    assert entry.urls == ("https://www.example.com/a/b?c=1",)


def test_autolink_and_markdown_link_give_urls():
    entry = only("See <https://auto.example/x> and [the docs](https://docs.example/y).\n")
    assert entry.urls == ("https://auto.example/x", "https://docs.example/y")
    assert entry.title == "See and the docs."


def test_date_written_in_an_entry():
    entry = only("Summary of my notes (Sep 17, 2024):\nI. Health\nII. Technology\n")
    assert entry.title == "Summary of my notes (Sep 17, 2024)"
    assert entry.date.iso() == "2024-09-17"
    assert entry.note == "I. Health\nII. Technology"


def test_hashtags_become_tags():
    entry = only("Retrieval tricks #rag #ಕನ್ನಡ and C# is not a tag https://x.example/#frag\n")
    assert entry.tags == ("rag", "ಕನ್ನಡ")


# -- find_urls -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "urls"),
    [
        ("plain https://a.example/x.", ["https://a.example/x"]),
        ("(see https://a.example/x), then", ["https://a.example/x"]),
        ("end https://a.example/x;", ["https://a.example/x"]),
        ("<https://a.example/auto>", ["https://a.example/auto"]),
        ("[Heat](https://en.wikipedia.org/wiki/Heat_(film))", ["https://en.wikipedia.org/wiki/Heat_(film)"]),
        ("https://en.wikipedia.org/wiki/Heat_(film).", ["https://en.wikipedia.org/wiki/Heat_(film)"]),
        ("[https://a.example/](https://a.example/)", ["https://a.example/"]),
        ("two https://a.example/1 and http://b.example/2!", ["https://a.example/1", "http://b.example/2"]),
        ("**https://bold.example/x**", ["https://bold.example/x"]),
        ("ಕನ್ನಡ https://kn.wikipedia.org/wiki/ಕನ್ನಡ_ಸಾಹಿತ್ಯ।", ["https://kn.wikipedia.org/wiki/ಕನ್ನಡ_ಸಾಹಿತ್ಯ"]),
        ("no links at www.example.com or ../self.md", []),
        ("[rel](../self.md)", []),
    ],
)
def test_find_urls(line, urls):
    assert find_urls(line) == urls


# -- structure ------------------------------------------------------------------------------------------------


def test_headings_give_provenance_and_context_dates():
    text = (
        "# Machine learning\n"
        "Top note\n"
        "## 2023\n"
        "Year note\n"
        "### Retrieval\n"
        "Nested note\n"
        "## March 2024\n"
        "Month note\n"
        "## Undated\n"
        "Plain note\n"
        "# Cooking\n"
        "Rice note\n"
    )
    dump = parse(text)
    by_title = {e.title: e for e in dump.entries}
    assert by_title["Top note"].headings == ("Machine learning",)
    assert by_title["Top note"].context_date is None
    assert by_title["Year note"].context_date.label() == "2023"
    assert by_title["Nested note"].headings == ("Machine learning", "2023", "Retrieval")
    assert by_title["Nested note"].context_date.label() == "2023"
    assert by_title["Month note"].context_date.label() == "Mar 2024"
    assert by_title["Plain note"].context_date is None
    assert by_title["Rice note"].headings == ("Cooking",)
    assert by_title["Year note"].date is None


def test_heading_with_a_range():
    entry = only("## From self-1.md (Oct 2024 – Feb 2026)\n\nA later note\n")
    assert entry.headings == ("From self-1.md (Oct 2024 – Feb 2026)",)
    assert (entry.context_date.start, entry.context_date.end) == (dt.date(2024, 10, 1), dt.date(2026, 2, 28))


def test_front_matter_is_meta_and_its_date_is_not_an_entry_date():
    dump = parse("---\ntitle: My notes\ncreated: 2026-02-25\n---\n\nA note\n")
    assert dump.meta == {"title": "My notes", "created": dt.date(2026, 2, 25)}
    (entry,) = dump.entries
    assert entry.date is None and entry.context_date is None
    assert entry.source.start == 6


def test_a_file_starting_with_a_rule_has_no_front_matter():
    dump = parse("---\nPriya Iyer: a note\n\n---\nAnother note\n")
    assert dump.meta == {}
    assert [e.title for e in dump.entries] == ["Priya Iyer: a note", "Another note"]


@pytest.mark.parametrize("rule", ["---", "***", "___", "- - -", "* * *"])
def test_rules_separate_and_are_not_entries(rule):
    dump = parse(f"first note\n{rule}\nsecond note\n")
    assert [e.title for e in dump.entries] == ["first note", "second note"]
    assert dump.skips == ()


def test_fenced_code_belongs_to_its_entry():
    text = "A useful snippet\n```python\n# not a heading\n- not a bullet\nprint(1)\n```\nafter the code\n"
    entry = only(text)
    assert entry.title == "A useful snippet"
    assert "# not a heading" in entry.lines and "- not a bullet" in entry.lines
    assert entry.headings == ()
    assert (entry.source.start, entry.source.end) == (1, 7)


def test_code_after_a_blank_line_joins_the_entry_above():
    entry = only("Shell one-liner\nhttps://a.example/\n\n~~~\nls -la | sort\n~~~\n")
    assert entry.lines[-3:] == ("~~~", "ls -la | sort", "~~~")
    assert entry.source.end == 6


def test_blockquote_markers_are_stripped():
    dump = parse("> Quoted title\n> https://q.example/\n>\n> Second paragraph\n")
    assert [(e.title, e.urls) for e in dump.entries] == [("Quoted title", ("https://q.example/",)), ("Second paragraph", ())]


def test_separator_blocks_comments_and_pasted_front_matter_are_skips():
    text = "A note\n\n• • •\n\n<!-- hidden\nstill hidden -->\n\n---\ntitle: second file\ncreated: 2025-01-01\n---\n\nLast note\n"
    dump = parse(text)
    assert [e.title for e in dump.entries] == ["A note", "Last note"]
    assert [(s.source.start, s.source.end) for s in dump.skips] == [(3, 3), (5, 6), (8, 11)]
    assert "separator" in dump.skips[0].reason
    assert "comment" in dump.skips[1].reason
    assert "front matter" in dump.skips[2].reason


# -- Kannada ------------------------------------------------------------------------------------------------------


def test_kannada_title_line_with_url():
    entry = only("ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ\nhttps://kn.wikipedia.org/wiki/ಶ್ರೀ_ರಾಮಾಯಣ_ದರ್ಶನಂ\n")
    assert entry.title == "ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ"
    assert entry.urls == ("https://kn.wikipedia.org/wiki/ಶ್ರೀ_ರಾಮಾಯಣ_ದರ್ಶನಂ",)


def test_kannada_bullets_and_link_title():
    dump = parse("- ಬೇಂದ್ರೆ ಅವರ ನಾಕುತಂತಿ\n- [ಕನ್ನಡ ವ್ಯಾಕರಣ](https://kn.wikipedia.org/wiki/ವ್ಯಾಕರಣ) — ಶಬ್ದಮಣಿದರ್ಪಣ\n")
    assert [(e.title, e.note) for e in dump.entries] == [("ಬೇಂದ್ರೆ ಅವರ ನಾಕುತಂತಿ", ""), ("ಕನ್ನಡ ವ್ಯಾಕರಣ", "ಶಬ್ದಮಣಿದರ್ಪಣ")]


@pytest.mark.parametrize(
    "heading",
    ["## ಹೊಸ ಟಿಪ್ಪಣಿಗಳು (Oct 2024 – Feb 2026)", "## ಹೊಸ ಟಿಪ್ಪಣಿಗಳು (ಅಕ್ಟೋಬರ್ 2024 – ಫೆಬ್ರವರಿ 2026)"],
)
def test_kannada_heading_with_date_range(heading):
    entry = only(f"{heading}\n\n- ಕರ್ವಾಲೊ ಕಾದಂಬರಿ\n")
    assert entry.headings == (heading.removeprefix("## "),)
    assert entry.context_date.label() == "Oct 2024 – Feb 2026"


def test_kannada_text_is_nfc_normalized():
    decomposed = unicodedata.normalize("NFD", "ಕೋಶ ಓದು")  # ಕೋ and ಓ have decompositions
    assert decomposed != "ಕೋಶ ಓದು"
    assert only(decomposed + "\n").title == "ಕೋಶ ಓದು"


# -- a whole fixture file ------------------------------------------------------------------------------------------


def test_mixed_fixture_file():
    dump = read_dump(FIXTURES / "mixed.md", display_path="mixed.md")
    assert dump.path == "mixed.md"
    assert dump.meta["title"] == "Test notes"
    titles = [e.title for e in dump.entries]
    assert titles == [
        "Sparse retrieval with learned term weights",
        "Graph neural networks, a gentle introduction",
        "Priya Rao: Retrieval quality matters more than model size for most question answering…",
        "Notes on tokenizers for Indic scripts",
        "ಕುವೆಂಪು ಅವರ ಕಾನೂರು ಹೆಗ್ಗಡಿತಿ ಕಾದಂಬರಿ",
        "ಬೇಂದ್ರೆ ಕವನಗಳ ಪಟ್ಟಿ",
        "ಕನ್ನಡ ವ್ಯಾಕರಣ",
        "Small embedding models compared",
        "Filter coffee at home",
    ]
    kannada = dump.entries[4]
    assert kannada.headings == ("Reading", "ಕನ್ನಡ ಓದು (ಜನವರಿ 2024 – ಮಾರ್ಚ್ 2024)")
    assert kannada.context_date.label() == "Jan 2024 – Mar 2024"
    later = dump.entries[-1]
    assert later.headings == ("Reading", "Later additions (Oct 2024 – Feb 2025)")
    assert later.date.label() == "Jan 2025"
    assert later.context_date.label() == "Oct 2024 – Feb 2025"
    assert all(e.source.path == "mixed.md" for e in dump.entries)
    assert [(s.source.start, s.source.end) for s in dump.skips] == [(45, 45)]  # "~ ~ ~"


# -- bad input --------------------------------------------------------------------------------------------------


def _error(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_dump(path, **kwargs)
    return info.value


def test_non_utf8_names_line_and_column(tmp_path):
    path = tmp_path / "latin.md"
    path.write_bytes("first line\nCaf".encode() + b"\xe9 au lait\n")
    err = _error(path)
    assert err.line == 2
    assert str(err).startswith(f"{path}:2: ")
    assert "not valid UTF-8" in str(err) and "column 4" in str(err) and "0xe9" in str(err)
    assert "iconv" in str(err)


def test_nul_bytes_mean_binary(tmp_path):
    path = tmp_path / "image.md"
    path.write_bytes(b"line one\nline two\x00\x01\x02")
    err = _error(path)
    assert "looks like a binary file, not a text dump" in str(err)
    assert err.line == 2 and str(err).startswith(f"{path}:2:")


def test_utf16_is_named(tmp_path):
    path = tmp_path / "wide.md"
    path.write_bytes("A note\n".encode("utf-16"))
    assert "UTF-16" in str(_error(path))


@pytest.mark.parametrize("content", ["", "   \n\n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.md"
    path.write_text(content)
    err = _error(path)
    assert str(err).startswith(f"{path}: is empty")


def test_huge_single_line(tmp_path):
    path = tmp_path / "huge.md"
    path.write_text("A short first line\n" + "x" * 10_000_000)
    err = _error(path)
    assert err.line == 2
    assert "10,000,000 characters" in str(err) and "split" in str(err)


def test_directory_and_missing_file(tmp_path):
    err = _error(tmp_path)
    assert str(err).startswith(f"{tmp_path}: is a directory")
    err = _error(tmp_path / "nope.md")
    assert str(err).startswith(f"{tmp_path / 'nope.md'}: no such file")


def test_unterminated_front_matter(tmp_path):
    path = tmp_path / "open.md"
    path.write_text("---\ntitle: Notes\n\nA note\n")
    err = _error(path, display_path="open.md")
    assert str(err) == "open.md:1: front matter opened here is never closed — close it with a '---' line"


def test_invalid_front_matter_names_the_yaml_line(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: Notes\ntags: [one, two\ncreated: 2024-01-01\n---\n\nA note\n")
    err = _error(path, display_path="bad.md")
    assert err.line in (4, 5)  # yaml reports where it noticed the unclosed list
    assert str(err).startswith(f"bad.md:{err.line}: invalid YAML in the front matter")


def test_front_matter_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.md"
    path.write_text("---\n- one\n- two\n---\nA note\n")
    err = _error(path, display_path="list.md")
    assert str(err).startswith("list.md:2: front matter is a list, not 'key: value' lines")
    path.write_text("---\n\n- one\n---\nA note\n")  # a blank line after '---': a rule, not front matter
    assert [e.title for e in read_dump(path).entries] == ["one", "A note"]


def test_empty_front_matter_and_nothing_else_holds_no_entries(tmp_path):
    path = tmp_path / "bare.md"
    path.write_text("---\n---\n")
    assert "holds no entries" in str(_error(path))


def test_file_with_only_headings_holds_no_entries(tmp_path):
    path = tmp_path / "headings.md"
    path.write_text("# One\n\n## Two\n\n---\n")
    err = _error(path)
    assert str(err).startswith(f"{path}: holds no entries")
    assert "bullet" in err.hint


def test_bom_crlf_and_cr_are_accepted(tmp_path):
    path = tmp_path / "windows.md"
    path.write_bytes(b"\xef\xbb\xbfFirst note\r\nhttps://a.example/\r\n\r\nSecond note\rthird line\r")
    dump = read_dump(path)
    assert [e.title for e in dump.entries] == ["First note", "Second note"]
    assert spans(dump) == [(1, 2), (4, 5)]
    assert dump.entries[1].note == "third line"


# -- nothing is dropped silently ---------------------------------------------------------------------------


_HEADING_LIKE = regex.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_QUOTE_MARKS = regex.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")


def _is_structure(line: str) -> bool:
    content = _QUOTE_MARKS.sub("", line, count=1)
    marks = content.replace(" ", "").replace("\t", "")
    is_rule = len(marks) >= 3 and marks[0] in "-*_=" and marks == marks[0] * len(marks)
    return not content.strip() or bool(_HEADING_LIKE.match(content)) or is_rule


def _check_nothing_dropped(text: str) -> None:
    try:
        dump = parse(text)
    except InputError:
        return
    covered = set()
    for span in [e.source for e in dump.entries] + [s.source for s in dump.skips]:
        covered.update(range(span.start, span.end + 1))
    for entry in dump.entries:
        assert entry.lines and entry.source.start <= entry.source.end
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        assert number in covered or _is_structure(line), (number, line)


_PIECES = st.sampled_from(
    ["", "# Heading", "## From a.md (Oct 2024 – Feb 2026)", "---", "***", "> quoted", ">", "- item", "  - nested",
     "1. first", "- [ ] task", "```", "~~~", "    indented", "Title line", "https://a.example/x", "arxiv 2401.01234",
     "medium.com", "**Bold title**", "Name (@handle): a quote.", "example.com — https://example.com/y",
     "[Link](https://l.example/(x))", "<!-- c", "-->", "• • •", "title: x", "ಕನ್ನಡ ಸಾಲು", "Jan 2025", "\t", "#tag"]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=30))
def test_markdownish_text_never_drops_a_line(pieces):
    _check_nothing_dropped("\n".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_or_drops_a_line(text):
    _check_nothing_dropped(text)


def test_html_entities_become_characters():
    dump = parse_markdown("Tom &amp; Jerry: cats &lt;3 mice\nhttps://example.com/tj\n", "d.md")
    assert dump.entries[0].title == "Tom & Jerry: cats <3 mice"


def test_handle_quote_the_title_holds_whole_is_not_repeated_as_the_note():
    entry = only("Peter Attia (@PeterAttiaMD): zone 2 builds the base, VO2 max raises the ceiling.\nhttps://x.com/PeterAttiaMD\n")
    assert entry.title == "Peter Attia: zone 2 builds the base, VO2 max raises the ceiling."
    assert entry.note == ""
    assert "@PeterAttiaMD" in entry.text  # the line as written is kept
