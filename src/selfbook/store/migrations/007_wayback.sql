-- 007: the Wayback Machine's snapshot of a dead link (see selfbook.fetch.client.Fetcher.snapshot),
-- found through its availability API when `selfbook fetch` judges a link dead. Empty until found.
-- archived_url is an http(s) URL, never anything else; archived_at the snapshot's time as
-- Wayback gives it (YYYYMMDDhhmmss).

ALTER TABLE links ADD COLUMN archived_url TEXT NOT NULL DEFAULT '';
ALTER TABLE links ADD COLUMN archived_at TEXT NOT NULL DEFAULT ''
