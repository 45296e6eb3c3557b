"""Obsidian vaults: a folder of markdown notes, read one note at a time.

Each note is read with selfbook's markdown reader (:func:`selfbook.ingest.parse_markdown`), and
its **link-bearing paragraphs and bullets** become entries; text without a link stays in the
vault. Every entry keeps:

- the note's path in its span (``vault/Reading/ML papers.md:12-14``) and as headings: the
  folders, the note's name, then the headings above the paragraph inside the note;
- the note's front-matter ``tags`` (and its ``#hashtags``) as tags;
- its ``[[wikilinks]]``, verbatim in the note text.

A note whose front matter names its link (``source``, ``url`` or ``urls``, as Obsidian's Web
Clipper and ``selfbook export --format obsidian`` write them) or a ``selfbook_id`` is one entry
as a whole: title from ``title`` (else the file name), note the body, date from ``date`` /
``created``; its headings are the folders only. A ``related`` list of wikilinks in front matter
is navigation, not content.

Folders starting with a dot (``.obsidian``, ``.trash``, ``.git``) are skipped. A note that
cannot be read (not UTF-8, broken front matter) is reported as a skip; the others import.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import regex
import yaml

from ..errors import InputError
from ..ingest import parse_markdown
from ..models import Skip, Span
from ..text import normalize
from .base import Item, Progress, iso_date, make_entry, tag_list, web_urls

__all__ = ["note_paths", "read_obsidian"]

_FRONT = regex.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", regex.DOTALL)
MAX_NOTE = 20_000_000


def note_paths(vault: Path) -> list[Path]:
    """The vault's ``.md`` notes in a stable order, outside dot-folders."""
    found: list[Path] = []
    for root, dirs, files in os.walk(vault):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if f.lower().endswith(".md") and not f.startswith("."))
    return found


def read_obsidian(path: Path, shown: str, progress: Progress | None = None) -> Iterator[Item]:
    """Every note of the vault at ``path``, file by file."""
    if not path.is_dir():
        raise InputError(shown, "is not a folder", "name the vault's folder (the one holding .obsidian)")
    notes = note_paths(path)
    if not notes:
        raise InputError(shown, "holds no markdown notes (.md files)", "name the vault's folder (the one holding .obsidian)")
    stage = f"read {path.name or shown}"
    for number, note in enumerate(notes, start=1):
        rel = note.relative_to(path)
        yield from _note(note, os.path.join(shown, *rel.parts), rel)
        if progress and (number % 200 == 0 or number == len(notes)):
            progress(stage, number, len(notes))


def _decode(note: Path, shown: str) -> str | Skip:
    try:
        if note.stat().st_size > MAX_NOTE:
            return Skip(Span(shown, 1, 1), "a note over 20 MB: not read")
        data = note.read_bytes()
    except OSError as err:
        return Skip(Span(shown, 1, 1), f"cannot be read ({err.strerror or err})")
    if b"\0" in data:
        return Skip(Span(shown, 1, 1), "a binary file named .md")
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return Skip(Span(shown, line, line), "not valid UTF-8 — re-save the note as UTF-8")
    return normalize(text.replace("\r\n", "\n").replace("\r", "\n"))


def _front_matter(text: str) -> tuple[dict, int, str]:
    """(front matter, lines it takes, body); a front matter that is not a mapping counts as none."""
    match = _FRONT.match(text)
    if match is None:
        return {}, 0, text
    try:
        meta = yaml.safe_load(match["yaml"])
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError("", "front matter is not valid YAML", "fix it or remove it", line=(mark.line + 2) if mark else 1) from None
    except (ValueError, TypeError, RecursionError) as err:  # e.g. "date: 2024-02-30"
        raise InputError("", f"front matter holds a value YAML cannot read ({err})", "fix it or remove it", line=1) from None
    return (meta if isinstance(meta, dict) else {}), match.group(0).count("\n"), text[match.end() :]


def _note(note: Path, shown: str, rel: Path) -> Iterator[Item]:
    text = _decode(note, shown)
    if isinstance(text, Skip):
        yield text
        return
    try:
        meta, skip_lines, body = _front_matter(text)
    except InputError as err:
        yield Skip(Span(shown, err.line or 1, err.line or 1), f"{err.problem} — {err.hint}")
        return
    folders = tuple(rel.parts[:-1])
    tags = tag_list(meta.get("tags"), ", ") + tag_list(meta.get("tag"), ", ")
    links = _links(meta)
    if links or meta.get("selfbook_id"):
        end = max(1, text.count("\n") + 1)
        title = meta.get("title") if isinstance(meta.get("title"), str) else rel.stem
        date = iso_date(meta.get("date")) or iso_date(meta.get("created"))
        yield make_entry(Span(shown, 1, end), title=title, urls=links, note=body.strip("\n"), headings=folders, date=date, tags=tags)
        return
    try:
        dump = parse_markdown(body, shown)
    except InputError as err:
        line = (err.line or 0) + skip_lines
        yield Skip(Span(shown, max(line, 1), max(line, 1)), f"{err.problem} — {err.hint}" if err.hint else err.problem)
        return
    for skip in dump.skips:
        yield Skip(_shift(skip.source, skip_lines), skip.reason)
    for raw in dump.entries:
        if not raw.urls:
            continue
        yield replace(
            raw,
            source=_shift(raw.source, skip_lines),
            headings=_path_headings((*folders, rel.stem, *raw.headings)),
            tags=tuple(dict.fromkeys((*tags, *raw.tags))),
        )


def _path_headings(headings: tuple[str, ...]) -> tuple[str, ...]:
    """Folders, note name and headings, with a heading that repeats the one before dropped
    ("Transformers.md" opening with "# Transformers")."""
    out: list[str] = []
    for heading in headings:
        if not out or heading.casefold() != out[-1].casefold():
            out.append(heading)
    return tuple(out)


def _shift(span: Span, lines: int) -> Span:
    return Span(span.path, span.start + lines, span.end + lines)


def _links(meta: dict) -> tuple[str, ...]:
    listed = meta.get("urls") if isinstance(meta.get("urls"), list) else []
    values = [meta.get("source"), meta.get("url"), *listed]
    return web_urls(*(v for v in values if isinstance(v, str)))
