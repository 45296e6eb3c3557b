"""The optional archive (``selfbook fetch --archive``): each fetched HTML page's readable text, kept
in the store so that search and ask can use it, and so that it outlives the link.

- :func:`readable_text`: the page's main text, extracted by trafilatura (the ``archive`` extra:
  ``pip install 'selfbook[archive]'``, which also installs ``lxml_html_clean``, the HTML cleaner
  trafilatura 2.3 needs but does not pull in); without it, the text of the page's ``<body>`` with
  scripts, styles, navigation, headers and footers dropped, by selectolax.
- :func:`cap`: a page's text cut to the per-page cap (:data:`PAGE_BYTES` by default, UTF-8 bytes).
- :class:`Budget`: the total cap (the ``archive_max_mb`` setting): a page whose text would take the
  archive past it is not kept, and the report says how many were not.

Only text is kept, never markup. An entry's lexical index and ``ask`` read the first
:data:`INDEX_CHARS` characters of its first archived link's text (:attr:`Entry.page_text`); its
embedding does not change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser as HTMLParser

log = logging.getLogger(__name__)

PAGE_BYTES = 100_000
"""The most UTF-8 bytes of text kept of one page; the rest is cut (at a line or word end)."""
INDEX_CHARS = 5_000
"""The most characters of a page's text that its entry's search index and ``ask`` read. Chosen
so a page's words count without its length swamping BM25's length normalization; not tuned."""
DROPPED = "script, style, noscript, template, nav, header, footer, aside, form, svg, iframe"


def extractor() -> str:
    """``"trafilatura"`` when the archive extra is installed, else ``"selectolax"``."""
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return "selectolax"
    return "trafilatura"


def readable_text(html: str) -> str:
    """The readable text of an HTML page, paragraphs on their own lines; "" when it has none."""
    if extractor() == "trafilatura":
        import trafilatura

        try:
            text = trafilatura.extract(html, include_comments=False, include_tables=True, include_links=False,
                                       include_images=False, deduplicate=True)
        except Exception as exc:  # a hostile page must not end the run
            log.debug("trafilatura failed (%s); falling back to selectolax", exc)
            text = None
        if text:
            return _tidy(text)
    return _tidy(_body_text(html))


def _body_text(html: str) -> str:
    tree = HTMLParser(html)
    for node in tree.css(DROPPED):
        node.decompose()
    body = tree.body or tree.root
    return body.text(separator="\n") if body else ""


def _tidy(text: str) -> str:
    """Whitespace collapsed inside lines, empty lines and control characters dropped."""
    lines = (" ".join("".join(ch if ch.isprintable() and ch != "\ufffd" else " " for ch in line).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def cap(text: str, limit: int = PAGE_BYTES) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a line or word end; and whether it was cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    cut = data[:limit].decode("utf-8", errors="ignore")
    end = max(cut.rfind("\n"), cut.rfind(" "))
    return (cut[:end] if end > len(cut) // 2 else cut).rstrip(), True


@dataclass
class Budget:
    """The total cap: bytes the archive holds, and the most it may hold."""

    used: int
    limit: int

    def take(self, old: int, new: int) -> bool:
        """Replace a page of ``old`` bytes (0 if new) by one of ``new`` bytes, if that fits."""
        if self.used - old + new > self.limit:
            return False
        self.used += new - old
        return True
