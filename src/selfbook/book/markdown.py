"""Markdown text from notes: escaping, links, anchors and file names (the pieces every page uses).

Escaping
--------
All text that comes from notes goes through :func:`escape_markdown`, which neutralises what a
renderer would act on and nothing else, so ordinary text stays readable in the raw file. Text
with nothing to neutralise (most of it) takes a fast path with the same result; so do link
targets and URLs with nothing to percent-encode.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.parse
from collections.abc import Sequence

import regex

from selfbook.models import Chapter
from selfbook.text import words

__all__ = [
    "chapter_filename", "count_label", "destination", "domain", "entry_anchor", "escape_markdown", "link", "link_line",
    "page", "section_anchor", "short_title",
]

SLUG_MAX = 60
SHORT_TITLE_MAX = 60
LINKABLE_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "mailto"})


# -- escaping ------------------------------------------------------------------------------------

# Inline characters a renderer acts on: a backslash that would escape what follows it, code spans,
# emphasis, strikethrough, math ($), link and wikilink brackets, underscores at a word edge,
# the start of an HTML tag or autolink, and an ampersand that starts an entity reference.
_INLINE = regex.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)"
    r"|[`*~$\[\]]"
    r"|(?<![\p{L}\p{M}\p{N}])_|_(?![\p{L}\p{N}])"
    r"|<"
    r"|&(?=#?[\p{L}\p{N}]+;)"
)
# Block syntax at the start of a line: headings, quotes, list markers, breaks, setext underlines,
# tables; and ordered-list markers such as "1." or "2)".
_LEAD_CHAR = regex.compile(r"^[#>\-+=|]")
_LEAD_NUMBER = regex.compile(r"^(\d{1,9})([.)])(?=\s|$)")
# Control characters that are not whitespace to str.split, and bidi overrides: they could hide or
# reorder text. Joiners (U+200C, U+200D) stay: Kannada needs them.
_INVISIBLE = regex.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Every character escape_markdown may drop or escape wherever it stands (a fast first look).
_MAYBE_MARKUP = re.compile(r"[\\`*~$\[\]_<&\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# A heading's closing sequence: "#" characters after a space at the end of the line.
_TRAILING_HASH = regex.compile(r"(?<=\s)(#+)$")


def _escape_inline(match: regex.Match[str]) -> str:
    char = match.group()
    if char == "<":
        return "&lt;"
    if char == "&":
        return "&amp;"
    return "\\" + char


def escape_markdown(text: str) -> str:
    """Make text from a note safe to drop into a page: it shows as typed and cannot add structure.

    Whitespace (newlines included) collapses to single spaces, so the result is one line; callers
    that keep a note's lines call this once per line. Escaped: ``<`` (as ``&lt;``, so no tag,
    comment or autolink can form), ``&`` only where it would start an entity, backslashes only
    where they would escape something, `` ` * ~ $ [ ]`` always (code, emphasis, strikethrough,
    math, links, images, wikilinks, footnotes), ``_`` only at a word edge (``snake_case`` stays),
    a leading ``# > - + = |`` or ``1.`` (headings, quotes, lists, breaks, tables) and a trailing
    ``#`` run. ``>`` elsewhere, ``->`` included, is left alone: without ``<`` it means nothing.
    Control characters and bidi overrides are dropped.

    >>> escape_markdown("<script>alert(1)</script> & [x](javascript:y)")
    '&lt;script>alert(1)&lt;/script> & \\\\[x\\\\](javascript:y)'
    """
    if not _MAYBE_MARKUP.search(text):  # the common case, at a fraction of the cost (same result)
        line = " ".join(text.split())
        if not line or not (line[0] in "#>-+=|" or line[0].isnumeric() or line[-1] == "#"):
            return line
    return _escape(text)


def _escape(text: str) -> str:
    """:func:`escape_markdown` without its fast path."""
    line = " ".join(_INVISIBLE.sub("", text).split())
    line = _INLINE.sub(_escape_inline, line)
    line = _LEAD_NUMBER.sub(r"\1\\\2", line)
    if _LEAD_CHAR.match(line):
        line = "\\" + line
    return _TRAILING_HASH.sub(lambda m: "\\" + m.group(1), line)


# -- names and anchors ---------------------------------------------------------------------------

_ANCHOR_SAFE = regex.compile(r"^[A-Za-z0-9_-]+$")
_INNER_PUNCT = regex.compile(r"['’]")
_JOINERS = regex.compile(r"[-.+]+")


def _anchor_id(prefix: str, ident: str) -> str:
    if _ANCHOR_SAFE.match(ident):
        return f"{prefix}-{ident}"
    return f"{prefix}-{hashlib.sha1(ident.encode('utf-8')).hexdigest()[:12]}"


def entry_anchor(entry_id: str) -> str:
    """The HTML id of an entry in its chapter file: ``e-<id>`` (ids that are not [A-Za-z0-9_-]
    are replaced by a short hash of themselves, so the anchor is always a plain fragment)."""
    return _anchor_id("e", entry_id)


def section_anchor(section_id: str) -> str:
    """The HTML id written before a section heading: ``s-<section id>``. Links use it rather than
    the heading's slug, so they survive a section being renamed."""
    return _anchor_id("s", section_id)


def _slug_word(word: str) -> str:
    word = _INNER_PUNCT.sub("", word)
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )
    if folded.isascii():
        word = folded.lower()
    else:  # Kannada and other scripts keep their letters and marks, NFC as written
        word = unicodedata.normalize("NFC", word).lower()
    return _JOINERS.sub("-", word).strip("-")


def _slug(title: str) -> str:
    parts = [p for p in (_slug_word(w) for w in words(title)) if p]
    slug = ""
    for part in parts:
        candidate = f"{slug}-{part}" if slug else part
        if len(candidate) > SLUG_MAX and slug:
            break
        slug = candidate[:SLUG_MAX].strip("-")
    return slug or "chapter"


def chapter_filename(index: int, chapter: Chapter) -> str:
    """The file of the chapter numbered ``index`` (1-based): ``01-machine-learning-ai.md``.

    The slug lower-cases Latin letters and folds their accents to ASCII, keeps Kannada and other
    scripts' letters with their vowel signs, drops punctuation, and joins words with hyphens.
    """
    if index < 1:
        raise ValueError(f"chapter numbers start at 1, got {index}")
    return f"{index:02d}-{_slug(chapter.title)}.md"


# -- small pieces of markdown --------------------------------------------------------------------


def page(blocks: Sequence[str]) -> str:
    """A page's text: the blocks separated by one blank line (empty ones left out), ``\\n``
    endings, exactly one trailing newline."""
    return "\n\n".join(b.rstrip("\n") for b in blocks if b) + "\n"


def count_label(n: int, one: str, many: str) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{n} {one if n == 1 else many}"


def short_title(title: str, limit: int = SHORT_TITLE_MAX) -> str:
    """A title cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(title.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—–-") + "…"


_UNSAFE_DESTINATION = re.compile(r"[ ()<>\\]")
_UNSAFE_AUTOLINK = re.compile(r"[ <>]")


def destination(target: str) -> str:
    """A link destination that survives spaces, parentheses and angle brackets.

    Only those (and control characters) are percent-encoded: Kannada file names stay readable in
    the raw file, and GitHub, Obsidian and VS Code all follow links written with them.
    """
    if target.isascii() and target.isprintable() and not _UNSAFE_DESTINATION.search(target):
        return target  # nothing to encode (the common case)
    return _encoded(target, " ()<>\\")


def _encoded(text: str, unsafe: str) -> str:
    """``text`` with the ``unsafe`` characters and control characters percent-encoded."""
    return "".join(urllib.parse.quote(ch) if ch in unsafe or unicodedata.category(ch).startswith("C") else ch for ch in text)


def link(text: str, target: str) -> str:
    """``[text](target)`` with the text escaped and the target made safe."""
    return f"[{escape_markdown(text)}]({destination(target)})"


def _split(url: str) -> urllib.parse.SplitResult | None:
    try:
        return urllib.parse.urlsplit(url.strip())
    except ValueError:  # such as an unbalanced "[" in the host
        return None


def _autolink(url: str, parts: urllib.parse.SplitResult | None) -> str:
    """``<url>`` for a web link; plain escaped text for anything else (``javascript:`` included).
    ``parts``: the URL as :func:`_split` parsed it."""
    if parts is None or parts.scheme.lower() not in LINKABLE_SCHEMES:
        return escape_markdown(url)
    url = url.strip()
    if url.isascii() and url.isprintable() and not _UNSAFE_AUTOLINK.search(url):
        return f"<{url}>"  # nothing to encode (the common case)
    return f"<{_encoded(url, ' <>')}>"


def link_line(url: str) -> str:
    """``domain — <url>``, or the link alone when it names no host (the URL is parsed once)."""
    parts = _split(url)
    domain, linked = _host(parts), _autolink(url, parts)
    return f"{escape_markdown(domain)} — {linked}" if domain else linked


def domain(url: str) -> str:
    return _host(_split(url))


def _host(parts: urllib.parse.SplitResult | None) -> str:
    try:
        host = parts.hostname if parts else None
    except ValueError:
        host = None
    return (host or "").lower().removeprefix("www.")
