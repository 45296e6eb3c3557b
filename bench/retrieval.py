"""Retrieval quality of `selfbook search` on BEIR-layout sets (a benchmark, not a test).

For each set in ../shared/bench/retrieval (scifact, cranfield, indicquest_kn_kn) the corpus is
rendered as a dump (each document one entry: its title line, then its text as the note), built
into a book with the real ``Library.build`` (books are kept in bench/.cache/, so a rerun embeds
nothing), and every judged query is run through ``Library.search`` with each method.
Scores: nDCG@10 (graded gains where the qrels are graded) and Recall@100, for lexical, dense
and hybrid side by side.

Splits: every knob is chosen on *dev* queries and the figures reported are those of *test*
queries, never used to choose anything. SciFact's dev queries are its train queries
(qrels/train.tsv); Cranfield and IndicQuest have test judgments only, so their judged queries are
split once, half and half by a hash of the query id (``split_of``), and the split is recorded in
bench/retrieval_splits.json (ids only).

    python bench/retrieval.py [--sets scifact,cranfield] [--data PATH] [--fusions] [--terms] [--why] [--sweep]

``--fusions`` compares fusion methods (the fixed z-score and min-max convex sums, RRF, per-query
adaptive weights over a grid, and per-query rules the engine does not ship: weighing BM25 by the
agreement of the two lists' tops, each list by the other's support of its top, BM25 by how many
entries it matched) on dev and test, and names the one dev picks (:func:`pick_fusion`); ``--terms`` compares the
index's word forms (Snowball stemming on/off; for Kannada the forms of ``kannada_forms``: prefixes in code
points or graphemes, grapheme n-grams, endings stripped) by lexical and hybrid nDCG@10 on dev;
``--why`` says per split which list wins on how many queries, where hybrid loses to the better
list and why (where BM25 never matched a relevant entry: which forms the question shares with it
under every Kannada form of ``kannada_forms``, so whether finer forms could have matched it at
all), and what the queries show (coverage, short BM25 lists); with IndicQuest and another
set, it also searches the Kannada questions in the other (English) books by BM25 alone (how many
share a word with the book, how many get a BM25 vote). ``--sweep`` scores BM25 knobs on SciFact's
dev (train) queries. Each run is appended, dated, with
its commit and load average, to bench/results/retrieval.jsonl.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selfbook import Library, load_settings
from selfbook.answer import corpus as corpus_module
from selfbook.answer.corpus import FLOOR, SEARCH_LIMIT, STRONG, WORDS_FLOOR, MemoryCorpus, match_topic
from selfbook.search import BM25, QueryVector, Searcher, SearchFilters, SearchParams, embedder_for, search_terms
from selfbook.search.fusion import convex
from selfbook.search.index import full_index
from selfbook.search.terms import entry_fields, word_forms
from selfbook.search import terms as terms_module

import kannada_forms

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "bench" / "retrieval"
CACHE = ROOT / ".cache"
SPLITS = ROOT / "retrieval_splits.json"
SPLITS_ABOUT = ("Dev/test split of the judged queries of the retrieval sets without train queries, fixed once by "
                "bench/retrieval.py split_of(): dev when the first byte of sha256('set:query id') is even. Knobs are "
                "chosen on dev; README figures are test. SciFact uses its own train (dev) and test qrels.")
RESULTS = ROOT / "results" / "retrieval.jsonl"
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
        "per_query": n10,
        "ndcg@10": round(sum(n10) / len(n10), 4),
        "recall@100": round(sum(r100) / len(r100), 4),
        "queries": len(n10),
        "ms_p50": round(1000 * seconds[len(seconds) // 2], 1),
    }


def paired(scores: dict) -> dict:
    """Hybrid against the better of lexical and dense on the same queries: the mean difference
    of nDCG@10, its standard error, and on how many queries hybrid wins and loses (the per-query
    scores are dropped from ``scores`` once used)."""
    per = {m: scores[m].pop("per_query") for m in METHODS}
    better = max(("lexical", "dense"), key=lambda m: sum(per[m]))
    diffs = [h - b for h, b in zip(per["hybrid"], per[better])]
    mean = sum(diffs) / len(diffs)
    se = (sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1) / len(diffs)) ** 0.5 if len(diffs) > 1 else 0.0
    return {"against": better, "mean_diff": round(mean, 4), "se": round(se, 4),
            "wins": sum(d > 0 for d in diffs), "losses": sum(d < 0 for d in diffs)}


def library_run(library: Library, method: str):
    return lambda q: [h.placed.entry.id for h in library.search(q, limit=100, method=method)]


# -- splits -----------------------------------------------------------------------------------------
def split_of(name: str, qid: str) -> str:
    """"dev" or "test" for a query of a set without train queries: the low bit of the first byte
    of sha256("set:query id"), fixed once (the result is recorded in SPLITS)."""
    return "dev" if hashlib.sha256(f"{name}:{qid}".encode()).digest()[0] % 2 == 0 else "test"


def load_splits(name: str, folder: Path) -> tuple[dict, dict]:
    """(dev qrels, test qrels) of a set: SciFact's train and test files; for the others the
    recorded split of the test file's queries (written on first use, then only read)."""
    qrels = load_qrels(folder / "qrels" / "test.tsv")
    if (folder / "qrels" / "train.tsv").exists():
        return load_qrels(folder / "qrels" / "train.tsv"), qrels
    recorded = json.loads(SPLITS.read_text(encoding="utf-8")) if SPLITS.exists() else {"about": SPLITS_ABOUT, "sets": {}}
    if name not in recorded["sets"]:
        recorded["sets"][name] = {
            part: sorted((q for q in qrels if split_of(name, q) == part), key=_natural) for part in ("dev", "test")
        }
        SPLITS.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    split = recorded["sets"][name]
    unknown = set(qrels) - set(split["dev"]) - set(split["test"])
    if unknown:
        raise SystemExit(f"{SPLITS.name}: {len(unknown)} judged {name} queries are in no split — the data changed; "
                         "record a new split on purpose (delete the set from the file) and say so in the README")
    return {q: qrels[q] for q in split["dev"] if q in qrels}, {q: qrels[q] for q in split["test"] if q in qrels}


def _natural(qid: str) -> tuple:
    digits = "".join(c for c in qid if c.isdigit())
    return (int(digits) if digits else 0, qid)


# -- fusion methods, compared on the same candidate lists --------------------------------------------
SHIPPED = "adaptive lexical=0.5 coverage_full=0.5 sharpness=0.0 (shipped)"


def fusion_variants() -> dict:
    """The fusion methods compared by --fusions, by name: a SearchParams for the engine's own
    methods (the shipped default first), or a function ``(lists, coverage) → fused`` for a rule
    the engine does not ship, measured here to see whether it earns its place."""
    variants: dict = {
        "convex z-score 0.5/0.5 (no coverage gate)": SearchParams(fusion="convex"),
        "convex min-max 0.5/0.5": SearchParams(fusion="convex", norm="minmax"),
    }
    for k in (20, 60):
        variants[f"rrf k={k}"] = SearchParams(fusion="rrf", rrf_k=k, weights=(("lexical", 1.0), ("dense", 1.0)))
    for lexical in (0.4, 0.45, 0.5, 0.55, 0.6):
        weights = (("lexical", lexical), ("dense", round(1 - lexical, 2)))
        for sharpness in (0.0, 0.5, 1.0):
            for full in (0.1, 0.3, 0.5, 1.0):
                params = SearchParams(weights=weights, coverage_full=full, sharpness=sharpness)
                name = f"adaptive lexical={lexical} coverage_full={full} sharpness={sharpness}"
                variants[name + " (shipped)" if params == SearchParams() else name] = params
        for k in (5, 10, 20):
            for floor in (0.25, 0.5):
                variants[f"agreement lexical={lexical} top={k} floor={floor}"] = functools.partial(
                    agreement_fusion, lexical=lexical, top=k, floor=floor)
                variants[f"support lexical={lexical} top={k} floor={floor}"] = functools.partial(
                    support_fusion, lexical=lexical, top=k, floor=floor)
        for short in (10, 20, 50):
            variants[f"short-list lexical={lexical} full={short}"] = functools.partial(short_list_fusion, lexical=lexical, full=short)
    return variants


def _gated(lexical: float, held: float) -> dict[str, float]:
    """The shipped fusion's weights: BM25's shrinks with the query's coverage (coverage_full 0.5)."""
    return {"lexical": lexical * min(1.0, held / 0.5), "dense": 1 - lexical}


def agreement_fusion(lists, held, *, lexical: float, top: int, floor: float):
    """Not shipped. BM25's weight also shrinks as the two lists' top ``top`` disagree:
    times ``floor + (1 - floor) * overlap`` (overlap: the share of BM25's top found in dense's top)."""
    weights = _gated(lexical, held)
    overlap = len(set(lists["lexical"][0][:top]) & set(lists["dense"][0][:top])) / top
    weights["lexical"] *= floor + (1 - floor) * overlap
    return convex(lists, weights=weights, norm="zscore")


def support_fusion(lists, held, *, lexical: float, top: int, floor: float):
    """Not shipped. Each list is weighed by how much of its top ``top`` the other list holds at
    all (within its depth): a top the other retriever never ranked is unsupported."""
    weights = _gated(lexical, held)
    for name, other in (("lexical", "dense"), ("dense", "lexical")):
        head, found = lists[name][0][:top], set(lists[other][0])
        share = sum(p in found for p in head) / len(head) if head else 0.0
        weights[name] *= floor + (1 - floor) * share
    return convex(lists, weights=weights, norm="zscore")


def short_list_fusion(lists, held, *, lexical: float, full: int):
    """Not shipped. BM25's weight shrinks when it matched fewer than ``full`` entries (a z-score
    over a handful of candidates is a weak guide)."""
    weights = _gated(lexical, held)
    weights["lexical"] *= min(1.0, len(lists["lexical"][0]) / full)
    return convex(lists, weights=weights, norm="zscore")


def candidates(library: Library, queries: dict[str, str], qids) -> dict[str, tuple]:
    """Each query's two candidate lists and coverage, as the engine computes them for a hybrid search."""
    embedder = embedder_for(_model(library), None)
    out = {}
    with library._open(create=False) as store:  # a bench may reach inside: it measures the engine's knobs
        searcher = Searcher(store, lambda model: embedder, SearchParams())
        depth = searcher.params.depth
        texts = [queries[q] for q in qids]
        vectors = embedder.embed(texts, query=True)
        for qid, text, vector in zip(qids, texts, vectors):
            terms = list(dict.fromkeys(search_terms(text)))
            lexical, held = searcher._lexical(store, terms, depth, None, word_forms(text))
            dense = searcher.dense(store, text, depth, None, given=QueryVector(searcher.model, vector))
            out[qid] = ({"lexical": lexical, "dense": dense}, held)
        ids = {p: e.id for p, (e, *_) in zip(range(len(searcher._norm)), store.load_placed(list(range(len(searcher._norm)))))}
    return out, ids, searcher


def compare_fusions(library: Library, queries, parts: dict[str, dict], docs) -> list[dict]:
    """nDCG@10 of every fusion variant (and of each list alone) on each split, same candidates;
    each row keeps its per-query dev scores under ``dev_per_query`` for :func:`pick_fusion`."""
    qids = sorted({q for rels in parts.values() for q in rels})
    lists, ids, searcher = candidates(library, queries, qids)
    rows = []
    named = {"lexical alone": None, "dense alone": None, **fusion_variants()}
    for name, variant in named.items():
        row = {"variant": name}
        for part, rels in parts.items():
            n10 = []
            for qid, judged in sorted(rels.items()):
                rankings, held = lists[qid]
                scored = {k: (r[0].tolist(), r[1].tolist()) for k, r in rankings.items()}
                if variant is None:
                    positions = scored[name.split()[0]][0]
                elif isinstance(variant, SearchParams):
                    searcher.params = variant
                    positions = [p for p, *_ in searcher.fuse(rankings, held)]
                else:
                    positions = [p for p, *_ in variant(scored, held)]
                n10.append(ndcg(expand([ids[p] for p in positions[:100]], docs), judged))
            row[part] = round(sum(n10) / len(n10), 4)
            if part == "dev":
                row["dev_per_query"] = n10
        rows.append(row)
    searcher.params = SearchParams()
    return rows


def pick_fusion(per_set: dict[str, list[dict]]) -> dict:
    """What dev picks. The candidate is the variant with the best worst margin over the sets of
    hybrid above the better of lexical and dense alone (on dev), then the best mean dev nDCG@10.
    It replaces the shipped fusion only if, on every set, its dev nDCG@10 is not below the
    shipped one's and on some set it is above by more than twice the standard error of the paired
    per-query difference: a margin a query or two could make is noise, not a reason to change."""
    def margins(variant: str) -> tuple[float, float]:
        gaps, means = [], []
        for rows in per_set.values():
            by = {r["variant"]: r["dev"] for r in rows}
            gaps.append(by[variant] - max(by["lexical alone"], by["dense alone"]))
            means.append(by[variant])
        return min(gaps), sum(means) / len(means)
    names = [r["variant"] for r in next(iter(per_set.values())) if not r["variant"].endswith("alone")]
    best = max(names, key=margins)
    against = {}
    for name, rows in per_set.items():
        by = {r["variant"]: r["dev_per_query"] for r in rows}
        diffs = [a - b for a, b in zip(by[best], by[SHIPPED])]
        mean = sum(diffs) / len(diffs)
        se = (sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1) / len(diffs)) ** 0.5 if len(diffs) > 1 else 0.0
        against[name] = {"mean_diff": round(mean, 4), "se": round(se, 4)}
    clear = all(v["mean_diff"] >= 0 for v in against.values()) and any(v["mean_diff"] > 2 * v["se"] for v in against.values())
    return {"best_worst_margin": best, "worst_margin": round(margins(best)[0], 4), "shipped_worst_margin": round(margins(SHIPPED)[0], 4),
            "best_vs_shipped_dev": against, "picked": best if clear else SHIPPED}


# -- why hybrid wins or loses: what each query shows -------------------------------------------------
def diagnose(library: Library, queries, parts: dict[str, dict], docs) -> dict:
    """Per split, from the shipped fusion's candidate lists: on how many queries each list beats
    the other, where hybrid loses to the better list and why (BM25 never matched a relevant
    entry, or BM25's top stands 4+ standard deviations above its list yet is not relevant), and
    what the queries show at query time (mean coverage, BM25 lists under 20 entries). Where
    BM25 never matched a relevant entry, whether finer word forms could have: the forms the
    question shares with its relevant entries under :data:`kannada_forms.WIDEST` (every
    prefix, n-gram and ending --terms compares at once), by query, and how many queries of the
    split BM25 never lists a relevant entry for at all."""
    from selfbook.search.fusion import peak

    qids = sorted({q for rels in parts.values() for q in rels})
    lists, ids, searcher = candidates(library, queries, qids)
    entries_of = {d: eid for eid, ds in docs.items() for d in ds}
    texts = {placed.entry.id: "\n".join(entry_fields(placed.entry)) for placed in library.entries()}

    def finer(qid: str, relevant: set[str]) -> list[str]:
        with kannada_forms.patched(kannada_forms.WIDEST):
            held = {t for d in relevant if d in entries_of for t in search_terms(texts[entries_of[d]])}
            return sorted(set(search_terms(queries[qid])) & held)

    out = {}
    for part, rels in parts.items():
        lexical_wins = dense_wins = loses = unmatched = confident = short = never = 0
        unmatched_losses: dict[str, list[str]] = {}
        held = []
        for qid, judged in sorted(rels.items()):
            rankings, coverage = lists[qid]
            run = {name: r[0].tolist() for name, r in rankings.items()}
            run["hybrid"] = [p for p, *_ in searcher.fuse(rankings, coverage)]
            n10 = {name: ndcg(expand([ids[p] for p in positions[:100]], docs), judged) for name, positions in run.items()}
            lexical_wins += n10["lexical"] > n10["dense"]
            dense_wins += n10["dense"] > n10["lexical"]
            held.append(coverage)
            short += len(run["lexical"]) < 20
            relevant = {d for d, r in judged.items() if r > 0}
            matched = set(expand([ids[p] for p in run["lexical"]], docs))
            never += not (relevant & matched)
            if n10["hybrid"] < max(n10["lexical"], n10["dense"]):
                loses += 1
                top = set(expand([ids[p] for p in run["lexical"][:1]], docs))
                unmatched += not (relevant & matched)
                if not relevant & matched:
                    unmatched_losses[qid] = finer(qid, relevant)
                confident += bool(relevant & matched) and not (relevant & top) and peak(rankings["lexical"][1].tolist()) >= 4
        out[part] = {"lexical_beats_dense": lexical_wins, "dense_beats_lexical": dense_wins, "hybrid_below_better_list": loses,
                     "of_which_bm25_never_matched_a_relevant": unmatched, "of_which_bm25_top_peaked_and_wrong": confident,
                     "mean_coverage": round(sum(held) / len(held), 3), "bm25_lists_under_20": short, "queries": len(rels),
                     "bm25_never_lists_a_relevant": never, "never_matched_losses_finer_forms_shared": unmatched_losses}
    return out


def cross_script(books: dict[str, Library], queries: dict[str, str]) -> dict:
    """``queries`` searched in each of ``books`` by BM25 alone: how many share some word with the
    book (a non-empty BM25 list; before the script rule each of those got a share of the vote) and
    how many get a BM25 vote now (coverage above 0)."""
    out = {}
    for name, library in books.items():
        with library._open(create=False) as store:
            searcher = Searcher(store, lambda model: None, SearchParams())
            shared = voted = 0
            highest = 0.0
            for text in queries.values():
                terms = list(dict.fromkeys(search_terms(text)))
                (positions, _), coverage = searcher._lexical(store, terms, 100, None, word_forms(text))
                shared += len(positions) > 0
                voted += coverage > 0
                highest = max(highest, coverage)
        out[name] = {"queries": len(queries), "bm25_list_not_empty": shared, "bm25_vote": voted, "highest_coverage": round(highest, 3)}
    return out


# -- counting: which hits are about the topic ---------------------------------------------------------
def compare_counting(library: Library, queries, parts: dict[str, dict], docs) -> list[dict]:
    """F1 of the entries ``match_topic`` counts for each query (as the topic) against the judged
    relevant documents, over a grid of its thresholds, on each split; same hits for every cell."""
    corpus = MemoryCorpus(library.entries(), library.outline())
    hits = {q: library.search(queries[q], limit=SEARCH_LIMIT) for rels in parts.values() for q in rels}
    if not hasattr(corpus_module._entry_terms, "cache_info"):  # the same answers, each computed once
        corpus_module._entry_terms = functools.lru_cache(maxsize=None)(corpus_module._entry_terms)
    rows = []
    for words_floor in (0.0, 0.3, 0.5):
        for floor in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            for strong in (0.6, 0.7, 0.8, 0.9, 1.0):
                if strong < floor:
                    continue
                row = {"words_floor": words_floor, "floor": floor, "strong": strong}
                for part, rels in parts.items():
                    f1 = []
                    for qid, judged in rels.items():
                        match = match_topic(queries[qid], search=lambda t, limit, q=qid: hits[q], corpus=corpus,
                                            floor=floor, strong=strong, words_floor=words_floor)
                        found = set(expand(sorted(match.ids or ()), docs))
                        relevant = {d for d, r in judged.items() if r > 0}
                        both = len(found & relevant)
                        f1.append(2 * both / (len(found) + len(relevant)) if found or relevant else 1.0)
                    row[part] = round(sum(f1) / len(f1), 4)
                rows.append(row)
    return rows


def pick_counting(per_set: dict[str, list[dict]]) -> dict:
    """The thresholds with the best mean dev F1 over the sets."""
    cells = list(zip(*per_set.values()))
    best = max(cells, key=lambda cell: sum(r["dev"] for r in cell) / len(cell))
    return {k: best[0][k] for k in ("words_floor", "floor", "strong")} | {
        "dev_f1": {name: r["dev"] for name, r in zip(per_set, best)}, "test_f1": {name: r["test"] for name, r in zip(per_set, best)}
    }


# -- word forms of the index, compared on dev ---------------------------------------------------------
class _NoStem:
    def stemWord(self, word: str) -> str:
        return word


def compare_terms(name: str, library: Library, queries, dev: dict, docs) -> list[dict]:
    """Lexical and hybrid dev nDCG@10 with other word forms: the index rebuilt in a copy of the
    book, its queries searched with the same forms (for IndicQuest, :mod:`kannada_forms`)."""
    variants: dict = {"as shipped": contextlib.nullcontext}
    if name == "indicquest_kn_kn":
        variants |= {label: functools.partial(kannada_forms.patched, forms) for label, forms in kannada_forms.variants().items()}
    else:
        variants["no snowball"] = _no_snowball
    rows = []
    for label, patch in variants.items():
        with tempfile.TemporaryDirectory() as tmp, patch():
            terms_module._index_forms.cache_clear()
            copy = Path(tmp) / "book"
            shutil.copytree(library.book_dir, copy)
            twin = Library(copy, load_settings(copy, embedder=_model_name(library), created="2026-01-01"))
            with twin._open(create=False) as store:
                store.save_search_index(full_index(store.load_entries()))
            rows.append({"variant": label} | {
                f"dev_{method}": score(library_run(twin, method), queries, dev, docs)["ndcg@10"] for method in ("lexical", "hybrid")
            })
        terms_module._index_forms.cache_clear()
        print(f"    terms {name}: {rows[-1]}", file=sys.stderr)
    return rows


@contextlib.contextmanager
def _no_snowball():
    shipped = terms_module._english
    terms_module._english = _NoStem
    try:
        yield
    finally:
        terms_module._english = shipped


def sweep(library: Library, queries: dict[str, str], qrels, docs, only: str | None = None) -> list[dict]:
    """BM25 knobs scored through a Searcher of the same book (SciFact dev = train queries)."""
    variants = {"default": SearchParams()}
    for w in (1.0, 3.0):
        variants[f"title_weight={w}"] = SearchParams(bm25=BM25(title_weight=w))
    for k1, b in ((0.9, 0.4), (1.5, 0.75)):
        variants[f"k1={k1},b={b}"] = SearchParams(bm25=BM25(k1=k1, b=b))
    for depth in (200, 300):
        variants[f"depth={depth}"] = SearchParams(depth=depth)
    rows = []
    embedder = Remembering(embedder_for(_model(library), None))
    with library._open(create=False) as store:
        for name, params in variants.items():
            if only and not name.startswith(only):
                continue
            searcher = Searcher(store, lambda model: embedder, params)
            for method in ("lexical", "hybrid"):
                def run(q, method=method):
                    return _ids(store, searcher.rank(store, q, limit=100, filters=SearchFilters(), method=method))
                scored = score(run, queries, qrels, docs)
                scored.pop("per_query")
                rows.append({"variant": name, "method": method, **scored})
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


def _model_name(library: Library) -> str:
    return library.settings.embedder


def _ids(store, ranked) -> list[str]:
    return [entry.id for entry, *_ in store.load_placed([r.position for r in ranked])]


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="scifact,cranfield,indicquest_kn_kn")
    parser.add_argument("--data", type=Path, default=SHARED, help=f"the retrieval sets (default {SHARED})")
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--fusions", action="store_true", help="compare fusion methods on dev and test; name dev's pick")
    parser.add_argument("--terms", action="store_true", help="compare word forms (stemming; Kannada prefixes, n-grams, endings) on dev")
    parser.add_argument("--counting", action="store_true", help="measure the relevance thresholds of counting questions")
    parser.add_argument("--sweep", action="store_true", help="score BM25 knobs on SciFact's dev (train) queries")
    parser.add_argument("--why", action="store_true", help="per split: which list wins, where hybrid loses and why; and "
                        "IndicQuest's Kannada questions searched in the other (English) books")
    parser.add_argument("--only", help="with --sweep: only the variants whose name starts with this")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data}: no retrieval sets there — pass --data PATH/TO/shared/bench/retrieval")
    run: dict = {
        "date": dt.datetime.now().isoformat(timespec="minutes"), "commit": _commit(), "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()], "embedder": args.embedder,
        "fusion": repr(SearchParams()), "sets": {},
    }
    fusions: dict[str, list[dict]] = {}
    counting: dict[str, list[dict]] = {}
    books: dict[str, Library] = {}
    kannada: dict[str, str] = {}
    for name in args.sets.split(","):
        folder = args.data / name
        corpus = _jsonl(folder / "corpus.jsonl")
        queries = {q["_id"]: q["text"] for q in _jsonl(folder / "queries.jsonl")}
        dev, test = load_splits(name, folder)
        library, docs, built_s = build_book(name, corpus, args.embedder)
        row: dict = {"docs": len(corpus), "entries": len(docs), "build_s": round(built_s, 1), "target_hybrid": TARGETS.get(name),
                     "bm25_reference": BM25_BASELINE.get(name), "dev_queries": len(dev), "test_queries": len(test)}
        for part, rels in (("test", test), ("dev", dev)):
            row[part] = {method: score(library_run(library, method), queries, rels, docs) for method in METHODS}
            row[part]["hybrid_vs_better_half"] = paired(row[part])
            print(f"{name} {part}: " + "  ".join(f"{m} {row[part][m]['ndcg@10']:.3f}" for m in METHODS), file=sys.stderr)
        if args.fusions:
            row["fusions"] = fusions[name] = compare_fusions(library, queries, {"dev": dev, "test": test}, docs)
        if args.counting:
            counting[name] = compare_counting(library, queries, {"dev": dev, "test": test}, docs)
        if args.terms:
            row["terms_dev"] = compare_terms(name, library, queries, dev, docs)
        if args.why:
            row["why"] = diagnose(library, queries, {"dev": dev, "test": test}, docs)
            print(f"    why {name}: {row['why']}", file=sys.stderr)
            books[name] = library
            if name == "indicquest_kn_kn":
                kannada = queries
        if args.sweep and name == "scifact":
            row["sweep_dev"] = sweep(library, queries, dev, docs, args.only)
        run["sets"][name] = row
    if kannada and len(books) > 1:
        run["kannada_questions_in_other_books"] = cross_script({n: b for n, b in books.items() if n != "indicquest_kn_kn"}, kannada)
        print(f"Kannada questions in the other books: {run['kannada_questions_in_other_books']}", file=sys.stderr)
    if fusions:
        run["fusion_picked_on_dev"] = pick_fusion(fusions)
        print("\nfusion methods, nDCG@10 (dev picks, test reports):", file=sys.stderr)
        for name, rows in fusions.items():
            for r in rows:
                r.pop("dev_per_query")
                print(f"  {name:17} {r['variant']:52} dev {r['dev']:.4f}  test {r['test']:.4f}", file=sys.stderr)
        print(f"dev picks: {run['fusion_picked_on_dev']}", file=sys.stderr)
    if counting:
        run["counting_picked_on_dev"] = pick_counting(counting)
        print(f"counting thresholds dev picks: {run['counting_picked_on_dev']}; shipped "
              f"{(WORDS_FLOOR, FLOOR, STRONG)}", file=sys.stderr)
        run["counting_shipped"] = {name: next(r for r in rows if (r["words_floor"], r["floor"], r["strong"]) == (WORDS_FLOOR, FLOOR, STRONG))
                                   for name, rows in counting.items()}
        print(f"  shipped thresholds F1: {run['counting_shipped']}", file=sys.stderr)
    run["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"\nTEST split ({run['date']}, {run['commit']}, load {run['load_average_before']})")
    print(f"{'set':18} {'method':8} {'nDCG@10':>8} {'R@100':>7} {'ms p50':>7}   dev nDCG@10")
    for name, row in run["sets"].items():
        for method in METHODS:
            m = row["test"][method]
            print(f"{name:18} {method:8} {m['ndcg@10']:8.3f} {m['recall@100']:7.3f} {m['ms_p50']:7.1f}   {row['dev'][method]['ndcg@10']:.3f}")
        best_half = max(row["test"]["lexical"]["ndcg@10"], row["test"]["dense"]["ndcg@10"])
        verdict = "holds" if row["test"]["hybrid"]["ndcg@10"] >= best_half else "BELOW"
        vs = row["test"]["hybrid_vs_better_half"]
        print(f"{'':18} hybrid {verdict} against the better half ({vs['against']} {best_half:.3f}): "
              f"{vs['mean_diff']:+.4f} ± {vs['se']:.4f} (s.e.), better on {vs['wins']}, worse on {vs['losses']} "
              f"of {row['test_queries']} test queries")
    RESULTS.parent.mkdir(exist_ok=True)
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(run, ensure_ascii=False) + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
