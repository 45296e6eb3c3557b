"""What an entry names (papers, repositories, people, posts, videos) and what kind of thing it is.

Entities (:func:`extract_entities`), all values lower-case except ids that are case-sensitive:

- ``arxiv:2405.00208`` — from arXiv URLs (and their mirrors in :data:`ARXIV_MIRRORS`) and from
  text such as "arxiv 2405.00208", "arXiv:2405.00208v2", "arxiv.org/abs/hep-th/9901001".
  The version is dropped; old-style ids lose their subject class (``math.GT/0309136`` →
  ``math/0309136``). arXiv's own DOIs (``10.48550/arXiv.…``) become arXiv ids.
- ``doi:10.1234/abc`` — from doi.org URLs, ``/doi/10.…`` paths (ACM, Wiley, Taylor & Francis…)
  and text "doi: 10.…", "DOI 10.…". Trailing punctuation and unbalanced brackets are stripped.
- ``github:owner/repo`` — from github.com/owner/repo[/…] and raw.githubusercontent.com URLs and
  text "GitHub: owner/repo", "GitHub owner/repo". A user page (github.com/owner) and site pages
  (github.com/features, /topics, …: :data:`GITHUB_RESERVED`) name no repository: no entity.
- ``handle:name`` — from "@name" in text (not e-mail addresses, not "/@name" inside URLs) and
  from x.com/<name> URLs (not site paths: :data:`X_RESERVED`).
- ``tweet:<status id>`` from x.com/…/status/<id>; ``youtube:<video id>`` from YouTube URLs.

Kinds (:func:`classify_kind`) are decided by the first rule that applies; see its docstring.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qs, unquote

from selfbook.models import DateRange, Entity
from selfbook.text import URL_CHAR, WEB_URL
from selfbook.normalize.urls import (
    ARXIV_NEW,
    ARXIV_OLD,
    arxiv_id,
    canonical_url,
    lookup_host,
    split_url,
)

GITHUB_RESERVED = frozenset(
    {"about", "apps", "blog", "codespaces", "collections", "contact", "customer-stories",
     "enterprise", "events", "explore", "features", "issues", "join", "login", "marketplace",
     "new", "notifications", "orgs", "organizations", "pricing", "pulls", "readme", "search",
     "security", "settings", "site", "sponsors", "team", "topics", "trending", "users"}
)
X_RESERVED = frozenset(
    {"i", "home", "search", "hashtag", "intent", "explore", "notifications", "messages",
     "settings", "share", "login", "logout", "signup", "tos", "privacy", "compose", "about",
     "download", "jobs", "account", "en", "who_to_follow", "lists", "status"}
)
# Sites that show an arXiv paper under its id: host → path prefixes followed by the id.
ARXIV_MIRRORS: dict[str, tuple[str, ...]] = {
    "arxiv.org": ("/abs/",),
    "huggingface.co": ("/papers/",),
    "alphaxiv.org": ("/abs/", "/overview/"),
}

HOST_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ("arxiv.org", "openreview.net", "aclanthology.org", "aclweb.org", "papers.nips.cc",
         "neurips.cc", "proceedings.mlr.press", "jmlr.org", "semanticscholar.org", "biorxiv.org",
         "medrxiv.org", "chemrxiv.org", "ssrn.com", "ncbi.nlm.nih.gov", "doi.org", "dl.acm.org",
         "ieeexplore.ieee.org", "link.springer.com", "sciencedirect.com", "mdpi.com",
         "researchgate.net", "plos.org", "pnas.org", "science.org", "cell.com", "frontiersin.org",
         "alphaxiv.org", "paperswithcode.com"),
        "paper",
    ),
    **dict.fromkeys(
        ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sr.ht", "pypi.org",
         "npmjs.com", "crates.io", "pkg.go.dev", "huggingface.co"),
        "repo",
    ),
    **dict.fromkeys(
        ("youtube.com", "youtu.be", "vimeo.com", "twitch.tv", "dailymotion.com", "loom.com"),
        "video",
    ),
    **dict.fromkeys(
        ("x.com", "bsky.app", "threads.net", "threads.com", "reddit.com", "news.ycombinator.com",
         "mastodon.social", "linkedin.com"),
        "post",
    ),
}
# Per-host path rules, tried before HOST_KINDS; first match wins.
PATH_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "huggingface.co": (
        (r"^/papers(/|$)", "paper"),
        (r"^/(blog|docs|learn|posts|course)(/|$)", "article"),
        (r"^/?$", "article"),
    ),
    "nature.com": ((r"^/articles/", "paper"),),
    "ted.com": ((r"^/talks/", "video"),),
    "linkedin.com": ((r"^/pulse/", "article"),),
    "substack.com": ((r"^/@[^/]+/note/", "post"), (r"^/notes?(/|$)", "post")),
}
_FEDIVERSE_POST = re.compile(r"^/@[\w.-]+/\d+/?$")  # mastodon-like /@user/123 on any host

_ARXIV_TEXT = re.compile(
    rf"\barxiv(?:\s*[:.]?\s*|\.org/(?:abs|pdf|html)/)(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v\d+)?\b",
    re.IGNORECASE,
)
_DOI = r"10\.\d{4,9}/[^\s\"<>]+"
_DOI_TEXT = re.compile(rf"\bdoi(?:\s*:\s*|\s+|\.org/)(?P<doi>{_DOI})", re.IGNORECASE)
_DOI_IN_PATH = re.compile(rf"/doi/(?:(?:abs|full|pdf|epdf|reader|book)/)?(?P<doi>{_DOI})$")
_GITHUB_TEXT = re.compile(
    r"\bgithub(?:\.com/|\s*:\s*|\s+)(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/(?P<repo>[\w.-]+)",
    re.IGNORECASE,
)
_HANDLE_TEXT = re.compile(r"(?<![\w@./:+-])@(?P<name>[A-Za-z0-9_]{1,30})(?![\w@]|\.\w)")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_URL_TEXT = re.compile(
    rf"{WEB_URL}|\b(?:www\.)?(?:x|twitter|youtube|github|arxiv)\.(?:com|org)/{URL_CHAR}+|\byoutu\.be/{URL_CHAR}+",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"”’"
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("paper", re.compile(r"\b(papers?|arxiv|preprints?)\b", re.IGNORECASE)),
    ("video", re.compile(r"\b(youtube|videos?|talks?)\b", re.IGNORECASE)),
    ("post", re.compile(r"\b(tweets?|tweeted|threads?)\b", re.IGNORECASE)),
)
_ENTITY_KINDS = (("github", "repo"), ("youtube", "video"), ("tweet", "post"))

TWITTER_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 30_000_000_000  # ids below this were sequential: they carry no time


# ── entities ────────────────────────────────────────────────────────────────────────────────


def extract_entities(urls: Sequence[str], text: str) -> tuple[Entity, ...]:
    """Everything the URLs and the text name (see the module docstring), sorted and unique."""
    found: set[Entity] = set()
    for url in urls:
        found.update(url_entities(url))
    for match in _URL_TEXT.finditer(text):
        found.update(url_entities(_strip_trailing(match.group())))
    for match in _ARXIV_TEXT.finditer(text):
        found.add(Entity("arxiv", arxiv_id(match["id"])))
    for match in _DOI_TEXT.finditer(text):
        found.update(_doi_entity(match["doi"]))
    for match in _GITHUB_TEXT.finditer(text):
        found.update(_github_entity(match["owner"], _strip_trailing(match["repo"])))
    for match in _HANDLE_TEXT.finditer(text):
        found.add(Entity("handle", match["name"].lower()))
    return tuple(sorted(found))


def url_entities(url: str) -> list[Entity]:
    """The entities one URL names."""
    canonical = canonical_url(url)
    parts = split_url(canonical)
    if parts is None:
        return []
    host, path, query = parts
    out: list[Entity] = []
    for prefix in lookup_host(ARXIV_MIRRORS, host) or ():
        match = re.match(rf"^{prefix}(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v\d+)?(?:/|$)", path)
        if match:
            out.append(Entity("arxiv", arxiv_id(match["id"])))
    if host == "doi.org":
        out.extend(_doi_entity(unquote(path[1:])))
    elif match := _DOI_IN_PATH.search(unquote(path)):
        out.extend(_doi_entity(match["doi"]))
    segments = [s for s in path.split("/") if s]
    if host in ("github.com", "raw.githubusercontent.com") and len(segments) >= 2:
        out.extend(_github_entity(segments[0], segments[1]))
    if host == "x.com" and segments:
        out.extend(_x_entities(segments))
    if host == "youtube.com" and path == "/watch":
        out.extend(Entity("youtube", v) for v in parse_qs(query).get("v", [])[:1])
    return out


def _doi_entity(raw: str) -> list[Entity]:
    doi = _strip_trailing(raw).lower()
    arxiv = re.match(rf"^10\.48550/arxiv\.(?P<id>{ARXIV_NEW}|{ARXIV_OLD})$", doi)
    if arxiv:
        return [Entity("arxiv", arxiv_id(arxiv["id"]))]
    return [Entity("doi", doi)] if re.match(r"^10\.\d{4,9}/\S+$", doi) else []


def _github_entity(owner: str, repo: str) -> list[Entity]:
    repo = repo.removesuffix(".git")
    if owner.lower() in GITHUB_RESERVED or not repo or repo.startswith("."):
        return []
    return [Entity("github", f"{owner}/{repo}".lower())]


def _x_entities(segments: list[str]) -> list[Entity]:
    out = []
    name = segments[0]
    if name.lower() not in X_RESERVED and _HANDLE.match(name):
        out.append(Entity("handle", name.lower()))
    if len(segments) >= 3 and segments[-2] == "status" and segments[-1].isdigit():
        out.append(Entity("tweet", segments[-1]))
    return out


def _strip_trailing(text: str) -> str:
    """Drop sentence punctuation and closing brackets that have no opening one."""
    while text:
        last = text[-1]
        if last in _TRAILING:
            text = text[:-1]
        elif last in ")]}" and text.count(last) > text.count({")": "(", "]": "[", "}": "{"}[last]):
            text = text[:-1]
        else:
            break
    return text


# ── kinds ───────────────────────────────────────────────────────────────────────────────────


def classify_kind(urls: Sequence[str], entities: Sequence[Entity], text: str) -> str:
    """The kind of an entry, one of ``models.KINDS``. The first rule that applies decides:

    1. It names an arXiv or DOI paper → ``paper``.
    2. The first URL whose kind is known decides: a URL ending in ``.pdf`` → ``paper``; then the
       host's path rules (:data:`PATH_KINDS`, e.g. huggingface.co/papers → paper, /blog →
       article, other huggingface.co pages → repo); then the host or its parent domain in
       :data:`HOST_KINDS`; then a mastodon-like ``/@user/123`` path → ``post``.
    3. Any other URL → ``article``.
    4. No URL: a GitHub repository → ``repo``, a YouTube video → ``video``, a post id → ``post``;
       then words in the text: "paper"/"arxiv"/"preprint" → ``paper``, "youtube"/"video"/"talk"
       → ``video``, "tweet"/"thread" → ``post``. (An @handle alone is not a cue: people are
       mentioned in notes of every kind.)
    5. Otherwise → ``note``.
    """
    kinds = {e.kind for e in entities}
    if kinds & {"arxiv", "doi"}:
        return "paper"
    for url in urls:
        kind = url_kind(url)
        if kind:
            return kind
    if urls:
        return "article"
    for entity_kind, kind in _ENTITY_KINDS:
        if entity_kind in kinds:
            return kind
    for kind, cue in _CUES:
        if cue.search(text):
            return kind
    return "note"


def url_kind(url: str) -> str | None:
    """The kind one URL implies, or None when the URL says nothing beyond 'a web page'."""
    parts = split_url(canonical_url(url))
    if parts is None:
        return None
    host, path, _ = parts
    if path.lower().endswith(".pdf"):
        return "paper"
    for pattern, kind in lookup_host(PATH_KINDS, host) or ():
        if re.search(pattern, path):
            return kind
    kind = lookup_host(HOST_KINDS, host)
    if kind:
        return kind
    return "post" if _FEDIVERSE_POST.match(path) else None


# ── dates ───────────────────────────────────────────────────────────────────────────────────


def entity_date(entities: Iterable[Entity]) -> DateRange | None:
    """The date the entities imply: a post's day (from its snowflake id) or an arXiv month.

    When several imply a date, the narrowest wins, then the earliest.
    """
    dates = [d for d in (_entity_date(e) for e in entities) if d is not None]
    if not dates:
        return None
    return min(dates, key=lambda d: (d.end - d.start, d.start))


def _entity_date(entity: Entity) -> DateRange | None:
    if entity.kind == "tweet":
        day = snowflake_day(int(entity.value))
        return DateRange(day, day, str(entity)) if day else None
    if entity.kind == "arxiv":
        return arxiv_month(entity.value)
    return None


def snowflake_day(status_id: int) -> dt.date | None:
    """The UTC day a post with this (Twitter snowflake) id was written, None for old ids."""
    if status_id < _FIRST_SNOWFLAKE:
        return None
    ms = (status_id >> 22) + TWITTER_EPOCH_MS
    try:
        return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return None


def arxiv_month(ident: str) -> DateRange | None:
    """The month an arXiv id was issued in: 2405.00208 → May 2024, hep-th/9901001 → Jan 1999."""
    digits = ident.rpartition("/")[2][:4]
    if not digits.isdigit():
        return None
    yy, month = int(digits[:2]), int(digits[2:])
    year = 1900 + yy if yy >= 91 else 2000 + yy
    if not 1 <= month <= 12:
        return None
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return DateRange(start, end, f"arxiv:{ident}")


# ── titles ──────────────────────────────────────────────────────────────────────────────────

# Code hosts whose first two path segments name a project, after an optional type prefix.
REPO_TITLE_HOSTS: dict[str, tuple[str, ...]] = {
    "huggingface.co": ("datasets", "spaces", "models"),
    "gitlab.com": (),
    "codeberg.org": (),
    "bitbucket.org": (),
}
_NOT_REPOS = ("blog", "docs", "learn", "posts", "course", "papers")
_EXTENSION = re.compile(r"\.(?:html?|php|aspx?|pdf|md)$", re.IGNORECASE)
_ID_TOKEN = re.compile(r"^(?:\d{5,}|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,})$")


def derive_title(urls: Sequence[str], note: str = "") -> str:
    """A title for an entry saved without one, from what its first URL names.

    ``owner/repo`` for GitHub (and ``owner/name`` on :data:`REPO_TITLE_HOSTS`),
    "arXiv 2405.00208", "DOI 10.…", "YouTube video <id>", "Post by @handle", "@handle on X";
    otherwise the host and a readable last path segment
    ("medium.com — understanding the difference between kan and mlp"), or the host alone.
    Without a URL: the first line of the note, or "Untitled".
    """
    if not urls:
        first = note.strip().splitlines()[0] if note.strip() else ""
        return first[:80] or "Untitled"
    url = canonical_url(urls[0])
    parts = split_url(url)
    if parts is None:
        return url
    host, path, _ = parts
    segments = [unquote(s) for s in path.split("/") if s]
    by_kind = {e.kind: e for e in url_entities(url)}
    if "arxiv" in by_kind:
        return f"arXiv {by_kind['arxiv'].value}"
    if "doi" in by_kind:
        return f"DOI {by_kind['doi'].value}"
    if "github" in by_kind:
        return f"{segments[0]}/{segments[1].removesuffix('.git')}"
    if host in REPO_TITLE_HOSTS:
        named = segments[1:] if segments and segments[0] in REPO_TITLE_HOSTS[host] else segments
        if len(named) >= 2 and named[0] not in _NOT_REPOS:
            return f"{named[0]}/{named[1]}"
    if "youtube" in by_kind:
        return f"YouTube video {by_kind['youtube'].value}"
    if "tweet" in by_kind:
        return f"Post by @{segments[0]}" if "handle" in by_kind else "Post on X"
    if "handle" in by_kind:
        return f"@{segments[0]} on X"
    readable = _readable(segments)
    return f"{host} — {readable}" if readable else host


def _readable(segments: list[str]) -> str:
    """The last path segment that reads as words: 'kan-vs-mlp-ad3c2238097c' → 'kan vs mlp'."""
    for segment in reversed(segments):
        tokens = [t for t in re.split(r"[-_+\s]+", _EXTENSION.sub("", segment)) if t]
        while tokens and _ID_TOKEN.match(tokens[-1].lower()):
            tokens.pop()
        if any(any(ch.isalpha() for ch in t) for t in tokens):
            return " ".join(tokens).lower()
    return ""
