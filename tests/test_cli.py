"""The command line: help for every command, the README documents each, and the JSON views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfbook.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(command: str):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"selfbook {command}" in README.read_text(encoding="utf-8")


def test_build_then_entries_json(tmp_path: Path, small_dump: Path):
    runner = CliRunner(env=ENV)
    book = tmp_path / "book"
    result = runner.invoke(main, ["build", str(small_dump), "--book", str(book)])
    assert result.exit_code == 0, result.output
    assert "entries read" in result.output and "chapters" in result.output
    result = runner.invoke(main, ["entries", "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows
    for row in rows:
        assert {"id", "title", "urls", "kind", "date", "chapter", "section", "source"} <= row.keys()
        assert row["source"].startswith(str(small_dump))
    assert any(r["title"].startswith("ಕುವೆಂಪು") for r in rows)
    result = runner.invoke(main, ["chapters", "--book", str(book), "--json"])
    assert sum(c["entries"] for c in json.loads(result.stdout)) == len(rows)


def test_build_report_as_json(tmp_path: Path, small_dump: Path):
    result = CliRunner(env=ENV).invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "b"), "--json"])
    report = json.loads(result.stdout)
    assert report["entries_read"] == report["entries"] + report["merged"]
    assert set(report["timings"]) >= {"read", "normalize", "embed", "organize", "render", "write"}


def test_errors_are_one_clear_line(tmp_path: Path):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"hello\n\xff\xfe world\n")
    result = CliRunner(env=ENV).invoke(main, ["build", str(bad), "--book", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "bad.md:2" in result.output and "Traceback" not in result.output
    result = CliRunner(env=ENV).invoke(main, ["entries", "--book", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "selfbook build" in result.output
