"""Parse a markdown dump of links and notes into :class:`RawEntry` records, each with file + line.

Dumps are loose markdown written over years, not CommonMark documents, so this is a line scanner
with the rules below rather than a CommonMark parser (which would turn "Title\\n---" into a heading,
indented lines into code, and lose the line of every entry).

Structure (never an entry, never a skip):
  YAML front matter at the top (``---`` … ``---``) → ``Dump.meta``; its ``date``/``created`` say when
  the file was made and are not entry dates. Headings ``#``…``######`` give every entry below them
  its heading path, and a heading holding a date or range ("From self-1.md (Oct 2024 – Feb 2026)",
  "2023") gives them a ``context_date`` until a heading of the same or a higher level replaces it.
  Blank lines, rules (``---``, ``***``, ``___``, ``===``) and ``>`` blockquote markers.

Blocks:
  - Each top-level bullet (``-``, ``*``, ``+``, ``•``, ``1.``, ``1)``, task boxes) is one entry with
    its indented continuation lines and nested bullets.
  - A paragraph is split into entries where a text line follows a URL line ("Title\\nURL\\nTitle\\nURL"),
    or where a whole-bold line follows a block that began with one. Identifier lines (arXiv, DOI,
    ISBN, "GitHub: owner/repo") and lone domain lines never start an entry.
  - A fenced code block belongs to the entry it sits in; one that follows an entry after a blank
    line belongs to that entry too.
  - Blocks with neither words nor links (separators such as "• • •"), HTML comments and front
    matter pasted mid-file become :class:`Skip` records; nothing is dropped silently.

Entries: the title is the first text line, with markdown emphasis and URLs taken out, except for
  ``[Title](url) — note``, ``**Title** — note``, ``Name (@handle): quote`` (title "Name: start
  of the quote", cut to 90 characters), and an entry of one text line that says where its title
  ends ("Title — note (2020-08-19)", "Title: note URL", "Title. Note. Mon YYYY.": see
  :mod:`.oneline`), whose title is cut there, the rest its note, the closing date neither. The note is the other text lines; URL lines, identifier
  lines and domain lines that name the URL's host stay in ``lines`` but not in the note. The date
  is the last date written in the entry's text (see :mod:`selfbook.dates`); hashtags become ``tags``.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

import regex
import yaml

from ..errors import InputError
from ..models import DateRange, RawEntry, Skip, Span
from ..text import normalize
from ..dates import find_date, find_date_range
from .oneline import split_line
from .links import (
    AUTOLINK, DOMAIN, HASHTAG, IDENT, MD_LINK, SEPARATORS, WORD_CHAR, find_urls, is_url_line, names_host, strip_urls, url_host,
)

log = logging.getLogger(__name__)

__all__ = ["Dump", "find_urls", "parse_markdown"]

TITLE_LIMIT = 90


@dataclass(frozen=True)
class Dump:
    """One dump file read: its entries in file order, the blocks it skipped, its front matter."""

    path: str
    entries: tuple[RawEntry, ...]
    skips: tuple[Skip, ...] = ()
    meta: dict = field(default_factory=dict, hash=False)


# -- scanning lines into groups ---------------------------------------------------------------------


@dataclass
class _Line:
    no: int
    text: str
    code: bool = False


@dataclass
class _Group:
    lines: list[_Line]
    headings: tuple[str, ...]
    context: DateRange | None
    list_item: bool


_QUOTE = regex.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")
_BULLET = regex.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•]|\d{1,3}[.)])(?:[ \t]+|$)(?:\[[ xX]\](?:[ \t]+|$))?")
_FENCE = regex.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FM_KEY = regex.compile(r"[a-z_][a-z0-9_-]*:(?:[ \t]|$)")
_TOP_FM_START = regex.compile(r"[A-Za-z_][A-Za-z0-9_-]*:(?:[ \t]|$)|---[ \t]*$|\.\.\.[ \t]*$")


def _indent(text: str) -> int:
    expanded = text.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _heading(content: str) -> tuple[int, str] | None:
    """``(level, text)`` for an ATX heading ("## Title ##"), else None. "#tag" is not a heading."""
    body = content.lstrip(" ")
    if len(content) - len(body) > 3 or not body.startswith("#"):
        return None
    level = len(body) - len(body.lstrip("#"))
    rest = body[level:]
    if level > 6 or (rest and rest[0] not in " \t"):
        return None
    rest = rest.strip()
    bare = rest.rstrip("#")
    if bare != rest and (not bare or bare[-1] in " \t"):
        rest = bare.rstrip()
    return level, rest


def _is_rule(content: str) -> bool:
    marks = content.replace(" ", "").replace("\t", "")
    return len(marks) >= 3 and marks[0] in "-*_=" and marks == marks[0] * len(marks)


def _fence_open(content: str) -> tuple[str, int, int] | None:
    match = _FENCE.match(content)
    if not match or (match["fence"][0] == "`" and "`" in match["info"]):
        return None
    return match["fence"][0], len(match["fence"]), _indent(match["indent"])


def _midfile_front_matter(lines: list[str], i: int) -> int | None:
    """The index of the closing '---' when lines[i] opens a block of YAML keys pasted mid-file."""
    if lines[i].strip() != "---":
        return None
    j = i + 1
    while j < len(lines) and _FM_KEY.match(lines[j]):
        j += 1
    if j == i + 1 or j >= len(lines) or lines[j].strip() not in ("---", "..."):
        return None
    try:
        data = yaml.safe_load("\n".join(lines[i + 1 : j]))
    except (yaml.YAMLError, ValueError):
        return None
    return j if isinstance(data, dict) else None


class _Scanner:
    """Walks the body's lines once, grouping them into paragraphs and list items."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.groups: list[_Group] = []
        self.skips: list[Skip] = []
        self.stack: list[tuple[int, str, DateRange | None]] = []
        self.cur: _Group | None = None
        self.last: _Group | None = None  # the group before a blank line, for code that follows it
        self.blank = True
        self.list_indent = 0
        self.item_offset = 0
        self.fence: tuple[str, int, int, bool] | None = None  # char, length, indent, quoted
        self.comment: int | None = None

    def run(self, lines: list[str], first_no: int) -> None:
        i = 0
        while i < len(lines):
            i = self._line(lines, i, first_no)
        if self.comment is not None:
            self._skip(self.comment, first_no + len(lines) - 1, "an HTML comment that is never closed")
        self._close()

    def _line(self, lines: list[str], i: int, first_no: int) -> int:
        no, raw = first_no + i, lines[i]
        if self.fence is not None:
            self._code(no, raw)
            return i + 1
        if self.comment is not None:
            if "-->" in raw:
                self._skip(self.comment, no, "an HTML comment")
                self.comment = None
            return i + 1
        content = _QUOTE.sub("", raw, count=1)
        if not content.strip():
            self._blank()
        elif heading := _heading(content):
            self._heading(*heading)
        elif _is_rule(content):
            self._break()
            end = _midfile_front_matter(lines, i)
            if end is not None:
                reason = "front matter in the middle of the file (a second file pasted in?); only a file's top may hold it"
                self._skip(no, first_no + end, reason)
                return end + 1
        elif content.lstrip().startswith("<!--"):
            self._close()
            if "-->" in content:
                self._skip(no, no, "an HTML comment")
            else:
                self.comment = no
        elif fence := _fence_open(content):
            self._open_fence(no, content, fence, quoted=content != raw)
        elif bullet := _BULLET.match(content):
            self._bullet(no, content, bullet)
        else:
            self._text(no, content)
        return i + 1

    # -- groups
    def _new(self, list_item: bool) -> _Group:
        dated = [date for _, _, date in self.stack if date is not None]
        group = _Group([], tuple(text for _, text, _ in self.stack), dated[-1] if dated else None, list_item)
        self.groups.append(group)
        self.cur = group
        return group

    def _close(self) -> None:
        if self.cur is not None:
            self.last = self.cur
        self.cur = None

    def _break(self) -> None:
        """A heading, rule or skipped block: code after it starts a new entry."""
        self._close()
        self.last = None
        self.blank = True

    def _skip(self, start: int, end: int, reason: str) -> None:
        self.skips.append(Skip(Span(self.path, start, end), reason))

    # -- line handlers
    def _blank(self) -> None:
        self.blank = True
        if self.cur is not None and not self.cur.list_item:
            self._close()

    def _heading(self, level: int, text: str) -> None:
        self._break()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        text = _clean_title(text)
        if text:
            self.stack.append((level, text, find_date_range(text)))

    def _open_fence(self, no: int, content: str, fence: tuple[str, int, int], quoted: bool) -> None:
        target = self.cur or (self.last if self.blank else None) or self._new(list_item=False)
        self.cur = target
        self.fence = (*fence, quoted)
        target.lines.append(_Line(no, content.strip(), code=True))
        self.blank = False

    def _code(self, no: int, raw: str) -> None:
        char, length, indent, quoted = self.fence  # type: ignore[misc]
        content = _QUOTE.sub("", raw, count=1) if quoted else raw
        closing = content.strip()
        if len(closing) >= length and closing == char * len(closing):
            self.fence = None
        body = content.expandtabs(4)
        body = body[min(indent, _indent(body)) :].rstrip()
        assert self.cur is not None
        self.cur.lines.append(_Line(no, body, code=True))

    def _bullet(self, no: int, content: str, match: regex.Match[str]) -> None:
        indent = _indent(match["indent"])
        if not (self.cur is not None and self.cur.list_item and indent >= self.item_offset):
            self._close()
            self._new(list_item=True)
            self.list_indent, self.item_offset = indent, indent + len(match["marker"]) + 1
        assert self.cur is not None
        self.cur.lines.append(_Line(no, content[match.end() :].strip()))
        self.blank = False

    def _text(self, no: int, content: str) -> None:
        in_list = self.cur is not None and self.cur.list_item
        continues = (in_list and (not self.blank or _indent(content) > self.list_indent)) or (
            self.cur is not None and not self.cur.list_item and not self.blank
        )
        if not continues:
            self._close()
            self._new(list_item=False)
        assert self.cur is not None
        self.cur.lines.append(_Line(no, content.strip()))
        self.blank = False


# -- groups into entries -----------------------------------------------------------------------------


def _whole_bold(text: str) -> bool:
    """A line that is all bold: "**Title**" or "__Title__"."""
    return len(text) > 4 and any(
        text.startswith(mark) and text.endswith(mark) and text[2] != mark[0] for mark in ("**", "__")
    )


def _split_kind(line: _Line) -> str:
    if line.code:
        return "code"
    if is_url_line(line.text):
        return "url"
    if IDENT.fullmatch(line.text) or DOMAIN.fullmatch(line.text):
        return "attached"
    return "text"


def _split(lines: list[_Line]) -> list[list[_Line]]:
    """Cut a paragraph where a text line follows a URL line, or a bold title follows a bold block."""
    chunks: list[list[_Line]] = []
    current: list[_Line] = []
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
_DUNDER = regex.compile(r"(?<![\p{L}\p{N}_])__([^_]+)__(?![\p{L}\p{N}_])")
_EMPTY_BRACKETS = regex.compile(r"\(\s*\)|\[\s*\]|<\s*>")
_SPACES = regex.compile(r"[ \t]{2,}")


def _clean_note(text: str) -> str:
    """Markdown links become their text; autolinks their URL; HTML entities (``&amp;``) their character."""
    return html.unescape(AUTOLINK.sub(lambda m: m[1], MD_LINK.sub(lambda m: m["text"], text)))


def _unbold(match: regex.Match[str]) -> str:
    """``__two words__`` → "two words"; ``__init__`` (one identifier) stays as written."""
    inner = match[1]
    if inner != inner.strip() or regex.fullmatch(r"\w+", inner):
        return match[0]
    return inner


def _clean_title(text: str) -> str:
    """Links become their text, URLs go, ``**``/``__``/backticks go, separators at the end go."""
    text = strip_urls(MD_LINK.sub(lambda m: m["text"], text))
    text = _DUNDER.sub(_unbold, text.replace("**", "").replace("`", ""))
    text = _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", html.unescape(text)))
    return text.strip().rstrip(SEPARATORS)


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
        return _clean_title(match["inner"]), ""
    separator = _LEAD_SEPARATOR.match(rest)
    if not separator:
        return None
    return _clean_title(match["inner"]), _clean_note(rest[separator.end() :]).strip()


def _title_and_note(body: list[tuple[_Line, str]]) -> tuple[str | None, str]:
    """Title and note from an entry's text, identifier and code lines (URL lines already out)."""
    (first, kind), rest = body[0], body[1:]
    notes = [line.text if k == "code" else _clean_note(line.text) for line, k in rest if k != "ident"]
    if kind == "code":
        code = [line.text.strip() for line, _ in body if line.text.strip() and not _fence_open(line.text)]
        title = _cut_words(code[0], TITLE_LIMIT) if code else None
        return title, "\n".join(line.text for line, _ in body)
    handle = _HANDLE.search(first.text) if kind == "text" else None
    name = _clean_title(first.text[: handle.start()]) if handle else ""
    if handle and name:
        quote = _SPACES.sub(" ", strip_urls(first.text[handle.end() :])).strip()
        following = " ".join(strip_urls(line.text).strip() for line, k in rest if k == "text")
        title = _quote_title(name, _clean_title(quote or following))
        if quote and title != f"{name}: {_clean_title(quote)}":  # a quote the title holds whole is not said twice
            notes.insert(0, quote)
        return title, "\n".join(notes).strip()
    lead = _lead(first.text)
    one_line = split_line(first.text) if not lead and [k for _, k in body if k != "ident"] == ["text"] else None
    if lead:
        title, head = lead
        if head:
            notes.insert(0, head)
    elif one_line is not None:
        title = _clean_title(one_line.title)
        if one_line.note:
            notes.insert(0, _clean_note(one_line.note).strip())
    else:
        title = _clean_title(first.text)
    return title or None, "\n".join(notes).strip()


def _build(chunk: list[_Line], group: _Group, path: str) -> RawEntry | Skip:
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
    texts = [strip_urls(_clean_note(line.text)) for line, kind in zip(chunk, kinds) if kind == "text"]
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


# -- front matter and the whole file -----------------------------------------------------------------


def _front_matter(lines: list[str], path: str) -> tuple[dict, int]:
    """The top front matter as a dict, and the index of the first line after it.

    A first line '---' opens front matter when the next line is a ``key:`` (then it must close and
    be valid YAML), or when the block up to the next '---' is a YAML list (an error: not a
    mapping). Otherwise, such as '---' followed by a blank line or by a note, it is a rule.
    """
    if len(lines) < 2 or lines[0].rstrip() != "---" or not lines[1].strip():
        return {}, 0
    keyed = bool(_TOP_FM_START.match(lines[1]))
    end = next((j for j in range(1, len(lines)) if lines[j].rstrip() in ("---", "...")), None)
    if end is None:
        if keyed:
            raise InputError(path, "front matter opened here is never closed", "close it with a '---' line", line=1)
        return {}, 0
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        if not keyed:
            return {}, 0
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        line = mark.line + 2 if mark is not None else 1
        raise InputError(path, f"invalid YAML in the front matter: {problem}", "fix it or remove the front matter", line=line) from None
    except ValueError as err:  # "date: 2024-13-45" is a YAML date that does not exist
        if not keyed:
            return {}, 0
        raise InputError(path, f"invalid value in the front matter: {err}", "fix it or remove the front matter", line=1) from None
    if not keyed and not isinstance(data, list):
        return {}, 0
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        hint = "write it as 'key: value' lines, or put a blank line after the first '---' if it is a rule"
        raise InputError(path, f"front matter is {kind}, not 'key: value' lines", hint, line=2)
    return dict(data), end + 1


def parse_markdown(text: str, path: str) -> Dump:
    """Parse a dump's text (no I/O). Raises :class:`InputError` only for broken front matter.

    ``path`` is what every :class:`Span` and error names. Line endings are normalized to LF and
    the text to NFC first, so line numbers match what an editor shows.
    """
    text = normalize(text.replace("\r\n", "\n").replace("\r", "\n")).removeprefix("\ufeff")
    lines = text.split("\n")
    meta, body = _front_matter(lines, path)
    scanner = _Scanner(path)
    scanner.run(lines[body:], body + 1)
    entries: list[RawEntry] = []
    skips = list(scanner.skips)
    for group in scanner.groups:
        for chunk in [group.lines] if group.list_item else _split(group.lines):
            built = _build(chunk, group, path)
            (entries if isinstance(built, RawEntry) else skips).append(built)
    log.debug("%s: %d entries, %d skipped blocks", path, len(entries), len(skips))
    return Dump(path, tuple(entries), tuple(sorted(skips, key=lambda s: s.source)), meta)
