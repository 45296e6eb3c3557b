"""Candidate key phrases of a text, for section titles and the back-of-book index.

A *phrase* is a run of one to three words (:func:`selfbook.text.words`, so Kannada words stay
whole), lower-cased, that

- does not cross punctuation (a comma, a colon, brackets, a dash between spaces, a line break);
- neither starts nor ends with a stopword, a number or a one-letter word;
- holds no URL fragment (URLs and bare host names such as ``paul.mou.dev`` are removed first)
  and neither starts nor ends with a licence identifier ("GPL-3.0", "Apache-2.0").

Stopwords are English function words, a few Kannada ones, and the noise of a link dump
("tweet", "thread", "via", "http", "www", "paper", "arxiv", "pdf"...). Words that carry a topic
even when they look generic ("video", "data", "system", "computer") are *not* stopwords:
"computer vision" must survive.

Titles are stricter than the index (:func:`is_title_phrase`): month and weekday names
(:data:`DATE_WORDS`) never start or end a title phrase, and :data:`GENERIC_WORDS` ("first",
"light", "life", "events", "hours", "side"…) never make one on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import regex

from selfbook.text import URL_CHAR, WEB_URL, normalize, words

__all__ = [
    "DATE_WORDS",
    "GENERIC_WORDS",
    "STOPWORDS",
    "candidate_phrases",
    "is_title_phrase",
    "proper_names",
    "most_common_form",
    "phrase_forms",
    "surface_forms",
]

_ENGLISH = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either else etc even ever every few for from further get gets getting got had
hadn't has hasn't have haven't having he he's her here here's hers herself him himself his how how's
however i i'd i'll i'm i've if in into is isn't it it's its itself just let's like may me might more
most much must mustn't my myself neither no nor not now of off often on once one only or other ought
our ours ourselves out over own per quite rather really same shan't she she'd she'll she's should
shouldn't since so some still such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those though through thus to too under until
up upon us very vs was wasn't we we'd we'll we're we've were weren't what what's when when's where
where's whether which while who who's whom whose why why's will with within without won't would
wouldn't yet you you'd you'll you're you've your yours yourself yourselves
new using use used via way ways make makes made many several part lot lots thing things something
let around across along among toward towards onto beyond enough another e.g i.e eg ie
explained
"""

# Words that a link dump repeats on every other line without saying what the link is about.
_DUMP_NOISE = """
http https www com org net io html htm pdf php amp link links tweet tweets thread threads
retweet twitter x.com reply replies post posts blog blogs article articles paper papers
arxiv abs doi repo repos github gitlab readme see check tldr et al
"""

# Common Kannada function words: and, this, that, one, it, in, also, or, is, with, for, etc.
_KANNADA = "ಮತ್ತು ಈ ಆ ಒಂದು ಇದು ಅದು ಇದೆ ಇವೆ ಅಥವಾ ಹಾಗೂ ಸಹ ಕೂಡ ಎಂದು ಬಗ್ಗೆ ಮೇಲೆ ಒಳಗೆ ನಲ್ಲಿ ಅವರ ಅವರು ಇಲ್ಲ ಹೇಗೆ ಏನು"

STOPWORDS: frozenset[str] = frozenset((_ENGLISH + _DUMP_NOISE + _KANNADA).split())

# Month and weekday names (English and Kannada): a date, never a topic.
DATE_WORDS: frozenset[str] = frozenset(
    """
    jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july
    august september october november december mon tue tues wed thu thur thurs fri sat sun monday
    tuesday wednesday thursday friday saturday sunday
    ಜನವರಿ ಫೆಬ್ರವರಿ ಮಾರ್ಚ್ ಏಪ್ರಿಲ್ ಮೇ ಜೂನ್ ಜುಲೈ ಆಗಸ್ಟ್ ಸೆಪ್ಟೆಂಬರ್ ಅಕ್ಟೋಬರ್ ನವೆಂಬರ್ ಡಿಸೆಂಬರ್
    """.split()
)

# Words that say when, how much, or how good, not what about. They may stand inside a title
# ("Art of Fermentation", "Dead Hang") but never make one on their own ("First", "Light & Life").
GENERIC_WORDS: frozenset[str] = frozenset(
    """
    first second third last next previous early late latest recent old new again today tomorrow
    yesterday morning evening night day days week weeks weekly month months monthly year years
    yearly hour hours minute minutes time times moment
    light life lives event events side sides end ends start top bottom front back middle
    way ways thing things stuff kind kinds sort type types lot bit piece pieces part parts
    good great best better bad worse worst big small little large long short high low full half
    real simple easy hard nice cool interesting important useful free online live
    people person man men woman women folks everyone someone anyone
    work works working make making take taking go going come coming look looking get getting
    find found try tried know known say says said think want need needs keep kept give
    idea ideas thought thoughts tip tips link links page pages read reading watch watching
    vol volume number numbers total measure various general anything everything something nothing
    """.split()
)

_URL = regex.compile(rf"{WEB_URL}|www\.{URL_CHAR}+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{{2,6}}/{URL_CHAR}*", regex.IGNORECASE)
# A word that is a bare host or file name: "paul.mou.dev", "youtu.be", "index.html",
# "building.nubank.com.br" (two dots or more and an alphabetic last label count as a host).
_HOSTLIKE = regex.compile(
    r"^[\p{L}\p{N}-]+(?:"
    r"\.(?:com|org|net|io|dev|ai|co|me|app|xyz|html?|md|pdf|edu|gov|uk|in|de|fr|info|ly|so|sh|gg"
    r"|be|tv|fm|to|cc|us|ca|jp|cn|ru|br|au|eu|ch|nl|se|it|es|pl|cz|kr|tw|ir|site|page|blog|tech)"
    r"|(?:\.[\p{L}\p{N}-]+)+\.[a-z]{2,6})$",
    regex.IGNORECASE,
)
# Licence identifiers (SPDX style) that awesome lists and READMEs put on every line.
_LICENCE = regex.compile(r"^(?:[AL]?GPL|Apache|BSD|MPL|EPL|CC-BY|CC0|Unlicense|ISC|Zlib)(?:-[\w.]+)*$", regex.IGNORECASE)
# A possessive ending: "DoorDash’s" is DoorDash's, and a phrase of it is "DoorDash".
_POSSESSIVE = regex.compile(r"(?<=\p{L}{2})['’]s$", regex.IGNORECASE)
# Where a phrase must not continue: punctuation, a spaced dash or slash, an end of sentence.
_BREAK = regex.compile(r"[,;:!?()\[\]{}|\"“”«»<>•·—–…#*_=~`@]+|\.(?=\s|$)|\s[-/&+]\s|/|\n")


@lru_cache(maxsize=65536)
def is_hostlike(word: str) -> bool:
    """True for a bare host or file name (\"paul.mou.dev\", \"index.html\")."""
    return _HOSTLIKE.match(word) is not None


@lru_cache(maxsize=65536)
def _is_edge_blocker(word: str) -> bool:
    """True for words a phrase may hold inside but not start or end with."""
    low = word.casefold()
    return low in STOPWORDS or len(low) < 2 or not any(ch.isalpha() for ch in low) or bool(_LICENCE.match(word))


def _runs(text: str) -> list[list[str]]:
    """The words of ``text`` in their original case, split into runs at punctuation, with
    possessive endings taken off ("DoorDash’s team" holds "DoorDash", not "DoorDash’s")."""
    text = _URL.sub(" \n ", normalize(text))
    runs: list[list[str]] = []
    for segment in _BREAK.split(text):
        run: list[str] = []
        for word in words(segment):
            if is_hostlike(word):
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(_POSSESSIVE.sub("", word))
        if run:
            runs.append(run)
    return runs


def _ngrams(run: list[str], max_len: int) -> Iterable[str]:
    edge = [_is_edge_blocker(w) for w in run]
    for start in range(len(run)):
        if edge[start]:
            continue
        for end in range(start + 1, min(start + max_len, len(run)) + 1):
            if not edge[end - 1]:
                yield " ".join(run[start:end])


def phrase_forms(text: str, max_len: int = 3) -> list[str]:
    """Every candidate phrase of ``text`` as written (original case), in reading order.

    ``candidate_phrases`` is this, lower-cased; keep both forms from one pass when you need
    the casing too.
    """
    return [gram for run in _runs(text) for gram in _ngrams(run, max_len)]


def candidate_phrases(text: str, max_len: int = 3) -> list[str]:
    """Every candidate phrase of ``text``, lower-cased, in reading order, repeats kept.

    >>> candidate_phrases("Kolmogorov-Arnold Networks, via @svpino")
    ['kolmogorov-arnold', 'kolmogorov-arnold networks', 'networks', 'svpino']
    """
    return [form.casefold() for form in phrase_forms(text, max_len)]


def is_title_phrase(phrase: str, name: bool = False, proper: bool = False) -> bool:
    """True if ``phrase`` (lower-cased, as :func:`candidate_phrases` gives it) may make a title:
    it neither starts nor ends with a date word, holds a word that is neither a stopword, a date
    word nor a generic word, and reads as a noun phrase (:func:`_noun_phrase`). "sleep", "dead
    hang", "art of fermentation" may; "oct", "first", "light", "events", "7b", "oct 2024 nobel",
    "nifty", "install docker", and a phrase with a function word inside that is not an
    article, a preposition or "and"/"or" ("finds that LLMs", "CMS that allows") may not. A
    ``name`` (a published vocabulary's: "React", "Google") is a noun whatever else its words
    can be; a ``proper`` name (one the texts write with a
    capital inside their sentences: the language "Go") is not a generic word, though it must
    still read as a noun ("Recurrent", capitalized in cited titles, does not)."""
    parts = phrase.split()
    if not parts or parts[0] in DATE_WORDS or parts[-1] in DATE_WORDS:
        return False
    if any(w in STOPWORDS and w not in _LINKING for w in parts[1:-1]):
        return False  # "finds that llms", "what is rag": part of a clause, even with a name in it
    if not name and not _noun_phrase(parts):
        return False
    generic = frozenset() if proper else GENERIC_WORDS
    return any(w not in STOPWORDS and w not in DATE_WORDS and w not in generic and not _QUANTITY.match(w) for w in parts)


# A number with a unit of size ("7B", "128K", "1.58-bit", "24GB", "10x"): how big, never what
# about, so it makes no title on its own ("7B"), though a title may hold one ("GPT-4", "3D" and
# "5G" are not sizes and stay).
_QUANTITY = regex.compile(r"^\d+(?:[.,]\d+)?-?(?:k|m|b|bn|t|x|bits?|[kmgt]b)$", regex.IGNORECASE)


_INNER_WORD = regex.compile(r"(?<=[\p{L}\p{N},;)] )\p{L}[\p{L}\p{N}]*")


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased words that the texts write with a capital inside their sentences more often
    than without, twice at least: names ("Go", "Rust", "Swift") even where the word is common
    ("go", "rust"). Only the lines after each text's first are read, as a first line is often a
    title in title case ("Running Specific Test"); a word after a full stop is not counted."""
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for line in text.split("\n")[1:]:
            for match in _INNER_WORD.finditer(line):
                word = match.group()
                if word[0].isupper() and (len(word) == 1 or not word[1:].isupper()):
                    upper[word.casefold()] += 1
                elif word.islower():
                    lower[word] += 1
    return frozenset(w for w, n in upper.items() if n >= 2 and n > lower[w])


@lru_cache(maxsize=65536)
def _parts_of_speech(word: str) -> frozenset[str]:
    """What an English word form can be ("found": VERB; "terminal": ADJ, NOUN), from the lexicon
    of lemminflect (MIT; built from the NIH SPECIALIST Lexicon). A word it does not know is read
    by English word formation (:func:`_formed`) where that is plain, else taken for a name and
    left empty: "SQLite", "Karpathy", a word of another script, a coinage."""
    from lemminflect import getAllLemmas  # deferred: loading its lexicon is for the organizer only

    known = frozenset(getAllLemmas(word))
    return known or _formed(word)


# Suffixes that make English adjectives of nouns and verbs ("convolutional", "generative",
# "autoregressive", "pretrained"): a word the lexicon lacks that ends so is read as an adjective.
_ADJECTIVE_SUFFIXES = ("ional", "ative", "itive", "ive", "ous", "ful", "less", "able", "ible", "ical", "ed")


def _formed(word: str) -> frozenset[str]:
    """What a lower-case word the lexicon lacks is, by how English forms words: a compound that
    describes ("large-scale", "end-to-end", "instruction-tuned": ADJ) and one that names
    ("e-commerce", "self-attention": NOUN) by its parts; a derived adjective by its suffix.
    Empty where neither tells (a name, a coinage). A first part the lexicon also calls a noun or
    a verb does not make a quality ("open-domain", "real-time" stay nouns)."""
    if not word.isascii() or not word.islower():
        return frozenset()
    parts = [part for part in word.split("-") if part]
    if len(parts) > 1:
        if parts[0] in STOPWORDS or parts[-1] in STOPWORDS:
            return frozenset()  # "to-do", "in-memory", "sign-in": idioms the parts do not tell
        if any(part in STOPWORDS for part in parts[1:-1]):
            if parts[0] == parts[-1] or "of" in parts:
                return frozenset({"ADJ"})  # "end-to-end", "peer-to-peer", "state-of-the-art"
            return _parts_of_speech(parts[-1])  # "text-to-speech": a task, named by its noun
        last = _parts_of_speech(parts[-1])
        if not last:
            return frozenset()
        if parts[-1].endswith("ed") or last <= {"ADJ", "ADV"}:
            return frozenset({"ADJ"})  # "instruction-tuned", "fine-grained", "non-linear"
        if _parts_of_speech(parts[0]) == frozenset({"ADJ"}):
            return frozenset({"ADJ"})  # "large-scale": a first part that is only an adjective
        return last  # "e-commerce", "self-attention", "long-context"
    if len(word) > 5 and word.endswith(_ADJECTIVE_SUFFIXES):
        return frozenset({"ADJ"})
    return frozenset()


# The function words a noun phrase holds inside: articles, prepositions and "and"/"or" ("Art
# of Fermentation", "Retrieval for Question Answering"). Any other stopword inside a phrase
# ("that", "is", "can", "it") makes it part of a clause.
_LINKING = frozenset(
    "a an the and or of for in on to with without at by from into over under about against "
    "between through via vs versus as per".split()
)


def _noun_phrase(parts: Sequence[str]) -> bool:
    """True unless the words cannot be a noun phrase, as a title is: a phrase that starts with a
    word that is only a verb or an adverb ("install docker", "quickly"), one word that cannot be
    a noun ("nifty", "remove", "found"), a phrase that ends with a word that is only an
    adjective or an adverb ("recurrent neural"), or one that ends with a word that is only a
    verb and does not start with an adjective ("googling i found"; "Dead Hang" is a noun phrase). A
    word ending in -ing names an activity ("Cooking") and one in -ed may describe ("Named Entity
    Recognition"); a word the lexicon does not know is taken for a name."""
    first, last = _parts_of_speech(parts[0]), _parts_of_speech(parts[-1])
    if len(parts) == 1:
        return not first or "NOUN" in first or "PROPN" in first or parts[0].endswith("ing")
    if first and first <= {"VERB", "ADV"} and not parts[0].endswith(("ing", "ed")):
        return False
    if last and last <= {"ADJ", "ADV"}:
        return False  # "recurrent neural": the noun it describes is missing
    return not last or not last <= {"VERB", "ADV"} or parts[-1].endswith("ing") or "ADJ" in first


def most_common_form(forms: Counter[str]) -> str:
    """The casing written most; ties to more capitals, then alphabetical order."""
    return min(forms, key=lambda f: (-forms[f], -sum(c.isupper() for c in f), f))


def surface_forms(texts: Iterable[str], phrases: Iterable[str]) -> dict[str, str]:
    """Map each (lower-cased) phrase to the casing the texts use most: "rag" -> "RAG".

    Ties go to the form with more capitals, then to the alphabetically first, so the result
    does not depend on the order of the texts. A phrase the texts never hold maps to itself.
    """
    wanted = {p.casefold() for p in phrases}
    if not wanted:
        return {}
    max_len = max(len(p.split()) for p in wanted)
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for form in phrase_forms(text, max_len):
            key = form.casefold()
            if key in wanted:
                seen.setdefault(key, Counter())[form] += 1
    return {phrase: most_common_form(seen[phrase]) if phrase in seen else phrase for phrase in wanted}
