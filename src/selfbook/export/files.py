"""Writing export files whole or not at all, and grouping entries by chapter and section."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import IO, Iterator, Sequence

from ..errors import SelfbookError
from ..reports import PlacedEntry

__all__ = ["ExportError", "atomic_text", "by_section"]


class ExportError(SelfbookError):
    """An export target that cannot be written as asked: the message says what to choose instead."""


@contextmanager
def atomic_text(target: Path) -> Iterator[IO[str]]:
    """A text file that replaces ``target`` only once it is completely written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def by_section(entries: Sequence[PlacedEntry]) -> Iterator[tuple[str, Iterator[tuple[str, list[PlacedEntry]]]]]:
    """``(chapter, [(section, entries)])`` in book order (the order ``Library.entries()`` gives)."""
    for (_, chapter), in_chapter in groupby(entries, key=lambda p: (p.chapter_id, p.chapter)):
        sections = groupby(in_chapter, key=lambda p: (p.section_id, p.section))
        yield chapter, ((section, list(members)) for (_, section), members in sections)
