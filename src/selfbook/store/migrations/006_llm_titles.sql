-- 006: what an LLM wrote for the book (see selfbook.organize.llm_titles). Sections get a
-- one-line description, as chapters have (empty when the organizer wrote none). llm_answers
-- caches each answer of the model by (model, SHA-256 of the prompt), so a rebuild asks nothing
-- again and gives the same book; like the embedding cache it is not book state and is kept
-- across builds.

ALTER TABLE sections ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TABLE llm_answers (
    model       TEXT NOT NULL,               -- SELFBOOK_LLM as set: backend:model
    prompt_hash TEXT NOT NULL,               -- SHA-256 of the messages and JSON schema sent
    answer      TEXT NOT NULL,               -- the model's whole reply, as sent
    PRIMARY KEY (model, prompt_hash)
){without_rowid};
