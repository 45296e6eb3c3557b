"""The Wayback Machine's snapshot of a dead link, through its availability API
(``GET BASE?url=URL`` → ``{"archived_snapshots": {"closest": {"available": true, "url": …,
"timestamp": "YYYYMMDDhhmmss"}}}``). Its base URL is a setting (``FetchOptions.wayback_api``,
``wayback_url``), so tests and mirrors can stand in for it.

The answer is hostile input like any page: a snapshot counts only when its URL is http(s), and
its timestamp only when it is digits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

MAX_URL = 2000


@dataclass(frozen=True)
class Snapshot:
    url: str        # http(s) only
    timestamp: str  # YYYYMMDDhhmmss, or "" when the API gave none that is digits


def wayback_query(base: str, url: str) -> str:
    return f"{base}?url={quote(url, safe='')}"


def parse_available(body: bytes) -> Snapshot | None:
    """The closest available snapshot of an availability API answer, or None."""
    try:
        closest = json.loads(body)["archived_snapshots"]["closest"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(closest, dict) or closest.get("available") is not True:
        return None
    url, stamp = closest.get("url"), closest.get("timestamp")
    if not isinstance(url, str) or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    if not url.lower().startswith(("http://", "https://")):
        return None
    return Snapshot(url, stamp if isinstance(stamp, str) and stamp.isdigit() and len(stamp) <= 14 else "")
