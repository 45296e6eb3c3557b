"""A kill at any point of ``selfbook add`` leaves the book as it was before or as it is after:
the store and the markdown files both (after the recovery every open runs)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import selfbook
from installment_helpers import FIXTURES, book_files, library

SRC = str(Path(selfbook.__file__).resolve().parent.parent)
ENV = {**os.environ, "SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1"}
TRIALS = 8
TOPICS = ("sourdough starter", "marathon training", "rust borrow checker", "hampi temples", "tax filing", "guitar chords")


def _notes(count: int, offset: int) -> str:
    """Generated entries, so that the add has real work to be killed in."""
    blocks = []
    for k in range(offset, offset + count):
        topic = TOPICS[k % len(TOPICS)]
        blocks.append(f"Note {k} on {topic}: what I learned about {topic} this week, part {k}\nhttps://example.com/{topic.replace(' ', '-')}/{k}")
    return "\n\n".join(blocks) + "\n"


def _state(book: Path) -> tuple[list[dict], dict[str, bytes]]:
    entries = [p.to_dict() for p in library(book).entries()]  # opening recovers a write in flight
    return entries, book_files(book)


# A helper process imports selfbook once, then forks one child per ``add`` it is sent (book, dump),
# answering with the child's pid, then with its exit status: a kill lands in the add itself, not in
# Python's start-up, and no trial pays for the imports again.
FORKER = r"""
import os, sys
from selfbook.cli import main
print("ready", flush=True)
for line in sys.stdin:
    book, dump = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
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

    def add(self, book: Path, dump: Path, kill_after: float | None = None) -> tuple[int, float]:
        """Run ``selfbook add``; kill it after ``kill_after`` seconds. Returns its exit code and time."""
        self.process.stdin.write(f"{book}\t{dump}\n")
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


def test_a_kill_during_add_leaves_the_book_before_or_after(tmp_path: Path):
    base = tmp_path / "base.md"
    base.write_text((FIXTURES / "base.md").read_text(encoding="utf-8") + "\n" + _notes(150, 0), encoding="utf-8")
    later = tmp_path / "self-1.md"
    later.write_text((FIXTURES / "self-1.md").read_text(encoding="utf-8") + "\n" + _notes(60, 1000), encoding="utf-8")
    first = tmp_path / "first"
    library(first).build([base])
    before = _state(first)
    forker = Forker()
    try:
        done = tmp_path / "done"
        shutil.copytree(first, done)
        code, took = forker.add(done, later)
        assert code == 0
        after = _state(done)
        assert after != before
        seen: list[str] = []
        rng = random.Random(4)
        for trial in range(TRIALS):
            book = tmp_path / f"trial-{trial}"
            shutil.copytree(first, book)
            code, _ = forker.add(book, later, kill_after=took * rng.uniform(0.2, 1.0))
            in_flight = any((book / ".selfbook").glob("journal-*.json"))
            state = _state(book)
            assert state in (before, after), f"trial {trial}: the book is neither as before nor as after"
            seen.append(("after" if state == after else "before") + (" (recovered)" if in_flight else ""))
        print(f"add took {took:.2f}s; killed: {seen}")
        # a book left as before still takes the add, as if nothing had happened
        again = tmp_path / f"trial-{next((k for k, s in enumerate(seen) if s.startswith('before')), 0)}"
        assert forker.add(again, later)[0] == 0 and _state(again) == after
    finally:
        forker.close()
