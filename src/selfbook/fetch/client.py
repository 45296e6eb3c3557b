"""Fetching many links at once, politely and defensively (httpx over asyncio).

- **Polite:** at most ``per_host`` requests at a time to one host (``concurrency`` in all), a
  user agent that names selfbook, and robots.txt honored (fetched once per host and run; a
  robots.txt that answers 4xx allows everything, one that answers 5xx disallows everything, as
  RFC 9309 says; one that cannot be reached leaves the page's own fetch to report why).
- **Defensive:** no cookies, no JavaScript (nothing is run), at most ``max_redirects`` hops with
  loops detected, bodies read only for HTML (and the APIs) and cut at ``max_bytes`` of
  *decompressed* bytes (gzip and deflate are inflated here, in bounded steps, so a
  decompression bomb stops at the cap), and a ``deadline`` on each link as a whole, so a server
  that drips bytes forever is cut off. Every connection passes the SSRF guard
  (:mod:`selfbook.fetch.guard`), redirects included.

One :class:`Attempt` comes back per URL; :mod:`selfbook.fetch.links` turns attempts into the
links' lasting state (dead only after failures on separate runs).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Sequence
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from .archive import PAGE_BYTES, cap, readable_text
from .guard import Blocked, GuardedTransport, NoSuchHost, Refused
from .page import HTML_TYPES, PageMeta, decode, is_soft_404, media_type, parse_html
from .scholar import ARXIV_BATCH, Paper, arxiv_of, arxiv_query, crossref_url, doi_of, parse_arxiv, parse_crossref
from .wayback import Snapshot, parse_available, wayback_query

log = logging.getLogger(__name__)

try:
    _VERSION = version("selfbook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    _VERSION = "0"
USER_AGENT = f"selfbook/{_VERSION} (personal link book; checks each saved link once per run)"
ROBOTS_BYTES = 512 * 1024


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch. The defaults are polite to the sites and safe for this machine."""

    allow_local: bool = False          # fetch loopback, private and link-local addresses (intranets, tests)
    timeout: float = 10.0              # seconds to connect, and between two reads
    deadline: float = 30.0             # seconds for one link as a whole, redirects and body included
    max_bytes: int = 2_000_000         # of a page's (decompressed) body; the rest is not read
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 32
    robots: bool = True
    user_agent: str = USER_AGENT
    arxiv_api: str = "https://export.arxiv.org/api/query"
    crossref_api: str = "https://api.crossref.org"
    wayback_api: str = ""              # the Wayback availability API ("": no snapshot lookups; the CLI sets it from wayback_url)
    archive: bool = False              # keep each HTML page's readable text (selfbook.fetch.archive)
    archive_page_bytes: int = PAGE_BYTES  # of one page's text; the rest is cut
    archive_max_bytes: int = 100 * 1024 * 1024  # of all pages' text; pages past it are not kept


@dataclass(frozen=True)
class Attempt:
    """What fetching one URL found this time (``status``: see :data:`selfbook.models.LINK_STATUSES`)."""

    url: str
    status: str
    code: int | None = None
    final_url: str = ""
    content_type: str = ""
    meta: PageMeta = field(default_factory=PageMeta)
    authors: tuple[str, ...] = ()
    error: str = ""
    text: str | None = None            # the page's readable text, cut at ``archive_page_bytes`` (``archive`` only)
    text_cut: bool = False             # whether it was cut


class _Failed(Exception):
    def __init__(self, status: str, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class _Response:
    code: int
    url: str
    content_type: str
    language: str
    body: bytes


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body, inflated here in bounded steps, cut at ``limit`` bytes (compressed or not)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflate = None
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header; raw deflate below
    elif encoding not in ("identity", ""):
        raise _Failed("error", f"content encoding {encoding!r} was not asked for", response.status_code)
    out, raw = bytearray(), 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        if inflate is None:
            out += chunk
        else:
            try:
                out += inflate.decompress(chunk, limit - len(out) + 1)
            except zlib.error:
                if encoding == "deflate" and not out and raw == len(chunk):
                    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    out += inflate.decompress(chunk, limit - len(out) + 1)
                else:
                    raise _Failed("error", "the body is not valid " + encoding, response.status_code) from None
        if len(out) > limit or raw > limit or (inflate is not None and inflate.unconsumed_tail):
            log.debug("%s: cut at %d bytes", response.url, limit)
            break
    return bytes(out[:limit])


class Fetcher:
    """One run's fetching: a client, its hosts' limits and their robots.txt."""

    def __init__(self, options: FetchOptions, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.options = options
        self._client = httpx.AsyncClient(
            transport=transport or GuardedTransport(allow_local=options.allow_local, max_connections=options.concurrency),
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate",
                     "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"},
            timeout=httpx.Timeout(options.timeout), follow_redirects=False, cookies=None, trust_env=False,
        )
        self._all = asyncio.Semaphore(options.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, asyncio.Task] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host_limit(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.options.per_host)
        return self._hosts[host]

    async def _get(self, url: str, *, limit: int, wants_body: Callable[[str], bool]) -> _Response:
        """GET ``url``, following redirects by hand (each hop through the guard), the body read
        only when ``wants_body(media type)``. Raises :class:`_Failed` or transport errors."""
        seen = {url}
        for _hop in range(self.options.max_redirects + 1):
            self._client.cookies.clear()  # no cookies, ever: a Set-Cookie of one hop is not sent on the next
            async with self._client.stream("GET", url) as response:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    target = urljoin(url, location.strip())
                    if urlsplit(target).scheme not in ("http", "https"):
                        raise _Failed("error", f"redirected to a {urlsplit(target).scheme or 'bad'} URL", response.status_code)
                    if target in seen:
                        raise _Failed("error", "redirect loop", response.status_code)
                    seen.add(target)
                    url = target
                    continue
                ctype = response.headers.get("content-type", "")
                body = await _read_capped(response, limit) if wants_body(media_type(ctype)) else b""
                return _Response(response.status_code, url, ctype, response.headers.get("content-language", ""), body)
        raise _Failed("error", f"more than {self.options.max_redirects} redirects")

    async def _allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets selfbook fetch ``url`` (fetched once per host)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._read_robots(origin))
        rules = await self._robots[origin]
        if isinstance(rules, (NoSuchHost, Refused, Blocked)):
            raise rules  # the host itself fails: the page would fail the same way
        return rules is None or rules.can_fetch(self.options.user_agent, url)

    async def _read_robots(self, origin: str) -> RobotFileParser | Exception | None:
        rules = RobotFileParser()
        try:
            async with asyncio.timeout(self.options.deadline):
                response = await self._get(origin + "/robots.txt", limit=ROBOTS_BYTES, wants_body=lambda _t: True)
        except (NoSuchHost, Refused, Blocked) as exc:
            return exc
        except Exception as exc:  # unreachable: the page's own fetch will say why
            log.debug("%s/robots.txt: %s", origin, exc)
            return None
        if response.code >= 500:
            rules.disallow_all = True
        elif response.code >= 400:
            rules.allow_all = True
        else:
            rules.parse(decode(response.body, response.content_type).splitlines())
        return rules

    # -- one link --------------------------------------------------------------------------------
    async def page(self, url: str) -> Attempt:
        """Fetch one web page and read what it says about itself."""
        async with self._host_limit(url), self._all:
            try:
                async with asyncio.timeout(self.options.deadline):
                    if self.options.robots and not await self._allowed(url):
                        return Attempt(url, "robots", error="robots.txt disallows selfbook")
                    response = await self._get(url, limit=self.options.max_bytes, wants_body=lambda t: t in HTML_TYPES)
            except Exception as exc:
                return _failure(url, exc)
        if self.options.archive:  # extracting a page's text takes CPU time: off the event loop
            return await asyncio.to_thread(_page_attempt, url, response, archive=self.options.archive_page_bytes)
        return _page_attempt(url, response)

    async def papers(self, ids: dict[str, str]) -> list[Attempt]:
        """arXiv papers (id -> its URL in the book), asked in batches of :data:`ARXIV_BATCH`."""
        out = []
        items = sorted(ids.items())
        for start in range(0, len(items), ARXIV_BATCH):
            batch = dict(items[start : start + ARXIV_BATCH])
            query = arxiv_query(self.options.arxiv_api, list(batch))
            async with self._host_limit(query), self._all:
                try:
                    async with asyncio.timeout(self.options.deadline):
                        response = await self._get(query, limit=self.options.max_bytes, wants_body=lambda _t: True)
                    if response.code != 200:
                        raise _Failed("error", f"arXiv answered {response.code}", response.code)
                    found = parse_arxiv(response.body)
                except Exception as exc:
                    out += [_failure(url, exc) for url in batch.values()]
                    continue
            for ident, url in batch.items():
                paper = found.get(ident)
                out.append(_paper_attempt(url, paper, response.code) if paper else
                           Attempt(url, "gone", 404, error=f"arXiv knows no paper {ident}"))
        return out

    async def doi(self, url: str, doi: str) -> Attempt:
        """A paper by its DOI, from Crossref."""
        query = crossref_url(self.options.crossref_api, doi)
        async with self._host_limit(query), self._all:
            try:
                async with asyncio.timeout(self.options.deadline):
                    response = await self._get(query, limit=self.options.max_bytes, wants_body=lambda _t: True)
                if response.code in (404, 410):
                    return Attempt(url, "gone", response.code, error=f"Crossref knows no DOI {doi}")
                if response.code != 200:
                    raise _Failed("error", f"Crossref answered {response.code}", response.code)
                return _paper_attempt(url, parse_crossref(response.body), response.code)
            except Exception as exc:
                return _failure(url, exc)

    async def snapshot(self, url: str) -> Snapshot | None:
        """The Wayback Machine's closest snapshot of ``url``, asked of its availability API (through
        the same guard and limits as any page); None when it has none or cannot say."""
        query = wayback_query(self.options.wayback_api, url)
        async with self._host_limit(query), self._all:
            try:
                async with asyncio.timeout(self.options.deadline):
                    response = await self._get(query, limit=self.options.max_bytes, wants_body=lambda _t: True)
                if response.code != 200:
                    raise _Failed("error", f"Wayback answered {response.code}", response.code)
                return parse_available(response.body)
            except Exception as exc:
                log.debug("%s: no Wayback answer (%s)", url, _failure(url, exc).error)
                return None


def _page_attempt(url: str, response: _Response, *, archive: int = 0) -> Attempt:
    """What the response says of the page; with ``archive`` (a byte cap), its readable text too."""
    ctype = media_type(response.content_type)
    final = response.url if response.url != url else ""
    if response.code in (404, 410):
        return Attempt(url, "gone", response.code, final, ctype, error=f"HTTP {response.code}")
    if not 200 <= response.code < 300:
        return Attempt(url, "error", response.code, final, ctype, error=f"HTTP {response.code}")
    html = decode(response.body, response.content_type) if ctype in HTML_TYPES else ""
    meta = parse_html(html, response.language) if html else PageMeta()
    if meta.title and is_soft_404(meta.title):
        return Attempt(url, "soft-404", response.code, final, ctype, meta, error=f"the page's title says it is not there: {meta.title}")
    text, cut = cap(readable_text(html), archive) if archive and html else (None, False)
    return Attempt(url, "ok", response.code, final, ctype, meta, text=text, text_cut=cut)


def _paper_attempt(url: str, paper: Paper, code: int) -> Attempt:
    meta = PageMeta(title=paper.title, description=paper.abstract, published=paper.published)
    return Attempt(url, "ok", code, content_type="paper", meta=meta, authors=paper.authors)


def _failure(url: str, exc: BaseException) -> Attempt:
    """The attempt a failed fetch makes (the status a kind of failure earns)."""
    if isinstance(exc, _Failed):
        return Attempt(url, exc.status, exc.code, error=str(exc))
    if isinstance(exc, Blocked):
        return Attempt(url, "blocked", error=str(exc))
    if isinstance(exc, NoSuchHost):
        return Attempt(url, "dns", error=f"no such host ({exc})")
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return Attempt(url, "timeout", error="no complete answer in time")
    if isinstance(exc, Refused):
        return Attempt(url, "refused", error="connection refused")
    if isinstance(exc, (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, UnicodeError)):
        return Attempt(url, "error", error=f"{type(exc).__name__}: {exc}"[:300])
    raise exc


async def fetch_all(urls: Sequence[str], options: FetchOptions, done: Callable[[Attempt], None],
                    transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Fetch every URL (papers through their APIs), calling ``done(attempt)`` as each finishes."""
    fetcher = Fetcher(options, transport)
    arxiv: dict[str, str] = {}
    jobs = []
    for url in dict.fromkeys(urls):
        if (ident := arxiv_of(url)) is not None:
            arxiv[ident] = url
        elif (doi := doi_of(url)) is not None:
            jobs.append(fetcher.doi(url, doi))
        else:
            jobs.append(fetcher.page(url))

    async def run_papers() -> None:
        for attempt in await fetcher.papers(arxiv):
            done(attempt)

    async def run(job) -> None:
        done(await job)

    try:
        await asyncio.gather(run_papers(), *(run(job) for job in jobs))
    finally:
        await fetcher.aclose()


def find_snapshots(urls: Sequence[str], options: FetchOptions = FetchOptions()) -> dict[str, Snapshot]:
    """URL -> its Wayback snapshot, for those of ``urls`` the Wayback Machine has one of."""

    async def ask() -> dict[str, Snapshot]:
        fetcher = Fetcher(options)
        try:
            found = await asyncio.gather(*(fetcher.snapshot(url) for url in dict.fromkeys(urls)))
        finally:
            await fetcher.aclose()
        return {url: snap for url, snap in zip(dict.fromkeys(urls), found) if snap is not None}

    return asyncio.run(ask()) if urls else {}


def fetch_urls(urls: Sequence[str], options: FetchOptions = FetchOptions(), done: Callable[[Attempt], None] | None = None) -> list[Attempt]:
    """Fetch every URL; the attempts in the order they finished. With ``done``, it hears each at
    once and nothing is kept (a long run's pages do not pile up in memory): the list is empty."""
    out: list[Attempt] = []
    asyncio.run(fetch_all(urls, options, done or out.append))
    return out
