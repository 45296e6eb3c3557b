"""Plain text: lists of URLs, one a line, and selfbook's own markdown dumps.

- **urls**: each line holds a URL, optionally followed by a title (``https://… Some title``);
  blank lines and lines starting with ``#`` are ignored, a line without a URL is skipped and
  reported. Each entry's span is its line.
- **markdown**: the notes dumps selfbook was made for, read by :func:`selfbook.ingest.read_dump`
  (paragraphs, bullets, headings; each entry's span is its line range).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..ingest import find_urls, read_dump
from ..models import Skip, Span
from .base import Item, Progress, TextChunks, make_entry, text_lines, web_urls

__all__ = ["read_markdown", "read_urls"]


def read_urls(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """A list of URLs, one a line, each optionally followed by its title."""
    for number, line in enumerate(text_lines(iter(TextChunks(path, shown, progress))), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        span = Span(shown, number, number)
        found = find_urls(text)
        urls = web_urls(*found)
        if not urls:
            yield Skip(span, "no http(s) URL on this line")
            continue
        title = text
        for url in found:
            title = title.replace(url, " ")
        title = title.strip(" \t-–—|:,;，、；：。\u3000")
        yield make_entry(span, title=title or None, urls=urls)


def read_markdown(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """A markdown or text dump of notes and links (the format selfbook started with)."""
    dump = read_dump(path, display_path=shown)
    items: list[Item] = [*dump.entries, *dump.skips]
    yield from sorted(items, key=lambda item: (item.source.start, isinstance(item, Skip)))
