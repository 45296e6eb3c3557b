"""Import speed and memory of the browsers' own bookmark files and Linkwarden's export at
~100,000 bookmarks (a benchmark, not a test).

Generates, with a fixed seed, one tree of folders (nested up to five deep, English and Kannada
titles) and writes it as Chrome's ``Bookmarks`` (pretty-printed, as Chrome does), a Firefox
backup (``.json`` on one line, and the same as ``.jsonlz4``), Safari's binary
``Bookmarks.plist`` and a Linkwarden export (one collection per top folder). Each file is
imported through ``selfbook.importers.iter_source`` in a fresh child process (entries counted,
not kept), once plain for time and peak resident memory and once under ``tracemalloc`` for the
peak of memory Python allocated during the import; see ``bench/import_speed.py``, whose
``--measure`` this reuses.

    python bench/import_formats.py [--bookmarks 100000]

Every run is appended to bench/results/import_formats.jsonl with its date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import plistlib
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lz4.block

from import_speed import HOSTS, WORDS, _title, in_child

ROOT = Path(__file__).resolve().parent
CHROME_EPOCH_OFFSET_US = 11_644_473_600_000_000


def make_tree(bookmarks: int, seed: int = 7) -> list[dict]:
    """Top folders of nested folders and bookmarks: ``{"title", "children"}`` / ``{"title", "url", "added"}``."""
    rng = random.Random(seed)
    tops = [{"title": name, "children": []} for name in ("Bookmarks bar", "Other bookmarks")]
    path = [tops[0]]
    for n in range(bookmarks):
        if rng.random() < 0.02 and len(path) < 6:
            folder = {"title": _title(rng), "children": []}
            path[-1]["children"].append(folder)
            path.append(folder)
        elif rng.random() < 0.02 and len(path) > 1:
            path.pop()
        elif rng.random() < 0.001:
            path = [tops[1]]
        url = f"https://{rng.choice(HOSTS)}/{rng.choice(WORDS)}-{n}"
        path[-1]["children"].append({"title": _title(rng), "url": url, "added": 1_500_000_000 + rng.randint(0, 2 * 10**8)})
    return tops


def chrome(node: dict, ids: list[int]) -> dict:
    ids[0] += 1
    if "url" in node:
        return {"date_added": str(node["added"] * 1_000_000 + CHROME_EPOCH_OFFSET_US), "guid": f"g{ids[0]}", "id": str(ids[0]),
                "name": node["title"], "type": "url", "url": node["url"]}
    return {"children": [chrome(c, ids) for c in node["children"]], "date_added": "13300000000000000", "id": str(ids[0]),
            "name": node["title"], "type": "folder"}


def firefox(node: dict) -> dict:
    if "url" in node:
        return {"title": node["title"], "dateAdded": node["added"] * 1_000_000, "typeCode": 1, "type": "text/x-moz-place",
                "tags": "a,b", "uri": node["url"]}
    return {"title": node["title"], "typeCode": 2, "type": "text/x-moz-place-container", "children": [firefox(c) for c in node["children"]]}


def safari(node: dict) -> dict:
    if "url" in node:
        return {"URIDictionary": {"title": node["title"]}, "URLString": node["url"], "WebBookmarkType": "WebBookmarkTypeLeaf"}
    return {"Title": node["title"], "WebBookmarkType": "WebBookmarkTypeList", "Children": [safari(c) for c in node["children"]]}


def flat(node: dict) -> list[dict]:
    return [node] if "url" in node else [b for c in node["children"] for b in flat(c)]


def write_files(folder: Path, tops: list[dict]) -> dict[str, Path]:
    files = {name: folder / name for name in ("Bookmarks", "bookmarks.json", "bookmarks.jsonlz4", "Bookmarks.plist", "linkwarden.json")}
    ids = [0]
    roots = {"bookmark_bar": chrome(tops[0], ids), "other": chrome(tops[1], ids)}
    files["Bookmarks"].write_text(json.dumps({"checksum": "0" * 32, "roots": roots, "version": 1}, indent=3, ensure_ascii=False), encoding="utf-8")
    backup = json.dumps({"guid": "root________", "title": "", "typeCode": 2, "root": "placesRoot", "children": [firefox(t) for t in tops]},
                        ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    files["bookmarks.json"].write_bytes(backup)
    files["bookmarks.jsonlz4"].write_bytes(b"mozLz40\0" + lz4.block.compress(backup))
    plist = {"Title": "", "WebBookmarkType": "WebBookmarkTypeList", "WebBookmarkFileVersion": 1,
             "Children": [safari({"title": "BookmarksBar", "children": tops[0]["children"]}), safari(tops[1])]}
    files["Bookmarks.plist"].write_bytes(plistlib.dumps(plist, fmt=plistlib.FMT_BINARY))
    collections = [{"name": t["title"], "links": [{"name": b["title"], "type": "url", "url": b["url"], "description": "", "tags": [{"name": "x"}],
                                                   "createdAt": dt.datetime.fromtimestamp(b["added"], dt.timezone.utc).isoformat()} for b in flat(t)]}
                   for t in tops]
    files["linkwarden.json"].write_text(json.dumps({"name": "bench", "collections": collections, "pinnedLinks": []}, ensure_ascii=False), encoding="utf-8")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookmarks", type=int, default=100_000)
    parser.add_argument("--write", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_files(Path(args.write), make_tree(args.bookmarks))
        return
    start = time.perf_counter()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        # written by a child process: Linux keeps a process's peak RSS across fork and exec, so the
        # measuring children must come from a parent that never held the generated tree
        subprocess.run([sys.executable, __file__, "--write", tmp, "--bookmarks", str(args.bookmarks)], check=True)
        results = {}
        for name in ("Bookmarks", "bookmarks.json", "bookmarks.jsonlz4", "Bookmarks.plist", "linkwarden.json"):
            path = Path(tmp) / name
            plain, traced = in_child(path, False), in_child(path, True)
            row = {"megabytes": round(path.stat().st_size / 1e6, 1), **plain, "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"]}
            results[name] = row
            print(f"{name}: {row['megabytes']} MB, {row['entries']:,} entries, {row['skips']} skips in {row['seconds']}s; "
                  f"peak RSS {row['peak_rss_mb']} MB (baseline {row['baseline_rss_mb']} MB), tracemalloc peak {row['tracemalloc_peak_mb']} MB")
    record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit,
              "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
              "bookmarks": args.bookmarks, "python": sys.version.split()[0], "cpus": os.cpu_count(), "results": results}
    out = ROOT / "results" / "import_formats.jsonl"
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    print(f"appended to {out} ({time.perf_counter() - start:.0f}s in all)")


if __name__ == "__main__":
    main()
