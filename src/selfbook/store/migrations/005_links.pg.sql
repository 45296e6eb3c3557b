-- 005 (PostgreSQL): what `selfbook fetch` learned about each link; SQLite's 005
-- (see selfbook.fetch), column for column.

CREATE TABLE links (
    url          TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    code         INTEGER,
    final_url    TEXT,
    fetched      TEXT NOT NULL,
    title        TEXT,
    description  TEXT,
    published    TEXT,
    lang         TEXT,
    content_type TEXT,
    authors      TEXT,
    failures     INTEGER NOT NULL DEFAULT 0,
    dead         INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE entries ADD COLUMN fetched TEXT NOT NULL DEFAULT '';
