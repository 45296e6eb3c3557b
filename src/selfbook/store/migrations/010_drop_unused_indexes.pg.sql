-- 010 (PostgreSQL): undo what 009 added that nothing reads: the HNSW indexes (search's dense
-- retriever scans the vectors in memory, 8-bit on a large book: see selfbook.search.dense) and
-- the tsvector column (its lexical retriever reads 002's postings, the same on both stores).
-- The embedding cache itself, 009's table ``embeddings``, stays (011 makes its column bytea).
-- Idempotent: each drop is IF EXISTS, and the indexes are found by what they are (HNSW indexes
-- on ``embeddings``, the ones ``embedding_indexes`` named), so a database without them is left as it is.

DO $$
DECLARE
    hnsw_index record;
BEGIN
    FOR hnsw_index IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
        WHERE i.indrelid = to_regclass('embeddings') AND a.amname = 'hnsw'
    LOOP
        EXECUTE format('DROP INDEX IF EXISTS %I', hnsw_index.relname);
    END LOOP;
END
$$;

DROP TABLE IF EXISTS embedding_indexes;

DROP INDEX IF EXISTS entries_fts;
ALTER TABLE entries DROP COLUMN IF EXISTS fts;
