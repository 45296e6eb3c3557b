"""How fast and how right `selfbook fetch` is against a local server of hostile pages.

A server on 127.0.0.1 (tests/link_server.py, in its own process) serves --pages links, mixed:
live pages, live pages behind 2 redirects, 404s, soft 404s, endless huge pages, slow drips,
and hosts that do not exist (.invalid). Every link is fetched once through the real engine
(`selfbook.fetch.fetch_links` into a SQLite store, `--allow-local`) and its outcome compared
with the kind of page it is: right or wrong (a live page is right only with its own title).
Reports links/s, the client's peak memory (ru_maxrss) and right/wrong counts; appends one line
to bench/results/fetch.jsonl with the date, commit and load average.

    python bench/fetch.py                 # 1,200 links
    python bench/fetch.py --pages 3000 --per-host 16
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))

from link_server import LinkServer  # noqa: E402
from selfbook.fetch import FetchOptions, fetch_links  # noqa: E402
from selfbook.store import open_store  # noqa: E402

MIX = [("ok", 60), ("hop", 10), ("gone", 14), ("soft", 5), ("huge", 4), ("drip", 3), ("dns", 4)]
EXPECT = {"ok": "ok", "hop": "ok", "gone": "gone", "soft": "soft-404", "huge": "ok", "drip": "timeout", "dns": "dns"}


def serve(port_box, stop) -> None:
    with LinkServer() as server:
        port_box.value = server.httpd.server_address[1]
        stop.wait()


def links(base: str, n: int) -> list[tuple[str, str, str]]:
    """(url, kind, expected title) for ``n`` links in the MIX proportions."""
    out, total = [], sum(w for _, w in MIX)
    for i in range(n):
        slot, kind = i % total, None
        for name, weight in MIX:
            if slot < weight:
                kind = name
                break
            slot -= weight
        url = {
            "ok": f"{base}/ok/{i}", "hop": f"{base}/hop/2/{i}", "gone": f"{base}/gone/{i}", "soft": f"{base}/soft/{i}",
            "huge": f"{base}/huge/{i}", "drip": f"{base}/drip/{i}", "dns": f"http://host{i}.invalid/",
        }[kind]
        title = {"ok": f"Page {i}", "hop": f"Page {i}", "huge": "Huge page"}.get(kind, "")
        out.append((url, kind, title))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1200)
    parser.add_argument("--per-host", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--deadline", type=float, default=3.0)
    args = parser.parse_args()
    port, stop = multiprocessing.Value("i", 0), multiprocessing.Event()
    proc = multiprocessing.Process(target=serve, args=(port, stop), daemon=True)
    proc.start()
    while not port.value:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port.value}"
    cases = links(base, args.pages)
    options = FetchOptions(allow_local=True, per_host=args.per_host, concurrency=args.concurrency, deadline=args.deadline,
                           timeout=2.0, max_bytes=1_000_000)
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp)) as store:
        start = time.perf_counter()
        report = fetch_links(store, [u for u, _, _ in cases], options)
        seconds = time.perf_counter() - start
        found = store.load_links()
    stop.set()
    proc.join(5)
    right = wrong = 0
    wrong_examples = []
    for url, kind, title in cases:
        link = found[url]
        ok = link.status == EXPECT[kind] and (not title or link.title == title)
        right += ok
        wrong += not ok
        if not ok and len(wrong_examples) < 5:
            wrong_examples.append({"url": url, "kind": kind, "status": link.status, "title": link.title})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    row = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit, "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "cpus": os.cpu_count(), "links": len(cases), "mix": dict(MIX), "per_host": args.per_host, "concurrency": args.concurrency,
        "deadline_s": args.deadline, "seconds": round(seconds, 2), "links_per_s": round(len(cases) / seconds, 1),
        "peak_rss_mb": round(peak_mb, 1), "right": right, "wrong": wrong, "wrong_examples": wrong_examples,
        "report": {k: v for k, v in report.to_dict().items() if k not in ("newly_dead", "book")},
    }
    print(json.dumps(row, indent=2))
    out = ROOT / "results" / "fetch.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
