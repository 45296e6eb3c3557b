"""One fetch run over a book's links: choose the due ones, fetch them, keep what was learned.

Results are saved to the store a batch at a time (:data:`SAVE_EVERY`), each batch in its own
transaction, so an interrupted run keeps what it fetched and the next run goes on from there.
Then every dead link without a Wayback snapshot yet (judged dead on this run or an earlier one)
is looked up in the Wayback Machine's availability API, unless ``options.wayback_api`` is empty.
With ``options.archive``, each live HTML page's readable text is kept too, within the per-page
and total caps (:mod:`selfbook.fetch.archive`); a page that would pass the total cap is not kept.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from ..models import Link
from ..store import Store
from .archive import Budget
from .client import Attempt, FetchOptions, fetch_urls, find_snapshots
from .links import DEFAULT_MAX_AGE, due, settle

SAVE_EVERY = 100

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FetchReport:
    """What a fetch run did. ``fetched``: links fetched and live; ``unchanged``: links not
    fetched because their last fetch is recent enough; ``failed``: fetched and failing but not
    (yet) dead; ``dead``: fetched and now judged dead (``newly_dead`` of them for the first time)."""

    book: str
    links: int
    fetched: int
    unchanged: int
    failed: int
    dead: int
    newly_dead: tuple[str, ...] = ()
    statuses: dict[str, int] = field(default_factory=dict)
    archived: int = 0
    entries_enriched: int = 0
    files_written: int = 0
    pages_archived: int = 0      # --archive: pages whose text was kept on this run
    pages_cut: int = 0           # of them, cut at the per-page cap
    pages_over_cap: int = 0      # pages not kept: the archive would pass its total cap
    archive_bytes: int = 0       # UTF-8 bytes of text the archive holds after this run

    def to_dict(self) -> dict:
        return {
            "book": self.book, "links": self.links, "fetched": self.fetched, "unchanged": self.unchanged,
            "failed": self.failed, "dead": self.dead, "newly_dead": list(self.newly_dead), "statuses": dict(self.statuses),
            "archived": self.archived, "entries_enriched": self.entries_enriched, "files_written": self.files_written,
            "pages_archived": self.pages_archived, "pages_cut": self.pages_cut, "pages_over_cap": self.pages_over_cap,
            "archive_bytes": self.archive_bytes,
        }


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def fetch_links(
    store: Store, urls: Sequence[str], options: FetchOptions = FetchOptions(), *, max_age: dt.timedelta = DEFAULT_MAX_AGE,
    progress: Progress | None = None, book: str = "", now: dt.datetime | None = None,
) -> FetchReport:
    """Fetch the due links among ``urls`` and save what each taught (see :mod:`selfbook.fetch.links`)."""
    now = now or now_utc()
    stamp = now.isoformat()
    known = store.load_links()
    todo = due(urls, known, now, max_age)
    pending: list[Link] = []
    settled: list[Link] = []
    sizes = store.page_sizes() if options.archive else {}
    budget = Budget(sum(sizes.values()), options.archive_max_bytes)
    pages: list[tuple[str, str, int, bool, str]] = []
    kept = Counter()
    if progress:
        progress("fetch", 0, len(todo))

    def keep_text(attempt: Attempt) -> None:
        text, cut = attempt.text or "", attempt.text_cut
        size = len(text.encode("utf-8"))
        if not budget.take(sizes.get(attempt.url, 0), size):
            kept["over_cap"] += 1
            return
        sizes[attempt.url] = size
        pages.append((attempt.url, text, size, cut, stamp))
        kept["archived"] += 1
        kept["cut"] += cut

    def done(attempt: Attempt) -> None:
        link = settle(known.get(attempt.url), attempt, stamp)
        pending.append(link)
        settled.append(link)
        if options.archive and attempt.status == "ok" and attempt.text:
            keep_text(attempt)
        if len(pending) >= SAVE_EVERY:
            save()
        if progress:
            progress("fetch", len(settled), len(todo))

    def save() -> None:
        if pages:
            store.save_pages(pages)
            pages.clear()
        store.save_links(pending)
        pending.clear()

    if todo:
        fetch_urls(todo, options, done)
    if pending:
        save()
    archived = _archive(store, urls, options, progress) if options.wayback_api else 0
    statuses = Counter(link.status for link in settled)
    dead = [link for link in settled if link.dead]
    return FetchReport(
        book=book, links=len(dict.fromkeys(urls)), fetched=statuses["ok"], unchanged=len(dict.fromkeys(urls)) - len(todo),
        failed=sum(1 for link in settled if link.status != "ok" and not link.dead), dead=len(dead),
        newly_dead=tuple(sorted(link.url for link in dead if not (known.get(link.url) and known[link.url].dead))),
        statuses=dict(sorted(statuses.items())), archived=archived,
        pages_archived=kept["archived"], pages_cut=kept["cut"], pages_over_cap=kept["over_cap"],
        archive_bytes=budget.used if options.archive else sum(store.page_sizes().values()),
    )


def _archive(store: Store, urls: Sequence[str], options: FetchOptions, progress: Progress | None) -> int:
    """Look up the Wayback snapshot of each dead link of ``urls`` that has none yet; save those
    found. Returns how many were found."""
    known = store.load_links()
    wanted = [url for url in dict.fromkeys(urls) if url in known and known[url].dead and not known[url].archived_url]
    if not wanted:
        return 0
    if progress:
        progress("wayback", 0, len(wanted))
    found = find_snapshots(wanted, options)
    if progress:
        progress("wayback", len(wanted), len(wanted))
    if found:
        store.save_links([replace(known[url], archived_url=snap.url, archived_at=snap.timestamp) for url, snap in found.items()])
    return len(found)
