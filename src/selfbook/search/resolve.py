"""Finding what a person or an agent named: an entry by its id or the start of one; a chapter or
a section by its id, its title, or words of its title. One rule for the CLI, curation, search
filters and MCP; each caller words its own error when nothing, or too much, is found.

- **An entry**: the one whose id is the text; failing that, every entry whose id starts with it
  (when it has at least ``shortest`` characters).
- **A chapter or a section**: every one whose id or title is the text (any case); failing that,
  every one whose title holds the text's words in a row ("learning" finds "Machine Learning &
  AI"; "ai" does not find "Sustainable farming").
"""

from __future__ import annotations

from typing import Iterable

from ..text import words


def entries_named(ids: Iterable[str], text: str, *, shortest: int = 1) -> list[str]:
    """The ids ``text`` names, in the order given: itself, or those it starts."""
    ids = list(ids)
    if text in ids:
        return [text]
    return [i for i in ids if i.startswith(text)] if len(text) >= max(shortest, 1) else []


def _phrase(text: str) -> list[str]:
    return [w.casefold() for w in words(text)]


def named(items: Iterable[tuple[str, str]], text: str) -> list[str]:
    """The ids of the ``(id, title)`` items that ``text`` names, in the order given."""
    items = list(items)
    wanted = text.strip().casefold()
    exact = [i for i, title in items if i.casefold() == wanted or title.casefold() == wanted]
    if exact:
        return exact
    phrase = _phrase(text)
    if not phrase:
        return []
    found = []
    for i, title in items:
        have = _phrase(title)
        if any(have[j : j + len(phrase)] == phrase for j in range(len(have) - len(phrase) + 1)):
            found.append(i)
    return found
