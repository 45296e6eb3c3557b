-- 008 (PostgreSQL): the optional archive of fetched pages' text; SQLite's 008,
-- column for column.

CREATE TABLE pages (
    url      TEXT PRIMARY KEY,
    text     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    cut      INTEGER NOT NULL,
    archived TEXT NOT NULL
);
ALTER TABLE entries ADD COLUMN page_text TEXT NOT NULL DEFAULT '';
