"""Team-sized books (a benchmark, not a test): search on SQLite and PostgreSQL, ingest, and
embedding on the local executor and on Ray.

1. **Hybrid search p50/p99** (``Library.search(q, limit=10, method="hybrid")``, 200 queries after
   one warm-up search) on the synthetic books of ``bench/search_speed.py`` (built there, cached in
   ``bench/.cache/speed-N``), kept in SQLite and in PostgreSQL, in the same run. The
   PostgreSQL copy is made with the real move, ``selfbook.store.migrate.migrate_book`` (every
   table's rows by COPY), into a database of a local ``pgserver`` (PostgreSQL 16, data
   in ``bench/.cache/pg``); the time it takes is reported. PostgreSQL books are kept, so a rerun
   searches without loading again (delete ``bench/.cache/speed-pg-N`` to time the move again).
2. **Ingest throughput**: a generated markdown dump of ``--ingest`` entries (titles and notes cut
   from ../shared/bench sentences, a third with a link, a heading every 500) read
   (``read_source``) and normalized (``normalize_entries``: canonical URLs, entities, language,
   exact duplicates), in entries/s.
3. **Embedding throughput** of e5-small on ``--embed-texts`` texts (batches of 64, nothing
   cached): the local executor (all cores, and one thread), and a local Ray
   (``ray.init(num_cpus=2)``) with 1 and 2 workers of one thread each. Each Ray run includes
   starting its workers and loading the model in each; Ray's own start is reported apart.

Every measurement runs in a process of its own (so peak memory is its own).

    python bench/scale.py [--sizes 100000,1000000] [--pg-sizes 100000] [--ingest 100000] [--embed-texts 512]

Results go to bench/results/scale.json: this run, with the runs before it under ``earlier``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from search_speed import CACHE, StandIn, peak_mb, queries, sentences, synthetic_entries  # noqa: E402

from selfbook import Library, Settings  # noqa: E402

PG_DATA = CACHE / "pg"
SPEED = ROOT / "search_speed.py"


# -- 1. search ------------------------------------------------------------------------------------
def search(book: Path, count: int) -> dict:
    library = Library(book, Settings(embedder="hashing"), embedder=StandIn())
    start = time.perf_counter()
    library.search("warm up the engine", limit=10, method="hybrid")
    result = {"first_search_s": round(time.perf_counter() - start, 2)}
    laps = []
    for q in queries(count):
        start = time.perf_counter()
        library.search(q, limit=10, method="hybrid")
        laps.append(1000 * (time.perf_counter() - start))
    result.update(p50_ms=round(float(np.percentile(laps, 50)), 1), p99_ms=round(float(np.percentile(laps, 99)), 1),
                  max_ms=round(max(laps), 1), search_peak_mb=round(peak_mb()))
    return result


def pg_server():
    import pgserver  # only this benchmark and the tests need it

    PG_DATA.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(PG_DATA, cleanup_mode="stop")


def pg_book(server, n: int) -> tuple[Path, dict]:
    """The speed-N book moved into PostgreSQL (made once, then kept), and what making it took."""
    book = CACHE / f"speed-pg-{n}"
    done = book / ".selfbook" / "loaded.json"
    if done.exists():
        return book, json.loads(done.read_text())
    name = f"speed_{n}"
    server.psql(f"DROP DATABASE IF EXISTS {name};")
    server.psql(f"CREATE DATABASE {name};")
    shutil.rmtree(book, ignore_errors=True)
    (book / ".selfbook").mkdir(parents=True)
    source = sqlite3.connect(CACHE / f"speed-{n}" / ".selfbook" / "book.db")
    target = sqlite3.connect(book / ".selfbook" / "book.db")
    source.backup(target)
    source.close(), target.close()
    loaded = _phase("migrate", n, book=book, url=server.get_uri(name))
    (book / ".selfbook" / "book.db.migrated").unlink()
    done.write_text(json.dumps(loaded))
    return book, loaded


def migrate(book: Path, url: str) -> dict:
    from selfbook.store.migrate import migrate_book

    start = time.perf_counter()
    report = migrate_book(book, url)
    return {"migrate_s": round(time.perf_counter() - start, 1), "rows": sum(report.rows.values()), "migrate_peak_mb": round(peak_mb())}


# -- 2. ingest ------------------------------------------------------------------------------------
def make_dump(n: int, path: Path) -> None:
    rng = random.Random(3)
    with open(path, "w", encoding="utf-8") as fh:
        for i, e in enumerate(synthetic_entries(n, sentences(), seed=3)):
            if i % 500 == 0:
                fh.write(f"# Topic {i // 500}\n\n")
            lines = [e.title, e.notes[0], *e.urls]
            if rng.random() < 0.02:  # some saved twice
                lines[-1] = f"https://example.org/{i % 97}/again"
            fh.write("\n".join(lines) + "\n\n")


def ingest(n: int) -> dict:
    from selfbook.importers import read_source
    from selfbook.normalize import normalize_entries

    path = CACHE / f"scale-dump-{n}.md"
    if not path.exists():
        make_dump(n, path)
    start = time.perf_counter()
    dump = read_source(path)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    normalized = normalize_entries(dump.entries)
    norm_s = time.perf_counter() - start
    return {"entries_read": len(dump.entries), "entries": len(normalized.entries), "dump_mb": round(path.stat().st_size / 1e6, 1),
            "read_s": round(read_s, 1), "normalize_s": round(norm_s, 1),
            "read_per_s": round(len(dump.entries) / read_s), "normalize_per_s": round(len(dump.entries) / norm_s),
            "ingest_per_s": round(len(dump.entries) / (read_s + norm_s)), "ingest_peak_mb": round(peak_mb())}


# -- 3. embedding ---------------------------------------------------------------------------------
def embed(count: int, batch: int = 64) -> dict:
    import ray

    from selfbook.embed import E5Small, LocalExecutor
    from selfbook.embed.executors import RayExecutor

    texts = [e.embed_text() for e in synthetic_entries(count, sentences(), seed=5)]
    batches = [texts[i : i + batch] for i in range(0, count, batch)]

    def timed(executor, embedder) -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        got = dict(executor.embed(embedder, batches))
        seconds = time.perf_counter() - start
        return seconds, np.concatenate([got[k] for k in range(len(batches))])

    E5Small(threads=1).embed(["load the model once, so the page cache holds it"])
    result: dict = {"texts": count, "batch": batch}
    seconds, reference = timed(LocalExecutor(), E5Small())
    result["local_all_cores"] = {"s": round(seconds, 1), "texts_per_s": round(count / seconds, 1)}
    seconds, _ = timed(LocalExecutor(), E5Small(threads=1))
    result["local_1_thread"] = {"s": round(seconds, 1), "texts_per_s": round(count / seconds, 1)}
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    result["ray_init_s"] = round(time.perf_counter() - start, 1)
    try:
        for workers in (1, 2):
            seconds, vectors = timed(RayExecutor(workers=workers, threads=1), E5Small())
            result[f"ray_{workers}_workers"] = {"s": round(seconds, 1), "texts_per_s": round(count / seconds, 1),
                                                "same_vectors": bool(np.array_equal(vectors, reference))}
    finally:
        ray.shutdown()
    return result


# -- the run --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="SQLite book sizes")
    parser.add_argument("--pg-sizes", default="100000", help="PostgreSQL book sizes (1M takes far longer to load; see the README)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ingest", type=int, default=100_000)
    parser.add_argument("--embed-texts", type=int, default=512)
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: search, ingest, embed")
    parser.add_argument("--phase", choices=("search", "migrate", "ingest", "embed"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--book", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run = {"search": lambda: search(args.book, args.queries), "migrate": lambda: migrate(args.book, args.url),
               "ingest": lambda: ingest(args.n), "embed": lambda: embed(args.n)}[args.phase]
        print(json.dumps(run()))
        return
    skip = set(filter(None, args.skip.split(",")))
    results: dict = {"date": dt.date.today().isoformat(), "commit": _commit(), "command": " ".join(["python", "bench/scale.py", *sys.argv[1:]]),
                     "cores": os.cpu_count(), "load_at_start": [round(x, 2) for x in os.getloadavg()]}
    if "search" not in skip:
        results["search"] = {}
        for n in map(int, args.sizes.split(",")):
            if not (CACHE / f"speed-{n}" / ".selfbook" / "book.db").exists():
                subprocess.run([sys.executable, str(SPEED), "--phase", "build", "--sizes", str(n)], check=True, capture_output=True)
            row = _phase("search", n, book=CACHE / f"speed-{n}", queries=args.queries)
            results["search"][f"sqlite-{n}"] = row
            _say(f"sqlite-{n}", row)
        pg_sizes = [int(x) for x in args.pg_sizes.split(",") if x]
        if pg_sizes:
            server = pg_server()
            try:
                for n in pg_sizes:
                    book, loaded = pg_book(server, n)
                    row = {**loaded, **_phase("search", n, book=book, queries=args.queries)}
                    results["search"][f"postgresql-{n}"] = row
                    _say(f"postgresql-{n}", row)
            finally:
                server.cleanup()
    if "ingest" not in skip:
        results["ingest"] = _phase("ingest", args.ingest)
        _say("ingest", results["ingest"])
    if "embed" not in skip:
        results["embed"] = _phase("embed", args.embed_texts)
        _say("embed", results["embed"])
    results["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    _table(results)
    out = ROOT / "results" / "scale.json"
    out.parent.mkdir(exist_ok=True)
    if out.exists():  # the runs before this one are kept, newest first
        before = json.loads(out.read_text(encoding="utf-8"))
        results["earlier"] = [{k: v for k, v in before.items() if k != "earlier"}, *before.get("earlier", [])]
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _commit() -> str:
    """The commit this run measured, ``+dirty`` when the tree had changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _phase(phase: str, n: int, *, book: Path | None = None, url: str | None = None, queries: int = 200) -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--n", str(n), "--queries", str(queries)]
    command += ["--book", str(book)] if book else []
    command += ["--url", url] if url else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{phase} {n} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _say(what: str, row: dict) -> None:
    print(f"{what}: {json.dumps(row)}", file=sys.stderr, flush=True)


def _table(results: dict) -> None:
    if "search" in results:
        print(f"\n{'hybrid search':22} {'p50 ms':>7} {'p99 ms':>7} {'first s':>8} {'peak MB':>8} {'load s':>7}")
        for name, row in results["search"].items():
            print(f"{name:22} {row['p50_ms']:7.1f} {row['p99_ms']:7.1f} {row['first_search_s']:8.2f} {row['search_peak_mb']:8} "
                  f"{row.get('migrate_s', ''):>7}")
    if "ingest" in results:
        r = results["ingest"]
        print(f"\ningest {r['entries_read']:,} entries ({r['dump_mb']} MB): read {r['read_per_s']:,}/s, "
              f"normalize {r['normalize_per_s']:,}/s, together {r['ingest_per_s']:,} entries/s")
    if "embed" in results:
        r = results["embed"]
        print(f"\nembedding {r['texts']} texts with e5-small (texts/s); Ray start {r['ray_init_s']} s")
        for key in ("local_all_cores", "local_1_thread", "ray_1_workers", "ray_2_workers"):
            same = "" if "same_vectors" not in r[key] else f"  same vectors as local: {r[key]['same_vectors']}"
            print(f"  {key:16} {r[key]['texts_per_s']:7.1f}{same}")


if __name__ == "__main__":
    main()
