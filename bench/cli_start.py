"""How long the ``selfbook`` command takes to answer, as cold processes (a benchmark, not a test).

Each command runs 5 times as a new process; the median wall time is reported. ``before`` runs the
code of a base commit (default: main at d0305c8, before start-up was worked on) from a temporary
clone, with this environment's Python and packages (``PYTHONPATH`` puts the clone's ``src`` first);
``after`` runs this checkout. Both run in the same invocation, interleaved, so they share the load.

Commands, on the example book (built here with e5-small unless it exists): ``selfbook --help``,
``selfbook chapters``, ``selfbook search "transformers attention"`` (hybrid: the query embedded
by the real model) and ``--method lexical``; with ``--big BOOK``, the same search on that book
(e.g. a 10k-entry book from bench/build_speed.py's dump).

    python bench/cli_start.py [--base d0305c8] [--runs 5] [--big /tmp/book10k]

Targets (idle machine): --help and chapters ≤ 0.3 s, search ≤ 0.6 s, on a 10k book ≤ 1 s.
Every run is appended to bench/results/cli_start.json with its date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
EXAMPLE = REPO / "examples" / "self.md"
CACHE = ROOT / ".cache"
QUERY = "transformers attention"


def commands(book: Path, big: Path | None) -> dict[str, list[str]]:
    found = {
        "--help": ["--help"],
        "chapters": ["chapters", "--book", str(book)],
        "search": ["search", QUERY, "--book", str(book)],
        "search --method lexical": ["search", QUERY, "--method", "lexical", "--book", str(book)],
    }
    if big is not None:
        found[f"search ({big.name})"] = ["search", QUERY, "--book", str(big)]
    return found


def cold(src: Path, argv: list[str]) -> float:
    """Seconds for one new process running ``selfbook ARGV`` from the code in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def commit(where: Path) -> str:
    return subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="d0305c8", help="the commit measured as 'before'")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=Path, help="a larger book to search as well (e.g. 10k entries)")
    args = parser.parse_args()
    book = CACHE / "cli-start-example"
    if not (book / ".selfbook").is_dir():
        subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", "build", str(EXAMPLE), "--book", str(book), "--json"],
                       check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "base"
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", args.base], check=True)
        sources = {"before": clone / "src", "after": REPO / "src"}
        # each side reads a book its own code wrote (a newer store is refused by older code)
        books = {"after": book, "before": CACHE / f"cli-start-example-{args.base}"}
        if not (books["before"] / ".selfbook").is_dir():
            subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", "build", str(EXAMPLE),
                            "--book", str(books["before"]), "--json"], check=True, stdout=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": str(sources["before"])})
        load_before = os.getloadavg()
        names = list(commands(book, args.big))
        laps: dict[str, dict[str, list[float]]] = {name: {side: [] for side in sources} for name in names}
        for name in names:
            for side, src in sources.items():
                cold(src, commands(books[side], args.big)[name])  # once untimed: the file cache warm for both
            for _ in range(args.runs):
                for side, src in sources.items():
                    laps[name][side].append(cold(src, commands(books[side], args.big)[name]))
        base = commit(clone)
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(REPO), "base": base, "runs": args.runs,
        "loadavg": [round(x, 2) for x in (*load_before, *os.getloadavg())][:6], "cpus": os.cpu_count(),
        "median_s": {name: {side: round(statistics.median(v), 3) for side, v in sides.items()} for name, sides in laps.items()},
        "all_s": {name: {side: [round(x, 3) for x in v] for side, v in sides.items()} for name, sides in laps.items()},
    }
    print(f"{'command':32} {'before s':>9} {'after s':>8}   (median of {args.runs} cold processes; load {result['loadavg'][:3]} → {result['loadavg'][3:]})")
    for name, sides in result["median_s"].items():
        print(f"{name:32} {sides['before']:9.2f} {sides['after']:8.2f}")
    out = ROOT / "results" / "cli_start.json"
    runs = json.loads(out.read_text()) if out.exists() else []
    out.write_text(json.dumps([*runs, result], indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
