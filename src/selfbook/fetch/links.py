"""The links of a book, their lasting state, and what entries learn from them.

- :func:`entry_links`: the URLs an entry points at, in their canonical form (the links table is
  keyed by it: an entry keeps its URLs as saved, tracking parameters and all), and its arXiv
  ids and DOIs as their canonical URLs (``https://arxiv.org/abs/ID``, ``https://doi.org/DOI``)
  when it has no such URL.
- :func:`due`: which links a run fetches: new ones, those fetched longer ago than ``max_age``,
  and those whose last fetch failed but that are not yet judged dead (so that a second run can
  confirm or clear them).
- :func:`settle`: a link's new state from its old one and this run's :class:`Attempt`. A link is
  **dead** only when :data:`DEAD_AFTER` runs in a row failed the way dead links fail
  (:data:`DEAD_SIGNS`: 404/410, no such host, refused, timeout, soft 404) — never after one blip;
  one good fetch clears it.
- :func:`enrich`: entries with what their links' pages say (rules in its docstring).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from ..models import Entry, Link
from ..normalize.urls import canonical_url
from .archive import INDEX_CHARS
from .client import Attempt

DEAD_AFTER = 2
"""Runs in a row whose fetch of a link failed the way dead links fail, before it counts as dead."""
DEAD_SIGNS = frozenset({"gone", "soft-404", "dns", "refused", "timeout"})
"""Failures that say a link is dead when they repeat; ``error``, ``blocked`` and ``robots`` do not."""
DEFAULT_MAX_AGE = dt.timedelta(days=30)
AGE = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "days"}
BARE = re.compile(r"(?i)\b(?:arxiv|doi|github|https?|www|abs|pdf)\b|[\W_\d]+")


def parse_age(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``2w``, ``90m``, ``0`` (everything is due) or a bare number of days."""
    found = AGE.match(text or "")
    if not found:
        raise ValueError(f"{text!r} is not an age — write e.g. 30d, 12h, 2w, or 0 to fetch every link again")
    return dt.timedelta(**{UNITS[found.group(2).lower()]: int(found.group(1))})


def entry_links(entry: Entry) -> list[str]:
    """The links of an entry: its URLs' canonical forms, then its papers' canonical URLs it does
    not already have."""
    links = list(dict.fromkeys(canonical_url(u) for u in entry.urls))
    for entity in entry.entities:
        if entity.kind == "arxiv":
            url = f"https://arxiv.org/abs/{entity.value}"
        elif entity.kind == "doi":
            url = f"https://doi.org/{entity.value}"
        else:
            continue
        if not any(entity.value.lower() in u.lower() for u in links):
            links.append(url)
    return links


def book_links(entries: Iterable[Entry]) -> list[str]:
    """Every link of these entries, once, in reading order."""
    return list(dict.fromkeys(url for entry in entries for url in entry_links(entry)))


def link_holders(entries: Iterable[Entry], known: Mapping[str, Link]) -> list[tuple[Link, tuple[str, ...]]]:
    """Every link of ``entries`` with the ids of the entries that hold it, in reading order, as
    ``known`` has it (a link not in it has status ``"unfetched"``)."""
    holders: dict[str, list[str]] = {}
    for entry in entries:
        for url in entry_links(entry):
            holders.setdefault(url, []).append(entry.id)
    return [(known.get(url) or Link(url, "unfetched", ""), tuple(ids)) for url, ids in holders.items()]


def due(urls: Sequence[str], known: Mapping[str, Link], now: dt.datetime, max_age: dt.timedelta) -> list[str]:
    """The links a run fetches (rules in the module docstring)."""
    out = []
    for url in urls:
        link = known.get(url)
        if link is None or (link.status != "ok" and not link.dead):
            out.append(url)
        elif now - dt.datetime.fromisoformat(link.fetched) >= max_age:
            out.append(url)
    return out


def settle(old: Link | None, attempt: Attempt, fetched: str) -> Link:
    """The link's state after this run's attempt. A failure keeps what an earlier good fetch
    learned (title, description…), so an entry keeps its title while its link is down, and its
    Wayback snapshot, once found, is kept."""
    failures = (old.failures if old else 0) + 1 if attempt.status in DEAD_SIGNS else 0
    meta = attempt.meta
    learned = attempt.status == "ok" or not old
    return Link(
        url=attempt.url, status=attempt.status, fetched=fetched, code=attempt.code, final_url=attempt.final_url,
        title=meta.title if learned else old.title, description=meta.description if learned else old.description,
        published=meta.published if learned else old.published, lang=meta.lang if learned else old.lang,
        content_type=attempt.content_type or (old.content_type if old else ""),
        authors=attempt.authors if learned else old.authors, failures=failures, dead=failures >= DEAD_AFTER,
        archived_url=old.archived_url if old else "", archived_at=old.archived_at if old else "",
    )


def _bare(title: str) -> bool:
    """True for a title that is only a reference: "arxiv 2405.00208", "doi 10.1/x", a URL."""
    return not BARE.sub("", title).strip()


def enrich(entries: Sequence[Entry], links: Mapping[str, Link], pages: Mapping[str, str] | None = None) -> list[Entry]:
    """Each entry with what its first fetched link (in :func:`entry_links` order) says:

    - an entry whose title selfbook derived (a bare link, "GitHub: owner/repo") or whose title
      is only a reference ("arxiv 2405.00208") takes the page's title; ``fetched`` says "title";
    - an entry with no note takes the page's description as its one-line summary (for a paper:
      its authors and year first); ``fetched`` says "note".

    A title the person wrote, and a note they wrote, are never replaced. Entries without a
    fetched link are returned as they are. With ``pages`` (the archive, by URL), each entry's
    :attr:`~Entry.page_text` is the start of its first archived link's text, whether that link
    lives or not (so the text outlives the link)."""
    if pages:
        entries = [_with_page(entry, pages) for entry in entries]
    if not links:
        return list(entries)
    out = []
    for entry in entries:
        page = next((links[u] for u in entry_links(entry) if u in links and links[u].title), None)
        if page is None:
            out.append(entry)
            continue
        fetched, title, notes = [], entry.title, entry.notes
        if entry.title_derived or _bare(entry.title):
            title = page.title
            fetched.append("title")
        if not any(n.strip() for n in entry.notes):
            summary = _summary(page)
            if summary:
                notes = (summary,)
                fetched.append("note")
        if not fetched:
            out.append(entry)
            continue
        out.append(replace(entry, title=title, notes=notes, title_derived=entry.title_derived and "title" not in fetched,
                           fetched=tuple(fetched)))
    return out


def _with_page(entry: Entry, pages: Mapping[str, str]) -> Entry:
    text = next((pages[u] for u in entry_links(entry) if pages.get(u)), "")
    text = text[:INDEX_CHARS].rsplit(" ", 1)[0] if len(text) > INDEX_CHARS else text
    return entry if text == entry.page_text else replace(entry, page_text=text)


def _summary(link: Link) -> str:
    """A page's one-line summary: its description, a paper's authors and year first."""
    if not link.authors:
        return link.description
    names = ", ".join(link.authors[:3]) + (" et al." if len(link.authors) > 3 else "")
    year = link.published[:4]
    byline = f"{names} ({year})" if year else names
    return f"{byline}. {link.description}" if link.description else byline
