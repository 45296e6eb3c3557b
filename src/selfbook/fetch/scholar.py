"""Papers by their ids: arXiv ids through arXiv's export API, DOIs through Crossref.

Both answer with the paper's title, authors, date and abstract, which a paper's landing page
often hides behind scripts. Their base URLs are settings (``FetchOptions.arxiv_api``,
``crossref_api``), so tests and mirrors can stand in for them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from defusedxml import ElementTree
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from .page import MAX_DESCRIPTION, MAX_TITLE, clean

ARXIV_URL = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:v\d+)?(?:\.pdf)?/?$", re.I)
DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$", re.I)
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_BATCH = 50
"""arXiv ids asked for in one request (arXiv asks clients to batch and to go slowly)."""


@dataclass(frozen=True)
class Paper:
    title: str
    authors: tuple[str, ...]
    published: str
    abstract: str


def arxiv_of(url: str) -> str | None:
    """The arXiv id of an arxiv.org abstract or PDF URL."""
    found = ARXIV_URL.match(url)
    return found.group(1) if found else None


def doi_of(url: str) -> str | None:
    """The DOI of a doi.org URL."""
    found = DOI_URL.match(url)
    return found.group(1) if found else None


def arxiv_query(base: str, ids: list[str]) -> str:
    return f"{base}?id_list={','.join(quote(i, safe='/.') for i in ids)}&max_results={len(ids)}"


def parse_arxiv(xml: bytes) -> dict[str, Paper]:
    """arXiv id (no version) -> paper, from an export API answer (Atom). Ids the API does not
    know are absent (it answers for them with an entry whose id is an error URL)."""
    root = ElementTree.fromstring(xml)
    papers = {}
    for entry in root.iter(f"{ATOM}entry"):
        ident = arxiv_of((entry.findtext(f"{ATOM}id") or "").strip())
        title = clean(entry.findtext(f"{ATOM}title"), MAX_TITLE)
        if not ident or not title or title == "Error":
            continue
        authors = tuple(clean(a.findtext(f"{ATOM}name"), 100) for a in entry.iter(f"{ATOM}author"))
        papers[ident] = Paper(title, authors, (entry.findtext(f"{ATOM}published") or "")[:10],
                              clean(entry.findtext(f"{ATOM}summary"), MAX_DESCRIPTION))
    return papers


def crossref_url(base: str, doi: str) -> str:
    return f"{base.rstrip('/')}/works/{quote(doi, safe='')}"


def parse_crossref(body: bytes) -> Paper:
    """The paper of a Crossref ``/works/DOI`` answer."""
    work = json.loads(body)["message"]
    title = clean(" ".join(work.get("title") or []), MAX_TITLE)
    authors = tuple(
        clean(" ".join(x for x in (a.get("given"), a.get("family")) if x) or a.get("name", ""), 100) for a in work.get("author") or []
    )
    parts = ((work.get("issued") or work.get("published") or {}).get("date-parts") or [[]])[0]
    published = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts) if isinstance(p, int))
    abstract = work.get("abstract") or ""
    if abstract:  # JATS markup: only its text is kept
        abstract = HTMLParser(abstract).text(separator=" ")
    return Paper(title, authors, published, clean(abstract, MAX_DESCRIPTION))
