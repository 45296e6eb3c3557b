"""``selfbook serve --workers``: searches ranked in worker processes (real spawned processes,
on a book built with the hashing embedder), the query vectors found in the server's process.

A search through the pool must answer exactly as the same search in the server's process does,
tell a query vector that was not ready in time as the in-process search does, see a change of
the book at once, and go on after a worker dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import pg_helpers
from conftest import SMALL_DUMP, HeldEmbedder, copy_of_book
from selfbook import Library, Settings
from selfbook.embed import HashingEmbedder
from selfbook.web import create_app, views
from selfbook.web.api import error_status
from selfbook.web.searchpool import SearchPool, SearchUnavailable

SETTINGS = Settings(embedder="hashing", created="2026-01-01")
BASE = "http://127.0.0.1:8765"
SEARCHES = [
    {"q": "dosa batter"},
    {"q": "ಕನ್ನಡ"},
    {"q": "retrieval augmented generation", "limit": 3},
    {"q": "transformers", "method": "dense"},
    {"q": "transformers", "method": "lexical"},
    {"q": "graph networks", "kind": "paper"},
    {"q": "!!!"},  # no words: nothing found, no vector needed
]


def app_for(book: Path, embedder=None):
    embedder = embedder or HashingEmbedder()
    return create_app(book, SETTINGS, make_library=lambda: Library(book, SETTINGS, embedder=embedder))


@pytest.fixture(scope="module")
def built(tmp_path_factory, templates) -> Path:
    return templates.copy("sqlite", {"self.md": SMALL_DUMP}, tmp_path_factory.mktemp("pool") / "book").book_dir


@pytest.fixture(scope="module")
def pooled(built: Path):
    """A test client of the app with two search workers."""
    app = app_for(built)
    pool = app.state.search_pool = SearchPool(built, app.state.service, SETTINGS, workers=2)
    pids = pool.warm()
    assert len(set(pids)) == 2 and os.getpid() not in pids  # each worker warmed, none is this process
    try:
        yield TestClient(app, base_url=BASE)
    finally:
        pool.close()


def test_a_search_in_a_worker_answers_as_the_server_process_does(built: Path, pooled: TestClient):
    alone = TestClient(app_for(built), base_url=BASE)
    for params in SEARCHES:
        got, want = pooled.get("/api/search", params=params), alone.get("/api/search", params=params)
        assert got.status_code == want.status_code == 200, params
        assert got.headers["content-type"] == "application/json"
        assert got.json() == want.json(), params
    assert any(pooled.get("/api/search", params=p).json()["results"] for p in SEARCHES)
    page = pooled.get("/search", params={"q": "dosa batter"})
    ids = [r["id"] for r in alone.get("/api/search", params={"q": "dosa batter"}).json()["results"]]
    assert page.status_code == 200 and all(f"/entry/{i}" in page.text for i in ids)


def test_a_bad_search_is_told_as_the_server_process_tells_it(built: Path, pooled: TestClient):
    alone = TestClient(app_for(built), base_url=BASE)
    for params in [{"q": "dosa", "method": "fuzzy"}, {"q": "dosa", "since": "last week"}, {"q": "dosa", "chapter": "No such chapter"}]:
        got, want = pooled.get("/api/search", params=params), alone.get("/api/search", params=params)
        assert got.status_code == want.status_code == 400, params
        assert got.json() == want.json(), params


def test_a_query_vector_not_ready_in_time_ranks_by_words_and_says_so(built: Path):
    held = HeldEmbedder()
    app = app_for(built, held)
    pool = app.state.search_pool = SearchPool(built, app.state.service, SETTINGS, workers=1)
    pool.warm()
    web = TestClient(app, base_url=BASE)
    try:
        assert web.get("/api/search", params={"q": "dosa batter"}).json()["degraded"] is None  # the model is warm
        held.go.clear()
        held.busy.clear()
        other = threading.Thread(target=app.state.service.search, args=("a search that keeps the model busy",), kwargs={"budget_ms": 0})
        other.start()
        try:
            assert held.busy.wait(30)
            late = web.get("/api/search", params={"q": "fermented batter"}).json()
            assert not held.go.is_set()  # answered while the model was busy
        finally:
            held.go.set()
            other.join(30)
        assert late["degraded"] == "lexical" and "words only" in late["note"]
        lexical = Library(built, SETTINGS, embedder=HashingEmbedder()).search("fermented batter", method="lexical")
        assert [r["id"] for r in late["results"]] == [h.placed.entry.id for h in lexical] and late["results"]
        # the late query was embedded all the same (the backlog): asked again, it is answered in full
        deadline = time.monotonic() + 30
        while app.state.service.cached_query_vector("fermented batter") is None:
            assert time.monotonic() < deadline, "the late query was never embedded"
            time.sleep(0.01)
        assert web.get("/api/search", params={"q": "fermented batter"}).json()["degraded"] is None
    finally:
        pool.close()


def test_a_change_of_the_book_shows_in_the_workers_next_search(built: Path, tmp_path: Path):
    book = copy_of_book(built, tmp_path)
    app = app_for(book)
    pool = app.state.search_pool = SearchPool(book, app.state.service, SETTINGS, workers=1)
    pool.warm()
    web = TestClient(app, base_url=BASE)
    try:
        hit = web.get("/api/search", params={"q": "dosa batter"}).json()["results"][0]
        library = Library(book, SETTINGS, embedder=HashingEmbedder())
        target = next(f"{c.title}/{s.title}" for c in library.outline().chapters for s in c.sections if s.id != hit["section_id"])
        library.move(hit["id"], target)  # as `selfbook move` in a shell would
        moved = next(r for r in web.get("/api/search", params={"q": "dosa batter"}).json()["results"] if r["id"] == hit["id"])
        assert f"{moved['chapter']}/{moved['section']}" == target
    finally:
        pool.close()


def test_a_worker_that_dies_is_replaced(built: Path):
    app = app_for(built)
    pool = app.state.search_pool = SearchPool(built, app.state.service, SETTINGS, workers=1)
    (pid,) = pool.warm()
    params = views.SearchParams(q="dosa batter")
    want = pool.search_now(params)
    try:
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:  # the search that meets the dead worker is told to search again; the next runs anew
            try:
                got = pool.search_now(params)
                break
            except SearchUnavailable as exc:
                assert "search again" in str(exc) and error_status(exc) == 503
                assert time.monotonic() < deadline, "the pool never came back"
                time.sleep(0.05)
        assert got == want
    finally:
        pool.close()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "term", "kill"])
def test_serve_searches_in_a_worker_and_stops_it_when_it_stops(built: Path, tmp_path: Path, stop: signal.Signals):
    """The real command: `selfbook serve --workers 1` answers searches, and however it is
    stopped (Ctrl-C, a service manager's SIGTERM, SIGKILL) it leaves no process behind."""
    book = copy_of_book(built, tmp_path)
    with socket_port() as port:
        pass
    env = {**os.environ, "SELFBOOK_EMBEDDER": "hashing", "SELFBOOK_LLM": ""}
    server = subprocess.Popen(
        [sys.executable, "-c", "from selfbook.cli import main; main()", "serve", "--book", str(book), "--port", str(port), "--workers", "1"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    workers: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the server stopped"
            try:
                answer = httpx.get(base + "/api/search", params={"q": "dosa batter"}, timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["results"]
        workers = children(server.pid)
        assert workers, "no search worker was started"
    finally:
        server.send_signal(stop)
        try:
            _, said = server.communicate(timeout=30)  # ends when every process holding its stderr has
        except subprocess.TimeoutExpired:
            said = None
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in workers if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert not left, "a search worker outlived the server"
    assert said is not None and "search worker" in said
    if stop != signal.SIGKILL:  # stopped, not killed: the pool was closed, nothing left to clean up
        assert "leaked" not in said, said


class socket_port:
    """A free loopback port (the socket is closed when the block ends)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *_) -> None:
        self.sock.close()


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that still run (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def test_workers_search_a_book_kept_in_postgresql(tmp_path: Path, small_dump: Path):
    """The workers open the store the settings name: a PostgreSQL book answers through the pool
    as in the server's process."""
    settings = Settings(embedder="hashing", created="2026-01-01", store=pg_helpers.fresh_database())
    book = tmp_path / "book"
    Library(book, settings, embedder=HashingEmbedder()).build([small_dump])
    make = lambda: Library(book, settings, embedder=HashingEmbedder())  # noqa: E731
    alone = TestClient(create_app(book, settings, make_library=make), base_url=BASE)
    app = create_app(book, settings, make_library=make)
    pool = app.state.search_pool = SearchPool(book, app.state.service, settings, workers=1)
    pool.warm()
    try:
        pooled = TestClient(app, base_url=BASE)
        for params in SEARCHES[:4]:
            assert pooled.get("/api/search", params=params).json() == alone.get("/api/search", params=params).json(), params
    finally:
        pool.close()
