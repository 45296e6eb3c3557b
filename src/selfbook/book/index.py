"""The back-of-book index, ``INDEX.md``: terms, people & handles, papers, repositories.

Each part is alphabetical under letter headings. Latin letters group by their base letter
(É under E); Kannada and other scripts come after Latin, grouped by their first letter *with* its
vowel signs and other combining marks (ಸಾಹಿತ್ಯ under ಸಾ, ಸಂಗೀತ under ಸಂ), in code point order;
anything that starts with a digit or a symbol comes first under "0–9 & symbols".

Which terms are listed
----------------------
A term is a :func:`selfbook.phrases.candidate_phrases` phrase of an entry's title and notes
(@handles taken out: they have their own part). Singular and plural ("agent", "agents") and
possessive ("Google's") forms count as one term, spelled as most entries spell it. A term is listed
when, counting entries (document frequency):

1. it occurs in at least :data:`MIN_ENTRIES` entries, and in no more than
   ``max(COMMON_FLOOR, COMMON_SHARE × entries)``: a phrase in one entry of every twenty says
   nothing the table of contents does not;
2. no longer listed phrase contains it and occurs in exactly the same entries ("arnold networks"
   goes, "kolmogorov-arnold networks" stays);
3. it is distinctive: a phrase of two or more words, or a word that reads as a name (a capital
   after its first letter as in DeepSeek or GRPO, a digit, inner punctuation as in e5-small, a
   script other than Latin), or a plain word most of whose entries share one section of the book
   (topic words cluster; "building" or "accessible" scatter). A plain word must also not be one of
   the :data:`GENERIC` words a link dump uses about anything ("explained", "guide", "list").

When more than :data:`MAX_TERMS` qualify, those with the highest ``entries × (1 + (words − 1) / 2)``
are kept (ties by phrase). Terms are shown in their most common casing (:func:`surface_forms`).

Each line links to its entries as ``[short title](NN-slug.md#e-id)``, in book order. A line with
more than :data:`INLINE_LINKS` entries is split into one sub-line per chapter, so a busy term
stays readable.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import regex

from selfbook.book.render import count_label, entry_anchor, escape_markdown, link, short_title
from selfbook.models import Entry, Outline
from selfbook.phrases import most_common_form, phrase_forms

__all__ = ["render_index", "letter_group", "select_terms"]

MIN_ENTRIES = 2
COMMON_FLOOR = 10
COMMON_SHARE = 0.05
MAX_TERMS = 400
INLINE_LINKS = 6
INDEX_TITLE_MAX = 48
PAPER_TITLE_MAX = 90

# Words that say how something was saved or presented, not what it is about. They may stand
# inside a listed phrase but are not listed alone.
GENERIC = frozenset(
    """
    best better big click complete course deep easy explained explainer first free full good great
    guide guides home how-to idea ideas interesting intro introduction learn learning list lists
    long nice note notes overview page part people read reading resource resources review second
    short simple start started step steps summary talk thoughts time tip tips today tool tools top
    tutorial tutorials understanding useful watch week year years
    jan feb mar apr jun jul aug sep sept oct nov dec january february march april june july
    august september october november december ii iii iv vi vii viii ix
    """.split()
)

SYMBOLS = "0–9 & symbols"
_FIRST_LETTER = regex.compile(r"\p{L}\p{M}*")
# A word that reads as a name: a capital after its first letter (DeepSeek, GRPO), a digit (R1),
# inner punctuation (e5-small, Node.js), or letters of a script other than Latin.
_NAMELIKE = regex.compile(r"^.+\p{Lu}|\p{N}|\w[-.+'’]\w|[\p{L}--\p{Script=Latin}]", regex.V1)
_HANDLE = regex.compile(r"(?<![\w@])@[\w.]*\w")
_NAME_WORD = r"[\p{Lu}\p{Lo}\p{Lt}][\p{L}\p{M}'’.\-]*"


@dataclass(frozen=True)
class _Item:
    """One line of the index: what it is filed under, how it reads, and the entries it points to."""

    sort_label: str  # plain text the item is filed and sorted by
    label: str  # markdown
    entry_ids: tuple[str, ...]  # in reading order
    suffix: str = ""  # markdown after the label (an outside link, say)


# -- alphabetical order --------------------------------------------------------------------------


def letter_group(label: str) -> str:
    """The letter heading a label is filed under: ``"E"``, ``"ಸಾ"``, or ``"0–9 & symbols"``."""
    text = unicodedata.normalize("NFC", label.lstrip("@#").strip())
    match = _FIRST_LETTER.match(text)
    if not match:
        return SYMBOLS
    letter = match.group()
    base = unicodedata.normalize("NFKD", letter)[0]
    if base.isascii():
        return base.upper()
    return letter.upper()


def _group_key(group: str) -> tuple[int, str]:
    if group == SYMBOLS:
        return (0, "")
    if group.isascii():
        return (1, group)
    return (2, group)


def _sort_key(item: _Item) -> tuple[str, str]:
    return (_sort_text(item.sort_label), item.sort_label)


def _sort_text(label: str) -> str:
    """Latin accents folded away, case folded; other scripts kept as written (NFC)."""
    out = []
    for ch in unicodedata.normalize("NFC", label.lstrip("@#").casefold()):
        base = unicodedata.normalize("NFKD", ch)
        out.append(base[0] if base[0].isascii() and ch.isalpha() else ch)
    return "".join(out)


def _group_anchor(part: str, group: str) -> str:
    if group == SYMBOLS:
        return f"{part}-0"
    if group.isascii():
        return f"{part}-{group.lower()}"
    return f"{part}-" + "-".join(f"u{ord(ch):04x}" for ch in group)


# -- where entries are --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Book:
    """The placed entries in reading order, with each one's file and chapter title."""

    entries: Mapping[str, Entry]
    placed: tuple[str, ...]
    file: Mapping[str, str]
    chapter: Mapping[str, str]
    section: Mapping[str, str]

    @classmethod
    def of(cls, outline: Outline, entries: Mapping[str, Entry], filenames: Mapping[str, str]) -> _Book:
        file: dict[str, str] = {}
        chapter: dict[str, str] = {}
        section: dict[str, str] = {}
        for ch in outline.chapters:
            for sec in ch.sections:
                for entry_id in sec.entry_ids:
                    if entry_id in entries and entry_id not in file:
                        file[entry_id] = filenames[ch.id]
                        chapter[entry_id] = ch.title
                        section[entry_id] = f"{ch.id}/{sec.id}"
        return cls(entries, tuple(file), file, chapter, section)

    def text(self, entry_id: str) -> str:
        entry = self.entries[entry_id]
        return "\n".join([entry.title, *entry.notes])

    def ref(self, entry_id: str, limit: int = INDEX_TITLE_MAX) -> str:
        """``[short title](NN-slug.md#e-id)``."""
        entry = self.entries[entry_id]
        return link(short_title(entry.title, limit), f"{self.file[entry_id]}#{entry_anchor(entry_id)}")


# -- terms ---------------------------------------------------------------------------------------


def _singular(phrase: str) -> str:
    """The phrase with an English plural or possessive "s" taken off its last word: "llms" → "llm",
    "google's" → "google"."""
    if not phrase.endswith("s"):
        return phrase
    head, _, last = phrase.rpartition(" ")
    if last.endswith(("'s", "’s")):
        last = last[:-2]
    if last.isascii() and last.isalpha() and len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head} {last}" if head else last


def _merge_plurals(postings: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """"agent" and "agents" become one term, spelled the way more entries spell it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for phrase in postings:
        groups[_singular(phrase)].append(phrase)
    merged = {}
    for variants in groups.values():
        if len(variants) == 1:
            merged[variants[0]] = postings[variants[0]]
            continue
        best = min(variants, key=lambda p: (-len(postings[p]), len(p), p))
        merged[best] = set().union(*(postings[p] for p in variants))
    return merged


def _distinctive(label: str, ids: Sequence[str], sections: Mapping[str, str] | None) -> bool:
    """Phrases and name-like words always; a plain word only when most of its entries share a section."""
    if " " in label or _NAMELIKE.search(label) or sections is None:
        return True
    top = Counter(sections[e] for e in ids).most_common(1)[0][1]
    return top * 2 > len(ids)


def select_terms(
    texts: Mapping[str, str], sections: Mapping[str, str] | None = None, *, max_terms: int = MAX_TERMS
) -> dict[str, tuple[str, ...]]:
    """The index's terms, in their usual casing → ids of the entries that hold them (see the
    module docstring). ``texts`` maps entry id → text in book order, and each term's ids keep that
    order; ``sections`` maps entry id → section id, for the distinctiveness of plain words."""
    order = {e: i for i, e in enumerate(texts)}
    found: dict[str, set[str]] = defaultdict(set)
    written = [phrase_forms(text) for text in texts.values()]  # one pass of the phrase finder
    for entry_id, forms in zip(texts, written):
        for form in forms:
            found[form.casefold()].add(entry_id)
    most = max(COMMON_FLOOR, math.ceil(COMMON_SHARE * len(texts)))
    kept = {
        p: tuple(sorted(ids, key=order.__getitem__))
        for p, ids in _merge_plurals(found).items()
        if MIN_ENTRIES <= len(ids) <= most and p not in GENERIC
    }
    by_entries: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for phrase, ids in kept.items():
        by_entries[ids].append(phrase)
    for same in by_entries.values():
        for phrase in same:
            if any(other != phrase and f" {phrase} " in f" {other} " for other in same):
                del kept[phrase]
    forms = _casings(written, kept)
    kept = {p: ids for p, ids in kept.items() if _distinctive(forms[p], ids, sections)}
    ranked = sorted(kept, key=lambda p: (-len(kept[p]) * (1 + (len(p.split()) - 1) / 2), p))
    return {forms[p]: kept[p] for p in sorted(ranked[:max_terms])}


def _casings(written: Iterable[Sequence[str]], phrases: Iterable[str]) -> dict[str, str]:
    """Each phrase in the casing the entries write most (see :func:`most_common_form`)."""
    seen: dict[str, Counter[str]] = {p: Counter() for p in phrases}
    for forms in written:
        for form in forms:
            counts = seen.get(form.casefold())
            if counts is not None:
                counts[form] += 1
    return {p: most_common_form(c) if c else p for p, c in seen.items()}


def _term_items(book: _Book) -> list[_Item]:
    """Terms come from titles and notes with @handles taken out: handles have their own part."""
    texts = {e: _HANDLE.sub("\n", book.text(e)) for e in book.placed}
    terms = select_terms(texts, book.section)
    return [_Item(label, f"**{escape_markdown(label)}**", ids) for label, ids in terms.items()]


# -- people, papers, repositories ----------------------------------------------------------------


def _entity_postings(book: _Book, kinds: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """(kind, value) → placed entries naming it, in reading order; handles compared without case."""
    wanted = set(kinds)
    postings: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry_id in book.placed:
        for entity in sorted(set(book.entries[entry_id].entities)):
            if entity.kind in wanted:
                key = (entity.kind, entity.value.lstrip("@").casefold() if entity.kind == "handle" else entity.value)
                if entry_id not in postings[key]:
                    postings[key].append(entry_id)
    return postings


def _most_common(counter: Counter[str]) -> str | None:
    if not counter:
        return None
    return min(counter, key=lambda s: (-counter[s], len(s), s))


def _person(handle: str, texts: Iterable[str]) -> tuple[str | None, str]:
    """The name written just before ``(@handle)`` most often, and the handle's most common casing."""
    escaped = regex.escape(handle)
    named = regex.compile(rf"((?:{_NAME_WORD}[^\S\n]+){{0,3}}{_NAME_WORD})[^\S\n]*\(\s*@(?i:{escaped})\s*\)")
    written = regex.compile(rf"@((?i:{escaped}))(?![\p{{L}}\p{{N}}_])")
    names: Counter[str] = Counter()
    casings: Counter[str] = Counter()
    for text in texts:
        names.update(m.group(1) for m in named.finditer(text))
        casings.update(m.group(1) for m in written.finditer(text))
    return _most_common(names), _most_common(casings) or handle


def _people_items(book: _Book) -> list[_Item]:
    items = []
    for (_, handle), ids in _entity_postings(book, ["handle"]).items():
        name, written = _person(handle, (book.text(e) for e in ids))
        label = f"{name} (@{written})" if name else f"@{written}"
        items.append(_Item(name or written, escape_markdown(label), tuple(ids)))
    return items


def _paper_url(kind: str, value: str) -> str:
    return f"https://arxiv.org/abs/{value}" if kind == "arxiv" else f"https://doi.org/{value}"


def _paper_items(book: _Book) -> list[_Item]:
    """A paper reads as its first entry's title, linked; its id, linked to arXiv or doi.org; then
    any other entries that name it."""
    items = []
    for (kind, value), ids in _entity_postings(book, ["arxiv", "doi"]).items():
        name = "arXiv" if kind == "arxiv" else "DOI"
        suffix = f"{name} {link(value, _paper_url(kind, value))}"
        items.append(_Item(book.entries[ids[0]].title, book.ref(ids[0], PAPER_TITLE_MAX), tuple(ids[1:]), suffix))
    return items


def _repo_items(book: _Book) -> list[_Item]:
    return [
        _Item(value, link(value, f"https://github.com/{value}"), tuple(ids))
        for (_, value), ids in _entity_postings(book, ["github"]).items()
    ]


# -- page ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    key: str
    title: str
    build: Callable[[_Book], list[_Item]]


PARTS = (
    _Part("terms", "Terms", _term_items),
    _Part("people", "People & handles", _people_items),
    _Part("papers", "Papers", _paper_items),
    _Part("repositories", "Repositories", _repo_items),
)


def _item_lines(item: _Item, book: _Book) -> list[str]:
    head = item.label + (f" — {item.suffix}" if item.suffix else "")
    ids = item.entry_ids
    if len(ids) <= INLINE_LINKS:
        return [f"- {head}" + "".join(f" — {book.ref(e)}" if i == 0 else f" · {book.ref(e)}" for i, e in enumerate(ids))]
    lines = [f"- {head} — {count_label(len(ids), 'entry', 'entries')}"]
    by_chapter: dict[str, list[str]] = {}
    for entry_id in ids:
        by_chapter.setdefault(book.chapter[entry_id], []).append(entry_id)
    for chapter, chapter_ids in by_chapter.items():
        refs = " · ".join(book.ref(e) for e in chapter_ids)
        lines.append(f"  - {escape_markdown(short_title(chapter, INDEX_TITLE_MAX))}: {refs}")
    return lines


def _render_part(part: _Part, items: list[_Item], book: _Book) -> list[str]:
    groups: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        groups[letter_group(item.sort_label)].append(item)
    order = sorted(groups, key=_group_key)
    letters = " · ".join(f"[{escape_markdown(g)}](#{_group_anchor(part.key, g)})" for g in order)
    blocks = [f'<a id="{part.key}"></a>\n## {part.title}', letters]
    for group in order:
        blocks.append(f'<a id="{_group_anchor(part.key, group)}"></a>\n### {escape_markdown(group)}')
        lines: list[str] = []
        for item in sorted(groups[group], key=_sort_key):
            lines.extend(_item_lines(item, book))
        blocks.append("\n".join(lines))
    return blocks


def render_index(outline: Outline, entries: Mapping[str, Entry], filenames: Mapping[str, str]) -> str:
    """``INDEX.md`` for the entries the outline places. ``filenames`` maps chapter id → file name."""
    book = _Book.of(outline, entries, filenames)
    built = [(part, items) for part in PARTS if (items := part.build(book))]
    nav = " · ".join(f"[{part.title}](#{part.key})" for part, _ in built)
    blocks = ["# Index", "> Back to [Contents](README.md)" + (f" · {nav}" if nav else "")]
    if not built:
        blocks.append("_Nothing to index yet: terms appear here once they occur in at least two entries._")
    for part, items in built:
        blocks.extend(_render_part(part, items, book))
    return "\n\n".join(blocks) + "\n"
