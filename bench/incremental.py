"""How a book absorbs later dumps: ML Papers of the Week replayed a quarter at a time (a benchmark).

Reads ../shared/bench/incremental/dair_ml_papers_of_the_week.jsonl (1,300 papers, 2023-01 →
2025-06), writes one dump per quarter (each paper as a note: title, description, URL, under a
dated heading for its week), builds the book from the first quarter, then ``selfbook add``s each
later quarter. For every batch it reports:

- ``moved``: entries already in the book whose chapter or section changed (target 0);
- ``ami_section`` / ``ami_chapter``: agreement (adjusted mutual information) between where
  ``add`` put the batch's new entries and where a full rebuild (``build --reorganize`` of every
  dump so far, in a copy of the book, so its embeddings are cached) puts them; for scale,
  ``ami_section_old`` is the same agreement for the entries that were already in the book (how
  far a rebuild reshuffles what ``add`` leaves in place);
- ``new_sections`` / ``new_chapters`` created by the batch, and how many went to Miscellany;
- ``add_s`` (with ``embed_s``, the part spent embedding the new entries) against ``rebuild_s``.

``--scale N`` also times one ``add`` of 300 entries to a book of N entries (the 10,000-entry
dump of bench/build_speed.py) against a cached full rebuild of the same N + 300.

    python bench/incremental.py [--embedder e5-small] [--scale 10000 [--scale-embedder hashing] [--skip-replay]]
    python bench/incremental.py --til [--fit Q] [--outsider Q] [--min-new-section N] [--join-share S]

``--til`` replays the two developers' TIL notes year by year instead (dev data, no rebuilds) and
scores the replayed book against the folders they filed the notes in (see ``against_folders``).

Results go to bench/results/incremental.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from sklearn.metrics import adjusted_mutual_info_score

import orgeval  # the title score of bench/organize.py (this folder is on the path when run as a script)

from selfbook import Library, load_settings

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent.parent / "shared" / "bench" / "incremental" / "dair_ml_papers_of_the_week.jsonl"
TIL = ROOT.parent.parent / "shared" / "bench" / "organize"
DESCRIPTION_CHARS = 300


def quarter(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return f"{date.year}Q{(date.month - 1) // 3 + 1}"


def write_dumps(folder: Path) -> list[Path]:
    """One dump per quarter, oldest first; papers under a heading for their week."""
    weeks: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    with open(DATA, encoding="utf-8") as fh:
        for line in fh:
            paper = json.loads(line)
            weeks[quarter(paper["date"])][paper["date"]].append(paper)
    paths = []
    for name in sorted(weeks):
        blocks = [f"# ML papers, {name}"]
        for day in sorted(weeks[name]):
            blocks.append(f"## Week of {day}")
            for paper in sorted(weeks[name][day], key=lambda p: p["rank"]):
                description = " ".join((paper.get("description") or "").split())[:DESCRIPTION_CHARS]
                blocks.append("\n".join(x for x in (paper["title"], description, paper["url"]) if x))
        path = folder / f"{name}.md"
        path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def placements(library: Library) -> dict[str, tuple[str, str]]:
    return {p.entry.id: (p.chapter_id, p.section_id) for p in library.entries()}


def rebuild(book: Path, dumps: list[Path], embedder: str) -> tuple[float, dict[str, tuple[str, str]]]:
    """A full reorganization of ``dumps`` in a copy of ``book`` (its embedding cache included)."""
    copy = book.parent / (book.name + "-rebuild")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(book, copy)
    library = Library(copy, load_settings(copy, embedder=embedder))
    start = time.perf_counter()
    library.build(dumps, reorganize=True)
    took = time.perf_counter() - start
    return took, placements(library)


def write_til_dumps(folder: Path, name: str) -> list[Path]:
    """One person's notes (../shared/bench/organize/NAME.jsonl) as dumps by the year each was
    written: the first dump holds the years up to a quarter of the notes, then one per year."""
    rows = [json.loads(line) for line in (TIL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    years: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        years[row["date"][:4]].append(row)
    groups: list[list[str]] = [[]]
    seen = 0
    for year in sorted(years):
        if seen >= 0.25 * len(rows) and groups[-1]:
            groups.append([])
        groups[-1].append(year)
        seen += len(years[year])
    paths = []
    for group in groups:
        blocks = []
        for year in group:
            for row in sorted(years[year], key=lambda r: (r["date"], r["url"])):
                blocks.append("\n".join(x for x in (row["title"], row.get("description") or "", row["url"]) if x))
        path = folder / f"{name}-{group[0]}-{group[-1]}.md"
        path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def replay(work: Path, embedder: str, dumps: list[Path] | None = None, rebuilds: bool = True, params=None) -> dict:
    dumps = dumps or write_dumps(work)
    book = work / "book"
    library = Library(book, load_settings(book, embedder=embedder))
    start = time.perf_counter()
    first = library.build([dumps[0]])
    batches = [{"batch": dumps[0].stem, "entries": first.entries, "build_s": round(time.perf_counter() - start, 2)}]
    print(json.dumps(batches[0]), flush=True)
    for k, dump in enumerate(dumps[1:], 1):
        before = placements(library)
        start = time.perf_counter()
        report = library.add([dump], params=params)
        took = time.perf_counter() - start
        after = placements(library)
        (added,) = report.added
        rebuild_s, rebuilt = rebuild(book, dumps[: k + 1], embedder) if rebuilds else (0.0, after)
        new = [e for e in added.new if e in after and e in rebuilt]
        old = [e for e in before if e in after and e in rebuilt]
        row = {
            "batch": dump.stem,
            "entries": len(after),
            "new": len(added.new),
            "resaved": len(added.resaved),
            "moved": sum(1 for e, where in before.items() if after.get(e, where) != where),
            "joined": added.joined,
            "misc": added.misc,
            "new_sections": len(added.sections),
            "new_chapters": len(added.chapters),
            "ami_section": round(adjusted_mutual_info_score([after[e][1] for e in new], [rebuilt[e][1] for e in new]), 3),
            "ami_chapter": round(adjusted_mutual_info_score([after[e][0] for e in new], [rebuilt[e][0] for e in new]), 3),
            "ami_section_old": round(adjusted_mutual_info_score([after[e][1] for e in old], [rebuilt[e][1] for e in old]), 3),
            "add_s": round(took, 2),
            "embed_s": round(added.embed_s, 2),
            "rebuild_s": round(rebuild_s, 2),
        }
        batches.append(row)
        print(json.dumps(row), flush=True)
    later = batches[1:]
    return {
        "batches": batches,
        "moved_total": sum(b["moved"] for b in later),
        "ami_section_mean": round(sum(b["ami_section"] for b in later) / len(later), 3),
        "ami_chapter_mean": round(sum(b["ami_chapter"] for b in later) / len(later), 3),
        "ami_section_old_mean": round(sum(b["ami_section_old"] for b in later) / len(later), 3),
        "new_sections_total": sum(b["new_sections"] for b in later),
        "new_chapters_total": sum(b["new_chapters"] for b in later),
        "misc_share_added": round(sum(b["misc"] for b in later) / max(1, sum(b["new"] for b in later)), 3),
        "speedup_last": round(later[-1]["rebuild_s"] / later[-1]["add_s"], 1),
    }


def at_scale(work: Path, n: int, embedder: str) -> dict:
    """One add of 300 entries to an n-entry book, against a cached rebuild at n + 300."""
    sys.path.insert(0, str(ROOT))
    from build_speed import make_dump  # the same 10,000-entry dump as the build-speed benchmark

    base_text = make_dump(n)
    full = make_dump(n + 300)
    base, extra = work / "base.md", work / "extra.md"
    base.write_text(base_text, encoding="utf-8")
    extra.write_text(full[len(base_text) + 1 :], encoding="utf-8")
    book = work / f"book-{n}"
    shutil.rmtree(book, ignore_errors=True)  # a first build, not a rebuild of the last run's book
    library = Library(book, load_settings(book, embedder=embedder))
    start = time.perf_counter()
    library.build([base])
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    report = library.add([extra])
    add_s = time.perf_counter() - start
    rebuild_s, _ = rebuild(book, [base, extra], embedder)
    (added,) = report.added
    return {
        "entries": n, "added": len(added.new), "embedder": embedder, "first_build_s": round(build_s, 2),
        "add_s": round(add_s, 2), "embed_s": round(added.embed_s, 2), "rebuild_s": round(rebuild_s, 2),
        "speedup": round(rebuild_s / add_s, 1), "speedup_without_embedding": round(rebuild_s / max(add_s - added.embed_s, 1e-3), 1),
        "add_stages_s": {name: round(s, 2) for name, s in report.timings},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--scale", type=int, default=0, help="Also time an add to a book of this many entries.")
    parser.add_argument("--scale-embedder", default="", help="Embedder for --scale (default: --embedder).")
    parser.add_argument("--skip-replay", action="store_true", help="Only the --scale part (keeps the last replay's results).")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "incremental")
    parser.add_argument("--outsider", type=float, default=None,
                        help="AssignParams.outsider_quantile for the replay (default: the library's)")
    parser.add_argument("--fit", type=float, default=None,
                        help="AssignParams.fit_quantile for the replay (default: the library's)")
    parser.add_argument("--min-new-section", type=int, default=None,
                        help="AssignParams.min_new_section for the replay (default: the library's)")
    parser.add_argument("--join-share", type=float, default=None,
                        help="AssignParams.join_share for the replay (default: the library's)")
    parser.add_argument("--til", action="store_true",
                        help="Replay each person's TIL notes year by year instead (dev data; no rebuilds), to results/incremental-til.jsonl.")
    args = parser.parse_args()
    from selfbook.organize.assign import AssignParams

    params = AssignParams()
    if args.outsider is not None:
        params = replace(params, outsider_quantile=args.outsider)
    if args.fit is not None:
        params = replace(params, fit_quantile=args.fit)
    if args.min_new_section is not None:
        params = replace(params, min_new_section=args.min_new_section)
    if args.join_share is not None:
        params = replace(params, join_share=args.join_share)
    started = run_stamp()
    if args.til:
        return replay_til(args.work, args.embedder, params)
    if args.skip_replay and not args.scale:
        sys.exit("--skip-replay leaves nothing to run: give --scale N too")
    args.work.mkdir(parents=True, exist_ok=True)
    out = ROOT / "results" / "incremental.json"
    results = json.loads(out.read_text(encoding="utf-8")) if args.skip_replay and out.is_file() else {}
    if not args.skip_replay:
        results = {"data": str(DATA.name), "embedder": args.embedder, **replay_cached(args.work, args.embedder, params)}
    if args.scale:
        results["scale"] = at_scale(args.work, args.scale, args.scale_embedder or args.embedder)
        print(json.dumps(results["scale"]), flush=True)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")  # the last run, for --skip-replay
    stamp = started | {"load_avg": os.getloadavg(), "assign": {"fit_quantile": params.fit_quantile, "outsider_quantile": params.outsider_quantile,
                                                          "min_new_section": params.min_new_section, "join_share": params.join_share}}
    with (ROOT / "results" / "incremental.jsonl").open("a", encoding="utf-8") as f:  # every run, appended
        f.write(json.dumps(stamp | results) + "\n")
    if "replay" in results:
        summary = {k: v for k, v in results["replay"].items() if k != "batches"}
        print("replay:", json.dumps(summary))
        print(f"targets: moved 0 → {summary['moved_total']}; add ≥ 10× faster than a rebuild at 10k entries (see --scale)")
    if "scale" in results:
        print(f"target: add ≥ 10× faster than a rebuild at {results['scale']['entries']} entries → {results['scale']['speedup']}×")


def run_stamp() -> dict:
    """The date, the checkout's commit and where the code came from, taken when a run starts (a
    commit that lands while a run goes on is not this run's)."""
    import subprocess

    return {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip(),
            "code": orgeval.code_path()}


def replay_cached(work: Path, embedder: str, params=None) -> dict:
    """The quarterly replay, its embeddings cached between runs (``work/cache.db``)."""
    if not DATA.is_file():
        sys.exit(f"{DATA}: benchmark data not found (it lives beside the project in ../shared/bench)")
    cache = work / "cache.db"
    book = work / "book"
    shutil.rmtree(book, ignore_errors=True)
    if cache.is_file():
        (book / ".selfbook").mkdir(parents=True)
        shutil.copyfile(cache, book / ".selfbook" / "book.db")
    cached = cache.is_file()
    results = {"cached_embeddings": cached, "replay": replay(work, embedder, params=params)}
    shutil.copyfile(book / ".selfbook" / "book.db", cache)
    return results


def against_folders(library: Library, name: str, first_dump: Path) -> dict:
    """The replayed book's sections against the folders the person filed the notes in: section
    AMI and title score over every note (those of the first build too) and over the added notes
    alone, and the number of sections (since 2026-12-08). A fresh build of all the notes scores in
    bench/organize.py; an add that stops founding sections shows here as a falling AMI."""
    rows = [json.loads(line) for line in (TIL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    folder = {row["url"]: row["section"] for row in rows}
    first = set(first_dump.read_text(encoding="utf-8").split())
    gold, found, titles, added = [], [], [], []
    placed = library.entries()
    for p in placed:
        url = next((u for u in p.entry.urls if u in folder), None)
        if url is None:
            continue
        gold.append(folder[url])
        found.append(p.section_id)
        titles.append(p.section)
        added.append(url not in first)
    misc = [t == "Miscellany" for t in titles]
    new = [i for i, a in enumerate(added) if a]
    return {
        "section_ami_folders": round(adjusted_mutual_info_score(gold, found), 3),
        "section_ami_folders_added": round(adjusted_mutual_info_score([gold[i] for i in new], [found[i] for i in new]), 3) if new else None,
        # the share of notes whose section title names their folder (bench/organize.py's title score)
        "title_score_folders": round(orgeval.title_score(titles, gold, misc), 3),
        "title_score_folders_added": round(orgeval.title_score([titles[i] for i in new], [gold[i] for i in new], [misc[i] for i in new]), 3) if new else None,
        "sections_final": len({p.section_id for p in placed}),
    }


def replay_til(work: Path, embedder: str, params) -> None:
    """The two TIL sets replayed by year; each run appended to results/incremental-til.jsonl."""
    out = run_stamp() | {"load_avg": os.getloadavg(), "embedder": embedder, "outsider_quantile": params.outsider_quantile, "fit_quantile": params.fit_quantile,
                         "min_new_section": params.min_new_section, "join_share": params.join_share, "sets": {}}
    for name in ("iamgbsmith+til", "jonasbn+til"):
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        cache = work / f"{name}-cache.db"
        if cache.is_file():  # embeddings kept from the last run
            (folder / "book" / ".selfbook").mkdir(parents=True)
            shutil.copyfile(cache, folder / "book" / ".selfbook" / "book.db")
        dumps = write_til_dumps(folder, name)
        result = replay(folder, embedder, dumps, rebuilds=False, params=params)
        shutil.copyfile(folder / "book" / ".selfbook" / "book.db", cache)
        out["sets"][name] = {k: v for k, v in result.items() if k != "batches"} | {
            "first": result["batches"][0]["entries"], "added": sum(b.get("new", 0) for b in result["batches"][1:])
        } | against_folders(Library(folder / "book"), name, dumps[0])
        print(name, json.dumps(out["sets"][name]), flush=True)
    with (ROOT / "results" / "incremental-til.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
