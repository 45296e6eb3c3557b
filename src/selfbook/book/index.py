"""The back-of-book index, ``INDEX.md``: terms, people & handles, papers, repositories.

Each part is alphabetical under letter headings. Latin letters group by their base letter
(É under E); Kannada and other scripts come after Latin, grouped by their first letter *with* its
vowel signs and other combining marks (ಸಾಹಿತ್ಯ under ಸಾ, ಸಂಗೀತ under ಸಂ), in code point order;
anything that starts with a digit or a symbol comes first under "0–9 & symbols".

Which terms are listed
----------------------
A term is a :func:`selfbook.text.phrases.candidate_phrases` phrase of an entry's title and notes
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

The counts the terms are chosen from (:mod:`selfbook.book.index_terms`) are kept with the book,
so an ``add`` counts only its own entries; :func:`choose_terms` applies the rules above to them,
best ranked first, and gives the same terms as a count from scratch.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import regex

from selfbook.book.index_terms import MIN_ENTRIES, Candidate, candidates, count_terms, index_text, ranked
from selfbook.book.render import count_label, entry_anchor, escape_markdown, link, short_title
from selfbook.models import Entry, Outline

__all__ = ["choose_terms", "render_index", "letter_group", "select_terms"]

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
    if label.isascii():  # nothing to fold but case
        return label.lstrip("@#").casefold()
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
    counted: Iterable[Candidate] | None = None  # the terms' candidates in rank order, when counted already
    refs: dict[tuple[str, int], str] = field(default_factory=dict, compare=False)

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
        """``[short title](NN-slug.md#e-id)`` (made once: busy entries are linked from many lines)."""
        made = self.refs.get((entry_id, limit))
        if made is None:
            entry = self.entries[entry_id]
            made = self.refs[entry_id, limit] = link(short_title(entry.title, limit), f"{self.file[entry_id]}#{entry_anchor(entry_id)}")
        return made


# -- terms ---------------------------------------------------------------------------------------


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
    return choose_terms(ranked(candidates(count_terms(texts))), list(texts), sections, max_terms=max_terms)


def choose_terms(
    found: Iterable[Candidate], order: Sequence[str], sections: Mapping[str, str] | None = None, *, max_terms: int = MAX_TERMS
) -> dict[str, tuple[str, ...]]:
    """:func:`select_terms` from the candidates of the entries ``order`` lists (in book order),
    ``found`` in rank order (:func:`selfbook.book.index_terms.ranked`): the same terms whether the
    counts are fresh or kept by the store, reading only as many candidates as it takes.

    Rules 1–3 of the module docstring, in rank order: a phrase that a longer one with exactly
    the same entries contains (rule 2) ranks below that one (more words, same entries), so it is
    known by the time the phrase comes; and the first :data:`MAX_TERMS` that pass every rule are
    the best ranked of those that do."""
    position = {e: i for i, e in enumerate(order)}
    most = max(COMMON_FLOOR, math.ceil(COMMON_SHARE * len(order)))
    same_entries: dict[str, list[str]] = defaultdict(list)  # phrases seen so far by their entries
    chosen: list[Candidate] = []
    for c in found:
        if len(chosen) == max_terms:
            break
        if not MIN_ENTRIES <= c.entries <= most or c.phrase in GENERIC:
            continue
        longer = same_entries[c.ids_json]
        contained = any(f" {c.phrase} " in f" {other} " for other in longer)
        longer.append(c.phrase)
        if not contained and _distinctive(c.form, c.ids, sections):
            chosen.append(c)
    return {c.form: tuple(sorted(c.ids, key=position.__getitem__)) for c in sorted(chosen, key=lambda c: c.phrase)}


def _term_items(book: _Book) -> list[_Item]:
    """Terms come from titles and notes with @handles taken out: handles have their own part.
    The candidates are those counted already (kept by the store), else they are counted here."""
    found = book.counted
    if found is None:
        found = ranked(candidates(count_terms({e: index_text(book.entries[e]) for e in book.placed})))
    terms = choose_terms(found, book.placed, book.section)
    return [_Item(label, f"**{escape_markdown(label)}**", ids) for label, ids in terms.items()]


# -- people, papers, repositories ----------------------------------------------------------------


def _entity_postings(book: _Book, kinds: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """(kind, value) → placed entries naming it, in reading order; handles compared without case."""
    wanted = set(kinds)
    postings: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry_id in book.placed:
        named = [x for x in book.entries[entry_id].entities if x.kind in wanted]
        for entity in sorted(set(named)) if named else ():
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


def render_index(
    outline: Outline, entries: Mapping[str, Entry], filenames: Mapping[str, str], terms: Iterable[Candidate] | None = None
) -> str:
    """``INDEX.md`` for the entries the outline places. ``filenames`` maps chapter id → file name;
    ``terms``, the candidates of the placed entries in rank order when the caller keeps their
    counts (:mod:`selfbook.book.index_terms`), else they are counted here."""
    book = _Book.of(outline, entries, filenames)
    book = replace(book, counted=terms)
    built = [(part, items) for part in PARTS if (items := part.build(book))]
    nav = " · ".join(f"[{part.title}](#{part.key})" for part, _ in built)
    blocks = ["# Index", "> Back to [Contents](README.md)" + (f" · {nav}" if nav else "")]
    if not built:
        blocks.append("_Nothing to index yet: terms appear here once they occur in at least two entries._")
    for part, items in built:
        blocks.extend(_render_part(part, items, book))
    return "\n\n".join(blocks) + "\n"
