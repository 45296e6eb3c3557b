-- 002 (SQLite): the lexical search index (see selfbook.search). Written by save_book in the same
-- transaction as the entries, so it never falls out of step with them. A book saved before this
-- migration has an empty index (meta 'search_index' unset): search rebuilds it on first use.

CREATE TABLE search_terms (                  -- postings: where each term occurs
    term      TEXT PRIMARY KEY,
    positions BLOB NOT NULL,                 -- int32 LE: entries.position, ascending
    title_tf  BLOB NOT NULL,                 -- uint16 LE: occurrences in the title, one per position
    body_tf   BLOB NOT NULL                  -- uint16 LE: occurrences in note, tags and link words
) WITHOUT ROWID;

CREATE TABLE search_docs (                   -- field lengths in terms, for BM25's length norm
    position  INTEGER PRIMARY KEY,           -- entries.position
    title_len INTEGER NOT NULL,
    body_len  INTEGER NOT NULL
);

CREATE UNIQUE INDEX entries_position ON entries(position);
