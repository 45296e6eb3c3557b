"""The book as JSON Lines: one object per entry, in book order.

Each line holds the fields of ``selfbook entries --json`` (``PlacedEntry.to_dict()``: id,
title, urls, kind, date, date_label, chapter, section, ids, source, sources, note, entities,
lang, script, merged, fetched, tags, folders, idents) plus ``headings``, with ``tags`` and
``idents`` (the identities its records had in their sources, such as ``twitter:1234``) last, as
they always were, so nothing of the entry is lost.
``--format jsonl`` imports it back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..reports import PlacedEntry
from .files import atomic_text

__all__ = ["entry_record", "write_jsonl"]


def entry_record(placed: PlacedEntry) -> dict:
    """The full record of one entry."""
    e = placed.entry
    record = placed.to_dict()
    del record["idents"]  # written last, where it was before entries --json had it
    return {**record, "tags": list(e.tags), "headings": list(e.headings), "idents": list(e.idents)}


def write_jsonl(entries: Sequence[PlacedEntry], out: Path, *, title: str = "", related=None) -> int:
    """Write one JSON object per line; returns the number of entries."""
    with atomic_text(out) as fh:
        for placed in entries:
            fh.write(json.dumps(entry_record(placed), ensure_ascii=False) + "\n")
    return len(entries)
