"""One PostgreSQL server (pgserver: PostgreSQL 16, with pgvector, which only the tests use, to put
a database back as selfbook left it before step 011) for the whole test run, and a fresh database
per test. Tests that need it skip, saying why, when pgserver is not installed."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

try:
    import pgserver
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # the PostgreSQL store is optional
    pgserver = None

_server = None

BEFORE_011 = Path(__file__).parent / "fixtures" / "009_vectors_fulltext.before_011.pg.sql"
"""PostgreSQL's step 009 as selfbook ran it before step 011: CREATE EXTENSION vector, and the
embedding cache in a column of pgvector's type ``vector``."""


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


def database_of_a_plain_role() -> str:
    """The URL of a new, empty database owned by a new role that is no superuser, connecting as
    that role: what a team is given on a shared server. It may not CREATE EXTENSION vector
    (pgvector is not a trusted extension)."""
    srv = server()
    suffix = uuid.uuid4().hex[:12]
    role, name = f"owner_{suffix}", f"t_{suffix}"
    with psycopg.connect(srv.get_uri("postgres"), autocommit=True) as db:
        db.execute(f"CREATE ROLE {role} LOGIN")
        db.execute(f"CREATE DATABASE {name} OWNER {role}")
    return f"postgresql://{role}@/{name}?host={conninfo_to_dict(srv.get_uri('postgres'))['host']}"


def extensions(url: str) -> list[str]:
    """The extensions created in the database at ``url``."""
    with psycopg.connect(url) as db:
        return sorted(name for (name,) in db.execute("SELECT extname FROM pg_extension"))


def vector_column_type(url: str) -> str:
    """The type of the column embeddings.vector in the database at ``url``."""
    with psycopg.connect(url) as db:
        return db.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'embeddings'::regclass AND attname = 'vector'"
        ).fetchone()[0]


def with_a_pgvector_column(url: str) -> None:
    """Put the embedding cache of the database at ``url`` back as selfbook kept it before step 011:
    run 009 as it was (:data:`BEFORE_011`: the extension, a table whose column is of pgvector's
    type) and write every cached vector into it in pgvector's text form, as selfbook's put_vectors
    did (float32 repr: exact). Its other tables and its recorded step are left as they are."""
    from selfbook.store import schema
    from selfbook.store.postgres import _vector_of

    with psycopg.connect(url) as db:
        rows = db.cursor(binary=True).execute("SELECT content_hash, model, dim, vector FROM embeddings").fetchall()
        db.execute("DROP TABLE embeddings")
        for statement in schema._statements(BEFORE_011.read_text(encoding="utf-8")):
            db.execute(statement)
        db.cursor().executemany("INSERT INTO embeddings VALUES (%s, %s, %s, %s::vector)", [
            (h, model, dim, "[" + ",".join(map(repr, _vector_of(blob, dim).tolist())) + "]") for h, model, dim, blob in rows
        ])
