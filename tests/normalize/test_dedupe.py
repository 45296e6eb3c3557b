import dataclasses
import datetime as dt
import hashlib

import numpy as np
import pytest

from selfbook.models import DateRange, Entity, RawEntry, Span
from selfbook.normalize import entry_id, near_duplicates, normalize_entries

MAY_2024 = DateRange(dt.date(2024, 5, 1), dt.date(2024, 5, 31), "arxiv:2405.00208")
CONTEXT = DateRange(dt.date(2024, 10, 1), dt.date(2026, 2, 28), "Oct 2024 – Feb 2026")


def raw(line, title=None, urls=(), note="", **fields):
    """A raw entry as the parser would give it: its lines are the title, note and URLs."""
    lines = tuple(p for p in (title, note, *urls) if p)
    return RawEntry(lines=lines, source=Span("self.md", line, line + len(lines) - 1),
                    title=title, urls=tuple(urls), note=note, **fields)


def only(result):
    assert len(result.entries) == 1, [e.title for e in result.entries]
    return result.entries[0]


@pytest.mark.parametrize(
    "urls",
    [
        ("https://arxiv.org/abs/2405.00208", "https://arxiv.org/pdf/2405.00208", "http://arxiv.org/abs/2405.00208v2"),
        ("https://x.com/HamelHusain/status/1800546715277357263", "https://twitter.com/hamelhusain/status/1800546715277357263?s=20"),
        ("https://youtu.be/sal78ACtGTc", "https://www.youtube.com/watch?v=sal78ACtGTc&t=30s"),
        ("http://example.com/post/", "https://www.example.com/post"),
    ],
)
def test_url_variants_merge(urls):
    raws = [raw(10 * i + 1, f"Saved copy {i}", [u], note=f"note {i}") for i, u in enumerate(urls)]
    result = normalize_entries(raws)
    entry = only(result)
    assert entry.title == "Saved copy 0"
    assert entry.sources == tuple(r.source for r in raws)
    assert entry.urls == (urls[0],)  # one URL, as first saved
    assert [m.reason.split(" ")[:2] for m in result.merges] == [["same", "URL"]]
    assert result.merges[0].sources == entry.sources


def test_notes_and_other_titles_are_kept():
    result = normalize_entries(
        [
            raw(1, "Tamil-Llama paper", ["https://arxiv.org/abs/2311.05845"], note="Llama 2 for Tamil"),
            raw(5, "Tamil Llama", ["https://arxiv.org/pdf/2311.05845v1"], note="read later"),
            raw(9, "Tamil-Llama paper", ["https://arxiv.org/abs/2311.05845"], note="Llama 2 for Tamil"),
        ]
    )
    entry = only(result)
    assert entry.notes == ("Llama 2 for Tamil", "Tamil Llama\nread later")
    assert entry.merged == 2
    assert entry.kind == "paper"
    assert entry.date == DateRange(dt.date(2023, 11, 1), dt.date(2023, 11, 30), "arxiv:2311.05845")


def test_same_paper_merges_by_id():
    result = normalize_entries(
        [
            raw(1, "A Primer on Inner Workings of Transformer LMs", note="arxiv 2405.00208"),
            raw(4, "Primer (PDF)", ["https://arxiv.org/pdf/2405.00208v2"]),
        ]
    )
    entry = only(result)
    assert result.merges[0].reason == "same arXiv 2405.00208"
    assert entry.urls == ("https://arxiv.org/pdf/2405.00208v2",)  # as saved
    assert entry.id == entry_id("arxiv:2405.00208")


def test_a_list_of_papers_is_not_a_copy_of_each():
    result = normalize_entries(
        [
            raw(1, "Reading list", note="arxiv 2405.00208\narxiv 2310.03714"),
            raw(4, "DSPy", ["https://arxiv.org/abs/2310.03714"]),
            raw(6, "Primer", ["https://arxiv.org/abs/2405.00208"]),
        ]
    )
    assert [e.title for e in result.entries] == ["Reading list", "DSPy", "Primer"]
    assert len({e.id for e in result.entries}) == 3


def test_same_text_merges_but_short_text_does_not():
    long_text = "Bill Chambers: Gentle intro to DSPy"
    result = normalize_entries(
        [
            raw(1, long_text),
            raw(3, "RAG tutorial"),
            raw(5, "bill chambers — gentle intro to DSPy!"),
            raw(7, "RAG tutorial"),
        ]
    )
    assert [e.title for e in result.entries] == [long_text, "RAG tutorial", "RAG tutorial"]
    assert result.merges[0].reason == "same text"
    assert result.entries[0].sources == (Span("self.md", 1, 1), Span("self.md", 5, 5))
    # the two short notes stay apart and still get distinct, deterministic ids
    assert result.entries[1].id == entry_id("text:rag tutorial")
    assert result.entries[2].id == entry_id("text:rag tutorial#self.md:7")


def test_same_text_about_different_links_stays_apart():
    text = "Multi-step RAG pipeline explanation thread"
    result = normalize_entries(
        [
            raw(1, text, ["https://x.com/svpino/status/1800546715277357263"]),
            raw(3, text, ["https://x.com/svpino/status/1799926065642852725"]),
            raw(5, text),  # no link: a copy of the first
        ]
    )
    assert [len(e.sources) for e in result.entries] == [2, 1]


def test_front_pages_and_profiles_do_not_merge():
    result = normalize_entries(
        [
            raw(1, "Understanding Transformer Reasoning on Graph Algorithms", ["https://arxiv.org/"]),
            raw(3, "DeepSeek-R1 PDF", ["https://arxiv.org/"]),
            raw(5, "Santiago (@svpino) RAG tutorials", ["https://twitter.com/svpino"]),
            raw(7, "Santiago: RAG pipelines tweet", ["https://x.com/svpino/"]),
        ]
    )
    assert len(result.entries) == 4
    assert not result.merges
    assert len({e.id for e in result.entries}) == 4


def test_merges_are_transitive():
    result = normalize_entries(
        [
            raw(1, "KAN blog post", ["https://example.com/kan"]),
            raw(3, "Unrelated", ["https://example.com/other"]),
            raw(5, "KAN paper and post", ["https://example.com/kan", "https://arxiv.org/abs/2404.19756"]),
            raw(8, "KAN", note="arXiv:2404.19756v3"),
        ]
    )
    first, second = result.entries
    assert [s.start for s in first.sources] == [1, 5, 8]
    assert first.title == "KAN blog post"
    assert first.urls == ("https://example.com/kan", "https://arxiv.org/abs/2404.19756")
    assert Entity("arxiv", "2404.19756") in first.entities
    assert second.title == "Unrelated"
    assert result.merges[0].reason == "same URL https://example.com/kan; same arXiv 2404.19756"


def test_entries_keep_first_seen_order_and_fields():
    result = normalize_entries(
        [
            raw(1, "Kannada LLAMA (Tensoic)", ["https://tensoic.com/"], headings=("ML", "Indic"), tags=("llm",)),
            raw(3, "ಕನ್ನಡ ಸಾಹಿತ್ಯ ಚರಿತ್ರೆ", note="ಓದಬೇಕು", headings=("ಕನ್ನಡ",)),
        ]
    )
    english, kannada = result.entries
    assert (english.kind, english.lang, english.script) == ("article", "en", "Latin")
    assert (english.headings, english.tags) == (("ML", "Indic"), ("llm",))
    assert (kannada.kind, kannada.lang, kannada.script) == ("note", "kn", "Kannada")
    assert kannada.notes == ("ಓದಬೇಕು",)


def test_untitled_entries_get_a_derived_title():
    result = normalize_entries(
        [
            raw(1, None, ["https://github.com/RooVetGit/Roo-Code"]),
            raw(2, None, ["https://x.com/HamelHusain/status/1800546715277357263"]),
            raw(4, "Roo Code: agentic coding", ["https://github.com/roovetgit/roo-code/"]),
        ]
    )
    repo, post = result.entries
    assert (repo.title, repo.title_derived, repo.kind) == ("Roo Code: agentic coding", False, "repo")
    assert (post.title, post.title_derived, post.kind) == ("Post by @HamelHusain", True, "post")
    assert post.date == DateRange(dt.date(2024, 6, 11), dt.date(2024, 6, 11), "tweet:1800546715277357263")


def test_dates_written_beat_implied_beat_context():
    written = DateRange(dt.date(2024, 6, 19), dt.date(2024, 6, 19), "Jun 19, 2024")
    entries = normalize_entries(
        [
            raw(1, "A", ["https://arxiv.org/abs/2405.00208"], date=written, context_date=CONTEXT),
            raw(3, "B", ["https://arxiv.org/abs/2310.03714"], context_date=CONTEXT),
            raw(5, "C", context_date=CONTEXT),
            raw(7, "D"),
        ]
    ).entries
    assert [e.date for e in entries] == [written, entries[1].date, CONTEXT, None]
    assert entries[1].date.label() == "Oct 2023"


def test_merged_date_is_the_earliest_of_the_best_kind():
    early = DateRange(dt.date(2024, 1, 2), dt.date(2024, 1, 2), "2024-01-02")
    late = DateRange(dt.date(2024, 3, 4), dt.date(2024, 3, 4), "2024-03-04")
    entry = only(
        normalize_entries(
            [
                raw(1, "Primer", ["https://arxiv.org/abs/2405.00208"], context_date=CONTEXT),
                raw(3, "Primer again", ["https://arxiv.org/abs/2405.00208"], date=late),
                raw(5, "Primer once more", ["https://arxiv.org/abs/2405.00208"], date=early),
            ]
        )
    )
    assert entry.date == early


def test_ids_are_stable_and_do_not_depend_on_later_entries():
    base = [
        raw(1, "Primer", ["https://arxiv.org/abs/2405.00208"]),
        raw(3, "Cursor — The AI Code Editor", ["https://www.cursor.com/"]),
        raw(5, "Roo-Code", ["https://github.com/RooVetGit/Roo-Code"]),
        raw(7, "Santiago 7 baby steps for ML"),
    ]
    ids = [e.id for e in normalize_entries(base).entries]
    assert ids == [e.id for e in normalize_entries(base).entries]
    more = [*base, raw(9, "Unrelated later", ["https://example.com/new"]), raw(11, "Santiago 7 baby steps for ML")]
    assert [e.id for e in normalize_entries(more).entries][:4] == ids
    assert ids[0] == entry_id("arxiv:2405.00208")
    assert ids[1] == entry_id("text:cursor the ai code editor")  # a front page is not an identity
    assert ids[2] == entry_id("github.com/roovetgit/roo-code")
    assert ids[3] == entry_id("text:santiago 7 baby steps for ml")


def test_entry_id_is_sha1_based():
    assert entry_id("arxiv:2405.00208") == hashlib.sha1(b"arxiv:2405.00208").hexdigest()[:12]
    assert entry_id("arxiv:2405.00208") == "63217aabb7a7"  # pinned: ids must never change
    assert len(entry_id("ಕನ್ನಡ")) == 12


# ── near duplicates ─────────────────────────────────────────────────────────────────────────


def unit(*rows):
    matrix = np.array(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture
def look_alikes():
    raws = [
        raw(1, "Santiago: 7 baby steps for machine learning"),
        raw(3, "Gentle intro to DSPy, by Bill Chambers and friends", ["https://example.com/dspy-intro"]),
        raw(5, "ಕನ್ನಡ ಭಾಷೆಯ ಇತಿಹಾಸದ ಬಗ್ಗೆ ಒಂದು ಲೇಖನ"),
        raw(7, "Santiagos 7 baby steps for machine learning", note=""),
        raw(9, "Gentle intro to DSPy by Bill Chamber and friend", ["https://other.org/dspy"]),
        raw(11, "ಕನ್ನಡ ಭಾಷೆಯ ಇತಿಹಾಸದ ಬಗ್ಗೆ ಲೇಖನ"),
        raw(13, "Why the Kannada script has so many conjuncts"),
        raw(15, "Unrelated: sourdough starter schedule"),
    ]
    entries = normalize_entries(raws).entries
    assert len(entries) == 8
    vectors = unit(
        [1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
        [1, 0.05, 0, 0, 0],  # near row 0
        [0.05, 1, 0, 0, 0],  # near row 1
        [0, 0, 1, 0.1, 0],  # near row 2
        [0, 0, 1, 0.12, 0],  # nearly the same meaning as rows 2 and 5, other words
        [0, 0, 0, 0, 1],
    )
    return entries, vectors


def test_near_duplicates_merge_and_flag(look_alikes):
    entries, vectors = look_alikes
    result = near_duplicates(entries, vectors, threshold=0.95, flag_cosine=0.99)
    assert result.kept_rows == (0, 1, 2, 4, 5, 6, 7)
    assert [e.id for e in result.entries] == [entries[i].id for i in result.kept_rows]
    merged = result.entries[0]
    assert merged.sources == (Span("self.md", 1, 1), Span("self.md", 7, 7))
    assert merged.notes == ("Santiagos 7 baby steps for machine learning",)
    assert [m.entry_id for m in result.merges] == [entries[0].id]
    assert result.merges[0].reason.startswith("near-duplicate: text 99, cosine 0.99")
    flags = {(f.a, f.b): (f.reason, f.score) for f in result.flags}
    assert flags == {
        (entries[1].id, entries[4].id): ("similar text, different links", pytest.approx(0.9792, abs=1e-4)),
        (entries[2].id, entries[5].id): ("similar text", pytest.approx(0.9231, abs=1e-4)),
        (entries[2].id, entries[6].id): ("same meaning, different words", pytest.approx(0.9928, abs=1e-3)),
        (entries[5].id, entries[6].id): ("same meaning, different words", pytest.approx(0.9998, abs=1e-3)),
    }


def test_entries_with_no_text_to_compare_are_flagged_not_merged():
    """The model reads no licence tag, so "AGPL-3.0" and "GPL-3.0/MIT" saved as titles both read
    as empty text, with the same vector; two empty texts are not the same text, so the pair is
    left for review as a look-alike, and both entries stay."""
    entries = normalize_entries([raw(1, "AGPL-3.0"), raw(3, "GPL-3.0/MIT")]).entries
    assert [e.embed_text() for e in entries] == ["", ""]
    result = near_duplicates(entries, unit([1, 0], [1, 0]), flag_cosine=0.99)
    assert len(result.entries) == 2 and not result.merges
    assert [(f.reason, f.score) for f in result.flags] == [("same meaning, different words", pytest.approx(1.0))]


def test_near_duplicates_blocks_give_the_same_answer(look_alikes):
    entries, vectors = look_alikes
    whole = near_duplicates(entries, vectors, flag_cosine=0.99)
    blocked = near_duplicates(entries, vectors, flag_cosine=0.99, block_rows=3, max_neighbours=2)
    assert blocked == whole


def test_near_duplicates_thresholds_are_parameters(look_alikes):
    entries, vectors = look_alikes
    strict = near_duplicates(entries, vectors, merge_text=100.0, flag_text=100.0, flag_cosine=1.01)
    assert strict.entries == tuple(entries) and not strict.merges and not strict.flags
    loose = near_duplicates(entries, vectors, merge_text=90.0)
    assert len(loose.entries) == 6  # the two Kannada notes merge too


def test_near_duplicates_of_nothing():
    result = near_duplicates([], np.zeros((0, 4), dtype=np.float32))
    assert result.entries == () and result.kept_rows == ()


def test_near_duplicates_checks_shapes(look_alikes):
    entries, vectors = look_alikes
    with pytest.raises(ValueError, match="one vector row per entry"):
        near_duplicates(entries[:3], vectors)


def test_near_duplicate_merge_keeps_written_title():
    entries = normalize_entries(
        [raw(1, None, ["https://example.com/kan-explained"]), raw(3, "KAN explained")]
    ).entries
    entries = [dataclasses.replace(entries[0], title="kan explained", title_derived=True), entries[1]]
    merged = near_duplicates(entries, unit([1, 0], [1, 0.01])).entries
    assert [(e.title, e.title_derived) for e in merged] == [("KAN explained", False)]
