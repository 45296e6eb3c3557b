-- 009 (PostgreSQL): the embedding cache in pgvector columns, and full text on the entries.
-- Vectors of every model share one column; each (model, size) gets its own partial HNSW index
-- (cosine) over ``vector::vector(size)``, made by the store when the first such vector arrives.
-- Full text uses the 'simple' configuration: no stemming, no stop words, so a Kannada word is
-- one lexeme, whole.
-- Idempotent: a database from before the stores shared one numbering has it already (it was that
-- store's own m002) and runs it again harmlessly (see selfbook.store.schema).

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE IF NOT EXISTS embeddings (      -- a cache: not book state, kept across builds
    content_hash TEXT NOT NULL,
    model        TEXT NOT NULL,
    dim          INTEGER NOT NULL,
    vector       vector NOT NULL,
    PRIMARY KEY (content_hash, model)
);

CREATE TABLE IF NOT EXISTS embedding_indexes ( -- the HNSW indexes made so far
    model TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    name  TEXT NOT NULL UNIQUE,
    PRIMARY KEY (model, dim)
);

ALTER TABLE entries ADD COLUMN IF NOT EXISTS fts tsvector;
CREATE INDEX IF NOT EXISTS entries_fts ON entries USING gin (fts);
