"""Questions about the whole book: counts, time spans and listings, computed from structured data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ask_helpers import Hit, TermSearch, fixture_corpus
from llm_servers import ollama_server

from selfbook import Library, Settings
from selfbook.answer.ask import answer
from selfbook.answer.corpus import CorpusQuestion, MemoryCorpus, Period, answer_corpus, match_topic, parse_question
from selfbook.answer.llm import OllamaLLM

TODAY = dt.date(2025, 3, 15)


def period(start: str | None, end: str | None, label: str) -> Period:
    return Period(dt.date.fromisoformat(start) if start else None, dt.date.fromisoformat(end) if end else None, label)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many RAG papers did I keep in 2024?", CorpusQuestion("count", "RAG", ("paper",), period("2024-01-01", "2024-12-31", "in 2024"))),
        ("When did I first save something about Mamba?", CorpusQuestion("first", "Mamba")),
        ("When did I last save a video about sleep?", CorpusQuestion("last", "sleep", ("video",))),
        ("When did I save things on state space models?", CorpusQuestion("when", "state space models")),
        ("What did I save about running DeepSeek locally?", CorpusQuestion("list", "running DeepSeek locally")),
        ("What did I save about running DeepSeek locally, and what did it say?", CorpusQuestion("list", "running DeepSeek locally")),
        ("What’s in my Health chapter?", CorpusQuestion("list", "Health", scope="chapter")),
        ("Which repos did I save?", CorpusQuestion("list", "", ("repo",))),
        ("List the papers and videos I kept since Jan 2025", CorpusQuestion("list", "", ("paper", "video"), period("2025-01-01", None, "since Jan 2025"))),
        ("How many tweets did I save last year?", CorpusQuestion("count", "", ("post",), period("2024-01-01", "2024-12-31", "in 2024"))),
        ("How many articles this month?", CorpusQuestion("count", "", ("article",), period("2025-03-01", "2025-03-15", "in Mar 2025"))),
        ("How many notes about ರಾಗಿ did I save before 2024?", CorpusQuestion("count", "ರಾಗಿ", (), period(None, "2023-12-31", "before 2024"))),
        ("Number of posts between March 2023 and 2024", CorpusQuestion("count", "", ("post",), period("2023-03-01", "2024-12-31", "between Mar 2023 and 2024"))),
        ("How many posts about the RTX 2080 did I save?", CorpusQuestion("count", "RTX 2080", ("post",))),
        ("How many papers in the last 2 weeks?", CorpusQuestion("count", "", ("paper",), period("2025-03-01", "2025-03-15", "since 2025-03-01"))),
    ],
)
def test_parse_question(question: str, expected: CorpusQuestion):
    assert parse_question(question, TODAY) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What was that paper on transformers and graph algorithms?",
        "What does Corrective RAG do before generating?",
        "Which paper introduced GRPO?",
        "ಕುವೆಂಪು ಬರೆದ ಮಹಾಕಾವ್ಯ ಯಾವುದು?",
    ],
)
def test_ordinary_questions_are_not_corpus_questions(question: str):
    assert parse_question(question, TODAY) is None


def ask(question: str, today: dt.date = TODAY):
    placed, corpus, search = fixture_corpus()
    return answer(question, search=search, llm=None, corpus=corpus, today=today)


def test_count_by_topic_kind_and_year():
    result = ask("How many RAG papers did I keep in 2024?")
    assert result.mode == "corpus"
    assert result.text.startswith("2 papers about “RAG” dated in 2024. They are:\n")
    assert [c.title for c in result.citations] == ["Graph RAG: from local to global", "Corrective RAG"]
    assert "- Corrective RAG (Jan 2024) — Machine Learning › RAG [2]" in result.text
    assert "4 of them are papers; 2 dated in 2024, 2 outside it" in result.text
    assert [p.entry.title for p in result.matched] == [c.title for c in result.citations]


def test_a_date_range_that_only_overlaps_the_period_is_reported_not_counted():
    result = ask("How many RAG entries did I save in 2024?")
    assert result.text.startswith("3 entries about “RAG” dated in 2024.")
    assert "1 with a date range only partly in 2024 (not counted)" in result.text


def test_relative_dates_use_today():
    result = ask("How many videos did I save last year?", today=dt.date(2024, 6, 1))
    assert result.text.startswith("1 video dated in 2023.")
    assert result.citations[0].title == "Why we sleep"


def test_first_last_and_span():
    first = ask("When did I first save something about Mamba?")
    assert first.text.startswith("The earliest entry about “Mamba” is dated Dec 2023: Mamba: linear-time sequence modeling")
    assert "3 dated entries about “Mamba”, from Dec 2023 to May 2024." in first.text
    assert [c.number for c in first.citations] == [1] and first.citations[0].url == "https://arxiv.org/abs/2312.00752"
    last = ask("When did I most recently save a paper about Mamba?")
    assert last.text.startswith("The latest paper about “Mamba” is dated May 2024: Transformers are SSMs [1].")
    span = ask("When did I save things about DeepSeek?")
    assert span.text.startswith("From Jan 2025 (DeepSeek-R1 technical report [1]) to Feb 2025 (Running DeepSeek-R1 locally with Ollama [2]).")


def test_list_across_sections():
    result = ask("What did I save about running DeepSeek locally?")
    lines = result.text.splitlines()
    # llama.cpp shares "running" and "locally" (and the section), but not what the question is about
    assert lines[0] == "2 entries about “running DeepSeek locally”:"
    assert lines[1] == (
        "- Running DeepSeek-R1 locally with Ollama (Feb 2025) — Machine Learning › Running models locally [1]: "
        "ollama run deepseek-r1:8b fits in 8 GB of VRAM."
    )
    assert [c.number for c in result.citations] == [1, 2]


def test_whole_chapter():
    result = ask("What's in my Health chapter?")
    assert result.text.startswith("4 entries in ‘Health’:")
    assert "By section: Health › Sleep (2), Health › Food (2)." in result.text
    assert "the entries of ‘Health’" in result.text and not result.warnings


def test_missing_chapter_falls_back_to_the_topic_and_says_so():
    result = ask("What's in my Gardening chapter?")
    assert result.text.startswith("0 entries about “Gardening”.")
    assert result.warnings == ("no chapter is titled “Gardening”; used the entries that match it instead",)


def test_which_repos():
    result = ask("Which repos did I save?")
    assert [c.title for c in result.citations] == ["LlamaIndex", "state-spaces/mamba", "llama.cpp"]
    assert "every entry in the book; 3 of them are repos" in result.text


def test_kannada_topic():
    result = ask("How many notes about ರಾಗಿ did I save?")
    assert result.text.startswith("1 entry about “ರಾಗಿ”.")
    assert result.citations[0].title == "ರಾಗಿ ಮುದ್ದೆ ಮಾಡುವ ವಿಧಾನ"


def test_list_limit_keeps_counts_exact():
    placed, corpus, search = fixture_corpus()
    result = answer_corpus(CorpusQuestion("list", "RAG"), search=search, corpus=corpus, list_limit=2)
    assert len(result.cited) == 2 and len(result.matched) == 6
    assert "… and 4 more." in result.text


def test_topic_floor_and_matches_by_meaning():
    placed, corpus, _ = fixture_corpus()
    by_title = {p.entry.title: p for p in placed}

    def search(query, limit=10, filters=None):
        return [
            Hit(by_title["Corrective RAG"], 1.0),              # holds the word
            Hit(by_title["Why we sleep"], 0.95),               # no word, but within `strong` of the best
            Hit(by_title["Sleep and caffeine timing"], 0.6),   # above the floor, no word: left out
            Hit(by_title["Ragi mudde"], 0.4),                  # below the floor
        ]

    match = match_topic("RAG", search=search, corpus=corpus)
    titles = {p.entry.title for p in placed if p.entry.id in match.ids}
    assert "Why we sleep" in titles and "Sleep and caffeine timing" not in titles and "Ragi mudde" not in titles
    # the section titled "RAG" is not counted whole: only the entries the search finds relevant
    assert "Graph RAG: from local to global" not in titles and len(titles) == 2
    assert (match.by_words, match.by_meaning, match.groups, match.cuts) == (1, 1, (), (0.0, 0.7, 0.9))


def test_a_section_titled_like_the_topic_is_not_counted_whole():
    """'what did I save about sleep' counts the entries about sleep, not the Sleep section's
    members (the issue: creatine and blood work counted because they sat in 'Sleep')."""
    placed, corpus, _ = fixture_corpus()
    by_title = {p.entry.title: p for p in placed}
    sleep_section = next(s for c in corpus.outline().chapters for s in c.sections if s.title == "Sleep")
    assert len(sleep_section.entry_ids) >= 2

    def search(query, limit=10, filters=None):
        return [Hit(by_title["Why we sleep"], 1.0), Hit(by_title["Ragi mudde"], 0.2)]

    result = answer_corpus(CorpusQuestion("count", "sleep"), search=search, corpus=corpus)
    assert [p.entry.title for p in result.matched] == ["Why we sleep"]
    assert result.text.startswith("1 entry about “sleep”.")
    assert "each entry judged on its own, not by the section it is in: 1 holding its words" in result.text
    assert "0 by meaning alone (at least 90%)" in result.text
    scoped = answer_corpus(CorpusQuestion("list", "sleep", scope="section"), search=search, corpus=corpus)
    assert len(scoped.matched) == len(sleep_section.entry_ids)  # asked for the section: the section


def test_hits_holding_every_topic_word_count_whatever_their_score():
    placed, corpus, _ = fixture_corpus()
    by_title = {p.entry.title: p for p in placed}
    mamba = by_title["Mamba: linear-time sequence modeling with selective state spaces"]

    def search(query, limit=10, filters=None):
        return [Hit(mamba, 1.0), Hit(by_title["Why we sleep"], 0.6), Hit(by_title["state-spaces/mamba"], 0.01)]

    match = match_topic("mamba", search=search, corpus=corpus)
    assert match.ids == {mamba.entry.id, by_title["state-spaces/mamba"].entry.id}
    assert (match.by_words, match.by_meaning, match.truncated) == (2, 0, False)


def test_corpus_answers_are_computed_even_with_an_llm():
    placed, corpus, search = fixture_corpus()
    with ollama_server(lambda body: "There are 99 [1].") as server:
        result = answer("Which repos did I save?", search=search, llm=OllamaLLM("llama3.2", server.url), corpus=corpus)
    assert server.requests == [] and result.mode == "corpus" and result.text.startswith("3 repos:")


def test_corpus_on_a_built_book(small_book: Library):
    library = small_book
    placed = library.entries()
    corpus = MemoryCorpus(placed, library.outline())
    result = answer("Which repos did I save?", search=TermSearch(placed), llm=None, corpus=corpus)
    assert {c.url for c in result.citations} == {"https://github.com/stanfordnlp/dspy", "https://github.com/run-llama/llama_index"}
    count = answer("How many papers about Kolmogorov-Arnold networks did I save?", search=TermSearch(placed), llm=None, corpus=corpus)
    assert count.text.startswith("1 paper about “Kolmogorov-Arnold networks”.")
    assert count.to_dict()["matched"] == [count.citations[0].entry_id]


SLEEP_DUMP = """\
# Health

Why we sleep: Matthew Walker on sleep and memory
https://www.example.org/why-we-sleep

Sleep hygiene: a dark, cool bedroom and the same bedtime every night
https://www.example.org/sleep-hygiene

Creatine monohydrate, 3–5 g a day, no loading phase
https://www.example.org/creatine

Blood work panel: ferritin, vitamin D and lipids once a year
https://www.example.org/blood-work

Whey or pea protein after training, compared
https://www.example.org/protein

MAF training: easy runs at a low heart rate
https://www.example.org/maf
"""


@pytest.mark.slow
def test_counting_with_the_real_model_counts_what_is_about_the_topic(tmp_path: Path):
    dump = tmp_path / "health.md"
    dump.write_text(SLEEP_DUMP, encoding="utf-8")
    library = Library(tmp_path / "book", Settings(created="2026-01-01"))
    library.build([dump])
    result = library.ask("What did I save about sleep?", llm=None)
    assert {c.title for c in result.citations} == {
        "Why we sleep: Matthew Walker on sleep and memory", "Sleep hygiene: a dark, cool bedroom and the same bedtime every night",
    }
    assert result.text.startswith("2 entries about “sleep”") and "not by the section it is in" in result.text
