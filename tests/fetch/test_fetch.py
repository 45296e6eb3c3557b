"""selfbook fetch / links: pages read politely and defensively from a server on 127.0.0.1,
what entries learn from them, and dead links noticed only after failures on separate runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from link_server import LinkServer
from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.fetch import FetchOptions, enrich, fetch_links, fetch_urls
from selfbook.fetch.guard import is_public
from selfbook.fetch.page import decode, is_soft_404, parse_html
from selfbook.models import Link
from selfbook.store import open_store

PAGES = {
    "/og": (200, {}, b"<html lang='fr'><head><title>Plain title</title>"
                     b"<meta property='og:title' content='The OG &amp; title'>"
                     b"<meta property='og:description' content='What the page is about.'>"
                     b"<meta property='article:published_time' content='2024-03-05T10:00:00Z'></head><body></body></html>"),
    "/latin1": (200, {"Content-Type": "text/html; charset=iso-8859-1"}, "<title>Café crème</title>".encode("cp1252")),
    "/metacharset": (200, {"Content-Type": "text/html"}, "<meta charset='windows-1251'><title>Привет</title>".encode("cp1251")),
    "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 not html"),
    "/script": (200, {}, b"<title>&lt;script&gt;alert(1)&lt;/script&gt; <b>bold</b></title>"),
    "/teapot": (500, {}, b"<title>Server error</title>"),
}


@pytest.fixture(scope="module")
def server():
    with LinkServer(PAGES) as srv:
        yield srv


def options(server, **kw) -> FetchOptions:
    base = dict(allow_local=True, deadline=2.0, timeout=1.0, max_bytes=300_000,
                arxiv_api=server.url("/arxiv/query"), crossref_api=server.url("/crossref"))
    return FetchOptions(**{**base, **kw})


def fetched(server, paths, **kw):
    urls = [p if "://" in p else server.url(p) for p in paths]
    return {a.url: a for a in fetch_urls(urls, options(server, **kw))}


def test_pages_say_what_they_are(server):
    got = fetched(server, ["/og", "/latin1", "/metacharset", "/pdf", "/ok/7", "/hop/3/z"])
    og = got[server.url("/og")]
    assert (og.status, og.meta.title, og.meta.description, og.meta.lang) == ("ok", "The OG & title", "What the page is about.", "fr")
    assert og.meta.published.startswith("2024-03-05")
    assert got[server.url("/latin1")].meta.title == "Café crème"
    assert got[server.url("/metacharset")].meta.title == "Привет"
    pdf = got[server.url("/pdf")]
    assert (pdf.status, pdf.content_type, pdf.meta.title) == ("ok", "application/pdf", "")
    assert got[server.url("/ok/7")].meta.description.startswith("words of the page")
    hop = got[server.url("/hop/3/z")]
    assert (hop.status, hop.meta.title, hop.final_url) == ("ok", "Page z", server.url("/ok/z"))


def test_hostile_pages_are_cut_off(server):
    got = fetched(server, ["/huge/1", "/bomb", "/drip/1", "/loop/a", "/hop/9/far"], max_redirects=5)
    assert (got[server.url("/huge/1")].status, got[server.url("/huge/1")].meta.title) == ("ok", "Huge page")
    assert (got[server.url("/bomb")].status, got[server.url("/bomb")].meta.title) == ("ok", "Bomb")
    assert got[server.url("/drip/1")].status == "timeout"
    assert got[server.url("/loop/a")].error == "redirect loop"
    assert got[server.url("/hop/9/far")].error == "more than 5 redirects"


def test_failures_are_told_apart(server):
    got = fetched(server, ["/gone/1", "/soft/1", "/teapot", "/private/x", "http://nowhere.invalid/", "http://127.0.0.1:9/"])
    assert {u.replace(server.base, ""): a.status for u, a in got.items()} == {
        "/gone/1": "gone", "/soft/1": "soft-404", "/teapot": "error", "/private/x": "robots",
        "http://nowhere.invalid/": "dns", "http://127.0.0.1:9/": "refused",
    }


def test_local_addresses_are_refused_unless_allowed(server):
    got = fetched(server, ["/ok/1", "/hop/1/x"], allow_local=False)
    assert {a.status for a in got.values()} == {"blocked"}
    assert "--allow-local" in got[server.url("/ok/1")].error
    assert not any(map(is_public, ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "::1", "fe80::1", "224.0.0.1",
                                   "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1"]))
    assert is_public("93.184.216.34") and is_public("2606:4700::1111")


def test_papers_resolve_through_their_apis(server):
    got = fetched(server, ["https://arxiv.org/abs/2405.00208", "https://arxiv.org/abs/2405.99999",
                           "https://doi.org/10.1234/abc", "https://doi.org/10.1234/none"])
    paper = got["https://arxiv.org/abs/2405.00208"]
    assert (paper.status, paper.meta.title, paper.authors, paper.meta.published) == (
        "ok", "A Paper on Things", ("Ada Lovelace", "Alan Turing"), "2024-05-01")
    assert got["https://arxiv.org/abs/2405.99999"].status == "gone"
    article = got["https://doi.org/10.1234/abc"]
    assert (article.meta.title, article.authors, article.meta.published, article.meta.description) == (
        "A Journal Article", ("Grace Hopper",), "2019-03-02", "An abstract.")
    assert got["https://doi.org/10.1234/none"].status == "gone"


def test_parsing_keeps_text_only():
    meta = parse_html("<title>  A\n\ttitle\x00 </title><meta name=description content='" + "long " * 300 + "'>")
    assert meta.title == "A title" and len(meta.description) <= 500 and meta.description.endswith("…")
    assert decode("café".encode("utf-8")) == "café" and decode("café".encode("cp1252")) == "café"
    assert is_soft_404("404 — Page Not Found") and is_soft_404("Sorry, this page doesn't exist") and is_soft_404("Error 404")
    assert not is_soft_404("Page 404") and not is_soft_404("HTTP status codes explained")


def test_a_link_is_dead_only_after_failing_on_two_runs(tmp_path, server, store_url):
    urls = [server.url("/ok/1"), server.url("/gone/2"), server.url("/teapot")]
    day = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with open_store(tmp_path, store_url) as store:
        first = fetch_links(store, urls, options(server), now=day)
        assert (first.fetched, first.failed, first.dead, first.unchanged) == (1, 2, 0, 0)
        second = fetch_links(store, urls, options(server), now=day + dt.timedelta(hours=1))
        assert (second.fetched, second.failed, second.dead, second.unchanged) == (0, 1, 1, 1)
        assert second.newly_dead == (server.url("/gone/2"),)
        links = store.load_links()
        assert links[server.url("/gone/2")].dead and not links[server.url("/teapot")].dead
        assert links[server.url("/ok/1")].title == "Page 1"
        later = fetch_links(store, urls, options(server), now=day + dt.timedelta(days=31))
        assert later.unchanged == 0 and later.dead == 1 and later.newly_dead == ()


def test_entries_learn_from_pages_but_keep_what_the_person_wrote():
    from selfbook.models import Entity, Entry, Span
    src = (Span("d.md", 1, 1),)
    bare = Entry("a", "example.com — x", ("https://example.com/x",), ("",), "article", (), None, "en", "latin", src, title_derived=True)
    mine = Entry("b", "My title", ("https://example.com/y",), ("my note",), "article", (), None, "en", "latin", src)
    paper = Entry("c", "arxiv 2405.00208", (), ("",), "paper", (Entity("arxiv", "2405.00208"),), None, "en", "latin", src)
    links = {
        "https://example.com/x": Link("https://example.com/x", "ok", "t", title="Page X", description="About X."),
        "https://example.com/y": Link("https://example.com/y", "ok", "t", title="Page Y", description="About Y."),
        "https://arxiv.org/abs/2405.00208": Link("https://arxiv.org/abs/2405.00208", "ok", "t", title="A Paper", published="2024-05-01",
                                                 description="We study.", authors=("A", "B", "C", "D")),
    }
    a, b, c = enrich([bare, mine, paper], links)
    assert (a.title, a.notes, a.fetched, a.title_derived) == ("Page X", ("About X.",), ("title", "note"), False)
    assert b == mine
    assert (c.title, c.notes[0]) == ("A Paper", "A, B, C et al. (2024). We study.")


def test_fetch_enriches_the_book_and_lists_dead_links(tmp_path, server, store_url, monkeypatch):
    monkeypatch.setenv("SELFBOOK_STORE", store_url)
    monkeypatch.setenv("SELFBOOK_EMBEDDER", "hashing")
    monkeypatch.setenv("SELFBOOK_ARXIV_API", server.url("/arxiv/query"))
    dump = tmp_path / "links.md"
    live = [server.url(f"/ok/{i}") for i in range(4)]
    dead = [server.url("/gone/a"), server.url("/soft/b")]
    dump.write_text("".join(f"- {u}\n" for u in [*live, *dead, server.url("/og")]) + "- arxiv 2405.00208\n- Kept title " + server.url("/ok/9") + "\n")
    book = tmp_path / "book"
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(dump), "--book", str(book)]).exit_code == 0
    result = runner.invoke(main, ["fetch", "--book", str(book), "--allow-local", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["fetched"], report["failed"], report["dead"]) == (7, 2, 0)
    entries = [json.loads(line) for line in runner.invoke(main, ["entries", "--book", str(book), "--json"]).output.splitlines()]
    titles = {e["urls"][0] if e["urls"] else e["entities"][0]: e for e in entries}
    assert [titles[u]["title"] for u in live] == [f"Page {i}" for i in range(4)]
    assert titles[server.url("/og")]["title"] == "The OG & title" and titles[server.url("/og")]["fetched"] == ["title", "note"]
    assert titles["arxiv:2405.00208"]["title"] == "A Paper on Things"
    assert titles[server.url("/ok/9")]["title"] == "Kept title"
    assert runner.invoke(main, ["links", "--book", str(book), "--dead", "--json"]).output == ""
    assert runner.invoke(main, ["fetch", "--book", str(book), "--allow-local"]).exit_code == 0
    lines = [json.loads(line) for line in runner.invoke(main, ["links", "--book", str(book), "--dead", "--json"]).output.splitlines()]
    assert sorted((x["url"], x["status"]) for x in lines) == sorted([(dead[0], "gone"), (dead[1], "soft-404")])
    review = (book / "REVIEW.md").read_text(encoding="utf-8")
    assert "## Dead links (2)" in review and dead[0] in review
    assert runner.invoke(main, ["build", str(dump), "--book", str(book)]).exit_code == 0
    chapters = "".join(p.read_text(encoding="utf-8") for p in book.glob("[0-9]*.md"))
    assert "Page 3" in chapters and "What the page is about." in chapters and "A Paper on Things" in chapters


def test_add_with_fetch_places_new_entries_by_their_pages(tmp_path, server):
    settings = Settings(embedder="hashing", created="2026-01-01")
    first = tmp_path / "one.md"
    first.write_text("- Notes on things\n  my own words\n", encoding="utf-8")
    Library(tmp_path / "book", settings, embedder=HashingEmbedder()).build([first])
    before = Library(tmp_path / "book", settings).entries()
    second = tmp_path / "two.md"
    second.write_text(f"- {server.url('/ok/new')}\n", encoding="utf-8")
    result = CliRunner(env={"SELFBOOK_EMBEDDER": "hashing"}).invoke(
        main, ["add", str(second), "--book", str(tmp_path / "book"), "--fetch", "--allow-local"])
    assert result.exit_code == 0, result.output
    after = {p.entry.id: p for p in Library(tmp_path / "book", settings).entries()}
    assert all(after[p.entry.id].section_id == p.section_id for p in before)
    assert "Page new" in [p.entry.title for p in after.values()]
