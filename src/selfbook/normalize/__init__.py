"""Normalize: canonical URLs, entities, kinds, dates, ids, and merging of duplicates.

::

    urls.py      canonical_url() — one spelling per page, for matching; dedupe_key(),
                 page_key(), is_specific(); saved_url() — a URL as saved
    entities.py  extract_entities(), classify_kind(), entity_date(), derive_title()
    dedupe.py    normalize_entries() — RawEntry → Entry with exact duplicates merged
    near.py      near_duplicates() — merge/flag look-alikes once entries are embedded;
                 fragment_flags() — entries on one page but for a fragment
"""

from __future__ import annotations

from selfbook.normalize.dedupe import NormalizeResult, entry_id, normalize_entries, normalized_text
from selfbook.normalize.near import NearDuplicates, fragment_flags, near_duplicates
from selfbook.normalize.entities import classify_kind, derive_title, entity_date, extract_entities
from selfbook.normalize.urls import canonical_url, dedupe_key, is_specific, page_key, saved_url

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
    "fragment_flags",
    "is_specific",
    "near_duplicates",
    "normalize_entries",
    "normalized_text",
    "page_key",
    "saved_url",
]
