-- m002 (PostgreSQL): the embedding cache in pgvector columns, and full text on the entries.
-- Vectors of every model share one column; each (model, size) gets its own partial HNSW index
-- (cosine) over ``vector::vector(size)``, made by the store when the first such vector arrives.
-- Full text uses the 'simple' configuration: no stemming, no stop words, so a Kannada word is
-- one lexeme, whole.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE embeddings (                    -- a cache: not book state, kept across builds
    content_hash TEXT NOT NULL,
    model        TEXT NOT NULL,
    dim          INTEGER NOT NULL,
    vector       vector NOT NULL,
    PRIMARY KEY (content_hash, model)
);

CREATE TABLE embedding_indexes (             -- the HNSW indexes made so far
    model TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    name  TEXT NOT NULL UNIQUE,
    PRIMARY KEY (model, dim)
);

ALTER TABLE entries ADD COLUMN fts tsvector;
CREATE INDEX entries_fts ON entries USING gin (fts);
