-- 006 (PostgreSQL): section descriptions and the cache of LLM answers; SQLite's 006
-- (see selfbook.organize.llm_titles), column for column.

ALTER TABLE sections ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TABLE llm_answers (
    model       TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    answer      TEXT NOT NULL,
    PRIMARY KEY (model, prompt_hash)
);
