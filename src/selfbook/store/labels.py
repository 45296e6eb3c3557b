"""What both stores read from ``entry_labels`` with the same SQL (none of it takes a parameter)."""

from __future__ import annotations


class LabelRows:
    """Queries over ``entry_labels`` that SQLite and PostgreSQL run alike; a store mixes it in."""

    def tag_positions(self) -> dict[str, list[int]]:
        """Every tag as saved, with the positions of the entries that carry it."""
        found: dict[str, list[int]] = {}
        rows = self._db.execute(
            "SELECT l.value, e.position FROM entry_labels l JOIN entries e ON e.id = l.entry_id "
            "WHERE l.kind = 'tag' ORDER BY e.position"
        )
        for tag, position in rows:
            found.setdefault(tag, []).append(position)
        return found
