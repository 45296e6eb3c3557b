"""The facade: everything the CLI (and later the web page and the MCP server) may ask of a book.

A book is a folder: its markdown files, plus its state in ``<book>/.selfbook/`` (the store, the
manifest of files selfbook wrote, a lock, and journals of writes in flight). What it hands back
(:class:`BuildReport`, :class:`AddReport`, :class:`PlacedEntry`) is in :mod:`selfbook.reports`.

Start-up: this module imports at the top only what opening and searching a book need. What only
a write (reading dumps, organizing, rendering, the map), an answer or a digest needs is imported
in the method that does it, each marked ``# deferred``: ``selfbook chapters`` and ``selfbook
search`` import this module and need not wait for the organizer, the importers and the renderer
(measured by bench/cli_start.py).
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import logging
import os
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterator, Mapping, Sequence

import numpy as np

from .embed import Embedder, Executor, content_hash, embed_pending, get_embedder
from .errors import BookError, SelfbookError
from .models import Decision, Entry, Installment, Link, LLMTitles, Outline
from .reports import AddReport, BuildReport, PlacedEntry
from .search import Hits, QueryError, QueryVector, QueryVectors, SearchFilters, Searcher, check_query, embedder_for
from .search.dense import nearest_rows
from .search.index import full_index, updated_index
from .settings import Settings, load_settings, source_time, today
from .store import BookState, Store, open_store, writer_lock

if TYPE_CHECKING:
    from .ask import Answer
    from .fetch import FetchOptions, FetchReport
    from .assign import AssignParams
    from .book import WriteResult
    from .digest import Digest
    from .ingest import Dump
    from .llm import LLM
    from .topicmap import TopicMap
    from .update import Book

STATE_DIR = ".selfbook"
KEEP_READING_S = 2.0
"""How long a thread keeps the store it searches open (see :meth:`Library._reading`)."""
MAP_PROJECTION = "map_projection"
"""The meta key of the topic map's fitted projection (see :class:`selfbook.topicmap.Projection`)."""
LLM_TITLES = "llm_titles"
"""The meta key of the last build's title choices by an LLM (see :mod:`selfbook.organize.llm_titles`)."""
log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as long steps advance."""


@dataclass
class _Timer:
    laps: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.laps.append((name, time.perf_counter() - start))


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bounded step such as an add: with a whole
    book loaded (a million objects at 10,000 entries) every full collection walks all of them,
    a fifth of an add's time, to find next to nothing (the book's objects hold no cycles).
    It runs again, as it was, afterwards."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _sha256(path: Path) -> str:
    """The content digest of a dump: a file's bytes, or a vault folder's notes (see importers)."""
    from .importers import source_digest  # deferred: a write's

    return source_digest(path)


def _unused(folder: Path, name: str, suffix: str) -> Path:
    """``folder/name.suffix``, or ``name-2.suffix``, ``name-3.suffix``… : the first that is free."""
    candidates = (folder / f"{name}{'' if k == 1 else f'-{k}'}{suffix}" for k in itertools.count(1))
    return next(p for p in candidates if not p.exists())


def _period_iso(dumps: Sequence[Dump]) -> str:
    """The time the dumps cover, as ISO ``start/end`` (empty when unknown)."""
    from .update import dump_period  # deferred: a write's

    periods = [p for p in map(dump_period, dumps) if p is not None]
    return f"{min(p.start for p in periods).isoformat()}/{max(p.end for p in periods).isoformat()}" if periods else ""


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
        self.query_vectors = QueryVectors(lambda model: embedder_for(model, self._embedder, self.settings.threads))
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

    # -- opening -------------------------------------------------------------------------------
    def _notes(self, dumps: Sequence[str | os.PathLike]) -> list[Path]:
        """The hand-typed notes of the book (:meth:`add_note`) that ``dumps`` does not name."""
        from .ingest.note import NOTES_DIR  # deferred: a write's

        named = {Path(p).resolve() for p in dumps}
        return [p for p in sorted((self.book_dir / NOTES_DIR).glob("*.md")) if p.resolve() not in named]

    def _check_book_dir(self) -> None:
        if self.book_dir.exists() and not self.book_dir.is_dir():
            raise BookError(f"{self.book_dir}: is a file, not a book folder — choose another --book")

    @contextmanager
    def _open(self, *, create: bool, lock: bool = False) -> Iterator[Store]:
        self._check_book_dir()
        if not self.state_dir.is_dir():
            if not create:
                raise BookError(f"{self.book_dir}: no book here yet — run 'selfbook build DUMP --book {self.book_dir}'")
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
                raise BookError(f"{self.book_dir}: no book here yet — run 'selfbook build DUMP --book {self.book_dir}'")
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
                self._embedder = embedder_for(model, None, self.settings.threads)
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

    # -- building ------------------------------------------------------------------------------
    def build(
        self,
        dumps: Sequence[str | os.PathLike],
        *,
        reorganize: bool = False,
        progress: Progress | None = None,
        format: str | None = None,
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
        from .importers import read_source  # deferred: a write's
        from .ingest.note import NOTES_DIR
        from .normalize import normalize_entries
        from .update import split_dumps

        self._check_book_dir()
        dumps = [*dumps, *self._notes(dumps)]
        timer = _Timer()
        with timer.stage("read"):
            read = [read_source(p, "markdown" if Path(p).parent == self.book_dir / NOTES_DIR else format, progress) for p in dumps]
        with self._open(create=True, lock=True) as store:
            installments, history = store.load_installments(), store.load_decisions()
            base, later = split_dumps([(d, _sha256(Path(d.path))) for d in read], installments, reorganize=reorganize)
            links, pages = store.load_links(), store.load_pages()
            from .fetch import enrich  # deferred: the fetcher (httpx) is for build and fetch only

            with timer.stage("normalize"):
                normalized = normalize_entries([raw for dump in base for raw in dump.entries])
                normalized = replace(normalized, entries=tuple(enrich(normalized.entries, links, pages)))
            before = store.load_outline()
            return self._build(store, read, sum(len(d.entries) for d in read), normalized, timer, progress, (base, later, history, before))

    def _build(
        self, store: Store, read: list[Dump], n_read: int, normalized, timer: _Timer, progress: Progress | None, past=None
    ) -> BuildReport:
        from .book import BookMeta, WriteResult, render_book, stage  # deferred: a write's
        from .book.index_terms import count_afresh, placed
        from .normalize import near_duplicates
        from .organize import OrganizeParams, organize
        from .topicmap import map_files
        from .update import Book, moved as moved_entries, replay

        base, later, history, before = past or (read, [], [], None)
        entries = list(normalized.entries)
        texts = [e.embed_text() for e in entries]
        with timer.stage("embed"):
            report = (lambda done, total: progress("embed", done, total)) if progress else None
            vectors, embedded = embed_pending(texts, self.embedder, store, batch=self.settings.embed_batch, progress=report, executor=self.executor)
            cached = len(set(texts)) - embedded
        with timer.stage("dedupe"):
            near = near_duplicates(entries, vectors)
            entries = list(near.entries)
            vectors = vectors[list(near.kept_rows)]
            texts = [e.embed_text() for e in entries]
        with timer.stage("organize"):
            outline = organize(
                [e.id for e in entries], texts, vectors, OrganizeParams(seed=self.settings.seed),
                headings=[e.headings for e in entries],
            )
        with timer.stage("titles"):  # before the person's decisions are replayed: their renames win
            outline, titled = self._llm_titles(store, outline, entries, vectors, progress)
        merges = tuple(normalized.merges) + tuple(near.merges)
        with timer.stage("curate"):
            book = Book(tuple(entries), {e.id: content_hash(t) for e, t in zip(entries, texts)}, vectors, outline, merges, tuple(near.flags))
            book, replayed, skipped = replay(book, later, history, embed=self._embed_with(store), enrich=self._enrich_with(store))
            entries, outline, merges = list(book.entries), book.outline, book.merges
            moved = tuple(moved_entries(before, outline)) if before is not None else ()
        created = store.get_meta("created") or self.settings.created or today().isoformat()
        with timer.stage("render"):
            meta = BookMeta(
                title=self.settings.title,
                created=created,
                sources=self._relative([d.path for d in base]) + self._relative([i.path for i in book.installments]),
            )
            by_id = {e.id: e for e in entries}
            with _no_gc_pauses():  # the index's term counts, kept for later adds: 400k small containers at 10k entries
                counted = count_afresh(placed(outline, by_id).values())
            files = render_book(
                outline, by_id, meta, merges=merges, flags=book.flags, installments=book.installments, terms=counted.candidates,
                dead=dead_links(entries, store.load_links()),
                titles=titled,
            )
        with timer.stage("map"):  # drawn from the vectors a later add reads (a near-duplicate's merged text has its own)
            placed_by = replace(book, vectors=self._cached_vectors(store, book.entries, dict(book.hashes)))
            topic_map = self._topic_map(store, placed_by, self.embedder.model_id)
            files.update(map_files(topic_map, self.settings.title))
        with timer.stage("write"):
            txid = uuid.uuid4().hex
            staged = stage(self.book_dir, files, txid)
            state = BookState(
                entries=tuple(entries),
                content_hashes=book.hashes,
                outline=outline,
                merges=merges,
                flags=book.flags,
                skips=tuple(s for d in read for s in d.skips),
                dumps={d.path: (_sha256(Path(d.path)), len(d.entries)) for d in base},
                meta={
                    "created": created, "model": self.embedder.model_id, "seed": str(self.settings.seed),
                    "sources": json.dumps(self._relative([d.path for d in base]), ensure_ascii=False),
                    "period": _period_iso(base),
                    MAP_PROJECTION: topic_map.projection.dumps() if topic_map.projection else "",
                    LLM_TITLES: _llm_titles_dumps(titled),
                },
                installments=book.installments,
                index_terms=counted.rows,
                search_index=full_index(entries),
            )
            result = BuildReport(
                book=str(self.book_dir),
                dumps=tuple(d.path for d in read),
                entries_read=n_read,
                entries=len(entries),
                merges=merges,
                flags=book.flags,
                skipped=state.skips,
                chapters=len(outline.chapters),
                sections=sum(len(c.sections) for c in outline.chapters),
                misc=sum(len(s.entry_ids) for c in outline.chapters for s in c.sections if s.misc),
                embedded=embedded,
                cached=cached,
                model=self.embedder.model_id,
                files=WriteResult((), (), ()),
                timings=(),
                moved=moved,
                installments=len(replayed),
                decisions=len(history) - len(skipped),
                llm=_llm_report(titled),
            )
            store.save_book(state, txid=txid, command="build", report=result.to_dict())
            written = staged.apply()
        return BuildReport(**{**result.__dict__, "files": written, "timings": tuple(timer.laps)})

    def _llm_titles(
        self, store: Store, outline: Outline, entries: Sequence[Entry], vectors: np.ndarray, progress: Progress | None
    ) -> tuple[Outline, LLMTitles | None]:
        """The organizer's outline with the titles and descriptions of the LLM the settings name
        (none, or ``llm_titles`` 0: as it is). A model that cannot be used leaves it as it is,
        with a warning in the record: a build never fails for the LLM."""
        if not self.settings.llm or not self.settings.llm_titles:
            return outline, None
        from .llm import get_llm  # deferred: asked only when a model is set
        from .organize import llm_titles

        try:
            llm = get_llm(self.settings)
        except SelfbookError as exc:
            return outline, LLMTitles(self.settings.llm, warning=f"{exc}; the organizer's titles were kept")
        return llm_titles.retitle(
            outline, {e.id: e for e in entries}, llm, self.settings.llm, store,
            vectors={e.id: v for e, v in zip(entries, vectors)}, progress=progress,
        )

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

    # -- searching -----------------------------------------------------------------------------
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
                self._searcher = Searcher(
                    store, lambda model: embedder_for(model, self._embedder, self.settings.threads), queries=self.query_vectors
                )
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

    # -- installments and curation (see selfbook.update, selfbook.assign, selfbook.curate) ------
    def add(
        self,
        dumps: Sequence[str | os.PathLike],
        *,
        params: AssignParams | None = None,
        format: str | None = None,
        progress: Progress | None = None,
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
        from .book import WriteResult
        from .importers import read_source
        from .update import Added, add_dump

        params = params or AssignParams()
        timer = _Timer()
        with timer.stage("read"):
            read = [read_source(p, format, progress) for p in dumps]
        with self._open(create=False, lock=True) as store, _no_gc_pauses():
            with timer.stage("load"):
                book = self._load_book(store)
                stored = book.entries
                known = {sha for sha, _ in store.load_dumps().values()} | {i.sha256 for i in book.installments}
                decisions = store.load_decisions()
            results: list[Added] = []
            with timer.stage("place"):
                for dump in read:
                    sha = _sha256(Path(dump.path))
                    if sha in known:
                        results.append(Added(Path(dump.path).name, dump.path, read=len(dump.entries), skipped="already in the book"))
                        continue
                    known.add(sha)
                    book, added = add_dump(
                        book, dump, sha256=sha, added=today().isoformat(), embed=self._embed_with(store),
                        decisions=decisions, after_decision=decisions[-1].number if decisions else 0, params=params,
                        enrich=self._enrich_with(store),
                    )
                    results.append(added)
            if all(r.skipped for r in results):
                return AddReport(str(self.book_dir), tuple(results), WriteResult((), (), ()), tuple(timer.laps))
            with timer.stage("write"):
                report = {"added": [r.to_dict() for r in results]}
                files = self._write(store, book, command="add", report=report, skips=[s for d in read for s in d.skips], stored=stored)
        return AddReport(str(self.book_dir), tuple(results), files, tuple(timer.laps))

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
            raise BookError(f"{self.book_dir}: no book here yet — run 'selfbook build DUMP --book {self.book_dir}'")
        stamp = now_iso().replace("-", "").replace(":", "")[:15]
        folder = self.book_dir / NOTES_DIR
        name = f"{stamp}-{note_slug(title or url)}"
        path = _unused(folder, name, ".md")
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

    def version(self) -> str:
        """An id of the book as it is now: it changes whenever a build, add or decision saves it
        (front ends cache what they show by it)."""
        with self._open(create=False) as store:
            return store.book_version() or ""

    def topic_map(self) -> TopicMap:
        """Every entry placed in 2-D by meaning and coloured by chapter: the layout of the book's
        ``map.png`` and ``map.html`` (see :mod:`selfbook.topicmap`)."""
        with self._open(create=False) as store:
            book = self._load_book(store, vectors=False)
            return self._topic_map(store, book, store.get_meta("model") or self.embedder.model_id)

    def neighbours(self, k: int = 5) -> dict[str, tuple[str, ...]]:
        """Every entry's ``k`` nearest entries by meaning (exact cosine of the book's own vectors,
        nearest first): related entries without a query to embed, e.g. for an exported vault."""
        with self._open(create=False) as store:
            book = self._load_book(store, vectors=False)
            vectors = self._vectors_of(store, book, store.get_meta("model") or self.embedder.model_id)
        ids = [e.id for e in book.entries]
        return {ids[i]: tuple(ids[j] for j in row) for i, row in enumerate(nearest_rows(vectors, k))}

    def history(self) -> tuple[list[Decision], list[Installment]]:
        """The person's decisions in the order made, and the installments in the order added."""
        with self._open(create=False) as store:
            return store.load_decisions(), store.load_installments()

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

    def _decide(self, make: Callable[[Outline, list[str]], Decision], command: str) -> Decision:
        from .curate import describe  # deferred: a decision's
        from .update import apply as apply_book

        with self._open(create=False, lock=True) as store:
            book = self._load_book(store, vectors=False)
            decision = make(book.outline, [e.id for e in book.entries])
            decision = replace(decision, made=now_iso(), number=(max((d.number for d in store.load_decisions()), default=0) + 1))
            book, skipped = apply_book(book, [decision])
            if skipped:
                raise BookError(f"{describe(decision)}: found nothing to change — check the names with 'selfbook chapters'")
            self._write(store, book, command=command, report={"decision": describe(decision)}, decisions=[decision])
        return decision

    # -- links (see selfbook.fetch) -----------------------------------------------------------
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
        from .fetch import DEFAULT_MAX_AGE, FetchOptions, book_links, enrich, fetch_links  # deferred: httpx
        from .importers import read_source
        from .normalize import normalize_entries

        options = options or FetchOptions()
        max_age = DEFAULT_MAX_AGE if max_age is None else max_age
        read = [read_source(p, format) for p in dumps]
        with self._open(create=bool(dumps), lock=True) as store:
            stored = store.load_entries()
            fresh = normalize_entries([raw for dump in read for raw in dump.entries]).entries if read else ()
            report = fetch_links(store, book_links([*stored, *fresh]), options, max_age=max_age, progress=progress, book=str(self.book_dir))
            if not stored:
                return report
            book = self._load_book(store)
            learned = enrich(book.entries, store.load_links(), store.load_pages())
            changed = sum(1 for a, b in zip(learned, book.entries) if a != b)
            if not changed and not report.newly_dead and not report.archived and not report.pages_archived:
                return report
            files = self._write(store, replace(book, entries=tuple(learned)), command="fetch", report=report.to_dict(), stored=book.entries)
        return replace(report, entries_enriched=changed, files_written=len(files.written))

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

    def _enrich_with(self, store: Store) -> Callable[[Sequence[Entry]], list[Entry]]:
        from .fetch import enrich  # deferred: httpx

        links, pages = store.load_links(), store.load_pages()
        return lambda entries: enrich(entries, links, pages)

    def _embed_with(self, store: Store) -> Callable[[Sequence[str]], tuple]:
        return lambda texts: embed_pending(list(texts), self.embedder, store, batch=self.settings.embed_batch, executor=self.executor)

    def _relative(self, paths: Sequence[str]) -> tuple[str, ...]:
        return tuple(os.path.relpath(Path(p).resolve(), self.book_dir.resolve()) for p in paths)

    def _load_book(self, store: Store, *, vectors: bool = True) -> Book:
        """The stored book in memory; with ``vectors``, each entry's vector from the cache
        (embedding, once, any the cache lacks: a book built with another model)."""
        from .update import Book  # deferred: a write's (or the map's)

        entries = store.load_entries()
        hashes = store.content_hashes()
        matrix = self._cached_vectors(store, entries, hashes) if vectors else np.zeros((len(entries), 0), dtype=np.float32)
        return Book(
            tuple(entries), hashes, matrix, store.load_outline(), tuple(store.load_merges()), tuple(store.load_flags()),
            tuple(store.load_installments()),
        )

    def _cached_vectors(self, store: Store, entries: Sequence[Entry], hashes: dict[str, str]) -> np.ndarray:
        """Each entry's vector by its hash in ``hashes`` (the text it was placed by), from the cache;
        an entry whose vector the cache lacks (a book built with another model) is embedded, once,
        and ``hashes`` updated."""
        cached = store.cached_vectors(self.embedder.model_id, set(hashes.values()))
        missing = [e for e in entries if hashes[e.id] not in cached]
        if missing:
            embed_pending([e.embed_text() for e in missing], self.embedder, store, batch=self.settings.embed_batch, executor=self.executor)
            hashes.update((e.id, content_hash(e.embed_text())) for e in missing)
            cached = store.cached_vectors(self.embedder.model_id, set(hashes.values()))
        return np.stack([cached[hashes[e.id]] for e in entries]) if entries else np.zeros((0, self.embedder.dim), np.float32)

    def _vectors_of(self, store: Store, book: Book, model: str) -> np.ndarray:
        """Each entry's vector by ``model`` (the book's), from what ``book`` holds or the cache
        (embedding, once, any the cache lacks)."""
        if book.vectors.shape[0] == len(book.entries) and book.vectors.shape[1] and self.embedder.model_id == model:
            return book.vectors  # an add has them in hand
        embedder = embedder_for(model, self._embedder, self.settings.threads)
        texts = [e.embed_text() for e in book.entries]
        return embed_pending(texts, embedder, store, batch=self.settings.embed_batch, executor=self.executor)[0]

    def _topic_map(self, store: Store, book: Book, model: str) -> TopicMap:
        """The map of ``book`` from each entry's vector by ``model`` (cached; embedded once if not)."""
        from .topicmap import Projection, make_map  # deferred: the map's

        vectors = self._vectors_of(store, book, model)
        later = {eid for installment in book.installments for eid in installment.entry_ids}
        base = frozenset(e.id for e in book.entries if e.id not in later)
        kept = Projection.loads(store.get_meta(MAP_PROJECTION))  # the last map's fit: used again for the same base
        return make_map(book.outline, book.by_id(), {e.id: v for e, v in zip(book.entries, vectors)}, base, kept)

    def _write(
        self, store: Store, book: Book, *, command: str, report: dict, decisions=(), skips=(), stored: tuple[Entry, ...] = ()
    ) -> WriteResult:
        """Render, stage, save in one transaction, then put the files in place (as build does).
        ``stored`` is the entries as the store holds them, so it can rewrite only what changed;
        the index's term counts are brought up to date from the stored ones, and the map uses the
        stored projection again, when its base is unchanged (the same files as a fresh count and fit)."""
        from .book import BookMeta, render_book, stage  # deferred: a write's
        from .book.index_terms import placed, recount
        from .topicmap import map_files

        created = store.get_meta("created") or self.settings.created or today().isoformat()
        base = store.get_meta("sources")
        sources = tuple(json.loads(base)) if base else self._relative(list(store.load_dumps()))
        meta = BookMeta(title=self.settings.title, created=created, sources=sources + self._relative([i.path for i in book.installments]))
        by_id = book.by_id()
        before = {e.id: e for e in (stored or store.load_entries())}
        counted = recount(store, placed(store.load_outline(), before), placed(book.outline, by_id))  # only what changed
        files = render_book(
            book.outline, by_id, meta, merges=book.merges, flags=book.flags, installments=book.installments, terms=counted.candidates,
            dead=dead_links(book.entries, store.load_links()),
            titles=_llm_titles_kept(store),
        )
        topic_map = self._topic_map(store, book, store.get_meta("model") or self.embedder.model_id)
        files.update(map_files(topic_map, self.settings.title))
        txid = uuid.uuid4().hex
        staged = stage(self.book_dir, files, txid)
        state = BookState(
            entries=book.entries, content_hashes=book.hashes, outline=book.outline, merges=book.merges, flags=book.flags,
            skips=tuple(store.load_skips()) + tuple(skips), dumps=store.load_dumps(), installments=book.installments,
            decisions=tuple(decisions), base=stored, index_terms=counted.rows, search_index=updated_index(store, book.entries, stored),
            meta={MAP_PROJECTION: topic_map.projection.dumps() if topic_map.projection else ""},
        )
        store.save_book(state, txid=txid, command=command, report=report)
        return staged.apply()


def dead_links(entries: Sequence[Entry], links: Mapping[str, Link]) -> list[tuple[str, str, str]]:
    """``(entry id, url, status)`` of every dead link of these entries, for REVIEW.md: the URL as
    the entry saved it (the links table is keyed by the canonical form)."""
    from .fetch import entry_links  # deferred: httpx
    from .normalize import canonical_url

    dead = []
    for e in entries:
        saved = {canonical_url(u): u for u in reversed(e.urls)}  # the first spelling of each
        dead += [(e.id, saved.get(url, url), links[url].status) for url in entry_links(e) if url in links and links[url].dead]
    return dead


def _llm_titles_kept(store: Store) -> LLMTitles | None:
    """The last build's title choices by an LLM, as the store keeps them."""
    from .organize import llm_titles  # deferred: the organizer's package

    return llm_titles.loads(store.get_meta(LLM_TITLES))


def _llm_titles_dumps(titled: LLMTitles | None) -> str:
    from .organize import llm_titles  # deferred: the organizer's package

    return llm_titles.dumps(titled)


def _llm_report(titled: LLMTitles | None) -> dict | None:
    """What the build report says of the LLM's titles (``None``: no LLM was asked)."""
    if titled is None:
        return None
    from .organize import llm_titles  # deferred: the organizer's package

    return {
        "model": titled.model, "asked": titled.asked, "cached": titled.cached, "retitled": len(titled.retitled),
        "rejected": len(titled.rejected), "moved": len(titled.moves), "warning": titled.warning, "summary": llm_titles.summary(titled),
    }


def now_iso(env: Mapping[str, str] | None = None) -> str:
    """The time now (UTC, seconds), or SOURCE_DATE_EPOCH's when set: when a decision was made."""
    moment = source_time(env) or dt.datetime.now(dt.timezone.utc)
    return moment.isoformat(timespec="seconds")
