"""Which vocabulary names an entry holds, in the sense its texts use them.

An entry that says a label's name or one of its aliases ("postgres", "psql") holds the label
("PostgreSQL"), once the name itself is written somewhere in the book. A one-word name the texts
use in another sense holds nothing (:func:`_other_senses`: "Source" in "Source Code"). Used by
:class:`selfbook.organize.title.PhraseTable`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from selfbook.organize.vocab import Label
from selfbook.text.phrases import STOPWORDS
from selfbook.text import stem

__all__ = ["WIDEN_SHARE", "label_names"]

# A longer phrase that comes with a shorter one in this share of the entries saying the shorter
# is what they say: "networks" → "Kolmogorov-Arnold Networks" (title._widen, _other_senses).
WIDEN_SHARE = 0.6


def label_names(held: list[set[str]], vocabulary: Sequence[Label]) -> dict[str, str]:
    """Adds to each entry's phrase keys the (lower-cased) names of the labels it holds, and
    returns every such key with the label's written name."""
    if not vocabulary:
        return {}
    # A label counts only where its own name is written too: an alias alone ("growth" for the
    # topic Marketing) is as often another word.
    said = Counter(key for keys in held for key in keys)
    usable = [label for label in vocabulary if said[label.name.casefold()] + said[label.name.casefold() + "s"] >= 2]
    other = _other_senses(held, usable, {term for label in vocabulary for term in label.terms})
    usable = [label for label in usable if label.name not in other]
    by_term: dict[str, list[Label]] = {}
    for label in usable:
        for term in label.terms:
            by_term.setdefault(term, []).append(label)
    named: dict[str, str] = {}
    for keys in held:
        for label in [label for key in keys for label in by_term.get(key, ())]:
            keys.add(label.name.casefold())
            named.setdefault(label.name.casefold(), label.name)
    return named


def _other_senses(held: list[set[str]], labels: Sequence[Label], terms: set[str]) -> frozenset[str]:
    """Names of one-word labels that the texts write mostly as the modifier of one longer phrase
    which neither a label nor the label's own description holds: "source" in "source code" is
    not the game engine Source. As a title is widened (``title._widen``), the longer phrase is
    what the entries say when ``WIDEN_SHARE`` of the entries that say any of the label's terms
    ("postgres", "postgresql") hold it. The label stands where the rest of the phrase is in its
    description ("terminal emulator": "…uses terminal emulators such as…"), and where the word
    is the phrase's head, as the phrase is then a kind of it: at its end ("Kali Linux"), or
    before a preposition ("Documentation in French")."""
    single = {label.name.casefold(): label for label in labels if " " not in label.name}
    naming: dict[str, set[str]] = {}  # a term and the one-word names it says
    for name, label in single.items():
        for term in (name, *label.terms):
            naming.setdefault(term, set()).add(name)
    inside: dict[str, Counter[str]] = {}
    holding: Counter[str] = Counter()
    for keys in held:
        holding.update({name for key in keys for name in naming.get(key, ())})
        for key in keys:
            parts = key.split()
            if len(parts) > 1 and key not in terms and STOPWORDS.isdisjoint(parts):
                for word in set(parts[:-1]) & single.keys():
                    inside.setdefault(word, Counter())[key] += 1
    out = set()
    for word, longer in inside.items():
        described = {stem(w) for w in single[word].context}
        for phrase, count in longer.items():
            rest = [w for w in phrase.split() if w != word]
            if count >= WIDEN_SHARE * holding[word] and not any(stem(w) in described for w in rest):
                out.add(single[word].name)
    return frozenset(out)
