"""Human titles for chapters and sections, without an LLM.

Sections are titled by class-based scores over candidate phrases (:mod:`selfbook.text.phrases`):
a phrase scores by the share of the section's entries that hold it against its share in the
whole chapter (a KL term, see :func:`_ranked`); phrases common to many sections of a chapter
are boilerplate and skipped (:func:`_boilerplate`). The title is the best phrase, widened to a longer phrase that almost always
comes with it ("networks" → "Kolmogorov-Arnold Networks"), plus at most one more phrase that
says something different ("RAG & LlamaIndex"). An acronym next to its expansion becomes
"RAG — Retrieval-Augmented Generation". Phrases keep their most common casing.

A phrase may title a group only if :func:`selfbook.text.phrases.is_title_phrase` allows it: month and
weekday names never start or end one, and generic words ("first", "light", "life", "events",
"hours", "side") never make one on their own. Among phrases that score alike, longer ones and
names (a capital inside the phrase as in "SQLite", "RAG", "Dead Hang"; another script as in
"ಕನ್ನಡ") come first.

Chapters are named from the bundled taxonomy (:mod:`selfbook.organize.domains`) when a domain
fits, else by their own key phrases like a section; sections may take the person's own heading
(:mod:`selfbook.organize.headings`).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import regex

from selfbook.organize.fragments import head_of_compounds, named as _named, singular as _singular, whole
from selfbook.organize.names import WIDEN_SHARE, label_names
from selfbook.organize.plurals import plurals
from selfbook.organize.vocab import Label
from selfbook.text.phrases import is_title_phrase, most_common_form, phrase_forms, proper_names
from selfbook.text import stem, words

if TYPE_CHECKING:  # scipy is imported where a table is built: the organizer's, as in organize.cluster
    from scipy import sparse

log = logging.getLogger(__name__)

# Words that stay lower-case inside a title ("Sleep and Recovery", "Tools for Writing").
_SMALL = frozenset("a an and as at by for from in of on or the to vs via with".split())
_ACRONYM = regex.compile(r"^[A-Z][A-Z0-9]{1,5}s?$")
# How much a name from a published vocabulary is preferred as a title over a phrase of the
# entries alone that scores the same.
VOCAB_PREFERENCE = 1.3


@dataclass(frozen=True)
class PhraseTable:
    """Which entries hold which candidate phrases (binary; phrases held by ≥ 2 entries), and
    each phrase's most common casing over all the texts."""

    matrix: sparse.csr_matrix  # entries × phrases
    phrases: tuple[str, ...]
    forms: dict[str, str]
    texts: tuple[str, ...]
    weight: np.ndarray  # per phrase: 0 if it may not title a group, else its preference (≥ 1)
    title_forms: dict[str, str] = field(default_factory=dict)  # as a title shows it: "Courses"
    labelled: frozenset[str] = frozenset()  # phrases that are vocabulary names in the sense the texts use
    proper: frozenset[str] = frozenset()  # words the texts write as names inside sentences ("Go", "Rust")

    @classmethod
    def build(cls, texts: Sequence[str], vocabulary: Sequence[Label] = (), plural_share: float = 0.0) -> PhraseTable:
        """The table of ``texts``. With a ``vocabulary``, an entry that holds any surface form
        of a label (``postgres``, ``psql``) also holds the label's name (``postgresql``), shown
        as the vocabulary writes it ("PostgreSQL") and preferred as a title (``VOCAB_PREFERENCE``).

        With ``plural_share`` above 0, a phrase that names a kind of thing is titled in the
        plural, as a person names a shelf of them ("Courses", "URL Shorteners"): when the texts
        write its plural in at least that share as many entries as the singular (see
        :func:`selfbook.organize.plurals.plurals`)."""
        held: list[set[str]] = []
        casing: dict[str, Counter[str]] = {}
        for text in texts:
            keys = set()
            for form in phrase_forms(text):
                key = form.casefold()
                keys.add(key)
                casing.setdefault(key, Counter())[form] += 1
            held.append(keys)
        named = label_names(held, vocabulary)
        proper = proper_names(texts)
        df = Counter(key for keys in held for key in keys)
        phrases = tuple(sorted(k for k, count in df.items() if count >= 2))
        column = {p: j for j, p in enumerate(phrases)}
        indptr, indices = [0], []
        for keys in held:
            indices.extend(sorted(column[k] for k in keys if k in column))
            indptr.append(len(indices))
        from scipy import sparse  # deferred: see the imports

        matrix = sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(texts), len(phrases)),
        )
        forms = {p: named.get(p) or most_common_form(casing[p]) for p in phrases}
        weight = np.array(
            [_preference(p, forms[p], p in named, p in proper) * (VOCAB_PREFERENCE if p in named else 1.0) for p in phrases],
            dtype=np.float64,
        )
        plural = plurals(phrases, forms, df, plural_share, texts) if plural_share > 0 else {}
        return cls(
            matrix, phrases, forms, tuple(texts), weight, {**forms, **plural}, frozenset(named) & set(phrases), proper
        )

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """How many of the given entries hold each phrase."""
        return np.asarray(self.matrix[rows].sum(axis=0)).ravel()

    @cached_property
    def df(self) -> np.ndarray:
        """How many entries hold each phrase."""
        return np.asarray(self.matrix.sum(axis=0)).ravel()

    def form(self, phrase: str) -> str:
        return self.forms.get(phrase, phrase)

    @cached_property
    def column(self) -> dict[str, int]:
        """Each phrase's column in ``matrix``."""
        return {phrase: j for j, phrase in enumerate(self.phrases)}

    @cached_property
    def _by_singular(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for j, phrase in enumerate(self.phrases):
            out.setdefault(_singular(phrase), []).append(j)
        return out

    @cached_property
    def _by_head(self) -> dict[str, list[int]]:
        """The columns of the phrases of two words or more, by the singular of their last word."""
        out: dict[str, list[int]] = {}
        for j, phrase in enumerate(self.phrases):
            if " " in phrase:
                out.setdefault(_singular(phrase.rsplit(" ", 1)[1]), []).append(j)
        return out

    @cached_property
    def _by_first_words(self) -> dict[str, list[int]]:
        """The columns of the phrases of two words or more, by all their words but the last."""
        out: dict[str, list[int]] = {}
        for j, phrase in enumerate(self.phrases):
            if " " in phrase:
                out.setdefault(phrase.rsplit(" ", 1)[0], []).append(j)
        return out

    @cached_property
    def _by_initials(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for j, phrase in enumerate(self.phrases):
            if " " in phrase.replace("-", " "):
                out.setdefault(_initials(phrase), []).append(j)
        return out

    def variants(self, phrase: str) -> set[int]:
        """The columns of the phrases that name what ``phrase`` names: itself, its singular or
        plural, and its acronym or expansion ("llms", "large language model" for "large language
        models")."""
        out = set(self._by_singular.get(_singular(phrase), ()))
        if " " not in phrase and len(phrase) >= 2:  # an acronym: the phrases it abbreviates
            for key in {phrase, phrase.removesuffix("s")}:
                out.update(self._by_initials.get(key, ()))
        if " " in phrase.replace("-", " "):  # an expansion: its acronym, in either number
            initials = _initials(phrase)
            out.update(self.column[key] for key in (initials, initials + "s") if len(key) >= 2 and key in self.column)
        return out


def _preference(phrase: str, form: str, name: bool = False, proper: bool = False) -> float:
    """How much a phrase is preferred as a title, all else equal: 0 if it may not title at all;
    +15% per word beyond the first; +20% for a name (a capital after the phrase's first
    letter, or letters of a script other than Latin). A ``name`` (a vocabulary's) and a phrase
    with a word written as a name ("SQLite", "LoRA"; not merely capitalized, as a title's words
    are, nor an acronym: "CMS That Allows") are nouns whatever else their words can be
    (:func:`is_title_phrase`)."""
    other_script = any(c.isalpha() and not c.isascii() for c in form)
    named = _named(form)
    # a capital inside a word, not merely at the start of a part of a compound ("Large-Scale")
    written = other_script or any(
        any(c.isupper() for c in part[1:]) and not part.isupper() for w in form.split() for part in w.split("-")
    )
    if not is_title_phrase(phrase, name or written, proper):
        return 0.0
    return (1 + 0.15 * phrase.count(" ")) * (1.2 if named else 1.0)


@dataclass(frozen=True)
class _Scored:
    index: int
    score: float
    count: float


def _ranked(
    table: PhraseTable,
    rows: np.ndarray,
    ref_rows: np.ndarray,
    min_share: float = 0.1,
    exclude: frozenset[int] = frozenset(),
) -> list[_Scored]:
    """Phrases of ``rows`` scored against ``ref_rows`` (a superset), best first.

    The score is a phrase's term of the KL divergence between the group and its parent,
    ``share · log(share / parent_share)``: high for phrases most of the group holds and the
    rest of the parent lacks, near zero for boilerplate spread over the whole parent (licence
    names, "source code", "demo"), times the phrase's preference (:func:`_preference`: longer
    phrases and names first; 0 for phrases that may not title). A phrase must be held by two
    entries and by ``min_share`` of the group, and not be in ``exclude``.
    """
    if not table.phrases:
        return []
    here = table.counts(rows)
    ref = table.counts(ref_rows)
    n, n_ref = len(rows), len(ref_rows)
    need = max(2.0, min_share * n) if n >= 2 else 1.0
    out = []
    for j in np.flatnonzero((here >= need) & (table.weight > 0)):
        if j in exclude:
            continue
        share = here[j] / n
        parent = (ref[j] + 1) / (n_ref + 2)
        if share <= parent:
            continue
        score = share * math.log(share / parent) * table.weight[j]
        out.append(_Scored(int(j), float(score), float(here[j])))
    out.sort(key=lambda s: (-s.score, table.phrases[s.index]))
    return out


def ranked_phrases(
    table: PhraseTable, rows: np.ndarray, ref_rows: np.ndarray, min_share: float = 0.1
) -> list[tuple[str, float]]:
    """The phrases of ``rows`` against ``ref_rows`` with their scores, best first (see :func:`_ranked`)."""
    return [(table.phrases[s.index], s.score) for s in _ranked(table, rows, ref_rows, min_share)]


def _widen(table: PhraseTable, best: _Scored, ranked: list[_Scored]) -> _Scored:
    """A longer phrase that holds ``best`` and comes with it in ≥ 60% of its entries."""
    words_best = table.phrases[best.index].split()
    wider = [
        s for s in ranked
        if len(table.phrases[s.index].split()) > len(words_best)
        and _contains(table.phrases[s.index].split(), words_best)
        and s.count >= WIDEN_SHARE * best.count
    ]
    return max(wider, key=lambda s: (s.count, s.score, table.phrases[s.index])) if wider else best


def _contains(outer: list[str], inner: list[str]) -> bool:
    return any(outer[i : i + len(inner)] == inner for i in range(len(outer) - len(inner) + 1))


def _initials(phrase: str) -> str:
    return "".join(part[0] for part in regex.split(r"[\s\-]+", phrase) if part and part not in _SMALL)


def _expansion(acronym: str, table: PhraseTable, ranked: list[_Scored]) -> _Scored | None:
    """A multi-word phrase among ``ranked`` whose initials spell ``acronym``."""
    target = acronym.casefold().removesuffix("s") if len(acronym) > 2 else acronym.casefold()
    for s in ranked:
        phrase = table.phrases[s.index]
        if " " in phrase or "-" in phrase:
            if _initials(phrase) == target:
                return s
    return None


def _overlaps(a: str, b: str) -> bool:
    """True if two phrases share a word stem, the parts of hyphenated words included
    ("long-context" and "long contexts")."""
    return bool({stem(w) for w in regex.split(r"[\s-]+", a) if w} & {stem(w) for w in regex.split(r"[\s-]+", b) if w})


def _is_acronym_pair(a: str, b: str) -> bool:
    return _initials(a) == b or _initials(b) == a


def _pick(table: PhraseTable, rows: np.ndarray, ranked: list[_Scored], max_phrases: int) -> list[str]:
    """The one or two phrases of a title, lower-cased.

    Fragments of longer phrases are left out (:func:`~selfbook.organize.fragments.whole`). The
    best phrase (widened, see :func:`_widen`), then further phrases that score at least 0.6
    times as well, are held by at least half as many entries (and three), share no word stem
    with those chosen, and are not held by nearly the same entries (an acronym and its
    expansion are kept together). Two chosen words that form a phrase of the group ("file" +
    "sharing") become that phrase. A weak second phrase makes a worse title than none
    ("Total & Sleep").
    """
    held = table.matrix[rows].tocsc()
    ranked = whole(table, held, ranked)
    if not ranked:
        return []
    first = head_of_compounds(table, held, ranked, _widen(table, ranked[0], ranked))
    chosen = [first]
    for s in ranked[1:]:
        if len(chosen) >= max_phrases or s.score < 0.6 * first.score:
            break
        if s.count < max(3.0, 0.5 * first.count):
            continue
        phrase = table.phrases[s.index]
        if any(_overlaps(phrase, table.phrases[c.index]) for c in chosen):
            continue
        together = held[:, first.index].multiply(held[:, s.index]).sum()
        if together >= 0.8 * s.count:
            if _is_acronym_pair(table.phrases[first.index], phrase):
                chosen.append(s)
            continue
        joined = _joined(table, ranked, table.phrases[first.index], phrase)
        if joined is not None:
            chosen[0] = joined
            continue
        wide = _widen(table, s, ranked)
        if any(_overlaps(table.phrases[wide.index], table.phrases[c.index]) for c in chosen):
            wide = s  # "physics" widened to "prize in physics" beside "Nobel Prize" would say "Prize" twice
        chosen.append(wide)
    return [table.phrases[c.index] for c in chosen]


def _joined(table: PhraseTable, ranked: list[_Scored], a: str, b: str) -> _Scored | None:
    """A ranked phrase that holds both ``a`` and ``b`` ("file sharing" for "sharing", "file")."""
    for s in ranked:
        words_s = table.phrases[s.index].split()
        if _contains(words_s, a.split()) and _contains(words_s, b.split()):
            return s
    return None


def _titlecase(form: str) -> str:
    out = []
    for i, word in enumerate(form.split(" ")):
        if word.islower() and word.isascii() and (i == 0 or word not in _SMALL):
            word = "-".join(p[:1].upper() + p[1:] for p in word.split("-"))
        out.append(word)
    return " ".join(out)


def compose(phrases: list[str], forms: dict[str, str]) -> str:
    """Join chosen phrases into a title: 'RAG — Retrieval-Augmented Generation', 'A & B'."""
    shown = [_titlecase(forms.get(p, p)) for p in phrases]
    if len(phrases) == 2 and (_initials(phrases[1]) == phrases[0] or _initials(phrases[0]) == phrases[1]):
        short, long_ = sorted(shown, key=len)
        return f"{short} — {long_}"
    return " & ".join(shown)


def _boilerplate(table: PhraseTable, groups: Sequence[np.ndarray]) -> frozenset[int]:
    """Phrases that say what the parent is about, or how its entries are written, not what
    one group is about: a tenth of the entries hold them in 30% or more of the groups (when
    there are four groups or more), and so does every phrase made only of such words
    ("MIT Docker" when "MIT" and "Docker" are on every other line).
    """
    if len(groups) < 4 or not table.phrases:
        return frozenset()
    common = np.zeros(len(table.phrases))
    for rows in groups:
        common += table.counts(rows) >= max(2.0, 0.1 * len(rows))
    spread = np.flatnonzero(common >= max(3.0, 0.3 * len(groups)))
    words_spread = {table.phrases[j] for j in spread if " " not in table.phrases[j]}
    by_words = [j for j, phrase in enumerate(table.phrases) if set(phrase.split()) <= words_spread]
    return frozenset(spread.tolist()) | frozenset(by_words)


def title_groups(
    table: PhraseTable,
    groups: Sequence[np.ndarray],
    ref_rows: np.ndarray,
    max_phrases: int = 2,
    min_share: float = 0.1,
    phrases: list[list[str]] | None = None,
) -> list[str]:
    """A key-phrase title for each group of entry rows, against their parent ``ref_rows``.
    ``phrases``, if given, is filled with each group's chosen phrases (lower-cased).

    Groups are titled largest first, and a phrase that leads one group's title is not offered
    to the groups after it: two sibling sections never share a title ("Sleep" and "Sleep: Age"),
    the smaller one says what else it is about. Returns "" for a group with no usable phrase;
    the caller decides what to do with it.
    """
    exclude = set(_boilerplate(table, groups))
    picks: list[list[str]] = [[] for _ in groups]
    for g in sorted(range(len(groups)), key=lambda g: (-len(groups[g]), g)):
        rows = groups[g]
        ranked = _ranked(table, rows, ref_rows, min_share, frozenset(exclude))
        chosen = _pick(table, rows, ranked, max_phrases)
        if len(chosen) == 1 and _ACRONYM.match(table.form(chosen[0])):
            wide = _expansion(chosen[0], table, ranked)
            if wide is not None:
                chosen.append(table.phrases[wide.index])
        if chosen:
            # nor its other number, acronym or expansion: "Large Language Model" or "LLMs" beside
            # "Large Language Models" says it twice
            exclude.update(table.variants(chosen[0]))
        picks[g] = chosen
    if phrases is not None:
        phrases[:] = picks
    return [compose(chosen, table.title_forms or table.forms) if chosen else "" for chosen in picks]


def holders(table: PhraseTable, phrases: Sequence[str]) -> np.ndarray:
    """Per entry of the table: whether it holds any of ``phrases``."""
    cols = [table.column[p] for p in phrases if p in table.column]
    if not cols:
        return np.zeros(table.matrix.shape[0], dtype=bool)
    return np.asarray(table.matrix[:, cols].sum(axis=1)).ravel() > 0


def key_phrases(table: PhraseTable, rows: np.ndarray, ref_rows: np.ndarray, count: int, min_share: float = 0.1) -> list[str]:
    """The ``count`` best distinct phrases of ``rows`` in their usual casing."""
    ranked = _ranked(table, rows, ref_rows, min_share)
    chosen: list[str] = []
    for s in ranked:
        phrase = table.phrases[s.index]
        if any(_contains(c.split(), phrase.split()) or _contains(phrase.split(), c.split()) for c in chosen):
            continue
        if any(_singular(c) == _singular(phrase) for c in chosen):  # "images" after "image" (shown "Images")
            continue
        chosen.append(phrase)
        if len(chosen) == count:
            break
    return [table.title_forms.get(p) or table.form(p) for p in chosen]


def central_titles(
    texts: Sequence[str], vectors: np.ndarray, at: np.ndarray, count: int = 2, rows: np.ndarray | None = None
) -> str:
    """The first lines of the entries nearest the group's mean: a title of last resort.

    ``at`` are the group's rows of ``vectors``; ``rows``, if given, the same entries' rows of
    ``texts`` (when ``vectors`` holds only part of the book)."""
    rows = at if rows is None else np.asarray(rows)
    centre = vectors[at].mean(axis=0)
    order = rows[np.lexsort((rows, -(vectors[at] @ centre)))]
    firsts = [texts[i].strip().splitlines()[0][:60].strip() if texts[i].strip() else "" for i in order[:count]]
    firsts = [f for f in firsts if f]
    return ", ".join(firsts) + (", …" if len(rows) > len(firsts) else "")


def disambiguate(titles: list[str], extras: list[list[str]]) -> list[str]:
    """Make titles unique: a repeat gets its first extra phrase that shares no word with it
    ("Deep Learning: Courses"), or else a number."""
    out: list[str] = []
    taken: set[str] = set()  # case aside: "Natural Language Processing" repeats "Natural language processing"
    for title, more in zip(titles, extras):
        candidate = title
        if candidate.casefold() in taken:
            held = {w.casefold() for w in words(title)}
            for extra in more:
                if not held & {w.casefold() for w in words(extra)} and not _is_acronym_pair(title.casefold(), extra.casefold()):
                    candidate = f"{title}: {_titlecase(extra)}"
                    break
        base, number = candidate, 2
        while candidate.casefold() in taken:
            candidate = f"{base} ({number})"
            number += 1
        out.append(candidate)
        taken.add(candidate.casefold())
    return out
