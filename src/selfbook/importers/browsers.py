"""The bookmark files browsers keep on disk: Chrome's (and Chromium's, Edge's, Brave's)
``Bookmarks``, Firefox's bookmark backups (``.json`` and ``.jsonlz4``) and Safari's
``Bookmarks.plist``. Folders become the entry's ``headings`` (``("Bookmarks bar", "Research",
"LLMs")``); a browser's own top folders get the names its window shows.

- **Chrome** ``{"checksum", "roots": {"bookmark_bar" | "other" | "synced": folder}, "version"}``;
  a folder is ``{"type": "folder", "name", "children": [...]}``, a bookmark ``{"type": "url",
  "name", "url", "date_added"}`` (microseconds since 1601-01-01, as a string).
- **Firefox** ``{"guid": "root________", "children": [...]}``; ``typeCode`` 1 is a bookmark
  (``uri``, ``title``, ``dateAdded`` in microseconds since 1970, ``tags`` comma-separated, a
  description among its ``annos``), 2 a folder, 3 a separator. The tags root lists every tagged
  bookmark again under each tag: those copies are skipped (the bookmark carries its tags).
  ``.jsonlz4`` is the same JSON behind Mozilla's header (``mozLz40\\0``, the size as 4 bytes
  little-endian) and one LZ4 block, decompressed with the ``lz4`` package.
- **Safari** ``Bookmarks.plist``, binary or XML, read whole with :mod:`plistlib`:
  ``WebBookmarkTypeList`` folders (``Title``, ``Children``) and ``WebBookmarkTypeLeaf``
  bookmarks (``URLString``, ``URIDictionary.title``). The Reading List
  (``com.apple.ReadingList``) keeps each item's ``PreviewText`` as its note and ``DateAdded`` as
  its date.

Positions: a Chrome or Firefox bookmark's span is the lines of its JSON object (found by
:mod:`.jsontree`, which streams the file). Firefox writes its backups on one line, and a
``.jsonlz4`` is decompressed whole, so their spans are line 1 of the (decompressed) JSON. A plist
has no lines a reader could use (binary) or that :mod:`plistlib` reports (XML): every Safari
entry's span is line 1, and the folder path in ``headings`` says where it was.

Anything that is not a web link (``javascript:`` bookmarklets, ``place:`` queries, ``data:``
URLs, separators, Safari's History placeholder) is a :class:`~selfbook.models.Skip` with its
reason.
"""

from __future__ import annotations

import plistlib
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError
from ..models import RawEntry, Skip, Span
from .base import Item, Progress, TextChunks, binary_chunks, check_file, epoch_date, iso_date, make_entry, one_line, tag_list, web_urls
from .jsontree import Node, nodes

__all__ = ["Folder", "read_chrome", "read_firefox", "read_safari", "tree_items"]

CHROME_EPOCH_OFFSET_US = 11_644_473_600_000_000  # 1601-01-01 to 1970-01-01, in microseconds
MOZLZ4_MAGIC = b"mozLz40\0"
LZ4_MAX_RATIO = 255  # an LZ4 block expands at most ~255 times: a larger declared size is damage

CHROME_ROOTS = {"bookmark_bar": "Bookmarks bar", "other": "Other bookmarks", "synced": "Mobile bookmarks"}
FIREFOX_ROOTS = {
    "bookmarksMenuFolder": "Bookmarks Menu", "toolbarFolder": "Bookmarks Toolbar",
    "unfiledBookmarksFolder": "Other Bookmarks", "mobileFolder": "Mobile Bookmarks", "tagsFolder": "Tags",
}
SAFARI_LISTS = {"BookmarksBar": "Favorites", "BookmarksMenu": "Bookmarks Menu", "com.apple.ReadingList": "Reading List"}


@dataclass(frozen=True)
class Folder:
    """What a tree node that is a folder contributes: its name, or (``skip``) a reason to skip
    every bookmark inside it."""

    name: str
    skip: str = ""


_NOT_A_FOLDER = Folder("")
Classify = Callable[[dict, Span, Node], "Folder | Item | None"]


def tree_items(pieces: Iterable[Node], shown: str, what: str, hint: str, classify: Classify) -> Iterator[Item]:
    """Entries and skips from the nodes of a bookmark tree (:func:`.jsontree.nodes`), in file
    order, each entry with its folder path as headings. ``classify(fields, span, node)`` makes a
    node a :class:`Folder`, an entry (its headings are filled in here), a Skip, or None (the root);
    for a head node (``node.head``) only a Folder counts, naming the folder early.

    An entry waits until every folder around it is named: at once where the format writes a
    folder's name before its contents (Firefox, Linkwarden), at the folder's end where it writes
    it after them (Chrome). The root (node 0) never names one.
    """
    named: dict[int, Folder] = {}  # open folders named early, by their head
    closed: dict[int, Folder] = {}
    waiting: deque[tuple[tuple[int, ...], Item]] = deque()
    for node in pieces:
        if not node.found:
            raise InputError(shown, f"holds no {what}", hint, line=node.start)
        span = Span(shown, node.start, node.end)
        if node.head:
            early = classify(node.value, span, node) if isinstance(node.value, dict) else None
            if isinstance(early, Folder):
                named[node.id] = early
        else:
            if node.problem:
                result: Folder | Item | None = Skip(span, node.problem)
            elif not isinstance(node.value, dict):
                result = Skip(span, f"a JSON {type(node.value).__name__} where a bookmark or folder should be")
            else:
                result = classify(node.value, span, node)
            if node.id >= 0:  # a node holding others is a folder; one that is not names no folder
                named.pop(node.id, None)
                closed[node.id] = result if isinstance(result, Folder) else _NOT_A_FOLDER
            if result is not None and not isinstance(result, Folder):
                waiting.append((node.parents[1:], result))
        folders = _Folders(named, closed)
        while waiting and all(p in folders for p in waiting[0][0]):
            yield _filed(*waiting.popleft(), folders)
        if not waiting:  # nodes close after everything inside them: no later node is in a closed folder
            closed.clear()
    folders = _Folders(named, closed)
    for parents, item in waiting:  # a truncated file: folders that never closed may have no name
        yield _filed(tuple(p for p in parents if p in folders), item, folders)


class _Folders:
    """The folders known so far: those named early and those closed."""

    def __init__(self, named: dict[int, Folder], closed: dict[int, Folder]) -> None:
        self.named, self.closed = named, closed

    def __contains__(self, id: int) -> bool:
        return id in self.closed or id in self.named

    def __getitem__(self, id: int) -> Folder:
        return self.closed[id] if id in self.closed else self.named[id]


def _filed(parents: tuple[int, ...], item: Item, folders: _Folders) -> Item:
    if not isinstance(item, RawEntry):
        return item
    skip = next((folders[p].skip for p in parents if folders[p].skip), "")
    if skip:
        return Skip(item.source, skip)
    headings = tuple(h for h in (one_line(folders[p].name) for p in parents) if h)
    return replace(item, headings=headings)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _not_web(span: Span, url: str) -> Skip:
    if not url.strip():
        return Skip(span, "a bookmark with no URL")
    scheme = url.split(":", 1)[0].strip()[:20] if ":" in url else ""
    return Skip(span, f"not a web link ({scheme}:…)" if scheme else f"not a web link ({url.strip()[:20]!r})")


# -- Chrome -----------------------------------------------------------------------------------------


def _chrome_date(value: object):
    try:
        micros = int(str(value).strip())
    except ValueError:
        return None
    return epoch_date(micros - CHROME_EPOCH_OFFSET_US) if micros > CHROME_EPOCH_OFFSET_US else None


def _chrome(fields: dict, span: Span, node: Node) -> Folder | Item | None:
    if node.id == 0 or (node.head and "name" not in fields):  # Chrome writes a folder's name after its contents
        return None
    kind = fields.get("type")
    if kind == "folder" or (kind is None and "children" in fields):
        return Folder(_text(fields.get("name")) or CHROME_ROOTS.get(node.key, ""))
    if kind != "url":
        return Skip(span, f"a node of type {str(kind)[:20]!r}, neither a bookmark nor a folder")
    url = _text(fields.get("url"))
    urls = web_urls(url)
    if not urls:
        return _not_web(span, url)
    return make_entry(span, title=_text(fields.get("name")) or None, urls=urls, date=_chrome_date(fields.get("date_added")))


def read_chrome(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Chrome's, Chromium's, Edge's or Brave's ``Bookmarks`` file (in the browser's profile folder)."""
    hint = "use the Bookmarks file from the browser's profile folder (e.g. ~/.config/google-chrome/Default/Bookmarks)"
    return tree_items(nodes(TextChunks(path, shown, progress), ("roots", "children")), shown, "bookmark tree (a JSON object)", hint, _chrome)


# -- Firefox ----------------------------------------------------------------------------------------


def _firefox_note(annos: object) -> str:
    if not isinstance(annos, list):
        return ""
    for anno in annos:
        if isinstance(anno, dict) and anno.get("name") == "bookmarkProperties/description":
            return _text(anno.get("value"))
    return ""


def _firefox(fields: dict, span: Span, node: Node) -> Folder | Item | None:
    if node.id == 0:
        return None
    code, kind = fields.get("typeCode"), _text(fields.get("type"))
    if code == 2 or kind == "text/x-moz-place-container":
        root = _text(fields.get("root"))
        skip = "a tag's listing of a bookmark (the bookmark itself carries the tag)" if root == "tagsFolder" else ""
        return Folder(FIREFOX_ROOTS.get(root) or _text(fields.get("title")), skip)
    if code == 3 or kind == "text/x-moz-place-separator":
        return Skip(span, "a separator")
    if code != 1 and kind != "text/x-moz-place":
        return Skip(span, f"a node of type {str(code if code is not None else kind)[:30]!r}, neither a bookmark nor a folder")
    url = _text(fields.get("uri"))
    urls = web_urls(url)
    if not urls:
        return _not_web(span, url)
    return make_entry(
        span, title=_text(fields.get("title")) or None, urls=urls, note=_firefox_note(fields.get("annos")),
        date=epoch_date(fields.get("dateAdded")), tags=tag_list(_text(fields.get("tags"))),
    )


def _mozlz4_text(path: Path, shown: str, progress: Progress | None) -> Iterator[str]:
    """The JSON of a ``.jsonlz4`` backup, decompressed whole (an LZ4 block cannot be streamed)."""
    data = b"".join(binary_chunks(path, shown, progress))
    if not data.startswith(MOZLZ4_MAGIC) or len(data) < len(MOZLZ4_MAGIC) + 4:
        raise InputError(shown, "is not a Firefox .jsonlz4 backup (no mozLz40 header)", "use a file from the profile's bookmarkbackups folder", line=1)
    size = int.from_bytes(data[8:12], "little")
    if size > LZ4_MAX_RATIO * (len(data) - 12) + 64:
        raise InputError(shown, f"is a damaged .jsonlz4 backup (it claims {size:,} bytes from {len(data) - 12:,})", "use another file from the profile's bookmarkbackups folder", line=1)
    try:
        import lz4.block  # deferred: only .jsonlz4 backups need it
    except ImportError:
        raise InputError(shown, "is a Firefox .jsonlz4 backup, which needs the lz4 package", "pip install lz4 (or export the bookmarks as JSON: Firefox → Bookmarks → Manage → Backup…)") from None
    try:
        raw = lz4.block.decompress(data[8:])
    except (lz4.block.LZ4BlockError, ValueError, MemoryError) as err:
        raise InputError(shown, f"is a damaged .jsonlz4 backup ({err})", "use another file from the profile's bookmarkbackups folder", line=1) from None
    del data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(shown, "holds JSON that is not valid UTF-8 once decompressed", "use another file from the profile's bookmarkbackups folder", line=1) from None
    del raw
    for at in range(0, len(text), 1 << 16):
        yield text[at : at + (1 << 16)]


def _firefox_chunks(path: Path, shown: str, progress: Progress | None) -> Iterator[str]:
    check_file(path, shown)
    with open(path, "rb") as fh:
        lz4 = fh.read(len(MOZLZ4_MAGIC)) == MOZLZ4_MAGIC
    yield from (_mozlz4_text if lz4 else TextChunks)(path, shown, progress)


def read_firefox(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """A Firefox bookmark backup: ``bookmarks-DATE.json`` or the profile's ``bookmarkbackups/*.jsonlz4``."""
    hint = "use a backup from Firefox (Bookmarks → Manage bookmarks → Import and Backup → Backup…) or the profile's bookmarkbackups folder"
    return tree_items(nodes(_firefox_chunks(path, shown, progress), ("children",)), shown, "bookmark tree (a JSON object)", hint, _firefox)


# -- Safari -----------------------------------------------------------------------------------------


def read_safari(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Safari's ``~/Library/Safari/Bookmarks.plist`` (binary or XML), Reading List included."""
    data = b"".join(binary_chunks(path, shown, progress))
    try:
        root = plistlib.loads(data)
    except Exception as err:  # plistlib raises many types on damaged input (ValueError, ExpatError, IndexError, OverflowError…)
        raise InputError(shown, f"is not a readable property list ({type(err).__name__}: {str(err)[:80]})", "copy ~/Library/Safari/Bookmarks.plist again", line=1) from None
    if not isinstance(root, dict) or root.get("WebBookmarkType") != "WebBookmarkTypeList":
        raise InputError(shown, "is a property list but not Safari's bookmarks (no WebBookmarkTypeList at its root)", "use ~/Library/Safari/Bookmarks.plist", line=1)
    return _safari_items(root, Span(shown, 1, 1))


def _safari_items(root: dict, span: Span) -> Iterator[Item]:
    stack: list[tuple[object, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, folders = stack.pop()
        if not isinstance(node, dict):
            yield Skip(span, f"a {type(node).__name__} where a bookmark or folder should be")
            continue
        kind, title = node.get("WebBookmarkType"), _text(node.get("Title"))
        if kind == "WebBookmarkTypeList":
            inside = folders if node is root else (*folders, SAFARI_LISTS.get(title, title))
            children = node.get("Children")
            stack.extend((child, inside) for child in reversed(children if isinstance(children, list) else []))
        elif kind == "WebBookmarkTypeLeaf":
            yield _safari_leaf(node, span, folders)
        elif kind == "WebBookmarkTypeProxy":
            yield Skip(span, f"Safari's {title or 'History'!r} placeholder, not a bookmark")
        else:
            yield Skip(span, f"a node of type {str(kind)[:30]!r}, neither a bookmark nor a folder")


def _safari_leaf(node: dict, span: Span, folders: tuple[str, ...]) -> Item:
    url = _text(node.get("URLString"))
    urls = web_urls(url)
    if not urls:
        return _not_web(span, url)
    names = node.get("URIDictionary") if isinstance(node.get("URIDictionary"), dict) else {}
    reading = node.get("ReadingList") if isinstance(node.get("ReadingList"), dict) else {}
    return make_entry(
        span, title=_text(names.get("title")) or _text(node.get("Title")) or None, urls=urls, headings=folders,
        note=_text(reading.get("PreviewText")), date=iso_date(reading.get("DateAdded")),
    )
