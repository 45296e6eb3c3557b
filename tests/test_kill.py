"""A kill at any point of ``selfbook add`` leaves the book as it was before or as it is after:
the store and the markdown files both (after the recovery every open runs). On SQLite, and on
PostgreSQL, where each trial's book is a copy of the folder with a copy of the database."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import selfbook
from selfbook import Library
from selfbook.embed import HashingEmbedder
from selfbook.store import record_store

import pg_helpers
from installment_helpers import FIXTURES, SETTINGS, book_files

SRC = str(Path(selfbook.__file__).resolve().parent.parent)
ENV = {**os.environ, "SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1"}
TRIALS = 8
PG_TRIALS = 4
"""Fewer kills on PostgreSQL, where each trial also copies a database: CI time."""
TOPICS = ("sourdough starter", "marathon training", "rust borrow checker", "hampi temples", "tax filing", "guitar chords")


def _notes(count: int, offset: int) -> str:
    """Generated entries, so that the add has real work to be killed in."""
    blocks = []
    for k in range(offset, offset + count):
        topic = TOPICS[k % len(TOPICS)]
        blocks.append(f"Note {k} on {topic}: what I learned about {topic} this week, part {k}\nhttps://example.com/{topic.replace(' ', '-')}/{k}")
    return "\n\n".join(blocks) + "\n"


def _state(book: Path, store: str) -> tuple[list[dict], dict[str, bytes]]:
    library = Library(book, SETTINGS.replace(store=store), embedder=HashingEmbedder())
    entries = [p.to_dict() for p in library.entries()]  # opening recovers a write in flight
    return entries, book_files(book)


def _copy(book: Path, store: str, to: Path) -> str:
    """Copy a book to ``to``; on PostgreSQL its database too (the copy records the new one).
    Returns the copy's store."""
    shutil.copytree(book, to)
    if not store:
        return ""
    url = pg_helpers.copy_database(store)
    record_store(to / ".selfbook", url)
    return url


# A helper process imports selfbook once, then forks one child per ``add`` it is sent (book, dump,
# store), answering with the child's pid, then with its exit status: a kill lands in the add itself,
# not in Python's start-up, and no trial pays for the imports again. The child is told the book's
# store as a user would: SELFBOOK_STORE.
FORKER = r"""
import os, sys
from selfbook.cli import main
print("ready", flush=True)
for line in sys.stdin:
    book, dump, store = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        os.environ["SELFBOOK_STORE"] = store
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        try:
            main(["add", dump, "--book", book], standalone_mode=False)
            code = 0
        except BaseException:
            code = 1
        os._exit(code)
    print(pid, flush=True)
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Forker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", FORKER], env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline() == "ready\n"

    def add(self, book: Path, dump: Path, store: str, kill_after: float | None = None) -> tuple[int, float]:
        """Run ``selfbook add``; kill it after ``kill_after`` seconds. Returns its exit code and time."""
        self.process.stdin.write(f"{book}\t{dump}\t{store}\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        start = time.perf_counter()
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        code = int(self.process.stdout.readline())
        return code, time.perf_counter() - start

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def forker():
    """One helper process for both stores (it takes seconds to import selfbook)."""
    helper = Forker()
    yield helper
    helper.close()


def test_a_kill_during_add_leaves_the_book_before_or_after(tmp_path: Path, store_url: str, forker: Forker):
    base = tmp_path / "base.md"
    base.write_text((FIXTURES / "base.md").read_text(encoding="utf-8") + "\n" + _notes(150, 0), encoding="utf-8")
    later = tmp_path / "self-1.md"
    later.write_text((FIXTURES / "self-1.md").read_text(encoding="utf-8") + "\n" + _notes(60, 1000), encoding="utf-8")
    first = tmp_path / "first"
    Library(first, SETTINGS.replace(store=store_url), embedder=HashingEmbedder()).build([base])
    before = _state(first, store_url)
    done = tmp_path / "done"
    done_store = _copy(first, store_url, done)
    code, took = forker.add(done, later, done_store)
    assert code == 0
    after = _state(done, done_store)
    assert after != before
    seen: list[str] = []
    stores: list[str] = []
    rng = random.Random(4)
    trials = PG_TRIALS if store_url else TRIALS
    for trial in range(trials):
        book = tmp_path / f"trial-{trial}"
        stores.append(_copy(first, store_url, book))
        start = 0.2 + 0.8 * trial / trials  # a random point in each of ``trials`` slices of [0.2, 1.0]:
        kill_after = took * rng.uniform(start, start + 0.8 / trials)  # the last slice holds the commit
        code, _ = forker.add(book, later, stores[trial], kill_after=kill_after)
        in_flight = any((book / ".selfbook").glob("journal-*.json"))
        state = _state(book, stores[trial])
        assert state in (before, after), f"trial {trial}: the book is neither as before nor as after"
        seen.append(("after" if state == after else "before") + (" (recovered)" if in_flight else ""))
    print(f"add took {took:.2f}s; killed: {seen}")
    # a book left as before still takes the add, as if nothing had happened
    again = next((k for k, s in enumerate(seen) if s.startswith("before")), 0)
    book = tmp_path / f"trial-{again}"
    assert forker.add(book, later, stores[again])[0] == 0 and _state(book, stores[again]) == after
