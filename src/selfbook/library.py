"""The facade: everything the CLI, the web pages and the MCP server may ask of a book.

A book is a folder: its markdown files, plus its state in ``<book>/.selfbook/`` (the store, the
manifest of files selfbook wrote, a lock, and journals of writes in flight). A :class:`Library`
opens the store (locked for a write) and hands each verb to the module that does it: every write
to :mod:`selfbook.pipeline` (its stages and the one commit they end with), a search to
:mod:`selfbook.search`, a question to :mod:`selfbook.ask`. What it hands back
(:class:`BuildReport`, :class:`AddReport`, :class:`PlacedEntry`) is in :mod:`selfbook.reports`.

Start-up: this module imports at the top only what opening and searching a book need. What only
a write, an answer or a digest needs is imported where it is used, marked ``# deferred``:
``selfbook chapters`` and ``selfbook search`` need not wait for the organizer, the importers and
the renderer (measured by bench/cli_start.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterator, Sequence

from .embed import Embedder, Executor, get_embedder
from .errors import BookError, SelfbookError
from .models import Decision, Installment, Link, Outline
from .pipeline import Pipeline, Progress, Timer, no_gc_pauses, now_iso
from .reports import AddReport, BuildReport, PlacedEntry
from .search import Hits, QueryError, QueryVector, QueryVectors, SearchFilters, Searcher, check_query, embedder_for
from .search.dense import nearest_rows
from .settings import Settings, load_settings
from .store import Store, open_store, writer_lock

if TYPE_CHECKING:
    from .ask import Answer
    from .assign import AssignParams
    from .digest import Digest
    from .fetch import FetchOptions, FetchReport
    from .llm import LLM
    from .topicmap import TopicMap

__all__ = ["AddReport", "BuildReport", "Library", "PlacedEntry", "Progress", "now_iso"]

STATE_DIR = ".selfbook"
KEEP_READING_S = 2.0
"""How long a thread keeps the store it searches open (see :meth:`Library._reading`)."""
log = logging.getLogger(__name__)


class Library:
    """A book on disk. ``Library(book_dir).build([...])`` makes or remakes it."""

    def __init__(self, book_dir: str | os.PathLike, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.book_dir = Path(book_dir)
        self.settings = settings or load_settings(self.book_dir)
        self._embedder = embedder
        self._executor: Executor | None = None
        self._searcher: Searcher | None = None
        self._searching = threading.Lock()
        self._kept = threading.local()  # each thread's store for searching, and when it was opened
        self.query_vectors = QueryVectors(self.embedder_of)
        """Query vectors of every search of this Library: cached, batched across threads."""

    @property
    def state_dir(self) -> Path:
        return self.book_dir / STATE_DIR

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder, self.settings.threads)
        return self._embedder

    @property
    def executor(self) -> Executor:
        """Where embedding runs (``Settings.executor``: local, or a Ray cluster)."""
        if self._executor is None:
            from .executors import get_executor  # deferred: only embedding needs it

            self._executor = get_executor(self.settings.executor, self.settings.threads)
        return self._executor

    def embedder_of(self, model: str) -> Embedder:
        """An embedder of ``model`` (a book's vectors are searched and mapped by the model that made them)."""
        return embedder_for(model, self._embedder, self.settings.threads)

    # -- opening -------------------------------------------------------------------------------
    def _check_book_dir(self) -> None:
        if self.book_dir.exists() and not self.book_dir.is_dir():
            raise BookError(f"{self.book_dir}: is a file, not a book folder — choose another --book")

    def _no_book(self) -> BookError:
        return BookError(f"{self.book_dir}: no book here yet — run 'selfbook build DUMP --book {self.book_dir}'")

    @contextmanager
    def _open(self, *, create: bool, lock: bool = False) -> Iterator[Store]:
        self._check_book_dir()
        if not self.state_dir.is_dir():
            if not create:
                raise self._no_book()
            self.state_dir.mkdir(parents=True)
        with self._locked(lock):
            store = open_store(self.state_dir, self.settings.store, writer=lock)
            try:
                self._keep_the_books_embedder(store)
                if lock:
                    from .book import recover  # deferred: a write's

                    recover(self.book_dir, store.committed)
                else:
                    self._recover_if_idle(store)
                yield store
            finally:
                store.close()

    @contextmanager
    def _reading(self) -> Iterator[Store]:
        """The store a search reads. Each thread keeps the one it opened for ``KEEP_READING_S``:
        opening a store and preparing its queries cost more than a BM25 search (0.8 of 1.8 ms on
        a 10k-entry book). A change of the book shows at once all the same (the searcher checks
        the book's version on every search); a store put in place of another (``selfbook
        migrate``) shows when the kept one is opened afresh. A crashed write is tidied when the
        store is opened, as :meth:`_open` does (a search reads the store, never the files that
        a write in flight stages, so it need not look on every search)."""
        kept = getattr(self._kept, "store", None)
        if kept is not None and time.monotonic() - kept[1] > KEEP_READING_S:
            kept[0].close()
            kept = self._kept.store = None
        if kept is None:
            self._check_book_dir()
            if not self.state_dir.is_dir():
                raise self._no_book()
            store = open_store(self.state_dir, self.settings.store)
            self._kept.store = kept = (store, time.monotonic())
            self._keep_the_books_embedder(store)
            self._recover_if_idle(store)
        store = kept[0]
        try:
            yield store
        except BaseException as exc:
            if not isinstance(exc, SelfbookError):  # not a bad query: the store may be broken, open it afresh
                store.close()
                self._kept.store = None
            raise

    def _keep_the_books_embedder(self, store: Store) -> None:
        """A book goes on with the model that embedded it (the store records it) unless the
        settings choose one: a book built with ``--embedder hashing`` is not re-embedded by e5
        on the next ``add`` that names no embedder."""
        if self._embedder is not None or "embedder" in self.settings.chosen:
            return
        model = store.get_meta("model")
        if model and model != self.embedder.model_id:
            try:
                self._embedder = self.embedder_of(model)
            except BookError:  # a model this selfbook cannot load: the settings' one embeds afresh
                log.info("%s: its model %s is not available; using %s", self.book_dir, model, self.settings.embedder)

    def _recover_if_idle(self, store: Store) -> None:
        """A reader finishes a write a crash interrupted only when no writer holds the book: the
        journal of a write still running is that writer's to finish, not the reader's to discard."""
        if not any(self.state_dir.glob("journal-*")):
            return
        from .book import recover  # deferred: only a crashed write needs it

        try:
            with self._locked(True):
                recover(self.book_dir, store.committed)
        except BookError:
            log.debug("%s: a write is running; reading the committed book", self.book_dir)

    def _locked(self, exclusive: bool) -> ContextManager[None]:
        return writer_lock(self.state_dir, self.book_dir) if exclusive else nullcontext()

    # -- writing (see selfbook.pipeline) -------------------------------------------------------
    def build(
        self, dumps: Sequence[str | os.PathLike], *, reorganize: bool = False, progress: Progress | None = None, format: str | None = None
    ) -> BuildReport:
        """Read the dumps, merge duplicates, embed, organize and write the whole book.

        Every dump is read and checked before anything is written, so a bad input leaves the book
        as it was. The store is replaced in one transaction, and the markdown files are staged and
        put in place only once that transaction has committed.

        On a book that exists, dumps that were added with :meth:`add` are replayed as installments
        and the person's decisions are applied in the order they came (:mod:`selfbook.update`), so
        the same dumps give the same book. ``reorganize`` organizes every dump together instead,
        then applies the decisions; the report lists the entries that moved.
        """
        if not dumps:
            raise BookError("no dumps given — name at least one file, e.g. 'selfbook build self.md --book book'")
        self._check_book_dir()
        pipeline, timer = Pipeline(self), Timer()
        with timer.stage("read"):
            read = pipeline.read_with_notes(dumps, format, progress)
        with self._open(create=True, lock=True) as store:
            return pipeline.build(store, read, timer, reorganize=reorganize, progress=progress)

    def add(
        self, dumps: Sequence[str | os.PathLike], *, params: AssignParams | None = None, format: str | None = None, progress: Progress | None = None
    ) -> AddReport:
        """Add dumps to the book as installments, without moving what is already there.

        Each dump is one installment (rules in :mod:`selfbook.update`); a dump whose content is
        already in the book (built or added before) is skipped, so adding it again changes
        nothing. Everything is read and checked first; then the store is saved in one
        transaction and the files are staged and put in place after it commits, so a crash at
        any point leaves the book as it was before or as it is after. ``progress(stage, done,
        total)`` hears how the reading of each dump goes, as in :meth:`build`.
        """
        if not dumps:
            raise BookError("no dumps given — name at least one file, e.g. 'selfbook add self-1.md --book book'")
        from .assign import AssignParams  # deferred: a write's

        pipeline, timer = Pipeline(self), Timer()
        with timer.stage("read"):
            read = pipeline.read(dumps, format, progress)
        with self._open(create=False, lock=True) as store, no_gc_pauses():
            return pipeline.add(store, read, params or AssignParams(), timer)

    def add_note(self, title: str, url: str = "", note: str = "") -> AddReport:
        """Add one entry typed by hand (from the web page, the API or an agent) as an installment.

        The note is written as a small dump, ``notes/YYYYMMDDTHHMMSS-slug.md`` in the book folder,
        and added with :meth:`add`: it is placed like any new entry, its provenance is that file
        and line, and every later :meth:`build` of the book replays it. The same note twice
        is added once (the second report says it was skipped). Raises
        :class:`~selfbook.errors.InputError` for an empty or malformed note.
        """
        from .ingest.note import NOTES_DIR, note_dump, note_slug  # deferred: a write's

        text = note_dump(title, url, note)
        if not self.state_dir.is_dir():
            raise self._no_book()
        stamp = now_iso().replace("-", "").replace(":", "")[:15]
        folder = self.book_dir / NOTES_DIR
        path = _unused(folder, f"{stamp}-{note_slug(title or url)}", ".md")
        folder.mkdir(exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
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
        from .curate import decide_move, resolve_entry  # deferred: a decision's

        return self._decide(lambda outline, ids: decide_move(outline, resolve_entry(ids, entry), to), "move")

    def pin(self, entry: str) -> Decision:
        """Keep an entry in its chapter and section through every later reorganization."""
        from .curate import decide_pin, resolve_entry  # deferred: a decision's

        return self._decide(lambda outline, ids: decide_pin(outline, resolve_entry(ids, entry)), "pin")

    def rename(self, path: str, title: str) -> Decision:
        """Rename a section (``Chapter/Section``) or a chapter (``Chapter``), for good."""
        from .curate import decide_rename  # deferred: a decision's

        return self._decide(lambda outline, ids: decide_rename(outline, path, title), "rename")

    def merge(self, a: str, b: str) -> Decision:
        """Merge B into A: two entries (ids), two sections (``Chapter/Section``) or two chapters."""
        from .curate import decide_merge  # deferred: a decision's

        return self._decide(lambda outline, ids: decide_merge(outline, ids, a, b), "merge")

    def _decide(self, make: Callable[[Outline, list[str]], Decision], command: str) -> Decision:
        with self._open(create=False, lock=True) as store:
            return Pipeline(self).decide(store, make, command)

    def fetch(
        self,
        options: FetchOptions | None = None,
        *,
        dumps: Sequence[str | os.PathLike] = (),
        max_age: dt.timedelta | None = None,
        format: str | None = None,
        progress: Progress | None = None,
    ) -> FetchReport:
        """Fetch the book's links (and those of ``dumps``, about to be built or added) that are
        new or older than ``max_age``, and keep what each page says in the store.

        The book's entries then learn from their pages in place (:func:`selfbook.fetch.enrich`),
        without moving: the next :meth:`build` embeds and organizes them with the new text, and
        an :meth:`add` places its new entries by it. Only what the person asks is fetched."""
        pipeline = Pipeline(self)
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
            outline = store.load_outline()
            by_id = {e.id: e for e in store.load_entries()}
        return [
            PlacedEntry(by_id[eid], chapter.id, chapter.title, section.id, section.title)
            for chapter in outline.chapters
            for section in chapter.sections
            for eid in section.entry_ids
        ]

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
        ``map.png`` and ``map.html`` (see :mod:`selfbook.topicmap`)."""
        with self._open(create=False) as store:
            pipeline = Pipeline(self)
            book = pipeline.load_book(store, vectors=False)
            return pipeline.topic_map(store, book, store.get_meta("model") or self.embedder.model_id)

    def neighbours(self, k: int = 5) -> dict[str, tuple[str, ...]]:
        """Every entry's ``k`` nearest entries by meaning (exact cosine of the book's own vectors,
        nearest first): related entries without a query to embed, e.g. for an exported vault."""
        with self._open(create=False) as store:
            pipeline = Pipeline(self)
            book = pipeline.load_book(store, vectors=False)
            vectors = pipeline.vectors_of(store, book, store.get_meta("model") or self.embedder.model_id)
        ids = [e.id for e in book.entries]
        return {ids[i]: tuple(ids[j] for j in row) for i, row in enumerate(nearest_rows(vectors, k))}

    def digest(self, since: dt.date, *, lang: str = "", llm: LLM | None = None) -> Digest:
        """What is new in the book since ``since``, per chapter (see :mod:`selfbook.digest`)."""
        from .digest import DigestView, make_digest  # deferred: digest's

        with self._open(create=False) as store:
            view = DigestView(
                outline=store.load_outline(), entries={e.id: e for e in store.load_entries()},
                installments=tuple(store.load_installments()), base_period=store.get_meta("period") or "",
                created=store.get_meta("created") or "",
            )
        return make_digest(view, since, lang=lang, llm=llm)

    def links(self) -> list[tuple[Link, tuple[str, ...]]]:
        """Every link of the book with the ids of the entries that hold it, in reading order;
        a link never fetched has status ``"unfetched"``."""
        from .fetch import entry_links  # deferred: httpx

        with self._open(create=False) as store:
            entries, known = store.load_entries(), store.load_links()
        holders: dict[str, list[str]] = {}
        for entry in entries:
            for url in entry_links(entry):
                holders.setdefault(url, []).append(entry.id)
        return [(known.get(url) or Link(url, "unfetched", ""), tuple(ids)) for url, ids in holders.items()]

    def link_states(self) -> dict[str, Link]:
        """What ``selfbook fetch`` learned of each fetched link, by URL (empty before the first fetch)."""
        with self._open(create=False) as store:
            return store.load_links()

    # -- searching and asking ------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilters = SearchFilters(),
        method: str = "hybrid",
        budget_ms: int | None = None,
        vector: QueryVector | None = None,
    ) -> Hits:
        """The entries that best match ``query``, best first (see :mod:`selfbook.search`).

        ``method`` is ``hybrid`` (BM25 and vector rankings fused), ``lexical`` or ``dense``.
        Ask for a larger ``limit`` to retrieve broadly (e.g. 50 passages for an answer). The
        book's index and vectors are loaded once per Library and reloaded when the book changes.
        Threads may search one Library at once: their query vectors are embedded together.
        ``budget_ms`` (default ``Settings.search_budget_ms``; 0: none) is how long the search may
        wait for its query's vector; past it, the hits are ranked by BM25 alone and
        ``hits.degraded`` is ``"lexical"``. ``vector``: the query's vector from
        :meth:`query_vector`, when the caller looked for it first (not ready in time: BM25
        alone, degraded as past a budget).
        Raises :class:`~selfbook.search.QueryError` for an empty query or a filter that matches
        nothing in the book; a query with no words (only punctuation) finds nothing.
        """
        check_query(query, limit, method)
        budget = self.settings.search_budget_ms if budget_ms is None else budget_ms
        deadline = time.monotonic() + budget / 1000 if budget > 0 else None
        with self._reading() as store:
            searcher = self._current_searcher(store)
            return searcher.search(
                store, query, limit=limit, filters=filters, method=method, deadline=deadline, given=vector,
            )

    def prepare_search(self) -> str:
        """Load what a search needs but the model (the index and the vectors); returns the
        model id the book's vectors are of."""
        with self._reading() as store:
            searcher = self._current_searcher(store)
            searcher.prepare(store)
            return searcher.model

    def query_vector(self, query: str, deadline: float | None = None) -> QueryVector:
        """The vector :meth:`search` would look up for ``query`` (by the book's model, through
        :attr:`query_vectors`); its ``vector`` is None when it is not ready by ``deadline`` (a
        :func:`time.monotonic` time; None: wait). For a caller that searches elsewhere with it:
        ``selfbook serve --workers`` embeds here and searches in its worker processes."""
        with self._reading() as store:
            model = self._current_searcher(store).model
        return QueryVector(model, self.query_vectors.get(model, query, deadline))

    def _current_searcher(self, store: Store) -> Searcher:
        """The searcher of the book as it is now (loaded again when the book changed). The lock is
        taken only to load one: a search that holds it while it asks the store for the book's
        version would keep every other search waiting behind that query."""
        searcher = self._searcher
        if searcher is not None and searcher.current(store):
            return searcher
        with self._searching:
            if self._searcher is None or not self._searcher.current(store):
                self._searcher = Searcher(store, self.embedder_of, queries=self.query_vectors)
            return self._searcher

    def ask(
        self,
        question: str,
        *,
        limit: int = 8,
        llm: LLM | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` from the notes, with numbered citations (see :mod:`selfbook.ask`).

        ``llm`` defaults to the one the settings name (``SELFBOOK_LLM``); with none, the answer is
        made of extracts. Questions about the whole book ("how many papers … in 2024") are
        computed from its structured data. ``on_text`` receives the answer as it streams.
        """
        if not question.strip():
            raise QueryError("the question is empty — ask something, e.g. selfbook ask 'what did I save about RAG?'")
        from .ask import answer  # deferred: ask's
        from .corpus import MemoryCorpus
        from .llm import get_llm

        model = llm if llm is not None else get_llm(self.settings)
        corpus = MemoryCorpus(self.entries(), self.outline())
        return answer(question, search=self.search, llm=model, corpus=corpus, limit=limit, on_text=on_text)


def _unused(folder: Path, name: str, suffix: str) -> Path:
    """``folder/name.suffix``, or ``name-2.suffix``, ``name-3.suffix``… : the first that is free."""
    candidates = (folder / f"{name}{'' if k == 1 else f'-{k}'}{suffix}" for k in itertools.count(1))
    return next(p for p in candidates if not p.exists())
