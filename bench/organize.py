"""Benchmark: how well does selfbook organize a dump into chapters and sections?

Every labelled set in ../shared/bench/organize/ (awesome lists and two developers' TIL notes,
see bench/orgeval.py) is scored on its own, then all of them mixed, plus the bundled example
(examples/self.md, hand labels in bench/example_labels.json) and the person's own reference
chapter (../shared/reference, its ``##`` sections as gold). For each:

- **selfbook**: the dump built with the real pipeline (``Library.build``, as ``selfbook build``),
  placements read back with ``Library.entries()``; chapter NMI, section AMI, Miscellany share,
  title score (orgeval.title_score), chapters and sections found; and, with no gold, title
  coverage (the share of entries outside Miscellany that say a word of their section's title)
  and weak sections (titles under 30% of their entries say: REVIEW.md's "titles to check").
- **held out**: the organizer's knobs (``KNOBS``) chosen leave-one-set-out: for each set, the
  knob values that score best (mean of chapter NMI, section AMI and title score) on the *other*
  sets, then that set scored with them. Only these held-out scores are reported as ours.
- **baselines** on the same vectors: KMeans and Ward told the true number of chapters and of
  sections, and BERTopic with default settings (``--no-bertopic`` to skip).

Books are kept in bench/.cache/organize/ (each set's book starts from a copy of the mixed
book's store, so nothing is embedded twice); the first run embeds about 4,900 texts.

    python bench/organize.py                   # every set, LOSO, baselines, BERTopic
    python bench/organize.py --no-bertopic     # without BERTopic (numba start-up, UMAP)
    python bench/organize.py --scale 10000     # also time organize alone on 10,000 entries
    python bench/organize.py --try '{"lexical_weight": 0.3}'   # a variant against the defaults,
                                               # on the books the last full run cached (seconds)

Each run is appended to bench/results/organize.jsonl (date, commit, load average); nothing is
overwritten. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import itertools
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# This checkout's src, after any PYTHONPATH entries: a baseline run may point PYTHONPATH at an
# export of another commit's src (the row's "code" then names it).
sys.path.insert(1 + len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import orgeval  # noqa: E402
from selfbook import Library, Settings  # noqa: E402
from selfbook.book.review import WEAK_TITLE_SHARE, _stems  # noqa: E402  (REVIEW.md's weak-title rule)
from selfbook.normalize import canonical_url  # noqa: E402
from selfbook.organize import OrganizeParams, organize  # noqa: E402
from selfbook.store import open_store  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "organize"
RESULTS = ROOT / "bench" / "results" / "organize.jsonl"
TRIED = ROOT / "bench" / "results" / "organize-try.jsonl"
EXAMPLE = ROOT / "examples" / "self.md"
EXAMPLE_LABELS = ROOT / "bench" / "example_labels.json"
REFERENCE = ROOT.parent / "shared" / "reference" / "000_28f95713571e2874.txt"
CREATED = "2026-01-01"
EMBEDDER = "e5-small"

# The organizer's knobs chosen leave-one-set-out, with the values tried.
KNOBS: dict[str, tuple] = {
    "section_title_share": (0.1, 0.2, 0.3),
    "chapter_choice": ("silhouette", "gap"),
    "merge_untitled": (False, True),
    "plural_share": (0.0, 0.1, 0.3),
    "follow_titles": (False, True),
}


@dataclass
class Scored:
    """One set read back from its book: entries in the dump's order, their vectors and gold."""

    name: str
    ids: list[str]
    texts: list[str]
    headings: list[list[str]]
    vectors: np.ndarray
    chapter_gold: list[str]
    section_gold: list[str]
    title_gold: list[str]  # the heading whose words a section title should name


# -- building ---------------------------------------------------------------------------------
def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build_in_child(dump: str, book: str) -> dict:
    start = time.perf_counter()
    report = Library(book, Settings(created=CREATED, embedder=EMBEDDER)).build([dump])
    return {"build_s": round(time.perf_counter() - start, 2), "organize_s": round(dict(report.timings)["organize"], 2),
            "embedded": report.embedded, "peak_rss_mb": round(_peak_rss_mb(), 1)}


def in_child(fn, *args):
    """``fn(*args)`` in a fresh process, so that its time and memory are its own."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def build(dump: Path, book: Path, like: Path | None = None) -> dict:
    """``dump`` built into ``book`` (its store started from ``like``'s), from a clean folder: the
    pages of an earlier run are the bench's own, and a stale one that selfbook no longer counts
    as its own (an obsolete page it kept as the user's) would stop the build."""
    if book.exists():
        for child in book.iterdir():
            if child.name != ".selfbook":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    if like is not None and not (book / ".selfbook").exists() and (like / ".selfbook").exists():
        book.mkdir(parents=True, exist_ok=True)
        shutil.copytree(like / ".selfbook", book / ".selfbook", ignore=shutil.ignore_patterns("lock", "journal*"))
    return in_child(_build_in_child, str(dump), str(book))


def read_book(book: Path):
    """(placed entries in book order, their vectors) from a built book."""
    library = Library(book)
    placed = library.entries()
    store = open_store(book / ".selfbook")
    try:
        hashes = store.content_hashes()
        cached = store.cached_vectors(library.embedder.model_id, set(hashes.values()))
    finally:
        store.close()
    return placed, np.stack([cached[hashes[p.entry.id]] for p in placed]).astype(np.float32)


# -- the sets ---------------------------------------------------------------------------------
def link_sets() -> dict[str, list[orgeval.Link]]:
    return {name: orgeval.load_set(name) for name in orgeval.set_names()}


def scored_from_book(name: str, placed, vectors, gold_of) -> tuple[Scored, dict]:
    """The book's entries with gold (``gold_of(placed) -> (chapter, section, heading) | None``),
    and the book's own scores on them."""
    # In the dump's order, as `selfbook build` gives them to the organizer: the book's order
    # follows its titles, and the organizer's result depends on the order of its input (ties,
    # the silhouette's sample above 2,000 entries), so scores read in book order moved with any
    # change to titles (the mixed set's held-out chapters, 9 at 3ad6703 and 8 at f11f859 with
    # the same knobs and vectors).
    keep = sorted((i for i, p in enumerate(placed) if gold_of(p) is not None),
                  key=lambda i: (placed[i].entry.source.path, placed[i].entry.source.start, placed[i].entry.id))
    golds = [gold_of(placed[i]) for i in keep]
    entries = [placed[i].entry for i in keep]
    scored = Scored(
        name, [e.id for e in entries], [e.embed_text() for e in entries], [list(e.headings) for e in entries],
        vectors[keep], [g[0] for g in golds], [g[1] for g in golds], [g[2] for g in golds],
    )
    chapter = [placed[i].chapter_id for i in keep]
    section = [placed[i].section_id for i in keep]
    misc = [placed[i].section == "Miscellany" for i in keep]
    titles = [placed[i].section for i in keep]
    row = {
        "entries": len(placed), "scored": len(keep),
        "chapter_nmi": _chapter_nmi(scored.chapter_gold, chapter),
        "section_ami": orgeval.scores(scored.section_gold, section)["ami"],
        "title_score": round(orgeval.title_score(titles, scored.title_gold, misc), 4),
        # What titles drawn from the entries' words can reach: the share of entries whose own
        # text names the heading they were filed under (a property of the set, not of selfbook).
        "heading_said": round(orgeval.title_score(scored.texts, scored.title_gold, [False] * len(keep)), 4),
        "misc_share": round(float(np.mean([p.section == "Miscellany" for p in placed])), 4),
        "chapters": len({p.chapter_id for p in placed}), "sections": len({p.section_id for p in placed}),
    } | coverage(titles, scored.texts, misc, section) | title_ceiling(section, scored.title_gold, scored.texts, misc)
    return scored, row


def link_gold(links: list[orgeval.Link], mixed: bool):
    subs = {}
    for link in links:
        subs[link.list] = subs.get(link.list, False) or bool(link.subsection)
    two_level = any(" - " in link.section for link in links)
    by_url = {}
    for link in links:
        by_url.setdefault(canonical_url(link.url), link)

    def gold(p):
        for url in p.entry.urls:
            link = by_url.get(canonical_url(url))
            if link is not None:
                chapter, section = link.gold(mixed, subs[link.list])
                if chapter is None and not mixed and two_level:
                    chapter = link.section  # a set of "Top - Sub" names: a name without " - " is its own top
                return chapter, section, link.section
        return None

    return gold


def example_gold():
    data = json.loads(EXAMPLE_LABELS.read_text(encoding="utf-8"))
    by_line = {row["line"]: row["domain"] for row in data["entries"]}
    names = data["domains"]

    def gold(p):
        domain = by_line.get(p.entry.source.start)
        return (domain, domain, names[domain].split(" (")[0]) if domain else None

    return gold


def reference_dump() -> tuple[str, dict[int, str]]:
    """The reference chapter as a flat dump (its ``##`` lines blanked, line numbers kept) and
    the gold section of each line (as bench/reference.py reads it)."""
    from reference import flat_dump

    return flat_dump(REFERENCE.read_text(encoding="utf-8"))


def _chapter_nmi(gold: list, found: list) -> float | None:
    """Chapter NMI, or None for a set whose filing has one level (no chapter labels)."""
    if any(g is None for g in gold):
        return None
    return orgeval.scores(gold, found)["nmi"]


# -- organize with knobs ----------------------------------------------------------------------
def organize_scored(s: Scored, params: OrganizeParams) -> dict:
    outline = organize(s.ids, s.texts, s.vectors, params, headings=s.headings)
    where = {e: (c.id, sec.id, sec.title, sec.misc) for c in outline.chapters for sec in c.sections for e in sec.entry_ids}
    placed = [where[e] for e in s.ids]
    return {
        "chapter_nmi": _chapter_nmi(s.chapter_gold, [w[0] for w in placed]),
        "section_ami": orgeval.scores(s.section_gold, [w[1] for w in placed])["ami"],
        "title_score": round(orgeval.title_score([w[2] for w in placed], s.title_gold, [w[3] for w in placed]), 4),
        "misc_share": round(float(np.mean([w[3] for w in placed])), 4),
        "chapters": len(outline.chapters), "sections": len({w[1] for w in placed}),
    } | coverage([w[2] for w in placed], s.texts, [w[3] for w in placed], [w[1] for w in placed]) | title_ceiling(
        [w[1] for w in placed], s.title_gold, s.texts, [w[3] for w in placed]
    )


SAID_BY = 3
"""A word a title made of the entries' words can use: at least this many of a section's entries say
it (the floor on a title phrase, title.py)."""


def title_ceiling(sections: Sequence, headings: Sequence[str], texts: Sequence[str], misc: Sequence[bool]) -> dict:
    """What the title score could be with these sections, if each section's title were the one word
    that names the most of its entries' headings: any word of those headings ("any_word"), or
    only one that at least SAID_BY of the section's entries say ("said_word"). A title score far
    under "said_word" is the titles' to gain; "said_word" itself low says the sections mix
    headings, or their entries do not say them. Miscellany scores 0, as in the title score."""
    by_section: dict = {}
    for i, (s, m) in enumerate(zip(sections, misc)):
        if not m:
            by_section.setdefault(s, []).append(i)
    any_word = said_word = 0
    for members in by_section.values():
        named = Counter(w for i in members for w in orgeval.heading_words(headings[i]))
        any_word += max(named.values(), default=0)
        said = [n for w, n in named.items() if sum(orgeval.names_heading(texts[i], w) for i in members) >= SAID_BY]
        said_word += max(said, default=0)
    n = max(1, len(sections))
    return {"ceiling_any_word": round(any_word / n, 4), "ceiling_said_word": round(said_word / n, 4)}


def coverage(titles: Sequence[str], texts: Sequence[str], misc: Sequence[bool], sections: Sequence) -> dict:
    """How far section titles are said by their own entries, with no gold: the share of entries
    (outside Miscellany) whose text says a word of their section's title, and the number of
    sections that under 30% of their entries bear out (REVIEW.md's "titles to check" rule)."""
    said = [bool(_stems(t) & _stems(x)) for t, x in zip(titles, texts)]
    by_section: dict = {}
    for s, ok, m in zip(sections, said, misc):
        if not m:
            by_section.setdefault(s, []).append(ok)
    kept = [ok for ok, m in zip(said, misc) if not m]
    return {
        "title_coverage": round(float(np.mean(kept)), 4) if kept else 0.0,
        "weak_sections": sum(float(np.mean(v)) < WEAK_TITLE_SHARE for v in by_section.values()),
    }


def _objective(row: dict) -> float:
    """Mean of chapter NMI (where the set has chapters), section AMI and title score, less any
    Miscellany share over the 10% a build may have (issue 13's bound, not a tuned number)."""
    parts = [row["section_ami"], row["title_score"]] + ([row["chapter_nmi"]] if row["chapter_nmi"] is not None else [])
    return float(np.mean(parts)) - max(0.0, row["misc_share"] - 0.10)


def leave_one_out(sets: list[Scored]) -> dict:
    """Every knob combination scored on every set; each set then scored with the combination
    that is best on the others."""
    combos = [dict(zip(KNOBS, values)) for values in itertools.product(*KNOBS.values())]
    grid = {}
    for i, combo in enumerate(combos):
        params = replace(OrganizeParams(), **combo)
        grid[i] = {s.name: organize_scored(s, params) for s in sets}
    out = {}
    for s in sets:
        others = [t.name for t in sets if t.name != s.name]
        best = max(range(len(combos)), key=lambda i: (np.mean([_objective(grid[i][o]) for o in others]), -i))
        out[s.name] = {"knobs": combos[best], **grid[best][s.name]}
    default = max(range(len(combos)), key=lambda i: (np.mean([_objective(grid[i][t.name]) for t in sets]), -i))
    return {"held_out": out, "chosen_on_all": combos[default]}


# -- baselines --------------------------------------------------------------------------------
def baselines(s: Scored, with_bertopic: bool) -> dict:
    """The baselines on the set's entries in id order: in book order, their input (and so
    k-means' start) would change with every change to selfbook's own organizer."""
    order = sorted(range(len(s.ids)), key=lambda i: s.ids[i])
    vectors = s.vectors[order]
    chapter_gold = [s.chapter_gold[i] for i in order]
    section_gold = [s.section_gold[i] for i in order]
    texts = [s.texts[i] for i in order]
    chapters = chapter_gold if all(g is not None for g in chapter_gold) else ["-"] * len(s.ids)
    out = orgeval.baselines(vectors, chapters, section_gold)
    if with_bertopic:
        try:
            out["bertopic"] = orgeval.bertopic(texts, vectors, chapters, section_gold)
        except Exception as exc:  # a set too small for UMAP's defaults
            out["bertopic"] = {"error": str(exc)[:200]}
    return out


# -- organize at scale ------------------------------------------------------------------------
def _organize_in_child(ids, texts, vectors) -> dict:
    start = time.perf_counter()
    outline = organize(ids, texts, vectors, OrganizeParams())
    return {"wall_s": round(time.perf_counter() - start, 2), "peak_rss_mb": round(_peak_rss_mb(), 1),
            "chapters": len(outline.chapters), "sections": sum(len(c.sections) for c in outline.chapters)}


def organize_cost(s: Scored, n: int) -> dict:
    """organize alone (with titles, no LLM, no embedding function) on ``n`` jittered copies."""
    rng = np.random.default_rng(0)
    reps = -(-n // len(s.ids))
    vectors = np.tile(s.vectors, (reps, 1))[:n] + rng.normal(0, 0.01, (n, s.vectors.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = (s.texts * reps)[:n]
    return {"n": n, **in_child(_organize_in_child, [f"s{i:07d}" for i in range(n)], texts, vectors)}


# -- the run ----------------------------------------------------------------------------------
def outline_lines(book: Path, limit: int = 60) -> list[str]:
    lines = []
    for chapter in Library(book).outline().chapters:
        lines.append(f"# {chapter.title} ({len(chapter.entry_ids)}) — {chapter.description}")
        lines += [f"    {sec.title} ({len(sec.entry_ids)})" for sec in chapter.sections]
    return lines[:limit]


def book_plan(names: list[str]) -> dict[str, tuple[str | Path, Path, object]]:
    """Every book a run builds, in order: its dump (text to write, or a file), where the book is
    kept, and its gold (``placed -> (chapter, section, heading) | None``). The mixed book comes
    first: the others start from a copy of its store."""
    by_set = link_sets()
    every = orgeval.unique_shuffled([link for n in names for link in by_set[n]])
    plan: dict[str, tuple[str | Path, Path, object]] = {
        "mixed": (orgeval.render_dump(every), CACHE / "mixed_book", link_gold(every, mixed=True))
    }
    for name in names:
        links = orgeval.unique_shuffled(by_set[name])
        plan[name] = (orgeval.render_dump(links), CACHE / f"{name}_book", link_gold(links, mixed=False))
    plan["example"] = (EXAMPLE, CACHE / "example_book", example_gold())
    text, gold_of_line = reference_dump()
    plan["reference"] = (
        text,
        CACHE / "reference_book",
        lambda p: (lambda g: (None, g, g) if g else None)(gold_of_line.get(p.entry.source.start)),
    )
    return plan


def cached_sets() -> list[Scored]:
    """Every set read back from the books a full run left in CACHE (texts, vectors and gold;
    nothing is built or embedded)."""
    plan = book_plan(list(link_sets()))
    missing = [str(book) for _, book, _ in plan.values() if not (book / ".selfbook").exists()]
    if missing:
        raise SystemExit(f"no cached book at {missing[0]}: run python bench/organize.py once first")
    out = []
    for name, (_, book, gold) in plan.items():
        placed, vectors = read_book(book)
        out.append(scored_from_book(name, placed, vectors, gold)[0])
    return out


RESAMPLE_SHARE = 0.9
"""A resample keeps this share of a set's entries (drawn without replacement, seeded)."""


def resample(s: Scored, seed: int) -> Scored:
    """``s`` with ``RESAMPLE_SHARE`` of its entries, drawn with ``seed``, in their order."""
    n = len(s.ids)
    keep = np.sort(np.random.default_rng(seed).choice(n, max(2, round(RESAMPLE_SHARE * n)), replace=False))
    pick = lambda xs: [xs[i] for i in keep]  # noqa: E731
    return Scored(s.name, pick(s.ids), pick(s.texts), pick(s.headings), s.vectors[keep],
                  pick(s.chapter_gold), pick(s.section_gold), pick(s.title_gold))


RESAMPLED_KEYS = ("chapter_nmi", "section_ami", "title_score", "misc_share")
"""The scores a resampled run summarizes per set."""


def _spread(values: list) -> dict | None:
    """Mean and standard deviation of scores over draws; None where a draw has no such score."""
    if any(v is None or v != v for v in values):
        return None
    return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values, ddof=1)), 4) if len(values) > 1 else None}


def resampled(s: Scored, knobs: dict, count: int) -> dict:
    """The held-out choice and the baselines at the true k on ``count`` resamples of ``s`` (the
    draws of :func:`resample`): means and standard deviations of their scores, so that a
    held-out score can be read beside how much it moves when a tenth of the entries is left
    out, and beside the baselines' on the same draws."""
    params = replace(OrganizeParams(), **knobs)
    draws = [resample(s, seed) for seed in range(count)]
    ours = [organize_scored(d, params) for d in draws]
    theirs = [baselines(d, False) for d in draws]
    return {
        "resampled": {"count": count, "share": RESAMPLE_SHARE,
                      "held_out": {key: _spread([r[key] for r in ours]) for key in RESAMPLED_KEYS},
                      "baselines": {base: {level: _spread([t[base].get(level, {}).get(metric, float("nan")) for t in theirs])
                                           for level, metric in (("chapter", "nmi"), ("section", "ami"))}
                                    for base in ("kmeans", "ward")}},
    }


def try_variants(variants: list[dict], resamples: int = 0) -> dict:
    """The shipped defaults and each variant of OrganizeParams scored on every cached set, with
    the mean of _objective: a quick comparison before a change (not held out: a variant chosen
    by it is a knob, to be added to KNOBS and chosen leave-one-set-out by a full run).

    With ``resamples``, each is also scored on that many resamples of every set (see
    :func:`resample`; the same draws for every variant and every run), so that a difference can
    be told from the organizer's sensitivity to which entries it is given: the objective of
    each draw (``per_resample``, for pairing with another run's), and their mean and standard
    deviation."""
    sets = cached_sets()
    draws = [[resample(s, seed) for s in sets] for seed in range(resamples)]
    rows = []
    for variant in [{}] + variants:
        params = replace(OrganizeParams(), **variant)
        scores = {s.name: organize_scored(s, params) for s in sets}
        row = {"variant": variant, "objective": round(float(np.mean([_objective(r) for r in scores.values()])), 4),
               "sets": scores}
        if draws:
            runs = [{s.name: organize_scored(s, params) for s in drawn} for drawn in draws]
            each = [float(np.mean([_objective(r) for r in run.values()])) for run in runs]
            means = {name: {key: _spread([run[name][key] for run in runs]) for key in RESAMPLED_KEYS} for name in scores}
            row["resampled"] = {"share": RESAMPLE_SHARE, "per_resample": [round(x, 4) for x in each], **_spread(each),
                                "sets": {name: {key: m and m["mean"] for key, m in by_key.items()} for name, by_key in means.items()}}
        rows.append(row)
    return {"rows": rows}


def _variant(parser: argparse.ArgumentParser, text: str) -> dict:
    """A --try value as OrganizeParams fields, or a usage error that says what is wrong."""
    try:
        variant = json.loads(text)
    except json.JSONDecodeError as exc:
        parser.error(f"--try {text!r} is not JSON ({exc.msg}); write e.g. '{{\"lexical_weight\": 0.3}}'")
    if not isinstance(variant, dict):
        parser.error(f"--try {text!r} is not a JSON object of OrganizeParams fields")
    known = {f.name for f in fields(OrganizeParams)}
    unknown = sorted(set(variant) - known)
    if unknown:
        parser.error(f"--try {text!r}: OrganizeParams has no field {', '.join(unknown)} (it has {', '.join(sorted(known))})")
    return variant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-bertopic", action="store_true")
    parser.add_argument("--scale", type=int, default=0, help="also time organize alone on N entries")
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    parser.add_argument("--try", dest="variants", action="append", default=[], metavar="JSON",
                        help='score OrganizeParams variants (e.g. \'{"lexical_weight": 0.3}\') against the defaults '
                             "on the books a full run cached, and append them to results/organize-try.jsonl")
    parser.add_argument("--resamples", type=int, default=None, metavar="N",
                        help=f"also score on N seeded resamples of every set ({RESAMPLE_SHARE:.0%} of its entries), to tell "
                             "a change from noise: the held-out choice and the baselines in a full run (default 4), "
                             "each variant with --try (default 0)")
    args = parser.parse_args()
    if args.resamples is not None and args.resamples < 0:
        parser.error("--resamples must be 0 or more")
    variants = [_variant(parser, text) for text in args.variants]
    if variants:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=ROOT).stdout.strip())
        result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit, "dirty": dirty,
                  "code": orgeval.code_path(), "load_avg": os.getloadavg(), **try_variants(variants, args.resamples or 0)}
        with TRIED.open("a", encoding="utf-8") as f:
            f.write(json.dumps(result, ensure_ascii=False) + "\n")
        for row in result["rows"]:
            spread = row.get("resampled")
            print(f"{json.dumps(row['variant']) or '{}':50} objective {row['objective']:.4f}"
                  + (f"; over {len(spread['per_resample'])} resamples {spread['mean']:.4f} ± {spread['sd'] or 0:.4f}"
                     f" ({', '.join(f'{x:.4f}' for x in spread['per_resample'])})" if spread else ""))
            for name, r in row["sets"].items():
                print(f"    {name[:40]:40} ch {_f(r['chapter_nmi'])} sec {r['section_ami']:.3f} title {r['title_score']:.3f}"
                      f" cover {r['title_coverage']:.3f} weak {r['weak_sections']:3d} misc {r['misc_share']:.3f}"
                      f" title ceiling (said / any word) {r['ceiling_said_word']:.3f} / {r['ceiling_any_word']:.3f}")
                if spread:
                    m = spread["sets"][name]
                    print(f"    {'  resampled (mean)':40} ch {_f(m['chapter_nmi'])} sec {m['section_ami']:.3f}"
                          f" title {m['title_score']:.3f} misc {m['misc_share']:.3f}")
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.time()
    # The code under test is what was checked out when the run started (the books are built and
    # the organizer imported then): record that, not what HEAD is when the run ends.
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], capture_output=True, text=True, cwd=ROOT).stdout.strip())

    names = [n for n in link_sets() if not args.sets or n in args.sets.split(",")]
    if not names:
        parser.error(f"--sets names none of the labelled sets ({', '.join(link_sets())}): the mixed set would be empty")
    cost, books = {}, {}
    for name, (dump, book, gold) in book_plan(names).items():
        if isinstance(dump, str):
            path = CACHE / f"{name}.md"
            path.write_text(dump, encoding="utf-8")
            dump = path
        cost[name] = build(dump, book, like=None if name == "mixed" else CACHE / "mixed_book")
        books[name] = (book, gold)

    rows, sets = {}, []
    for name, (book, gold) in books.items():
        placed, vectors = read_book(book)
        scored, row = scored_from_book(name, placed, vectors, gold)
        sets.append(scored)
        rows[name] = {"built": row | cost[name], "baselines": baselines(scored, not args.no_bertopic)}
    loso = leave_one_out(sets)
    for name in rows:
        rows[name]["held_out"] = loso["held_out"][name]
    resamples = 4 if args.resamples is None else args.resamples
    for s in sets if resamples else ():
        rows[s.name] |= resampled(s, loso["held_out"][s.name]["knobs"], resamples)
    result = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "dirty": dirty,
        "load_avg": os.getloadavg(),
        "embedder": EMBEDDER,
        "knobs": {k: list(v) for k, v in KNOBS.items()},
        "chosen_on_all": loso["chosen_on_all"],
        "sets": rows,
        "outlines": {name: outline_lines(book) for name, (book, _) in books.items() if name in ("example", "mixed")},
        "wall_s": round(time.time() - started, 1),
    }
    if args.scale:
        result["scale"] = organize_cost(sets[0], args.scale)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(summary(result))


def _f(value: float | None) -> str:
    return f"{value:7.3f}" if value is not None else f"{'n/a':>7}"


def _ms(spread: dict | None) -> str:
    """A resampled score as "mean±sd"."""
    return f"{spread['mean']:.3f}±{spread['sd'] or 0:.3f}" if spread else f"{'n/a':>11}"


def summary(result: dict) -> str:
    head = (f"{'set':44} {'method':20} {'ch NMI':>7} {'sec AMI':>7} {'title':>6} {'misc':>6} {'ch':>4} {'sec':>4}"
            f" {'cover':>6} {'weak':>4}")
    lines = [f"{result['date']} commit {result['commit']} load {result['load_avg']}", head]
    for name, row in result["sets"].items():
        h, b = row["held_out"], row["built"]
        lines.append(f"{name[:44]:44} {'held out':20} {_f(h['chapter_nmi'])} {h['section_ami']:7.3f} "
                     f"{h['title_score']:6.3f} {h['misc_share']:6.3f} {h['chapters']:4d} {h['sections']:4d}"
                     f" {h.get('title_coverage', float('nan')):6.3f} {h.get('weak_sections', -1):4d}")
        lines.append(f"{'':44} {'built (defaults)':20} {_f(b['chapter_nmi'])} {b['section_ami']:7.3f} "
                     f"{b['title_score']:6.3f} {b['misc_share']:6.3f} {b['chapters']:4d} {b['sections']:4d}"
                     f" {b.get('title_coverage', float('nan')):6.3f} {b.get('weak_sections', -1):4d}"
                     f"  (entries that say their heading: {b.get('heading_said', float('nan')):.3f})")
        for base in ("kmeans", "ward"):
            if base in row["baselines"]:
                c = row["baselines"][base].get("chapter", {}).get("nmi", float("nan"))
                s = row["baselines"][base].get("section", {}).get("ami", float("nan"))
                lines.append(f"{'':44} {base + ' at true k':20} {c:7.3f} {s:7.3f}")
        rs = row.get("resampled")
        if rs:
            h = rs["held_out"]
            lines.append(f"{'':44} {'held out, %d draws' % rs['count']:20} {_ms(h['chapter_nmi'])} {_ms(h['section_ami'])}"
                         f" title {_ms(h['title_score'])} misc {_ms(h['misc_share'])}")
            for base in ("kmeans", "ward"):
                b = rs["baselines"][base]
                lines.append(f"{'':44} {base + ', same draws':20} {_ms(b['chapter'])} {_ms(b['section'])}")
        bt = row["baselines"].get("bertopic", {})
        if "section" in bt:
            c = bt.get("chapter", {}).get("nmi", float("nan"))
            lines.append(f"{'':44} {'BERTopic default':20} {c:7.3f} {bt['section']['ami']:7.3f}")
    if "scale" in result:
        sc = result["scale"]
        lines.append(f"organize alone at {sc['n']}: {sc['wall_s']} s, peak {sc['peak_rss_mb']} MB, "
                     f"{sc['chapters']} chapters, {sc['sections']} sections")
    for name, outline in result["outlines"].items():
        lines += ["", f"{name}:"] + outline
    return "\n".join(lines)


if __name__ == "__main__":
    main()
