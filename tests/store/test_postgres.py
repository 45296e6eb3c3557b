"""The PostgreSQL store: plain PostgreSQL (no extension), the embedding cache as bytes, the same
book and search as SQLite, choosing and recording the store, migrating, and concurrent writers.
One pgserver (PostgreSQL 16, pgvector bundled but not used) for the run, a fresh database per test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from installment_helpers import SETTINGS, dumps
from pg_helpers import database_of_a_plain_role, extensions, fresh_database, vector_column_type, what_010_drops
from selfbook import BookError, Library
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.cli.migrate_command import migrate_command
from selfbook.store import open_store
from selfbook.store.migrate import TABLES, migrate_book, read_rows

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SOURCE_DATE_EPOCH": "1767225600"}
QUERIES = ("transformer attention", "recipe", "ಕುವೆಂಪು", "ರಾಮಾಯಣ ದರ್ಶನಂ", "fine-tuning lora", "garden compost")


@pytest.fixture
def url() -> str:
    return fresh_database()


def lib_on(book: Path, store: str = "") -> Library:
    return Library(book, SETTINGS.replace(store=store), embedder=HashingEmbedder())


def entries_json(book: Path) -> list[str]:
    result = CliRunner(env=ENV).invoke(main, ["entries", "--book", str(book), "--json"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_vectors_sit_in_bytea_and_come_back_exactly(tmp_path, url):
    vectors = {f"h{i}": np.eye(4, dtype=np.float32)[i % 4] * (i + 1) + 0.25 for i in range(6)}
    with open_store(tmp_path, url) as store:
        store.put_vectors("m", vectors)
        store.put_vectors("m", {"h0": np.ones(4, dtype=np.float32), "wide": np.ones(8, dtype=np.float32)})  # one replaced, one wider
        vectors.update(h0=np.ones(4, dtype=np.float32), wide=np.ones(8, dtype=np.float32))
        assert {h: v.tobytes() for h, v in store.cached_vectors("m", vectors).items()} == {h: v.tobytes() for h, v in vectors.items()}
    assert vector_column_type(url) == "bytea"


def test_a_new_book_needs_no_extension(tmp_path, small_dump):
    """A book builds and searches in a database whose owner is no superuser, so may
    not create pgvector (not a trusted extension), and its steps created no extension."""
    url = database_of_a_plain_role()
    lib = lib_on(tmp_path / "book", url)
    lib.build([small_dump])
    assert lib.search("dosa batter", method="dense") and lib.search("dosa batter", method="hybrid")
    assert extensions(url) == ["plpgsql"] and vector_column_type(url) == "bytea"


def test_a_new_book_has_no_vector_index_and_no_full_text_column(tmp_path, url, small_dump):
    """Search reads the vectors and the postings, the same on both stores: a PostgreSQL book keeps
    no HNSW index (nor its list, embedding_indexes) and no tsvector column that nothing reads."""
    lib_on(tmp_path / "book", url).build([small_dump])
    with open_store(tmp_path / "book" / ".selfbook") as store:
        assert store._db.execute("SELECT count(*) FROM embeddings").fetchone()[0] > 0  # the cache is there
    assert what_010_drops(url) == []


def test_same_book_and_search_on_both_stores(tmp_path, url, keywords, book_files):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    on_sqlite, on_pg = lib_on(tmp_path / "sqlite"), lib_on(tmp_path / "pg", url)
    for lib in (on_sqlite, on_pg):
        lib.build([base])
    for step in ("built", "added"):
        assert [p.to_dict() for p in on_pg.entries()] == [p.to_dict() for p in on_sqlite.entries()], step
        for query in QUERIES:
            for method in ("hybrid", "lexical", "dense"):
                want = [h.to_dict() for h in on_sqlite.search(query, method=method)]
                assert [h.to_dict() for h in on_pg.search(query, method=method)] == want, (step, query, method)
        assert book_files(tmp_path / "pg") == book_files(tmp_path / "sqlite"), step
        if step == "built":
            for lib in (on_sqlite, on_pg):
                lib.add([later])
    assert not (tmp_path / "pg" / ".selfbook" / "book.db").exists()


def test_the_book_records_its_store_for_later_commands(tmp_path, url, small_dump):
    book = tmp_path / "book"
    result = CliRunner(env=ENV).invoke(main, ["build", str(small_dump), "--book", str(book), "--store", url])
    assert result.exit_code == 0, result.output
    assert url in (book / ".selfbook" / "store.toml").read_text(encoding="utf-8")
    assert not (book / ".selfbook" / "book.db").exists()
    assert len(entries_json(book)) == 16  # no --store: the recorded one
    result = CliRunner(env={**ENV, "SELFBOOK_STORE": "sqlite"}).invoke(main, ["entries", "--book", str(book)])
    assert result.exit_code == 1 and "selfbook migrate" in result.output


def test_a_wrong_store_is_a_clear_error(tmp_path, small_dump, url):
    runner = CliRunner(env=ENV)
    bad = url.replace("/t_", "/missing_")
    result = runner.invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "a"), "--store", bad])
    assert result.exit_code == 1 and "cannot connect to the PostgreSQL store" in result.output and "check the URL" in result.output
    result = runner.invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "b"), "--store", "mysql://x/y"])
    assert result.exit_code == 1 and "neither 'sqlite' nor a postgresql:// URL" in result.output
    runner.invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "c")])
    result = runner.invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "c"), "--store", url])
    assert result.exit_code == 1 and "kept in SQLite" in result.output and "selfbook migrate" in result.output
    with pytest.raises(BookError, match="password.*|cannot connect"):
        open_store(tmp_path / "d", "postgresql://nobody:secret@127.0.0.1:1/x")
    assert "secret" not in str(pytest.raises(BookError, open_store, tmp_path / "e", "postgresql://nobody:secret@127.0.0.1:1/x").value)


def _tables(book: Path) -> dict:
    with open_store(book / ".selfbook") as store:
        return {t: [row for chunk in read_rows(store, t) for row in chunk] for t in TABLES}


def test_migrate_round_trip(tmp_path, url, keywords):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    book = tmp_path / "book"
    lib = lib_on(book)
    lib.build([base])
    lib.add([later])
    lib.pin(lib.entries()[0].entry.id)
    before, tables = entries_json(book), _tables(book)
    runner = CliRunner(env=ENV)
    result = runner.invoke(migrate_command, ["--book", str(book), "--to", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"]["decisions"] == 1
    assert entries_json(book) == before and _tables(book) == tables  # vectors too, bit for bit (the embeddings table)
    assert extensions(url) == ["plpgsql"] and vector_column_type(url) == "bytea"
    assert (book / ".selfbook" / "book.db.migrated").exists() and not (book / ".selfbook" / "book.db").exists()
    lib_on(book).search("recipe")  # search answers from the new store
    result = runner.invoke(migrate_command, ["--book", str(book), "--to", "sqlite"])
    assert result.exit_code == 0, result.output
    assert entries_json(book) == before and _tables(book) == tables
    assert not (book / ".selfbook" / "store.toml").exists()
    with pytest.raises(BookError, match="already holds a book"):
        migrate_book(book, url)


def _add(book: Path, dump: Path) -> subprocess.Popen:
    env = {**os.environ, **ENV}
    return subprocess.Popen(
        [sys.executable, "-c", "from selfbook.cli import main; main()", "add", str(dump), "--book", str(book), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(tmp_path, url):
    """Two people, each with the book's folder (a copy), add overlapping dumps to the shared
    PostgreSQL book at the same time: the second waits for the first, then adds to what the
    first left. The result is that of adding them one after the other."""
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    text = later.read_text(encoding="utf-8").split("\n\n")
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("\n\n".join(text[: len(text) * 2 // 3]) + "\n", encoding="utf-8")
    two.write_text("\n\n".join(text[len(text) // 3 :]) + "\n", encoding="utf-8")  # the middle third is in both
    runner = CliRunner(env=ENV)
    for book, store in ((tmp_path / "alice", url), (tmp_path / "seq", "sqlite")):
        assert runner.invoke(main, ["build", str(base), "--book", str(book), "--store", store]).exit_code == 0
    shutil.copytree(tmp_path / "alice", tmp_path / "bob")
    procs = [_add(tmp_path / "alice", one), _add(tmp_path / "bob", two)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    shared = [json.loads(line) for line in entries_json(tmp_path / "bob")]
    assert entries_json(tmp_path / "alice") == entries_json(tmp_path / "bob")
    ids = [e["id"] for e in shared]
    assert len(ids) == len(set(ids))
    urls = [u for e in shared for u in e["urls"]]
    assert len(urls) == len(set(urls))  # an entry saved in both dumps is in the book once
    # the same as adding them one after the other, in whichever order they ran
    with open_store(tmp_path / "alice" / ".selfbook") as store:
        order = [inst.path for inst in store.load_installments()]
    assert sorted(order) == sorted([str(one), str(two)])
    for dump in order:
        assert runner.invoke(main, ["add", dump, "--book", str(tmp_path / "seq")]).exit_code == 0
    assert _without_paths(shared, tmp_path) == _without_paths([json.loads(x) for x in entries_json(tmp_path / "seq")], tmp_path)


def _without_paths(entries: list[dict], tmp_path: Path) -> list[dict]:
    return json.loads(json.dumps(entries).replace(str(tmp_path), "TMP"))


def test_a_commit_still_under_way_counts_as_committed(tmp_path, url):
    """A writer killed while committing can leave its session on the server holding the writers'
    lock a moment longer: a reader asking whether that write committed waits for the session to
    end, and sees the commit, instead of discarding a write the store is about to hold."""
    import threading

    import psycopg

    from selfbook.store.postgres import LOCK_KEY

    with open_store(tmp_path, url):
        pass  # the tables
    writer = psycopg.connect(url, autocommit=True)
    writer.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    writer.execute("BEGIN")
    writer.execute("INSERT INTO runs (txid, command, finished, report) VALUES ('t9', 'add', '2026-01-01T00:00:00', '{}')")
    finishing = threading.Timer(0.5, lambda: (writer.execute("COMMIT"), writer.close()))
    finishing.start()
    try:
        with open_store(tmp_path, url) as reader:
            assert reader.committed("t9")
            assert not reader.committed("t10")
    finally:
        finishing.join()
