"""Linkwarden's JSON export (Settings → Data → Export, or ``GET /api/v1/migration``).

The export is the user object with its collections and their links (Linkwarden's
``exportData``; record ids are removed from it)::

    {"name", "username", …, "collections": [{"name", "description", …,
        "links": [{"name", "type", "url", "description", "tags": [{"name"}], "createdAt", …}]}],
     "pinnedLinks": [...], …}

Each link is an entry: ``name`` the title, ``description`` the note, its tags, ``createdAt``
(``importDate`` when it was imported from elsewhere) the date, and its collection's name the
heading. The archived page text (``textContent``) is not read. A link without a web URL (an
uploaded PDF or image) is skipped with its reason. Sub-collections are listed flat in the export
and their parents cannot be told (the ids are removed), so the heading is the collection's own
name. Positions: each link's span is the lines of its JSON object (found by :mod:`.jsontree`);
the export is written on one line, so that is line 1 unless the file was reformatted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..models import Skip, Span
from .base import Item, Progress, TextChunks, iso_date, make_entry, tag_list, web_urls
from .browsers import Folder, tree_items
from .jsontree import Node, nodes

__all__ = ["read_linkwarden"]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _linkwarden(fields: dict, span: Span, node: Node) -> Folder | Item | None:
    depth = len(node.parents)
    if depth == 0 or (node.head and "name" not in fields):
        return None
    if depth == 1:
        return Folder(_text(fields.get("name")))
    url = _text(fields.get("url"))
    urls = web_urls(url)
    title = _text(fields.get("name"))
    if not urls:
        kind = _text(fields.get("type")) or "link"
        what = f"an uploaded {kind}" if kind in ("pdf", "image") else f"a {kind}"
        return Skip(span, f"{what} ({title[:40]!r}) without a web link" if title else f"{what} without a web link")
    return make_entry(
        span, title=title or None, urls=urls, note=_text(fields.get("description")),
        date=iso_date(fields.get("importDate")) or iso_date(fields.get("createdAt")), tags=tag_list(fields.get("tags")),
    )


def read_linkwarden(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Linkwarden's JSON export: collections (→ headings) holding links (→ entries)."""
    hint = 'a Linkwarden export is a JSON object with a "collections" list (Settings → Data → Export)'
    pieces = nodes(TextChunks(path, shown, progress), ("collections", "links"))
    return tree_items(pieces, shown, '"collections" list (a JSON object)', hint, _linkwarden)
