"""End-to-end build speed on a 10,000-entry dump (a benchmark, not a test).

The dump is made from the real, human-written data in ../shared/bench: the five awesome lists
(title, description, URL), ML Papers of the Week (title, description, URL) and SciFact/Cranfield
abstracts as URL-less notes (title + first sentence), shuffled with a fixed seed.

It builds the dump into a fresh book (every text embedded), then builds it again into the same
book (embeddings from the cache), and prints time per stage, entries/s and peak memory.

    python bench/build_speed.py [--entries 10000] [--embedder e5-small]
    python bench/build_speed.py --embedder e5-small-fast   # the fast path: each entry's first 32 tokens

Targets on 2 cores: ≤ 3 min with embedding, ≤ 20 s with cached embeddings.
Results are also written to bench/results/build_speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import time
from pathlib import Path

from selfbook import Library, load_settings

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "bench"


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def make_dump(n: int, seed: int = 7) -> str:
    notes: list[str] = []
    for path in sorted((SHARED / "organize").glob("*.jsonl")):
        for d in _jsonl(path):
            notes.append("\n".join(x for x in (d["title"], d.get("description") or "", d["url"]) if x))
    for d in _jsonl(SHARED / "incremental" / "dair_ml_papers_of_the_week.jsonl"):
        notes.append("\n".join(x for x in (d["title"], (d.get("description") or "")[:300], d["url"]) if x))
    for name in ("scifact", "cranfield"):
        for d in _jsonl(SHARED / "retrieval" / name / "corpus.jsonl"):
            first = (d.get("text") or "").split(". ")[0][:300]
            title = (d.get("title") or first[:80]).strip()
            notes.append("\n".join(x for x in (title, first) if x))
    random.Random(seed).shuffle(notes)
    return "\n\n".join(notes[:n]) + "\n"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(book: Path, dump: Path, embedder: str) -> dict:
    start = time.perf_counter()
    report = Library(book, load_settings(book, embedder=embedder)).build([dump])
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 2),
        "entries_read": report.entries_read,
        "entries": report.entries,
        "entries_per_s": round(report.entries_read / wall, 1),
        "embedded": report.embedded,
        "cached": report.cached,
        "chapters": report.chapters,
        "sections": report.sections,
        "stages_s": {name: round(s, 2) for name, s in report.timings},
        "peak_rss_mb": round(peak_mb()),
    }


def agreement(book: Path, other: Path) -> dict | None:
    """How alike two books of the same dump are organized: AMI of their chapters and of their
    sections over the entries both hold (None when ``other`` is not built)."""
    if not (other / ".selfbook").is_dir():
        return None
    from sklearn.metrics import adjusted_mutual_info_score

    ours = {p.entry.id: p for p in Library(book).entries()}
    theirs = {p.entry.id: p for p in Library(other).entries()}
    both = sorted(ours.keys() & theirs.keys())
    return {
        "book": str(other.relative_to(ROOT.parent)) if other.is_relative_to(ROOT.parent) else str(other),
        "entries": len(both),
        "chapter_ami": round(adjusted_mutual_info_score([ours[i].chapter_id for i in both], [theirs[i].chapter_id for i in both]), 3),
        "section_ami": round(adjusted_mutual_info_score([ours[i].section_id for i in both], [theirs[i].section_id for i in both]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--work", type=Path, help="where the dump and book go (default bench/.cache/build_speed[-EMBEDDER])")
    args = parser.parse_args()
    suffix = "" if args.embedder == "e5-small" else f"-{args.embedder}"  # bench/serve_load.py reuses the e5-small book
    args.work = args.work or ROOT / ".cache" / f"build_speed{suffix}"
    if not SHARED.is_dir():
        sys.exit(f"{SHARED}: benchmark data not found (it lives beside the project in ../shared/bench)")
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    dump = args.work / "dump.md"
    dump.write_text(make_dump(args.entries), encoding="utf-8")
    book = args.work / "book"
    results = {"entries": args.entries, "embedder": args.embedder}
    results["fresh"] = run(book, dump, args.embedder)
    print("fresh build:", json.dumps(results["fresh"]), flush=True)
    results["cached"] = run(book, dump, args.embedder)
    print("cached rebuild:", json.dumps(results["cached"]), flush=True)
    if suffix:  # the same dump organized from the default model's vectors, when that book is there
        results["agreement_with_e5_small"] = agreement(book, ROOT / ".cache" / "build_speed" / "book")
        print("agreement with the e5-small book:", json.dumps(results["agreement_with_e5_small"]), flush=True)
    out = ROOT / "results" / f"build_speed{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"targets: fresh ≤ 180 s → {results['fresh']['wall_s']} s; cached ≤ 20 s → {results['cached']['wall_s']} s")


if __name__ == "__main__":
    main()
