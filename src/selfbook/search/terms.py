"""Search terms: how entries and queries become the words of the lexical index.

Both sides go through :func:`search_terms`, so a query word matches an indexed word exactly when
their terms are equal. It builds on :func:`selfbook.text.terms` (case-folded words that keep
their combining marks, so ಕನ್ನಡ stays one word, and hyphenated words that also yield their
parts), then, checked on dev queries only by ``bench/retrieval.py --terms`` (lexical nDCG@10 on
the recorded dev halves of Cranfield and IndicQuest, 2026-12-07):

- Latin letters lose their accents (café → cafe); Indic vowel signs and viramas are never dropped:
  they are letters of the word, not accents;
- English words (ASCII letters only) are stemmed with Snowball (transformers → transform):
  Cranfield dev 0.346 without, 0.370 with;
- a Kannada word of at least 4 code points also yields its 4-code-point stem, marked ``ಕನ್ನ~``,
  so inflected forms meet (ಚಳುವಳಿಯ, ಚಳುವಳಿಯನ್ನು) while the whole word still scores above them:
  IndicQuest dev 0.650 without a stem, 0.784 with 4 code points (3: 0.755, 5: 0.755, 6: 0.721);
  none of 26 other forms beat it on dev, lexical or hybrid (prefixes of several lengths, counted
  in code points or in graphemes, grapheme n-grams, a light ending stripper:
  ``bench/kannada_forms.py``, figures in the README's search section).
  The stem is always an extra term, never a split: ಕನ್ನಡ does not become ಕನ + ನಡ.

An entry is indexed as two fields: its title, and a body made of its note, its tags, the words
of its links (host and path, not the scheme) and the start of its archived page's text
(:attr:`Entry.page_text`, empty unless ``selfbook fetch --archive`` kept one). :func:`entry_counts`
counts them; :mod:`selfbook.search.index` turns the counts into the postings the store keeps.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit

import regex

from ..models import Entry
from ..text import terms

INDEX_VERSION = "terms-2"
"""Changes whenever :func:`search_terms` or :func:`entry_fields` change; a store whose index was
written by another version rebuilds it before searching."""

_LATIN = regex.compile(r"\p{Script=Latin}")
_KANNADA = regex.compile(r"\p{Script=Kannada}")
KANNADA_STEM = 4
STEM_MARK = "~"
_STEMMING = threading.Lock()  # a Snowball stemmer keeps the word it works on in itself: one at a time


def _unaccent(term: str) -> str:
    if term.isascii() or not _LATIN.search(term):
        return term
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", term) if not unicodedata.combining(c)))


@lru_cache(maxsize=1)
def _english():
    """The English Snowball stemmer, made on first use: snowballstemmer imports the stemmers of
    its 30-odd languages, which a command that only reads the book (``selfbook chapters``) need
    not wait for."""
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1 << 18)
def _index_forms(term: str) -> tuple[str, ...]:
    term = _unaccent(term)
    if term.isascii() and term.isalpha():
        with _STEMMING:
            return (_english().stemWord(term),)
    if len(term) >= KANNADA_STEM and _KANNADA.match(term):
        return (term, term[:KANNADA_STEM] + STEM_MARK)
    return (term,)


def search_terms(text: str) -> list[str]:
    """The index terms of ``text``, in order, repeats kept.

    >>> search_terms("Cafés, ಕನ್ನಡ e5-small")
    ['cafe', 'ಕನ್ನಡ', 'ಕನ್ನ~', 'e5-small', 'e5', 'small']
    """
    return [form for term in terms(text) for form in _index_forms(term)]


def word_forms(text: str) -> list[tuple[str, ...]]:
    """The index forms of each distinct word of ``text``: :func:`search_terms` grouped by word.

    >>> word_forms("ಕನ್ನಡ cafés")
    [('ಕನ್ನಡ', 'ಕನ್ನ~'), ('cafe',)]
    """
    return list(dict.fromkeys(_index_forms(term) for term in terms(text)))


def _url_words(url: str) -> str:
    """Host, path and query of the URL's canonical form: tracking parameters are not words."""
    from ..normalize.urls import canonical_url  # deferred: the normalizer is not for --help (bench/cli_start.py)

    parts = urlsplit(canonical_url(url))
    host = parts.netloc.removeprefix("www.")
    return f"{host} {parts.path} {parts.query}".replace("/", " ").replace("=", " ").replace("&", " ")


def entry_fields(entry: Entry) -> tuple[str, str]:
    """The two indexed fields of an entry: its title, and its note with tags and link words."""
    body = [entry.note, *entry.tags, *(_url_words(u) for u in entry.urls), entry.page_text]
    return entry.title, "\n".join(b for b in body if b)


def entry_counts(entry: Entry) -> tuple[Counter[str], Counter[str]]:
    """How often each term occurs in the entry's title and in its body."""
    title, body = (Counter(search_terms(f)) for f in entry_fields(entry))
    return title, body
