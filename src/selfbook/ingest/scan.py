"""The first stage of reading a markdown dump: its body's lines, scanned once, become groups
(paragraphs and list items) with the headings above them and the date a heading gives; what is
structure (headings, rules, blank lines, quote markers) is no group, and what is neither structure
nor text (HTML comments, front matter pasted mid-file) becomes a :class:`Skip`. The rules are in
:mod:`.markdown`'s docstring; :mod:`.entries` turns the groups into entries."""

from __future__ import annotations

from dataclasses import dataclass

import regex
import yaml

from ..text.dates import find_date_range
from ..models import DateRange, Skip, Span
from .inline import clean_title

__all__ = ["Group", "Line", "Scanner", "fence_open"]


@dataclass
class Line:
    """One line of a group: its number in the file, its text (quote markers off), whether it is code."""

    no: int
    text: str
    code: bool = False


@dataclass
class Group:
    """A paragraph or a list item: its lines, the headings above it and the date the nearest dated
    one gives (``context``)."""

    lines: list[Line]
    headings: tuple[str, ...]
    context: DateRange | None
    list_item: bool


_QUOTE = regex.compile(r"^(?:[ \t]{0,3}>[ \t]?)+")
_BULLET = regex.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•]|\d{1,3}[.)])(?:[ \t]+|$)(?:\[[ xX]\](?:[ \t]+|$))?")
_FENCE = regex.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FM_KEY = regex.compile(r"[a-z_][a-z0-9_-]*:(?:[ \t]|$)")


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


def fence_open(content: str) -> tuple[str, int, int] | None:
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


class Scanner:
    """Walks the body's lines once, grouping them into paragraphs and list items."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.groups: list[Group] = []
        self.skips: list[Skip] = []
        self.stack: list[tuple[int, str, DateRange | None]] = []
        self.cur: Group | None = None
        self.last: Group | None = None  # the group before a blank line, for code that follows it
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
        elif fence := fence_open(content):
            self._open_fence(no, content, fence, quoted=content != raw)
        elif bullet := _BULLET.match(content):
            self._bullet(no, content, bullet)
        else:
            self._text(no, content)
        return i + 1

    # -- groups
    def _new(self, list_item: bool) -> Group:
        dated = [date for _, _, date in self.stack if date is not None]
        group = Group([], tuple(text for _, text, _ in self.stack), dated[-1] if dated else None, list_item)
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
        text = clean_title(text)
        if text:
            self.stack.append((level, text, find_date_range(text)))

    def _open_fence(self, no: int, content: str, fence: tuple[str, int, int], quoted: bool) -> None:
        target = self.cur or (self.last if self.blank else None) or self._new(list_item=False)
        self.cur = target
        self.fence = (*fence, quoted)
        target.lines.append(Line(no, content.strip(), code=True))
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
        self.cur.lines.append(Line(no, body, code=True))

    def _bullet(self, no: int, content: str, match: regex.Match[str]) -> None:
        indent = _indent(match["indent"])
        if not (self.cur is not None and self.cur.list_item and indent >= self.item_offset):
            self._close()
            self._new(list_item=True)
            self.list_indent, self.item_offset = indent, indent + len(match["marker"]) + 1
        assert self.cur is not None
        self.cur.lines.append(Line(no, content[match.end() :].strip()))
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
        self.cur.lines.append(Line(no, content.strip()))
        self.blank = False
