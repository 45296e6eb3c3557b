"""The bundled taxonomy of broad domains (``taxonomy.yaml``), used in two places:

1. **How many chapters.** Each entry is given its likeliest domain — with an embedding function,
   the domain whose description is nearest the entry's vector (smoothed over its neighbours, and
   centred per domain, since some descriptions are near everything), kept only for the
   ``CONFIDENT_SHARE`` of entries whose best domain leads the next by the widest margin; without
   one, the domain whose keywords its phrases hold most (none on a tie or no hit). The count is
   then the cut of the tree that agrees best with these labels (see
   :func:`selfbook.organize.cluster.agreement_choice`). The labels are a weak, zero-shot prior:
   they only choose between cuts of the tree, they never move an entry.
2. **Chapter names.** Each chapter is matched to the domain that fits it best
   (:func:`chapter_titles`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

from selfbook.organize.title import PhraseTable, ranked_phrases
from selfbook.phrases import candidate_phrases

__all__ = ["Domain", "Embed", "taxonomy", "domain_texts", "domain_vectors", "entry_domains", "chapter_titles"]

log = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

# How much the embedding fit of a domain counts next to its keyword share (see chapter_titles).
DENSE_WEIGHT = 5.0
# How much the share of a chapter under a heading that names a domain counts (see chapter_titles).
HEADING_WEIGHT = 0.5
# Entry domains are worth using only if at least this share of the entries has one.
MIN_COVERAGE = 0.1
# With an embedding, only this share of the entries, those whose likeliest domain leads the next
# most clearly, keep a domain label. Measured (bench/README.md): 0.5–0.7 choose the same
# chapter counts on both benchmark sets; 1.0 (every label) lets uncertain entries split the
# example's chapters further (10 chapters for 8 domains), 0.3–0.4 leave too few labels.
CONFIDENT_SHARE = 0.6


@dataclass(frozen=True)
class Domain:
    """A broad subject a chapter can be named after."""

    name: str
    description: str
    keywords: tuple[str, ...]


@cache
def taxonomy() -> tuple[Domain, ...]:
    """The bundled domains (``selfbook/organize/taxonomy.yaml``)."""
    text = resources.files("selfbook.organize").joinpath("taxonomy.yaml").read_text(encoding="utf-8")
    return tuple(
        Domain(d["name"], d["description"].strip(), tuple(k.casefold() for k in d["keywords"]))
        for d in yaml.safe_load(text)["domains"]
    )


def domain_texts() -> list[str]:
    """What an embedding function is asked to embed to match entries and chapters to domains."""
    return [f"{d.name}. {d.description}" for d in taxonomy()]


def domain_vectors(embed: Embed | None) -> np.ndarray | None:
    """The domains' descriptions embedded (unit rows), or None without an embedding function."""
    if embed is None:
        return None
    vectors = np.asarray(embed(domain_texts()), dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def entry_domains(table: PhraseTable, smoothed: np.ndarray, dvec: np.ndarray | None) -> np.ndarray | None:
    """Each entry's likeliest domain (an index into :func:`taxonomy`; -1: none), or None when
    fewer than ``MIN_COVERAGE`` of the entries have one.

    ``smoothed`` are the entries' vectors (in the embedding's own space, not centred) smoothed
    over their neighbours: one entry's text is often too short to place on its own.
    """
    if dvec is not None:
        sims = smoothed.astype(np.float64) @ dvec.T
        sims -= sims.mean(axis=0)
        labels = np.argmax(sims, axis=1)
        top2 = np.sort(sims, axis=1)[:, -2:] if sims.shape[1] > 1 else np.hstack([sims, sims])
        margin = top2[:, 1] - top2[:, 0]
        labels[margin < np.quantile(margin, 1 - CONFIDENT_SHARE)] = -1
    else:
        labels = _keyword_domains(table)
    if np.mean(labels >= 0) < MIN_COVERAGE or len(set(labels[labels >= 0].tolist())) < 2:
        return None
    return labels


def _keyword_domains(table: PhraseTable) -> np.ndarray:
    """Each entry's domain by the keywords among its phrases (those two entries or more hold):
    the domain with the most, none on a tie or without any."""
    column = {phrase: j for j, phrase in enumerate(table.phrases)}
    hits = np.zeros((table.matrix.shape[0], len(taxonomy())))
    for d, domain in enumerate(taxonomy()):
        cols = sorted({column[k] for k in domain.keywords if k in column})
        if cols:
            hits[:, d] = np.asarray(table.matrix[:, cols].sum(axis=1)).ravel()
    top = hits.max(axis=1)
    unique = (hits == top[:, None]).sum(axis=1) == 1
    return np.where((top > 0) & unique, hits.argmax(axis=1), -1)


def _lexical_scores(table: PhraseTable, chapters: Sequence[np.ndarray], ref_rows: np.ndarray) -> np.ndarray:
    """chapters × domains: the share of a chapter's key-phrase weight that a domain's keywords hold.

    A phrase counts for a domain if it is a keyword or, for phrases of several words that are
    no domain's keyword, if one of its words is (weighted half): "language models" counts for
    Machine Learning & AI only, not for Languages & Linguistics by its word "language".
    """
    domains = taxonomy()
    exact = frozenset(k for d in domains for k in d.keywords)
    scores = np.zeros((len(chapters), len(domains)))
    for c, rows in enumerate(chapters):
        ranked = ranked_phrases(table, rows, ref_rows, min_share=0.02)[:300]
        total = sum(score for _, score in ranked) or 1.0
        for phrase, score in ranked:
            parts = phrase.split()
            for d, domain in enumerate(domains):
                if phrase in domain.keywords:
                    scores[c, d] += score / total
                elif len(parts) > 1 and phrase not in exact and any(p in domain.keywords for p in parts):
                    scores[c, d] += 0.5 * score / total
    return scores


def _heading_scores(chapters: Sequence[np.ndarray], heading_of: Sequence[str | None]) -> np.ndarray:
    """chapters × domains: the share of a chapter's entries whose topical heading is the domain's
    name or holds one of its keywords ("Science"; "Money" for Personal Finance & Investing;
    "Kitchen notebook" for Cooking & Food by "kitchen")."""
    domains = taxonomy()
    scores = np.zeros((len(chapters), len(domains)))
    match: dict[str, np.ndarray] = {}
    for heading in sorted({h for h in heading_of if h is not None}):
        phrases = set(candidate_phrases(heading))
        match[heading] = np.array(
            [bool(phrases & set(d.keywords)) or heading.casefold() == d.name.casefold() for d in domains], dtype=float
        )
    for c, rows in enumerate(chapters):
        held = [match[heading_of[i]] for i in rows if heading_of[i] is not None]
        if held:
            scores[c] = np.sum(held, axis=0) / len(rows)
    return scores


def _dense_scores(vectors: np.ndarray, chapters: Sequence[np.ndarray], dvec: np.ndarray) -> np.ndarray:
    """chapters × domains: cosine of each chapter's mean vector to each domain's description,
    centred per chapter (a model such as e5 gives every pair a high raw cosine)."""
    cent = np.stack([vectors[rows].mean(axis=0) for rows in chapters]).astype(np.float64)
    cent /= np.linalg.norm(cent, axis=1, keepdims=True)
    sims = cent @ dvec.T
    return sims - sims.mean(axis=1, keepdims=True)


def chapter_titles(
    table: PhraseTable,
    vectors: np.ndarray,
    chapters: Sequence[np.ndarray],
    dvec: np.ndarray | None,
    min_fit: float,
    heading_of: Sequence[str | None] = (),
) -> list[str]:
    """A domain name per chapter where one fits, else "" (the caller titles it by key phrases).

    The fit of a domain is its keyword share (:func:`_lexical_scores`, 0..1), plus
    ``HEADING_WEIGHT`` times the share of the chapter's entries whose topical heading holds
    one of its keywords (:func:`_heading_scores`), plus, given domain vectors,
    ``DENSE_WEIGHT`` times the centred cosine of the chapter's mean vector to the domain's
    description (:func:`_dense_scores`). Domains are assigned one-to-one
    (Hungarian method), so two chapters never share a name; a chapter keeps its domain only
    if the fit is at least ``min_fit``.
    """
    if not chapters:  # every entry went to the Miscellany chapter (a tiny dump)
        return []
    domains = taxonomy()
    everything = np.arange(table.matrix.shape[0])
    fit = _lexical_scores(table, chapters, everything)
    if any(h is not None for h in heading_of):
        fit = fit + HEADING_WEIGHT * _heading_scores(chapters, heading_of)
    if dvec is not None:
        fit = fit + DENSE_WEIGHT * _dense_scores(vectors, chapters, dvec)
    titles = [""] * len(chapters)
    if fit.size:
        from scipy.optimize import linear_sum_assignment  # deferred to the organizer, as in organize.cluster

        rows, cols = linear_sum_assignment(-fit)
        for c, d in zip(rows, cols):
            if fit[c, d] >= min_fit:
                titles[c] = domains[d].name
    return titles
