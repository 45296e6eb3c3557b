"""The second stage of reading a markdown dump: a scanned group becomes entries. A paragraph is cut
where a text line follows a URL line or a bold title follows a bold block (:func:`split_paragraph`;
a list item is one entry); each piece becomes a :class:`RawEntry` with its title, note, links, date
and tags, or a :class:`Skip` when it holds neither words nor links (:func:`build_entry`). The
rules for titles and notes are in :mod:`.markdown`'s docstring."""

from __future__ import annotations

import regex

from ..text.dates import find_date
from ..models import RawEntry, Skip, Span
from .inline import SPACES, clean_note, clean_title
from .links import DOMAIN, HASHTAG, IDENT, WORD_CHAR, find_urls, is_url_line, names_host, strip_urls, url_host
from .oneline import split_line
from .scan import Group, Line, fence_open

__all__ = ["build_entry", "split_paragraph"]

TITLE_LIMIT = 90


def _whole_bold(text: str) -> bool:
    """A line that is all bold: "**Title**" or "__Title__"."""
    return len(text) > 4 and any(
        text.startswith(mark) and text.endswith(mark) and text[2] != mark[0] for mark in ("**", "__")
    )


def _split_kind(line: Line) -> str:
    if line.code:
        return "code"
    if is_url_line(line.text):
        return "url"
    if IDENT.fullmatch(line.text) or DOMAIN.fullmatch(line.text):
        return "attached"
    return "text"


def split_paragraph(lines: list[Line]) -> list[list[Line]]:
    """Cut a paragraph where a text line follows a URL line, or a bold title follows a bold block."""
    chunks: list[list[Line]] = []
    current: list[Line] = []
    previous, bold = "", False
    for line in lines:
        kind = _split_kind(line)
        is_bold = kind == "text" and _whole_bold(line.text)
        if current and kind == "text" and (previous == "url" or (bold and is_bold)):
            chunks.append(current)
            current = []
        if not current:
            bold = is_bold
        current.append(line)
        if kind != "attached":  # "URL\narxiv 2401.01234\nNext title": still after a URL
            previous = kind
    if current:
        chunks.append(current)
    return chunks


_LEAD = regex.compile(
    r"\*\*(?P<inner>[^*].*?)\*\*|__(?P<inner>[^_].*?)__|!?\[(?P<inner>[^\[\]\n]+)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)"
)
_LEAD_SEPARATOR = regex.compile(r"[ \t]*(?:[—–:|]|-(?=[ \t]))[ \t]*")
_HANDLE = regex.compile(r"\(@(?P<handle>[A-Za-z0-9_]{1,30})\)[ \t]*:")
_SENTENCE_END = regex.compile(r"[.!?।](?=\s|$)")


def _cut_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-") + "…"


def _quote_title(name: str, quote: str) -> str:
    """ "Name: start of the quote", at most 90 characters: cut after a whole sentence when one fits
    (no ellipsis: the sentence is complete), else at a word boundary with "…"."""
    if not quote:
        return name
    full = f"{name}: {quote}"
    room = TITLE_LIMIT - len(name) - 2
    if len(full) <= TITLE_LIMIT or room < 20:
        return _cut_words(full, TITLE_LIMIT)
    ends = [m.end() for m in _SENTENCE_END.finditer(quote[: room + 1]) if 20 <= m.end() <= room]
    if ends:
        return f"{name}: {quote[: ends[-1]]}"
    return f"{name}: {_cut_words(quote, room)}"


def _lead(text: str) -> tuple[str, str] | None:
    """``[Title](url) — note`` or ``**Title**: note`` → (title, note); None for other lines."""
    match = _LEAD.match(text)
    if not match or regex.fullmatch(r"__\w+__", match[0]):  # "__init__: …" is a name, not bold
        return None
    rest = text[match.end() :]
    if not rest.strip():
        return clean_title(match["inner"]), ""
    separator = _LEAD_SEPARATOR.match(rest)
    if not separator:
        return None
    return clean_title(match["inner"]), clean_note(rest[separator.end() :]).strip()


def _title_and_note(body: list[tuple[Line, str]]) -> tuple[str | None, str]:
    """Title and note from an entry's text, identifier and code lines (URL lines already out)."""
    (first, kind), rest = body[0], body[1:]
    notes = [line.text if k == "code" else clean_note(line.text) for line, k in rest if k != "ident"]
    if kind == "code":
        code = [line.text.strip() for line, _ in body if line.text.strip() and not fence_open(line.text)]
        title = _cut_words(code[0], TITLE_LIMIT) if code else None
        return title, "\n".join(line.text for line, _ in body)
    handle = _HANDLE.search(first.text) if kind == "text" else None
    name = clean_title(first.text[: handle.start()]) if handle else ""
    if handle and name:
        quote = SPACES.sub(" ", strip_urls(first.text[handle.end() :])).strip()
        following = " ".join(strip_urls(line.text).strip() for line, k in rest if k == "text")
        title = _quote_title(name, clean_title(quote or following))
        if quote and title != f"{name}: {clean_title(quote)}":  # a quote the title holds whole is not said twice
            notes.insert(0, quote)
        return title, "\n".join(notes).strip()
    lead = _lead(first.text)
    one_line = split_line(first.text) if not lead and [k for _, k in body if k != "ident"] == ["text"] else None
    if lead:
        title, head = lead
        if head:
            notes.insert(0, head)
    elif one_line is not None:
        title = clean_title(one_line.title)
        if one_line.note:
            notes.insert(0, clean_note(one_line.note).strip())
    else:
        title = clean_title(first.text)
    return title or None, "\n".join(notes).strip()


def build_entry(chunk: list[Line], group: Group, path: str) -> RawEntry | Skip:
    span = Span(path, chunk[0].no, chunk[-1].no)
    prose = [line for line in chunk if not line.code]
    urls = list(dict.fromkeys(url for line in prose for url in find_urls(line.text)))
    if not urls and not any(WORD_CHAR.search(line.text) for line in chunk):
        return Skip(span, "no words and no links (a separator line?)")
    hosts = {url_host(url) for url in urls}
    kinds = []
    for line in chunk:
        if line.code:
            kinds.append("code")
        elif is_url_line(line.text):
            kinds.append("url")
        elif IDENT.fullmatch(line.text):
            kinds.append("ident")
        elif names_host(line.text, hosts):
            kinds.append("domain")
        else:
            kinds.append("text")
    body = [(line, kind) for line, kind in zip(chunk, kinds) if kind in ("text", "ident", "code")]
    title, note = _title_and_note(body) if body else (None, "")
    texts = [strip_urls(clean_note(line.text)) for line, kind in zip(chunk, kinds) if kind == "text"]
    tags = tuple(dict.fromkeys(tag for text in texts for tag in HASHTAG.findall(text)))
    return RawEntry(
        lines=tuple(line.text for line in chunk),
        source=span,
        headings=group.headings,
        title=title,
        urls=tuple(urls),
        note=note,
        date=find_date("\n".join(line.text for line in prose)),
        context_date=group.context,
        tags=tags,
    )
