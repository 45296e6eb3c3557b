"""The schema's one numbered list of steps (selfbook.store.schema): the same numbers on both
stores, and books written at any earlier step open at the newest one: a SQLite book at step v
goes on at v+1; a PostgreSQL database that counted PostgreSQL's own steps (m001-m007, before the
stores shared one list) is converted once, and ends with the tables a new database has."""

from __future__ import annotations

import re
import sqlite3
import uuid
from importlib import resources

import numpy as np
import pytest

from selfbook.errors import BookError
from selfbook.store import open_store, schema
from selfbook.store.sqlite import DB_NAME

from pg_helpers import fresh_database

NEWEST = schema.steps("sqlite")[-1].number

OLD_POSTGRES = {1: (1, 2, 3), 2: (9,), 3: (4,), 4: (5,), 5: (6,), 6: (7,), 7: (8,)}
"""PostgreSQL's own steps before the shared list, as the shared steps whose bodies they were
(the bodies moved unchanged; the old m002 is 009, which became idempotent)."""


def test_every_step_has_a_body_for_each_store_with_the_same_numbers():
    names = [item.name for item in resources.files("selfbook.store").joinpath("migrations").iterdir() if item.name.endswith(".sql")]
    assert all(re.fullmatch(r"\d{3}_\w+\.(sqlite|pg)\.sql", name) for name in names), names
    sqlite_steps, pg_steps = schema.steps("sqlite"), schema.steps("pg")
    assert [s.number for s in sqlite_steps] == [s.number for s in pg_steps] == list(range(1, NEWEST + 1))
    assert [s.name for s in sqlite_steps] == [s.name for s in pg_steps]
    assert len(names) == 2 * NEWEST


def test_old_postgres_steps_map_to_the_shared_list():
    """Each old step maps to the last shared step it had done, all of them below it but 009."""
    assert [schema.from_old_postgres(v) for v in range(8)] == [0, 3, 3, 4, 5, 6, 7, 8]


# -- SQLite ---------------------------------------------------------------------------------------
def _sqlite_schema(path) -> set[tuple]:
    db = sqlite3.connect(path)
    try:
        return set(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    finally:
        db.close()


@pytest.mark.parametrize("version", range(1, NEWEST))
def test_an_old_sqlite_book_goes_on_from_its_step(tmp_path, version):
    for name in ("new", "old"):
        (tmp_path / name).mkdir()
    with open_store(tmp_path / "new"):
        pass
    db = sqlite3.connect(tmp_path / "old" / DB_NAME)
    for step in schema.steps("sqlite")[:version]:
        for statement in step.statements:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("INSERT INTO meta VALUES ('created', '2020-02-02')")
    db.commit()
    db.close()
    with open_store(tmp_path / "old") as store:
        assert store.schema_version == NEWEST
        assert store.get_meta("created") == "2020-02-02"
    assert _sqlite_schema(tmp_path / "old" / DB_NAME) == _sqlite_schema(tmp_path / "new" / DB_NAME)


# -- PostgreSQL -----------------------------------------------------------------------------------
def _pg_schema(url: str) -> tuple[set, set]:
    import psycopg

    with psycopg.connect(url) as db:
        columns = set(db.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        ))
        indexes = set(db.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"))
    return columns, indexes


@pytest.fixture(scope="module")
def new_pg_schema(tmp_path_factory) -> tuple[set, set]:
    url = fresh_database()
    with open_store(tmp_path_factory.mktemp("new"), url) as store:
        assert store.schema_version == NEWEST
    return _pg_schema(url)


@pytest.mark.parametrize("old", sorted(OLD_POSTGRES))
def test_an_old_numbered_postgres_database_is_converted_once(tmp_path, old, new_pg_schema):
    import psycopg

    url = fresh_database()
    bodies = {step.number: step for step in schema.steps("pg")}
    with psycopg.connect(url) as db:  # the database as the old selfbook left it at its step `old`
        db.execute("CREATE TABLE selfbook_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO selfbook_schema VALUES (%s)", (old,))
        for n in range(1, old + 1):
            for shared in OLD_POSTGRES[n]:
                for statement in bodies[shared].statements:
                    db.execute(statement)
        db.execute("INSERT INTO meta VALUES ('created', '2020-02-02')")
    with open_store(tmp_path, url) as store:
        assert store.schema_version == NEWEST
        assert store.get_meta("created") == "2020-02-02"
    assert _pg_schema(url) == new_pg_schema
    with open_store(tmp_path, url) as store:  # converted once: opening again changes nothing
        assert store.schema_version == NEWEST
        assert _pg_schema(url) == new_pg_schema
        store.put_vectors("m", {"h": np.ones(4, dtype=np.float32)})  # the embedding cache works
        assert store.cached_vectors("m", ["h"])["h"].tolist() == [1.0] * 4


def test_a_role_that_may_only_read_opens_a_book_but_cannot_convert_one(tmp_path):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    url = fresh_database()
    with open_store(tmp_path, url):
        pass
    role = "reader_" + uuid.uuid4().hex[:8]
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE ROLE {role} LOGIN")
        db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    where = conninfo_to_dict(url)
    reader = f"postgresql://{role}@/{where['dbname']}?host={where['host']}"
    (tmp_path / "reader").mkdir()
    with open_store(tmp_path / "reader", reader) as store:  # up to date: nothing to change
        assert store.schema_version == NEWEST
    with psycopg.connect(url, autocommit=True) as db:  # as an old selfbook left it
        db.execute("ALTER TABLE selfbook_schema DROP COLUMN numbering")
        db.execute("UPDATE selfbook_schema SET version = 7")
    with pytest.raises(BookError, match="open the book once as the database's owner"):
        open_store(tmp_path / "reader", reader)
