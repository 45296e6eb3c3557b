-- 002 (SQLite): entries.position becomes unique (PostgreSQL's is UNIQUE from 001 on).

CREATE UNIQUE INDEX entries_position ON entries(position);
