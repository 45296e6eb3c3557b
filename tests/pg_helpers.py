"""One PostgreSQL server (pgserver: PostgreSQL 16 with pgvector) for the whole test run, and a
fresh database per test. Tests that need it skip, saying why, when pgserver is not installed."""

from __future__ import annotations

import tempfile
import uuid

import pytest

try:
    import pgserver
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # the PostgreSQL store is optional
    pgserver = None

_server = None


def server():
    """The test run's one PostgreSQL server, started on first use (about 3 s)."""
    global _server
    if pgserver is None:
        pytest.skip("pgserver is not installed: pip install pgserver 'psycopg[binary]' to test the PostgreSQL store")
    if _server is None:
        _server = pgserver.get_server(tempfile.mkdtemp(prefix="sbpg-"), cleanup_mode="delete")
    return _server


def fresh_database() -> str:
    """The URL of a new, empty database on the test server."""
    srv = server()
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(srv.get_uri("postgres"), autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return srv.get_uri(name)


def fresh_store(like: str) -> str:
    """The store of one more book in a test whose first book uses ``like``: SQLite ("") again, or
    another new database (one book per database)."""
    return fresh_database() if like else ""


def copy_database(url: str) -> str:
    """The URL of a new database on the test server that starts as a copy of the one at ``url``
    (which nobody may be connected to: PostgreSQL copies a database only when it is idle)."""
    srv = server()
    source = conninfo_to_dict(url)["dbname"]
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(srv.get_uri("postgres"), autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    return srv.get_uri(name)


def what_010_drops(url: str) -> list[str]:
    """What PostgreSQL's 009 added that nothing read and 010 drops, as far as the database at
    ``url`` still holds it: the column entries.fts, the table embedding_indexes, and the indexes
    entries_fts and HNSW (any on any table)."""
    with psycopg.connect(url) as db:
        found = [f"{t}.{c}" for t, c in db.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'fts'"
        )]
        found += [t for (t,) in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'embedding_indexes'"
        )]
        found += [i for (i,) in db.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND (indexname = 'entries_fts' OR indexdef ILIKE '%USING hnsw%')"
        )]
    return sorted(found)
