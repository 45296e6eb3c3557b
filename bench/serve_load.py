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

``--workers`` sets ``serve --workers`` (the processes that rank searches beside the server's
own; unset: serve's default, 1; 0: the server does everything in one process).
``--budget-ms`` sets the server's search budget (``SELFBOOK_SEARCH_BUDGET_MS``; 0: off, every
search waits for its query vector; unset: the ``serve`` default): a search whose query vector is
not ready within the budget answers from BM25 alone and says so (``"degraded": "lexical"``).

The clients draw from ``--queries`` distinct queries (default 2000, as runs before did; in 30 s
most come back, and the server's query-vector cache answers repeats: 100000 makes nearly every
query new). Each client speaks HTTP/1.1 on its own keep-alive connection through h11 (see
:class:`Connection`: a quarter of a millisecond of CPU a request); ``--client httpx`` uses one
httpx pool for all, as runs before did, which costs 3–5 ms of CPU a request at 50 connections,
on the cores the server needs. ``--reuse-book`` takes the book as it is (no rebuild).

Prints, and writes to ``bench/results/serve_load.json`` (one entry per setup: embedder, clients,
pause, budget, queries and client): requests per second, latency p50 / p90 / p99 / max, errors
(any status but 200, or a failed connection), the share of answers that were degraded, the share
of requests whose query had been asked before in the run, and the CPU time per request of the
server (with its workers) and of the load generator (all on the same cores). Targets: 0 errors, p99 ≤ 200 ms.

    python bench/serve_load.py [--clients 50] [--seconds 30] [--embedder e5-small] [--think-ms 0]
                               [--budget-ms MS] [--queries 2000] [--client h11|httpx] [--workers N]
                               [--reuse-book]
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
from typing import Awaitable, Callable
from urllib.parse import urlencode

import h11
import httpx

from selfbook import Library, load_settings

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from build_speed import SHARED, make_dump  # noqa: E402  (the same 10k dump)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(work: Path, entries: int, embedder: str, reuse: bool = False) -> tuple[Path, dict]:
    """The book, built (or found up to date) in ``work/book-<embedder>``; with ``reuse``, one
    already there is taken as it is."""
    book, dump = work / f"book-{embedder}", work / "dump.md"
    if reuse and (book / ".selfbook").is_dir():
        return book, {"entries": len(Library(book).entries()), "reused": True}
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


def start_server(book: Path, port: int, embedder: str, budget_ms: int | None = None, workers: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "SELFBOOK_EMBEDDER": embedder, "SELFBOOK_LLM": ""}
    env.pop("SELFBOOK_SEARCH_BUDGET_MS", None)
    env.pop("SELFBOOK_SERVE_WORKERS", None)
    if workers is not None:
        env["SELFBOOK_SERVE_WORKERS"] = str(workers)
    if budget_ms is not None:
        env["SELFBOOK_SEARCH_BUDGET_MS"] = str(budget_ms)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process ``pid`` and of the processes it started (its
    workers: ``serve --workers``), those still running (Linux)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Connection:
    """One client's keep-alive HTTP/1.1 connection, spoken through h11 (uvicorn's own protocol
    library): a load generator that costs about 0.25 ms of CPU a request. httpx costs 5 ms a
    request with 50 connections in one pool (its pool walks them all), more than the server's
    own work, on the same two cores; ``--client httpx`` measures with it, as runs before did."""

    IDLE_S = 2.0
    """A connection idle this long is opened afresh: the server closes one idle for 5 s, and a
    request sent just as it does would fail."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.used = 0.0

    async def get(self, target: str) -> tuple[int, bytes]:
        """``GET target``: the status and the body."""
        if self.streams is not None and time.monotonic() - self.used > self.IDLE_S:
            self.close()
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
            self.h11 = h11.Connection(h11.CLIENT)
        elif self.h11.our_state is h11.DONE:
            self.h11.start_next_cycle()
        reader, writer = self.streams
        try:
            request = h11.Request(method="GET", target=target, headers=[("Host", f"{self.host}:{self.port}")])
            writer.write(self.h11.send(request) + self.h11.send(h11.EndOfMessage()))
            status, body = 0, []
            while True:
                event = self.h11.next_event()
                if event is h11.NEED_DATA:
                    self.h11.receive_data(await reader.read(1 << 16))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    body.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    self.used = time.monotonic()
                    return status, b"".join(body)
        except BaseException:
            self.close()  # a broken or cancelled exchange: the next request opens a new connection
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def load(
    host: str, port: int, texts: list[str], clients: int, seconds: float, think: float, server_pid: int, kind: str = "h11"
) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    degraded: dict[str, int] = {}
    asked: set[str] = set()
    repeats = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=Connection.IDLE_S)
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", limits=limits, timeout=30) as web:

        def fetcher() -> Callable[[dict], Awaitable[tuple[int, bytes]]]:
            """A client's way to send a search: its own h11 connection, or the shared httpx pool."""
            if kind == "httpx":
                async def fetch(params: dict) -> tuple[int, bytes]:
                    response = await web.get("/api/search", params=params)
                    return response.status_code, response.content
            else:
                connection = Connection(host, port)

                async def fetch(params: dict) -> tuple[int, bytes]:
                    return await asyncio.wait_for(connection.get("/api/search?" + urlencode(params)), 30)
            return fetch

        # warm up: the server loads its search engine and model
        await asyncio.gather(*(fetcher()({"q": t}) for t in texts[:8]))
        deadline = time.perf_counter() + seconds

        async def client(number: int) -> None:
            nonlocal repeats
            rng, fetch = random.Random(number), fetcher()
            if think:  # people do not search in step: start at a random moment, pause a random while
                await asyncio.sleep(rng.uniform(0, think))
            while time.perf_counter() < deadline:
                query = rng.choice(texts)
                repeats += query in asked
                asked.add(query)
                start = time.perf_counter()
                try:
                    status, body = await fetch({"q": query, "limit": 10})
                    if status != 200:
                        errors[str(status)] = errors.get(str(status), 0) + 1
                    elif (how := json.loads(body).get("degraded")) is not None:
                        degraded[how] = degraded.get(how, 0) + 1
                except (httpx.HTTPError, h11.ProtocolError, OSError, asyncio.TimeoutError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    print(f"{type(exc).__name__} after {time.perf_counter() - began:.1f} s: {exc!r}", flush=True)
                latencies.append(time.perf_counter() - start)
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        began, server_cpu, client_cpu = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
        await asyncio.gather(*(client(i) for i in range(clients)))
        wall = time.perf_counter() - began
        server_cpu, client_cpu = cpu_seconds(server_pid) - server_cpu, time.process_time() - client_cpu
    ms = sorted(x * 1000 for x in latencies)
    pick = lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)  # noqa: E731
    return {
        "requests": len(ms), "wall_s": round(wall, 1), "requests_per_s": round(len(ms) / wall, 1),
        "p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99), "max_ms": round(ms[-1], 1),
        "errors": sum(errors.values()), "error_kinds": errors,
        "degraded_share": round(sum(degraded.values()) / max(1, len(ms)), 3), "degraded_kinds": degraded,
        "repeated_query_share": round(repeats / max(1, len(ms)), 3),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(ms)), 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(ms)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think-ms", type=float, default=0, help="mean pause between a client's searches (exponential; 0: none)")
    parser.add_argument("--budget-ms", type=int, help="the server's search budget (0: off; default: serve's own)")
    parser.add_argument("--queries", type=int, default=2000, help="distinct queries the clients draw from")
    parser.add_argument("--reuse-book", action="store_true", help="take the book in --work as it is (no rebuild)")
    parser.add_argument("--client", choices=("h11", "httpx"), default="h11", help="how the clients speak HTTP (see Connection)")
    parser.add_argument("--workers", type=int, help="search processes (serve --workers; 0: the server searches itself; default: serve's own)")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "serve_load")
    args = parser.parse_args()
    book, built = prepare(args.work, args.entries, args.embedder, args.reuse_book)
    texts = queries(book, args.queries)
    port = free_port()
    load_before = os.getloadavg()
    server = start_server(book, port, args.embedder, args.budget_ms, args.workers)
    try:
        result = asyncio.run(load("127.0.0.1", port, texts, args.clients, args.seconds, args.think_ms / 1000, server.pid, args.client))
    finally:
        server.terminate()
        server.wait(10)
    results = {
        "clients": args.clients, "seconds": args.seconds, "think_ms": args.think_ms, "embedder": args.embedder,
        "budget_ms": "serve default" if args.budget_ms is None else args.budget_ms, "queries": args.queries, "client": args.client,
        "workers": "serve default" if args.workers is None else args.workers,
        "measured": time.strftime("%Y-%m-%d %H:%M"), "book": built, "cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        **result,
    }
    print(json.dumps(results, indent=2))
    out = ROOT / "results" / "serve_load.json"
    out.parent.mkdir(exist_ok=True)
    runs = json.loads(out.read_text()) if out.exists() else {}
    budget = "default" if args.budget_ms is None else f"{args.budget_ms} ms"
    setup = f"{args.embedder}, {args.clients} clients, think {args.think_ms:g} ms, budget {budget}, {args.queries} queries, {args.client} client"
    if args.workers is not None:
        setup += f", {args.workers} search workers"
    runs[setup] = results  # one entry per setup
    out.write_text(json.dumps(runs, indent=2) + "\n")
    print(
        f"targets: 0 errors → {result['errors']}; p99 ≤ 200 ms → {result['p99_ms']} ms "
        f"({result['degraded_share']:.1%} of answers degraded)"
    )


if __name__ == "__main__":
    main()
