"""Dates: :class:`DateRange`, and the dates written in a dump ("Jan 2025", "Sep 17, 2024",
"2024-06-19", "Oct 2024 – Feb 2026"). Below :mod:`selfbook.models`, which re-exports
:class:`DateRange` and strips a closing date from the text an entry is embedded by
(:func:`closing_date`); ingest finds each entry's date here.

Rules, chosen to keep false positives out of a dump full of version numbers and ids:

- A date names a day or a month: ``2024-06-19``, ``2024/06/19``, ``Sep 17, 2024``,
  ``17 Sep 2024``, ``Jan 2025``, ``January 2025`` (English or Kannada month names, such as
  ``ಅಕ್ಟೋಬರ್ 2024``). A month becomes a :class:`DateRange` spanning that month, a day spans itself.
- A bare year ("2023") counts only in :func:`find_date_range`, which reads headings; inside an
  entry "2024 papers", "449-page" or "NeurIPS 2024" are not dates.
- Digits glued to letters, dots, slashes or hyphens are not dates ("GPT-5.2", "2405.00208",
  "v2024"), text inside URLs is never read, and years outside 1900–2100 are ignored.
- Lower-case "may" is the verb, not the month.
- When a text holds several dates, the last one wins: dumps write the day a note was saved at its
  end ("…; Oct 2024.").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

__all__ = ["DateRange", "closing_date", "find_date", "find_date_range", "format_range"]

@dataclass(frozen=True)
class DateRange:
    """A date known to some precision: a day, a month, a year, or a span between two of them.

    ``start`` and ``end`` are inclusive calendar days; ``text`` is how the source wrote it.
    """

    start: dt.date
    end: dt.date
    text: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"date range ends before it starts: {self.start} > {self.end}")

    @property
    def is_day(self) -> bool:
        return self.start == self.end

    def label(self) -> str:
        """A short human label: '2024-06-19', 'Jun 2024', '2024', or 'Oct 2024 – Feb 2026'."""
        return format_range(self.start, self.end)

    def iso(self) -> str:
        """ISO 8601: a day, or 'start/end' for a range."""
        if self.is_day:
            return self.start.isoformat()
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def format_range(start: dt.date, end: dt.date) -> str:
    if start == end:
        return start.isoformat()
    whole_months = start.day == 1 and end == _month_end(end)
    if whole_months and start.month == 1 and end.month == 12:
        return str(start.year) if start.year == end.year else f"{start.year} – {end.year}"
    if whole_months:
        first, last = start.strftime("%b %Y"), end.strftime("%b %Y")
        return first if first == last else f"{first} – {last}"
    return f"{start.isoformat()} – {end.isoformat()}"


_EN_MONTHS = (
    "january february march april may june july august september october november december".split()
)
_KN_MONTHS = (
    "ಜನವರಿ ಫೆಬ್ರವರಿ ಮಾರ್ಚ್ ಏಪ್ರಿಲ್ ಮೇ ಜೂನ್ ಜುಲೈ ಆಗಸ್ಟ್ ಸೆಪ್ಟೆಂಬರ್ ಅಕ್ಟೋಬರ್ ನವೆಂಬರ್ ಡಿಸೆಂಬರ್".split()
)


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for number, name in enumerate(_EN_MONTHS, start=1):
        names[name] = number
        names[name[:3]] = number
    names["sept"] = 9
    for number, name in enumerate(_KN_MONTHS, start=1):
        names[name] = number
    return names


MONTHS = _month_names()

_WORDISH = r"\p{L}\p{M}\p{N}_"
# Before digits: no word character, dot, slash, hyphen or other id-ish punctuation ("GPT-2024").
_LB = rf"(?<![{_WORDISH}./\-:@#$])"
# Before a month name: no word character.
_LW = rf"(?<![{_WORDISH}])"
# After: no word character, slash, ".5" / ",5" (decimals, lists of ids), or hyphen unless a word
# follows it ("Oct 2024-Feb 2026" is fine, "2024-06" is not).
_RB = rf"(?![{_WORDISH}/]|[.,]\d|-(?![\p{{L}}]))"
_SP = r"[ \t\u00a0]+"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"\d{4}"


@dataclass(frozen=True)
class _Patterns:
    point: regex.Pattern[str]
    month_span: regex.Pattern[str]
    """"Oct – Dec 2024": a month with no year, a dash, then a month with a year."""
    year_span: regex.Pattern[str]
    """"2023-2024": two years joined by a hyphen, which the point pattern refuses to split."""
    connector: regex.Pattern[str]
    url: regex.Pattern[str]
    after_date: regex.Pattern[str]
    """What may follow a closing date: a closing parenthesis, a full stop, blanks."""
    letter_or_digit: regex.Pattern[str]


@cache
def _patterns() -> _Patterns:
    """The patterns, compiled on first use: ``selfbook --help`` imports this module (through
    :mod:`selfbook.models`) but reads no date, and compiling them and importing ``regex`` took
    about 20 ms of its start."""
    import regex  # deferred: start-up, as the docstring says

    from . import URL_CHAR, WEB_URL

    mon = "(?:" + "|".join(sorted(map(regex.escape, MONTHS), key=len, reverse=True)) + r")\.?"
    point = regex.compile(
        rf"{_LB}(?P<y>{_YEAR})(?P<sep>[-/])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}}){_RB}"
        rf"|{_LB}(?P<d>{_DAY}){_SP}(?P<mon>{mon}),?{_SP}(?P<y>{_YEAR}){_RB}"
        rf"|{_LW}(?P<mon>{mon}){_SP}(?P<d>{_DAY}),?{_SP}(?P<y>{_YEAR}){_RB}"
        rf"|{_LW}(?P<mon>{mon}),?{_SP}(?P<y>{_YEAR}){_RB}"
        rf"|{_LB}(?P<year>{_YEAR}){_RB}",
        regex.IGNORECASE,
    )
    return _Patterns(
        point=point,
        month_span=regex.compile(
            rf"{_LW}(?P<mon1>{mon})[ \t]*[–—-][ \t]*(?P<mon2>{mon}){_SP}(?P<y>{_YEAR}){_RB}", regex.IGNORECASE
        ),
        year_span=regex.compile(rf"{_LB}(?P<a>{_YEAR})[ \t]*[–—-][ \t]*(?P<b>{_YEAR}){_RB}"),
        connector=regex.compile(r"[ \t\u00a0]*(?:[–—-]|to|until|till|through)[ \t\u00a0]*", regex.IGNORECASE),
        url=regex.compile(rf"{WEB_URL}|www\.{URL_CHAR}+", regex.IGNORECASE),
        after_date=regex.compile(r"[ \t]*\)?[ \t]*\.?[ \t]*"),
        letter_or_digit=regex.compile(r"[\p{L}\p{N}]"),
    )


@dataclass(frozen=True)
class _Point:
    start: int
    end: int
    range: DateRange
    bare_year: bool


def _month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    following = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _digits(text: str) -> int:
    return int("".join(c for c in text if c.isdecimal()))


def _month_number(token: str) -> int | None:
    word = token.rstrip(".")
    if word == "may" and token.islower():
        return None  # "you may 2x your speed": the verb
    return MONTHS.get(word.casefold())


def _range_of(match: regex.Match[str]) -> DateRange | None:
    """The DateRange a point match names, or None if it is not a real calendar date."""
    year = _digits(match["y"] or match["year"])
    if not 1900 <= year <= 2100:
        return None
    try:
        if match["year"]:
            return DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31), match[0])
        month = _digits(match["m"]) if match["m"] else _month_number(match["mon"])
        if month is None:
            return None
        if match["d"]:
            day = dt.date(year, month, _digits(match["d"]))
            return DateRange(day, day, match[0])
        first = dt.date(year, month, 1)
        return DateRange(first, _month_end(first), match[0])
    except ValueError:
        return None


def _mask_urls(text: str) -> str:
    """Blank out URLs, keeping every other character at its place."""
    return _patterns().url.sub(lambda m: " " * len(m[0]), text)


def _points(text: str) -> list[_Point]:
    points = []
    for match in _patterns().point.finditer(_mask_urls(text)):
        found = _range_of(match)
        if found is not None:
            points.append(_Point(match.start(), match.end(), found, bool(match["year"])))
    return points


def find_date(text: str) -> DateRange | None:
    """The last day or month written in ``text`` (an entry's line), or None.

    >>> find_date("Full report on the model; Jan 2025.").label()
    'Jan 2025'
    >>> find_date("GPT-5.2 derives 2024 results, arXiv 2405.00208") is None
    True
    """
    dated = [p for p in _points(text) if not p.bare_year]
    return dated[-1].range if dated else None


def closing_date(text: str) -> tuple[str, bool]:
    """``text`` without the day or month that closes it ("(2020-08-19)", "; Oct 2024.", ". Sep
    2024."), and whether there was one. A full stop before the date stays with the text."""
    found = find_date(text)
    if found is None or not found.text:
        return text, False
    at = text.rfind(found.text)
    before, after = text[:at], text[at + len(found.text) :]
    if not _patterns().after_date.fullmatch(after):
        return text, False
    before = before.rstrip()
    if ")" in after:
        if not before.endswith("("):
            return text, False
        before = before[:-1].rstrip()
    stop = before.endswith(".")
    rest = before.rstrip(" \t;,.—–-")
    if not _patterns().letter_or_digit.search(rest):  # nothing left but punctuation
        return text, False
    return rest + ("." if stop else ""), True


def _spans(text: str, points: list[_Point]) -> list[DateRange]:
    """Ranges written as two dates joined by a dash or "to", in order of appearance."""
    found: list[tuple[int, DateRange]] = []
    for a, b in zip(points, points[1:]):
        if a.range.start <= b.range.end and _patterns().connector.fullmatch(text, a.end, b.start):
            found.append((a.start, DateRange(a.range.start, b.range.end, text[a.start : b.end])))
    for match in _patterns().month_span.finditer(text):
        year = _digits(match["y"])
        first, last = _month_number(match["mon1"]), _month_number(match["mon2"])
        if 1900 <= year <= 2100 and first and last and first <= last:
            start = dt.date(year, first, 1)
            found.append((match.start(), DateRange(start, _month_end(dt.date(year, last, 1)), match[0])))
    for match in _patterns().year_span.finditer(text):
        a, b = _digits(match["a"]), _digits(match["b"])
        if 1900 <= a <= b <= 2100:
            found.append((match.start(), DateRange(dt.date(a, 1, 1), dt.date(b, 12, 31), match[0])))
    return [r for _, r in sorted(found, key=lambda pair: pair[0])]


def find_date_range(text: str) -> DateRange | None:
    """A date or a range of dates in a heading, such as "From self-1.md (Oct 2024 – Feb 2026)".

    Understands everything :func:`find_date` does, plus ranges ("Oct 2024 – Feb 2026",
    "2023 to 2024", "Oct – Dec 2024") and bare years ("2023" spans the whole year).
    The last range written wins; failing a range, the last date.

    >>> find_date_range("From self-1.md (Oct 2024 – Feb 2026)").label()
    'Oct 2024 – Feb 2026'
    """
    masked = _mask_urls(text)
    points = _points(masked)
    spans = _spans(masked, points)
    if spans:
        return spans[-1]
    return points[-1].range if points else None
