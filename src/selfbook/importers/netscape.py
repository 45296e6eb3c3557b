"""Browser bookmarks (the Netscape bookmark file that Chrome, Firefox, Safari and Edge export) and
Pocket's HTML export, read with the standard library's :class:`html.parser.HTMLParser` fed in
chunks, so a 50 MB file streams in bounded memory.

Netscape files nest folders as ``<DT><H3>Folder</H3><DL> … </DL>``; each ``<DT><A HREF=…>``
is a bookmark, optionally followed by ``<DD>`` with its description. The folder path becomes
the entry's ``headings``; ``ADD_DATE`` (Unix seconds) its date; ``TAGS`` (comma-separated) its
tags; the description its note, where lines holding only a URL are more links of the same
entry (see :func:`~.base.split_note`). Pocket writes ``<h1>Unread</h1><ul><li><a href=…
time_added=… tags=…>``: the ``<h1>`` is the heading.

Positions: each entry's span is the line of its ``<A>`` tag (to the end of its description).
An anchor whose link is relative (Shaarli writes its text notes as ``<A HREF="?lY47tw">``) is a
note: its title and description, with the links in the description. Anchors whose link has
another scheme (``javascript:`` bookmarklets, Firefox ``place:`` queries) are skipped and
reported. A file that ends inside a folder or a tag is reported as truncated,
keeping every bookmark before the cut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..models import Skip, Span
from .base import Item, LenientHTMLParser, Progress, epoch_date, make_entry, split_note, tag_list, web_urls
from .decoding import TextChunks, html_charset

__all__ = ["read_netscape", "read_pocket_html"]

_ENDS_BOOKMARK = {"dt", "dl", "h1", "h2", "h3", "a", "hr", "li", "ul"}


class _BookmarkParser(LenientHTMLParser):
    """Collects entries into ``self.out`` as the parser advances; the reader drains it."""

    def __init__(self, shown: str, *, page_headings: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.shown = shown
        self.page_headings = page_headings  # Pocket: <h1> names a list; Netscape: <H1> is the file title
        self.out: list[Item] = []
        self.folders: list[str | None] = []  # one per open <DL>: the folder it opened, or None
        self.pending_folder: str | None = None
        self.page_heading: str | None = None
        self.heading_text: list[str] | None = None
        self.anchor: dict | None = None  # the bookmark being read: attrs, text, line
        self.description: list[str] | None = None
        self.done: dict | None = None  # a finished anchor waiting for a possible <DD>

    # -- structure --------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ENDS_BOOKMARK:
            self._end_anchor()
            self._flush()
        if tag in ("h1", "h2", "h3"):
            self.heading_text = []
        elif tag == "dl":
            self.folders.append(self.pending_folder)
            self.pending_folder = None
        elif tag == "a":
            self.anchor = {"attrs": {k: v or "" for k, v in attrs}, "text": [], "line": self.getpos()[0]}
        elif tag == "dd":
            self._end_anchor()
            if self.done is not None:
                self.description = []
                self.done["dd"] = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self.heading_text is not None:
            text = " ".join("".join(self.heading_text).split())
            self.heading_text = None
            if tag == "h1" and self.page_headings:
                self.page_heading = text
            elif tag != "h1":
                self.pending_folder = text
        elif tag == "a":
            self._end_anchor()
        elif tag == "dl":
            self._flush()
            if self.folders:
                self.folders.pop()

    def handle_data(self, data: str) -> None:
        if self.heading_text is not None:
            self.heading_text.append(data)
        elif self.anchor is not None:
            self.anchor["text"].append(data)
        elif self.description is not None:
            self.description.append(data)

    # -- bookmarks --------------------------------------------------------------------------------
    def _end_anchor(self) -> None:
        if self.anchor is not None:
            self._flush()
            self.done, self.anchor = self.anchor, None
            self.done["end"] = self.getpos()[0]

    def _flush(self) -> None:
        """Emit the finished bookmark with whatever description followed it."""
        if self.done is None:
            return
        mark, description = self.done, "".join(self.description or [])
        self.done, self.description = None, None
        end = max(mark["end"], mark.get("dd", 0) + description.strip().count("\n"))
        self.out.append(self._entry(mark, description, Span(self.shown, mark["line"], end)))

    def _entry(self, mark: dict, description: str, span: Span) -> Item:
        attrs = mark["attrs"]
        href = attrs.get("href", "").strip()
        note, more = split_note(description)
        urls = web_urls(href, *more)
        title = "".join(mark["text"])
        if not href:
            return Skip(span, "a link with no HREF")
        if urls and urls[0] == href:
            pass
        elif _relative(href) and (title.strip() or note):
            urls = web_urls(*more)  # a note: Shaarli links its text notes to "?abc123" permalinks
        else:
            scheme = href.split(":", 1)[0][:20] if ":" in href else href[:20]
            return Skip(span, f"not a web link ({scheme}:…)" if ":" in href else f"not a web link ({scheme!r})")
        headings = tuple(f for f in self.folders if f)
        if self.page_heading:
            headings = (self.page_heading, *headings)
        return make_entry(
            span,
            title=title,
            urls=urls,
            note=note,
            headings=headings,
            date=epoch_date(attrs.get("add_date") or attrs.get("time_added") or ""),
            tags=tag_list(attrs.get("tags", "")),
        )

    def finish(self) -> None:
        """After the last chunk: report a cut-off tag or folder as truncation."""
        line = self.getpos()[0]
        cut = self.rawdata.lstrip()[:1] == "<"
        self.close()
        self._end_anchor()
        self._flush()
        named = [f for f in self.folders if f]
        where = "a tag" if cut else f"folder {named[-1]!r}" if named else "the bookmark list" if self.folders else ""
        if where:
            reason = f"the file ends inside {where} — it looks truncated; export it again to get the rest"
            self.out.append(Skip(Span(self.shown, line, line), reason))


def _relative(href: str) -> bool:
    """A relative reference (``?lY47tw``, ``shaare/abc``, ``#x``): no scheme before the first ``/?#``."""
    head = href.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in head


def _read(path: Path, shown: str, progress: Progress | None, *, page_headings: bool) -> Iterator[Item]:
    parser = _BookmarkParser(shown, page_headings=page_headings)
    for chunk in TextChunks(path, shown, progress, sniff=html_charset):
        parser.feed(chunk)
        if parser.out:
            yield from parser.out
            parser.out.clear()
    parser.finish()
    yield from parser.out


def read_netscape(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Browser bookmarks (Netscape bookmark file): folders → headings, ADD_DATE → date, TAGS → tags."""
    return _read(path, shown, progress, page_headings=False)


def read_pocket_html(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Pocket's HTML export: ``<h1>Unread</h1>`` / ``Read Archive`` → heading, time_added → date."""
    return _read(path, shown, progress, page_headings=True)
