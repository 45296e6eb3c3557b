"""The web layer's one door to the book: :class:`BookService`, shared by the pages and the API.

Threads: uvicorn runs the endpoints' work in a thread pool. How they share the book (reads
together, a write alone, every search on one Library that embeds the queries in flight in
batches, questions on Libraries of their own) is the library's policy, :class:`~selfbook.SharedBook`,
the one ``selfbook mcp`` follows too. The web adds its budget and what its pages read:

- A search waits for its query's vector at most ``Settings.search_budget_ms``, or
  :data:`SERVE_BUDGET_MS` unless the settings choose one; past it, it answers from BM25 alone and
  says so, so that searches keep answering in time when more come than the embedder can keep up with.
- Reads that every page needs (the outline, every placed entry, the history, the topic map) are
  kept as one :class:`BookView` per version of the book (:meth:`Library.version`), so a build or
  a ``selfbook move`` in another process shows up on the next request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from selfbook import Library, PlacedEntry, SharedBook, chapter_filename
from selfbook.models import Chapter, Decision, Installment, Link, Outline
from selfbook.settings import SERVE_BUDGET_MS, Settings

T = TypeVar("T")

RELATED = 8
"""How many nearest neighbours an entry page shows."""


@dataclass
class BookView:
    """What the book looks like at one version: built once, shared by every request."""

    version: str
    title: str
    outline: Outline
    entries: list[PlacedEntry]
    decisions: list[Decision]
    installments: list[Installment]
    links: dict[str, Link] = field(default_factory=dict)
    """What ``selfbook fetch`` learned of each link, by URL (see :func:`views.link_states`)."""
    topic_map: object = field(default=None, repr=False)
    """The view's topic map, once :meth:`BookService.topic_map` computed it."""

    @cached_property
    def by_id(self) -> dict[str, PlacedEntry]:
        return {p.entry.id: p for p in self.entries}

    @cached_property
    def chapters(self) -> dict[str, tuple[int, Chapter]]:
        """Chapter id → (number, chapter), numbered from 1 in book order."""
        return {c.id: (n, c) for n, c in enumerate(self.outline.chapters, 1)}

    def chapter_file(self, chapter_id: str) -> str:
        number, chapter = self.chapters[chapter_id]
        return chapter_filename(number, chapter)

    def section_paths(self) -> list[str]:
        """Every ``Chapter/Section`` title path, for the move form's suggestions."""
        return [f"{c.title}/{s.title}" for c in self.outline.chapters for s in c.sections]

    @property
    def last_installment(self) -> Installment | None:
        return self.installments[-1] if self.installments else None


class BookService(SharedBook):
    """The book served to the web's threads: a :class:`~selfbook.SharedBook` (made with the same
    arguments) with serve's search budget and the pages' cached view."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._view_lock = threading.Lock()
        self._view: BookView | None = None

    @staticmethod
    def default_budget_ms(settings: Settings) -> int:
        """The settings' ``search_budget_ms`` if they choose one, else :data:`SERVE_BUDGET_MS`."""
        return settings.search_budget_ms if "search_budget_ms" in settings.chosen else SERVE_BUDGET_MS

    def write(self, call: Callable[[Library], T]) -> T:
        """:meth:`SharedBook.write`; the next view is read afresh."""
        try:
            return super().write(call)
        finally:
            with self._view_lock:
                self._view = None

    # -- the cached view ------------------------------------------------------------------------
    def view(self) -> BookView:
        """The book as it is now (re-read only when its version changed)."""
        with self.reading() as library:
            version = library.version()
            with self._view_lock:
                if self._view is not None and self._view.version == version:
                    return self._view
            decisions, installments = library.history()
            view = BookView(version, self.title, library.outline(), library.entries(), decisions, installments, library.link_states())
        with self._view_lock:
            self._view = view
        return view

    def topic_map(self, view: BookView):
        """The view's topic map (computed on first use, then kept with the view)."""
        with self._view_lock:
            if view.topic_map is not None:
                return view.topic_map
        topic_map = self.read(lambda library: library.topic_map())
        with self._view_lock:
            view.topic_map = topic_map
        return topic_map

    def related(self, placed: PlacedEntry, limit: int = RELATED) -> list:
        """The entries nearest to ``placed`` in meaning (its own vector search), itself left out."""
        e = placed.entry
        query = " ".join(f"{e.title} {e.note[:400]}".split())
        if not query:
            return []
        hits = self.search(query, method="dense", limit=limit + 1, budget_ms=0)  # a page, not typing: it waits
        return [h for h in hits if h.placed.entry.id != e.id][:limit]
