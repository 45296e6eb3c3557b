"""Fragments of longer phrases, which title nothing on their own (:mod:`selfbook.organize.title`).

A word a group says almost only as the head of compounds ("learning" in "deep learning" and
"machine learning") titles as the compound; a phrase it says almost only at the start of a
longer one ("large language" in "large language models", "final" in "final answer") titles
nothing, nor does a head whose compounds a sibling's title took ("Answer" beside "Final Answer").
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selfbook.organize.title import PhraseTable, _Scored

__all__ = ["COMPOUND_SHARE", "compounds_of", "head_of_compounds", "is_modifier", "named", "singular", "whole"]

# A common noun said inside compounds by at least this share of the entries that say it names
# none of them alone ("Learning" for "deep learning", "machine learning"; see head_of_compounds).
COMPOUND_SHARE = 0.8


def whole(table: PhraseTable, held, ranked: list[_Scored]) -> list[_Scored]:
    """``ranked`` without the fragments of longer phrases a group says: a phrase said almost only
    at the start of one (:func:`is_modifier`: "Large Language", "Final"), and a word said almost
    only as the head of compounds none of which is ranked, as when a sibling's title took them
    (:func:`compounds_of`: "Answer" beside a sibling titled "Final Answer")."""
    offered = {s.index for s in ranked}
    out = []
    for s in ranked:
        if is_modifier(table, held, s.index):
            continue
        inside = compounds_of(table, held, table.phrases[s.index])
        if inside and not inside & offered:
            continue
        out.append(s)
    return out


def head_of_compounds(table: PhraseTable, held, ranked: list[_Scored], best: _Scored) -> _Scored:
    """``best``, or the ranked compound it is the head of (see :func:`compounds_of`)."""
    inside = compounds_of(table, held, table.phrases[best.index])
    wider = [s for s in ranked if s.index in inside]
    return max(wider, key=lambda s: (s.count, s.score, table.phrases[s.index])) if wider else best


def compounds_of(table: PhraseTable, held, phrase: str) -> frozenset[int]:
    """The columns of the compounds ``phrase`` is the head of in a group, if it names none of
    them on its own: a common noun that the group's entries say almost only inside compounds
    ("learning" in "deep learning" and "machine learning", "networks" in "neural networks")
    is no title; the compound most of them hold is ("Deep Learning"). Almost only:
    ``COMPOUND_SHARE`` of the entries that say the word say it in a compound of the book (a
    phrase of two words or more that ends with it and that three entries hold). Empty for a
    name ("Rust", "SQLite") or a phrase said on its own. ``held``: the group's rows of
    ``table.matrix``, by column (CSC)."""
    j = table.column.get(phrase)
    if j is None or " " in phrase or "-" in phrase or phrase in table.proper or named(table.form(phrase)):
        return frozenset()
    key = singular(phrase)
    compounds = [k for k in table._by_head.get(key, ()) if table.df[k] >= 3]
    if not compounds:
        return frozenset()
    return frozenset(compounds) if _said_inside(held, j, compounds) else frozenset()


def is_modifier(table: PhraseTable, held, j: int) -> bool:
    """True if a group says phrase ``j`` almost only at the start of a longer phrase of the book,
    so that it names none of them alone: "large language" in "large language models", "final"
    in "final answer". The mirror of :func:`compounds_of` (a word said only as the head of
    compounds): almost only is ``COMPOUND_SHARE`` of the group's entries that say it, and the
    longer phrase is one word longer and held, in either number, by three entries of the book.
    Never for a name ("SQLite", "Docker", a vocabulary's). ``held``: the group's rows of ``table.matrix``, by
    column (CSC)."""
    phrase = table.phrases[j]
    if phrase in table.proper or phrase in table.labelled or named(table.form(phrase)):
        return False
    longer = list(table._by_first_words.get(phrase, ()))
    family = Counter()  # "large language model" and "…models" are one longer phrase
    for k in longer:
        family[singular(table.phrases[k])] += table.df[k]
    longer = [k for k in longer if family[singular(table.phrases[k])] >= 3]
    if not longer:
        return False
    return _said_inside(held, j, longer)


def _said_inside(held, j: int, longer: list[int]) -> bool:
    """True if at least ``COMPOUND_SHARE`` of the group's entries that hold phrase ``j`` (and
    one does) also hold one of the ``longer`` phrases."""
    says = held[:, j].toarray().ravel() > 0
    inside = (held[:, longer].toarray() > 0).any(axis=1) & says
    return bool(says.any()) and inside.sum() >= COMPOUND_SHARE * says.sum()


def named(form: str) -> bool:
    """True for a form written as a name: a capital after its first letter, or another script."""
    return any(c.isupper() for c in form[1:]) or any(c.isalpha() and not c.isascii() for c in form)


def singular(phrase: str) -> str:
    """``phrase`` with a regular English plural ending taken off its last word."""
    if phrase.endswith("ies"):
        return phrase[:-3] + "y"
    if phrase.endswith(("xes", "zes", "ches", "shes")):
        return phrase[:-2]
    return phrase.removesuffix("s")
