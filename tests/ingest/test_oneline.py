"""One-line notes split into title, note and date where the line says so, and only there."""

from __future__ import annotations

import pytest

from selfbook.ingest import parse_markdown
from selfbook.ingest.oneline import split_line


def one(text: str):
    dump = parse_markdown(text, "notes.md")
    assert len(dump.entries) == 1
    entry = dump.entries[0]
    return entry.title, entry.note, entry.date.iso() if entry.date else None


def test_the_issues_two_lines():
    assert one("Finding the largest SQLite files on a Mac — This runs using Spotlight so it's really fast (2020-08-19)\n") == (
        "Finding the largest SQLite files on a Mac", "This runs using Spotlight so it's really fast", "2020-08-19",
    )
    line = "- Compile a new sqlite3 binary on Ubuntu: I wanted to try the vacuum into backup command… https://til.example.net/sqlite/compile\n"
    dump = parse_markdown(line, "notes.md")
    entry = dump.entries[0]
    assert (entry.title, entry.note) == ("Compile a new sqlite3 binary on Ubuntu", "I wanted to try the vacuum into backup command…")
    assert entry.urls == ("https://til.example.net/sqlite/compile",)


@pytest.mark.parametrize(
    "line, title, note, date",
    [
        ("Uninstall perlbrew. If you are like me, sometimes you want to start over. Jan 2017.",
         "Uninstall perlbrew", "If you are like me, sometimes you want to start over.", "2017-01-01/2017-01-31"),
        ("Ambari — bilingual Kannada-English LLM from CognitiveLab (Jan 2024)",
         "Ambari", "bilingual Kannada-English LLM from CognitiveLab", "2024-01-01/2024-01-31"),
        ("Attention as the difference of two softmax maps, cancelling attention noise; Oct 2024.",
         "Attention as the difference of two softmax maps, cancelling attention noise", "", "2024-10-01/2024-10-31"),
        ("DeepSeekMath — introduces GRPO (group relative policy optimization, no value network)",
         "DeepSeekMath", "introduces GRPO (group relative policy optimization, no value network)", None),
        ("Foundations of LLMs - new survey on the foundations of LLMs covering areas such as pre-training, prompting, and alignment methods.",
         "Foundations of LLMs", "new survey on the foundations of LLMs covering areas such as pre-training, prompting, and alignment methods.", None),
        ("Hubble tension: early-universe (CMB) and late-universe (Cepheids, supernovae) H0 disagree at ~5σ",
         "Hubble tension", "early-universe (CMB) and late-universe (Cepheids, supernovae) H0 disagree at ~5σ", None),
        ("Badami – Aihole – Pattadakal: early Chalukya; Aihole is the cradle of Indian temple architecture; Pattadakal mixes styles",
         "Badami – Aihole – Pattadakal", "early Chalukya; Aihole is the cradle of Indian temple architecture; Pattadakal mixes styles", None),
        ("ಕುವೆಂಪು — ಕನ್ನಡದ ಮೊದಲ ಜ್ಞಾನಪೀಠ ಪ್ರಶಸ್ತಿ ಪಡೆದ ಕವಿ (ಡಿಸೆಂಬರ್ 1967)", "ಕುವೆಂಪು", "ಕನ್ನಡದ ಮೊದಲ ಜ್ಞಾನಪೀಠ ಪ್ರಶಸ್ತಿ ಪಡೆದ ಕವಿ", "1967-12-01/1967-12-31"),
    ],
)
def test_lines_that_say_where_the_title_ends(line, title, note, date):
    assert one(line + "\n") == (title, note, date)


@pytest.mark.parametrize(
    "line",
    [
        "Karpathy: the hottest new programming language is English, and it will stay that way for a long while",
        "@karpathy: The hottest new programming language is English.",
        "Jo Bergum: BM25 is still the baseline to beat; hybrid search before anything fancy",
        "Rhonda Patrick on sauna: the Finnish cohort data (Laukkanen) — 4–7 sessions a week associated with lower cardiovascular mortality",
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        "Transformers are SSMs: Generalized Models and Efficient Algorithms Through Structured State Space Duality (Mamba-2)",
        "The Bitter Lesson — Rich Sutton",
        "Litestream — streaming replication of SQLite to S3",
        "uv — An extremely fast Python package and project manager, written in Rust",
        "Deep Learning Foundations LLMs Part II — fine-tuning, LORA, quantization, QLORA, prefix tuning, RAG",
        "o1 Replication Journey - Part 2",
        "Dr. Andy Galpin. How to assess your fitness",
        "Homebrew GnuPG vs. GPG Mail",
        "ನಾಕುತಂತಿ — ದ.ರಾ. ಬೇಂದ್ರೆ (ಜ್ಞಾನಪೀಠ 1973)",
        "Emergency fund: 6 months of expenses in a liquid fund + savings account",
    ],
)
def test_lines_that_keep_their_whole_title(line):
    assert split_line(line) is None
    title, note, _ = one(line + "\n")
    assert note == "" and title == line


def test_a_quote_after_a_handle_keeps_the_seed_form():
    assert one("Andrej Karpathy (@karpathy): The hottest new programming language is English.\nhttps://x.com/karpathy\n") == (
        "Andrej Karpathy: The hottest new programming language is English.", "", None,  # the title holds the quote whole
    )


def test_only_one_line_entries_are_split():
    text = "Ambari — bilingual Kannada-English LLM (Jan 2024)\nA second line of note.\nhttps://example.org/ambari\n"
    title, note, date = one(text)
    assert title == "Ambari — bilingual Kannada-English LLM (Jan 2024)" and note == "A second line of note."
    assert date == "2024-01-01/2024-01-31"
    bold = "**Differential Transformer** — attention as a difference of two softmax maps (Oct 2024)\n"
    assert one(bold) == ("Differential Transformer", "attention as a difference of two softmax maps (Oct 2024)", "2024-10-01/2024-10-31")


def test_a_date_inside_the_line_stays():
    assert split_line("Simon Willison, Sep 12, 2022 — where the term came from") is None
    assert one("Nobel Prize in Physics 2024: Hopfield and Hinton\n")[0] == "Nobel Prize in Physics 2024: Hopfield and Hinton"
