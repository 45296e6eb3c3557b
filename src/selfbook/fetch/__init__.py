"""Fetching the book's links: what a bare link is, and whether it still lives (``selfbook fetch``).

Nothing is fetched unless the person asks: selfbook stays offline by default.

- :mod:`~selfbook.fetch.guard` — the SSRF guard every connection passes.
- :mod:`~selfbook.fetch.client` — fetching many links at once, politely and defensively.
- :mod:`~selfbook.fetch.page` — what an HTML page says about itself.
- :mod:`~selfbook.fetch.scholar` — papers by arXiv id (export API) and DOI (Crossref).
- :mod:`~selfbook.fetch.wayback` — a dead link's snapshot, from the Wayback availability API.
- :mod:`~selfbook.fetch.links` — the links' lasting state (dead only after repeated failures)
  and what entries learn from their pages.
- :mod:`~selfbook.fetch.run` — one fetch run over a book, saved to its store.
"""

from .client import Attempt, FetchOptions, fetch_urls
from .links import DEAD_AFTER, DEFAULT_MAX_AGE, book_links, enrich, entry_links, link_holders, parse_age
from .run import FetchReport, fetch_links

__all__ = [
    "Attempt", "DEAD_AFTER", "DEFAULT_MAX_AGE", "FetchOptions", "FetchReport", "book_links", "enrich", "entry_links",
    "fetch_links", "fetch_urls", "link_holders", "parse_age",
]
