"""Stream the records of a JSON list out of a file, each with the lines it spans.

Bookmark services export one big JSON list (Pinboard: ``[{…}, {…}]``; Karakeep:
``{"bookmarks": [{…}]}``; the X archive: ``window.YTD.like.part0 = [{…}]``). :func:`records`
finds each record's extent by scanning brackets and strings, without parsing the whole file,
then hands each record alone to :func:`json.loads`. So memory stays at one record plus a chunk,
every record knows its line, and one malformed record is reported and skipped while the rest
import; brackets that do not match inside a record end that record only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

__all__ = ["Piece", "Tokens", "records"]

_SIGNIFICANT = re.compile(r'[\[\]{}"]')
_STRING_TAIL = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
_CLOSE = {"]": "[", "}": "{"}


@dataclass(frozen=True)
class Piece:
    """One record (``value``, a parsed JSON value), or a ``problem`` found at lines ``start``–``end``.

    ``found`` is False when the file held no list where one was expected (nothing was read).
    """

    start: int
    end: int
    value: object = None
    problem: str = ""
    found: bool = True


class Tokens:
    """The brackets and whole strings of JSON text fed in chunks, each with the line it is on.

    ``buf`` holds the text not yet dropped, ``pos`` where reading resumes in it, ``line`` the
    line at ``pos``. A scanner built on this reads :meth:`tokens` and drops what it no longer
    needs from the front of ``buf`` (moving ``pos`` back by as much).
    """

    def __init__(self) -> None:
        self.buf = ""
        self.pos = 0
        self.line = 1

    def tokens(self, text: str) -> Iterator[tuple[str, int, int]]:
        """``(char, start, end)`` for each bracket, and each string (char ``"``, the quotes
        included), after ``text`` is added; a string the chunk cuts waits for the next one. When
        a token comes out, ``pos`` and ``line`` are already past it."""
        self.buf += text
        buf = self.buf
        while True:
            match = _SIGNIFICANT.search(buf, self.pos)
            if match is None:
                self.line += buf.count("\n", self.pos)
                self.pos = len(buf)
                return
            at = match.start()
            if buf[at] == '"':
                tail = _STRING_TAIL.match(buf, at + 1)
                if tail is None:  # the string goes on in the next chunk
                    self.line += buf.count("\n", self.pos, at)
                    self.pos = at
                    return
                self.line += buf.count("\n", self.pos, tail.end())
                self.pos = tail.end()
                yield '"', at, tail.end()
                continue
            self.line += buf.count("\n", self.pos, at)
            self.pos = at + 1
            yield buf[at], at, at + 1


class _Scan(Tokens):
    def __init__(self, key: str | None) -> None:
        super().__init__()
        self.key = key
        self.target = 1 if key is None else 2  # depth of the list's records' container
        self.stack: list[str] = []
        self.found = False  # the target list was opened
        self.closed = False  # … and closed again
        self.record: tuple[int, int] | None = None  # (buffer offset, line) of the open record
        self.last_key = ""

    def _in_list(self) -> bool:
        return self.found and not self.closed and len(self.stack) >= self.target

    def feed(self, text: str) -> Iterator[Piece]:
        for char, at, end in self.tokens(text):
            if char == '"':
                yield from self._string(self.buf, at, end)
            else:
                yield from (self._open(char, at) if char in "[{" else self._close(char, at))
            if self.closed:  # the list ended: nothing after it is read
                break
        keep = self.record[0] if self.record is not None else self.pos
        self.buf = self.buf[keep:]
        if self.record is not None:
            self.record = (0, self.record[1])
        self.pos -= keep

    def _string(self, buf: str, start: int, end: int) -> Iterator[Piece]:
        depth = len(self.stack)
        if self.key is not None and depth == 1 and self.stack[0] == "{":
            self.last_key = buf[start + 1 : end - 1]
        if self._in_list() and depth == self.target and self.record is None:
            yield Piece(self.line, self.line, problem="a string where a record should be")

    def _open(self, char: str, at: int) -> Iterator[Piece]:
        depth = len(self.stack)
        if not self.found:
            if self.key is None and depth == 0 and char == "[":
                self.found = True
            elif self.key is not None and depth == 1 and char == "[" and self.stack[0] == "{" and self.last_key == self.key:
                self.found = True
        elif self._in_list() and depth == self.target and self.record is None:
            self.record = (at, self.line)
        self.stack.append(char)
        return iter(())

    def _close(self, char: str, at: int) -> Iterator[Piece]:
        if not self.stack or self.stack[-1] != _CLOSE[char]:
            if self.record is not None:  # a broken record: drop it, carry on after it
                start = self.record[1]
                del self.stack[self.target :]
                self.record = None
                yield Piece(start, self.line, problem=f"brackets do not match (a stray {char!r} on line {self.line})")
            elif self._in_list():
                yield Piece(self.line, self.line, problem=f"a stray {char!r} between records")
            return
        self.stack.pop()
        depth = len(self.stack)
        if self.record is not None and depth == self.target:
            offset, start = self.record
            self.record = None
            yield self._parse(self.buf[offset : at + 1], start)
        elif self.found and depth == self.target - 1:
            self.closed = True

    def _parse(self, text: str, start: int) -> Piece:
        try:
            return Piece(start, self.line, value=json.loads(text))
        except (ValueError, RecursionError) as err:
            reason = err.msg if isinstance(err, json.JSONDecodeError) else str(err) or type(err).__name__
            return Piece(start, self.line, problem=f"not valid JSON ({reason})")

    def finish(self) -> Iterator[Piece]:
        if not self.found:
            yield Piece(self.line, self.line, problem="no list of records", found=False)
        elif self.record is not None:
            yield Piece(self.record[1], self.line, problem="the file ends inside this record — it looks truncated; export it again to get the rest")
        elif not self.closed:
            yield Piece(self.line, self.line, problem="the file ends before its list of records closes — it looks truncated; export it again")


def records(chunks: Iterable[str], key: str | None = None) -> Iterator[Piece]:
    """The records of the first top-level JSON list in ``chunks`` (with ``key``: of the list under
    that key of a top-level object), in order, then a problem :class:`Piece` if the file ends
    early or holds no such list. Text before the list (a ``window.YTD… =`` prefix) is ignored.
    """
    scan = _Scan(key)
    for chunk in chunks:
        yield from scan.feed(chunk)
        if scan.closed:
            return
    yield from scan.finish()
