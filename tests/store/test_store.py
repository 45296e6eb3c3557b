import datetime as dt
import sqlite3

import pytest

from selfbook.errors import BookError
from selfbook.models import Chapter, DateRange, Entity, Entry, Flag, Merge, Outline, Section, Skip, Span
from selfbook.store import BookState, open_store, schema
from selfbook.store.sqlite import DB_NAME

from pg_helpers import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request) -> str | None:
    """Every test here runs on both stores: SQLite (None) and a fresh PostgreSQL database."""
    return None if request.param == "sqlite" else fresh_database()


def make_entry(eid: str, title: str, **kw) -> Entry:
    base = dict(
        id=eid, title=title, urls=("https://example.com/" + eid,), notes=("a note",), kind="article",
        entities=(Entity("handle", "svpino"),), date=DateRange(dt.date(2024, 5, 1), dt.date(2024, 5, 31), "May 2024"),
        lang="en", script="Latin", sources=(Span("self.md", 3, 5), Span("self-1.md", 9, 9)),
        headings=("ML", "RAG"), tags=("llm",),
    )
    base.update(kw)
    return Entry(**base)


def make_state(entries) -> BookState:
    outline = Outline(
        (Chapter("ml", "Machine Learning", (Section("ml-rag", "RAG", tuple(e.id for e in entries)),)),),
        (("seed", "0"),),
    )
    return BookState(
        entries=tuple(entries), content_hashes={e.id: "h" + e.id for e in entries}, outline=outline,
        merges=(Merge(entries[0].id, (Span("self.md", 3, 5), Span("self-1.md", 9, 9)), "same URL"),),
        flags=(Flag(entries[0].id, entries[-1].id, "similar text", 0.9),),
        skips=(Skip(Span("self.md", 40, 41), "only punctuation"),),
        dumps={"self.md": ("abc", 2)}, meta={"created": "2026-01-01"},
    )


def test_migrations_are_numbered_and_applied(tmp_path, store_url):
    numbers = [step.number for step in schema.steps("pg" if store_url else "sqlite")]
    assert numbers == list(range(1, len(numbers) + 1))
    with open_store(tmp_path, store_url) as store:
        assert store.schema_version == numbers[-1]
    with open_store(tmp_path, store_url) as store:  # reopening applies nothing twice
        assert store.schema_version == numbers[-1]


def test_round_trip(tmp_path, store_url):
    entries = [make_entry("aaa", "ಕನ್ನಡ ಸಾಹಿತ್ಯ"), make_entry("bbb", "RAG from scratch", date=None, urls=())]
    with open_store(tmp_path, store_url) as store:
        store.save_book(make_state(entries), txid="t1", command="build", report={"ok": 1})
        assert store.load_entries() == entries
        assert store.load_outline() == make_state(entries).outline
        assert store.load_merges() == list(make_state(entries).merges)
        assert store.load_flags() == list(make_state(entries).flags)
        assert store.load_skips() == list(make_state(entries).skips)
        assert store.committed("t1") and not store.committed("t2")
        assert store.get_meta("created") == "2026-01-01"
        assert store.last_run()["report"] == {"ok": 1}


def test_failed_save_leaves_previous_book(tmp_path, store_url):
    first = [make_entry("aaa", "first")]
    with open_store(tmp_path, store_url) as store:
        store.save_book(make_state(first), txid="t1", command="build", report={})
        broken = make_state([make_entry("ccc", "second")])
        broken = BookState(**{**broken.__dict__, "content_hashes": {}})  # a KeyError mid-transaction
        with pytest.raises(KeyError):
            store.save_book(broken, txid="t2", command="build", report={})
        assert store.load_entries() == first
        assert not store.committed("t2")


def test_newer_schema_is_refused(tmp_path, store_url):
    with open_store(tmp_path, store_url):
        pass
    if store_url:
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as db:
            db.execute("UPDATE selfbook_schema SET version = 999")
    else:
        db = sqlite3.connect(tmp_path / DB_NAME)
        db.execute("PRAGMA user_version = 999")
        db.close()
    with pytest.raises(BookError, match="newer selfbook"):
        open_store(tmp_path, store_url)
