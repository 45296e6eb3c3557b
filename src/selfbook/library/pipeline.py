"""The stages of every write to a book, and the one commit they all end with.

A build reads the dumps, normalizes, embeds, merges near duplicates, organizes, titles (by an LLM
when one is set) and replays the installments and decisions the store holds. An add places new
dumps into the book as it is; a decision (move, pin, rename, merge) and a fetch change the book in
memory. Each ends in :meth:`Pipeline.commit`: render the markdown, draw the map, stage the files,
save the store in one transaction, and put the files in place once it has committed.

Start-up: what only one stage needs is imported where it runs, marked ``# deferred`` (see
:mod:`selfbook.library`).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..embed import content_hash, embed_pending
from ..errors import BookError, SelfbookError
from ..models import Decision, Entry, Link, LLMTitles, Outline, Skip
from ..reports import AddReport, BuildReport, Progress
from ..search.dense import nearest_rows
from ..search.index import updated_index
from ..settings import Settings, now_iso, today
from ..store import BookState, Store
from .embedding import Embedding

if TYPE_CHECKING:
    from ..book import WriteResult
    from ..book.topicmap import TopicMap
    from ..fetch import FetchOptions, FetchReport
    from ..ingest import Dump
    from ..organize.assign import AssignParams
    from ..organize.update import Book

MAP_PROJECTION = "map_projection"
"""The meta key of the topic map's fitted projection (see :class:`selfbook.book.topicmap.Projection`)."""
LLM_TITLES = "llm_titles"
"""The meta key of the last build's title choices by an LLM (see :mod:`selfbook.organize.llm_titles`)."""


@dataclass
class Timer:
    """How long each stage took, in order (a report's ``timings``)."""

    laps: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.laps.append((name, time.perf_counter() - start))


@contextmanager
def no_gc_pauses() -> Iterator[None]:
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


@dataclass(frozen=True)
class Fresh:
    """What a build saves of its own; every other write keeps what the store holds."""

    sources: tuple[str, ...]  # the dumps built, relative to the book
    skips: tuple[Skip, ...]
    dumps: Mapping[str, tuple[str, int]]  # path -> (sha256, entries)
    meta: Mapping[str, str]  # besides the created date, the map's projection and the titles
    titles: LLMTitles | None


class Pipeline:
    """The stages of a write, and the commit they end with, for the book in ``book_dir``."""

    def __init__(self, book_dir: Path, settings: Settings, embedding: Embedding) -> None:
        self.book_dir = book_dir
        self.settings = settings
        self.embedding = embedding
        self.timer = Timer()

    # -- reading -------------------------------------------------------------------------------
    def read(
        self, dumps: Sequence[str | os.PathLike], format: str | None, progress: Progress | None = None, *, notes: bool = False
    ) -> list[Dump]:
        """Every dump read and checked; with ``notes``, also the hand-typed notes of the book
        (:meth:`~selfbook.library.Library.add_note`) that ``dumps`` do not name, read as markdown."""
        from ..importers import read_source  # deferred: a write's
        from ..ingest.note import NOTES_DIR

        folder = self.book_dir / NOTES_DIR
        if notes:
            named = {Path(p).resolve() for p in dumps}
            dumps = [*dumps, *(p for p in sorted(folder.glob("*.md")) if p.resolve() not in named)]
        with self.timer.stage("read"):
            return [read_source(p, "markdown" if notes and Path(p).parent == folder else format, progress) for p in dumps]

    # -- the stages of a build, an add, a decision and a fetch ---------------------------------
    def build(self, store: Store, read: list[Dump], *, reorganize: bool, progress: Progress | None) -> BuildReport:
        """The whole book from ``read``, with the installments and decisions the store holds
        replayed (see :meth:`selfbook.library.Library.build`), committed."""
        from ..book import WriteResult  # deferred: a write's
        from ..fetch import enrich
        from ..normalize import near_duplicates, normalize_entries
        from ..organize import OrganizeParams, organize
        from ..organize.update import Book, moved as moved_entries, replay, split_dumps

        timer = self.timer
        installments, history = store.load_installments(), store.load_decisions()
        base, later = split_dumps([(d, _sha256(Path(d.path))) for d in read], installments, reorganize=reorganize)
        links, pages = store.load_links(), store.load_pages()
        with timer.stage("normalize"):
            normalized = normalize_entries([raw for dump in base for raw in dump.entries])
            normalized = replace(normalized, entries=tuple(enrich(normalized.entries, links, pages)))
        before = store.load_outline()
        entries = list(normalized.entries)
        texts = [e.embed_text() for e in entries]
        embedder = self.embedding.embedder
        with timer.stage("embed"):
            report = (lambda done, total: progress("embed", done, total)) if progress else None
            vectors, embedded = embed_pending(texts, embedder, store, batch=self.settings.embed_batch, progress=report, executor=self.embedding.executor)
            cached = len(set(texts)) - embedded
        with timer.stage("dedupe"):
            near = near_duplicates(entries, vectors)
            entries = list(near.entries)
            vectors = vectors[list(near.kept_rows)]
            texts = [e.embed_text() for e in entries]
        with timer.stage("organize"):
            outline = organize(
                [e.id for e in entries], texts, vectors, OrganizeParams(seed=self.settings.seed),
                headings=[e.headings for e in entries], kinds=[e.kind for e in entries],
            )
        with timer.stage("titles"):  # before the person's decisions are replayed: their renames win
            outline, titled = self._llm_titles(store, outline, entries, vectors, progress)
        with timer.stage("curate"):
            book = Book(
                tuple(entries), {e.id: content_hash(t) for e, t in zip(entries, texts)}, vectors, outline,
                tuple(normalized.merges) + tuple(near.merges), tuple(near.flags),
            )
            book, replayed, skipped = replay(book, later, history, embed=self._embed_with(store), enrich=self._enrich_with(store))
        fresh = Fresh(
            sources=self._relative([d.path for d in base]),
            skips=tuple(s for d in read for s in d.skips),
            dumps={d.path: (_sha256(Path(d.path)), len(d.entries)) for d in base},
            meta={
                "model": embedder.model_id, "seed": str(self.settings.seed),
                "sources": json.dumps(self._relative([d.path for d in base]), ensure_ascii=False), "period": _period_iso(base),
            },
            titles=titled,
        )
        chapters = book.outline.chapters
        result = BuildReport(
            book=str(self.book_dir), dumps=tuple(d.path for d in read), entries_read=sum(len(d.entries) for d in read),
            entries=len(book.entries), merges=book.merges, flags=book.flags, skipped=fresh.skips, chapters=len(chapters),
            sections=sum(len(c.sections) for c in chapters), misc=sum(len(s.entry_ids) for c in chapters for s in c.sections if s.misc),
            embedded=embedded, cached=cached, model=embedder.model_id, files=WriteResult((), (), ()), timings=(),
            moved=tuple(moved_entries(before, book.outline)) if before is not None else (), installments=len(replayed),
            decisions=len(history) - len(skipped), llm=_llm_report(titled),
        )
        written = self.commit(store, book, command="build", report=result.to_dict(), fresh=fresh, timed=True)
        return BuildReport(**{**result.__dict__, "files": written, "timings": tuple(timer.laps)})

    def _llm_titles(
        self, store: Store, outline: Outline, entries: Sequence[Entry], vectors: np.ndarray, progress: Progress | None
    ) -> tuple[Outline, LLMTitles | None]:
        """The organizer's outline with the titles and descriptions of the LLM the settings name
        (none, or ``llm_titles`` 0: as it is). A model that cannot be used leaves it as it is,
        with a warning in the record: a build never fails for the LLM."""
        if not self.settings.llm or not self.settings.llm_titles:
            return outline, None
        from ..answer.llm import get_llm  # deferred: asked only when a model is set
        from ..organize import llm_titles

        try:
            llm = get_llm(self.settings)
        except SelfbookError as exc:
            return outline, LLMTitles(self.settings.llm, warning=f"{exc}; the organizer's titles were kept")
        return llm_titles.retitle(
            outline, {e.id: e for e in entries}, llm, self.settings.llm, store,
            vectors={e.id: v for e, v in zip(entries, vectors)}, progress=progress,
        )

    @no_gc_pauses()
    def add(self, store: Store, read: list[Dump], params: AssignParams | None) -> AddReport:
        """Each dump of ``read`` placed into the book as an installment (see
        :meth:`selfbook.library.Library.add`), committed unless every one was already in it,
        with the garbage collector paused (:func:`no_gc_pauses`)."""
        from ..book import WriteResult  # deferred: a write's
        from ..organize.assign import AssignParams
        from ..organize.update import Added, add_dump

        params, timer = params or AssignParams(), self.timer
        with timer.stage("load"):
            book = self.load_book(store)
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
            files = self.commit(store, book, command="add", report=report, skips=[s for d in read for s in d.skips], stored=stored)
        from ..book.review import grown_chapters  # deferred: a write's

        grown = tuple((c.title, built, new) for c, built, new in grown_chapters(book.outline, book.installments))
        return AddReport(str(self.book_dir), tuple(results), files, tuple(timer.laps), grown)

    def decide(self, store: Store, command: str, *args: str) -> Decision:
        """The decision ``command`` draws up from ``args`` (:data:`selfbook.organize.curate.DECISIONS`),
        numbered, dated, applied and committed."""
        from ..organize.curate import DECISIONS, describe  # deferred: a decision's
        from ..organize.update import apply as apply_book

        book = self.load_book(store, vectors=False)
        decision = DECISIONS[command](book.outline, [e.id for e in book.entries], *args)
        decision = replace(decision, made=now_iso(), number=(max((d.number for d in store.load_decisions()), default=0) + 1))
        book, skipped = apply_book(book, [decision])
        if skipped:
            raise BookError(f"{describe(decision)}: found nothing to change — check the names with 'selfbook chapters'")
        self.commit(store, book, command=command, report={"decision": describe(decision)}, decisions=[decision])
        return decision

    def fetch(
        self, store: Store, read: list[Dump], options: FetchOptions | None, *, max_age: dt.timedelta | None, progress: Progress | None
    ) -> FetchReport:
        """Fetch the links of the book and of ``read`` (see :meth:`selfbook.library.Library.fetch`);
        the book's entries learn from their pages in place, committed when any changed."""
        from ..fetch import DEFAULT_MAX_AGE, FetchOptions, book_links, enrich, fetch_links  # deferred: httpx
        from ..normalize import normalize_entries

        options = options or FetchOptions()
        max_age = DEFAULT_MAX_AGE if max_age is None else max_age
        stored = store.load_entries()
        fresh = normalize_entries([raw for dump in read for raw in dump.entries]).entries if read else ()
        report = fetch_links(store, book_links([*stored, *fresh]), options, max_age=max_age, progress=progress, book=str(self.book_dir))
        if not stored:
            return report
        book = self.load_book(store)
        learned = enrich(book.entries, store.load_links(), store.load_pages())
        changed = sum(1 for a, b in zip(learned, book.entries) if a != b)
        if not changed and not report.newly_dead and not report.archived and not report.pages_archived:
            return report
        files = self.commit(store, replace(book, entries=tuple(learned)), command="fetch", report=report.to_dict(), stored=book.entries)
        return replace(report, entries_enriched=changed, files_written=len(files.written))

    # -- the commit ----------------------------------------------------------------------------
    def commit(
        self, store: Store, book: Book, *, command: str, report: dict, fresh: Fresh | None = None,
        stored: tuple[Entry, ...] = (), skips: Sequence[Skip] = (), decisions: Sequence[Decision] = (), timed: bool = False,
    ) -> WriteResult:
        """Render ``book``, draw its map, stage the files, save the store in one transaction,
        then put the files in place: the end of every write.

        ``fresh`` is what a build saves of its own; the index's term counts are then counted
        afresh. Otherwise the rest is kept from the store, and ``stored`` (the entries as the
        store holds them) lets it count, index and rewrite only what changed; the map uses the
        stored projection again when its base is unchanged (the same files as a fresh count and fit).
        ``timed``: the render, the map and the write are each a stage of :attr:`timer`."""
        from ..book import BookMeta, render_book, stage  # deferred: a write's
        from ..book.index_terms import count_afresh, placed, recount
        from ..book.topicmap import map_files

        lap = self.timer.stage if timed else lambda name: nullcontext()
        created = store.get_meta("created") or self.settings.created or today().isoformat()
        with lap("render"):
            if fresh:
                sources = fresh.sources
            else:
                kept = store.get_meta("sources")
                sources = tuple(json.loads(kept)) if kept else self._relative(list(store.load_dumps()))
            meta = BookMeta(title=self.settings.title, created=created, sources=sources + self._relative([i.path for i in book.installments]))
            by_id = book.by_id()
            with no_gc_pauses():  # the index's term counts, kept for later writes: 400k small containers at 10k entries
                if fresh:
                    counted = count_afresh(placed(book.outline, by_id).values())
                else:  # only what changed
                    before = {e.id: e for e in (stored or store.load_entries())}
                    counted = recount(store, placed(store.load_outline(), before), placed(book.outline, by_id))
            files = render_book(
                book.outline, by_id, meta, merges=book.merges, flags=book.flags, installments=book.installments,
                terms=counted.candidates, dead=dead_links(book.entries, store.load_links()),
                titles=fresh.titles if fresh else _llm_titles_kept(store),
            )
        with lap("map"):  # a build's from the vectors a later add reads (a near-duplicate's merged text has its own)
            if fresh:
                mapped, model = replace(book, vectors=self.cached_vectors(store, book.entries, dict(book.hashes))), self.embedding.embedder.model_id
            else:
                mapped, model = book, store.get_meta("model") or self.embedding.embedder.model_id
            topic_map = self.topic_map(store, mapped, model)
            files.update(map_files(topic_map, self.settings.title))
        with lap("write"):
            txid = uuid.uuid4().hex
            staged = stage(self.book_dir, files, txid)
            projection = topic_map.projection.dumps() if topic_map.projection else ""
            state = BookState(
                entries=book.entries, content_hashes=book.hashes, outline=book.outline, merges=book.merges, flags=book.flags,
                skips=fresh.skips if fresh else tuple(store.load_skips()) + tuple(skips),
                dumps=fresh.dumps if fresh else store.load_dumps(),
                meta={"created": created, **fresh.meta, MAP_PROJECTION: projection, LLM_TITLES: _llm_titles_dumps(fresh.titles)}
                if fresh else {MAP_PROJECTION: projection},
                installments=book.installments, decisions=tuple(decisions), base=stored,
                index_terms=counted.rows, search_index=updated_index(store, book.entries, stored),
            )
            store.save_book(state, txid=txid, command=command, report=report)
            return staged.apply()

    # -- the book in memory, its vectors and its map -------------------------------------------
    def load_book(self, store: Store, *, vectors: bool = True) -> Book:
        """The stored book in memory; with ``vectors``, each entry's vector from the cache
        (embedding, once, any the cache lacks: a book built with another model)."""
        from ..organize.update import Book  # deferred: a write's (or the map's)

        entries = store.load_entries()
        hashes = store.content_hashes()
        matrix = self.cached_vectors(store, entries, hashes) if vectors else np.zeros((len(entries), 0), dtype=np.float32)
        return Book(
            tuple(entries), hashes, matrix, store.load_outline(), tuple(store.load_merges()), tuple(store.load_flags()),
            tuple(store.load_installments()),
        )

    def book_map(self, store: Store) -> TopicMap:
        """The map of the stored book, from each entry's vector by the book's model."""
        book = self.load_book(store, vectors=False)
        return self.topic_map(store, book, store.get_meta("model") or self.embedding.embedder.model_id)

    def neighbours(self, store: Store, k: int) -> dict[str, tuple[str, ...]]:
        """Every entry's ``k`` nearest entries by the stored book's vectors (its model's), nearest first."""
        book = self.load_book(store, vectors=False)
        vectors = self.vectors_of(store, book, store.get_meta("model") or self.embedding.embedder.model_id)
        ids = [e.id for e in book.entries]
        return {ids[i]: tuple(ids[j] for j in row) for i, row in enumerate(nearest_rows(vectors, k))}

    def cached_vectors(self, store: Store, entries: Sequence[Entry], hashes: dict[str, str]) -> np.ndarray:
        """Each entry's vector by its hash in ``hashes`` (the text it was placed by), from the cache;
        an entry whose vector the cache lacks (a book built with another model) is embedded, once,
        and ``hashes`` updated."""
        embedder = self.embedding.embedder
        cached = store.cached_vectors(embedder.model_id, set(hashes.values()))
        missing = [e for e in entries if hashes[e.id] not in cached]
        if missing:
            embed_pending([e.embed_text() for e in missing], embedder, store, batch=self.settings.embed_batch, executor=self.embedding.executor)
            hashes.update((e.id, content_hash(e.embed_text())) for e in missing)
            cached = store.cached_vectors(embedder.model_id, set(hashes.values()))
        return np.stack([cached[hashes[e.id]] for e in entries]) if entries else np.zeros((0, embedder.dim), np.float32)

    def vectors_of(self, store: Store, book: Book, model: str) -> np.ndarray:
        """Each entry's vector by ``model`` (the book's), from what ``book`` holds or the cache
        (embedding, once, any the cache lacks)."""
        if book.vectors.shape[0] == len(book.entries) and book.vectors.shape[1] and self.embedding.embedder.model_id == model:
            return book.vectors  # an add has them in hand
        texts = [e.embed_text() for e in book.entries]
        return embed_pending(texts, self.embedding.of(model), store, batch=self.settings.embed_batch, executor=self.embedding.executor)[0]

    def topic_map(self, store: Store, book: Book, model: str) -> TopicMap:
        """The map of ``book`` from each entry's vector by ``model`` (cached; embedded once if not)."""
        from ..book.topicmap import Projection, make_map  # deferred: the map's

        vectors = self.vectors_of(store, book, model)
        later = {eid for installment in book.installments for eid in installment.entry_ids}
        base = frozenset(e.id for e in book.entries if e.id not in later)
        kept = Projection.loads(store.get_meta(MAP_PROJECTION))  # the last map's fit: used again for the same base
        return make_map(book.outline, book.by_id(), {e.id: v for e, v in zip(book.entries, vectors)}, base, kept)

    def _enrich_with(self, store: Store) -> Callable[[Sequence[Entry]], list[Entry]]:
        from ..fetch import enrich  # deferred: httpx

        links, pages = store.load_links(), store.load_pages()
        return lambda entries: enrich(entries, links, pages)

    def _embed_with(self, store: Store) -> Callable[[Sequence[str]], tuple]:
        return lambda texts: embed_pending(list(texts), self.embedding.embedder, store, batch=self.settings.embed_batch, executor=self.embedding.executor)

    def _relative(self, paths: Sequence[str]) -> tuple[str, ...]:
        return tuple(os.path.relpath(Path(p).resolve(), self.book_dir.resolve()) for p in paths)


def dead_links(entries: Sequence[Entry], links: Mapping[str, Link]) -> list[tuple[str, str, str]]:
    """``(entry id, url, status)`` of every dead link of these entries, for REVIEW.md: the URL as
    the entry saved it (the links table is keyed by the canonical form)."""
    from ..fetch import entry_links  # deferred: httpx
    from ..normalize import canonical_url

    dead = []
    for e in entries:
        saved = {canonical_url(u): u for u in reversed(e.urls)}  # the first spelling of each
        dead += [(e.id, saved.get(url, url), links[url].status) for url in entry_links(e) if url in links and links[url].dead]
    return dead


def _sha256(path: Path) -> str:
    """The content digest of a dump: a file's bytes, or a vault folder's notes (see importers)."""
    from ..importers import source_digest  # deferred: a write's

    return source_digest(path)


def _period_iso(dumps: Sequence[Dump]) -> str:
    """The time the dumps cover, as ISO ``start/end`` (empty when unknown)."""
    from ..organize.update import dump_period  # deferred: a write's

    periods = [p for p in map(dump_period, dumps) if p is not None]
    return f"{min(p.start for p in periods).isoformat()}/{max(p.end for p in periods).isoformat()}" if periods else ""


def _llm_titles_kept(store: Store) -> LLMTitles | None:
    """The last build's title choices by an LLM, as the store keeps them."""
    from ..organize import llm_titles  # deferred: the organizer's package

    return llm_titles.loads(store.get_meta(LLM_TITLES))


def _llm_titles_dumps(titled: LLMTitles | None) -> str:
    from ..organize import llm_titles  # deferred: the organizer's package

    return llm_titles.dumps(titled)


def _llm_report(titled: LLMTitles | None) -> dict | None:
    """What the build report says of the LLM's titles (``None``: no LLM was asked)."""
    if titled is None:
        return None
    from ..organize import llm_titles  # deferred: the organizer's package

    return {
        "model": titled.model, "asked": titled.asked, "cached": titled.cached, "retitled": len(titled.retitled),
        "rejected": len(titled.rejected), "moved": len(titled.moves), "merged": len(titled.merged), "warning": titled.warning, "summary": llm_titles.summary(titled),
    }
