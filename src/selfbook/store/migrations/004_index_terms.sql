-- 004: what the back-of-book index chooses its terms from (see selfbook.book.index_terms), so
-- that an add counts only its own entries' phrases. One row per group of phrases that index as
-- one term (singular and plural). Written by save_book with the entries, in one transaction; meta
-- 'index_terms' names the counting that wrote it. A book saved before this step has no rows
-- and no mark: its next save counts every entry.

CREATE TABLE index_terms (
    stem     TEXT PRIMARY KEY,               -- the group's key: its phrases' singular, lower-cased
    entries  INTEGER NOT NULL,               -- how many entries hold one of its phrases
    phrase   TEXT,                           -- the phrase it is listed under, lower-cased  ┐
    form     TEXT,                           -- that phrase's usual casing                  │ NULL in a group
    ids      TEXT,                           -- JSON: the entries, sorted                   │ of one entry
    score    {float},                           -- rank: entries × (1 + (words − 1) / 2)       ┘
    variants TEXT NOT NULL                   -- JSON: [[phrase, [entry ids], [[casing, times written], …]], …]
){without_rowid};

CREATE INDEX index_terms_rank ON index_terms(score DESC, phrase{bytewise}) WHERE score IS NOT NULL;
