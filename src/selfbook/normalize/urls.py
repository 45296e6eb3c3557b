"""Canonical URLs: one spelling per page, so that a link saved twice is recognised as one.

:func:`canonical_url` applies these rules, in order, and never raises (input it cannot parse
comes back stripped):

1. Whitespace and ``<…>`` around the link are stripped. A link written without a scheme
   (``www.example.com/x``, ``arxiv.org/abs/…``) gets ``https://``.
2. The scheme and host are lower-cased; a trailing dot, ``www.`` and default ports (80, 443, 21)
   are dropped. Internationalised hosts are kept as lower-case Unicode (NFC): ``xn--`` labels are
   decoded, so a punycode and a Unicode spelling of a host become one, readable in the book.
3. ``m.``/``mobile.`` labels are dropped on the sites in :data:`MOBILE_DOMAINS`, then
   :data:`HOST_ALIASES` maps mirrors to one host (``twitter.com`` → ``x.com``,
   ``dx.doi.org`` → ``doi.org``, ``export.arxiv.org`` → ``arxiv.org``…).
4. Known sites are rebuilt whole, always over https:
   arXiv abstracts, PDFs and HTML (any version) → ``https://arxiv.org/abs/ID``;
   YouTube watch/short/embed/live links and ``youtu.be`` → ``https://youtube.com/watch?v=ID``
   (the start time ``t``, playlists and everything else are dropped: the entry is the video);
   ``doi.org`` → ``https://doi.org/<doi, lower-cased>`` (DOIs are case-insensitive), and arXiv's
   own DOIs (``10.48550/arXiv.ID``) → the arXiv abstract;
   posts on x.com → ``https://x.com/<user>/status/<id>`` (photo/analytics suffixes and every
   query parameter dropped).
5. Otherwise: percent-encoding is normalised (upper-case hex; unreserved ASCII and printable
   non-ASCII characters decoded, so ``/wiki/%E0%B2%95`` and ``/wiki/ಕ`` are one; reserved
   characters such as ``%2F`` stay encoded, so meaning never changes); a trailing slash is
   dropped (``https://a.com/`` → ``https://a.com``); tracking parameters
   (:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`, :data:`HOST_TRACKING_PARAMS`,
   :data:`TRACKING_VALUES`) are removed and the rest sorted by name (a stable sort, so repeated
   names keep their order).
6. Fragments that address content (:func:`content_fragment`: ``#!…``, ``#/…``, ``#key=value``,
   or a route-like path such as ``#en/zh/``) are kept; other fragments (``#section-2``,
   ``#dailydave``: a place in a page) are dropped, and an empty ``#`` too. The sites of rule 4
   drop every fragment.

The canonical form is for matching only: an entry keeps its URLs as saved
(:func:`saved_url`), and the book and every export write them so. Duplicate detection uses
:func:`dedupe_key`, which ignores the scheme (``http`` is not rewritten to ``https``: some sites
have no https) and keeps a dropped place-in-a-page fragment, so ``…/#dailydave`` and
``…/#fulldisclosure`` are two keys; :func:`page_key` is the key without it, which finds such
look-alikes. Every function here takes a URL as saved or canonical alike.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import TypeVar
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)
V = TypeVar("V")

# ── registries ──────────────────────────────────────────────────────────────────────────────

HOST_ALIASES: dict[str, str] = {
    "twitter.com": "x.com",
    "nitter.net": "x.com",
    "nitter.poast.org": "x.com",
    "nitter.privacydev.net": "x.com",
    "fxtwitter.com": "x.com",
    "vxtwitter.com": "x.com",
    "fixupx.com": "x.com",
    "fixvx.com": "x.com",
    "youtube-nocookie.com": "youtube.com",
    "export.arxiv.org": "arxiv.org",
    "ar5iv.org": "arxiv.org",
    "ar5iv.labs.arxiv.org": "arxiv.org",
    "dx.doi.org": "doi.org",
    "old.reddit.com": "reddit.com",
    "np.reddit.com": "reddit.com",
}

# Sites whose mobile pages live under an "m." or "mobile." label.
MOBILE_DOMAINS: frozenset[str] = frozenset(
    {"twitter.com", "x.com", "youtube.com", "wikipedia.org", "wiktionary.org", "wikisource.org",
     "wikiquote.org", "wikibooks.org", "wikivoyage.org", "wikimedia.org", "wikidata.org"}
)

TRACKING_PARAMS: frozenset[str] = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid",
     "igshid", "igsh", "_hsenc", "_hsmi", "mkt_tok", "spm", "cmpid", "share", "_gl", "oly_enc_id",
     "oly_anon_id", "vero_id", "rb_clickid", "s_cid"}
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)

# Parameters that only track on some sites (elsewhere "t" or "ref" may mean something).
HOST_TRACKING_PARAMS: dict[str, frozenset[str]] = {
    "x.com": frozenset({"s", "t", "ref", "ref_src", "ref_url", "src", "cn"}),
    "youtube.com": frozenset({"si", "feature", "pp", "ab_channel", "embeds_referring_euri"}),
    "open.spotify.com": frozenset({"si"}),
    "linkedin.com": frozenset({"trk", "trackingid", "refid", "lipi", "rcm"}),
    "reddit.com": frozenset({"share_id", "rdt"}),
}

# Parameters that track when their value starts a certain way (Medium's "source=post_page-…").
TRACKING_VALUES: dict[str, tuple[str, ...]] = {"source": ("post_page",)}

DEFAULT_PORTS: dict[str, str] = {"http": "80", "https": "443", "ftp": "21"}

# Paths that are a person's, an organisation's or a community's page rather than one item.
# Two different entries often point at the same such page, so it is not a reason to merge them.
HUB_PATHS: dict[str, tuple[str, ...]] = {
    "x.com": ("*",),
    "github.com": ("*",),
    "huggingface.co": ("*",),
    "medium.com": ("*",),
    "substack.com": ("*",),
    "instagram.com": ("*",),
    "threads.net": ("*",),
    "reddit.com": ("r/*", "u/*", "user/*"),
    "youtube.com": ("*", "c/*", "channel/*", "user/*"),
    "linkedin.com": ("in/*", "company/*"),
    "bsky.app": ("profile/*",),
}

# ── patterns ────────────────────────────────────────────────────────────────────────────────

ARXIV_NEW = r"\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}"
ARXIV_OLD = r"[a-zA-Z]+(?:-[a-zA-Z]+)?(?:\.[A-Za-z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3}"
_ARXIV_PATH = re.compile(
    rf"^/(?:abs|pdf|html|format|ps)/(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v\d+)?(?:\.pdf|/.*)?$"
)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.(?P<id>{ARXIV_NEW}|{ARXIV_OLD})$", re.IGNORECASE)
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_PATH = re.compile(r"^/(?:shorts|embed|live|v|e)/(?P<id>[A-Za-z0-9_-]{11})(?:/.*)?$")
_STATUS_PATH = re.compile(
    r"^/(?:(?P<user>[A-Za-z0-9_]{1,15})|i(?:/web)?)/status(?:es)?/(?P<id>\d{1,20})(?:/.*)?$"
)
_DOI_PATH = re.compile(r"^/(?P<doi>10\.\d{4,9}/.+)$")
_SCHEMELESS = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}(?::\d+)?(?:[/?#]|$)")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_HOSTPORT = re.compile(r"^(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>\d*))?$")

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_ALLOWED_ASCII = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=")
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ/ZWJ shape Indic words: they are part of the text
_ROUTE = re.compile(r"^[^\s/]+(?:/[^\s/]*)+$")  # "en/zh/", "path/to/x": segments between slashes


# ── public API ──────────────────────────────────────────────────────────────────────────────


def saved_url(url: str) -> str:
    """A URL as saved: only the whitespace around it and the ``<…>`` that wrap it (markdown's
    autolink brackets; ``<<…>>`` is wrapped twice) are taken off. A ``<`` or ``>`` at one end
    only is part of what was saved and stays (``https://x.org/a>``), as every other character does.

    >>> saved_url(" <https://x.org/a> "), saved_url("<<https://x.org>>"), saved_url("https://x.org/a>")
    ('https://x.org/a', 'https://x.org', 'https://x.org/a>')
    """
    text = url.strip()
    while len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        text = text[1:-1].strip()
    return text


def canonical_url(url: str) -> str:
    """One spelling per page (see the module docstring for the rules). Never raises."""
    return _canonical_parts(url)[0]


def dedupe_key(url: str) -> str:
    """The identity of a URL for duplicate detection: its canonical form without the scheme (so
    http ≡ https), with the place-in-a-page fragment the canonical form dropped
    (``seclists.org#dailydave``).

    Posts on x.com are keyed by status id alone, and paths on x.com and github.com are
    lower-cased (user and repository names there are case-insensitive).
    """
    canonical, anchor = _canonical_parts(url)
    key = _key(canonical)
    return f"{key}#{anchor}" if anchor else key


def page_key(url: str) -> str:
    """:func:`dedupe_key` without a place-in-a-page fragment: the page the URL is on."""
    return _key(_canonical_parts(url)[0])


def anchor(url: str) -> str:
    """The fragment of a URL that names a place in its page (``dailydave``, ``section-2``), or
    "" when it has none or its fragment addresses content (:func:`content_fragment`)."""
    return _canonical_parts(url)[1]


def content_fragment(fragment: str) -> bool:
    """Whether a fragment (without its ``#``) addresses content of its own rather than a place
    in a page: a route (``!…``, ``/…``, or segments between slashes such as ``en/zh/``) or
    parameters (``key=value``, ``path=/photos``)."""
    return fragment.startswith(("!", "/")) or "=" in fragment or bool(_ROUTE.match(fragment))


def _key(canonical: str) -> str:
    _, sep, rest = canonical.partition("://")
    rest = rest if sep else canonical
    rest, hash_, fragment = rest.partition("#")
    host, _, path = rest.partition("/")
    if host == "x.com":
        match = _STATUS_PATH.match("/" + path)
        if match:
            return f"x.com/i/status/{match['id']}"
    if host in ("x.com", "github.com"):
        path = path.lower()
    key = f"{host}/{path}" if path else host
    return f"{key}#{fragment}" if hash_ else key


def is_specific(url: str) -> bool:
    """Whether a canonical URL names one item, not a site's front page or someone's profile.

    A bare host (``https://arxiv.org``) or a hub page (:data:`HUB_PATHS`: ``x.com/<user>``,
    ``github.com/<owner>``, ``reddit.com/r/<sub>``…) is not specific; with a fragment it is
    (``http://seclists.org/#dailydave`` names one list).
    """
    canonical, place = _canonical_parts(url)
    parts = split_url(canonical)
    if parts is None:
        return bool(canonical)
    if place or "#" in canonical:
        return True
    host, path, query = parts
    if not path.strip("/") and not query:
        return False
    segments = path.strip("/").split("/")
    for pattern in lookup_host(HUB_PATHS, host) or ():
        shape = pattern.split("/")
        if len(shape) == len(segments) and all(p in ("*", s) for p, s in zip(shape, segments)):
            return bool(query)
    return True


def split_url(url: str) -> tuple[str, str, str] | None:
    """(host, path, query) of a canonical URL, or None if it has no host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.netloc:
        return None
    host, _ = _split_hostport(parts.netloc.rpartition("@")[2])
    return host, parts.path, parts.query


# ── the rules ───────────────────────────────────────────────────────────────────────────────


@lru_cache(maxsize=1 << 16)
def _canonical_parts(url: str) -> tuple[str, str]:
    """(canonical URL, the place-in-a-page fragment it dropped or "")."""
    text = saved_url(url)
    try:
        return _canonical(text)
    except ValueError:  # includes UnicodeError
        log.debug("cannot parse URL %r; keeping it as written", text)
        return text, ""


def _canonical(text: str) -> tuple[str, str]:
    if not text:
        return text, ""
    if text.startswith("//"):
        text = "https:" + text
    elif "://" not in text and _SCHEMELESS.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        return (f"{scheme}:{text.partition(':')[2]}" if scheme else text), ""
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, port = _split_hostport(hostport)
    host = _canonical_host(host)
    special = _special(host, parts.path, parts.query)
    if special:
        return special, ""
    netloc = f"{userinfo}{at}{host}"
    if port and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    query = _canonical_query(host, parts.query)
    path = _normalize_escapes(parts.path)
    path = "/" if query and not path.strip("/") else path.rstrip("/") or ""
    url = f"{scheme}://{netloc}{path}"
    if query:
        url += f"?{query}"
    if content_fragment(parts.fragment):
        return f"{url}#{_normalize_escapes(parts.fragment)}", ""
    return url, _normalize_escapes(parts.fragment)


def _split_hostport(hostport: str) -> tuple[str, str]:
    match = _HOSTPORT.match(hostport)
    if not match:
        return hostport, ""
    return match["host"], match["port"] or ""


def _canonical_host(host: str) -> str:
    host = unicodedata.normalize("NFC", host).lower().rstrip(".")
    if "xn--" in host:
        host = ".".join(_decode_label(label) for label in host.split("."))
    host = host.removeprefix("www.")
    for domain in MOBILE_DOMAINS:
        if host.endswith("." + domain):
            labels = host[: -len(domain) - 1].split(".")
            kept = [label for label in labels if label not in ("m", "mobile")]
            host = ".".join([*kept, domain])
            break
    return HOST_ALIASES.get(host, host)


def _decode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna").lower()
    except UnicodeError:
        return label


def _special(host: str, path: str, query: str) -> str | None:
    """The rebuilt URL of a page on a site we know, or None."""
    if host == "arxiv.org":
        match = _ARXIV_PATH.match(path)
        return _arxiv_url(match["id"]) if match else None
    if host == "youtu.be":
        video = path.strip("/").split("/")[0]
        return f"https://youtube.com/watch?v={video}" if YOUTUBE_ID.match(video) else None
    if host == "youtube.com":
        video = _youtube_id(path, query)
        return f"https://youtube.com/watch?v={video}" if video else None
    if host == "doi.org":
        return _doi_url(path)
    if host == "x.com":
        match = _STATUS_PATH.match(path)
        if match:
            return f"https://x.com/{match['user'] or 'i'}/status/{match['id']}"
    return None


def arxiv_id(raw: str) -> str:
    """The canonical form of an arXiv id: no version; old ids without their subject class."""
    ident = re.sub(r"v\d+$", "", raw)
    if "/" in ident:
        archive, number = ident.split("/", 1)
        ident = f"{archive.split('.')[0].lower()}/{number}"
    return ident


def _arxiv_url(raw: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id(raw)}"


def _youtube_id(path: str, query: str) -> str | None:
    if path.rstrip("/") == "/watch":
        for key, value in _query_pairs(query):
            if key == "v" and YOUTUBE_ID.match(value):
                return value
        return None
    match = _YOUTUBE_PATH.match(path)
    return match["id"] if match else None


def _doi_url(path: str) -> str | None:
    match = _DOI_PATH.match(unquote(path))
    if not match:
        return None
    doi = match["doi"].lower()
    arxiv = _ARXIV_DOI.match(doi)
    if arxiv:
        return _arxiv_url(arxiv["id"])
    return "https://doi.org/" + _upper_escapes(_normalize_escapes(doi).lower())


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for param in query.split("&"):
        key, _, value = param.partition("=")
        pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


def _canonical_query(host: str, query: str) -> str:
    host_params = lookup_host(HOST_TRACKING_PARAMS, host) or frozenset()
    kept: list[tuple[str, str]] = []
    for param in query.split("&"):
        if not param:
            continue
        raw_key, eq, raw_value = param.partition("=")
        key = unquote(raw_key.replace("+", " ")).casefold()
        value = unquote(raw_value.replace("+", " "))
        if _is_tracking(key, value, host_params):
            continue
        normalized = _normalize_escapes(raw_key) + eq + _normalize_escapes(raw_value)
        kept.append((key, normalized))
    kept.sort(key=lambda pair: pair[0])
    return "&".join(param for _, param in kept)


def _is_tracking(key: str, value: str, host_params: frozenset[str]) -> bool:
    if key in TRACKING_PARAMS or key in host_params or key.startswith(TRACKING_PREFIXES):
        return True
    prefixes = TRACKING_VALUES.get(key)
    return bool(prefixes) and value.startswith(prefixes)


def lookup_host(registry: Mapping[str, V], host: str) -> V | None:
    """registry[host], or the entry of the nearest parent domain (a.b.c → b.c → c)."""
    while host:
        if host in registry:
            return registry[host]
        host = host.partition(".")[2]
    return None


# ── percent-encoding ────────────────────────────────────────────────────────────────────────


def _normalize_escapes(component: str) -> str:
    """RFC 3986 §6.2.2 normalisation, extended to IRIs: see rule 5 of the module docstring."""
    out: list[str] = []
    pos = 0
    for match in _ESCAPES.finditer(component):
        out.append(_encode_literals(component[pos : match.start()]))
        out.append(_decode_run(match.group()))
        pos = match.end()
    out.append(_encode_literals(component[pos:]))
    return unicodedata.normalize("NFC", "".join(out))


def _decode_run(run: str) -> str:
    decoded = bytes.fromhex(run.replace("%", "")).decode("utf-8", "surrogateescape")
    out = []
    for ch in decoded:
        if "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8: keep it escaped
            out.append(f"%{ord(ch) - 0xDC00:02X}")
        elif ch in _UNRESERVED or (ord(ch) > 127 and _printable(ch)):
            out.append(ch)
        else:
            out.append(_escape(ch))
    return "".join(out)


def _encode_literals(text: str) -> str:
    return "".join(
        ch if ch in _ALLOWED_ASCII or (ord(ch) > 127 and _printable(ch)) else _escape(ch)
        for ch in text
    )


def _escape(ch: str) -> str:
    return "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))


def _printable(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "ZC" or ch in _JOINERS


def _upper_escapes(text: str) -> str:
    return _ESCAPES.sub(lambda m: m.group().upper(), text)
