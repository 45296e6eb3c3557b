"""The book as a browser bookmark file (Netscape format: Chrome, Firefox, Safari and Edge import it).

Chapters and sections become folders; each entry a bookmark: its first link as ``HREF``, its
title as the text, its date as ``ADD_DATE``, its tags as ``TAGS``, and a ``<DD>`` description
holding its note and, each on its own line, its other links (which
:func:`selfbook.importers.read_source` reads back as links, not note).
"""

from __future__ import annotations

import calendar
from html import escape
from pathlib import Path
from typing import Sequence

from ..reports import PlacedEntry
from .files import atomic_text, by_section

__all__ = ["write_netscape"]

HEADER = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
"""


def _bookmark(placed: PlacedEntry, indent: str) -> str:
    e = placed.entry
    attrs = [f'HREF="{escape(e.urls[0])}"']
    if e.date is not None:
        attrs.append(f'ADD_DATE="{calendar.timegm(e.date.start.timetuple())}"')
    if e.tags:
        attrs.append(f'TAGS="{escape(",".join(e.tags))}"')
    line = f"{indent}<DT><A {' '.join(attrs)}>{escape(e.title, quote=False)}</A>\n"
    description = "\n".join(x for x in (e.note, *e.urls[1:]) if x)
    if description:
        line += f"{indent}<DD>{escape(description, quote=False)}\n"
    return line


def write_netscape(entries: Sequence[PlacedEntry], out: Path, *, title: str, related=None) -> int:
    """Write a bookmark file; returns the number of bookmarks."""
    with atomic_text(out) as fh:
        fh.write(HEADER)
        for chapter, sections in by_section(entries):
            fh.write(f"    <DT><H3>{escape(chapter, quote=False)}</H3>\n    <DL><p>\n")
            for section, members in sections:
                fh.write(f"        <DT><H3>{escape(section, quote=False)}</H3>\n        <DL><p>\n")
                fh.writelines(_bookmark(p, " " * 12) for p in members)
                fh.write("        </DL><p>\n")
            fh.write("    </DL><p>\n")
        fh.write("</DL><p>\n")
    return len(entries)
