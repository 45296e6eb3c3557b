"""Normalize: canonical URLs, entities, kinds, dates, ids, and merging of duplicates.

::

    urls.py      canonical_url() — one spelling per page; dedupe_key(), is_specific()
    entities.py  extract_entities(), classify_kind(), entity_date(), derive_title()
    dedupe.py    normalize_entries() — RawEntry → Entry with exact duplicates merged;
                 near_duplicates() — merge/flag look-alikes once entries are embedded
"""

from __future__ import annotations

from selfbook.normalize.dedupe import (
    NearDuplicates,
    NormalizeResult,
    entry_id,
    near_duplicates,
    normalize_entries,
    normalized_text,
)
from selfbook.normalize.entities import classify_kind, derive_title, entity_date, extract_entities
from selfbook.normalize.urls import canonical_url, dedupe_key, is_specific

__all__ = [
    "NearDuplicates",
    "NormalizeResult",
    "canonical_url",
    "classify_kind",
    "dedupe_key",
    "derive_title",
    "entity_date",
    "entry_id",
    "extract_entities",
    "is_specific",
    "near_duplicates",
    "normalize_entries",
    "normalized_text",
]
