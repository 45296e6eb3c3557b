"""Lexical retrieval: BM25 over the postings the store keeps (``search_terms``), scored with numpy.

Why not SQLite FTS5's own ``bm25()``: in a one-off comparison on the synthetic notes of
``bench/search_speed.py`` (natural-language queries of 2–8 words, stop words included), FTS5 with
OR semantics took p50 54 ms / p99 96 ms at 100k entries (``ORDER BY rank`` was slower still),
where these postings took 1.3 / 6.7 ms; at 1M they take about 16–22 / 38–52 ms
(``bench/search_speed.py``). AND semantics would be fast in FTS5 but loses recall on long
questions. The postings still live in the book's SQLite file, written in the same transaction
as the entries.

The score is BM25F-style: the title's counts weigh ``title_weight`` times the body's, in both the
term frequency and the entry length; Lucene's idf ``log(1 + (N - n + 0.5) / (n + 0.5))``, which is
never negative. A query matches with OR semantics: every entry holding any query term is scored.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..store.base import Postings, SearchRows


@dataclass(frozen=True)
class BM25:
    k1: float = 1.2
    b: float = 0.75
    title_weight: float = 2.0

    def lengths(self, rows: SearchRows) -> np.ndarray:
        """The length norm ``k1 * (1 - b + b * len / avg_len)`` of every entry."""
        length = self.title_weight * rows.title_len + rows.body_len
        average = float(length.mean()) if len(length) and length.mean() > 0 else 1.0
        return (self.k1 * (1 - self.b + self.b * length / average)).astype(np.float32)

    def scores(self, postings: dict[str, Postings], norm: np.ndarray) -> np.ndarray:
        """One score per entry position; 0 where no query term occurs."""
        n = len(norm)
        out = np.zeros(n, dtype=np.float32)
        for term in sorted(postings):
            p = postings[term]
            tf = self.title_weight * p.title_tf.astype(np.float32) + p.body_tf
            out[p.positions] += np.float32(idf(n, len(p.positions))) * tf * (self.k1 + 1) / (tf + norm[p.positions])
        return out


def idf(n: int, df: int) -> float:
    """Lucene's idf of a term held by ``df`` of ``n`` entries (never negative)."""
    return float(np.log1p((n - df + 0.5) / (df + 0.5)))


def coverage(words: list[tuple[str, ...]], postings: dict[str, Postings], n: int) -> float:
    """How much of the query the book holds at all: the idf-weighted share of the query's words
    (each given as its index forms, see :func:`~selfbook.search.terms.word_forms`) of which some
    form occurs in some entry. A word weighs the idf of its most common form, so a word no entry
    holds weighs the most. 0 when no word occurs (a Kannada question over English notes): BM25
    then has nothing to say; 1 when every word does.

    Also 0 when the book holds none of the words written in the query's own script (the script
    most of its words are written in, :func:`script_of`): a Kannada question over English notes
    that shares with them only a year ("2024") or a Latin name ("USA") would otherwise give BM25
    a share of the vote for entries that merely mention that year. Searched in the English
    Cranfield book, 10 of IndicQuest's 200 Kannada questions share such a word with it, and none
    gets a vote now (``bench/retrieval.py --why``)."""
    if not words or not n:
        return 0.0
    held = weights = 0.0
    scripts: Counter[str] = Counter()
    spoken: set[str] = set()  # scripts of which the book holds some query word
    for forms in words:
        counts = [len(postings[f].positions) if f in postings else 0 for f in forms]
        weight = idf(n, max(counts))
        weights += weight
        held += weight if max(counts) else 0.0
        script = script_of(forms[0])
        if script is not None:
            scripts[script] += 1
            if max(counts):
                spoken.add(script)
    if scripts:
        most = max(scripts.values())
        if not spoken & {s for s, count in scripts.items() if count == most}:
            return 0.0
    return held / weights if weights else 0.0


def script_of(word: str) -> str | None:
    """The script of a word's first letter, as its Unicode name begins ('LATIN', 'KANNADA',
    'CJK', 'HIRAGANA'…); None for a word without letters (a year, a number).

    >>> script_of("ಕನ್ನಡ"), script_of("dosa"), script_of("2024")
    ('KANNADA', 'LATIN', None)
    """
    letter = next((c for c in word if c.isalpha()), None)
    return unicodedata.name(letter, "?").split(" ")[0] if letter else None
