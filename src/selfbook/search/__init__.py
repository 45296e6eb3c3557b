"""Search: hybrid lexical + dense retrieval over a book, with filters and snippets.

::

    terms.py     search_terms() — the words of the index and of queries
    index.py     full_index(), updated_index() — the index's rows, handed to the store with the book it saves
    lexical.py   BM25 over the store's postings (numpy)
    dense.py     exact cosine over the book's vectors; top-k
    fusion.py    per-query weighted z-score fusion (and the fixed convex sum, RRF)
    queryvec.py  QueryVectors: query vectors cached and embedded in batches across threads, with deadlines
    filters.py   SearchFilters → one mask of entry positions; parse_period(); QueryError
    snippets.py  snippet() and highlight_spans()
    engine.py    Searcher (loaded once per book version), Hit, Hits, SearchParams
    session.py   BookSearch: a book's searches from many threads (each keeps its store a while)

The front door is :meth:`selfbook.Library.search`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

METHODS = ("hybrid", "lexical", "dense")
"""The rankings a search can use: fused, BM25 only, vectors only."""

_EXPORTS = {
    **{name: "engine" for name in ("Hit", "Hits", "QueryVector", "Ranked", "Searcher", "SearchParams", "check_query")},
    **{name: "dense" for name in ("embedder_for", "one_blas_thread")},
    **{name: "filters" for name in ("QueryError", "SearchFilters", "parse_period")},
    "BM25": "lexical",
    "QueryVectors": "queryvec",
    **{name: "snippets" for name in ("highlight_spans", "snippet")},
    **{name: "terms" for name in ("INDEX_VERSION", "search_terms")},
}
"""Each public name and its module, imported on first use (PEP 562): every module here needs
numpy, and ``selfbook --help`` needs only ``METHODS`` (bench/cli_start.py)."""

__all__ = ["METHODS", *_EXPORTS]

if TYPE_CHECKING:
    from .dense import embedder_for, one_blas_thread
    from .engine import Hit, Hits, QueryVector, Ranked, Searcher, SearchParams, check_query
    from .filters import QueryError, SearchFilters, parse_period
    from .lexical import BM25
    from .queryvec import QueryVectors
    from .snippets import highlight_spans, snippet
    from .terms import INDEX_VERSION, search_terms


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
