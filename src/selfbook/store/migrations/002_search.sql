-- 002: the lexical search index (see selfbook.search). Written by save_book in the same
-- transaction as the entries, so it never falls out of step with them. A book saved before this
-- step has an empty index (meta 'search_index' unset): search rebuilds it on first use.
-- SQLite also makes entries.position unique here (002_search.sqlite.sql); PostgreSQL's 001 did.

CREATE TABLE search_terms (                  -- postings: where each term occurs
    term      TEXT PRIMARY KEY,
    positions {bytes} NOT NULL,                 -- int32 LE: entries.position, ascending
    title_tf  {bytes} NOT NULL,                 -- uint16 LE: occurrences in the title, one per position
    body_tf   {bytes} NOT NULL                  -- uint16 LE: occurrences in note, tags and link words
){without_rowid};

CREATE TABLE search_docs (                   -- field lengths in terms, for BM25's length norm
    position  INTEGER PRIMARY KEY,           -- entries.position
    title_len INTEGER NOT NULL,
    body_len  INTEGER NOT NULL
);
