"""Chapter names from the published vocabularies (:mod:`selfbook.organize.vocab`).

A chapter is a broad domain; its name should be broader than any one of its sections. Every
label of the vocabularies (GitHub topics, IAB categories) is scored on each chapter by the share
of the chapter's entries that hold it (a surface form of it, or, for an IAB category, of a
category under it) against its share in the whole book: the same term of the KL divergence
that titles sections (:mod:`selfbook.organize.title`). A label may name a chapter only if at
least ``MIN_SUPPORT`` of the chapter's entries hold it. Labels are assigned one to a chapter
(Hungarian method), so two chapters never share a name; a chapter that no label fits is named
by the caller from its own phrases or its sections.

Measured and not kept: matching a chapter's mean vector to the labels' names embedded by the
bundled model (e5-small), as z-scores per chapter or per label: the nearest labels were hubs
that sit near everything ("Search", "Desktops", "Drama" for a chapter of machine-learning
links), not names of what the chapter holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from selfbook.organize.fragments import compounds_of
from selfbook.organize.title import PhraseTable, _boilerplate, _titlecase
from selfbook.organize.vocab import Label, labels

__all__ = ["chapter_titles", "MIN_SUPPORT"]

# A label names a chapter only if at least this share of its entries hold it.
MIN_SUPPORT = 0.1


def _lexical(table: PhraseTable, chapters: Sequence[np.ndarray], vocab: Sequence[Label]) -> tuple[np.ndarray, np.ndarray]:
    """chapters × labels: the KL term of each label's share in each chapter against the book,
    and the share itself (0 for labels that may not title, see ``PhraseTable.weight``)."""
    cols = np.array([table.column.get(label.name.casefold(), -1) if label.name.casefold() in table.labelled else -1
                     for label in vocab])
    present = np.flatnonzero(cols >= 0)
    usable = present[table.weight[cols[present]] > 0]
    n = table.matrix.shape[0]
    parent = (table.df[cols[usable]] + 1) / (n + 2)
    kl = np.zeros((len(chapters), len(vocab)))
    share = np.zeros((len(chapters), len(vocab)))
    for c, rows in enumerate(chapters):
        held = table.counts(rows)[cols[usable]]
        s = held / len(rows)
        ok = (s > parent) & (held >= 2)
        kl[c, usable[ok]] = s[ok] * np.log(s[ok] / parent[ok])
        share[c, usable] = s
    return kl, share


def chapter_titles(table: PhraseTable, chapters: Sequence[np.ndarray]) -> list[str]:
    """A vocabulary name per chapter where one fits, else "" (see the module docstring)."""
    if not chapters:
        return []
    vocab = labels()
    kl, share = _lexical(table, chapters, vocab)
    score = np.where((share >= MIN_SUPPORT) & (kl > 0), kl, 0.0)
    # A name the entries of most chapters say ("Source" where every line has "Source Code",
    # "Demo", "Code") says how the book is written, not what a chapter is about.
    spread = {table.phrases[j] for j in _boilerplate(table, chapters)}
    score[:, [j for j, label in enumerate(vocab) if label.name.casefold() in spread]] = 0.0
    titles = [""] * len(chapters)
    useful = np.flatnonzero(score.max(axis=0) > 0)
    if not len(useful):
        return titles
    from scipy.optimize import linear_sum_assignment  # deferred: scipy is for the organizer only

    rows, cols = linear_sum_assignment(-score[:, useful])
    for c, j in zip(rows, cols):
        if score[c, useful[j]] > 0:
            name = vocab[useful[j]].name
            held = table.matrix[chapters[c]].tocsc()
            inside = compounds_of(table, held, name.casefold())
            if inside:  # "Learning" said only as "deep learning", "machine learning": the compound
                count, _, k = max((held[:, k].sum(), table.phrases[k], k) for k in inside)
                if count < MIN_SUPPORT * len(chapters[c]):
                    continue
                name = table.form(table.phrases[k])
            # "Datasets" where the book says so; in title case, as section titles ("Deep Learning")
            titles[c] = _titlecase(table.title_forms.get(name.casefold()) or name)
    return titles
