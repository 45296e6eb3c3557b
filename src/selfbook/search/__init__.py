"""Search: hybrid lexical + dense retrieval over a book, with filters and snippets.

::

    terms.py     search_terms() — the words of the index and of queries; index_entries() for the store
    lexical.py   BM25 over the store's postings (numpy)
    dense.py     exact cosine over the book's vectors; top-k
    fusion.py    per-query weighted z-score fusion (and the fixed convex sum, RRF)
    queryvec.py  QueryVectors: query vectors cached and embedded in batches across threads, with deadlines
    filters.py   SearchFilters → one mask of entry positions; parse_period(); QueryError
    snippets.py  snippet() and highlight_spans()
    engine.py    Searcher (loaded once per book version), Hit, Hits, SearchParams

The front door is :meth:`selfbook.Library.search`.
"""

from .dense import embedder_for, one_blas_thread
from .engine import METHODS, Hit, Hits, QueryVector, Ranked, Searcher, SearchParams, check_query
from .filters import QueryError, SearchFilters, parse_period
from .lexical import BM25
from .queryvec import QueryVectors
from .snippets import highlight_spans, snippet
from .terms import INDEX_VERSION, search_terms

__all__ = [
    "METHODS", "Hit", "QueryVector", "Hits", "QueryVectors", "Ranked", "Searcher", "SearchParams", "SearchFilters", "QueryError", "BM25",
    "check_query", "embedder_for", "one_blas_thread", "highlight_spans", "parse_period", "search_terms", "snippet", "INDEX_VERSION",
]
