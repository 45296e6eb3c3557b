-- 009 (PostgreSQL): the embedding cache, and full text on the entries.
-- Vectors of every model share one column, each in pgvector's binary form as bytea (int16 size,
-- int16 zero, then the size's big-endian float4s: selfbook.store.postgres's _vector_bytes).
-- Full text uses the 'simple' configuration: no stemming, no stop words, so a Kannada word is
-- one lexeme, whole. (010 drops the full text and the list of HNSW indexes: nothing reads them.)
-- Idempotent: a database from before the stores shared one numbering has it already (it was that
-- store's own m002) and runs it again harmlessly (see selfbook.store.schema).
--
-- Changed after the fact, at 011. This step first ran CREATE EXTENSION vector and made the
-- column of pgvector's type ``vector``, with an HNSW index per (model, size) made by the store.
-- Once 010 dropped those indexes nothing used pgvector but to keep those bytes, and every
-- database had to have the extension (installed on the server, created by a superuser), so a
-- database that runs 009 now makes the column bytea at once and needs no extension. A database
-- that ran the step as it was (or runs it again, from before the shared numbering: it keeps its
-- table, as every statement here is IF NOT EXISTS) has its column converted by 011, to the
-- same bytes; both end with the same tables.

CREATE TABLE IF NOT EXISTS embeddings (      -- a cache: not book state, kept across builds
    content_hash TEXT NOT NULL,
    model        TEXT NOT NULL,
    dim          INTEGER NOT NULL,
    vector       BYTEA NOT NULL,
    PRIMARY KEY (content_hash, model)
);

CREATE TABLE IF NOT EXISTS embedding_indexes ( -- the HNSW indexes made so far (none any more: see 010)
    model TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    name  TEXT NOT NULL UNIQUE,
    PRIMARY KEY (model, dim)
);

ALTER TABLE entries ADD COLUMN IF NOT EXISTS fts tsvector;
CREATE INDEX IF NOT EXISTS entries_fts ON entries USING gin (fts);
