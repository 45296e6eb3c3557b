"""Inline markdown taken out of a dump's text: a title loses its links (they become their text),
URLs, emphasis and code marks; a note keeps its words with links turned into their text. Used for
headings (:mod:`.scan`) and entries (:mod:`.entries`)."""

from __future__ import annotations

import html

import regex

from .links import AUTOLINK, MD_LINK, SEPARATORS, strip_urls

__all__ = ["SPACES", "clean_note", "clean_title"]

_DUNDER = regex.compile(r"(?<![\p{L}\p{N}_])__([^_]+)__(?![\p{L}\p{N}_])")
_EMPTY_BRACKETS = regex.compile(r"\(\s*\)|\[\s*\]|<\s*>")
SPACES = regex.compile(r"[ \t]{2,}")


def clean_note(text: str) -> str:
    """Markdown links become their text; autolinks their URL; HTML entities (``&amp;``) their character."""
    return html.unescape(AUTOLINK.sub(lambda m: m[1], MD_LINK.sub(lambda m: m["text"], text)))


def _unbold(match: regex.Match[str]) -> str:
    """``__two words__`` → "two words"; ``__init__`` (one identifier) stays as written."""
    inner = match[1]
    if inner != inner.strip() or regex.fullmatch(r"\w+", inner):
        return match[0]
    return inner


def clean_title(text: str) -> str:
    """Links become their text, URLs go, ``**``/``__``/backticks go, separators at the end go."""
    text = strip_urls(MD_LINK.sub(lambda m: m["text"], text))
    text = _DUNDER.sub(_unbold, text.replace("**", "").replace("`", ""))
    text = SPACES.sub(" ", _EMPTY_BRACKETS.sub("", html.unescape(text)))
    return text.strip().rstrip(SEPARATORS)
