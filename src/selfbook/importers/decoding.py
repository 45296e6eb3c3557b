"""Which text encoding a file is in, and its text: every codec Python has, multi-byte included.

The order of evidence, as browsers and feed readers use it:

1. a byte-order mark (UTF-8, UTF-16, UTF-32), or for XML the first four bytes of a
   ``<?xml`` written in UTF-16/32 without one;
2. the file's own declaration (``<?xml … encoding="…"?>``, HTML ``<meta charset>``), when
   Python knows the codec and the bytes decode with it;
3. UTF-8, when the bytes are valid UTF-8;
4. charset-normalizer's guess from the bytes (KOI8-R, Shift_JIS, EUC-KR, Big5, cp1252 …),
   checked by decoding with it; cp1252 and then Latin-1 (which decodes any byte) as the last resort.

:func:`xml_as_utf8` hands expat (through defusedxml) and feedparser UTF-8 bytes whose XML
declaration says so, since expat refuses multi-byte codecs other than UTF-8/16.
:class:`TextChunks` streams a text file (HTML, CSV) decoded, choosing the codec from the first
block; a file that turns out not to decode names its line in a one-line InputError.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import stat
from pathlib import Path
from typing import Callable, Iterator

import charset_normalizer

from ..errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "CHUNK", "Progress", "TextChunks", "binary_chunks", "check_file", "choose_codec", "decode_text", "guess_codec", "html_charset",
    "mixed_encodings", "xml_as_utf8", "xml_charset",
]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# "<?" in UTF-32 and UTF-16 without a byte-order mark (XML 1.0, appendix F)
_XML_WIDE = ((b"\0\0\0<", "utf-32-be"), (b"<\0\0\0", "utf-32-le"), (b"\0<\0?", "utf-16-be"), (b"<\0?\0", "utf-16-le"))
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z][\w.:-]*)[\"']")
_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?\bencoding\s*=\s*)[\"'][^\"']*[\"']")
_META_CHARSET = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([A-Za-z][\w.:-]*)", re.IGNORECASE)
_WIDE = ("utf-16", "utf-32")
CHUNK = 1 << 16
Progress = Callable[[str, int, int], None]


def check_file(path: Path, shown: str) -> int:
    """The file's size; an InputError when it is missing, a folder, a device or unreadable."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(shown, "no such file", "check the path") from None
    except PermissionError:
        raise InputError(shown, "cannot be read: permission denied", "make it readable (chmod u+r)") from None
    except OSError as err:
        raise InputError(shown, f"cannot be read: {err.strerror or err}", "check the path and try again") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(shown, "is a directory, not a file", "name a file inside it, or pass --format obsidian for a vault")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(shown, "is not a regular file", "name an exported file such as bookmarks.html")
    if not os.access(path, os.R_OK):
        raise InputError(shown, "cannot be read: permission denied", "make it readable (chmod u+r)")
    return info.st_size


def binary_chunks(path: Path, shown: str, progress: Progress | None, size: int = CHUNK) -> Iterator[bytes]:
    """The file's bytes in chunks, reporting ``progress("read NAME", bytes_done, bytes_total)``."""
    total = check_file(path, shown)
    stage = f"read {path.name}"
    done = 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(size):
                done += len(block)
                yield block
                if progress:
                    progress(stage, min(done, total), total)
    except OSError as err:
        raise InputError(shown, f"cannot be read: {err.strerror or err}", "check the file and try again") from None


def _codec(label: str | None) -> str | None:
    """Python's name for a codec label ("Shift_JIS" → "shift_jis"), None when it has none."""
    if not label:
        return None
    try:
        return _name(label)
    except LookupError:
        return None


def _name(codec: str) -> str:
    """One spelling per codec ("koi8_r", "KOI8-R" → "koi8-r"; "utf_8" → "utf-8")."""
    return codecs.lookup(codec).name.replace("_", "-")


def bom_codec(head: bytes) -> str | None:
    """The codec a byte-order mark names (the codec drops the mark when decoding)."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def _bom_length(head: bytes) -> int:
    return next((len(bom) for bom, _ in _BOMS if head.startswith(bom)), 0)


def xml_charset(head: bytes) -> str | None:
    """The label of ``<?xml … encoding="…"?>`` at the start of ``head``, as written."""
    match = _XML_DECL.match(head)
    return match[1].decode("ascii") if match else None


def html_charset(head: bytes) -> str | None:
    """The label of an HTML ``<meta charset=…>`` or ``<meta http-equiv … content="…; charset=…">``."""
    match = _META_CHARSET.search(head)
    return match[1].decode("ascii") if match else None


def _decodes(data: bytes, codec: str, final: bool) -> bool:
    """Whether ``data`` decodes strictly (``final=False`` allows a cut character at its end)."""
    try:
        codecs.getincrementaldecoder(codec)().decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def choose_codec(sample: bytes, shown: str, declared: str | None = None, *, whole: bool = True) -> str:
    """The codec of ``sample`` by the order of evidence above; ``whole=False`` when the sample is
    only the first block of a longer file (it may end inside a character).

    Bytes that are UTF-8 with non-ASCII letters up to a byte that is not are two encodings in
    one file: no codec reads them whole, and an InputError names the line of that byte.
    """
    if codec := bom_codec(sample):
        if _decodes(sample, codec, whole):
            return _name(codec)
        log.debug("a byte-order mark for %s, but the bytes after it are not %s; guessing", codec, codec)
        sample = sample[_bom_length(sample) :]
    if (codec := _codec(declared)) and _decodes(sample, codec, whole):
        return codec
    if declared:
        log.debug("the declared encoding %r is unknown or does not fit the bytes; guessing", declared)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
    except UnicodeDecodeError as err:
        if not sample[: err.start].isascii():
            raise mixed_encodings(shown, "utf-8", sample.count(b"\n", 0, err.start) + 1) from None
        return guess_codec(sample, whole)
    return "utf-8"


def mixed_encodings(shown: str, codec: str, line: int) -> InputError:
    """The one-line refusal of a file whose bytes stop being ``codec`` at ``line``."""
    return InputError(
        shown,
        f"is not valid {codec} text from line {line} on: it mixes encodings",
        "re-save it in one encoding, e.g. iconv -f CODEC -t utf-8 FILE > FILE.utf8",
        line=line,
    )


def guess_codec(sample: bytes, whole: bool = True) -> str:
    """charset-normalizer's best guess that decodes ``sample``; cp1252, then Latin-1, when none does."""
    matches = charset_normalizer.from_bytes(sample) or charset_normalizer.from_bytes(sample, threshold=0.5)  # short texts score noisier
    guesses = [m.encoding for m in matches if b"\0" in sample or not _name(m.encoding).startswith(_WIDE)]
    for codec in (*guesses, "cp1252", "latin_1"):
        if _decodes(sample, codec, whole):
            return _name(codec)
    return "latin-1"  # unreachable: Latin-1 decodes every byte


def decode_text(data: bytes, shown: str, declared: str | None = None) -> str:
    """The text of a whole file's bytes (a byte-order mark dropped). Refuses a binary file, as
    :class:`TextChunks` does."""
    codec = choose_codec(data, shown, declared)
    if codec != bom_codec(data):
        data = data[_bom_length(data) :]
    refuse_binary(data, codec, shown)
    return data.decode(codec)


def refuse_binary(block: bytes, codec: str, shown: str, line: int = 1) -> None:
    """An InputError if ``block`` (starting at ``line``) holds a NUL byte and ``codec`` is not
    UTF-16/32: a binary file, or wide text whose mark no longer fits its bytes."""
    if codec.startswith(_WIDE):
        return
    nul = block.find(b"\0")
    if nul >= 0:
        line += block.count(b"\n", 0, nul)
        raise InputError(shown, f"looks like a binary file (a NUL byte on line {line})", "name a text export such as bookmarks.html", line=line)


def xml_as_utf8(data: bytes, shown: str) -> bytes:
    """An XML document as UTF-8 bytes whose declaration, if any, says ``utf-8``: what expat and
    feedparser read without guessing. Lines stay where they were."""
    head = data[:4]
    wide = next((codec for prefix, codec in _XML_WIDE if head.startswith(prefix)), None)
    if wide and not bom_codec(data) and _decodes(data, wide, True):  # no mark, but "<?" in UTF-16/32
        text = data.decode(wide)
    else:
        text = decode_text(data, shown, xml_charset(data[:1024]))
    text = _XML_DECL_TEXT.sub(lambda m: m[1] + '"utf-8"', text, count=1)
    return text.encode("utf-8")


class TextChunks:
    """A text file as decoded chunks, streamed; ``line`` is the line reached so far.

    The codec is chosen from the first block (see :func:`choose_codec`; ``sniff`` reads a
    declaration from it, such as :func:`html_charset`). A file read as UTF-8 because its first
    block was plain ASCII switches to a guessed codec at its first non-UTF-8 byte. Refuses binary
    files (a NUL byte outside UTF-16/32) and bytes the codec cannot decode, naming the line.
    """

    def __init__(
        self, path: Path, shown: str, progress: Progress | None, size: int = CHUNK, sniff: Callable[[bytes], str | None] | None = None
    ) -> None:
        self.path, self.shown, self.progress, self.size, self.sniff = path, shown, progress, size, sniff
        self.line = 1
        self.codec = "utf-8"

    def __iter__(self) -> Iterator[str]:
        blocks = binary_chunks(self.path, self.shown, self.progress, self.size)
        first = next(blocks, b"")
        self.codec = choose_codec(first, self.shown, self.sniff(first) if self.sniff else None, whole=len(first) < self.size)
        if self.codec != bom_codec(first):
            first = first[_bom_length(first) :]
        decoder = codecs.getincrementaldecoder(self.codec)()
        plain = True  # everything so far was ASCII, which every codec chosen here reads alike
        for block in _chain(first, blocks):
            refuse_binary(block, self.codec, self.shown, self.line)
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as err:
                if not (plain and self.codec == "utf-8" and block[: err.start].isascii()):
                    raise self._undecodable(block, err) from None
                self.codec = guess_codec(block, whole=False)
                log.debug("%s: not UTF-8 after line %d; reading it as %s", self.shown, self.line, self.codec)
                decoder = codecs.getincrementaldecoder(self.codec)()
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as err2:
                    raise self._undecodable(block, err2) from None
            plain = plain and text.isascii()
            yield text
            self.line += text.count("\n")
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(self.shown, f"ends in the middle of a character (line {self.line})", "the file looks truncated; export it again", line=self.line) from None
        if tail:
            yield tail

    def _undecodable(self, block: bytes, err: UnicodeDecodeError) -> InputError:
        return mixed_encodings(self.shown, self.codec, self.line + block.count(b"\n", 0, max(err.start, 0)))


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
