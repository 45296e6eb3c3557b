-- 004 (PostgreSQL): what the back-of-book index chooses its terms from; SQLite's 004
-- (see selfbook.book.index_terms), column for column.

CREATE TABLE index_terms (
    stem     TEXT PRIMARY KEY,
    entries  INTEGER NOT NULL,
    phrase   TEXT,
    form     TEXT,
    ids      TEXT,
    score    DOUBLE PRECISION,
    variants TEXT NOT NULL
);

CREATE INDEX index_terms_rank ON index_terms (score DESC, phrase COLLATE "C") WHERE score IS NOT NULL;
