"""Retrieval quality of `selfbook search` on BEIR-layout sets (a benchmark, not a test).

For each set in ../shared/bench/retrieval (scifact, cranfield, indicquest_kn_kn) the corpus is
rendered as a dump (each document one entry: its title line, then its text as the note), built
into a book with the real ``Library.build`` (books are kept in bench/.cache/, so a rerun embeds
nothing), and every judged test query is run through ``Library.search`` with each method.
Scores: nDCG@10 (graded gains where the qrels are graded) and Recall@100, for lexical, dense
and hybrid side by side.

    python bench/retrieval.py [--sets scifact,cranfield] [--embedder e5-small] [--sweep]

``--sweep`` also scores variants of the engine's knobs (BM25 title weight, k1/b, fusion weights)
on SciFact's *train* queries, the only judged queries not used for the reported figures.
Results are written to bench/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import sys
import time
from pathlib import Path

from selfbook import Library, load_settings
from selfbook.search import BM25, Searcher, SearchFilters, SearchParams, embedder_for

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "bench" / "retrieval"
CACHE = ROOT / ".cache"
METHODS = ("lexical", "dense", "hybrid")
TARGETS = {"scifact": 0.72, "cranfield": 0.40, "indicquest_kn_kn": 0.75}
BM25_BASELINE = {"scifact": 0.661, "cranfield": 0.319, "indicquest_kn_kn": 0.664}


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    return qrels


def render_dump(corpus: list[dict]) -> tuple[str, dict[int, str]]:
    """One paragraph per document (title line, then text on one line); line number → doc id."""
    lines: list[str] = []
    starts: dict[int, str] = {}
    for doc in corpus:
        parts = [" ".join(doc.get("title", "").split()), " ".join(doc.get("text", "").split())]
        parts = [p for p in parts if p]
        if not parts:
            continue
        starts[len(lines) + 1] = doc["_id"]
        lines += parts + [""]
    return "\n".join(lines), starts


def build_book(name: str, corpus: list[dict], embedder: str) -> tuple[Library, dict[str, list[str]], float]:
    """The book of one corpus (rebuilt only when its dump changed) and entry id → doc ids."""
    text, starts = render_dump(corpus)
    folder = CACHE / f"{name}-{embedder}"
    dump = CACHE / f"{name}.md"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ".dump-sha256"
    digest = hashlib.sha256(text.encode()).hexdigest()
    if not dump.exists() or dump.read_text(encoding="utf-8") != text:
        dump.write_text(text, encoding="utf-8")
    library = Library(folder, load_settings(folder, embedder=embedder, created="2026-01-01"))
    seconds = 0.0
    if not stamp.exists() or stamp.read_text() != digest:
        start = time.perf_counter()
        report = library.build([dump])
        seconds = time.perf_counter() - start
        print(f"  built {name}: {report.entries} entries in {seconds:.0f}s ({report.embedded} embedded)", file=sys.stderr)
        stamp.write_text(digest)
    docs: dict[str, list[str]] = {}
    for placed in library.entries():
        docs[placed.entry.id] = [starts[s.start] for s in placed.entry.sources if s.start in starts]
    return library, docs, seconds


def ndcg(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sum(r / math.log2(i + 2) for i, r in enumerate(sorted((r for r in rels.values() if r > 0), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def expand(entry_ids: list[str], docs: dict[str, list[str]]) -> list[str]:
    """Entries → doc ids (a merged entry stands for every document it holds)."""
    return [d for eid in entry_ids for d in docs.get(eid, [])]


def score(run, queries: dict[str, str], qrels: dict[str, dict[str, int]], docs) -> dict:
    n10, r100, seconds = [], [], []
    for qid, rels in sorted(qrels.items()):
        start = time.perf_counter()
        ranked = expand(run(queries[qid]), docs)
        seconds.append(time.perf_counter() - start)
        n10.append(ndcg(ranked, rels))
        r100.append(recall(ranked, rels))
    seconds.sort()
    return {
        "ndcg@10": round(sum(n10) / len(n10), 4),
        "recall@100": round(sum(r100) / len(r100), 4),
        "queries": len(n10),
        "ms_p50": round(1000 * seconds[len(seconds) // 2], 1),
    }


def library_run(library: Library, method: str):
    return lambda q: [h.placed.entry.id for h in library.search(q, limit=100, method=method)]


def sweep(library: Library, queries: dict[str, str], qrels, docs, only: str | None = None) -> list[dict]:
    """Score variants of the engine's knobs through a Searcher of the same book."""
    rrf = SearchParams(fusion="rrf", weights=(("lexical", 1.0), ("dense", 1.0)))
    variants = {"default": SearchParams(), "rrf": rrf}
    for w in (1.0, 3.0):
        variants[f"title_weight={w}"] = SearchParams(bm25=BM25(title_weight=w))
    for k1, b in ((0.9, 0.4), (1.5, 0.75)):
        variants[f"k1={k1},b={b}"] = SearchParams(bm25=BM25(k1=k1, b=b))
    for wl in (0.5, 0.7, 1.5):
        variants[f"rrf_lexical_weight={wl}"] = SearchParams(fusion="rrf", weights=(("lexical", wl), ("dense", 1.0)))
    for k in (20, 100):
        variants[f"rrf_k={k}"] = SearchParams(fusion="rrf", rrf_k=k)
    variants["minmax"] = SearchParams(norm="minmax")
    for depth in (200, 300):
        variants[f"depth={depth}"] = SearchParams(depth=depth)
        variants[f"minmax,depth={depth}"] = SearchParams(depth=depth, norm="minmax")
    for wl in (0.3, 0.7):
        variants[f"convex_lexical={wl}"] = SearchParams(fusion="convex", weights=(("lexical", wl), ("dense", 1 - wl)))
        variants[f"minmax,convex_lexical={wl}"] = SearchParams(norm="minmax", weights=(("lexical", wl), ("dense", 1 - wl)))
    rows = []
    embedder = Remembering(embedder_for(_model(library), None))
    with library._open(create=False) as store:  # a bench may reach inside: it measures the engine's knobs
        for name, params in variants.items():
            if only and not name.startswith(only):
                continue
            searcher = Searcher(store, lambda model: embedder, params)
            for method in ("lexical", "hybrid") if name.startswith(("title", "k1")) else ("hybrid",):
                def run(q, method=method):
                    return _ids(store, searcher.rank(store, q, limit=100, filters=SearchFilters(), method=method))
                rows.append({"variant": name, "method": method, **score(run, queries, qrels, docs)})
                print(f"    {name:22} {method:8} {rows[-1]}", file=sys.stderr)
    return rows


class Remembering:
    """An embedder that embeds each query once, however many variants ask for it."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.dim, self.seen = inner, inner.model_id, inner.dim, {}

    def embed(self, texts, query: bool = False):
        key = (tuple(texts), query)
        if key not in self.seen:
            self.seen[key] = self.inner.embed(texts, query=query)
        return self.seen[key]


def _model(library: Library) -> str:
    with library._open(create=False) as store:
        return store.get_meta("model") or ""


def _ids(store, ranked) -> list[str]:
    return [entry.id for entry, *_ in store.load_placed([r.position for r in ranked])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="scifact,cranfield,indicquest_kn_kn")
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--sweep", action="store_true", help="also score knob variants on SciFact's train queries")
    parser.add_argument("--only", help="with --sweep: only the variants whose name starts with this")
    args = parser.parse_args()
    out = ROOT / "results" / "retrieval.json"
    results: dict = {"embedder": args.embedder, "sets": {}}
    if out.exists():  # keep the sets (and the sweep) this run does not redo
        kept = json.loads(out.read_text(encoding="utf-8"))
        if kept.get("embedder") == args.embedder:
            results = kept
    for name in args.sets.split(","):
        folder = SHARED / name
        corpus = _jsonl(folder / "corpus.jsonl")
        queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl")}
        qrels = load_qrels(folder / "qrels" / "test.tsv")
        library, docs, built_s = build_book(name, corpus, args.embedder)
        row: dict = {"docs": len(corpus), "entries": len(docs), "build_s": round(built_s, 1), "target_hybrid": TARGETS.get(name), "bm25_reference": BM25_BASELINE.get(name)}
        for method in METHODS:
            row[method] = score(library_run(library, method), queries, qrels, docs)
        results["sets"][name] = row
        print(f"{name}: " + "  ".join(f"{m} nDCG@10 {row[m]['ndcg@10']:.3f} R@100 {row[m]['recall@100']:.3f}" for m in METHODS), file=sys.stderr)
        if args.sweep and name == "scifact":
            results["sweep_scifact_train"] = sweep(library, queries, load_qrels(folder / "qrels" / "train.tsv"), docs, args.only)
    print(f"\n{'set':18} {'method':8} {'nDCG@10':>8} {'R@100':>7} {'ms p50':>7}")
    for name, row in results["sets"].items():
        for method in METHODS:
            m = row[method]
            print(f"{name:18} {method:8} {m['ndcg@10']:8.3f} {m['recall@100']:7.3f} {m['ms_p50']:7.1f}")
        print(f"{'':18} target hybrid ≥ {row['target_hybrid']}, plain BM25 {row['bm25_reference']}")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
