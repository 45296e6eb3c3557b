"""`selfbook ask` and `Library.ask`, end to end on a built book, with and without an LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfbook.cli import main

from conftest import SMALL_DUMP
from llm_servers import ollama_server

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600", "SELFBOOK_LLM": ""}


@pytest.fixture(params=["sqlite", "postgresql"])
def book(request, templates, tmp_path: Path) -> Path:
    """A copy of the small dump's book built by the CLI (once per store for the run), on SQLite
    and on PostgreSQL (later commands find the store the book recorded)."""
    return templates.copy_book(request.param, {"self.md": SMALL_DUMP}, tmp_path / "book", cli_env=ENV)[0]


def test_ask_without_llm_gives_labelled_extracts(book: Path):
    result = CliRunner(env=ENV).invoke(main, ["ask", "bisi bele bath masala", "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "extractive" and data["answer"].startswith("No LLM is configured")
    assert any("Bisi bele bath" in c["title"] for c in data["citations"])


def test_ask_streams_through_ollama_and_checks_citations(book: Path):
    def reply(body: dict) -> str:
        return "Soak the rice and dal [1]. Also see [9]."

    with ollama_server(reply) as server:
        env = {**ENV, "SELFBOOK_LLM": "ollama:llama3.2", "SELFBOOK_OLLAMA_HOST": server.url}
        result = CliRunner(env=env).invoke(main, ["ask", "how do I make bisi bele bath?", "--book", str(book), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        prompt = server.requests[0].body["messages"][-1]["content"]
    assert data["mode"] == "llm"
    assert "[9]" not in data["answer"] and any("9" in w for w in data["warnings"])
    cited = data["citations"][0]
    assert cited["number"] == 1 and cited["id"] == data["retrieved"][0]["id"]
    assert data["retrieved"][0]["title"] in prompt


def test_ask_counts_from_the_book(book: Path):
    result = CliRunner(env=ENV).invoke(main, ["ask", "how many papers did I save?", "--book", str(book), "--json"])
    data = json.loads(result.stdout)
    assert data["mode"] == "corpus" and data["answer"][0].isdigit()


def test_empty_question_is_a_clear_error(book: Path):
    result = CliRunner(env=ENV).invoke(main, ["ask", "  ", "--book", str(book)])
    assert result.exit_code == 1 and "question is empty" in result.output
