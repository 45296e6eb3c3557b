"""Rendering the book: golden files, front matter, escaping, layout, determinism.

Regenerate the golden files after an intended change with::

    SELFBOOK_UPDATE_GOLDEN=1 python -m pytest tests/book/test_render.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import html as html_module

import pytest
import regex
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from selfbook.book import BookMeta, chapter_filename, entry_anchor, escape_markdown, render_book
from selfbook.book.markdown import _autolink, _encoded, _escape, _split, destination as _destination
from selfbook.book.render import render_entry
from selfbook.models import Chapter, DateRange, Entity, Entry, Flag, Installment, Merge, Outline, Section, Span

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = "<script>alert(1)</script>"


def month(year: int, m: int) -> DateRange:
    start = dt.date(year, m, 1)
    end = (dt.date(year + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
    return DateRange(start, end)


def entry(entry_id: str, title: str, **kw) -> Entry:
    defaults = dict(
        urls=(), notes=(), kind="note", entities=(), date=None, lang="en", script="Latin",
        sources=(Span("self.md", 1, 1),),
    )
    return Entry(id=entry_id, title=title, **{**defaults, **kw})


def sample() -> tuple[Outline, dict[str, Entry], BookMeta, list[Merge], list[Flag]]:
    """A small book: English and Kannada chapters, a merged entry, a hostile one, a derived title."""
    merged_sources = (Span("self.md", 12, 13), Span("self.md", 240, 240), Span("self-1.md", 8, 9))
    entries = [
        entry(
            "3f9a1c2b7d01", "Inner workings of transformer language models",
            urls=("https://arxiv.org/abs/2405.00208",), notes=("A survey of how transformer language models compute",),
            kind="paper", entities=(Entity("arxiv", "2405.00208"),), date=month(2024, 5),
        ),
        entry(
            "a0000000000b", "Retrieval pipelines, step by step",
            urls=("https://x.com/example_dev/status/1", "https://github.com/example/rag-kit"),
            notes=("Priya Raman (@example_dev): retrieval pipelines fail when chunking is careless",
                   "Saved again: chunking advice for retrieval pipelines\nwith a second line"),
            kind="post", entities=(Entity("github", "example/rag-kit"), Entity("handle", "example_dev")),
            date=DateRange(dt.date(2024, 10, 1), dt.date(2026, 2, 28)), sources=merged_sources,
        ),
        entry(
            "bad000000001", HOSTILE,
            notes=("# not a heading\n> not a quote\n- not a list\n1. not a list\n---\n"
                   "[click](javascript:alert(1)) ![img](http://t.example/x.png) <img src=x onerror=alert(1)>\n"
                   "*stars* and __dunder__ and snake_case, AT&T, &amp; typed, a -> b, costs $5, ~3 min, C:\\path\\",),
            urls=("javascript:alert(1)", "https://example.com/a b<c>"),
        ),
        entry("c00000000001", "A quiet note without links", notes=("Only words here; nothing to click.",)),
        entry(
            "d00000000001", "ಕುವೆಂಪು ಅವರ ರಾಮಾಯಣ ದರ್ಶನಂ", urls=("https://kn.wikipedia.org/wiki/ಕುವೆಂಪು",),
            notes=("ಕುವೆಂಪು ಮಹಾಕಾವ್ಯ, ಜ್ಞಾನಪೀಠ ಪ್ರಶಸ್ತಿ",), kind="article", lang="kn", script="Kannada",
            date=DateRange(dt.date(2025, 1, 14), dt.date(2025, 1, 14)),
        ),
        entry(
            "d00000000002", "ಕುವೆಂಪು ಮಹಾಕಾವ್ಯ ಓದು", notes=("ಕುವೆಂಪು ಮಹಾಕಾವ್ಯ ಓದು: ಮೊದಲ ಅಧ್ಯಾಯ",),
            lang="kn", script="Kannada", title_derived=True, tags=("ಓದು",),
        ),
        entry(
            "e00000000001", "Kolmogorov–Arnold networks: a reading list",
            urls=("https://www.example.org/kan",), notes=("Transformer language models compared with KANs",),
            kind="article", entities=(Entity("doi", "10.1000/xyz(1)"),),
        ),
    ]
    outline = Outline(
        chapters=(
            Chapter(
                "ch-ml", "Machine Learning & AI",
                (
                    Section("llm", "Language models: foundations", ("3f9a1c2b7d01", "e00000000001")),
                    Section("rag", "RAG — retrieval #2", ("a0000000000b", "bad000000001")),
                ),
                description="Papers, posts and code on language models.",
            ),
            Chapter(
                "ch-kn", "ಕನ್ನಡ ಸಾಹಿತ್ಯ",
                (Section("kuvempu", "ಕುವೆಂಪು", ("d00000000001", "d00000000002")),),
            ),
            Chapter("ch-misc", 'Odds: "quoted" & \'single\' --- ends', (Section("misc", "Other", ("c00000000001",), misc=True),)),
        )
    )
    meta = BookMeta(title="My Book", created="2026-02-25", sources=("../self.md", "../self-1.md"))
    merges = [Merge("a0000000000b", merged_sources, "same canonical URL")]
    flags = [Flag("3f9a1c2b7d01", "e00000000001", "similar notes", 0.9123)]
    return outline, {e.id: e for e in entries}, meta, merges, flags


def render_sample() -> dict[str, str]:
    outline, entries, meta, merges, flags = sample()
    return render_book(outline, entries, meta, merges=merges, flags=flags)


def html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable(["strikethrough", "table"]).render(markdown)


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end])


# -- golden files --------------------------------------------------------------------------------


def test_golden_files() -> None:
    files = render_sample()
    if os.environ.get("SELFBOOK_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        for old in GOLDEN.glob("*.md"):
            old.unlink()
        for name, text in files.items():
            (GOLDEN / name).write_bytes(text.encode("utf-8"))
    expected = {p.name: p.read_bytes().decode("utf-8") for p in sorted(GOLDEN.glob("*.md"))}
    assert sorted(expected) == sorted(files), "files differ; run with SELFBOOK_UPDATE_GOLDEN=1 if intended"
    for name, text in files.items():
        assert text == expected[name], f"{name} differs from tests/book/golden; SELFBOOK_UPDATE_GOLDEN=1 to accept"


def test_layout_of_files() -> None:
    files = render_sample()
    assert list(files) == sorted(files)
    assert set(files) == {
        "01-machine-learning-ai.md", "02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md", "03-odds-quoted-single-ends.md",
        "INDEX.md", "README.md", "REVIEW.md",
    }
    for name, text in files.items():
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        assert "\r" not in text, name
        assert not any(line != line.rstrip() for line in text.split("\n")), f"trailing spaces in {name}"


def test_determinism_ignores_input_order() -> None:
    outline, entries, meta, merges, flags = sample()
    first = render_book(outline, entries, meta, merges=merges, flags=flags)
    shuffled = list(entries.items())
    random.Random(7).shuffle(shuffled)
    again = render_book(outline, dict(shuffled), meta, merges=list(reversed(merges)), flags=list(reversed(flags)))
    assert first == again


# -- chapters ------------------------------------------------------------------------------------


def test_front_matter_is_valid_yaml() -> None:
    files = render_sample()
    ml = front_matter(files["01-machine-learning-ai.md"])
    assert ml == {
        "title": "Machine Learning & AI",
        "created": dt.date(2026, 2, 25),
        "source": ["../self.md", "../self-1.md"],
        "entries": 4,
        "sections": 2,
    }
    assert front_matter(files["02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md"])["title"] == "ಕನ್ನಡ ಸಾಹಿತ್ಯ"
    assert "title: ಕನ್ನಡ ಸಾಹಿತ್ಯ\n" in files["02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md"]  # readable, not \u escapes
    assert front_matter(files["03-odds-quoted-single-ends.md"])["title"] == 'Odds: "quoted" & \'single\' --- ends'


def test_front_matter_single_source_is_a_string() -> None:
    outline, entries, _, _, _ = sample()
    files = render_book(outline, entries, BookMeta("B", "2026-02-25", ("../self.md",)))
    assert front_matter(files["01-machine-learning-ai.md"])["source"] == "../self.md"
    assert "> Derived from [`self.md`](../self.md) · Created: 2026-02-25\n" in files["01-machine-learning-ai.md"]


def test_chapter_reads_like_the_reference() -> None:
    text = render_sample()["01-machine-learning-ai.md"]
    assert "\n# Machine Learning & AI\n\n> Derived from [`self.md`](../self.md) and [`self-1.md`](../self-1.md) · Created: 2026-02-25\n\nPapers, posts and code on language models.\n" in text
    assert '<a id="s-llm"></a>\n## Language models: foundations\n' in text
    assert "- [Language models: foundations](#s-llm) · 2\n" in text


def test_entry_lines_are_hard_broken() -> None:
    text = render_sample()["01-machine-learning-ai.md"]
    block = (
        '<a id="e-3f9a1c2b7d01"></a>**Inner workings of transformer language models**\\\n'
        "A survey of how transformer language models compute\\\n"
        "paper · May 2024 · arXiv 2405.00208\\\n"
        "arxiv.org — <https://arxiv.org/abs/2405.00208>\n"
    )
    assert block in text
    rendered = html(block)
    assert rendered.count("<br />") == 3
    assert rendered.count("<p>") == 1
    assert '<a href="https://arxiv.org/abs/2405.00208">' in rendered


def test_merged_entry_keeps_every_note_and_source() -> None:
    text = render_sample()["01-machine-learning-ai.md"]
    assert "Priya Raman (@example_dev): retrieval pipelines fail when chunking is careless\\\n" in text
    assert "— Saved again: chunking advice for retrieval pipelines\\\nwith a second line\\\n" in text
    assert "Saved 3 times: self.md:12-13, self.md:240, self-1.md:8-9\\\n" in text
    assert "post · Oct 2024 – Feb 2026 · GitHub example/rag-kit · @example_dev\\\n" in text


def test_entry_without_url_and_derived_title() -> None:
    files = render_sample()
    assert '<a id="e-c00000000001"></a>**A quiet note without links**\\\nOnly words here; nothing to click.\n' in files[
        "03-odds-quoted-single-ends.md"
    ]
    kannada = files["02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md"]
    assert '<a id="e-d00000000002"></a>**_ಕುವೆಂಪು ಮಹಾಕಾವ್ಯ ಓದು_**\\\n' in kannada
    assert "note · #ಓದು\n" in kannada


def test_neighbour_navigation() -> None:
    files = render_sample()
    assert files["01-machine-learning-ai.md"].endswith(
        "---\n\n[Contents](README.md) · [Index](INDEX.md) · [ಕನ್ನಡ ಸಾಹಿತ್ಯ](02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md) →\n"
    )
    assert "← [ಕನ್ನಡ ಸಾಹಿತ್ಯ](02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md) · [Contents](README.md)" in files["03-odds-quoted-single-ends.md"]


def test_missing_entry_is_an_error() -> None:
    outline, entries, meta, _, _ = sample()
    del entries["c00000000001"]
    with pytest.raises(ValueError, match="c00000000001"):
        render_book(outline, entries, meta)


# -- escaping ------------------------------------------------------------------------------------


def test_hostile_content_shows_as_text() -> None:
    for name, text in render_sample().items():
        rendered = html(text)
        assert "<script" not in rendered, name
        assert "<img" not in rendered, name
        assert 'href="javascript' not in rendered, name
        assert not regex.search(r"(?<!\\)\]\(javascript", text), name
    text = render_sample()["01-machine-learning-ai.md"]
    start = text.index('<a id="e-bad000000001">')
    chapter = html(text[start : text.index("\n\n", start)])
    assert chapter.startswith("<p>") and chapter.count("<p>") == 1 and chapter.endswith("</p>\n")
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in chapter
    assert "# not a heading<br />" in chapter
    assert "&gt; not a quote<br />" in chapter
    for tag in ("<blockquote>", "<ul>", "<ol>", "<h1>", "<h2>", "<hr", "<em>", "<code>", "<del>", "<img"):
        assert tag not in chapter
    assert "*stars* and __dunder__ and snake_case, AT&amp;T, &amp;amp; typed, a -&gt; b, costs $5, ~3 min, C:\\path\\" in chapter
    assert "https://example.com/a%20b%3Cc%3E" in chapter


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain words, e5-small and snake_case", "plain words, e5-small and snake_case"),
        (HOSTILE, "&lt;script>alert(1)&lt;/script>"),
        ("a -> b, x > y, a < b", "a -> b, x > y, a &lt; b"),
        ("AT&T &amp; &#35;", "AT&T &amp;amp; &amp;#35;"),
        ("# heading", "\\# heading"),
        ("> quote", "\\> quote"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("12. item", "12\\. item"),
        ("3) item", "3\\) item"),
        ("2024. A good year", "2024\\. A good year"),
        ("---", "\\---"),
        ("| a | b |", "\\| a | b |"),
        ("=====", "\\====="),
        ("[x](http://evil)", "\\[x\\](http://evil)"),
        ("![i](http://evil)", "!\\[i\\](http://evil)"),
        ("[[Wiki link]]", "\\[\\[Wiki link\\]\\]"),
        ("`code` *em* ~~del~~ $x$", "\\`code\\` \\*em\\* \\~\\~del\\~\\~ \\$x\\$"),
        ("__init__ _em_ snake_case_", "\\_\\_init\\_\\_ \\_em\\_ snake_case\\_"),
        ("C:\\Users\\me\\", "C:\\Users\\me\\\\"),
        ("a \\* b", "a \\\\\\* b"),
        ("Learn C #", "Learn C \\#"),
        ("C# and F#", "C# and F#"),
        ("two\nlines\n\n  here", "two lines here"),
        ("ಕನ್ನಡ ಸಾಹಿತ್ಯ - ಕುವೆಂಪು", "ಕನ್ನಡ ಸಾಹಿತ್ಯ - ಕುವೆಂಪು"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


@pytest.mark.parametrize(
    "raw",
    [HOSTILE, "# h", "> q", "- l", "1. l", "---", "*a* _b_ `c` ~~d~~", "[x](y) ![i](j) [[w]]", "a & b &amp; c", "C:\\x\\", "<http://x.y>"],
)
def test_escaped_text_renders_as_typed(raw: str) -> None:
    rendered = MarkdownIt("commonmark").enable("strikethrough").renderInline(escape_markdown(raw))
    unescaped = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert unescaped == raw


MARKDOWN_CHARS = st.sampled_from(list("#>-+=|*_`~$[]()!<>&;\\:/.1 \nabಕನ್ನಡ\u202e\x00"))


@given(st.text(st.characters(codec="utf-8") | MARKDOWN_CHARS, max_size=40))
def test_any_text_renders_as_one_paragraph_of_itself(raw: str) -> None:
    rendered = MarkdownIt("commonmark").enable(["strikethrough", "table"]).render(escape_markdown(raw))
    expected = " ".join(regex.sub(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]", "", raw).split())
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    assert html_module.unescape(rendered[3:-5]) == expected


@given(st.text(MARKDOWN_CHARS | st.characters(codec="utf-8"), max_size=30), st.lists(st.text(MARKDOWN_CHARS, max_size=30), max_size=3))
def test_any_entry_stays_one_paragraph(title: str, notes: list[str]) -> None:
    rendered = html(render_entry(entry("x1", title, notes=tuple(notes), urls=("https://example.org/" + title,))))
    assert rendered.startswith('<p><a id="e-x1"></a>') and rendered.count("<p>") == 1
    for tag in ("<blockquote", "<ul", "<ol", "<h", "<hr", "<pre", "<code", "<table", "<img"):
        assert tag not in rendered


@given(st.lists(MARKDOWN_CHARS | st.characters(codec="utf-8") | st.sampled_from(["1.", "2)", "&amp;", "\u2067", "\x85", " #"]), max_size=20).map("".join))
@example('a #')
@example('1. one')
@example('2) two')
@example('- x')
@example('x&amp;y')
@example('a\u202eb')
@example('ಕ (x)')
def test_the_fast_paths_change_nothing(raw: str) -> None:
    """Text with nothing to escape or encode skips the regular expressions: same result."""
    assert escape_markdown(raw) == _escape(raw)
    assert _destination(raw) == _encoded(raw, " ()<>\\")
    url = "https://example.org/" + raw
    assert _autolink(url, _split(url)) == f"<{_encoded(url.strip(), ' <>')}>"


def test_control_characters_and_bidi_overrides_are_dropped() -> None:
    assert escape_markdown("a\x00b\u202ec\u200dd") == "abc\u200dd"  # the joiner stays


# -- names and anchors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "title", "name"),
    [
        (1, "Machine Learning & AI", "01-machine-learning-ai.md"),
        (2, "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "02-ಕನ್ನಡ-ಸಾಹಿತ್ಯ.md"),
        (3, "Café, Déjà vu: Node.js & e5-small", "03-cafe-deja-vu-node-js-e5-small.md"),
        (4, "Don't panic!", "04-dont-panic.md"),
        (5, "!!! ???", "05-chapter.md"),
        (12, "AI / ML — ಕನ್ನಡ NLP", "12-ai-ml-ಕನ್ನಡ-nlp.md"),
    ],
)
def test_chapter_filename(index: int, title: str, name: str) -> None:
    assert chapter_filename(index, Chapter("c", title, ())) == name


def test_chapter_filename_is_short_and_numbered_from_one() -> None:
    long = chapter_filename(1, Chapter("c", "word " * 40, ()))
    assert len(long) <= len("01-") + 60 + len(".md") and long.endswith("-word.md")
    with pytest.raises(ValueError):
        chapter_filename(0, Chapter("c", "x", ()))


def test_entry_anchor() -> None:
    assert entry_anchor("3f9a1c2b7d01") == "e-3f9a1c2b7d01"
    odd = entry_anchor("a b/ಕ")
    assert regex.fullmatch(r"e-[0-9a-f]{12}", odd) and odd == entry_anchor("a b/ಕ")


# -- README and REVIEW ---------------------------------------------------------------------------


def test_readme_contents() -> None:
    readme = render_sample()["README.md"]
    assert readme.startswith("# My Book\n\n> Derived from [`self.md`](../self.md) and [`self-1.md`](../self-1.md) · 7 entries in 3 chapters · Created: 2026-02-25\n")
    assert "- [Machine Learning & AI](01-machine-learning-ai.md) — 4 entries\n  - [Language models: foundations](01-machine-learning-ai.md#s-llm) · 2\n" in readme
    assert "  - [RAG — retrieval #2](01-machine-learning-ai.md#s-rag) · 2\n" in readme
    assert "- [Odds: \"quoted\" & 'single' --- ends](03-odds-quoted-single-ends.md) — 1 entry\n" in readme
    assert "- [Index](INDEX.md)" in readme
    assert "- [Review](REVIEW.md) — 1 pair of look-alike entries to check and 1 merge of duplicate saves\n" in readme


def test_review_lists_flags_and_merges() -> None:
    review = render_sample()["REVIEW.md"]
    assert (
        "- [Inner workings of transformer language models](01-machine-learning-ai.md#e-3f9a1c2b7d01) and "
        "[Kolmogorov–Arnold networks: a reading list](01-machine-learning-ai.md#e-e00000000001) — similar notes · similarity 0.91\n"
    ) in review
    assert "- [Retrieval pipelines, step by step](01-machine-learning-ai.md#e-a0000000000b) — 3 saves: self.md:12-13, self.md:240, self-1.md:8-9 — same canonical URL\n" in review


def test_no_review_page_without_anything_to_review() -> None:
    outline, entries, meta, _, _ = sample()
    files = render_book(outline, entries, meta)
    assert "REVIEW.md" not in files
    assert "REVIEW.md" not in files["README.md"]


def test_every_link_resolves() -> None:
    files = render_sample()
    anchors = {name: set(regex.findall(r'<a id="([^"]+)"></a>', text)) for name, text in files.items()}
    for name, text in files.items():
        for target in regex.findall(r"(?<!\\)\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "../")) or target in ("map.html", "map.png"):
                continue  # the map is written beside the pages by the library (tests/book/test_topicmap.py)
            page, _, anchor = target.partition("#")
            page = page or name
            assert page in files, f"{name} links to missing {page}"
            if anchor:
                assert anchor in anchors[page], f"{name} links to missing {page}#{anchor}"


def test_weak_section_titles_are_listed_unless_they_are_the_persons_heading() -> None:
    from selfbook.book.render import weak_titles

    sleep = [entry(f"s{i}", t) for i, t in enumerate(["Sleep and memory", "Sleep debt", "Creatine dosing", "Blood work"])]
    money = [entry(f"m{i}", t, headings=("Money",)) for i, t in enumerate(["Index funds", "Tax saving under 80C", "Rent vs buy"])]
    nobel = [entry(f"n{i}", t) for i, t in enumerate(["Nobel Prize in Physics", "Python 3.13", "Ghostty 1.0", "Rust 1.85", "s1 scaling"])]
    entries = {e.id: e for e in sleep + money + nobel}
    outline = Outline((
        Chapter("health", "Health", (Section("sleep", "Sleep", tuple(e.id for e in sleep)),), ""),
        Chapter("money", "Money", (Section("money-2", "Money", tuple(e.id for e in money)),), ""),
        Chapter("news", "News", (Section("nobel-prize", "Nobel Prize", tuple(e.id for e in nobel)),), ""),
    ))
    weak = {(c.title, s.title): round(share, 2) for c, s, share in weak_titles(outline, entries)}
    assert weak == {("News", "Nobel Prize"): 0.2}  # Sleep: 2 of 4 say it; Money is the person's own heading


def test_chapters_that_installments_doubled_are_listed_for_a_reorganization() -> None:
    # An add never moves what is placed, so a coarse first book stays coarse: REVIEW.md says
    # which chapters later dumps have at least doubled (10 entries or more) and what would re-cut them.
    tools = [entry(f"t{i}", f"Tool {i}") for i in range(6)]
    perl = [entry(f"p{i}", f"Perl {i}") for i in range(16)]
    rust = [entry(f"r{i}", f"Rust {i}") for i in range(12)]  # a chapter the installment made: not listed
    later = Installment("self-1.md", "self-1.md", "0" * 64, "2026-03-01", None,
                        tuple(e.id for e in tools[2:] + perl[4:] + rust))
    entries = {e.id: e for e in tools + perl + rust}
    outline = Outline((
        Chapter("cli", "Command line", (Section("tools", "Tools", tuple(e.id for e in tools)),), ""),
        Chapter("perl", "Perl", (Section("cpan", "CPAN", tuple(e.id for e in perl)),), ""),
        Chapter("rust", "Rust", (Section("cargo", "Cargo", tuple(e.id for e in rust)),), ""),
    ))
    files = render_book(outline, entries, sample()[2], installments=[later])
    review = files["REVIEW.md"]
    assert "## Chapters grown since the book was built (1)\n" in review
    assert "- [Perl](02-perl.md) — built with 4 entries, 12 added since\n" in review
    assert "selfbook build --reorganize" in review
    assert "Command line" not in review.split("## Chapters grown")[1].split("##")[0]  # 4 added to 2: under 10
    assert "1 chapter grown since the book was built" in files["README.md"]
    assert "Chapters grown" not in render_book(outline, entries, sample()[2]).get("REVIEW.md", "")


def test_a_title_is_borne_out_by_its_words_in_the_singular_and_by_short_names() -> None:
    from selfbook.book.render import weak_titles

    tools = [entry(f"t{i}", t) for i, t in enumerate(["A tool for diffs", "Another tool", "ripgrep", "fd"])]
    jq = [entry(f"j{i}", t) for i, t in enumerate(["jq filters", "jq: select by key", "yq", "gron"])]
    entries = {e.id: e for e in tools + jq}
    outline = Outline((
        Chapter("cli", "Command line", (
            Section("tools", "Tools", tuple(e.id for e in tools)),
            Section("jq", "Jq", tuple(e.id for e in jq)),
        ), ""),
    ))
    assert weak_titles(outline, entries) == []  # "tool" bears out "Tools", "jq" bears out "Jq": half of each
