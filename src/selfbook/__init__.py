"""selfbook: turn a dump of links and notes into an organized, indexed book.

The public API is the :class:`Library` facade (and :class:`SharedBook`, one book shared by the
threads of a server) with its settings, models, reports and errors, and the value types and
functions the front ends need (``Hit``, ``Answer``, ``SearchFilters``…)::

    from selfbook import Library
    report = Library("book").build(["self.md"])

The names below are imported on first use (PEP 562 ``__getattr__``), not by ``import selfbook``:
every ``selfbook`` command starts by importing this package, and ``selfbook --help`` should not
wait for the library (see bench/cli_start.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Library": "library",
    "SharedBook": "library.shared",
    **{name: "reports" for name in ("BuildReport", "AddReport", "PlacedEntry")},
    "Settings": "settings", "load_settings": "settings",
    **{name: "models" for name in (
        "Entry", "Entity", "DateRange", "Span", "Merge", "Flag", "Skip", "Chapter", "Section", "Outline",
        "Decision", "Installment", "Link", "KINDS",
    )},
    **{name: "errors" for name in (
        "SelfbookError", "InputError", "BookError", "EmbeddingError", "ConfigError", "LLMError", "LLMTimeout",
    )},
    # What the front ends (cli, web/, mcp, export/, migrate, fetch) need from below the facade: they
    # import it from here, never from the module that defines it (tests/test_layout.py checks).
    "Dump": "ingest",
    "FORMAT_NAMES": "importers",
    **{name: "search" for name in (
        "METHODS", "Hit", "Hits", "QueryVector", "SearchFilters", "QueryError", "parse_period",
        "search_terms", "highlight_spans", "one_blas_thread",
    )},
    "Answer": "answer.ask",
    **{name: "book" for name in ("chapter_filename", "entry_anchor")},
    "TopicMap": "book.topicmap",
    "canonical_url": "normalize",
    **{name: "search.resolve" for name in ("entries_named", "named")},
    "describe": "organize.curate",
    "get_embedder": "embed",
    "get_llm": "answer.llm",
    **{name: "fetch" for name in ("FetchOptions", "parse_age")},
    "migrate_book": "store.migrate",
}
"""Each public name and the module (under ``selfbook.``) that defines it."""

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from .answer.ask import Answer
    from .answer.llm import get_llm
    from .book import chapter_filename, entry_anchor
    from .embed import get_embedder
    from .errors import BookError, ConfigError, EmbeddingError, InputError, LLMError, LLMTimeout, SelfbookError
    from .fetch import FetchOptions, parse_age
    from .importers import FORMAT_NAMES
    from .ingest import Dump
    from .library import Library
    from .organize.curate import describe
    from .models import (
        KINDS, Chapter, DateRange, Decision, Entity, Entry, Flag, Installment, Link, Merge, Outline, Section, Skip, Span,
    )
    from .normalize import canonical_url
    from .search.resolve import entries_named, named
    from .reports import AddReport, BuildReport, PlacedEntry
    from .search import (
        METHODS, Hit, Hits, QueryError, QueryVector, SearchFilters, highlight_spans, one_blas_thread, parse_period,
        search_terms,
    )
    from .book.topicmap import TopicMap
    from .settings import Settings, load_settings
    from .library.shared import SharedBook
    from .store.migrate import migrate_book


def __getattr__(name: str):
    """A public name, imported from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # asked once: later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
