-- 008: the optional archive (`selfbook fetch --archive`): each fetched HTML page's readable text,
-- by URL, capped per page and in total (selfbook.fetch.archive). A row stays when its link
-- later dies: the archive is what is left of the page. entries.page_text holds the start of
-- the entry's first archived link's text, which the lexical index and `ask` read (never the
-- embedding).

CREATE TABLE pages (
    url      TEXT PRIMARY KEY,
    text     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,   -- UTF-8 bytes of text: what the total cap counts
    cut      INTEGER NOT NULL,   -- 1 when the text was cut at the per-page cap
    archived TEXT NOT NULL       -- ISO time, UTC, of the fetch that read it
);
ALTER TABLE entries ADD COLUMN page_text TEXT NOT NULL DEFAULT ''
