"""Titles in the plural: a kind of thing is named as a person names a shelf of them ("Courses",
"URL Shorteners", "LLMs"), when the entries write it so; a verb with its object ("Supports the
chat widget") is not a plural noun. Used by :class:`selfbook.organize.title.PhraseTable`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import regex

from selfbook.text.phrases import STOPWORDS

__all__ = ["plurals"]


def _plural_words(word: str) -> list[str]:
    """The regular English plurals a lower-case ``word`` may have ("box" → "boxes", "library" →
    "libraries"); none for a word that looks plural already or is not plain Latin letters."""
    if not (word.isascii() and word.isalpha()) or word.endswith("s") or len(word) < 3:
        return []
    if word.endswith(("x", "z", "ch", "sh")):
        return [word + "es"]
    if word.endswith("y") and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    return [word + "s"]


_FOLLOWED = regex.compile(r"\b(\p{L}+)\b(?=( +(\p{L}+))?)")
# Words after which a word ending in -s is a verb with its object ("supports the", "runs a").
_OBJECT_START = frozenset("the a an your my its their his her our this that these those all any every multiple".split())


def _verb_forms(texts: Sequence[str]) -> frozenset[str]:
    """Lower-cased words ending in -s that the texts mostly write as a verb with its object
    ("Supports extensive survey logic", "runs the server"): in most of their uses the next word,
    in the same clause, is a content word or a determiner. A plural noun ends its phrase ("online
    courses.", "courses on X", "Docker images for Y")."""
    uses: Counter[str] = Counter()
    objects: Counter[str] = Counter()
    for text in texts:
        for match in _FOLLOWED.finditer(text):
            word = match.group(1).casefold()
            if not word.endswith("s"):
                continue
            uses[word] += 1
            after = (match.group(3) or "").casefold()
            if after and (after in _OBJECT_START or (after not in STOPWORDS and not after.isdigit())):
                objects[word] += 1
    return frozenset(w for w, n in uses.items() if objects[w] > 0.5 * n)


def plurals(
    phrases: Sequence[str], forms: dict[str, str], df: Counter[str], share: float, texts: Sequence[str] = ()
) -> dict[str, str]:
    """Phrases whose plural the texts write in at least ``share`` times as many entries as the
    phrase itself (and in two), each with its plural form: "course" → "Courses", "llm" →
    "LLMs", "url shortener" → "URL Shorteners". A name never pluralizes, as its plural is never
    written ("Google"), and a mass noun seldom is ("code" → "codes" in far fewer entries)."""
    verbs = _verb_forms(texts)
    out: dict[str, str] = {}
    for p in phrases:
        head, _, last = p.rpartition(" ")
        for plural in _plural_words(last):
            key = f"{head} {plural}" if head else plural
            form = forms[p]
            if df.get(key, 0) >= max(2.0, share * df[p]) and form.casefold() == p and plural not in verbs:
                written = form[: len(form) - len(last)]
                tail = form[len(form) - len(last):]
                suffix = plural[len(last) - (1 if plural.endswith("ies") else 0):]
                stem = tail[:-1] if plural.endswith("ies") else tail
                out[p] = written + stem + suffix
                break
    return out
