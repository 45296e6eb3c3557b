"""Other index forms of Kannada words, compared by ``bench/retrieval.py --terms`` (a benchmark's
variants, not the engine's: none beat the shipped 4-code-point prefix on dev, so the engine does
not carry them; the figures are in bench/results/retrieval.jsonl and the README's search section).

A Kannada word is indexed as itself plus the extra terms a :class:`KannadaForms` says; English
and every other word keep the engine's own forms. :func:`patched` swaps these forms into
:mod:`selfbook.search.terms` for the length of a ``with`` block, so the index rebuilt in it and
the queries searched in it see the same forms.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import regex

from selfbook.search import terms as terms_module

_KANNADA = regex.compile(r"\p{Script=Kannada}")
_GRAPHEME = regex.compile(r"\X")
MARK = terms_module.STEM_MARK


@dataclass(frozen=True)
class KannadaForms:
    """The extra index terms of a Kannada word, besides the word itself.

    - ``prefixes``: for each length ``n`` (code points) the word is at least as long as, its
      first ``n`` code points, marked ``ಕನ್ನ~`` (the engine's forms are ``prefixes=(4,)``);
    - ``letters``: the same in graphemes (a letter with its vowel signs and virama): ತೋಟ's two
      graphemes and the first two of ತೋಟಗಳು are one term, ``ತೋಟ~``;
    - ``grams``: for each ``n``, every run of ``n`` graphemes of a word of more than ``n``,
      marked ``~ನ್ನಡ~``;
    - ``endings``: the word without the longest ending of :data:`ENDINGS` that leaves at least
      two graphemes, unmarked, so ಭಾರತದಲ್ಲಿ also yields ಭಾರತ itself.
    """

    prefixes: tuple[int, ...] = (4,)
    letters: tuple[int, ...] = ()
    grams: tuple[int, ...] = ()
    endings: bool = False

    def of(self, word: str) -> tuple[str, ...]:
        out = [word[:n] + MARK for n in self.prefixes if len(word) >= n]
        letters = _GRAPHEME.findall(word)
        out += ["".join(letters[:n]) + MARK for n in self.letters if len(letters) >= n]
        if self.endings and (stripped := strip_ending(word)) != word:
            out.append(stripped)
        for n in self.grams:
            if len(letters) > n:
                out += [MARK + "".join(letters[i : i + n]) + MARK for i in range(len(letters) - n + 1)]
        return (word, *dict.fromkeys(f for f in out if f != word))


ENDINGS = tuple(sorted({
    # case endings of nouns, with the linking ಯ / ವ / ನ / ದ / ರ they take
    "ಗಳನ್ನು", "ಗಳಲ್ಲಿ", "ಗಳಿಂದ", "ಗಳಿಗೆ", "ಗಳೊಂದಿಗೆ", "ಗಳು", "ಗಳ",
    "ಯನ್ನು", "ವನ್ನು", "ನನ್ನು", "ರನ್ನು", "ದನ್ನು", "ನ್ನು",
    "ಯಲ್ಲಿ", "ದಲ್ಲಿ", "ನಲ್ಲಿ", "ರಲ್ಲಿ", "ಲ್ಲಿ",
    "ಯಿಂದ", "ದಿಂದ", "ನಿಂದ", "ರಿಂದ", "ಇಂದ",
    "ಯೊಂದಿಗೆ", "ದೊಂದಿಗೆ", "ನೊಂದಿಗೆ", "ರೊಂದಿಗೆ", "ಒಂದಿಗೆ",
    "ಕ್ಕೆ", "ಗೆ", "ಯ", "ದ", "ನ", "ರ", "ವು", "ರು", "ನು", "ಳು",
    # endings of verbs and adverbs
    "ಯಾಗಿ", "ವಾಗಿ", "ಆಗಿ", "ತು", "ದರು", "ತ್ತಾರೆ", "ತ್ತದೆ", "ತ್ತಿತ್ತು", "ಲಾಯಿತು", "ಲಾಗಿದೆ", "ಲಾಗುತ್ತದೆ",
}, key=len, reverse=True))
"""A light list of Kannada endings, longest first: no published stemmer that installs from PyPI
and needs no download at run time was found (indic-nlp-library's morphology reads a model from a
resources folder fetched separately; kannada-tokenizer splits sandhi, it does not strip endings)."""


def strip_ending(word: str) -> str:
    for ending in ENDINGS:
        if word.endswith(ending) and len(_GRAPHEME.findall(word[: -len(ending)])) >= 2:
            return word[: -len(ending)]
    return word


@contextmanager
def patched(forms: KannadaForms):
    """Index and query Kannada words with ``forms`` inside the block; the engine's forms after."""
    shipped = terms_module._index_forms

    @lru_cache(maxsize=1 << 18)
    def index_forms(term: str) -> tuple[str, ...]:
        return forms.of(term) if _KANNADA.match(term) else shipped(term)

    terms_module._index_forms = index_forms
    try:
        yield
    finally:
        terms_module._index_forms = shipped


WIDEST = KannadaForms(prefixes=(3, 4, 5, 6), letters=(2, 3), grams=(2, 3), endings=True)
"""Every form the variants use at once: what --why asks of a question BM25 never matched."""


def variants() -> dict[str, KannadaForms]:
    """The forms --terms compares: prefixes of one or several lengths (in code points or in
    graphemes), grapheme n-grams, the ending stripper, and mixes."""
    def name(ns):
        return ",".join(map(str, ns))
    return {
        "no kannada forms": KannadaForms(prefixes=()),
        **{f"prefix {n}": KannadaForms(prefixes=(n,)) for n in (3, 4, 5, 6)},
        **{f"prefixes {name(ns)}": KannadaForms(prefixes=ns) for ns in ((3, 4, 5), (4, 5, 6), (3, 4, 5, 6), (4, 6, 8))},
        **{f"grams {name(ns)}": KannadaForms(prefixes=(), grams=ns) for ns in ((2,), (3,), (4,), (2, 3), (3, 4))},
        **{f"prefix 4 + grams {name(ns)}": KannadaForms(grams=ns) for ns in ((2,), (3,), (3, 4))},
        **{f"letters {name(ns)}": KannadaForms(prefixes=(), letters=ns) for ns in ((2,), (3,), (2, 3), (3, 4))},
        **{f"prefix 4 + letters {name(ns)}": KannadaForms(letters=ns) for ns in ((2,), (3,))},
        "endings": KannadaForms(prefixes=(), endings=True),
        "prefix 4 + endings": KannadaForms(endings=True),
        "prefixes 3,4,5,6 + endings": KannadaForms(prefixes=(3, 4, 5, 6), endings=True),
        "prefix 4 + endings + grams 3": KannadaForms(endings=True, grams=(3,)),
    }
