"""Dead links and their Wayback snapshots: looked up through the availability API behind its
configurable base URL (a fake one on 127.0.0.1 here), kept in the store, shown by ``selfbook
links`` and marked on the web pages; a snapshot URL that is not http(s) is never kept nor linked."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from link_server import LinkServer
from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.fetch import FetchOptions, fetch_links
from selfbook.fetch.client import find_snapshots
from selfbook.fetch.wayback import Snapshot, parse_available
from selfbook.store import open_store
from selfbook.web import create_app

SETTINGS = Settings(embedder="hashing", created="2026-01-01")
DAY = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def server():
    with LinkServer() as srv:
        yield srv


def options(server, **kw) -> FetchOptions:
    return FetchOptions(**{"allow_local": True, "deadline": 2.0, "timeout": 1.0, "wayback_api": server.url("/wayback/available"), **kw})


def answer(closest) -> bytes:
    return json.dumps({"archived_snapshots": {"closest": closest}}).encode()


def test_only_an_available_http_snapshot_counts():
    good = {"available": True, "url": "https://web.archive.org/web/2020/x", "timestamp": "20200101000000"}
    assert parse_available(answer(good)) == Snapshot("https://web.archive.org/web/2020/x", "20200101000000")
    assert parse_available(answer({**good, "timestamp": "<b>"})) == Snapshot(good["url"], "")
    for bad in ({**good, "url": "javascript:alert(1)//"}, {**good, "url": " data:text/html,x"}, {**good, "available": False},
                {**good, "url": "https://a.example/\nb"}, {**good, "url": 7}, None):
        assert parse_available(answer(bad)) is None, bad
    assert parse_available(b'{"archived_snapshots": {}}') is None
    assert parse_available(b"not json") is None


def test_the_wayback_api_passes_the_ssrf_guard(server):
    url = server.url("/gone/a")
    assert find_snapshots([url], options(server)) == {url: Snapshot(f"http://web.archive.org/web/2020/{url}", "20200101000000")}
    assert find_snapshots([url], options(server, allow_local=False)) == {}


def test_a_dead_link_gets_its_snapshot_on_fetch(tmp_path, server, store_url):
    urls = [server.url("/ok/1"), server.url("/gone/2"), server.url("/soft/3"), server.url("/hostile/4")]
    with open_store(tmp_path, store_url) as store:
        first = fetch_links(store, urls, options(server), now=DAY)
        assert first.archived == 0  # failing once is no death: nothing is asked
        second = fetch_links(store, urls, options(server), now=DAY + dt.timedelta(hours=1))
        assert second.dead == 3 and second.archived == 1
        links = store.load_links()
        gone = links[server.url("/gone/2")]
        assert (gone.archived_url, gone.archived_at, gone.archived_date) == (
            f"http://web.archive.org/web/2020/{gone.url}", "20200101000000", "2020-01-01")
        assert links[server.url("/soft/3")].archived_url == ""     # Wayback has no copy
        assert links[server.url("/hostile/4")].archived_url == ""  # its copy is a javascript: URL
        assert links[server.url("/ok/1")].archived_url == ""       # alive: never asked
        asked = [h for h in server.httpd.hits if h == "/wayback/available"]
        fetch_links(store, urls, options(server, wayback_api=""), now=DAY + dt.timedelta(days=31))
        assert store.load_links()[gone.url].archived_url == gone.archived_url  # a later fetch keeps it
        assert [h for h in server.httpd.hits if h == "/wayback/available"] == asked  # and "" asks nothing


def build_and_fetch(tmp_path, server, urls, *extra) -> tuple:
    tmp_path.mkdir(exist_ok=True)
    dump = tmp_path / "links.md"
    dump.write_text("".join(f"- {u}\n" for u in urls), encoding="utf-8")
    book = tmp_path / "book"
    runner = CliRunner(env={"SELFBOOK_EMBEDDER": "hashing", "SELFBOOK_CREATED": "2026-01-01",
                            "SELFBOOK_WAYBACK_URL": server.url("/wayback/available")})
    assert runner.invoke(main, ["build", str(dump), "--book", str(book)]).exit_code == 0
    for _run in range(2):  # dead only after two runs
        result = runner.invoke(main, ["fetch", "--book", str(book), "--allow-local", *extra])
        assert result.exit_code == 0, result.output
    links = [json.loads(line) for line in runner.invoke(main, ["links", "--book", str(book), "--json"]).output.splitlines()]
    return book, {x["url"]: x for x in links}


def test_links_json_shows_the_archived_url(tmp_path, server):
    dead, hostile, live = server.url("/gone/a?x=1&y=2"), server.url("/hostile/b"), server.url("/ok/c")
    book, links = build_and_fetch(tmp_path, server, [dead, hostile, live])
    assert links[dead]["dead"] and links[dead]["archived_url"] == f"http://web.archive.org/web/2020/{dead}"
    assert links[dead]["archived_at"] == "20200101000000"
    assert links[hostile]["dead"] and "archived_url" not in links[hostile]
    assert "archived_url" not in links[live]
    _book, without = build_and_fetch(tmp_path / "off", server, [server.url("/gone/z")], "--no-wayback")
    assert "archived_url" not in without[server.url("/gone/z")]


def test_the_web_marks_dead_links_and_links_only_http_copies(tmp_path, server):
    dead, hostile, live = server.url("/gone/a?x=1&y=2"), server.url("/hostile/b"), server.url("/ok/c")
    book, _links = build_and_fetch(tmp_path, server, [dead, hostile, live])
    with open_store(book / ".selfbook", "") as store:  # a hostile copy in the store (written by hand) is not linked either
        store.save_links([replace(store.load_links()[hostile], archived_url="javascript:alert(1)//")])
    web = TestClient(create_app(book, SETTINGS, make_library=lambda: Library(book, SETTINGS, embedder=HashingEmbedder())),
                     base_url="http://127.0.0.1")
    by_url = {p.entry.urls[0]: p.entry.id for p in Library(book, SETTINGS).entries() if p.entry.urls}

    data = web.get(f"/api/entries/{by_url[dead]}").json()
    assert data["links"] == [{"url": dead, "status": "gone", "dead": True, "archived_date": "2020-01-01",
                              "archived_url": f"http://web.archive.org/web/2020/{dead}"}]
    page = web.get(f"/entry/{by_url[dead]}").text
    assert '<span class="dead-link">dead link</span>' in page
    copy = html.escape(f"http://web.archive.org/web/2020/{dead}")
    assert "&amp;" in copy and f'<a class="archived" href="{copy}" rel="noopener noreferrer nofollow">archived copy, 2020-01-01</a>' in page

    hostile_page = web.get(f"/entry/{by_url[hostile]}").text
    assert "dead link" in hostile_page and "javascript:" not in hostile_page and "archived copy" not in hostile_page
    assert web.get(f"/api/entries/{by_url[hostile]}").json()["links"][0]["archived_url"] is None

    live_page = web.get(f"/entry/{by_url[live]}").text
    assert "dead link" not in live_page
    chapter = web.get(f"/chapter/{data['chapter_id']}").text
    assert chapter.count('class="dead-link"') >= 1 and copy in chapter
