"""End to end in headless Chromium: the real server on a loopback port, a book built from the
bundled example with the real model, and Debian's ``chromium`` driven by Playwright.

The tests search as they type, ask (against an LLM server speaking Ollama's protocol), move an
entry and check the move persisted, and check that hostile note content renders as text. They
save a screenshot of each main page to ``docs/screenshots/`` (kept current by running them).
Skipped when ``/usr/bin/chromium`` is missing (CI installs it: see ``.ci/run``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from llm_servers import _OllamaHandler, _serve, free_port

from selfbook import Library, Settings
from selfbook.web import create_app
from selfbook.web.searchpool import SearchPool

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_DUMP = f"""\
# Later

{HOSTILE}
a note that <img src=x onerror=alert(2)> tries to run
https://www.example.com/hostile
"""

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


class _SlowOllama(_OllamaHandler):
    """Ollama's protocol, one piece every 20 ms: slow enough for the page to show each."""

    def _chunk(self, data: bytes) -> None:
        time.sleep(0.02)
        super()._chunk(data)


def slow_ollama(reply, piece: int = 4):
    return _serve(_SlowOllama, "", reply=staticmethod(reply), piece=piece, models=frozenset({"llama3.2"}), api_key=None, hang=None, fail=None)


@dataclass
class Served:
    url: str
    book: Path
    settings: Settings
    llm: object


@contextmanager
def running(app, port: int) -> Iterator[None]:
    """uvicorn serving ``app`` on 127.0.0.1:``port`` in a thread, until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """The example book plus a hostile installment, served with an LLM that cites note 1."""
    root = tmp_path_factory.mktemp("browser")
    book = root / "book"
    with pytest.MonkeyPatch.context() as patch, slow_ollama(lambda body: "Fermentation needs warmth [1]; the notes say so [1].") as llm:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the same dates, so the same screenshots, every day
        # the real model, so the screenshots in docs/ show the book as a reader would see it
        # the LLM answers questions here; the titles stay the organizer's (llm_titles=0), as in docs/
        settings = Settings(created="2026-01-01", title="My notes", llm="ollama:llama3.2", ollama_host=llm.url, llm_titles=0)
        library = Library(book, settings)
        library.build([ROOT / "examples" / "self.md"])
        hostile = root / "later.md"
        hostile.write_text(HOSTILE_DUMP, encoding="utf-8")
        library.add([hostile])
        app = create_app(book, settings, make_library=lambda: Library(book, settings))
        # as `selfbook serve` runs by default: searches ranked in a worker process
        pool = app.state.search_pool = SearchPool(book, app.state.service, settings, workers=1)
        pool.warm()
        port = free_port()
        try:
            with running(app, port):
                yield Served(f"http://127.0.0.1:{port}", book, settings, llm)
        finally:
            pool.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1, locale="en-US")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []  # no script errors, nothing the CSP blocked, nothing missing


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def entry_titled(book: Path, settings: Settings, start: str):
    return next(p for p in Library(book, settings).entries() if p.entry.title.startswith(start))


def test_table_of_contents_and_chapter(served: Served, page):
    page.goto(served.url + "/")
    assert page.locator("h1").inner_text() == "My notes"
    assert "Last installment: later.md" in page.locator(".provenance").inner_text()
    shot(page, "toc")
    page.locator(".toc .chapter-link").first.click()
    page.wait_for_url("**/chapter/**")
    assert page.locator("article.entry").count() > 3
    shot(page, "chapter")


def test_search_as_you_type(served: Served, page):
    page.goto(served.url + "/search")
    page.locator("#q").press_sequentially("kolmogorov arnold", delay=40)
    expect(page.locator("#results")).to_contain_text("KAN: Kolmogorov-Arnold Networks")
    # the first words may already find it; the address follows the whole query once typing pauses
    expect(page).to_have_url(re.compile(r"q=kolmogorov\+arnold"))
    expect(page.locator("#results mark").first).to_be_visible()  # waits: the list may be redrawn meanwhile
    page.locator("details.filters summary").click()
    page.select_option("select[name=kind]", "video")
    expect(page).to_have_url(re.compile(r"kind=video"))
    page.wait_for_function(  # the debounced search has run again, with the filter
        "() => { const facts = [...document.querySelectorAll('#results .facts')];"
        " return facts.length > 0 && facts.every(f => f.textContent.trim().endsWith('video')); }"
    )
    page.select_option("select[name=kind]", "")
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("transformers attention", delay=20)
    # the video results of the last query stay on screen until the new search answers: wait for
    # this query's own results ("Attention Is All You Need" is among the library's top three), not
    # for any result; under load the page may answer by words alone, so the order is not asserted
    top = [hit.placed.entry.title for hit in Library(served.book, served.settings).search("transformers attention")[:3]]
    assert any(t.startswith("Attention Is All You Need") for t in top), top
    expect(page.locator("#results")).to_contain_text("Attention Is All You Need")
    expect(page.locator("#results li").first).not_to_contain_text("video")
    assert "kind=" not in page.url
    shot(page, "search")


def test_ask_streams_and_cites(served: Served, page):
    page.goto(served.url + "/ask")
    page.evaluate("""() => {
        window.answerStates = [];
        new MutationObserver(() => window.answerStates.push(document.getElementById('answer').textContent)).observe(
            document.getElementById('answer'), {childList: true, characterData: true, subtree: true});
    }""")
    page.fill("#question", "why does dosa batter need warmth?")
    page.click("#ask-button")
    cite = page.locator("#answer a.cite").first
    cite.wait_for()
    assert page.locator("#answer").inner_text().startswith("Fermentation needs warmth [1]")
    states = [s for s in page.evaluate("window.answerStates") if s]
    # It arrived in pieces: the page showed several growing texts, the first a start of the
    # answer. (How long the first piece is depends on how the stream's chunks meet the network
    # reads: "Fermentation needs warmth" came whole in one CI run under load.)
    assert len(set(states)) > 3 and len(states[0]) < len(states[-1]) and states[-1].startswith(states[0][:10])
    assert page.locator("#citations li").count() == 1
    shot(page, "ask")
    cited = page.locator("#citations li a").first.inner_text()
    cite.click()
    page.wait_for_url("**/entry/**")
    assert page.locator("h3.entry-title").inner_text().strip() == cited.strip()
    assert any("dosa" in r.message("user").lower() for r in served.llm.requests)


def test_move_an_entry_from_its_page(served: Served, page):
    placed = entry_titled(served.book, served.settings, "KAN")
    target = next(f"{c.title}/{s.title}" for c in Library(served.book, served.settings).outline().chapters
                  for s in c.sections if s.id != placed.section_id)
    page.goto(f"{served.url}/entry/{placed.entry.id}")
    assert page.locator(".provenance-list li").count() == len(placed.entry.sources)
    assert page.locator(".related li").count() > 0
    shot(page, "entry")
    page.fill("#move-form input[name=to]", target)
    page.click("#move-form button")
    page.wait_for_url("**decision=*")
    assert page.locator(".notice").inner_text().startswith("Decision")
    moved = {p.entry.id: p for p in Library(served.book, served.settings).entries()}[placed.entry.id]
    assert f"{moved.chapter}/{moved.section}" == target
    decisions, _ = Library(served.book, served.settings).history()
    assert (decisions[-1].action, decisions[-1].subject, decisions[-1].target) == ("move", placed.entry.id, target)
    assert page.locator(".crumbs").inner_text() == f"{moved.chapter} / {moved.section}"


def test_hostile_notes_render_as_text(served: Served, page):
    hostile = entry_titled(served.book, served.settings, HOSTILE)
    page.goto(f"{served.url}/entry/{hostile.entry.id}")
    assert page.locator("h3.entry-title").inner_text().strip() == HOSTILE
    assert page.get_by_text("a note that <img src=x onerror=alert(2)> tries to run").is_visible()
    page.goto(f"{served.url}/chapter/{hostile.chapter_id}")
    page.get_by_text(HOSTILE).first.wait_for()
    page.goto(served.url + "/search")
    page.locator("#q").press_sequentially("script alert", delay=20)
    page.locator("#results li .hit-title", has_text=HOSTILE).first.wait_for()  # rendered by script, as text
    page.goto(served.url + "/map")
    page.locator(f"svg.topic-map a[href='/entry/{hostile.entry.id}'] circle").hover()
    assert HOSTILE in page.locator("#map-label").inner_text()
    page.wait_for_timeout(200)
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def test_topic_map(served: Served, page):
    page.goto(served.url + "/map")
    points = page.locator("svg.topic-map circle")
    assert points.count() == len(Library(served.book, served.settings).entries())
    shot(page, "map")
    page.locator(".legend li").first.hover()
    assert page.locator("svg.topic-map[data-focus]").count() == 1
    top = page.locator("svg.topic-map a").last  # drawn last, so nothing covers it
    href = top.get_attribute("href")
    top.locator("circle").click()
    page.wait_for_url("**" + href)
