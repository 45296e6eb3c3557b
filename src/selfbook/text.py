"""Text utilities that respect every script: words keep their combining marks.

Python's ``\\w+`` splits ಕನ್ನಡ into ಕನ / ನಡ because vowel signs and viramas are combining marks
(Unicode categories Mn and Mc). Every tokenizer in selfbook goes through :func:`words`.
"""

from __future__ import annotations

import unicodedata

import regex

# A word: letters or digits, each followed by any combining marks (vowel signs, viramas,
# nuktas), joined by zero-width joiners or inner apostrophes/hyphens/dots as in "e5-small".
_WORD = regex.compile(
    r"[\p{L}\p{N}][\p{L}\p{M}\p{N}\u200c\u200d]*(?:['’\-\.+][\p{L}\p{N}][\p{L}\p{M}\p{N}\u200c\u200d]*)*"
)
_SPLIT_INNER = regex.compile(r"['’\-\.+]")
_NOT_LETTERS = regex.compile(r"[^\p{L}\p{M}\p{N}]+")

SCRIPT_LANG = {
    "Kannada": "kn",
    "Devanagari": "hi",
    "Tamil": "ta",
    "Telugu": "te",
    "Malayalam": "ml",
    "Bengali": "bn",
    "Gujarati": "gu",
    "Gurmukhi": "pa",
    "Oriya": "or",
    "Arabic": "ar",
    "Han": "zh",
    "Hiragana": "ja",
    "Katakana": "ja",
    "Hangul": "ko",
    "Cyrillic": "ru",
    "Greek": "el",
    "Hebrew": "he",
    "Thai": "th",
}
_ASCII_LETTERS = regex.compile(r"[A-Za-z]")
_SCRIPTS = [(name, regex.compile(rf"(?V1)[\p{{Script={name}}}&&\p{{L}}]")) for name in (*SCRIPT_LANG, "Latin")]


def normalize(text: str) -> str:
    """NFC-normalize, so that the same word typed two ways is stored one way."""
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """Split text into words, keeping combining marks with their letters.

    >>> words("ಕನ್ನಡ ಸಾಹಿತ್ಯ and e5-small")
    ['ಕನ್ನಡ', 'ಸಾಹಿತ್ಯ', 'and', 'e5-small']
    """
    return _WORD.findall(normalize(text))


def first_word(text: str) -> str:
    """The first of :func:`words` (``""`` when there is none), without splitting the rest."""
    match = _WORD.search(normalize(text))
    return match.group() if match else ""


def terms(text: str) -> list[str]:
    """Lower-cased words for indexing; hyphenated words also yield their parts."""
    out: list[str] = []
    for word in words(text):
        low = word.casefold()
        out.append(low)
        if _SPLIT_INNER.search(low):
            out.extend(p for p in _SPLIT_INNER.split(low) if p)
    return out


def slug(title: str) -> str:
    """A lower-case, dash-joined id that keeps every script's letters: 'ಕನ್ನಡ-ಸಾಹಿತ್ಯ'. Chapter
    and section ids are made with it, by the organizer and by curation alike."""
    return _NOT_LETTERS.sub("-", title.casefold()).strip("-") or "untitled"


def script_counts(text: str) -> dict[str, int]:
    """How many letters of each script the text holds."""
    if text.isascii():
        letters = len(_ASCII_LETTERS.findall(text))
        return {"Latin": letters} if letters else {}
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS}
    return {name: n for name, n in counts.items() if n}


def dominant_script(text: str) -> str:
    """The script most letters are in, an Indic script winning ties over Latin; 'Zyyy' if none."""
    counts = script_counts(text)
    if not counts:
        return "Zyyy"
    return max(counts, key=lambda s: (counts[s] * (1.0 if s == "Latin" else 1.5), s))


def language(text: str) -> str:
    """A BCP 47 language guess from the script: 'kn' for Kannada, 'en' for Latin, 'und' if unsure."""
    script = dominant_script(text)
    if script == "Latin":
        return "en"
    return SCRIPT_LANG.get(script, "und")
