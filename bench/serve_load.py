"""Load on ``selfbook serve``: concurrent clients searching a 10,000-entry book (a benchmark, not a test).

The book is the 10,000-entry dump of ``bench/build_speed.py`` (made from ../shared/bench), built
with the real model. The build reuses an embedding cache when it can: the book in
``bench/.cache/build_speed`` (left by that benchmark) seeds this one, so only the map and the
files are new; without it the first run embeds every entry (about 5 minutes on 2 cores).
``--embedder hashing`` builds in seconds instead, for a quick run.

The server runs as its own process (``selfbook serve`` on 127.0.0.1), so the clients do not share
its interpreter. Each of ``--clients`` clients (default 50) searches without pause for
``--seconds`` (default 30): it sends one ``GET /api/search`` and waits for the answer before the
next, with queries drawn from the book's own titles (two to four words, some cut mid-word, as
typed). ``--think-ms`` adds a pause between a client's searches (0: none, the hardest case).

Prints, and writes to ``bench/results/serve_load.json`` (one entry per embedder, clients and
pause): requests per second, latency p50 / p90 / p99 / max, and errors (any status but 200, or a
failed connection). Targets: 0 errors, p99 ≤ 200 ms.

    python bench/serve_load.py [--clients 50] [--seconds 30] [--embedder e5-small] [--think-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from selfbook import Library, load_settings

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from build_speed import SHARED, make_dump  # noqa: E402  (the same 10k dump)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(work: Path, entries: int, embedder: str) -> tuple[Path, dict]:
    """The book, built (or found up to date) in ``work/book-<embedder>``."""
    book, dump = work / f"book-{embedder}", work / "dump.md"
    work.mkdir(parents=True, exist_ok=True)
    if not dump.exists():
        if not SHARED.is_dir():
            sys.exit(f"{SHARED}: benchmark data not found (it lives beside the project in ../shared/bench)")
        dump.write_text(make_dump(entries), encoding="utf-8")
    seed = ROOT / ".cache" / "build_speed" / "book" / ".selfbook" / "book.db"
    if not book.exists() and embedder == "e5-small" and seed.exists():
        (book / ".selfbook").mkdir(parents=True)
        shutil.copy(seed, book / ".selfbook" / "book.db")  # its embedding cache; the build rewrites the rest
        print(f"seeded the embedding cache from {seed}", flush=True)
    start = time.perf_counter()
    report = Library(book, load_settings(book, embedder=embedder)).build([dump])
    built = {"entries": report.entries, "embedded": report.embedded, "cached": report.cached, "build_s": round(time.perf_counter() - start, 1)}
    print(f"book: {json.dumps(built)}", flush=True)
    return book, built


def queries(book: Path, n: int = 2000, seed: int = 0) -> list[str]:
    """Queries as people type them: 2–4 words from the book's titles, a quarter cut mid-word."""
    rng = random.Random(seed)
    titles = [p.entry.title.split() for p in Library(book).entries()]
    titles = [t for t in titles if len(t) >= 2]
    out = []
    for _ in range(n):
        words = rng.choice(titles)
        start = rng.randrange(0, max(1, len(words) - 1))
        text = " ".join(words[start : start + rng.randint(2, 4)])
        if rng.random() < 0.25 and len(text) > 6:
            text = text[: rng.randint(4, len(text) - 1)]
        out.append(text)
    return out


def start_server(book: Path, port: int, embedder: str) -> subprocess.Popen:
    env = {**os.environ, "SELFBOOK_EMBEDDER": embedder, "SELFBOOK_LLM": ""}
    command = [sys.executable, "-c", "from selfbook.web.commands import serve; serve()", "--book", str(book), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped: {server.stderr.read().decode(errors='replace')}")
        try:
            if httpx.get(base + "/api/book", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    sys.exit("the server did not start within 120 s")


async def load(base: str, texts: list[str], clients: int, seconds: float, think: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as web:
        # warm up: every reader Library loads its search engine and model
        await asyncio.gather(*(web.get("/api/search", params={"q": t}) for t in texts[:8]))
        deadline = time.perf_counter() + seconds

        async def client(number: int) -> None:
            rng = random.Random(number)
            if think:  # people do not search in step: start at a random moment, pause a random while
                await asyncio.sleep(rng.uniform(0, think))
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    response = await web.get("/api/search", params={"q": rng.choice(texts), "limit": 10})
                    if response.status_code != 200:
                        errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    print(f"{type(exc).__name__} after {time.perf_counter() - began:.1f} s: {exc!r}", flush=True)
                latencies.append(time.perf_counter() - start)
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        began = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        wall = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    pick = lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)  # noqa: E731
    return {
        "requests": len(ms), "wall_s": round(wall, 1), "requests_per_s": round(len(ms) / wall, 1),
        "p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99), "max_ms": round(ms[-1], 1),
        "errors": sum(errors.values()), "error_kinds": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between a client's searches (exponential; 0: none)")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "serve_load")
    args = parser.parse_args()
    book, built = prepare(args.work, args.entries, args.embedder)
    texts = queries(book)
    port = free_port()
    load_before = os.getloadavg()
    server = start_server(book, port, args.embedder)
    try:
        result = asyncio.run(load(f"http://127.0.0.1:{port}", texts, args.clients, args.seconds, args.think_ms / 1000))
    finally:
        server.terminate()
        server.wait(10)
    results = {
        "clients": args.clients, "seconds": args.seconds, "think_ms": args.think_ms, "embedder": args.embedder,
        "book": built, "cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        **result,
    }
    print(json.dumps(results, indent=2))
    out = ROOT / "results" / "serve_load.json"
    out.parent.mkdir(exist_ok=True)
    runs = json.loads(out.read_text()) if out.exists() else {}
    runs[f"{args.embedder}, {args.clients} clients, think {args.think_ms:g} ms"] = results  # one entry per setup
    out.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"targets: 0 errors → {result['errors']}; p99 ≤ 200 ms → {result['p99_ms']} ms")


if __name__ == "__main__":
    main()
