"""Read a dump file safely: every way a file can be wrong becomes an :class:`InputError` that names
the file, the line when there is one, and what to do about it.

Checks, in order: the path is a readable file; it is not UTF-16 or binary (a NUL byte anywhere);
it is UTF-8 (a UTF-8 BOM is fine); it is not empty; no line is over 1,000,000 characters (that
is not a notes dump); its front matter is well formed; it holds at least one entry.
"""

from __future__ import annotations

import codecs
import logging
import os
import stat
from pathlib import Path

from ..errors import InputError
from .markdown import Dump, parse_markdown

log = logging.getLogger(__name__)

__all__ = ["MAX_LINE", "read_dump"]

MAX_LINE = 1_000_000
FORMS_HINT = (
    "selfbook reads paragraphs of text, a title line followed by its URL, bullet items ('- …'), "
    "and **bold** titles; headings and '---' rules only group them"
)


def read_dump(path: str | os.PathLike[str], *, display_path: str | None = None) -> Dump:
    """Read and parse one dump. ``display_path`` (default: ``path`` as given) is what spans name."""
    shown = display_path if display_path is not None else os.fspath(path)
    text = _decode(_read_bytes(Path(path), shown), shown)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(shown, "is empty", "add notes or links to it, one per paragraph or bullet")
    _check_line_lengths(text, shown)
    dump = parse_markdown(text, shown)
    if not dump.entries:
        problem, line = "holds no entries", None
        if dump.skips:
            first = dump.skips[0]
            problem += f" ({len(dump.skips)} block(s) skipped, the first because of {first.reason})"
            line = first.source.start
        raise InputError(shown, problem, FORMS_HINT, line=line)
    log.info("%s: %d entries, %d skipped blocks", shown, len(dump.entries), len(dump.skips))
    return dump


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise InputError(shown, "is a device, not a file", "name a markdown or text file such as self.md")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(shown, "no such file", "check the path; a dump is a markdown or text file such as self.md") from None
    except IsADirectoryError:
        raise InputError(shown, "is a directory, not a file", "name the dump file inside it, such as self.md") from None
    except PermissionError:
        raise InputError(shown, "cannot be read: permission denied", "make it readable (chmod u+r) or copy it somewhere you can read") from None
    except OSError as err:
        raise InputError(shown, f"cannot be read: {err.strerror or err}", "check the path and try again") from None


def _line_of(data: bytes, pos: int) -> int:
    """The 1-based line of byte ``pos``, counting LF, CRLF and lone CR as line ends."""
    return data.count(b"\n", 0, pos) + data.count(b"\r", 0, pos) - data.count(b"\r\n", 0, pos) + 1


def _decode(data: bytes, shown: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(shown, "is UTF-16 text, not UTF-8", "re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8 FILE > FILE.md", line=1)
    nul = data.find(b"\0")
    if nul >= 0:
        line = _line_of(data, nul)
        raise InputError(
            shown, f"looks like a binary file, not a text dump (a NUL byte on line {line})", "export your notes as markdown or plain text", line=line
        )
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        pos = bom + err.start
        line = _line_of(data, pos)
        line_start = max(data.rfind(b"\n", 0, pos), data.rfind(b"\r", 0, pos)) + 1
        column = len(data[max(line_start, bom) : pos].decode("utf-8", errors="replace")) + 1
        problem = f"is not valid UTF-8: byte 0x{data[pos]:02x} at line {line}, column {column} (byte offset {pos})"
        hint = "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8.md (name the encoding it was written in)"
        raise InputError(shown, problem, hint, line=line) from None


def _check_line_lengths(text: str, shown: str) -> None:
    if len(text) <= MAX_LINE:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE:
            raise InputError(
                shown,
                f"line {number} is {len(line):,} characters long",
                "this does not look like a notes dump; split it into lines or paragraphs",
                line=number,
            )
