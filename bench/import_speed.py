"""Import speed and memory: a generated 50 MB browser bookmark file and a 20,000-note Obsidian vault
(a benchmark, not a test).

Both are generated into a temporary folder with a fixed seed: the bookmark file in the Netscape
format Chrome and Firefox export (folders nested up to five deep, ADD_DATE, TAGS, some ``<DD>``
descriptions and Firefox's base64 ``ICON`` attributes, English and Kannada titles); the vault as
notes in nested folders with front matter tags, headings, ``[[wikilinks]]`` and link-bearing
paragraphs. Each is imported through ``selfbook.importers.iter_source`` (streamed; entries are
counted, not kept) in a fresh child process, twice: once plain, timed, for entries/s and the
process's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes
the interpreter and selfbook's imports: ``baseline_rss_mb`` is that figure just before the import
starts), and once under ``tracemalloc`` for the peak of memory Python allocated during the import.

    python bench/import_speed.py [--mb 50] [--notes 20000]

Target: peak memory under 500 MB for both. Results go to bench/results/import_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from selfbook.importers import iter_source
from selfbook.models import Skip

ROOT = Path(__file__).resolve().parent
TARGET_MB = 500

WORDS = (
    "attention transformer retrieval graph kernel compiler sourdough ragi millet fermentation garden "
    "compost soil tomato sleep running knee history empire river monsoon budget index fund tax python "
    "rust sqlite search vector cluster label model paper survey tutorial notes guide recipe essay"
).split()
KANNADA = "ಕನ್ನಡ ಸಾಹಿತ್ಯ ಕವನ ಕಾದಂಬರಿ ಅಡುಗೆ ರಾಗಿ ಮುದ್ದೆ ಇತಿಹಾಸ ವಿಜ್ಞಾನ ತೋಟ ನಿದ್ರೆ ಓಟ".split()
HOSTS = ["arxiv.org/abs", "github.com", "www.youtube.com/watch?v=", "en.wikipedia.org/wiki", "blog.example.com/posts", "kn.wikipedia.org/wiki"]
ICON = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA" * 8


def _title(rng: random.Random) -> str:
    words = KANNADA if rng.random() < 0.15 else WORDS
    return " ".join(rng.choice(words) for _ in range(rng.randint(3, 9))).capitalize()


def _url(rng: random.Random, n: int) -> str:
    return f"https://{rng.choice(HOSTS)}/{rng.choice(WORDS)}-{n}"


def make_bookmarks(path: Path, megabytes: int, seed: int = 7) -> int:
    """Write a Netscape bookmark file of about ``megabytes`` MB; returns the number of bookmarks."""
    rng = random.Random(seed)
    limit = megabytes * 1_000_000
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n'
                 "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n")
        depth = 1
        while fh.tell() < limit:
            if rng.random() < 0.02 and depth < 6:
                fh.write(f'{"    " * depth}<DT><H3 ADD_DATE="1700000000">{_title(rng)}</H3>\n{"    " * depth}<DL><p>\n')
                depth += 1
            elif rng.random() < 0.02 and depth > 1:
                depth -= 1
                fh.write(f'{"    " * depth}</DL><p>\n')
            count += 1
            attrs = f'HREF="{_url(rng, count)}" ADD_DATE="{1500000000 + rng.randint(0, 2 * 10**8)}"'
            if rng.random() < 0.3:
                attrs += f' TAGS="{rng.choice(WORDS)},{rng.choice(WORDS)}"'
            if rng.random() < 0.1:
                attrs += f' ICON="{ICON}"'
            fh.write(f'{"    " * depth}<DT><A {attrs}>{_title(rng)}</A>\n')
            if rng.random() < 0.2:
                fh.write(f'{"    " * depth}<DD>{_title(rng)} &amp; {_title(rng)}\n')
        while depth > 1:
            depth -= 1
            fh.write(f'{"    " * depth}</DL><p>\n')
        fh.write("</DL><p>\n")
    return count


def make_vault(folder: Path, notes: int, seed: int = 7) -> int:
    """Write a vault of ``notes`` notes; returns the number of link-bearing paragraphs."""
    rng = random.Random(seed)
    folders = [Path(*(rng.choice(WORDS).capitalize() for _ in range(rng.randint(1, 3)))) for _ in range(60)]
    links = 0
    for n in range(notes):
        note = folder / rng.choice(folders) / f"{_title(rng)[:40]} {n}.md"
        note.parent.mkdir(parents=True, exist_ok=True)
        parts = [f"---\ntags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\ncreated: 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n---",
                 f"# {_title(rng)}"]
        for _ in range(rng.randint(2, 5)):
            if rng.random() < 0.6:
                links += 1
                parts.append(f"{_title(rng)} [[{_title(rng)[:30]}]]\n{_url(rng, n)}\n{_title(rng)}.")
            else:
                parts.append(f"{_title(rng)}. {_title(rng)}. See [[{_title(rng)[:30]}]].")
        if rng.random() < 0.3:
            parts.append(f"## {_title(rng)}\n\n- [{_title(rng)}]({_url(rng, n + 1)}) — {_title(rng)} #{rng.choice(WORDS)}")
            links += 1
        note.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return links


def measure(path: str, traced: bool) -> dict:
    """Import ``path`` once (in this process) and report counts, time and memory."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if traced:
        tracemalloc.start()
    entries = skips = 0
    start = time.perf_counter()
    for item in iter_source(path):
        if isinstance(item, Skip):
            skips += 1
        else:
            entries += 1
    seconds = time.perf_counter() - start
    result = {"entries": entries, "skips": skips, "seconds": round(seconds, 2)}
    if traced:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    else:
        result["entries_per_s"] = round(entries / seconds)
        result["baseline_rss_mb"] = round(baseline, 1)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def in_child(path: Path, traced: bool) -> dict:
    cmd = [sys.executable, __file__, "--measure", str(path)] + (["--traced"] if traced else [])
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=50, help="size of the bookmark file")
    parser.add_argument("--notes", type=int, default=20_000, help="notes in the vault")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.traced)))
        return
    results: dict = {"target_peak_mb": TARGET_MB}
    with tempfile.TemporaryDirectory() as tmp:
        bookmarks, vault = Path(tmp) / "bookmarks.html", Path(tmp) / "vault"
        start = time.perf_counter()
        written = make_bookmarks(bookmarks, args.mb)
        print(f"generated {bookmarks.stat().st_size / 1e6:.1f} MB, {written:,} bookmarks in {time.perf_counter() - start:.1f}s")
        start = time.perf_counter()
        paragraphs = make_vault(vault, args.notes)
        size = sum(p.stat().st_size for p in vault.rglob("*.md"))
        print(f"generated {args.notes:,} notes ({size / 1e6:.1f} MB, {paragraphs:,} link-bearing paragraphs) in {time.perf_counter() - start:.1f}s")
        for name, path, extra in (
            ("netscape", bookmarks, {"megabytes": round(bookmarks.stat().st_size / 1e6, 1), "bookmarks": written}),
            ("obsidian", vault, {"notes": args.notes, "megabytes": round(size / 1e6, 1)}),
        ):
            plain, traced = in_child(path, False), in_child(path, True)
            row = {**extra, **plain, "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"], "traced_seconds": traced["seconds"]}
            row["under_target"] = row["peak_rss_mb"] < TARGET_MB
            results[name] = row
            print(
                f"{name}: {row['entries']:,} entries, {row['skips']} skips in {row['seconds']}s = {row['entries_per_s']:,} entries/s; "
                f"peak RSS {row['peak_rss_mb']} MB (baseline {row['baseline_rss_mb']} MB before importing), "
                f"tracemalloc peak {row['tracemalloc_peak_mb']} MB; target < {TARGET_MB} MB: {'met' if row['under_target'] else 'MISSED'}"
            )
    results["python"] = sys.version.split()[0]
    results["cpus"] = os.cpu_count()
    out = ROOT / "results" / "import_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
