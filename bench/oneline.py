"""One-line notes: how often the markdown reader gets a line's title, note and date right.

Each line of ``bench/oneline_labels.jsonl`` is read as a dump of its own (the line, then a
newline) by :func:`selfbook.ingest.parse_markdown`, and its one entry is compared with the hand
label: ``title``, ``note`` and ``date`` (ISO day, or ``start/end`` for a month; null when the
line has none), and ``split`` (whether the line holds more than its title). The labels were
written before the splitter, and split once into ``dev`` (for choosing its rules) and ``test``
(reported) by a hash of the line, recorded in the file.

Scores, per set:

- **title exact**: the share of lines whose title is exactly the label's;
- **false splits**: lines that must keep their title whole (``split`` false) whose title changed;
- **missed splits**: lines that hold a note or a date (``split`` true) whose title still holds
  more than the label's title (nothing was split off);
- **wrong splits**: lines split, but not where the label says;
- **note exact**, **date exact**: the shares whose note and date are the label's.

    python bench/oneline.py [--set test|dev|all] [--show] [--src DIR] [--commit SHA]

``--src`` reads selfbook from another checkout's ``src`` (say main's, for the numbers before);
``--commit`` names its commit in the results. Every run is appended to
``bench/results/oneline.jsonl`` with its date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LABELS = ROOT / "oneline_labels.jsonl"
RESULTS = ROOT / "results" / "oneline.jsonl"


def read(line: str):
    from selfbook.ingest import parse_markdown

    dump = parse_markdown(line + "\n", "oneline.md")
    if len(dump.entries) != 1:
        return None
    entry = dump.entries[0]
    return entry.title or "", entry.note, entry.date.iso() if entry.date else None


def score(rows: list[dict], show: bool) -> dict:
    counts = dict.fromkeys(("title_exact", "note_exact", "date_exact", "false_splits", "missed_splits", "wrong_splits"), 0)
    keep = [r for r in rows if not r["split"]]
    split = [r for r in rows if r["split"]]
    for row in rows:
        got = read(row["line"])
        title, note, date = got if got else ("", "", None)
        right = title == row["title"]
        counts["title_exact"] += right
        counts["note_exact"] += note == row["note"]
        counts["date_exact"] += date == row["date"]
        if not right:
            if not row["split"]:
                counts["false_splits"] += 1
            elif len(title) > len(row["title"]) and title.startswith(row["title"]):
                counts["missed_splits"] += 1
            else:
                counts["wrong_splits"] += 1
        if show and (not right or note != row["note"] or date != row["date"]):
            print(f"#{row['id']} ({row['set']}, {'split' if row['split'] else 'keep'}): {row['line']}")
            print(f"    want {row['title']!r} | {row['note']!r} | {row['date']}")
            print(f"    got  {title!r} | {note!r} | {date}")
    n = len(rows)
    return {
        "lines": n, "keep": len(keep), "split": len(split),
        "title_exact": round(counts["title_exact"] / n, 3) if n else None,
        "note_exact": round(counts["note_exact"] / n, 3) if n else None,
        "date_exact": round(counts["date_exact"] / n, 3) if n else None,
        "false_splits": counts["false_splits"], "missed_splits": counts["missed_splits"], "wrong_splits": counts["wrong_splits"],
    }


def commit(src: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--", "src"], capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("test", "dev", "all"), default="test")
    parser.add_argument("--show", action="store_true", help="print every line not read as labelled")
    parser.add_argument("--src", type=Path, help="read selfbook from this folder (a checkout's src)")
    parser.add_argument("--commit", help="the commit --src holds, for the results file")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = rows if args.set == "all" else [r for r in rows if r["set"] == args.set]
    result = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": args.commit or commit(ROOT.parent),
        "src": str(args.src) if args.src else "this checkout",
        "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else os.getloadavg(),
        "set": args.set,
        **score(chosen, args.show),
    }
    print(json.dumps(result, ensure_ascii=False))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
