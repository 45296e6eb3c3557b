"""SharedBook: the one read/write policy of `selfbook serve` and `selfbook mcp` (reads together,
a write alone, every read after a write sees it), used by both front ends.

A test that a call waits holds the other side of the lock itself, so the call cannot finish until
the test lets it: "still waiting" is certain, not a timing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from selfbook import Library, Settings, SharedBook
from selfbook.embed import HashingEmbedder
from selfbook.mcp.server import BookTools
from selfbook.web import create_app

from conftest import SMALL_DUMP, copy_of_book
from llm_servers import ollama_server

SETTINGS = Settings(embedder="hashing", created="2026-01-01")
WAIT_S = 30
"""How long a call that should finish may take, at most (a hung test fails instead of hanging)."""
HELD_S = 0.2
"""How long a test watches a call that must wait (it cannot finish while the test holds the lock)."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, templates) -> Path:
    return templates.copy("sqlite", {"self.md": SMALL_DUMP}, tmp_path_factory.mktemp("shared") / "book").book_dir


@pytest.fixture
def book(built: Path, tmp_path: Path) -> Path:
    return copy_of_book(built, tmp_path)


def shared(book: Path) -> SharedBook:
    return SharedBook(book, SETTINGS, make_library=lambda: Library(book, SETTINGS, embedder=HashingEmbedder()))


class Call(threading.Thread):
    """``fn()`` on a thread of its own, as a server's worker thread runs it."""

    def __init__(self, fn) -> None:
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to the test by finished()
            self.error = exc

    def finished(self, seconds: float = WAIT_S) -> bool:
        self.join(seconds)
        if self.error is not None:
            raise self.error
        return not self.is_alive()


def test_reads_and_searches_run_while_another_read_is_in_progress(book: Path):
    shared_book = shared(book)
    with shared_book.reading() as library:
        outline = library.outline()
        other = Call(lambda: shared_book.read(lambda other: other.outline()))
        search = Call(lambda: shared_book.search("transformers"))
        assert other.finished() and other.result == outline
        assert search.finished() and len(search.result) > 0


def test_a_write_waits_for_the_reads_in_progress_and_every_read_after_it_sees_it(book: Path):
    shared_book = shared(book)
    first = shared_book.read(lambda library: library.entries()[0])
    entry, chapter = first.entry.id, first.chapter
    with shared_book.reading() as library:
        before = library.version()
        write = Call(lambda: shared_book.write(lambda writer: writer.move(entry, f"{chapter}/Held Up")))
        assert not write.finished(HELD_S), "the write ran while a read was in progress"
        assert library.version() == before and library.entries()[0].entry.id == entry
    assert write.finished() and write.result.action == "move"
    placed = shared_book.read(lambda library: {p.entry.id: p for p in library.entries()})[entry]
    assert (placed.chapter, placed.section) == (chapter, "Held Up")
    hits = shared_book.search(placed.entry.title, method="lexical")  # the shared searcher sees it too
    assert {(h.placed.chapter, h.placed.section) for h in hits if h.placed.entry.id == entry} == {(chapter, "Held Up")}


def test_a_read_waits_for_a_write_in_progress(book: Path):
    shared_book = shared(book)
    entry = shared_book.read(lambda library: library.entries()[0].entry.id)
    writing, go = threading.Event(), threading.Event()

    def held_write(library: Library):
        writing.set()
        assert go.wait(WAIT_S)
        return library.pin(entry)

    write = Call(lambda: shared_book.write(held_write))
    assert writing.wait(WAIT_S)
    read = Call(lambda: shared_book.read(lambda library: library.history()[0]))
    search = Call(lambda: shared_book.search("transformers"))
    assert not read.finished(HELD_S) and not search.finished(0), "a read ran during a write"
    go.set()
    assert write.finished() and read.finished() and search.finished()
    assert [(d.action, d.subject) for d in read.result] == [("pin", entry)]  # the read came after the write


def test_mcp_tools_that_read_run_together_and_add_note_waits_for_them(book: Path):
    """ask holds the read side until its answer starts (its LLM is held up here): other tools read
    meanwhile, add_note waits for it, and every tool after add_note sees the new entry."""
    asking, go = threading.Event(), threading.Event()

    def reply(body: dict) -> str:
        asking.set()
        go.wait(WAIT_S)
        return "Attention, explained visually [1]."

    with ollama_server(reply) as llm:
        settings = SETTINGS.replace(llm="ollama:llama3.2", ollama_host=llm.url)
        tools = BookTools(SharedBook(book, settings, make_library=lambda: Library(book, settings, embedder=HashingEmbedder())))
        entry = tools.search("transformers").results[0].id
        ask = Call(lambda: tools.ask("what explains attention in transformers?"))
        assert asking.wait(WAIT_S)  # the ask tool has read the book and waits for its LLM
        reads = [Call(tools.list_chapters), Call(lambda: tools.get_entry(entry)), Call(lambda: tools.search("transformers"))]
        assert all(call.finished() for call in reads)
        add = Call(lambda: tools.add_note("Idli batter ferments overnight", "https://example.org/idli", "Held up by a question."))
        assert not add.finished(HELD_S), "add_note ran while a question was reading"
        go.set()
        assert ask.finished() and ask.result.mode == "llm"
        assert add.finished() and add.result.added
    new = add.result.entries[0].id
    assert tools.get_entry(new).title == "Idli batter ferments overnight"
    assert new in {r.id for r in tools.search("idli batter", method="lexical").results}


def test_the_web_and_mcp_share_one_policy(book: Path):
    """The web's service is a SharedBook: an MCP tool over it waits for a page's read, as a web write would."""
    app = create_app(book, SETTINGS, make_library=lambda: Library(book, SETTINGS, embedder=HashingEmbedder()))
    service = app.state.service
    assert isinstance(service, SharedBook)
    tools = BookTools(service)
    with service.reading():
        add = Call(lambda: tools.add_note("Ragi mudde", note="A note added over MCP while the web reads."))
        assert not add.finished(HELD_S)
    assert add.finished() and add.result.added
    assert add.result.entries[0].id in service.view().by_id  # the web's next view shows it


def test_a_question_holds_up_a_write_only_until_its_answer_starts(book: Path):
    shared_book = shared(book)
    entry = shared_book.read(lambda library: library.entries()[0].entry.id)
    streaming, go = threading.Event(), threading.Event()

    def on_text(piece: str) -> None:
        streaming.set()
        assert go.wait(WAIT_S)

    question = Call(lambda: shared_book.ask("what is a transformer?", on_text=on_text))
    assert streaming.wait(WAIT_S)  # the answer streams (extracts: no LLM is configured)
    write = Call(lambda: shared_book.write(lambda library: library.pin(entry)))
    assert write.finished()  # while the answer is still streaming
    go.set()
    assert question.finished() and question.result.text
