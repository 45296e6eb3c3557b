"""Stand-ins for the ask/corpus tests: a ``Hit`` and a ``search`` with the call shape of
``selfbook.search`` (``search(query, limit=..., filters=...) -> list[Hit]``), and a small book
built by hand so that chapters, sections, kinds and dates are known exactly.

The search scores an entry by how many of the query's words it holds (title, note, links and
section), so tests can reason about what it finds. Swap in the real search once it lands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from selfbook.answer.corpus import MemoryCorpus, question_terms
from selfbook.library import PlacedEntry
from selfbook.models import Chapter, DateRange, Entry, Outline, Section, Span
from selfbook.text import dominant_script, language


@dataclass(frozen=True)
class Hit:
    placed: PlacedEntry
    score: float
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    ranks: tuple[tuple[str, int], ...] = ()


def month(year: int, number: int) -> DateRange:
    start = dt.date(year, number, 1)
    end = (dt.date(year + number // 12, number % 12 + 1, 1)) - dt.timedelta(days=1)
    return DateRange(start, end, start.strftime("%b %Y"))


def entry(title: str, note: str = "", *, kind: str = "note", url: str | None = None, date: DateRange | None = None) -> Entry:
    eid = hashlib.sha256(title.encode()).hexdigest()[:12]
    return Entry(
        id=eid, title=title, urls=(url,) if url else (), notes=(note,) if note else (), kind=kind, entities=(),
        date=date, lang=language(title + note), script=dominant_script(title + note), sources=(Span("self.md", 1, 1),),
    )


def book(chapters: dict[str, dict[str, list[Entry]]]) -> tuple[list[PlacedEntry], Outline]:
    """``{chapter: {section: [entries]}}`` → placed entries in book order, and the outline."""
    placed, outline = [], []
    for ci, (ctitle, sections) in enumerate(chapters.items()):
        secs = []
        for si, (stitle, entries) in enumerate(sections.items()):
            secs.append(Section(f"s{ci}{si}", stitle, tuple(e.id for e in entries)))
            placed += [PlacedEntry(e, f"c{ci}", ctitle, f"s{ci}{si}", stitle) for e in entries]
        outline.append(Chapter(f"c{ci}", ctitle, tuple(secs)))
    return placed, Outline(tuple(outline))


class TermSearch:
    """``search(query, limit=10, filters=None)``: entries sharing words with the query, best first.
    Records its calls."""

    def __init__(self, placed: list[PlacedEntry]) -> None:
        self.placed = placed
        self.calls: list[tuple[str, int]] = []

    def __call__(self, query: str, limit: int = 10, filters: object = None) -> list[Hit]:
        self.calls.append((query, limit))
        wanted = question_terms(query)
        scored = []
        for position, p in enumerate(self.placed):
            e = p.entry
            have = question_terms("\n".join([e.title, e.note, *e.urls, p.section]))
            shared = len(wanted & have)
            if shared:
                scored.append((-shared / len(wanted), position, p))
        return [Hit(p, -score, p.entry.title) for score, _, p in sorted(scored, key=lambda t: t[:2])[:limit]]


def fixture_book() -> tuple[list[PlacedEntry], Outline]:
    """A small book in English and Kannada with dated papers, repos, videos and posts."""
    return book(
        {
            "Machine Learning": {
                "RAG": [
                    entry("Retrieval-augmented generation for knowledge-intensive NLP", "The original RAG paper.", kind="paper",
                          url="https://arxiv.org/abs/2005.11401", date=month(2020, 5)),
                    entry("Graph RAG: from local to global", "RAG over a knowledge graph of the corpus.", kind="paper",
                          url="https://arxiv.org/abs/2404.16130", date=month(2024, 4)),
                    entry("Corrective RAG", "Grade retrieved documents before generating. Falls back to web search.", kind="paper",
                          url="https://arxiv.org/abs/2401.15884", date=month(2024, 1)),
                    entry("RAG is a recommendation system", "Jason Liu: measure retrieval first, RAG fails when retrieval is weak.",
                          kind="post", url="https://x.com/jxnlco/status/1", date=month(2024, 6)),
                    entry("LlamaIndex", "Data framework for RAG applications.", kind="repo",
                          url="https://github.com/run-llama/llama_index", date=DateRange(dt.date(2024, 10, 1), dt.date(2025, 2, 28))),
                    entry("RAG survey for large language models", "A survey of RAG methods.", kind="paper",
                          url="https://arxiv.org/abs/2312.10997", date=month(2023, 12)),
                ],
                "State space models": [
                    entry("Mamba: linear-time sequence modeling with selective state spaces", "Selective SSMs rival attention.",
                          kind="paper", url="https://arxiv.org/abs/2312.00752", date=month(2023, 12)),
                    entry("Transformers are SSMs", "Mamba-2 and state space duality.", kind="paper",
                          url="https://arxiv.org/abs/2405.21060", date=month(2024, 5)),
                    entry("state-spaces/mamba", "Mamba reference implementation.", kind="repo",
                          url="https://github.com/state-spaces/mamba", date=month(2024, 3)),
                ],
                "Running models locally": [
                    entry("Running DeepSeek-R1 locally with Ollama", "ollama run deepseek-r1:8b fits in 8 GB of VRAM.",
                          kind="video", url="https://www.youtube.com/watch?v=abc", date=month(2025, 2)),
                    entry("DeepSeek-R1 technical report", "Reasoning model trained with reinforcement learning.", kind="paper",
                          url="https://arxiv.org/abs/2501.12948", date=month(2025, 1)),
                    entry("llama.cpp", "LLM inference in C/C++, runs models locally on a laptop.", kind="repo",
                          url="https://github.com/ggml-org/llama.cpp"),
                ],
            },
            "Health": {
                "Sleep": [
                    entry("Why we sleep", "Matthew Walker on sleep and memory.", kind="video",
                          url="https://www.youtube.com/watch?v=sleep1", date=month(2023, 3)),
                    entry("Sleep and caffeine timing", "No coffee after 2 pm; caffeine half-life is about five hours.",
                          kind="article", url="https://example.org/caffeine", date=month(2024, 9)),
                ],
                "Food": [
                    entry("Ragi mudde", "Finger millet balls from Karnataka, eaten with saaru.", kind="article",
                          url="https://example.org/ragi-mudde"),
                    entry("ರಾಗಿ ಮುದ್ದೆ ಮಾಡುವ ವಿಧಾನ", "ರಾಗಿ ಹಿಟ್ಟು ಮತ್ತು ನೀರು; ಮುದ್ದೆ ಕೋಲಿನಿಂದ ತಿರುಗಿಸಿ.", kind="note", date=month(2024, 11)),
                ],
            },
        }
    )


def fixture_corpus() -> tuple[list[PlacedEntry], MemoryCorpus, TermSearch]:
    placed, outline = fixture_book()
    return placed, MemoryCorpus(placed, outline), TermSearch(placed)
