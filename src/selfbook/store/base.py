"""The store seam: what the rest of selfbook may ask of a book's store.

SQLite (``sqlite.py``) is the embedded default; PostgreSQL (``postgres.py``) serves
shared, team-sized books behind the same :class:`Store` protocol (``open_store`` picks by URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Collection, Iterable, Mapping, Protocol, Self, Sequence

from ..models import Decision, Entry, Flag, Installment, Link, Merge, Outline, Skip

if TYPE_CHECKING:  # arrays are search's and the embedder's: reading a book's entries needs no numpy
    import numpy as np


class Closing:
    """``with store:`` closes the store when the block ends; both stores mix it in, each with its own
    :meth:`close`."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class TermRows:
    """The back-of-book index's term groups to save, counted by :mod:`selfbook.book.index_terms`
    (m004): rows ``(stem, entries, phrase, form, ids, score, variants)`` (the candidate's columns
    are None in a group of one entry), stems to delete, whether the rows replace every stored one
    (``full``), and which counting made them (``version``)."""

    rows: tuple[tuple, ...]
    version: str
    drop: tuple[str, ...] = ()
    full: bool = False


@dataclass(frozen=True)
class BookState:
    """Everything a build computes, saved in one transaction."""

    entries: tuple[Entry, ...]
    content_hashes: Mapping[str, str]          # entry id -> hash of the text that was embedded
    outline: Outline
    merges: tuple[Merge, ...] = ()
    flags: tuple[Flag, ...] = ()
    skips: tuple[Skip, ...] = ()
    dumps: Mapping[str, tuple[str, int]] = field(default_factory=dict)   # path -> (sha256, entries)
    meta: Mapping[str, str] = field(default_factory=dict)
    installments: tuple[Installment, ...] = ()  # m003: dumps added with `selfbook add`, in order
    decisions: tuple[Decision, ...] = ()        # m003: the person's new decisions, appended with this save
    base: tuple[Entry, ...] = ()                # the entries as stored before this change, when known:
                                                # a store may then rewrite only what changed
    index_terms: TermRows | None = None       # m004: the index's term counts to save (None: forget them)
    search_index: SearchIndexRows | None = None  # m002: the lexical index to save (None: forget it)


# == search (m002): what the search engine reads; see selfbook.search ==========================
@dataclass(frozen=True)
class Postings:
    """Where one term occurs: entry positions (ascending) and its count in each field there."""

    positions: np.ndarray  # int32
    title_tf: np.ndarray   # uint16
    body_tf: np.ndarray    # uint16


@dataclass(frozen=True)
class SearchIndexRows:
    """The lexical index's rows to save, counted by :mod:`selfbook.search.index` (the store only
    writes them): every row (``full``), or those an ``add`` changed, which are valid only over the
    entries the save's :attr:`BookState.base` names, kept at their positions."""

    version: str                    # the search terms that counted them (search_index in meta)
    docs: tuple[tuple[int, int, int], ...]  # (position, title terms, body terms) of each entry counted
    postings: Mapping[str, Postings]  # the rows of these terms, in place of the stored ones
    drop: tuple[str, ...] = ()      # terms no entry holds any more
    full: bool = True               # True: these rows are the whole index


@dataclass(frozen=True)
class SearchRows:
    """What search keeps in memory about every entry, one slot per entry position (0..n-1)."""

    kind: np.ndarray                # int8: index into ``kinds``
    kinds: tuple[str, ...]
    section: np.ndarray             # int32: index into ``sections`` (section ids); -1 when not placed
    sections: tuple[str, ...]
    date_start: np.ndarray          # int32: ``date.toordinal()`` of the first day; 0 when undated
    date_end: np.ndarray            # int32: of the last day; 0 when undated
    title_len: np.ndarray           # float32: terms in the title field
    body_len: np.ndarray            # float32: terms in the body field

    def __len__(self) -> int:
        return len(self.kind)


Placement = tuple[Entry, str, str, str, str]
"""An entry with its chapter id, chapter title, section id and section title."""
# == end search ===============================================================================


class Store(Protocol):
    """A book's persistent state. Every method is atomic on its own."""

    schema_version: int

    def close(self) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def committed(self, txid: str) -> bool: ...
    def cached_vectors(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]: ...
    def put_vectors(self, model: str, vectors: Mapping[str, np.ndarray]) -> None: ...
    def cached_answer(self, model: str, prompt_hash: str) -> str | None: ...
    def put_answer(self, model: str, prompt_hash: str, answer: str) -> None: ...
    def save_book(self, state: BookState, *, txid: str, command: str, report: Mapping) -> None: ...
    def load_entries(self) -> list[Entry]: ...
    def load_outline(self) -> Outline: ...
    def load_merges(self) -> list[Merge]: ...
    def load_flags(self) -> list[Flag]: ...
    def load_skips(self) -> list[Skip]: ...
    def content_hashes(self) -> dict[str, str]: ...
    def last_run(self) -> dict | None: ...

    # == search (m002) ==========================================================================
    def book_version(self) -> str | None:
        """The txid of the last saved book: it changes whenever the entries do."""
        ...
    def search_index_version(self) -> str | None: ...
    def save_search_index(self, index: SearchIndexRows) -> None:
        """Put a whole index (counted from the stored entries) in place of the stored one."""
        ...
    def search_rows(self) -> SearchRows: ...
    def search_postings(self, terms: Sequence[str]) -> dict[str, Postings]: ...
    def search_vectors(self, model: str) -> tuple[np.ndarray, np.ndarray]: ...
    def positions_from_source(self, source: str) -> np.ndarray: ...
    def tag_positions(self) -> dict[str, list[int]]: ...
    def load_placed(self, positions: Sequence[int]) -> list[Placement]: ...
    # == end search ===============================================================================

    # == installments and decisions (m003); see selfbook.organize.update and selfbook.organize.curate
    def load_installments(self) -> list[Installment]:
        """The dumps added with ``selfbook add``, oldest first."""
        ...
    def load_dumps(self) -> dict[str, tuple[str, int]]:
        """The dumps the book was built from: path -> (sha256, entries)."""
        ...
    def load_decisions(self) -> list[Decision]:
        """Every decision the person made, in the order they were made."""
        ...
    # == end installments and decisions ========================================================

    # == the index's term counts (m004); see selfbook.book.index_terms ==========================
    def index_terms_version(self) -> str | None:
        """Which counting wrote the stored groups; None when there are none to trust."""
        ...
    def index_term_groups(self, stems: Collection[str]) -> dict[str, str]:
        """The stored groups with these stems: stem -> variants (JSON)."""
        ...
    def index_term_candidates(self, offset: int, limit: int) -> list[tuple[str, str, str, int, str]]:
        """``(stem, phrase, form, entries, ids)`` of the groups in two entries or more, best ranked first."""
        ...
    # == end index terms ========================================================================

    # == links (m005); see selfbook.fetch ===========================================================
    def load_links(self) -> dict[str, Link]:
        """What fetching learned about each URL: url -> :class:`~selfbook.models.Link`."""
        ...
    def save_links(self, links: Sequence[Link]) -> None:
        """Put these links' rows in place of their old ones, committed on their own (not book state)."""
        ...
    # == end links ==================================================================================

    # == pages (m008): the archive of fetched pages' text; see selfbook.fetch.archive ===============
    def load_pages(self) -> dict[str, str]:
        """The archived text of each page, by URL."""
        ...
    def page_sizes(self) -> dict[str, int]:
        """The UTF-8 bytes of each archived page's text, by URL (what the total cap counts)."""
        ...
    def save_pages(self, pages: Sequence[tuple[str, str, int, bool, str]]) -> None:
        """Put these ``(url, text, bytes, cut, archived)`` rows in place of their old ones,
        committed on their own (not book state)."""
        ...
    # == end pages ==================================================================================
