-- 011 (PostgreSQL): the embedding cache without pgvector. A database whose ``embeddings.vector``
-- is of pgvector's type ``vector`` (made by 009 before 011: see its header) gets a bytea column
-- holding each vector's bytes in pgvector's binary form (vector_send: int16 size, int16 zero,
-- big-endian float4s), which are the bytes selfbook read from the old column, so every vector
-- comes back bit for bit. The extension itself stays: other things in the database may use it.
-- Idempotent: a column that is bytea already (009 makes it so now) is left as it is.

DO $$
BEGIN
    IF (SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = to_regclass('embeddings') AND a.attname = 'vector' AND NOT a.attisdropped) = 'vector' THEN
        EXECUTE 'ALTER TABLE embeddings ALTER COLUMN vector TYPE bytea USING vector_send(vector)';
    END IF;
END
$$;
