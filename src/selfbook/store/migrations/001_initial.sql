-- 001: the book's entries and their structure. Dates stay ISO text on both stores, so a book
-- moves between them with `selfbook migrate` row by row. The embedding cache is SQLite's own
-- here (001_initial.sqlite.sql, float32 blobs); PostgreSQL's is its own, at 009.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE entries (
    id            TEXT PRIMARY KEY,
    position      INTEGER NOT NULL{pg_unique},          -- reading order of first appearance across the dumps
    title         TEXT NOT NULL,
    title_derived INTEGER NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    script        TEXT NOT NULL,
    date_start    TEXT,
    date_end      TEXT,
    date_text     TEXT,
    content_hash  TEXT NOT NULL              -- hash of the text the embedder sees
);

CREATE TABLE entry_urls (
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url      TEXT NOT NULL,
    PRIMARY KEY (entry_id, position)
);
CREATE INDEX entry_urls_url ON entry_urls(url);

CREATE TABLE entry_notes (
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    note     TEXT NOT NULL,
    PRIMARY KEY (entry_id, position)
);

CREATE TABLE entry_entities (
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (entry_id, kind, value)
);
CREATE INDEX entry_entities_value ON entry_entities(kind, value);

CREATE TABLE entry_sources (
    entry_id   TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    path       TEXT NOT NULL,
    line_start INTEGER NOT NULL,
    line_end   INTEGER NOT NULL,
    PRIMARY KEY (entry_id, position)
);

CREATE TABLE entry_labels (                  -- headings above the entry and tags: provenance
    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,                  -- 'heading' or 'tag'
    position INTEGER NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (entry_id, kind, position)
);

CREATE TABLE chapters (
    id          TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sections (
    id         TEXT PRIMARY KEY,
    chapter_id TEXT NOT NULL REFERENCES chapters(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    misc       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE placements (
    entry_id   TEXT PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
    section_id TEXT NOT NULL REFERENCES sections(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL
);
CREATE INDEX placements_section ON placements(section_id, position);

CREATE TABLE outline_params (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE merges (
    entry_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    sources  TEXT NOT NULL,                  -- JSON list of "path:start-end"
    PRIMARY KEY (entry_id, position)
);

CREATE TABLE flags (
    a      TEXT NOT NULL,
    b      TEXT NOT NULL,
    reason TEXT NOT NULL,
    score  {float} NOT NULL,
    PRIMARY KEY (a, b)
);

CREATE TABLE skips (
    path       TEXT NOT NULL,
    line_start INTEGER NOT NULL,
    line_end   INTEGER NOT NULL,
    reason     TEXT NOT NULL
);

CREATE TABLE dumps (
    path     TEXT PRIMARY KEY,
    sha256   TEXT NOT NULL,
    entries  INTEGER NOT NULL
);

CREATE TABLE runs (
    id       {counter},
    txid     TEXT NOT NULL UNIQUE,
    command  TEXT NOT NULL,
    finished TEXT NOT NULL,
    report   TEXT NOT NULL                   -- JSON
);
