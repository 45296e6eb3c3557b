-- 001 (PostgreSQL): the entries' content hashes are indexed here, not in SQLite.

CREATE INDEX entries_content_hash ON entries(content_hash);
