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


def stem(word: str) -> str:
    """A crude stem, enough to see that 'files' and 'file', 'tracker' and 'tracking' overlap:
    the first five letters of a longer word, a shorter one without a plural -s."""
    return word[:5] if len(word) > 5 else word.removesuffix("s")


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


# -- where a URL ends in running text ---------------------------------------------------------------
# Chinese, Japanese, Thai and the Indic scripts write no space after a link, so a URL ends where
# a letter of those scripts, CJK punctuation (，。！？、；：「」（）【】) or a full-width form begins,
# as it ends at a space: "http://blog.csdn.net/x/7065722，谢谢！Linux" → "http://blog.csdn.net/x/7065722".
# An IRI's own letters (https://ja.wikipedia.org/wiki/日本, https://kn.wikipedia.org/wiki/ಕನ್ನಡ)
# stay in it when they start right after "/", "=", "#", "_" or "(": a path segment, a query
# value, a fragment. Latin, Cyrillic, Greek and other spaced scripts continue a URL as before
# (https://de.wikipedia.org/wiki/Müller). The classes are plain code-point ranges, so both
# ``re`` and ``regex`` patterns can use them.


def _ranges(*pairs: tuple[int, int]) -> str:
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in pairs)


_NO_SPACE_LETTERS = _ranges(
    (0x0900, 0x0963), (0x0966, 0x0DFF),  # Devanagari … Sinhala (Kannada 0C80–0CFF), minus the dandas
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF),  # Thai, Lao, Myanmar, Khmer
    (0x1100, 0x11FF), (0x3005, 0x3005), (0x3040, 0x31FF),  # Hangul Jamo; 々; kana, Bopomofo, Jamo
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xA8E0, 0xA8FF),  # Han; Jamo ext.; Deva. ext.
    (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0x20000, 0x3134F),  # Hangul syllables; Han compatibility; Han ext. B–G
)
_CJK_PUNCTUATION = _ranges(
    (0x0964, 0x0965), (0x3000, 0x3004), (0x3006, 0x303F), (0x3200, 0x33FF),  # dandas; CJK symbols; enclosed
    (0xFE10, 0xFE1F), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF),  # vertical, compatibility, small and full-width forms
)
# One character of a URL in running text: anything but a space, <>"` and the stops above, or a
# run of no-space-script letters right after a path, query or fragment delimiter.
URL_CHAR = rf"(?:[^\s<>\"`{_NO_SPACE_LETTERS}{_CJK_PUNCTUATION}]|(?<=[/=#_(])[{_NO_SPACE_LETTERS}]+)"
WEB_URL = rf"https?://{URL_CHAR}+"
