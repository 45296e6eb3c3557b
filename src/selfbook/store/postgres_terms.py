"""The index's term counts in the PostgreSQL store (m004), mixed into
:class:`~selfbook.store.postgres.PostgresStore`. What a row holds is :mod:`selfbook.book.index_terms`'s."""

from __future__ import annotations

from typing import Callable, Iterable

import psycopg

from .rows import COLUMNS


class PostgresIndexTerms:
    _db: psycopg.Connection
    _make_room: Callable[..., bool]  # BookRows's, mixed in beside this

    def _save_index_terms(self, cur: psycopg.Cursor, terms) -> None:
        """Write the groups counted (all, or those an add touched; by COPY); ``None`` forgets them."""
        if not self._make_room(cur, terms, "index_terms", "index_terms"):
            return
        if not terms.full:
            cur.execute("DELETE FROM index_terms WHERE stem = ANY(%s)", ([*terms.drop, *(r[0] for r in terms.rows)],))
        with cur.copy(f"COPY index_terms ({', '.join(COLUMNS['index_terms'])}) FROM STDIN") as copy:
            for row in terms.rows:
                copy.write_row(row)
        cur.execute(
            "INSERT INTO meta VALUES ('index_terms', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (terms.version,)
        )

    def index_terms_version(self) -> str | None:
        """Which counting wrote the stored groups; None when there are none to trust."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'index_terms'").fetchone()
        return row[0] if row else None

    def index_term_groups(self, stems: Iterable[str]) -> dict[str, str]:
        """The stored groups with these stems: stem -> variants (JSON)."""
        return dict(self._db.execute("SELECT stem, variants FROM index_terms WHERE stem = ANY(%s)", (sorted(set(stems)),)))

    def index_term_candidates(self, offset: int, limit: int) -> list[tuple[str, str, str, int, str]]:
        """``(stem, phrase, form, entries, ids)`` of the groups in two entries or more, best ranked
        first (score, then phrase by code point, as SQLite and Python order text), ``limit`` from ``offset``."""
        return self._db.execute(
            'SELECT stem, phrase, form, entries, ids FROM index_terms WHERE score IS NOT NULL ORDER BY score DESC, phrase COLLATE "C" '
            "LIMIT %s OFFSET %s",
            (limit, offset),
        ).fetchall()
