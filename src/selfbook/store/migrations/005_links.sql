-- 005: what `selfbook fetch` learned about each link of the book (see selfbook.fetch). One row
-- per URL as the book's entries write it (arXiv ids and DOIs by their canonical URL). Like the
-- embedding cache, it is not book state: each fetch commits its rows on its own, a batch at a
-- time, and a build reads them to enrich the entries it makes.

CREATE TABLE links (
    url          TEXT PRIMARY KEY,
    status       TEXT NOT NULL,              -- ok, gone, soft-404, dns, refused, timeout, error, blocked, robots
    code         INTEGER,                    -- the last HTTP status, when a response came
    final_url    TEXT,                       -- after redirects
    fetched      TEXT NOT NULL,              -- when (ISO, UTC, seconds)
    title        TEXT,
    description  TEXT,
    published    TEXT,                       -- as the page or API gave it (ISO date when known)
    lang         TEXT,
    content_type TEXT,
    authors      TEXT,                       -- JSON list (arXiv, Crossref)
    failures     INTEGER NOT NULL DEFAULT 0, -- runs in a row whose fetch failed the way dead links fail
    dead         INTEGER NOT NULL DEFAULT 0  -- 1 once failures reach selfbook.fetch.DEAD_AFTER runs
){without_rowid};

-- What an entry took from its pages: 'title', 'note' (comma-separated; empty when nothing).
ALTER TABLE entries ADD COLUMN fetched TEXT NOT NULL DEFAULT ''
