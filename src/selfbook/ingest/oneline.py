"""One-line notes: a line that holds a title, a note and a date ("Title — note (2020-08-19)").

A dump's entry is often one line. When the line says where its title ends, the title is cut
there and the rest becomes the note; a date that closes the line leaves both (it is the entry's
date, found by :mod:`selfbook.text.dates`). Conservatively: a line that does not clearly say so keeps today's
form, its whole text as the title. The rules, chosen on the dev half of the hand-labelled lines
of ``bench/oneline_labels.jsonl`` (``python bench/oneline.py --set dev``):

- **A closing date** (``(2020-08-19)``, ``(Jan 2024)``, ``; Oct 2024.``, ``. Sep 2024.``) leaves the
  line: "Title — note (2020-08-19)" → "Title — note" and the date. Bare years never count.
- **"Title — note"** (an em or en dash, or a hyphen between spaces) is cut at the first dash when
  a closing date was found, when the note starts with a verb ("introduces GRPO…", "founded
  Bengaluru…") and has four words or more, or when the line is longer than a title can be (90
  characters). It stays whole when the note is a subtitle in Title Case, a list of short items
  ("fine-tuning, LoRA, quantization, RAG"), or when the line starts with a name and a colon. A
  short title holding dashes before a colon ("Badami – Aihole – Pattadakal: …") ends at the colon.
- **"Title: note URL"** is cut at the colon when a link closes the line, or a date, or the line
  is longer than 90 characters; and only when the note reads as prose (not a subtitle in Title
  Case: "Mamba: Linear-Time Sequence Modeling…") and what comes before the colon is not a name.
- **"Title. Note. Mon YYYY."** is cut at the first full stop, only when a date closes the line,
  and not after an initial or an abbreviation ("Dr.", "vs.", "et al.").
- **A quote after a name keeps the seed's form**: "Karpathy: …", "Jo Bergum: …", "@handle: …",
  "Rhonda Patrick on sauna: …" (the line starts with a capitalized name before the colon).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..text.dates import closing_date
from .links import find_urls, strip_urls

__all__ = ["OneLine", "split_line"]

TITLE_LIMIT = 90

_DASH = regex.compile(r"[ \t]+(?:—|–|-{1,2})[ \t]+")
_COLON = regex.compile(r":[ \t]+")
_STOP = regex.compile(r"(?<=[\p{L}\p{N})\"'”’])\.[ \t]+(?=[\p{Lu}\p{N}\"“‘(])")
_WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}'’\-./+#]*")
_NAME_WORD = regex.compile(r"(?:\p{Lu}[\p{L}\p{M}'’\-]*\.?|\p{Lu}\.)")
_HANDLE_HEAD = regex.compile(r"@[A-Za-z0-9_]{1,30}")
_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "prof", "st", "vs", "al", "etc", "eg", "ie", "no", "vol", "fig", "inc", "jr", "sr"}
_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "via", "vs", "with"}


@dataclass(frozen=True)
class OneLine:
    """A line cut into its title and note (either may still hold markdown), the date taken out."""

    title: str
    note: str


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _title_case(text: str) -> bool:
    """A subtitle or a name: most words that are not small words start with a capital."""
    words = [w for w in _words(strip_urls(text)) if w.casefold() not in _SMALL]
    if not words:
        return False
    capital = sum(1 for w in words if w[0].isupper() or w[0].isdigit())
    return capital >= max(2, 0.75 * len(words)) or (len(words) == 1 and capital == 1)


def _name_head(head: str, *, strict: bool) -> bool:
    """What comes before a colon is a person's or a handle's name ("Andrej Karpathy", "@svpino").
    ``strict``: the whole head is 1–3 capitalized words; else it only starts with two
    ("Rhonda Patrick on sauna") or is one capitalized word ("Goodhart")."""
    head = head.strip()
    if _HANDLE_HEAD.fullmatch(head):
        return True
    words = head.split()
    if not words:
        return False
    if strict:
        return len(words) <= 3 and all(_NAME_WORD.fullmatch(w) for w in words)
    if len(words) == 1:
        return bool(_NAME_WORD.fullmatch(words[0]))
    return all(_NAME_WORD.fullmatch(w) for w in words[:2])


def _list_of_items(note: str) -> bool:
    """"fine-tuning, LoRA, quantization, RAG": three or more short comma-separated items."""
    if ";" in note or note.rstrip().endswith((".", "!", "?")):
        return False
    items = [i for i in note.split(",") if i.strip()]
    long = sum(1 for i in items if len(_words(i)) > 3)
    return len(items) >= 3 and long <= 1


def _starts_with_verb(note: str) -> bool:
    """"introduces GRPO (…)", "founded Bengaluru in 1537": a lower-case verb, then three words more."""
    words = _words(note)
    if len(words) < 4 or not words[0][0].islower():
        return False
    first = words[0]
    if not first.isalpha():  # "avva's version", "q4_K_M fits": a name, not a verb
        return False
    return first.endswith(("es", "ed")) or (first.endswith("s") and not first.endswith("ss") and len(first) > 4)


def _cut_at_stop(text: str) -> tuple[str, str] | None:
    for match in _STOP.finditer(text):
        before = text[: match.start()]
        last = before.split()[-1] if before.split() else ""
        bare = last.strip("\"'”’()").casefold()
        if bare in _ABBREVIATIONS or len(bare) <= 1 or "." in bare:
            continue
        return before, text[match.end() :]
    return None


def split_line(line: str) -> OneLine | None:
    """The title and note of a one-line entry when the line says where its title ends, else None
    (keep the whole line as the title). See the module docstring for the rules.

    >>> split_line("Finding the largest SQLite files on a Mac — This runs using Spotlight so it's really fast (2020-08-19)")
    OneLine(title='Finding the largest SQLite files on a Mac', note="This runs using Spotlight so it's really fast")
    >>> split_line("Karpathy: the hottest new programming language is English") is None
    True
    """
    text = line.strip()
    urls = find_urls(text)
    ends_with_link = bool(urls) and strip_urls(text).rstrip() != text.rstrip() and not strip_urls(text).rstrip().endswith(")")
    prose = strip_urls(text).strip() if ends_with_link else text
    body, dated = closing_date(prose)
    long = len(strip_urls(text).strip()) > TITLE_LIMIT
    colon = _COLON.search(body)
    if colon and _name_head(body[: colon.start()], strict=False) and not ends_with_link:
        return None  # "Jo Bergum: BM25 is still the baseline" — a quote after a name
    if colon and _name_head(body[: colon.start()], strict=True):
        return None
    dash = _DASH.search(body)
    if dash and colon and dash.start() < colon.start() and len(_words(body[: colon.start()])) <= 6:
        dash = None  # "Badami – Aihole – Pattadakal: early Chalukya; …": the colon ends the title
    if dash and (not colon or dash.start() < colon.start()):
        title, note = body[: dash.start()], body[dash.end() :]
        if _title_case(note) and not dated:
            return None
        if _list_of_items(note) and not dated:
            return None
        if dated or _starts_with_verb(note) or long:
            return OneLine(title.strip(), note.strip())
        return None
    if colon:
        title, note = body[: colon.start()], body[colon.end() :]
        if _title_case(note) or _list_of_items(note) or not _words(title):
            return None
        if ends_with_link or dated or long:
            return OneLine(title.strip(), note.strip())
        return None
    if dated:
        cut = _cut_at_stop(body)
        if cut is not None and len(cut[0]) <= TITLE_LIMIT:
            return OneLine(cut[0].strip(), cut[1].strip())
        return OneLine(body.strip().rstrip("."), "")
    return None
