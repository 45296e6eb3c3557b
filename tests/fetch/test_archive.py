"""The optional archive (``fetch --archive``): each fetched HTML page's readable text kept in the
store, capped per page and in total, searched and quoted by ask, kept when its link dies, and
nothing kept without the flag. Pages come from a server on 127.0.0.1 (``--allow-local``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from link_server import LinkServer, page
from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.fetch import FetchOptions, fetch_links
from selfbook.fetch.archive import INDEX_CHARS, Budget, cap, readable_text
from selfbook.store import open_store

DAY = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
WORD = "quokkaxylophone"
ARTICLE = page(
    "Marsupial music", head="<meta name='description' content='A page about animals and instruments.'>",
    body="<nav>home about contact</nav><script>var hidden = 'scriptword';</script><article><h1>Marsupial music</h1>"
         "<p>The first paragraph says nothing unusual about the animals of the island at all.</p>"
         f"<p>Only this page knows the {WORD} is a small animal that plays a wooden instrument.</p></article>"
         "<footer>copyright footerword</footer>",
)
LONG = page("Long read", body="<article>" + "".join(f"<p>Paragraph {i} of a long read about rivers and hills.</p>" for i in range(3000)) + "</article>")


@pytest.fixture(scope="module")
def server():
    pages = {"/article": (200, {}, ARTICLE), "/long": (200, {}, LONG), "/other": (200, {}, ARTICLE.replace(b"Marsupial", b"Other"))}
    with LinkServer(pages) as srv:
        yield srv


def options(**kw) -> FetchOptions:
    return FetchOptions(**{"allow_local": True, "deadline": 5.0, "timeout": 2.0, "archive": True, **kw})


def test_readable_text_keeps_the_words_not_the_markup():
    text = readable_text(ARTICLE.decode())
    assert WORD in text and "scriptword" not in text and "<p>" not in text


def test_cap_cuts_at_a_word_within_the_byte_limit():
    assert cap("short", 100) == ("short", False)
    text, cut = cap("ಕನ್ನಡ words " * 100, 101)
    assert cut and len(text.encode("utf-8")) <= 101 and text.endswith(("ಕನ್ನಡ", "words"))
    budget = Budget(used=90, limit=100)
    assert budget.take(0, 10) and not budget.take(0, 1) and budget.take(10, 5) and budget.used == 95


def test_caps_per_page_and_in_total_are_enforced(tmp_path, server, store_url):
    urls = [server.url("/article"), server.url("/long"), server.url("/other")]
    with open_store(tmp_path, store_url) as store:
        report = fetch_links(store, urls, options(archive_page_bytes=2_000), now=DAY)
        sizes = store.page_sizes()
        assert report.pages_archived == 3 and report.pages_cut == 1 and report.pages_over_cap == 0
        assert sizes[server.url("/long")] <= 2_000 and len(store.load_pages()[server.url("/long")].encode()) == sizes[server.url("/long")]
        assert report.archive_bytes == sum(sizes.values())


def test_a_page_past_the_total_cap_is_not_kept(tmp_path, server, store_url):
    urls = [server.url("/article"), server.url("/long"), server.url("/other")]
    limit = len(readable_text(ARTICLE.decode()).encode()) + 10  # room for one article, not two
    with open_store(tmp_path, store_url) as store:
        report = fetch_links(store, urls, options(archive_page_bytes=2_000, archive_max_bytes=limit), now=DAY)
        assert report.pages_over_cap == 2 and report.pages_archived == 1
        assert sum(store.page_sizes().values()) == report.archive_bytes <= limit


def test_nothing_is_archived_without_the_flag(tmp_path, server, store_url):
    with open_store(tmp_path, store_url) as store:
        report = fetch_links(store, [server.url("/article")], options(archive=False), now=DAY)
        assert report.fetched == 1 and report.pages_archived == 0 and store.load_pages() == {}


def cli(tmp_path):
    runner = CliRunner(env={"SELFBOOK_EMBEDDER": "hashing", "SELFBOOK_CREATED": "2026-01-01"})
    book = tmp_path / "book"

    def run(*args: str) -> str:
        result = runner.invoke(main, [*args, "--book", str(book)])
        assert result.exit_code == 0, result.output
        return result.output

    return book, run


def found(run, word: str) -> list[str]:
    return [json.loads(line)["id"] for line in run("search", word, "--method", "lexical", "--json").splitlines() if line.strip()]


def test_a_pages_words_become_searchable_and_outlive_its_link(tmp_path):
    pages = {"/article": (200, {}, ARTICLE)}
    with LinkServer(pages) as server:
        dump = tmp_path / "links.md"
        dump.write_text(f"- {server.url('/article')}\n- {server.url('/ok/2')}\n", encoding="utf-8")
        book, run = cli(tmp_path)
        run("build", str(dump))
        run("fetch", "--allow-local")
        assert found(run, WORD) == []  # fetched without --archive: the page's body is not kept
        report = json.loads(run("fetch", "--allow-local", "--archive", "--max-age", "0", "--json"))
        assert report["pages_archived"] == 2 and report["archive_bytes"] > 0
        hits = found(run, WORD)
        assert len(hits) == 1
        entry = next(e for e in map(json.loads, run("entries", "--json").splitlines()) if e["id"] == hits[0])
        assert WORD not in json.dumps(entry)  # the page text is in the index, not in the entry's own words
        server.httpd.RequestHandlerClass.pages.clear()  # the page dies: 404 on two runs
        for _run in range(2):
            run("fetch", "--allow-local", "--max-age", "0")
        links = {x["url"]: x for x in map(json.loads, run("links", "--json", "--dead").splitlines())}
        assert server.url("/article") in links
        assert found(run, WORD) == hits  # its archived text is still searched
        with open_store(book / ".selfbook") as store:
            assert WORD in store.load_pages()[server.url("/article")]
        answer = Library(book, Settings(embedder="hashing", created="2026-01-01")).ask(f"What is the {WORD}?")
        assert WORD in answer.text and answer.citations


def test_build_and_add_take_archive_with_fetch(tmp_path):
    with LinkServer({"/article": (200, {}, ARTICLE)}) as server:
        dump = tmp_path / "links.md"
        dump.write_text(f"- {server.url('/article')}\n", encoding="utf-8")
        _book, run = cli(tmp_path)
        run("build", str(dump), "--fetch", "--allow-local", "--archive")
        assert len(found(run, WORD)) == 1
        more = tmp_path / "more.md"
        more.write_text(f"- {server.url('/ok/new')}\n", encoding="utf-8")
        run("add", str(more), "--fetch", "--allow-local", "--archive")
        assert len(found(run, "words")) == 1  # /ok/new's body: "words of the page"


def test_without_the_archive_extra_selectolax_reads_the_page(monkeypatch):
    monkeypatch.setattr("selfbook.fetch.archive.extractor", lambda: "selectolax")
    text = readable_text(ARTICLE.decode())
    assert WORD in text and "scriptword" not in text and "footerword" not in text and "home about" not in text


def test_the_archive_moves_with_migrate(tmp_path):
    pg = pytest.importorskip("pg_helpers")
    from selfbook.store.migrate import migrate_book

    with LinkServer({"/article": (200, {}, ARTICLE)}) as server:
        dump = tmp_path / "links.md"
        dump.write_text(f"- {server.url('/article')}\n", encoding="utf-8")
        book, run = cli(tmp_path)
        run("build", str(dump), "--fetch", "--allow-local", "--archive")
        url = pg.fresh_database()
        report = migrate_book(book, url)
        assert report.rows["pages"] == 1
        assert len(found(run, WORD)) == 1  # the entry's page text moved with it, and is searched
        with open_store(book / ".selfbook") as store:
            assert WORD in store.load_pages()[server.url("/article")]
