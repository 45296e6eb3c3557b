"""The SQLite store: a book's state in ``<book>/.selfbook/book.db``.

All SQL selfbook runs lives under ``selfbook.store``. Migrations are numbered files
``migrations/mNNN_*.sql`` applied in order inside one transaction each; ``PRAGMA user_version``
records how far a database has come.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import BookError
from ..models import Chapter, DateRange, Entity, Entry, Flag, Merge, Outline, Section, Skip, Span
from .base import BookState

DB_NAME = "book.db"


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for item in resources.files(__package__).joinpath("migrations").iterdir():
        name = item.name
        if name.startswith("m") and name.endswith(".sql"):
            found.append((int(name[1:4]), name, item.read_text(encoding="utf-8")))
    return sorted(found)


def _span(text: str) -> Span:
    path, _, lines = text.rpartition(":")
    start, _, end = lines.partition("-")
    return Span(path, int(start), int(end or start))


class SQLiteStore:
    """A book's store in one SQLite file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.Error as exc:
            raise BookError(f"{self.path}: cannot open the book's store ({exc})") from None
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        migrations = _migrations()
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        newest = migrations[-1][0]
        if current > newest:
            raise BookError(
                f"{self.path}: this book was written by a newer selfbook (schema {current}, "
                f"this one knows {newest}) — upgrade selfbook"
            )
        for number, _name, sql in migrations:
            if number <= current:
                continue
            with self._transaction() as db:
                for statement in sql.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # -- meta ----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def committed(self, txid: str) -> bool:
        return self._db.execute("SELECT 1 FROM runs WHERE txid = ?", (txid,)).fetchone() is not None

    # -- embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already computed by ``model`` for these content hashes."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT content_hash, dim, vector FROM embeddings WHERE model = ? AND content_hash IN ({marks})",
                (model, *chunk),
            )
            for content_hash, dim, blob in rows:
                found[content_hash] = np.frombuffer(blob, dtype="<f4", count=dim)
        return found

    def put_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Add vectors to the cache. The cache is not book state: it is committed on its own."""
        rows = [(h, model, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes()) for h, v in vectors.items()]
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    # -- the book ----------------------------------------------------------------------------------
    def save_book(self, state: BookState, *, txid: str, command: str, report: Mapping) -> None:
        """Replace the book's entries and structure with ``state``, all in one transaction."""
        with self._transaction() as db:
            for table in ("placements", "sections", "chapters", "outline_params", "merges", "flags", "skips", "dumps", "entries"):
                db.execute(f"DELETE FROM {table}")
            self._insert_entries(db, state.entries, state.content_hashes)
            self._insert_outline(db, state.outline)
            db.executemany(
                "INSERT INTO merges VALUES (?, ?, ?, ?)",
                [(m.entry_id, i, m.reason, json.dumps([str(s) for s in m.sources])) for i, m in enumerate(state.merges)],
            )
            db.executemany("INSERT INTO flags VALUES (?, ?, ?, ?)", [(f.a, f.b, f.reason, f.score) for f in state.flags])
            db.executemany(
                "INSERT INTO skips VALUES (?, ?, ?, ?)",
                [(s.source.path, s.source.start, s.source.end, s.reason) for s in state.skips],
            )
            db.executemany("INSERT INTO dumps VALUES (?, ?, ?)", [(p, h, n) for p, (h, n) in sorted(state.dumps.items())])
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(state.meta.items()))
            db.execute(
                "INSERT INTO runs (txid, command, finished, report) VALUES (?, ?, ?, ?)",
                (txid, command, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), json.dumps(report)),
            )

    @staticmethod
    def _insert_entries(db: sqlite3.Connection, entries: Sequence[Entry], hashes: Mapping[str, str]) -> None:
        db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.id, i, e.title, int(e.title_derived), e.kind, e.lang, e.script,
                    e.date.start.isoformat() if e.date else None,
                    e.date.end.isoformat() if e.date else None,
                    e.date.text if e.date else None,
                    hashes[e.id],
                )
                for i, e in enumerate(entries)
            ],
        )
        db.executemany("INSERT INTO entry_urls VALUES (?, ?, ?)", [(e.id, i, u) for e in entries for i, u in enumerate(e.urls)])
        db.executemany("INSERT INTO entry_notes VALUES (?, ?, ?)", [(e.id, i, n) for e in entries for i, n in enumerate(e.notes)])
        db.executemany(
            "INSERT INTO entry_entities VALUES (?, ?, ?)",
            [(e.id, x.kind, x.value) for e in entries for x in sorted(set(e.entities))],
        )
        db.executemany(
            "INSERT INTO entry_sources VALUES (?, ?, ?, ?, ?)",
            [(e.id, i, s.path, s.start, s.end) for e in entries for i, s in enumerate(e.sources)],
        )
        db.executemany(
            "INSERT INTO entry_labels VALUES (?, ?, ?, ?)",
            [(e.id, "heading", i, h) for e in entries for i, h in enumerate(e.headings)]
            + [(e.id, "tag", i, t) for e in entries for i, t in enumerate(e.tags)],
        )

    @staticmethod
    def _insert_outline(db: sqlite3.Connection, outline: Outline) -> None:
        for ci, chapter in enumerate(outline.chapters):
            db.execute("INSERT INTO chapters VALUES (?, ?, ?, ?)", (chapter.id, ci, chapter.title, chapter.description))
            for si, section in enumerate(chapter.sections):
                db.execute(
                    "INSERT INTO sections VALUES (?, ?, ?, ?, ?)",
                    (section.id, chapter.id, si, section.title, int(section.misc)),
                )
                db.executemany(
                    "INSERT INTO placements VALUES (?, ?, ?)",
                    [(eid, section.id, ei) for ei, eid in enumerate(section.entry_ids)],
                )
        db.executemany("INSERT INTO outline_params VALUES (?, ?)", list(outline.params))

    def load_entries(self) -> list[Entry]:
        """Every entry, in reading order of first appearance."""
        db = self._db
        grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for eid, url in db.execute("SELECT entry_id, url FROM entry_urls ORDER BY entry_id, position"):
            grouped[eid]["urls"].append(url)
        for eid, note in db.execute("SELECT entry_id, note FROM entry_notes ORDER BY entry_id, position"):
            grouped[eid]["notes"].append(note)
        for eid, kind, value in db.execute("SELECT entry_id, kind, value FROM entry_entities ORDER BY entry_id, kind, value"):
            grouped[eid]["entities"].append(Entity(kind, value))
        for eid, path, start, end in db.execute(
            "SELECT entry_id, path, line_start, line_end FROM entry_sources ORDER BY entry_id, position"
        ):
            grouped[eid]["sources"].append(Span(path, start, end))
        for eid, kind, value in db.execute("SELECT entry_id, kind, value FROM entry_labels ORDER BY entry_id, kind, position"):
            grouped[eid]["headings" if kind == "heading" else "tags"].append(value)
        entries = []
        for row in db.execute(
            "SELECT id, title, title_derived, kind, lang, script, date_start, date_end, date_text FROM entries ORDER BY position"
        ):
            eid, title, derived, kind, lang, script, start, end, text = row
            parts = grouped[eid]
            date = DateRange(dt.date.fromisoformat(start), dt.date.fromisoformat(end), text or "") if start else None
            entries.append(
                Entry(
                    id=eid, title=title, urls=tuple(parts["urls"]), notes=tuple(parts["notes"]), kind=kind,
                    entities=tuple(parts["entities"]), date=date, lang=lang, script=script,
                    sources=tuple(parts["sources"]), headings=tuple(parts["headings"]), tags=tuple(parts["tags"]),
                    title_derived=bool(derived),
                )
            )
        return entries

    def load_outline(self) -> Outline:
        db = self._db
        placed: dict[str, list[str]] = defaultdict(list)
        for eid, sid in db.execute("SELECT entry_id, section_id FROM placements ORDER BY section_id, position"):
            placed[sid].append(eid)
        sections: dict[str, list[Section]] = defaultdict(list)
        for sid, cid, title, misc in db.execute("SELECT id, chapter_id, title, misc FROM sections ORDER BY chapter_id, position"):
            sections[cid].append(Section(sid, title, tuple(placed[sid]), bool(misc)))
        chapters = tuple(
            Chapter(cid, title, tuple(sections[cid]), description)
            for cid, title, description in db.execute("SELECT id, title, description FROM chapters ORDER BY position")
        )
        params = tuple(db.execute("SELECT key, value FROM outline_params ORDER BY key").fetchall())
        return Outline(chapters, params)

    def load_merges(self) -> list[Merge]:
        rows = self._db.execute("SELECT entry_id, reason, sources FROM merges ORDER BY position")
        return [Merge(eid, tuple(_span(s) for s in json.loads(src)), reason) for eid, reason, src in rows]

    def load_flags(self) -> list[Flag]:
        return [Flag(*row) for row in self._db.execute("SELECT a, b, reason, score FROM flags ORDER BY a, b")]

    def load_skips(self) -> list[Skip]:
        rows = self._db.execute("SELECT path, line_start, line_end, reason FROM skips ORDER BY path, line_start")
        return [Skip(Span(p, s, e), r) for p, s, e, r in rows]

    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, content_hash FROM entries"))

    def last_run(self) -> dict | None:
        row = self._db.execute("SELECT txid, command, finished, report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"txid": row[0], "command": row[1], "finished": row[2], "report": json.loads(row[3])}


def open_sqlite(state_dir: Path) -> SQLiteStore:
    return SQLiteStore(Path(state_dir) / DB_NAME)
