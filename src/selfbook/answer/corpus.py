"""Questions about the whole book, answered from its structured data, not from top-k passages.

"How many RAG papers did I keep in 2024?", "When did I first save something about Mamba?",
"What did I save about running DeepSeek locally?", "What's in my Health chapter?", "Which repos
did I save?" — a RAG pipeline that reads the eight best passages gets every one of these wrong.
Here they are computed, and the answer says how.

1. :func:`parse_question` reads the question with a few documented regexes (English only; anything
   else returns ``None`` and is answered as an ordinary question):

   - action: ``count`` ("how many", "number of"), ``first`` ("first", "earliest"), ``last``
     ("last", "latest", "most recent"), ``when`` (a question starting "when"), ``list`` ("list…",
     "show…", "what's in…", or "what/which …" with a verb of saving: save, keep, bookmark, collect,
     store, have);
   - kinds: paper(s)/preprint(s), repo(s)/repositor(y|ies), video(s)/talk(s), post(s)/tweet(s)/
     thread(s), article(s)/blog(s);
   - a period: "in 2024", "in March 2024", "since Jan 2025", "after 2023", "before/until 2024",
     "between 2023 and 2024", "this/last year", "this/last month", "in the last N days/weeks/
     months/years" — relative to the ``today`` passed in;
   - the topic: the words left once those and filler words are gone; "chapter"/"section" in the
     question scopes the topic to chapter or section titles.

2. The topic becomes a set of entries (:func:`match_topic`). With "chapter"/"section" in the
   question, the chapters or sections whose titles hold every topic word, whole. Otherwise the
   entries *about* the topic, judged one by one, never by the section they sit in (a section
   titled "Sleep" also holds creatine and blood work): from a broad search (``SEARCH_LIMIT`` hits
   of the hybrid search, whose scores run 0–1 relative to the best hit), with words compared
   case-folded and de-pluralized in each hit's own title, note, links and entities,
   (b) hits holding every topic word and scoring at least ``words_floor``;
   (c) hits holding some topic words and scoring at least ``floor``;
   (d) hits holding none, scoring at least ``strong`` (found by meaning), or ``floor`` when no
   hit holds a topic word at all (a topic asked in another language).
   The thresholds were measured (``bench/retrieval.py --counting``): the F1 of the counted set
   against the relevance judgments of the retrieval sets' *dev* queries; the README gives the
   test figures. The answer says which thresholds counted what.

3. Kinds filter the set through :class:`CorpusView`; dates are then sorted into: within the period
   (the entry's whole date range lies inside it), partly inside (a range that overlaps it: reported,
   not counted), outside, and undated (reported, not counted).

:class:`CorpusView` is the seam to the store: ``select(CorpusQuery)`` maps to one SQL query for
big books; :class:`MemoryCorpus` answers it from ``Library.entries()`` and ``Library.outline()``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import regex

from ..text.dates import MONTHS
from ..models import KIND_PLURALS, Outline
from ..reports import PlacedEntry
from ..search.engine import Hit
from ..text import terms, words

SEARCH_LIMIT = 200
LIST_LIMIT = 20

KIND_WORDS = {
    "paper": "paper", "papers": "paper", "preprint": "paper", "preprints": "paper",
    "repo": "repo", "repos": "repo", "repository": "repo", "repositories": "repo",
    "video": "video", "videos": "video", "talk": "video", "talks": "video",
    "post": "post", "posts": "post", "tweet": "post", "tweets": "post", "thread": "post", "threads": "post",
    "article": "article", "articles": "article", "blog": "article", "blogs": "article",
}
SAVE_VERBS = frozenset(
    "save saved saving keep kept bookmark bookmarked collect collected store stored have".split()
)
STOPWORDS = frozenset(
    """a an the of on about regarding related relating to for in into at by from with and or but not
    is are was were be been being it its this that these those there what what's whats which when where
    who whom why how i i've ive me my mine we our you your do does did done can could would should will
    any some all every something anything everything thing things stuff""".split()
)
FILLER = STOPWORDS | SAVE_VERBS | frozenset(
    """many much entry entries note notes link links item items bookmarks first earliest last latest
    most recent recently number count list show tell give ever far total altogether please book
    chapter chapters section sections say says said know find found read learn learned want""".split()
)


def stem(term: str) -> str:
    """A light English plural stemmer (papers → paper, libraries → library); other scripts as-is."""
    if not term.isascii() or len(term) <= 3:
        return term
    if term.endswith("ies") and len(term) > 4:
        return term[:-3] + "y"
    if term.endswith("s") and not term.endswith(("ss", "us", "is")):
        return term[:-1]
    return term


def question_terms(text: str) -> set[str]:
    """The content words of a text, lower-cased and stemmed: what a passage must share to match."""
    return {stem(t) for t in terms(text) if t not in STOPWORDS and (len(t) > 1 or not t.isascii())}


# -- the seam to the store -----------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusQuery:
    """Entries to select: these ids (None: all) of these kinds (empty: any)."""

    entry_ids: frozenset[str] | None = None
    kinds: tuple[str, ...] = ()


class CorpusView(Protocol):
    """The book's structured data, for questions about all of it."""

    def outline(self) -> Outline: ...
    def select(self, query: CorpusQuery) -> list[PlacedEntry]: ...


class MemoryCorpus:
    """A :class:`CorpusView` over entries in memory, e.g. ``MemoryCorpus(lib.entries(), lib.outline())``."""

    def __init__(self, placed: Sequence[PlacedEntry], outline: Outline) -> None:
        self._placed = tuple(placed)
        self._outline = outline

    def outline(self) -> Outline:
        return self._outline

    def select(self, query: CorpusQuery) -> list[PlacedEntry]:
        """Matching entries in book order."""
        return [
            p for p in self._placed
            if (query.entry_ids is None or p.entry.id in query.entry_ids) and (not query.kinds or p.entry.kind in query.kinds)
        ]


# -- reading the question --------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None
    label: str


@dataclass(frozen=True)
class CorpusQuestion:
    action: str                      # "count" | "list" | "first" | "last" | "when"
    topic: str = ""
    kinds: tuple[str, ...] = ()
    period: Period | None = None
    scope: str = ""                  # "" | "chapter" | "section"


_MON = "(?:" + "|".join(sorted(map(regex.escape, MONTHS), key=len, reverse=True)) + r")\.?"
_POINT = rf"(?:(?P<{{m}}>{_MON})\s+)?(?P<{{y}}>(?:19|20)\d\d)"
_P1, _P2 = _POINT.format(m="m1", y="y1"), _POINT.format(m="m2", y="y2")
_DATE_PATTERNS = [
    ("between", regex.compile(rf"\bbetween\s+{_P1}\s+and\s+{_P2}\b", regex.I)),
    ("since", regex.compile(rf"\b(?:since|from)\s+{_P1}\b", regex.I)),
    ("after", regex.compile(rf"\bafter\s+{_P1}\b", regex.I)),
    ("before", regex.compile(rf"\bbefore\s+{_P1}\b", regex.I)),
    ("until", regex.compile(rf"\b(?:until|till|through|by)\s+{_P1}\b", regex.I)),
    ("in", regex.compile(rf"(?:\b(?:in|during)\s+)?(?<![\w.\-]){_P1}(?![\w.\-])", regex.I)),
    ("relative", regex.compile(r"\b(?P<which>this|last|past)\s+(?P<unit>year|month)\b", regex.I)),
    ("recent", regex.compile(r"\b(?:in\s+)?(?:the\s+)?(?:last|past)\s+(?P<n>\d+)\s+(?P<unit>day|week|month|year)s?\b", regex.I)),
]
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _span(match: regex.Match, m: str, y: str) -> tuple[dt.date, dt.date, str]:
    year = int(match[y])
    if match[m]:
        month = MONTHS[match[m].rstrip(".").casefold()]
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), f"{calendar.month_abbr[month]} {year}"
    return dt.date(year, 1, 1), dt.date(year, 12, 31), str(year)


def _period(kind: str, match: regex.Match, today: dt.date) -> Period:
    if kind == "relative":
        which, unit = match["which"].casefold(), match["unit"].casefold()
        if unit == "year":
            year = today.year - (which == "last")
            end = today if year == today.year else dt.date(year, 12, 31)
            return Period(dt.date(year, 1, 1), end, f"in {year}")
        first = today.replace(day=1) if which == "this" else (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        end = today if which == "this" else today.replace(day=1) - dt.timedelta(days=1)
        return Period(first, end, f"in {calendar.month_abbr[first.month]} {first.year}")
    if kind == "recent":
        start = today - dt.timedelta(days=int(match["n"]) * _UNIT_DAYS[match["unit"].casefold()])
        return Period(start, today, f"since {start.isoformat()}")
    start, end, label = _span(match, "m1", "y1")
    if kind == "between":
        _, end2, label2 = _span(match, "m2", "y2")
        return Period(start, end2, f"between {label} and {label2}")
    return {
        "since": Period(start, None, f"since {label}"),
        "after": Period(end + dt.timedelta(days=1), None, f"after {label}"),
        "before": Period(None, start - dt.timedelta(days=1), f"before {label}"),
        "until": Period(None, end, f"until {label}"),
        "in": Period(start, end, f"in {label}"),
    }[kind]


def _action(lowered: list[str]) -> str | None:
    if not lowered:
        return None
    head, joined = lowered[0], " ".join(lowered)
    saving = any(w in SAVE_VERBS for w in lowered)
    if "how many" in joined or "number of" in joined or head == "count":
        return "count"
    if head == "when" or saving:
        if {"first", "earliest"} & set(lowered):
            return "first"
        if {"last", "latest", "recently"} & set(lowered) or "most recent" in joined:
            return "last"
        if head == "when":
            return "when"
    if head in ("list", "show") or joined.startswith(("what's in ", "whats in ", "what is in ")):
        return "list"
    if head in ("what", "which", "what's") and saving:
        return "list"
    return None


def parse_question(question: str, today: dt.date) -> CorpusQuestion | None:
    """The corpus question this is, or ``None`` for an ordinary question (see the module docs)."""
    period, rest = None, question
    for kind, pattern in _DATE_PATTERNS:
        match = pattern.search(rest)
        if match and kind == "in" and not match[0][:1].isalpha() and int(match["y1"]) > today.year:
            continue                      # a bare number such as "RTX 2080" is not a year
        if match:
            period = _period(kind, match, today)
            rest = rest[: match.start()] + " " + rest[match.end():]
            break
    tokens = words(rest)
    lowered = [t.casefold().replace("’", "'") for t in tokens]
    action = _action(lowered)
    if action is None:
        return None
    kinds = tuple(dict.fromkeys(KIND_WORDS[w] for w in lowered if w in KIND_WORDS))
    scope = next((w.rstrip("s") for w in lowered if w in ("chapter", "chapters", "section", "sections")), "")
    topic = " ".join(t for t, w in zip(tokens, lowered) if w not in FILLER and w not in KIND_WORDS)
    return CorpusQuestion(action, topic, kinds, period, scope)


# -- matching a topic -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TopicMatch:
    ids: frozenset[str] | None       # None: no topic, every entry
    groups: tuple[str, ...] = ()     # "Chapter › Section" titles matched
    by_words: int = 0
    by_meaning: int = 0
    truncated: bool = False          # even the search's last hit passed the floor: there may be more
    cuts: tuple[float, ...] = ()     # by search: the relevance thresholds (all words, some, none)


def _entry_terms(placed: PlacedEntry) -> set[str]:
    """The entry's own words: title, note, links, entities (not its section's generated title)."""
    e = placed.entry
    return question_terms("\n".join([e.title, e.note, *e.urls, *(str(x) for x in e.entities)]))


def _title_groups(topic: set[str], outline: Outline, scope: str) -> list[tuple[str, tuple[str, ...]]]:
    """(label, entry ids) of chapters/sections whose titles are the topic (see the module docs)."""
    def fits(title: str) -> bool:
        have = question_terms(title)
        return topic <= have if scope else topic == have

    found = []
    for chapter in outline.chapters:
        if scope in ("", "chapter") and fits(chapter.title):
            found.append((chapter.title, chapter.entry_ids))
            continue
        for section in chapter.sections:
            if scope in ("", "section") and fits(section.title):
                found.append((f"{chapter.title} › {section.title}", section.entry_ids))
    return found


WORDS_FLOOR, FLOOR, STRONG = 0.0, 0.7, 0.9
"""Relevance thresholds of :func:`match_topic`, chosen on dev queries (see the module docs)."""


def match_topic(
    topic: str, *, search: Callable[..., list[Hit]], corpus: CorpusView, scope: str = "", floor: float = FLOOR,
    strong: float = STRONG, words_floor: float = WORDS_FLOOR,
) -> TopicMatch:
    """The entries about ``topic``: titles for a scoped question, else relevant hits (module docs)."""
    wanted = question_terms(topic)
    if not wanted:
        return TopicMatch(None)
    if scope:
        groups = _title_groups(wanted, corpus.outline(), scope)
        if groups:
            return TopicMatch(frozenset(e for _, ids in groups for e in ids), tuple(label for label, _ in groups))
    hits = [h for h in search(topic, limit=SEARCH_LIMIT) if h.score > 0]
    best = hits[0].score if hits else 0.0
    shared = {h.placed.entry.id: len(wanted & _entry_terms(h.placed)) for h in hits}
    worded = [
        h for h in hits
        if (shared[h.placed.entry.id] == len(wanted) and h.score >= words_floor * best)
        or (shared[h.placed.entry.id] and h.score >= floor * best)
    ]
    cut = strong if worded else floor
    meant = [h for h in hits if not shared[h.placed.entry.id] and h.score >= cut * best]
    kept = {h.placed.entry.id for h in worded + meant}
    truncated = len(hits) >= SEARCH_LIMIT and hits[-1].placed.entry.id in kept    # the last hit counted: maybe more
    return TopicMatch(frozenset(kept), (), len(worded), len(meant), truncated, (words_floor, floor, cut))


# -- answering ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusResult:
    """A computed answer: ``text`` cites ``cited[i]`` as ``[i + 1]``; ``matched`` is every entry
    the computation counted."""

    text: str
    cited: tuple[PlacedEntry, ...]
    matched: tuple[PlacedEntry, ...]
    warnings: tuple[str, ...] = ()


def _within(p: PlacedEntry, period: Period) -> str:
    d = p.entry.date
    if d is None:
        return "undated"
    after_start = period.start is None or d.start >= period.start
    before_end = period.end is None or d.end <= period.end
    if after_start and before_end:
        return "within"
    overlaps = (period.start is None or d.end >= period.start) and (period.end is None or d.start <= period.end)
    return "partly" if overlaps else "outside"


def _line(number: int, p: PlacedEntry, gist: bool) -> str:
    """'- Title (Jan 2025) — Chapter › Section [3]', and with ``gist`` the note's first words."""
    e = p.entry
    date = f" ({e.date.label()})" if e.date else ""
    note = " ".join(e.note.split())
    more = f": {note[:117] + '…' if len(note) > 120 else note}" if gist and note and note != e.title else ""
    return f"- {e.title}{date} — {p.chapter} › {p.section} [{number}]{more}"


def _what(q: CorpusQuestion, match: TopicMatch, n: int | None = None) -> str:
    """'papers about “RAG”', 'entry in ‘Health’', 'repos'."""
    noun = " or ".join(KIND_PLURALS[k] for k in q.kinds) if q.kinds else "entries"
    if n == 1:
        noun = " or ".join(q.kinds) if q.kinds else "entry"
    if q.scope and match.groups:
        return f"{noun} in " + ", ".join(f"‘{g}’" for g in match.groups)
    return f"{noun} about “{q.topic}”" if q.topic else noun


def _how(q: CorpusQuestion, match: TopicMatch, selected: int, sorts: Counter) -> str:
    parts = []
    if match.ids is None:
        parts.append("every entry in the book")
    else:
        if match.groups:
            found = "the entries of " + ", ".join(f"‘{g}’" for g in match.groups)
        else:
            all_words, some, none = match.cuts
            every = f"with a search score of at least {all_words:.0%} of the best hit's" if all_words else "whatever their score"
            found = (
                f"each entry judged on its own, not by the section it is in: {match.by_words} holding its words "
                f"(all of them, {every}; some of them, at least {some:.0%}), {match.by_meaning} by meaning alone "
                f"(at least {none:.0%})"
            )
        parts.append(f"{len(match.ids)} entries match “{q.topic}” ({found})")
    if q.kinds:
        kinds = " or ".join(q.kinds) if selected == 1 else " or ".join(KIND_PLURALS[k] for k in q.kinds)
        parts.append(f"{selected} of them {'is a' if selected == 1 else 'are'} {kinds}")
    if q.period:
        dates = [f"{sorts['within']} dated {q.period.label}", f"{sorts['outside']} outside it"]
        if sorts["partly"]:
            dates.append(f"{sorts['partly']} with a date range only partly {q.period.label} (not counted)")
        if sorts["undated"]:
            dates.append(f"{sorts['undated']} undated (not counted)")
        parts.append(", ".join(dates))
    return "How this was computed: " + "; ".join(parts) + "."


def answer_corpus(
    q: CorpusQuestion, *, search: Callable[..., list[Hit]], corpus: CorpusView, list_limit: int = LIST_LIMIT,
    floor: float = FLOOR, strong: float = STRONG, words_floor: float = WORDS_FLOOR,
) -> CorpusResult:
    """Count, list or date the entries the question is about; every figure is computed."""
    match = match_topic(q.topic, search=search, corpus=corpus, scope=q.scope, floor=floor, strong=strong, words_floor=words_floor)
    warnings = []
    if q.scope and q.topic and not match.groups:
        warnings.append(f"no {q.scope} is titled “{q.topic}”; used the entries that match it instead")
    if match.truncated:
        warnings.append(f"the topic search stopped at {SEARCH_LIMIT} hits; there may be more entries about “{q.topic}”")
    selected = corpus.select(CorpusQuery(match.ids, q.kinds))
    sorts = Counter(_within(p, q.period) for p in selected) if q.period else Counter()
    matched = [p for p in selected if not q.period or _within(p, q.period) == "within"]
    how = _how(q, match, len(selected), sorts)
    if q.action in ("first", "last", "when"):
        return _dates(q, match, matched, how, warnings)
    shown = matched[:list_limit]
    period = f" dated {q.period.label}" if q.period else ""
    head = f"{len(matched)} {_what(q, match, len(matched))}{period}"
    head += "." if not matched else ":" if q.action == "list" else ". They are:"
    lines = [head, *(_line(i, p, q.action == "list") for i, p in enumerate(shown, 1))]
    if len(matched) > len(shown):
        lines.append(f"… and {len(matched) - len(shown)} more.")
    by_section = Counter(f"{p.chapter} › {p.section}" for p in matched)
    if len(by_section) > 1:
        lines.append("By section: " + ", ".join(f"{s} ({n})" for s, n in by_section.most_common(5)) + ".")
    return CorpusResult("\n".join([*lines, "", how]), tuple(shown), tuple(matched), tuple(warnings))


def _dates(q: CorpusQuestion, match: TopicMatch, matched: list[PlacedEntry], how: str, warnings: list[str]) -> CorpusResult:
    dated = sorted((p for p in matched if p.entry.date), key=lambda p: (p.entry.date.start, p.entry.date.end, p.entry.id))
    if not dated:
        text = f"Your notes hold no dated {_what(q, match)}."
        return CorpusResult(f"{text}\n\n{how}", (), tuple(matched), tuple(warnings))
    first, last = dated[0], dated[-1]
    undated = len(matched) - len(dated)
    span = f"{len(dated)} dated {_what(q, match, len(dated))}, from {first.entry.date.label()} to {last.entry.date.label()}"
    span += f"; {undated} more undated." if undated else "."
    if q.action == "first":
        lead, cited = f"The earliest {_what(q, match, 1)} is dated {first.entry.date.label()}: {first.entry.title} [1].", [first]
    elif q.action == "last":
        lead, cited = f"The latest {_what(q, match, 1)} is dated {last.entry.date.label()}: {last.entry.title} [1].", [last]
    else:
        cited = [first] if first is last else [first, last]
        lead = f"From {first.entry.date.label()} ({first.entry.title} [1])"
        lead += f" to {last.entry.date.label()} ({last.entry.title} [2])." if len(cited) == 2 else "."
    text = f"{lead}\n{span} Dates are those recorded on each entry.\n\n{how}"
    return CorpusResult(text, tuple(cited), tuple(matched), tuple(warnings))

