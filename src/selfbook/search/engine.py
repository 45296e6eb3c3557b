"""The search engine of one book: lexical (BM25) and dense (cosine) retrieval, fused.

A :class:`Searcher` loads what it needs once — per-entry rows for filters and BM25 lengths, and
(on the first dense or hybrid search) the book's vectors — and is reused for as long as the book
does not change (:meth:`Searcher.current`). Every call reads the postings of the query's terms
and the hit entries from the store it is given.

Each retriever ranks its ``depth`` best entries (at least ``limit``), both under the same filter
mask; ``hybrid`` fuses the two rankings by a sum of their z-scored scores with weights set per
query (BM25's shrinks when the book holds little of the query: see :mod:`selfbook.search.fusion`). A hit's ``score`` is the fused score (0–1) for ``hybrid``,
the BM25 score for ``lexical`` and the cosine for ``dense``; higher is better in all three.

Query vectors come from a :class:`~selfbook.search.queryvec.QueryVectors` (cached, batched
across threads). A search given a ``deadline`` that its query's vector misses answers from BM25
alone, and its :class:`Hits` say so (``degraded == "lexical"``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..embed import Embedder, content_hash
from ..errors import BookError
from ..reports import PlacedEntry
from ..store.base import Store
from .dense import APPROXIMATE_FROM, approximate, blas_threads, fill_missing, quantized, scan_beside, top
from .filters import SearchFilters, filter_mask
from . import check_query
from .fusion import adaptive, convex, rrf
from .index import full_index
from .lexical import BM25, coverage
from .queryvec import QueryVector, QueryVectors
from .snippets import Span, snippet
from .terms import INDEX_VERSION, search_terms, word_forms


log = logging.getLogger(__name__)


MAX_EMBED_AT_SEARCH = 256
"""Entries without a stored vector (merged near-duplicates) are embedded at search time, up to this many."""


@dataclass(frozen=True)
class Hit:
    """One search result: the entry where the book puts it, and why it was found."""

    placed: PlacedEntry
    score: float
    snippet: str                                  # plain text: not escaped, no markup
    highlights: tuple[Span, ...]                  # [start, end) spans of ``snippet`` to highlight
    ranks: tuple[tuple[str, int], ...]            # 1-based rank per retriever that found it

    def to_dict(self) -> dict:
        """The entry's fields (as ``selfbook entries --json``) with score, snippet, highlights, ranks."""
        return {
            **self.placed.to_dict(),
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "highlights": [list(s) for s in self.highlights],
            "ranks": dict(self.ranks),
        }


class Hits(list):
    """The hits of one search, best first (a list of :class:`Hit`), and how complete it was:
    ``degraded`` is None for a full search, or ``"lexical"`` when the query's vector was not
    ready within the search budget and the hits are ranked by BM25 alone."""

    def __init__(self, hits=(), degraded: str | None = None) -> None:
        super().__init__(hits)
        self.degraded = degraded

    @property
    def note(self) -> str | None:
        """What a reader should know about these hits, in a sentence (None for a full search)."""
        if self.degraded == "lexical":
            return "Busy: these results match your words only; the search by meaning was skipped to answer in time."
        return None


@dataclass(frozen=True)
class SearchParams:
    """The engine's knobs, set by ``bench/retrieval.py`` (see the README's Search section)."""

    bm25: BM25 = field(default_factory=BM25)
    depth: int = 100                              # candidates per retriever before fusion
    fusion: str = "adaptive"                      # "adaptive" (per-query weights), "convex" or "rrf" (see fusion)
    norm: str = "zscore"                          # convex: "zscore" or "minmax" (see fusion)
    rrf_k: int = 60
    weights: tuple[tuple[str, float], ...] = (("lexical", 0.5), ("dense", 0.5))
    coverage_full: float = 0.5                    # adaptive: BM25's weight shrinks below this coverage
    sharpness: float = 0.0                        # adaptive: power of each list's peak (0: unused)
    approximate_from: int | None = APPROXIMATE_FROM  # dense scans 8-bit vectors, then rescores exactly, from this many
                                                  # entries when faiss is installed; None: always exact (see dense)


@dataclass(frozen=True)
class Ranked:
    position: int
    score: float
    ranks: tuple[tuple[str, int], ...]


class Searcher:
    """Search over one version of a book, from any number of threads at once. ``queries``: where
    query vectors come from, shared with the searchers of later versions of the book; without
    it, a :class:`QueryVectors` of its own over ``embedder(model)``, which must return an
    embedder of the book's model (see :func:`embedder_for`)."""

    def __init__(
        self,
        store: Store,
        embedder: Callable[[str], Embedder],
        params: SearchParams = SearchParams(),
        *,
        queries: QueryVectors | None = None,
    ) -> None:
        if store.search_index_version() != INDEX_VERSION:
            log.info("rebuilding the search index (written by %s)", store.search_index_version())
            store.save_search_index(full_index(store.load_entries()))
        self.version = store.book_version()
        self.model = store.get_meta("model") or ""
        self.params = params
        self._rows = store.search_rows()
        self._outline = store.load_outline()
        self._norm = params.bm25.lengths(self._rows)
        self._queries = queries if queries is not None else QueryVectors(embedder)
        self._vectors: np.ndarray | None = None
        self._coarse = None                       # the 8-bit copy of the vectors (dense.quantized), for a large book
        self._loading = threading.Lock()

    def current(self, store: Store) -> bool:
        """Whether the book is still the one this searcher loaded."""
        return store.book_version() == self.version

    # -- retrievers --------------------------------------------------------------------------------
    def lexical(self, store: Store, terms: list[str], depth: int, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The ``depth`` best positions by BM25, and their scores."""
        return self._lexical(store, terms, depth, keep)[0]

    def _lexical(
        self, store: Store, terms: list[str], depth: int, keep: np.ndarray | None, words: list[tuple[str, ...]] = ()
    ) -> tuple[tuple[np.ndarray, np.ndarray], float]:
        """:meth:`lexical`, and how much of the query the book holds (the
        :func:`~selfbook.search.lexical.coverage` of its ``words``)."""
        postings = store.search_postings(terms)
        scores = self.params.bm25.scores(postings, self._norm)
        matched = np.flatnonzero(scores > 0)
        if keep is not None:
            matched = np.intersect1d(matched, keep, assume_unique=True)
        best = top(scores, depth, matched)
        return (best, scores[best]), coverage(list(words), postings, len(self._norm))

    def dense(
        self, store: Store, query: str, depth: int, keep: np.ndarray | None, deadline: float | None = None,
        given: QueryVector | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The ``depth`` nearest positions by cosine, and their cosines, or None when the query's
        vector is not ready by ``deadline`` (see :class:`QueryVectors`): exact over the vectors in
        memory (for a book of ``SearchParams.approximate_from`` entries and no filter, the best of
        an 8-bit scan ranked by their exact cosines: see :mod:`~selfbook.search.dense`).
        ``given``: the query's vector as the caller found it (see :class:`QueryVector`)."""
        vectors = self._load_vectors(store)
        if not len(vectors):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if given is not None and given.model == self.model:
            q = given.vector
        else:
            q = self._queries.get(self.model, query, deadline)
        if q is None:
            return None
        if keep is None and self._coarse is not None:
            return approximate(vectors, q, depth, self._coarse)
        with blas_threads(len(vectors)):
            if keep is not None and len(keep) < len(vectors) // 4:
                scores = np.full(len(vectors), -np.inf, dtype=np.float32)
                scores[keep] = vectors[keep] @ q
            else:
                scores = vectors @ q
        best = top(scores, depth, keep)
        return best, scores[best]

    def prepare(self, store: Store) -> None:
        """Load what a dense search reads but the model: the vectors."""
        self._load_vectors(store)

    def _load_vectors(self, store: Store) -> np.ndarray:
        if self._vectors is None:
            have, matrix = store.search_vectors(self.model)
            vectors = fill_missing(matrix, have, len(self._rows), lambda missing: self._embed_entries(store, missing))
            start = self.params.approximate_from
            if start is not None and len(vectors) >= start:
                self._coarse = quantized(vectors)
            self._vectors = vectors
        return self._vectors

    def _embed_entries(self, store: Store, positions: np.ndarray) -> np.ndarray:
        """Vectors for entries the store has none for (merged near-duplicates), cached for next time."""
        if len(positions) > MAX_EMBED_AT_SEARCH:
            raise BookError(
                f"{len(positions)} entries have no stored {self.model} vector — rebuild the book "
                "(selfbook build), or search with --method lexical"
            )
        entries = [placement[0] for placement in store.load_placed(positions.tolist())]
        texts = [e.embed_text() for e in entries]
        vectors = self._queries.embed(self.model, texts)
        store.put_vectors(self.model, {content_hash(t): v for t, v in zip(texts, vectors)})
        return vectors

    # -- the search ------------------------------------------------------------------------------
    def rank(
        self, store: Store, query: str, *, limit: int, filters: SearchFilters | None, method: str, deadline: float | None = None
    ) -> list[Ranked]:
        """The ``limit`` best positions for ``query``, best first (BM25 alone if the query's
        vector missed ``deadline``: :meth:`search` says when)."""
        return self._rank(store, query, limit=limit, filters=filters, method=method, deadline=deadline)[0]

    def _rank(
        self, store: Store, query: str, *, limit: int, filters: SearchFilters | None, method: str, deadline: float | None,
        given: QueryVector | None = None,
    ) -> tuple[list[Ranked], str | None]:
        terms = list(dict.fromkeys(search_terms(query)))
        if not terms:
            return [], None
        mask = filter_mask(filters, self._rows, self._outline, store.positions_from_source, store.tag_positions)
        keep = None if mask is None else np.flatnonzero(mask)
        if keep is not None and not len(keep):
            return [], None
        depth = max(self.params.depth, limit)
        rankings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        degraded = None
        held = 1.0
        beside = None  # a large book's 8-bit scan runs on another thread while BM25 ranks (it reads no store)
        if method == "hybrid" and keep is None and self._coarse is not None:
            beside = scan_beside().submit(self.dense, store, query, depth, keep, deadline, given)
        if method in ("hybrid", "lexical"):
            rankings["lexical"], held = self._lexical(store, terms, depth, keep, word_forms(query))
        if method in ("hybrid", "dense"):
            dense = beside.result() if beside is not None else self.dense(store, query, depth, keep, deadline, given)
            if dense is None:  # the vector missed the deadline: words alone
                degraded, method = "lexical", "lexical"
                rankings = {"lexical": rankings.get("lexical") or self.lexical(store, terms, depth, keep)}
            else:
                rankings["dense"] = dense
        if method != "hybrid":
            positions, scores = rankings[method]
            ranked = [Ranked(int(p), float(s), ((method, i),)) for i, (p, s) in enumerate(zip(positions, scores), start=1)]
            return ranked[:limit], degraded
        return [Ranked(p, s, ranks) for p, s, ranks in self.fuse(rankings, held)[:limit]], None

    def fuse(
        self, rankings: dict[str, tuple[np.ndarray, np.ndarray]], held: float
    ) -> list[tuple[int, float, tuple[tuple[str, int], ...]]]:
        """The two rankings fused as ``params.fusion`` says; ``held``: the query's coverage."""
        p = self.params
        scored = {name: (r[0].tolist(), r[1].tolist()) for name, r in rankings.items()}
        if p.fusion == "adaptive":
            return adaptive(scored, weights=dict(p.weights), coverage=held, coverage_full=p.coverage_full, sharpness=p.sharpness)
        if p.fusion == "convex":
            return convex(scored, weights=dict(p.weights), norm=p.norm)
        return rrf({name: r[0] for name, r in scored.items()}, k=p.rrf_k, weights=dict(p.weights))

    def search(
        self,
        store: Store,
        query: str,
        *,
        limit: int,
        filters: SearchFilters | None,
        method: str,
        deadline: float | None = None,
        given: QueryVector | None = None,
    ) -> Hits:
        """Hits for ``query``, each a :class:`~selfbook.reports.PlacedEntry` with its score and
        snippet. ``deadline`` (a :func:`time.monotonic` time): how
        long a dense or hybrid search waits for its query's vector before it ranks by BM25 alone.
        ``given``: the query's vector as the caller found it already (:class:`QueryVector`);
        None: this search looks it up."""
        check_query(query, limit, method)
        ranked, degraded = self._rank(store, query, limit=limit, filters=filters, method=method, deadline=deadline, given=given)
        terms = set(search_terms(query))
        hits = Hits(degraded=degraded)
        for r, (entry, *where) in zip(ranked, store.load_placed([r.position for r in ranked]), strict=True):
            text, spans = snippet(entry, terms)
            hits.append(Hit(PlacedEntry(entry, *where), r.score, text, spans, r.ranks))
        return hits
