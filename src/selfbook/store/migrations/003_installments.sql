-- 003: installments and the person's decisions (see selfbook.update and selfbook.curate).
-- Installments are computed state: every save rewrites them with the entries. Decisions are the
-- person's: appended, never rewritten or deleted by a build, an add or a reorganization.

CREATE TABLE installments (
    position       INTEGER PRIMARY KEY,      -- the order they were added in
    name           TEXT NOT NULL,            -- the dump's file name: "self-1.md"
    path           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    added          TEXT NOT NULL,            -- ISO date it joined the book
    period_start   TEXT,                     -- the time the dump covers, when known
    period_end     TEXT,
    period_text    TEXT,
    after_decision INTEGER NOT NULL DEFAULT 0 -- decisions made before it was added
);

CREATE TABLE installment_items (
    installment INTEGER NOT NULL,            -- installments.position
    role        TEXT NOT NULL,               -- 'entry', 'resaved', 'section' or 'chapter'
    position    INTEGER NOT NULL,
    item        TEXT NOT NULL,               -- an entry, section or chapter id
    PRIMARY KEY (installment, role, position)
);

CREATE TABLE decisions (
    number         {counter},      -- the order they were made in
    made           TEXT NOT NULL,            -- ISO timestamp
    action         TEXT NOT NULL,            -- move, pin, rename, merge-entries, merge-sections, merge-chapters
    subject        TEXT NOT NULL,
    target         TEXT NOT NULL,
    members        TEXT NOT NULL,            -- JSON list of entry ids
    target_members TEXT NOT NULL             -- JSON list of entry ids
);
