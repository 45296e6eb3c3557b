"""The facade: everything the CLI, the web pages and the MCP server may ask of a book.

A book is a folder: its markdown files, plus its state in ``<book>/.selfbook/`` (the store, the
manifest of files selfbook wrote, a lock, journals of writes in flight). A :class:`Library` opens
the store (locked for a write) and hands each verb on: a write to :mod:`selfbook.library.pipeline`, a
search to :mod:`selfbook.search.session`, a question to :mod:`selfbook.answer.ask`, each imported when
used (``# deferred``: reading a book needs no numpy). What it hands back is in :mod:`selfbook.reports`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from ..errors import BookError, QueryError
from ..models import Decision, Installment, Link, Outline
from .embedding import Embedding
from ..reports import AddReport, BuildReport, PlacedEntry, Progress, placed_entries
from ..search.session import BookSearch
from ..settings import Settings, load_settings, now_iso
from ..store import Store, open_store, writer_lock

if TYPE_CHECKING:
    from ..embed import Embedder
    from ..search import Hits, QueryVector, SearchFilters
    from .pipeline import Pipeline
    from ..answer.ask import Answer
    from ..answer.digest import Digest
    from ..answer.llm import LLM
    from ..book.topicmap import TopicMap
    from ..fetch import FetchOptions, FetchReport
    from ..organize.assign import AssignParams

__all__ = ["AddReport", "BuildReport", "Library", "PlacedEntry", "Progress", "now_iso"]

STATE_DIR = ".selfbook"
log = logging.getLogger(__name__)


class Library:
    """A book on disk. ``Library(book_dir).build([...])`` makes or remakes it."""

    def __init__(self, book_dir: str | os.PathLike, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.book_dir = Path(book_dir)
        self.settings = settings or load_settings(self.book_dir)
        self.embedding = Embedding(self.settings, embedder)
        self._search = BookSearch(self._store, self.embedding.of)
        self.query_vectors = self._search.query_vectors
        """Query vectors of every search of this Library: cached, batched across threads."""

    @property
    def state_dir(self) -> Path:
        return self.book_dir / STATE_DIR

    @property
    def embedder(self) -> Embedder:
        return self.embedding.embedder

    def _pipeline(self) -> Pipeline:
        from .pipeline import Pipeline  # deferred: a write's (numpy, the organizer)

        return Pipeline(self.book_dir, self.settings, self.embedding)

    # -- opening -------------------------------------------------------------------------------
    def _check_book_dir(self) -> None:
        if self.book_dir.exists() and not self.book_dir.is_dir():
            raise BookError(f"{self.book_dir}: is a file, not a book folder — choose another --book")

    def _no_book(self) -> BookError:
        return BookError(f"{self.book_dir}: no book here yet — run 'selfbook build DUMP --book {self.book_dir}'")

    @contextmanager
    def _open(self, *, create: bool, lock: bool = False) -> Iterator[Store]:
        """The book's store, open for this block; with ``lock``, this process's alone to write."""
        self._check_book_dir()
        if create:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        elif not self.state_dir.is_dir():
            raise self._no_book()
        with writer_lock(self.state_dir, self.book_dir) if lock else nullcontext():
            store = self._store(writer=lock)
            try:
                yield store
            finally:
                store.close()

    def _store(self, *, writer: bool = False) -> Store:
        """The book's store, opened with the book's embedder kept and a write a crash interrupted
        finished (a search opens one this way and keeps it a while: it reads the store, never the
        files a write in flight stages, so it need not look for a crashed write on every search)."""
        self._check_book_dir()
        if not self.state_dir.is_dir():
            raise self._no_book()
        store = open_store(self.state_dir, self.settings.store, writer=writer)
        try:
            self.embedding.keep_the_books(store, self.book_dir)
            if writer:
                from ..book import recover  # deferred: a write's

                recover(self.book_dir, store.committed)
            else:
                self._recover_if_idle(store)
        except BaseException:
            store.close()
            raise
        return store

    def _recover_if_idle(self, store: Store) -> None:
        """A reader finishes a write a crash interrupted only when no writer holds the book: the
        journal of a write still running is that writer's to finish, not the reader's to discard."""
        if not any(self.state_dir.glob("journal-*")):
            return
        from ..book import recover  # deferred: only a crashed write needs it

        try:
            with writer_lock(self.state_dir, self.book_dir):
                recover(self.book_dir, store.committed)
        except BookError:
            log.debug("%s: a write is running; reading the committed book", self.book_dir)

    # -- writing (see selfbook.library.pipeline) -------------------------------------------------------
    def build(
        self, dumps: Sequence[str | os.PathLike], *, reorganize: bool = False, progress: Progress | None = None, format: str | None = None
    ) -> BuildReport:
        """Read the dumps, merge duplicates, embed, organize and write the whole book. Every dump
        is read and checked first: a bad input leaves the book as it was (see :mod:`selfbook.library.pipeline`).

        On a book that exists, dumps added with :meth:`add` are replayed as installments and the
        person's decisions applied in the order they came (:mod:`selfbook.organize.update`): the same dumps
        give the same book. ``reorganize`` organizes every dump together instead (the report lists
        the entries that moved)."""
        if not dumps:
            raise BookError("no dumps given — name at least one file, e.g. 'selfbook build self.md --book book'")
        self._check_book_dir()
        pipeline = self._pipeline()
        read = pipeline.read(dumps, format, progress, notes=True)
        with self._open(create=True, lock=True) as store:
            return pipeline.build(store, read, reorganize=reorganize, progress=progress)

    def add(
        self, dumps: Sequence[str | os.PathLike], *, params: AssignParams | None = None, format: str | None = None,
        progress: Progress | None = None,
    ) -> AddReport:
        """Add dumps to the book as installments, without moving what is already there (rules in
        :mod:`selfbook.organize.update`). A dump already in the book is skipped. A crash at any point leaves
        the book as it was before or as it is after. ``progress`` hears the reading, as in :meth:`build`."""
        if not dumps:
            raise BookError("no dumps given — name at least one file, e.g. 'selfbook add self-1.md --book book'")
        pipeline = self._pipeline()
        read = pipeline.read(dumps, format, progress)
        with self._open(create=False, lock=True) as store:
            return pipeline.add(store, read, params)

    def add_note(self, title: str, url: str = "", note: str = "") -> AddReport:
        """Add one entry typed by hand as an installment: written as a small dump,
        ``notes/YYYYMMDDTHHMMSS-slug.md`` in the book, added with :meth:`add` and replayed by every
        later :meth:`build`. The same note twice is added once. InputError for a malformed note."""
        from ..ingest.note import NOTES_DIR, note_dump, write_note  # deferred: a write's

        text = note_dump(title, url, note)
        if not self.state_dir.is_dir():
            raise self._no_book()
        stamp = now_iso().replace("-", "").replace(":", "")[:15]
        path = write_note(self.book_dir / NOTES_DIR, text, stamp, title or url)
        try:
            report = self.add([path])
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if not report.changed:
            path.unlink(missing_ok=True)
        return report

    def move(self, entry: str, to: str) -> Decision:
        """Move an entry (id or unique id prefix) to ``Chapter/Section`` (a new section title
        makes one), for good: every later build, add and reorganization keeps it there."""
        return self._decide("move", entry, to)

    def pin(self, entry: str) -> Decision:
        """Keep an entry in its chapter and section through every later reorganization."""
        return self._decide("pin", entry)

    def rename(self, path: str, title: str) -> Decision:
        """Rename a section (``Chapter/Section``) or a chapter (``Chapter``), for good."""
        return self._decide("rename", path, title)

    def merge(self, a: str, b: str) -> Decision:
        """Merge B into A: two entries (ids), two sections (``Chapter/Section``) or two chapters."""
        return self._decide("merge", a, b)

    def _decide(self, command: str, *args: str) -> Decision:
        with self._open(create=False, lock=True) as store:
            return self._pipeline().decide(store, command, *args)

    def fetch(
        self, options: FetchOptions | None = None, *, dumps: Sequence[str | os.PathLike] = (), max_age: dt.timedelta | None = None,
        format: str | None = None, progress: Progress | None = None,
    ) -> FetchReport:
        """Fetch the links of the book (and of ``dumps``) that are new or older than ``max_age``
        and keep what each page says; the book's entries learn from their pages in place."""
        pipeline = self._pipeline()
        read = pipeline.read(dumps, format)
        with self._open(create=bool(dumps), lock=True) as store:
            return pipeline.fetch(store, read, options, max_age=max_age, progress=progress)

    # -- reading -------------------------------------------------------------------------------
    def outline(self) -> Outline:
        with self._open(create=False) as store:
            return store.load_outline()

    def entries(self) -> list[PlacedEntry]:
        """Every entry with its chapter and section, in book order."""
        with self._open(create=False) as store:
            return placed_entries(store.load_outline(), store.load_entries())

    def version(self) -> str:
        """An id of the book as it is now: it changes whenever a build, add or decision saves it
        (front ends cache what they show by it)."""
        with self._open(create=False) as store:
            return store.book_version() or ""

    def history(self) -> tuple[list[Decision], list[Installment]]:
        """The person's decisions in the order made, and the installments in the order added."""
        with self._open(create=False) as store:
            return store.load_decisions(), store.load_installments()

    def topic_map(self) -> TopicMap:
        """Every entry placed in 2-D by meaning and coloured by chapter: the layout of the book's
        ``map.png`` and ``map.html`` (see :mod:`selfbook.book.topicmap`)."""
        with self._open(create=False) as store:
            return self._pipeline().book_map(store)

    def neighbours(self, k: int = 5) -> dict[str, tuple[str, ...]]:
        """Every entry's ``k`` nearest entries by meaning (exact cosine of the book's own vectors,
        nearest first): related entries without a query to embed, e.g. for an exported vault."""
        with self._open(create=False) as store:
            return self._pipeline().neighbours(store, k)

    def digest(self, since: dt.date, *, lang: str = "", llm: LLM | None = None) -> Digest:
        """What is new in the book since ``since``, per chapter (see :mod:`selfbook.answer.digest`)."""
        from ..answer.digest import DigestView, make_digest  # deferred: digest's

        with self._open(create=False) as store:
            view = DigestView.of(store)
        return make_digest(view, since, lang=lang, llm=llm)

    def links(self) -> list[tuple[Link, tuple[str, ...]]]:
        """Every link of the book with the ids of the entries that hold it, in reading order;
        a link never fetched has status ``"unfetched"``."""
        from ..fetch import link_holders  # deferred: httpx

        with self._open(create=False) as store:
            return link_holders(store.load_entries(), store.load_links())

    def link_states(self) -> dict[str, Link]:
        """What ``selfbook fetch`` learned of each fetched link, by URL (empty before the first fetch)."""
        with self._open(create=False) as store:
            return store.load_links()

    # -- searching and asking ------------------------------------------------------------------
    def search(
        self, query: str, *, limit: int = 10, filters: SearchFilters | None = None, method: str = "hybrid",
        budget_ms: int | None = None, vector: QueryVector | None = None,
    ) -> Hits:
        """The entries that best match ``query``, best first (see :mod:`selfbook.search`), from
        any number of threads at once. ``method``: ``hybrid`` (BM25 and vectors fused),
        ``lexical`` or ``dense``. ``budget_ms`` (default ``Settings.search_budget_ms``; 0: none)
        is how long to wait for the query's vector; past it, or when ``vector`` (from
        :meth:`query_vector`) was not ready, BM25 alone ranks and ``hits.degraded`` is
        ``"lexical"``. QueryError for an empty query or a filter that matches nothing."""
        budget = self.settings.search_budget_ms if budget_ms is None else budget_ms
        return self._search.search(query, limit=limit, filters=filters, method=method, budget_ms=budget, vector=vector)

    def prepare_search(self) -> str:
        """Load what a search needs but the model (the index and the vectors); returns the
        model id the book's vectors are of."""
        return self._search.prepare()

    def query_vector(self, query: str, deadline: float | None = None) -> QueryVector:
        """The vector :meth:`search` would look up for ``query``; None when not ready by ``deadline``
        (:func:`time.monotonic`; None: wait). ``selfbook serve --workers`` embeds here, searches there."""
        return self._search.query_vector(query, deadline)

    def ask(self, question: str, *, limit: int = 8, llm: LLM | None = None, on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer ``question`` from the notes, with numbered citations (see :mod:`selfbook.answer.ask`).
        ``llm`` defaults to the settings' (``SELFBOOK_LLM``); with none, the answer is made of
        extracts. ``on_text`` receives the answer as it streams."""
        if not question.strip():
            raise QueryError("the question is empty — ask something, e.g. selfbook ask 'what did I save about RAG?'")
        from ..answer.ask import answer  # deferred: ask's
        from ..answer.corpus import MemoryCorpus
        from ..answer.llm import get_llm

        model = llm if llm is not None else get_llm(self.settings)
        corpus = MemoryCorpus(self.entries(), self.outline())
        return answer(question, search=self.search, llm=model, corpus=corpus, limit=limit, on_text=on_text)
