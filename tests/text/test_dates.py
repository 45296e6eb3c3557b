"""Dates written in dumps: days, months and ranges, and the digits that are not dates."""

from __future__ import annotations

import datetime as dt

import pytest

from selfbook.ingest import find_date, find_date_range

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "matched"),
    [
        ("Jan 2025", D(2025, 1, 1), D(2025, 1, 31), "Jan 2025"),
        ("January 2025", D(2025, 1, 1), D(2025, 1, 31), "January 2025"),
        ("Feb 2024", D(2024, 2, 1), D(2024, 2, 29), "Feb 2024"),
        ("Jun 2024", D(2024, 6, 1), D(2024, 6, 30), "Jun 2024"),
        ("Sept 2024", D(2024, 9, 1), D(2024, 9, 30), "Sept 2024"),
        ("Dec. 2023", D(2023, 12, 1), D(2023, 12, 31), "Dec. 2023"),
        ("Sep 17, 2024", D(2024, 9, 17), D(2024, 9, 17), "Sep 17, 2024"),
        ("September 17 2024", D(2024, 9, 17), D(2024, 9, 17), "September 17 2024"),
        ("17 Sep 2024", D(2024, 9, 17), D(2024, 9, 17), "17 Sep 2024"),
        ("3rd Jan 2025", D(2025, 1, 3), D(2025, 1, 3), "3rd Jan 2025"),
        ("2024-06-19", D(2024, 6, 19), D(2024, 6, 19), "2024-06-19"),
        ("2024/06/19", D(2024, 6, 19), D(2024, 6, 19), "2024/06/19"),
        ("May 2025", D(2025, 5, 1), D(2025, 5, 31), "May 2025"),
        ("ಅಕ್ಟೋಬರ್ 2024", D(2024, 10, 1), D(2024, 10, 31), "ಅಕ್ಟೋಬರ್ 2024"),
        ("ಮೇ 2025 ರಲ್ಲಿ ಓದಿದ್ದು", D(2025, 5, 1), D(2025, 5, 31), "ಮೇ 2025"),
        ("Full technical report for the model; Jan 2025.", D(2025, 1, 1), D(2025, 1, 31), "Jan 2025"),
        ("Summary of notes (Sep 17, 2024):", D(2024, 9, 17), D(2024, 9, 17), "Sep 17, 2024"),
        ("Overview from Dec 2024, saved; Mar 2025.", D(2025, 3, 1), D(2025, 3, 31), "Mar 2025"),  # the last wins
    ],
)
def test_find_date(text, start, end, matched):
    found = find_date(text)
    assert found is not None
    assert (found.start, found.end, found.text) == (start, end, matched)


@pytest.mark.parametrize(
    "text",
    [
        "GPT-5.2 derives a new result",
        "arxiv 2405.00208",
        "https://arxiv.org/abs/2405.00208",
        "https://www.nytimes.com/2024/06/19/science/brain.html",
        "https://example.com/Jan 2025".replace(" ", "_"),
        "Understanding ML (449-page PDF)",
        "the 2024 papers I liked",
        "Jeff Dean's talk at NeurIPS 2024",
        "version 2024.06.19 released",
        "v2024-06-19",
        "2024-13-01 is not a month",
        "Feb 30, 2024",
        "Jan 1850 and Jan 2150",
        "you may 2x your speed in 2025",
        "deadline: 2024-06",
        "Training a 7B model with RLHF",
        "",
    ],
)
def test_not_a_date(text):
    assert find_date(text) is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("From self-1.md (Oct 2024 – Feb 2026)", "Oct 2024 – Feb 2026"),
        ("Oct 2024 — Feb 2026", "Oct 2024 – Feb 2026"),
        ("Oct 2024 - Feb 2026", "Oct 2024 – Feb 2026"),
        ("Oct 2024-Feb 2026", "Oct 2024 – Feb 2026"),
        ("Oct 2024 to Feb 2026", "Oct 2024 – Feb 2026"),
        ("Oct – Dec 2024", "Oct 2024 – Dec 2024"),
        ("2023", "2023"),
        ("Reading in 2023", "2023"),
        ("2023–2024", "2023 – 2024"),
        ("2023-2024", "2023 – 2024"),
        ("March 2024", "Mar 2024"),
        ("2024-06-19", "2024-06-19"),
        ("ಹೊಸ ಟಿಪ್ಪಣಿಗಳು (ಅಕ್ಟೋಬರ್ 2024 – ಫೆಬ್ರವರಿ 2026)", "Oct 2024 – Feb 2026"),
        ("ಕನ್ನಡ ಓದು (Jan 2024 – Mar 2024)", "Jan 2024 – Mar 2024"),
    ],
)
def test_find_date_range(text, label):
    found = find_date_range(text)
    assert found is not None
    assert found.label() == label


def test_range_keeps_the_matched_text():
    found = find_date_range("## From self-1.md (Oct 2024 – Feb 2026)")
    assert found.text == "Oct 2024 – Feb 2026"
    assert (found.start, found.end) == (D(2024, 10, 1), D(2026, 2, 28))


@pytest.mark.parametrize(
    "text",
    ["Large Language Models — Foundations", "GPT-4 notes", "self-1.md", "Top 1000 papers", "https://x.com/2024", ""],
)
def test_headings_without_dates(text):
    assert find_date_range(text) is None


def test_backwards_range_is_not_a_range():
    found = find_date_range("Feb 2026 – Oct 2024")
    assert found is not None and found.label() == "Oct 2024"
