"""Links and the kinds of line around them in a dump: the URLs of a line (bare, ``<autolinks>``,
``[text](url)``), lines that are only links, identifier lines (arXiv, DOI, ISBN, GitHub) and lone
domain lines. Used by :mod:`.markdown`."""

from __future__ import annotations

from urllib.parse import urlsplit

import regex

from ..text import WEB_URL

# -- URLs ---------------------------------------------------------------------------------------

MD_LINK = regex.compile(
    r"!?\[(?P<text>[^\[\]\n]*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:[ \t]+\"[^\"\n]*\")?\)"
)
BARE_URL = regex.compile(WEB_URL, regex.IGNORECASE)  # ends where a space, CJK or Indic text begins
AUTOLINK = regex.compile(r"<(https?://[^\s<>]+)>", regex.IGNORECASE)  # <…> says where it ends
TRAILING = ".,;:!?'\"*…।"
CLOSERS = {")": "(", "]": "[", "}": "{"}


def trim_url(url: str) -> str:
    """Drop trailing punctuation, and closing brackets that have no opening one inside the URL."""
    while url:
        last = url[-1]
        if last in TRAILING or (last in CLOSERS and url.count(last) > url.count(CLOSERS[last])):
            url = url[:-1]
        else:
            break
    return url


def find_urls(line: str) -> list[str]:
    """The http(s) URLs in a line, in order, once each: bare, ``<autolinks>`` and ``[text](url)``.

    >>> find_urls("See [the film](https://en.wikipedia.org/wiki/Heat_(film)), or https://x.com/a.")
    ['https://en.wikipedia.org/wiki/Heat_(film)', 'https://x.com/a']
    """
    found: list[tuple[int, str]] = []
    for match in MD_LINK.finditer(line):
        if match["url"].lower().startswith(("http://", "https://")):
            found.append((match.start("url"), match["url"]))
    # Keep each link's text in place (it may itself be a URL) and blank out the rest of it.
    masked = MD_LINK.sub(
        lambda m: " " * (m.start("text") - m.start()) + m["text"] + " " * (m.end() - m.end("text")), line
    )
    found.extend((m.start(), trim_url(m[0])) for m in BARE_URL.finditer(masked))
    urls: list[str] = []
    for _, url in sorted(found, key=lambda pair: pair[0]):
        if url not in urls and url_host(url):
            urls.append(url)
    return urls


def url_host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def strip_urls(text: str) -> str:
    """Remove URLs, leaving the punctuation that follows them ("(https://x.com)" → "()")."""
    return BARE_URL.sub(lambda m: m[0][len(trim_url(m[0])) :], AUTOLINK.sub("", text))


# -- line kinds -----------------------------------------------------------------------------------

IDENT = regex.compile(
    r"arxiv:?[ \t]*\d{4}\.\d{4,5}(?:v\d+)?|doi:?[ \t]*10\.\d{4,9}/\S+"
    r"|isbn(?:-1[03])?:?[ \t]*[\dX][\dX\- ]{8,16}|github:[ \t]*[\w.-]+/[\w.-]+",
    regex.IGNORECASE,
)
DOMAIN = regex.compile(r"(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}", regex.IGNORECASE)
SEPARATORS = " \t—–-:|·•"
WORD_CHAR = regex.compile(r"[\p{L}\p{N}]")
HASHTAG = regex.compile(r"(?<![\p{L}\p{M}\p{N}_&/#])#(\p{L}[\p{L}\p{M}\p{N}_\-]*)")


def is_url_line(text: str) -> bool:
    """A line that is only links, perhaps after a domain and a dash: "arxiv.org — https://…"."""
    if not find_urls(text):
        return False
    rest = strip_urls(MD_LINK.sub(lambda m: m["text"], text)).strip(SEPARATORS)
    return not rest or bool(DOMAIN.fullmatch(rest))


def names_host(text: str, hosts: set[str]) -> bool:
    """A lone domain line ("medium.com") that is, or ends, the host of one of the entry's URLs."""
    if not DOMAIN.fullmatch(text):
        return False
    domain = text.lower().removeprefix("www.")
    return any(host == domain or host.endswith("." + domain) for host in hosts)
