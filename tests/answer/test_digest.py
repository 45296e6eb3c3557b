"""``selfbook digest``: what is new since a date, per chapter; with an LLM, a cited summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from llm_servers import ollama_server

import selfbook.library
import selfbook.organize
from installment_helpers import dumps, keyword_organize, library
from selfbook.cli import main
from selfbook.answer.llm import OllamaLLM

pytestmark = pytest.mark.usefixtures("store_url")  # every test on SQLite and on PostgreSQL

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}
KANNADA = "ತಾರಸಿ ತೋಟಕ್ಕೆ ಗೊಬ್ಬರದ ಟಿಪ್ಪಣಿಗಳು ಹೊಸದಾಗಿ ಬಂದಿವೆ [1][2]."


@pytest.fixture
def book(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(selfbook.organize, "organize", keyword_organize)  # the library imports it when a build organizes
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    lib = library(tmp_path / "book")
    lib.build([base])
    lib.add([later])
    return lib


def test_digest_lists_what_is_new_per_chapter(book):
    digest = book.digest(dt.date(2026, 1, 1))
    text = digest.markdown
    assert text.startswith("# What's new since 2026-01-01\n")
    assert "self-1.md (Mar 2026 – Oct 2026)" in text
    assert "Pongal recipe" in text and "Sambar recipe" not in text  # the build's entries are older
    assert "- New section: **" in text
    assert "### Saved again" in text and "LoRA: low-rank adaptation" in text
    assert "](" in text and "#e-" in text  # links into the chapters
    chapters = {c.chapter for c in digest.chapters}
    assert {"Cooking", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "Machine Learning"} <= chapters
    assert all(not c.summary for c in digest.chapters)


def test_an_early_date_takes_in_the_build_and_a_late_one_nothing(book):
    assert "Sambar recipe" in book.digest(dt.date(2020, 1, 1)).markdown
    late = book.digest(dt.date(2027, 1, 1))
    assert late.chapters == () and "Nothing new since then." in late.markdown


def test_a_section_that_grew_fast_is_named(book, tmp_path: Path):
    more = tmp_path / "self-2.md"
    recipes = [
        "Upma recipe with semolina", "Kesari bath recipe with semolina and ghee", "Neer dosa recipe with rice batter",
        "Chitranna recipe: lemon rice", "Puliyogare recipe: tamarind rice",
    ]
    more.write_text("## November 2026\n\n" + "\n\n".join(f"{r}\nhttps://example.org/recipes/{k}" for k, r in enumerate(recipes)) + "\n", encoding="utf-8")
    book.add([more])
    text = book.digest(dt.date(2026, 11, 1)).markdown
    assert "- Grew fast: **Recipes**, 9 → 14 (+5)" in text


def test_with_an_llm_each_chapter_gets_a_cited_summary(book):
    with ollama_server(lambda body: "Composting arrived [1][2], and an invented note [99].") as server:
        digest = book.digest(dt.date(2026, 1, 1), llm=OllamaLLM("llama3.2", server.url))
    assert len(server.requests) == len(digest.chapters) - sum(1 for c in digest.chapters if not c.new)
    request = server.requests[0]
    assert '<note id="1">' in request.message("user") and "English" in request.message("system")
    summarized = [c for c in digest.chapters if c.summary]
    assert len(summarized) == len(server.requests) and all("[99]" not in c.summary for c in summarized)
    for news in summarized:
        notes = sum(len(ids) for _, ids in news.new)
        assert [n for n, _ in news.cited] == [1, 2][:notes]
    assert "[1] [" in digest.markdown  # each cited note listed with a link


def test_lang_kn_asks_for_kannada(book):
    with ollama_server(lambda body: KANNADA) as server:
        digest = book.digest(dt.date(2026, 1, 1), lang="kn", llm=OllamaLLM("llama3.2", server.url))
    assert all("Kannada" in r.message("system") and "Kannada" in r.message("user") for r in server.requests)
    assert KANNADA.split(" [")[0] in digest.markdown


def test_cli_digest_with_and_without_an_llm(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(selfbook.organize, "organize", keyword_organize)  # the library imports it when a build organizes
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    book = str(tmp_path / "book")
    runner = CliRunner(env=ENV)
    runner.invoke(main, ["build", str(base), "--book", book])
    runner.invoke(main, ["add", str(later), "--book", book])
    plain = runner.invoke(main, ["digest", "--since", "2026-02", "--book", book])
    assert plain.exit_code == 0 and plain.output.startswith("# What's new since 2026-02-01")
    with ollama_server(lambda body: KANNADA) as server:
        env = {**ENV, "SELFBOOK_LLM": "ollama:llama3.2", "SELFBOOK_OLLAMA_HOST": server.url}
        result = CliRunner(env=env).invoke(main, ["digest", "--since", "2026", "--book", book, "--lang", "kn", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["since"] == "2026-01-01" and any(c["summary"].startswith("ತಾರಸಿ") for c in data["chapters"])
