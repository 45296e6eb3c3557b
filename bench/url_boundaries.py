"""Where URLs end in running text: the shared pattern (``selfbook.text.WEB_URL``, which stops at
CJK, Indic and Thai text and CJK punctuation) against the pattern selfbook used before it (a URL
ran to the next space, ``<``, ``>``, ``"`` or backtick), over every text file given (a benchmark,
not a test).

Counts the URLs the old pattern finds, how many the new one ends elsewhere, and prints up to 20
of those; on English collections the two should agree everywhere.

    python bench/url_boundaries.py ../shared/bench/organize/*.jsonl ../shared/bench/incremental/*.jsonl

Results are appended to bench/results/url_boundaries.jsonl with the date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import regex

from selfbook.text import WEB_URL

OLD = regex.compile(r"https?://[^\s<>\"`]+", regex.IGNORECASE)
NEW = regex.compile(WEB_URL, regex.IGNORECASE)
RESULTS = Path(__file__).resolve().parent / "results" / "url_boundaries.jsonl"


def compare(paths: list[Path]) -> dict:
    found = changed = 0
    examples: list[tuple[str, str, str]] = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in OLD.finditer(text):
            found += 1
            new = NEW.match(text, match.start())
            if new is None or new[0] != match[0]:
                changed += 1
                if len(examples) < 20:
                    examples.append((path.name, match[0][:100], new[0][:100] if new else ""))
    return {"files": len(paths), "urls": found, "ended_elsewhere": changed, "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    result = compare(args.paths)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit,
              "loadavg": os.getloadavg()[0], "inputs": [p.name for p in args.paths], **result}
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    json.dump(record, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
