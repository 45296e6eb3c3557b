"""JSON exports: Pinboard, Karakeep (Hoarder), the X/Twitter archive, and JSON Lines.

Positions: every record's span is the lines its JSON object covers in the file (found by
:mod:`.jsonscan`, or the line itself for JSON Lines), never a record index.

- **Pinboard** ``[{"href", "description" (the title), "extended" (the note), "tags" (space
  separated), "time"}]``. A record without ``href`` (a JSON list from another tool) is read
  with the JSON Lines keys below.
- **Karakeep/Hoarder** ``{"bookmarks": [{"createdAt" (Unix seconds), "title", "tags",
  "content": {"type": "link", "url"} | {"type": "text", "text"}, "note"}]}``; a text bookmark
  is an entry without a link.
- **X/Twitter archive** ``bookmarks.js`` / ``like.js``: ``window.YTD.like.part0 = [{"like":
  {"tweetId", "fullText", "expandedUrl"}}]``. The tweet's text is the note (its first line,
  cut at a word, the title); the tweet's own link (``expandedUrl``, the status URL, else
  ``https://x.com/i/web/status/ID``) comes first, then the links in its text. The entry's
  identity is ``twitter:ID``: two likes are never merged because their texts share a link.
- **JSON Lines**: one object per line. The keys of ``selfbook entries --json`` (and of
  ``selfbook export --format jsonl``) come back losslessly: ``title``, ``urls``, ``note``,
  ``date`` (ISO day or ``start/end``), ``date_label``, ``tags``, ``chapter``/``section`` as
  headings, and the first of ``idents`` as the record's identity (its own link is its first URL). Common other spellings are read too (``url``/``href``/``link``, ``description``,
  ``created``/``time``, ``folder``).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..models import DateRange, Skip, Span
from .base import Item, Progress, TextChunks, epoch_date, iso_date, make_entry, tag_list, web_urls
from .jsonscan import Piece, records
from ..ingest import find_urls

__all__ = ["read_jsonl", "read_karakeep", "read_pinboard", "read_twitter"]

TITLE_LIMIT = 90
_YTD = re.compile(r"\s*window\.YTD\.(?P<name>[A-Za-z_]+)\.part\d+\s*=\s*\[")


def _found(pieces: Iterator[Piece], shown: str, what: str, hint: str) -> Iterator[Piece]:
    for piece in pieces:
        if not piece.found:
            raise InputError(shown, f"holds no {what}", hint, line=piece.start)
        yield piece


def _read(pieces: Iterator[Piece], shown: str, convert) -> Iterator[Item]:
    for piece in pieces:
        span = Span(shown, piece.start, piece.end)
        if piece.problem:
            yield Skip(span, piece.problem)
        elif not isinstance(piece.value, dict):
            yield Skip(span, f"a JSON {type(piece.value).__name__}, not a record")
        else:
            yield convert(piece.value, span)


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""


# -- Pinboard ---------------------------------------------------------------------------------------


def _pinboard(record: dict, span: Span) -> Item:
    if "href" not in record:  # a JSON list from another tool: read it as JSON Lines records
        return _jsonl(record, span)
    urls = web_urls(_text(record.get("href")))
    if not urls:
        return Skip(span, "a bookmark without an http(s) link in 'href'")
    title = _text(record.get("description"))
    return make_entry(
        span, title=title, urls=urls, note=_text(record.get("extended")),
        date=iso_date(_text(record.get("time"))), tags=tag_list(_text(record.get("tags")), " ,"),
    )


def read_pinboard(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Pinboard's JSON export: a list of ``{"href", "description", "extended", "tags", "time"}``."""
    hint = "a Pinboard export is a JSON list, starting with '[' (pinboard.in → settings → backup → JSON)"
    return _read(_found(records(TextChunks(path, shown, progress)), shown, "JSON list of bookmarks", hint), shown, _pinboard)


# -- Karakeep ---------------------------------------------------------------------------------------


def _karakeep(record: dict, span: Span) -> Item:
    content = record.get("content") if isinstance(record.get("content"), dict) else {}
    kind = _text(content.get("type"))
    urls = web_urls(_text(content.get("url")), _text(content.get("sourceUrl")))
    notes = [_text(record.get("note")), _text(content.get("text")) if kind == "text" else ""]
    title = _text(record.get("title")) or _text(content.get("title"))
    if not urls and not any(n.strip() for n in notes):
        return Skip(span, f"an uploaded file or image ({title[:40]!r}): the export holds no link or text for it" if title else "a bookmark with no link or text")
    return make_entry(
        span, title=title or None, urls=urls, note="\n\n".join(n.strip() for n in notes if n.strip()),
        date=epoch_date(record.get("createdAt")) or iso_date(record.get("createdAt")), tags=tag_list(record.get("tags")),
    )


def read_karakeep(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Karakeep's (Hoarder's) JSON export: ``{"bookmarks": [...]}``."""
    hint = 'a Karakeep export is a JSON object with a "bookmarks" list (Settings → Import / Export → Export)'
    pieces = records(TextChunks(path, shown, progress), "bookmarks")
    return _read(_found(pieces, shown, '"bookmarks" list', hint), shown, _karakeep)


# -- X / Twitter archive ----------------------------------------------------------------------------


def _cut(text: str, limit: int = TITLE_LIMIT) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else line[:limit]).rstrip(" ,;:") + "…"


def _tweet(heading: str):
    def convert(record: dict, span: Span) -> Item:
        inner = next((v for v in record.values() if isinstance(v, dict)), record) if len(record) == 1 else record
        tweet_id = _text(inner.get("tweetId") or inner.get("id_str") or inner.get("id"))
        text = html.unescape(_text(inner.get("fullText") or inner.get("full_text") or inner.get("text")))
        expanded = _text(inner.get("expandedUrl"))
        if not tweet_id.isdigit():
            urls = web_urls(expanded, *find_urls(text))
            if not urls and not text.strip():
                return Skip(span, "a tweet with no id, link or text")
            return make_entry(span, title=_cut(text) or None, urls=urls, note=text, headings=(heading,))
        status = f"https://x.com/i/web/status/{tweet_id}"
        own = expanded if expanded.rstrip("/").endswith(f"/status/{tweet_id}") else status  # the archive's spelling
        entry = make_entry(span, title=_cut(text) or None, urls=web_urls(own, expanded, *find_urls(text)), note=text, headings=(heading,))
        return replace(entry, ident=f"twitter:{tweet_id}")

    return convert


def read_twitter(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """The X/Twitter archive's ``bookmarks.js`` or ``like.js`` (``window.YTD.<name>.part0 = [...]``)."""
    chunks = iter(TextChunks(path, shown, progress))
    first = next(chunks, "")
    match = _YTD.match(first)
    if match is None:
        raise InputError(
            shown, "is not an X/Twitter archive file: it does not start with 'window.YTD.<name>.part0 = ['",
            "use data/like.js or data/bookmarks.js from the archive unchanged", line=1,
        )
    name = match["name"].lower()
    heading = {"like": "X likes", "bookmark": "X bookmarks", "bookmarks": "X bookmarks"}.get(name, f"X {name}")

    def again() -> Iterator[str]:
        yield first
        yield from chunks

    pieces = _found(records(again()), shown, "list of tweets", "use data/like.js or data/bookmarks.js from the archive unchanged")
    return _read(pieces, shown, _tweet(heading))


# -- JSON Lines -------------------------------------------------------------------------------------


def _first(record: dict, *keys: str) -> object:
    for key in keys:
        if record.get(key) not in (None, "", []):
            return record[key]
    return None


def _jsonl(record: dict, span: Span) -> Item:
    listed = record.get("urls") if isinstance(record.get("urls"), list) else []
    urls = web_urls(*(_text(u) for u in listed), _text(_first(record, "url", "href", "link", "expandedUrl")))
    title = _text(_first(record, "title", "name"))
    note = _text(_first(record, "note", "extended", "notes", "description", "text", "excerpt"))
    if not urls and not title and not note:
        return Skip(span, "a record with no title, link or note")
    date = iso_date(_first(record, "date", "created", "created_at", "createdAt", "time", "time_added", "added"))
    if date is not None and isinstance(record.get("date_label"), str):
        date = DateRange(date.start, date.end, record["date_label"])
    if record.get("chapter") or record.get("section"):
        headings = tuple(_text(record.get(k)) for k in ("chapter", "section"))
    elif isinstance(record.get("headings"), list):
        headings = tuple(_text(h) for h in record["headings"])
    else:
        headings = tuple(h for h in _text(record.get("folder")).split("/") if h)
    entry = make_entry(span, title=title or None, urls=urls, note=note, headings=headings, date=date, tags=tag_list(record.get("tags")))
    idents = [x for x in record.get("idents") or () if isinstance(x, str) and x.strip()] if isinstance(record.get("idents"), list) else []
    return replace(entry, ident=idents[0].strip()) if idents else entry


def read_jsonl(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """JSON Lines: one object per line; a line that is not a JSON object is skipped and reported."""
    number, rest = 0, ""
    for chunk in TextChunks(path, shown, progress):
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            yield from _jsonl_line(line, number, shown, last=False)
    if rest.strip():
        yield from _jsonl_line(rest, number + 1, shown, last=True)


def _jsonl_line(line: str, number: int, shown: str, *, last: bool) -> Iterator[Item]:
    if not line.strip():
        return
    span = Span(shown, number, number)
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as err:
        reason = err.msg if isinstance(err, json.JSONDecodeError) else type(err).__name__
        if last:
            reason += "; the file ends without a newline here, so it may be truncated"
        yield Skip(span, f"not valid JSON ({reason})")
        return
    if not isinstance(value, dict):
        yield Skip(span, f"a JSON {type(value).__name__}, not an object")
        return
    yield _jsonl(value, span)
