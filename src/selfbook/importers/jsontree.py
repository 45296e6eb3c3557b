"""Stream the nodes of a JSON tree out of a file, each with the lines it spans.

Browsers keep bookmarks as one JSON tree: folders hold ``"children": [...]`` lists of bookmarks
and folders (Chrome's ``Bookmarks``, Firefox's backups), and Linkwarden's export nests
``"collections": [{…, "links": [...]}]``. :func:`nodes` reads brackets and strings with
:class:`.jsonscan.Tokens`, as :func:`.jsonscan.records` does, without parsing the whole file:
the top-level object is the root node, and every object directly inside a *child container* (a list or object under one of
``child_keys`` of a node) is a node too. Each node is parsed alone by :func:`json.loads` with
its child containers emptied (``"children": []``), and comes out when it closes, so a folder
comes after its contents (post-order); ``parents`` names the nodes around it. When a node's first
child container opens, a *head* node with the fields written before it comes out too: Firefox
and Linkwarden write a folder's title before its contents, so a reader can file them at once
(Chrome writes ``"children"`` first, sorted by key, so its folders are named only at the end).

Memory stays at the open nodes' own fields plus a chunk, however many bookmarks the file holds.
Brackets that do not match end the scan there with a problem :class:`Node`: the tree's shape
after that point cannot be trusted, so nothing after it is guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from .jsonscan import Tokens

__all__ = ["Node", "nodes"]

_BETWEEN_KEY_AND_VALUE = re.compile(r"\s*:\s*$")
_CLOSE = {"]": "[", "}": "{"}


@dataclass(frozen=True)
class Node:
    """One node (``value``: its own fields, a dict or another JSON value) at lines ``start``–``end``,
    or a ``problem`` found there. ``id`` numbers nodes in the order they open (the root is 0);
    ``parents`` are the ids of the nodes around it, outermost first; ``key`` is the key it sits
    under when its container is an object (Chrome's ``"bookmark_bar"``), else ``""``.
    ``found`` is False when the file held no JSON object at all. ``head`` marks the early view of
    a node whose first child container just opened: ``value`` holds the fields before it."""

    start: int
    end: int
    id: int = -1
    parents: tuple[int, ...] = ()
    key: str = ""
    value: object = None
    problem: str = ""
    found: bool = True
    head: bool = False


@dataclass
class _Frame:
    kind: str  # "{" or "["
    role: str  # "node", "container" or "plain"
    line: int = 0
    id: int = -1
    parents: tuple[int, ...] = ()
    key: str = ""
    parts: list[str] = field(default_factory=list)  # a node's own text collected so far
    mark: int | None = None  # where in the buffer its own text resumes (None: inside a container)
    last_string: tuple[str, int] = ("", -1)  # the last string directly inside, and where it ended


class _Scan(Tokens):
    def __init__(self, child_keys: frozenset[str]) -> None:
        super().__init__()
        self.child_keys = child_keys
        self.stack: list[_Frame] = []
        self.next_id = 0
        self.found = False
        self.done = False

    def feed(self, text: str) -> Iterator[Node]:
        for char, at, end in self.tokens(text):
            if char == '"':
                if self.stack:
                    self.stack[-1].last_string = (self.buf[at + 1 : end - 1], end)
            elif char in "[{":
                yield from self._open(char, at)
            else:
                yield from self._close(char, at)
            if self.done:  # the root closed, or its brackets stopped matching: nothing more is read
                break
        self._trim()

    def _trim(self) -> None:
        """Drop the buffer before anything still needed: the open node's own text, or a cut string."""
        node = next((f for f in reversed(self.stack) if f.role != "plain"), None)
        top = self.stack[-1] if self.stack else None
        keep = self.pos
        if node is not None and node.role == "node" and node.mark is not None:
            keep = min(keep, node.mark)
        if top is not None and top.last_string[1] >= 0:
            keep = min(keep, top.last_string[1])  # the text between a key and its value is read at the value
        if node is not None and node.role == "node" and node.mark is not None:
            node.mark -= keep
        if top is not None and top.last_string[1] >= 0:
            top.last_string = (top.last_string[0], top.last_string[1] - keep)
        self.buf = self.buf[keep:]
        self.pos -= keep

    def _key_of(self, frame: _Frame, at: int) -> str:
        """The key an opening bracket at ``at`` is the value of (``""`` when none is right before it)."""
        text, end = frame.last_string
        if end < 0 or not _BETWEEN_KEY_AND_VALUE.match(self.buf, end, at):
            return ""
        return text

    def _open(self, char: str, at: int) -> Iterator[Node]:
        if not self.stack:
            if char == "{" and not self.found:
                self.found = True
                self.stack.append(self._node(at, ""))
            else:
                self.stack.append(_Frame(char, "plain"))
            return
        top = self.stack[-1]
        if top.role == "container":
            key = self._key_of(top, at) if top.kind == "{" else ""
            self.stack.append(self._node(at, key) if char == "{" else _Frame(char, "plain", self.line))
        elif top.role == "node" and self._key_of(top, at) in self.child_keys:
            if not top.parts:
                yield from self._head(top, self.buf[top.mark : at] + ("[]}" if char == "[" else "{}}"))
            top.parts.append(self.buf[top.mark : at + 1])
            top.mark = None
            self.stack.append(_Frame(char, "container", self.line, top.id))
        else:
            self.stack.append(_Frame(char, "plain", self.line))

    def _node(self, at: int, key: str) -> _Frame:
        nodes = [f.id for f in self.stack if f.role == "node"]
        frame = _Frame("{", "node", self.line, self.next_id, tuple(nodes), key, mark=at)
        self.next_id += 1
        return frame

    def _close(self, char: str, at: int) -> Iterator[Node]:
        if not self.stack or self.stack[-1].kind != _CLOSE[char]:
            if any(f.role == "node" for f in self.stack):
                self.done = True
                yield Node(self.line, self.line, problem=f"brackets do not match (a stray {char!r} on line {self.line}); the rest of the file is not read")
            return
        frame = self.stack.pop()
        if self.stack:
            self.stack[-1].last_string = ("", -1)  # a value ended: what came before it is no key for what follows
        if frame.role == "container":
            self.stack[-1].mark = at
        elif frame.role == "plain" and self.stack and self.stack[-1].role == "container":
            yield Node(frame.line, self.line, problem=f"a JSON {'list' if frame.kind == '[' else 'object'} where a bookmark or folder should be")
        elif frame.role == "node":
            yield self._parse(frame, "".join(frame.parts) + self.buf[frame.mark : at + 1])
            if not self.stack:
                self.done = True

    def _head(self, frame: _Frame, text: str) -> Iterator[Node]:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return  # the node's own parse, when it closes, reports the problem
        yield Node(frame.line, self.line, frame.id, frame.parents, frame.key, value=value, head=True)

    def _parse(self, frame: _Frame, text: str) -> Node:
        where = dict(start=frame.line, end=self.line, id=frame.id, parents=frame.parents, key=frame.key)
        try:
            return Node(**where, value=json.loads(text))
        except (ValueError, RecursionError) as err:
            reason = err.msg if isinstance(err, json.JSONDecodeError) else str(err) or type(err).__name__
            return Node(**where, problem=f"not valid JSON ({reason})")

    def finish(self) -> Iterator[Node]:
        if not self.found:
            yield Node(self.line, self.line, problem="no JSON object", found=False)
        elif not self.done:
            open_node = next((f for f in reversed(self.stack) if f.role == "node"), None)
            start = open_node.line if open_node else self.line
            yield Node(start, self.line, problem="the file ends before its JSON closes — it looks truncated; export it again to get the rest")


def nodes(chunks: Iterable[str], child_keys: Iterable[str]) -> Iterator[Node]:
    """The nodes of the JSON tree in ``chunks`` in post-order (see the module docstring), then a
    problem :class:`Node` if the file ends early or holds no JSON object. Text before the
    top-level object is ignored."""
    scan = _Scan(frozenset(child_keys))
    for chunk in chunks:
        yield from scan.feed(chunk)
        if scan.done:
            return
    yield from scan.finish()
