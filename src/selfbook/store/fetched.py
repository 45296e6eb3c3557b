"""What fetching keeps, the same SQL for both stores: each link's state (``links``, m005)
and the archive of pages' text (``pages``, m008); see :mod:`selfbook.fetch`.

A store mixes :class:`FetchedRows` in and names its placeholder (``MARK``: ``?`` or ``%s``); both
stores' connections run ``execute`` and their ``_transaction()`` gives what runs ``executemany``.
"""

from __future__ import annotations

from typing import Sequence

from ..models import Link
from .rows import COLUMNS, insert_sql, link_from, link_row


def upsert_sql(table: str, mark: str) -> str:
    """``INSERT …`` of a row of ``table`` that replaces the row with the same first column (its key)."""
    columns = COLUMNS[table]
    return insert_sql(table, mark) + f" ON CONFLICT ({columns[0]}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in columns[1:])


class FetchedRows:
    """The ``links`` and ``pages`` tables, read and written the same way by SQLite and PostgreSQL."""

    MARK = "?"

    def load_links(self) -> dict[str, Link]:
        """What fetching learned about each URL: url -> :class:`~selfbook.models.Link`."""
        return {row[0]: link_from(row) for row in self._db.execute(f"SELECT {', '.join(COLUMNS['links'])} FROM links")}

    def save_links(self, links: Sequence[Link]) -> None:
        """Put these links' rows in place of their old ones, in one transaction of their own."""
        with self._transaction() as db:
            db.executemany(upsert_sql("links", self.MARK), [link_row(link) for link in links])

    def load_pages(self) -> dict[str, str]:
        """The archived text of each page, by URL."""
        return dict(self._db.execute("SELECT url, text FROM pages").fetchall())

    def page_sizes(self) -> dict[str, int]:
        """The UTF-8 bytes of each archived page's text, by URL (what the total cap counts)."""
        return dict(self._db.execute("SELECT url, bytes FROM pages").fetchall())

    def save_pages(self, pages: Sequence[tuple[str, str, int, bool, str]]) -> None:
        """Put these ``(url, text, bytes, cut, archived)`` rows in place of their old ones, in one transaction of their own."""
        with self._transaction() as db:
            db.executemany(upsert_sql("pages", self.MARK), [(u, t, n, int(c), a) for u, t, n, c, a in pages])
