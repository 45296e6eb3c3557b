-- 001 (SQLite): the embedding cache, as float32 blobs (PostgreSQL's comes at 009).

CREATE TABLE embeddings (                    -- a cache: not book state, kept across builds
    content_hash TEXT NOT NULL,
    model        TEXT NOT NULL,
    dim          INTEGER NOT NULL,
    vector       BLOB NOT NULL,              -- float32, little-endian
    PRIMARY KEY (content_hash, model)
);
