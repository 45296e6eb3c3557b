"""How long the ``selfbook`` command takes to answer, as cold processes (a benchmark, not a test).

Each command runs 5 times as a new process; the median wall time is reported. ``before`` runs the
code of a base commit (default: main at d0305c8, before start-up was worked on) from a temporary
clone, with this environment's Python and packages (``PYTHONPATH`` puts the clone's ``src`` first);
``after`` runs this checkout. Both run in the same invocation, interleaved, so they share the load.

Commands, on the example book (built here with e5-small unless it exists): ``selfbook --help``,
``selfbook chapters``, ``selfbook search "transformers attention"`` (hybrid: the query embedded
by the real model) and ``--method lexical``; with ``--10k``, the same four commands on a
10,000-entry book as well (this checkout's code only: the base commit would need a book of its
own), built once with e5-small from bench/build_speed.py's dump of ../shared/bench data and kept
in bench/.cache/cli-start-10k (about 5 minutes of embedding on 2 cores); ``--big BOOK`` does the
same with a book of your own.

    python bench/cli_start.py [--base d0305c8] [--runs 5] [--10k [--data ../shared/bench] | --big BOOK]

Targets (idle machine): --help and chapters ≤ 0.3 s, search ≤ 0.6 s, on a 10k book ≤ 1 s.
Every run is appended to bench/results/cli_start.json with its date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
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


def commands(book: Path) -> dict[str, list[str]]:
    return {
        "--help": ["--help"],
        "chapters": ["chapters", "--book", str(book)],
        "search": ["search", QUERY, "--book", str(book)],
        "search --method lexical": ["search", QUERY, "--method", "lexical", "--book", str(book)],
    }


def book_10k(data: Path | None = None) -> Path:
    """The 10,000-entry book, built once (bench/build_speed.py's dump of the ``data`` folder,
    default ../shared/bench; e5-small)."""
    import build_speed  # bench/ is on sys.path when this file runs

    book = CACHE / "cli-start-10k"
    built = CACHE / "cli-start-10k.built"  # written once the build has finished (a stopped one is built again)
    if not built.exists():
        build_speed.SHARED = data or build_speed.SHARED
        if not build_speed.SHARED.is_dir():
            raise SystemExit(f"{build_speed.SHARED}: benchmark data not found — pass --data PATH/TO/shared/bench")
        book.mkdir(parents=True, exist_ok=True)
        dump = book.parent / "cli-start-10k.md"
        dump.write_text(build_speed.make_dump(10_000), encoding="utf-8")
        print(f"building {book} (once; minutes)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", "build", str(dump), "--book", str(book),
                        "--json"], check=True, stdout=subprocess.DEVNULL)
        built.write_text(dt.datetime.now().isoformat(timespec="seconds") + "\n")
    return book


def cold(src: Path, argv: list[str]) -> tuple[float, float]:
    """Wall seconds for one new process running ``selfbook ARGV`` from the code in ``src``, and the
    CPU seconds it used (user + system, its threads included): on a machine other jobs load, the
    wall time swings with them and the CPU time much less, so the two together say whether a slow
    run waited for the machine or worked."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def commit(where: Path) -> str:
    return subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()


def _entries(book: Path) -> int:
    """How many entries the book holds (the sum over its chapters)."""
    out = subprocess.run([sys.executable, "-c", "from selfbook.cli import main; main()", "chapters", "--book", str(book), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return sum(chapter["entries"] for chapter in json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="d0305c8", help="the commit measured as 'before'")
    parser.add_argument("--runs", type=int, default=5)
    sized = parser.add_mutually_exclusive_group()
    sized.add_argument("--10k", dest="ten_k", action="store_true", help="the same commands on a 10,000-entry book as well")
    sized.add_argument("--big", type=Path, help="the same commands on this (larger) book as well")
    parser.add_argument("--data", type=Path, help="with --10k: the shared bench data (default ../shared/bench)")
    args = parser.parse_args()
    big = book_10k(args.data) if args.ten_k else args.big
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
        # (name, side) → argv: each command on each side's example book, then (after only) on the big one
        jobs = {(name, side): argv for side in sources for name, argv in commands(books[side]).items()}
        if big is not None:
            entries = _entries(big)
            jobs |= {(f"{name} [{entries} entries]", "after"): argv for name, argv in commands(big).items() if name != "--help"}
        laps: dict[str, dict[str, list[float]]] = {}
        cpu: dict[str, dict[str, list[float]]] = {}
        for name in dict.fromkeys(name for name, _ in jobs):
            sides = [side for side in sources if (name, side) in jobs]
            for side in sides:
                cold(sources[side], jobs[name, side])  # once untimed: the file cache warm for both
            for _ in range(args.runs):
                for side in sides:
                    wall, used = cold(sources[side], jobs[name, side])
                    laps.setdefault(name, {}).setdefault(side, []).append(wall)
                    cpu.setdefault(name, {}).setdefault(side, []).append(used)
        base = commit(clone)
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(REPO), "base": base, "runs": args.runs,
        "loadavg": [round(x, 2) for x in (*load_before, *os.getloadavg())][:6], "cpus": os.cpu_count(),
        "median_s": {name: {side: round(statistics.median(v), 3) for side, v in sides.items()} for name, sides in laps.items()},
        "all_s": {name: {side: [round(x, 3) for x in v] for side, v in sides.items()} for name, sides in laps.items()},
        "median_cpu_s": {name: {side: round(statistics.median(v), 3) for side, v in sides.items()} for name, sides in cpu.items()},
    }
    print(f"{'command':40} {'before s':>9} {'after s':>8} {'after cpu s':>12}   (median of {args.runs} cold processes; "
          f"load {result['loadavg'][:3]} → {result['loadavg'][3:]})")
    for name, sides in result["median_s"].items():
        before = f"{sides['before']:9.2f}" if "before" in sides else f"{'':9}"
        print(f"{name:40} {before} {sides['after']:8.2f} {result['median_cpu_s'][name]['after']:12.2f}")
    out = ROOT / "results" / "cli_start.json"
    runs = json.loads(out.read_text()) if out.exists() else []
    out.write_text(json.dumps([*runs, result], indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
