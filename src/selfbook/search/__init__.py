"""Search: hybrid lexical + dense retrieval over a book, with filters and snippets.

::

    terms.py     search_terms() — the words of the index and of queries
    index.py     full_index(), updated_index() — the index's rows, handed to the store with the book it saves
    lexical.py   BM25 over the store's postings (numpy)
    dense.py     exact cosine over the book's vectors; top-k
    fusion.py    per-query weighted z-score fusion (and the fixed convex sum, RRF)
    queryvec.py  QueryVectors: query vectors cached and embedded in batches across threads, with deadlines;
                 QueryVector, a query's vector as one caller found it
    filters.py   SearchFilters → one mask of entry positions; parse_period()
    snippets.py  snippet() and highlight_spans()
    engine.py    Searcher (loaded once per book version), Hit, Hits, SearchParams
    session.py   BookSearch: a book's searches from many threads (each keeps its store a while);
                 it loads the engine (numpy) with the first search, so opening a Library needs neither

Here: METHODS, check_query() and QueryError (from :mod:`selfbook.errors`).

The front door is :meth:`selfbook.Library.search`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ..errors import QueryError

METHODS = ("hybrid", "lexical", "dense")
"""The rankings a search can use: fused, BM25 only, vectors only."""


def check_query(query: str, limit: int, method: str) -> None:
    """QueryError for a search that cannot run: an empty query, a limit under 1, an unknown method."""
    if not query or not query.strip():
        raise QueryError("empty query — say what to look for, e.g. selfbook search 'rag evaluation'")
    if limit < 1:
        raise QueryError(f"limit must be at least 1, not {limit}")
    if method not in METHODS:
        raise QueryError(f"unknown search method {method!r} — one of: {', '.join(METHODS)}")


_EXPORTS = {
    **{name: "engine" for name in ("Hit", "Hits", "Ranked", "Searcher", "SearchParams")},
    **{name: "dense" for name in ("embedder_for", "one_blas_thread")},
    **{name: "filters" for name in ("SearchFilters", "parse_period")},
    "BM25": "lexical",
    **{name: "queryvec" for name in ("QueryVector", "QueryVectors")},
    **{name: "snippets" for name in ("highlight_spans", "snippet")},
    **{name: "terms" for name in ("INDEX_VERSION", "search_terms")},
}
"""Each public name and its module, imported on first use (PEP 562): most modules here need
numpy, and ``selfbook --help`` needs only ``METHODS`` (bench/cli_start.py)."""

__all__ = ["METHODS", "QueryError", "check_query", *_EXPORTS]

if TYPE_CHECKING:
    from .dense import embedder_for, one_blas_thread
    from .engine import Hit, Hits, Ranked, Searcher, SearchParams
    from .filters import SearchFilters, parse_period
    from .lexical import BM25
    from .queryvec import QueryVector, QueryVectors
    from .snippets import highlight_spans, snippet
    from .terms import INDEX_VERSION, search_terms


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
