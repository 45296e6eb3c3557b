"""One note typed by hand (title, URL, note) as a small markdown dump that the reader parses back.

The dump is the same format as ``self.md``: a title line, the note on one line, then the URL on
its own line. Line breaks inside the note are folded into spaces and markdown markers at the start of
the title are dropped, so the text parses back as exactly one entry.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import regex

from ..errors import InputError
from ..text import WEB_URL

NOTES_DIR = "notes"
MAX_TITLE = 500
MAX_NOTE = 20_000

_URL = regex.compile(rf"{WEB_URL}\Z", regex.IGNORECASE)
_MARKERS = regex.compile(r"^(?:[#>*+\-]+|\d+[.)])\s*")
_SLUG_DROP = regex.compile(r"[^\p{L}\p{M}\p{N}]+")


def note_dump(title: str, url: str = "", note: str = "") -> str:
    """The markdown of one hand-typed entry; InputError when it would not make a sound entry."""
    where = "note"
    title = " ".join((title or "").split())
    title = _MARKERS.sub("", title).strip()
    url = (url or "").strip()
    note = " ".join((note or "").split())
    if not title and not url:
        raise InputError(where, "a note needs a title or a URL", "give at least one of them")
    if len(title) > MAX_TITLE:
        raise InputError(where, f"the title is {len(title)} characters long", f"keep it under {MAX_TITLE}")
    if len(note) > MAX_NOTE:
        raise InputError(where, f"the note is {len(note)} characters long", f"keep it under {MAX_NOTE}")
    if url and not _URL.match(url):
        raise InputError(where, f"{url!r} is not a web address", "give a full http:// or https:// URL, or none")
    lines = [line for line in (title, note, url) if line]
    return "\n".join(lines) + "\n"


def note_slug(text: str, width: int = 40) -> str:
    """A file-name slug of the title: letters and digits of any script, joined by hyphens."""
    slug = _SLUG_DROP.sub("-", text.lower()).strip("-")
    return slug[:width].strip("-") or "note"


def write_note(folder: Path, text: str, stamp: str, title: str) -> Path:
    """``text`` written whole (or not at all) as ``folder/<stamp>-<slug of title>.md``, or with
    ``-2``, ``-3``… before the suffix when that name is taken."""
    name = f"{stamp}-{note_slug(title)}"
    for k in itertools.count(1):
        path = folder / f"{name}{'' if k == 1 else f'-{k}'}.md"
        if not path.exists():
            break
    folder.mkdir(exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
