"""The facade: everything the CLI (and later the web page and the MCP server) may ask of a book.

A book is a folder: its markdown files, plus its state in ``<book>/.selfbook/`` (the store, the
manifest of files selfbook wrote, a lock, and journals of writes in flight).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .book import BookMeta, WriteResult, recover, render_book, stage
from .embed import Embedder, content_hash, embed_pending, get_embedder
from .errors import BookError
from .ingest import Dump, read_dump
from .models import Entry, Flag, Merge, Outline, Skip
from .normalize import near_duplicates, normalize_entries
from .organize import OrganizeParams, organize
from .settings import Settings, load_settings, today
from .store import BookState, Store, open_store

STATE_DIR = ".selfbook"

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as long steps advance."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts, every merge, flag and skip with its reason, and time per stage."""

    book: str
    dumps: tuple[str, ...]
    entries_read: int
    entries: int
    merges: tuple[Merge, ...]
    flags: tuple[Flag, ...]
    skipped: tuple[Skip, ...]
    chapters: int
    sections: int
    misc: int
    embedded: int
    cached: int
    model: str
    files: WriteResult
    timings: tuple[tuple[str, float], ...]

    @property
    def merged(self) -> int:
        """Saved copies folded into another entry."""
        return self.entries_read - self.entries

    def to_dict(self) -> dict:
        data = asdict(self)
        data["merged"] = self.merged
        data["merges"] = [{"entry": m.entry_id, "reason": m.reason, "sources": [str(s) for s in m.sources]} for m in self.merges]
        data["skipped"] = [{"source": str(s.source), "reason": s.reason} for s in self.skipped]
        data["timings"] = {name: round(seconds, 3) for name, seconds in self.timings}
        return data


@dataclass(frozen=True)
class PlacedEntry:
    """An entry with where the book puts it."""

    entry: Entry
    chapter_id: str
    chapter: str
    section_id: str
    section: str

    def to_dict(self) -> dict:
        e = self.entry
        return {
            "id": e.id,
            "title": e.title,
            "urls": list(e.urls),
            "kind": e.kind,
            "date": e.date.iso() if e.date else None,
            "date_label": e.date.label() if e.date else None,
            "chapter": self.chapter,
            "section": self.section,
            "chapter_id": self.chapter_id,
            "section_id": self.section_id,
            "source": str(e.source),
            "sources": [str(s) for s in e.sources],
            "note": e.note,
            "entities": [str(x) for x in e.entities],
            "lang": e.lang,
            "script": e.script,
            "merged": e.merged,
        }


@dataclass
class _Timer:
    laps: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.laps.append((name, time.perf_counter() - start))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Library:
    """A book on disk. ``Library(book_dir).build([...])`` makes or remakes it."""

    def __init__(self, book_dir: str | os.PathLike, settings: Settings | None = None, *, embedder: Embedder | None = None) -> None:
        self.book_dir = Path(book_dir)
        self.settings = settings or load_settings(self.book_dir)
        self._embedder = embedder

    @property
    def state_dir(self) -> Path:
        return self.book_dir / STATE_DIR

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embedder, self.settings.threads)
        return self._embedder

    # -- opening -------------------------------------------------------------------------------
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
            store = open_store(self.state_dir)
            try:
                recover(self.book_dir, store.committed)
                yield store
            finally:
                store.close()

    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        if not exclusive:
            yield
            return
        with open(self.state_dir / "lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BookError(f"{self.book_dir}: another selfbook command is writing this book — wait for it to finish") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- building ------------------------------------------------------------------------------
    def build(self, dumps: Sequence[str | os.PathLike], *, progress: Progress | None = None) -> BuildReport:
        """Read the dumps, merge duplicates, embed, organize and write the whole book.

        Every dump is read and checked before anything is written, so a bad input leaves the book
        as it was. The store is replaced in one transaction, and the markdown files are staged and
        put in place only once that transaction has committed.
        """
        if not dumps:
            raise BookError("no dumps given — name at least one file, e.g. 'selfbook build self.md --book book'")
        self._check_book_dir()
        timer = _Timer()
        with timer.stage("read"):
            read = [read_dump(p) for p in dumps]
        raws = [raw for dump in read for raw in dump.entries]
        with timer.stage("normalize"):
            normalized = normalize_entries(raws)
        with self._open(create=True, lock=True) as store:
            return self._build(store, read, len(raws), normalized, timer, progress)

    def _build(self, store: Store, read: list[Dump], n_read: int, normalized, timer: _Timer, progress: Progress | None) -> BuildReport:
        entries = list(normalized.entries)
        texts = [e.embed_text() for e in entries]
        with timer.stage("embed"):
            report = (lambda done, total: progress("embed", done, total)) if progress else None
            vectors, embedded = embed_pending(texts, self.embedder, store, batch=self.settings.embed_batch, progress=report)
            cached = len(set(texts)) - embedded
        with timer.stage("dedupe"):
            near = near_duplicates(entries, vectors)
            entries = list(near.entries)
            vectors = vectors[list(near.kept_rows)]
            texts = [e.embed_text() for e in entries]
        with timer.stage("organize"):
            outline = organize([e.id for e in entries], texts, vectors, OrganizeParams(seed=self.settings.seed))
        merges = tuple(normalized.merges) + tuple(near.merges)
        created = store.get_meta("created") or self.settings.created or today().isoformat()
        with timer.stage("render"):
            meta = BookMeta(
                title=self.settings.title,
                created=created,
                sources=tuple(os.path.relpath(Path(d.path).resolve(), self.book_dir.resolve()) for d in read),
            )
            files = render_book(outline, {e.id: e for e in entries}, meta, merges=merges, flags=near.flags)
        with timer.stage("write"):
            txid = uuid.uuid4().hex
            staged = stage(self.book_dir, files, txid)
            state = BookState(
                entries=tuple(entries),
                content_hashes={e.id: content_hash(t) for e, t in zip(entries, texts)},
                outline=outline,
                merges=merges,
                flags=tuple(near.flags),
                skips=tuple(s for d in read for s in d.skips),
                dumps={d.path: (_sha256(Path(d.path)), len(d.entries)) for d in read},
                meta={"created": created, "model": self.embedder.model_id, "seed": str(self.settings.seed)},
            )
            result = BuildReport(
                book=str(self.book_dir),
                dumps=tuple(d.path for d in read),
                entries_read=n_read,
                entries=len(entries),
                merges=merges,
                flags=tuple(near.flags),
                skipped=state.skips,
                chapters=len(outline.chapters),
                sections=sum(len(c.sections) for c in outline.chapters),
                misc=sum(len(s.entry_ids) for c in outline.chapters for s in c.sections if s.misc),
                embedded=embedded,
                cached=cached,
                model=self.embedder.model_id,
                files=WriteResult((), (), ()),
                timings=(),
            )
            store.save_book(state, txid=txid, command="build", report=result.to_dict())
            written = staged.apply()
        return BuildReport(**{**result.__dict__, "files": written, "timings": tuple(timer.laps)})

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
