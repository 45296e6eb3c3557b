-- 007 (PostgreSQL): the Wayback Machine's snapshot of a dead link; SQLite's 007,
-- column for column.

ALTER TABLE links ADD COLUMN archived_url TEXT NOT NULL DEFAULT '';
ALTER TABLE links ADD COLUMN archived_at  TEXT NOT NULL DEFAULT '';
