"""Benchmark: how well does selfbook organize a dump into chapters and sections?

Two scored datasets, both built through the real pipeline (``selfbook.Library(...).build``):

1. **awesome lists.** Five human-sorted lists (../shared/bench/organize/*.jsonl) mixed into one
   dump of notes (title, description, URL), shuffled with a fixed seed. Chapters are scored
   against the list a link came from, sections against list/section. BERTopic (default settings)
   and KMeans at the true k are scored on the same vectors, read back from the book's store.
2. **the bundled example** (examples/self.md): one person's dump over eight domains, labelled by
   hand in bench/example_labels.json (by each entry's first line). Chapters are scored against
   those domains; its chapters and every section title are printed to be judged by eye.
   If the build did not pass the entries' headings to organize (the outline records
   ``topical_headings``), organize is also run on the book's own entries, vectors and
   headings, with the same embedding function, and scored as "organize + headings".

    python bench/organize.py                 # writes bench/results/organize.json
    python bench/organize.py --no-bertopic   # skip BERTopic (slow: numba start-up, UMAP)
    python bench/organize.py --seeds 1       # only the default seed
    python bench/organize.py --scale 10000   # also time organize alone on N jittered copies

Books are kept in bench/.cache/ (``organize_book``, ``example_book`` and one copy per extra
seed): the embedding cache lives in a book's store, so a rerun re-embeds nothing and only
re-organizes. The first run embeds 3,300 entries (about 2–3 minutes on 2 cores).

BERTopic is not a dependency of selfbook: `pip install bertopic` first.
This is a benchmark, not a test: it prints numbers and writes them to a file.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import random
import resource
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "organize"
EXAMPLE = ROOT / "examples" / "self.md"
EXAMPLE_LABELS = ROOT / "bench" / "example_labels.json"
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results" / "organize.json"
EMBEDDER = "e5-small"
SEED = 0
CREATED = "2026-01-01"

sys.path.insert(0, str(ROOT / "src"))

from selfbook import Library, Settings  # noqa: E402
from selfbook.library import PlacedEntry  # noqa: E402
from selfbook.models import Outline  # noqa: E402
from selfbook.normalize import canonical_url  # noqa: E402
from selfbook.organize import OrganizeParams, organize  # noqa: E402
from selfbook.store import open_store  # noqa: E402


@dataclass(frozen=True)
class Link:
    list: str
    section: str
    title: str
    url: str
    description: str

    @property
    def chapter_label(self) -> str:
        return self.list

    @property
    def section_label(self) -> str:
        return f"{self.list}/{self.section}"


@dataclass(frozen=True)
class Book:
    """A built book read back: each entry's placement, vector and gold labels (None if unknown)."""

    placed: list[PlacedEntry]
    vectors: np.ndarray
    chapter_gold: list[str | None]
    section_gold: list[str | None]

    def scored(self) -> np.ndarray:
        return np.array([g is not None for g in self.chapter_gold])


# -- the datasets -----------------------------------------------------------------------------
def load_links() -> list[Link]:
    """Every link of the five lists, first occurrence of each URL kept, shuffled with SEED."""
    links: list[Link] = []
    seen: set[str] = set()
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["url"] in seen:
                continue
            seen.add(row["url"])
            links.append(Link(row["list"], row["section"], row["title"], row["url"], row["description"]))
    random.Random(SEED).shuffle(links)
    return links


def render_dump(links: list[Link]) -> str:
    """The links as a person's notes: title line, description line, URL line, blank line."""
    blocks = []
    for link in links:
        lines = [link.title]
        if link.description:
            lines.append(link.description)
        lines.append(link.url)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_dump(links: list[Link]) -> Path:
    dump = CACHE / "organize_dump.md"
    CACHE.mkdir(parents=True, exist_ok=True)
    text = render_dump(links)
    if not dump.exists() or dump.read_text(encoding="utf-8") != text:
        dump.write_text(text, encoding="utf-8")
    return dump


# -- building ---------------------------------------------------------------------------------
def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mb() -> float:
    """The process's peak resident memory in MB (Linux ``VmHWM``; not ``ru_maxrss``, which a
    spawned child inherits from its parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build_in_child(dump: str, book: str, seed: int, embedder: str) -> dict:
    start = time.perf_counter()
    report = Library(book, Settings(created=CREATED, seed=seed, embedder=embedder)).build([dump])
    return {
        "build_s": round(time.perf_counter() - start, 2),
        "organize_s": round(dict(report.timings)["organize"], 2),
        "embedded": report.embedded,
        "build_peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def in_child(fn, *args):
    """Run ``fn(*args)`` in a fresh process, so that its wall time and peak memory are its own."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def build(dump: Path, book: Path, seed: int = SEED, like: Path | None = None) -> dict:
    """Build ``dump`` into ``book`` with the real pipeline. A new book starts from a copy of
    ``like``'s store, so that its embeddings are already cached."""
    if like is not None and not (book / ".selfbook").exists() and (like / ".selfbook").exists():
        book.mkdir(parents=True, exist_ok=True)
        shutil.copytree(like / ".selfbook", book / ".selfbook", ignore=shutil.ignore_patterns("lock", "journal*"))
    return in_child(_build_in_child, str(dump), str(book), seed, EMBEDDER)


def read_book(book: Path, gold) -> Book:
    """Placements from ``Library(book).entries()``, vectors from the book's store, gold labels
    from ``gold(placed) -> (chapter, section) | None``."""
    library = Library(book)
    placed = library.entries()
    store = open_store(book / ".selfbook")
    try:
        hashes = store.content_hashes()
        cached = store.cached_vectors(library.embedder.model_id, set(hashes.values()))
    finally:
        store.close()
    vectors = np.stack([cached[hashes[p.entry.id]] for p in placed]).astype(np.float32)
    labels = [gold(p) for p in placed]
    return Book(placed, vectors, [g and g[0] for g in labels], [g and g[1] for g in labels])


def link_gold(links: list[Link]):
    by_url = {canonical_url(k.url): k for k in links}

    def gold(p: PlacedEntry) -> tuple[str, str] | None:
        for url in p.entry.urls:
            link = by_url.get(canonical_url(url))
            if link is not None:
                return link.chapter_label, link.section_label
        return None

    return gold


def example_gold():
    data = json.loads(EXAMPLE_LABELS.read_text(encoding="utf-8"))
    by_line = {row["line"]: row["domain"] for row in data["entries"]}

    def gold(p: PlacedEntry) -> tuple[str, str] | None:
        domain = by_line.get(p.entry.source.start)
        return (domain, domain) if domain else None

    return gold


# -- scores -----------------------------------------------------------------------------------
def scores(gold: list, pred: list) -> dict[str, float]:
    return {
        "nmi": round(normalized_mutual_info_score(gold, pred), 4),
        "ami": round(adjusted_mutual_info_score(gold, pred), 4),
        "ari": round(adjusted_rand_score(gold, pred), 4),
        "clusters": len(set(pred)),
    }


def score_book(book: Book) -> dict:
    keep = book.scored()
    rows = [p for p, k in zip(book.placed, keep) if k]
    chapter_gold = [g for g in book.chapter_gold if g is not None]
    section_gold = [g for g in book.section_gold if g is not None]
    return {
        "entries": len(book.placed),
        "unmatched": int((~keep).sum()),
        "chapter": scores(chapter_gold, [p.chapter_id for p in rows]),
        "section": scores(section_gold, [p.section_id for p in rows]),
        "chapters_found": len({p.chapter_id for p in book.placed}),
        "sections": len({p.section_id for p in book.placed}),
        "misc_share": round(sum(p.section == "Miscellany" for p in book.placed) / len(book.placed), 4),
    }


def kmeans_baseline(book: Book) -> dict:
    keep = book.scored()
    x = book.vectors[keep]
    out = {}
    for level, gold in (("chapter", book.chapter_gold), ("section", book.section_gold)):
        gold = [g for g in gold if g is not None]
        k = len(set(gold))
        pred = KMeans(k, n_init=4, random_state=SEED).fit_predict(x)
        out[level] = scores(gold, pred) | {"k": k}
    return out


def bertopic_baseline(book: Book, runs: int) -> dict:
    """BERTopic with default settings on the same vectors; topic -1 counts as one cluster.

    Sections: its topics as found. Chapters: its topics reduced to the true number of lists
    with ``reduce_topics``. Its UMAP is not seeded by default, so it runs ``runs`` times.
    """
    from bertopic import BERTopic

    keep = book.scored()
    docs = [p.entry.embed_text() for p, k in zip(book.placed, keep) if k]
    x = book.vectors[keep]
    chapter_gold = [g for g in book.chapter_gold if g is not None]
    section_gold = [g for g in book.section_gold if g is not None]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        model = BERTopic()
        topics, _ = model.fit_transform(docs, x)
        row = {
            "section": scores(section_gold, topics),
            "chapter_as_found": scores(chapter_gold, topics),
            "wall_s": round(time.perf_counter() - start, 1),
            "sample_titles": model.get_topic_info()["Name"].head(8).tolist(),
        }
        model.reduce_topics(docs, nr_topics=len(set(chapter_gold)) + 1)
        row["chapter_reduced"] = scores(chapter_gold, model.topics_)
        out.append(row)
    return {"runs": out, "section_ami_mean": round(float(np.mean([r["section"]["ami"] for r in out])), 4)}


# -- organize alone: cost at scale ------------------------------------------------------------
def _organize_in_child(ids, texts, vectors, params) -> dict:
    before = _rss_mb()
    start = time.perf_counter()
    outline: Outline = organize(ids, texts, vectors, params)
    return {
        "wall_s": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_before_mb": round(before, 1),
        "chapters": len(outline.chapters),
        "sections": sum(len(c.sections) for c in outline.chapters),
    }


def organize_cost(book: Book, n: int) -> dict:
    """organize alone (keyword chapter names) on ``n`` jittered copies of the book's entries."""
    rng = np.random.default_rng(SEED)
    reps = -(-n // len(book.placed))
    vectors = np.tile(book.vectors, (reps, 1))[:n]
    vectors = vectors + rng.normal(0, 0.01, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ([p.entry.embed_text() for p in book.placed] * reps)[:n]
    ids = [f"s{i:07d}" for i in range(n)]
    return {"n": n, **in_child(_organize_in_child, ids, texts, vectors, OrganizeParams(seed=SEED))}


def with_headings(book_dir: Path, book: Book) -> tuple[Book, float] | None:
    """The book re-organized with the entries' headings, if its build did not pass them."""
    library = Library(book_dir)
    if dict(library.outline().params).get("topical_headings", "0") != "0":
        return None
    first = sorted(range(len(book.placed)), key=lambda i: (book.placed[i].entry.source.path, book.placed[i].entry.source.start))
    book = Book([book.placed[i] for i in first], book.vectors[first],
                [book.chapter_gold[i] for i in first], [book.section_gold[i] for i in first])
    entries = [p.entry for p in book.placed]  # in dump order, as the library passes them
    embedder = library.embedder
    start = time.perf_counter()
    outline = organize(
        [e.id for e in entries], [e.embed_text() for e in entries], book.vectors,
        OrganizeParams(seed=SEED), embed=lambda labels: embedder.embed(labels, query=True),
        headings=[e.headings for e in entries],
    )
    wall = time.perf_counter() - start
    row = {e.id: i for i, e in enumerate(entries)}
    order = [row[eid] for c in outline.chapters for sec in c.sections for eid in sec.entry_ids]
    placed = [
        PlacedEntry(entries[i], c.id, c.title, sec.id, sec.title)
        for c in outline.chapters for sec in c.sections for i in (row[eid] for eid in sec.entry_ids)
    ]
    pick = lambda xs: [xs[i] for i in order]  # noqa: E731
    return Book(placed, book.vectors[order], pick(book.chapter_gold), pick(book.section_gold)), wall


# -- runs -------------------------------------------------------------------------------------
def seed_runs(dump: Path, base: Path, gold, seeds: range) -> dict:
    """The scores for seeds 0..N-1 (seed 0 is the book already built): how much the seed alone moves them."""
    rows = []
    for seed in seeds:
        book = base if seed == SEED else base.with_name(f"{base.name}_seed{seed}")
        if seed != SEED:
            build(dump, book, seed, like=base)
        row = score_book(read_book(book, gold))
        rows.append({"seed": seed, "chapter_nmi": row["chapter"]["nmi"], "chapter_ami": row["chapter"]["ami"],
                     "section_ami": row["section"]["ami"], "chapters": row["chapters_found"],
                     "sections": row["sections"]})
    return {
        "runs": rows,
        "chapter_nmi_mean": round(float(np.mean([r["chapter_nmi"] for r in rows])), 4),
        "chapter_ami_mean": round(float(np.mean([r["chapter_ami"] for r in rows])), 4),
        "section_ami_mean": round(float(np.mean([r["section_ami"] for r in rows])), 4),
    }


def outline_lines(book: Book, gold_names: bool = True) -> list[str]:
    """Every chapter and section title, with sizes and the gold labels each holds most."""
    lines: list[str] = []
    chapters: dict[str, list[int]] = {}
    for i, p in enumerate(book.placed):
        chapters.setdefault(p.chapter_id, []).append(i)
    for rows in chapters.values():
        first = book.placed[rows[0]]
        top = Counter(book.chapter_gold[i] or "?" for i in rows).most_common(3)
        lines.append(f"# {first.chapter} ({len(rows)}) {_short(top)}")
        sections: dict[str, list[int]] = {}
        for i in rows:
            sections.setdefault(book.placed[i].section_id, []).append(i)
        for srows in sections.values():
            top = Counter(book.section_gold[i] or "?" for i in srows).most_common(2) if gold_names else []
            lines.append(f"    {book.placed[srows[0]].section} ({len(srows)}) {_short(top)}")
    return lines


def _short(top: list[tuple[str, int]]) -> str:
    if not top:
        return ""
    return "[" + ", ".join(f"{label.split('+')[-1][:40]}: {count}" for label, count in top) + "]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-bertopic", action="store_true")
    parser.add_argument("--bertopic-runs", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5, help="also build with seeds 0..N-1")
    parser.add_argument("--scale", type=int, default=0, help="also time organize alone on N entries")
    parser.add_argument("--embedder", default="e5-small", help="build with this embedder (books and results get its name)")
    args = parser.parse_args()
    global CACHE, RESULTS, EMBEDDER
    if args.embedder != EMBEDDER:
        EMBEDDER, CACHE = args.embedder, CACHE / args.embedder
        RESULTS = RESULTS.with_name(f"organize-{args.embedder}.json")

    links = load_links()
    dump = write_dump(links)
    bench_book, example_book = CACHE / "organize_book", CACHE / "example_book"
    cost = build(dump, bench_book)
    bench = read_book(bench_book, link_gold(links))
    example_cost = build(EXAMPLE, example_book)
    example = read_book(example_book, example_gold())
    alone = organize_cost(bench, len(bench.placed))
    result = {
        "awesome_lists": {
            "links": len(links),
            "true_chapters": len({k.list for k in links}),
            "true_sections": len({k.section_label for k in links}),
            "selfbook": score_book(bench) | cost | {"organize_alone": alone},
            "kmeans_true_k": kmeans_baseline(bench),
            "outline": outline_lines(bench),
        },
        "example": {
            "true_chapters": len(set(filter(None, example.chapter_gold))),
            "selfbook": score_book(example) | example_cost,
            "kmeans_true_k": kmeans_baseline(example),
            "outline": outline_lines(example, gold_names=False),
        },
    }
    headed = with_headings(example_book, example)
    if headed is not None:
        result["example"]["organize_with_headings"] = score_book(headed[0]) | {"organize_s": round(headed[1], 2)}
        result["example"]["outline_with_headings"] = outline_lines(headed[0], gold_names=False)
    if args.seeds > 1:
        result["awesome_lists"]["selfbook_seeds"] = seed_runs(dump, bench_book, link_gold(links), range(args.seeds))
        result["example"]["selfbook_seeds"] = seed_runs(EXAMPLE, example_book, example_gold(), range(args.seeds))
    if not args.no_bertopic:
        result["awesome_lists"]["bertopic"] = bertopic_baseline(bench, args.bertopic_runs)
    if args.scale:
        result["scale"] = organize_cost(bench, args.scale)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(summary(result))
    for name, key in (("example", "outline"), ("example", "outline_with_headings"), ("awesome_lists", "outline")):
        if key in result[name]:
            print(f"\n{name} ({key}):")
            print("\n".join(result[name][key]))


def _row(name: str, s: dict) -> str:
    return (f"{name:34} {s['chapter']['nmi']:11.3f} {s['chapter']['ami']:11.3f} {s['section']['ami']:11.3f} "
            f"{s['chapter']['clusters']:8d} {s['section']['clusters']:8d}")


def summary(result: dict) -> str:
    """The headline numbers as two small tables."""
    head = f"{'method':34} {'chapter NMI':>11} {'chapter AMI':>11} {'section AMI':>11} {'chapters':>8} {'sections':>8}"
    lines = []
    for name, true_k in (("awesome_lists", "true_chapters"), ("example", "true_chapters")):
        data = result[name]
        ours = data["selfbook"]
        lines += ["", f"{name}: {ours['entries']} entries ({ours['unmatched']} without gold), "
                  f"{data[true_k]} true chapters", head, _row("selfbook (seed 0)", ours)]
        if "selfbook_seeds" in data:
            seeds = data["selfbook_seeds"]
            label = f"selfbook (mean of {len(seeds['runs'])} seeds)"
            lines.append(f"{label:34} {seeds['chapter_nmi_mean']:11.3f} "
                         f"{seeds['chapter_ami_mean']:11.3f} {seeds['section_ami_mean']:11.3f}   chapters "
                         + ",".join(str(r["chapters"]) for r in seeds["runs"]))
        if "organize_with_headings" in data:
            lines.append(_row("selfbook + headings (organize)", data["organize_with_headings"]))
        lines.append(_row("KMeans at true k", {"chapter": data["kmeans_true_k"]["chapter"],
                                                  "section": data["kmeans_true_k"]["section"]}))
        for i, run in enumerate(data.get("bertopic", {}).get("runs", [])):
            lines.append(_row(f"BERTopic default, run {i + 1}", {"chapter": run["chapter_reduced"], "section": run["section"]}))
        lines.append(f"selfbook: Miscellany {ours['misc_share']:.1%}; build {ours['build_s']} s "
                     f"(organize {ours['organize_s']} s), build peak RSS {ours['build_peak_rss_mb']} MB")
        if "organize_alone" in ours:
            a = ours["organize_alone"]
            lines.append(f"organize alone: {a['wall_s']} s, peak RSS {a['peak_rss_mb']} MB ({a['rss_before_mb']} MB before)")
    if "scale" in result:
        sc = result["scale"]
        lines.append(f"scale: {sc['n']} entries, {sc['wall_s']} s, peak RSS {sc['peak_rss_mb']} MB "
                     f"({sc['rss_before_mb']} MB before), {sc['chapters']} chapters, {sc['sections']} sections")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
