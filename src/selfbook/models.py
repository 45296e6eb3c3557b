"""The data that flows through selfbook, as frozen dataclasses.

The flow is: a dump is read into :class:`RawEntry` records (ingest), which are normalized and
merged into :class:`Entry` records (normalize), embedded, organized into an :class:`Outline` of
:class:`Chapter` and :class:`Section`, and written out as a book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .text.dates import DateRange, closing_date

KINDS = ("paper", "repo", "video", "post", "article", "note")
KIND_PLURALS = {"paper": "papers", "repo": "repos", "video": "videos", "post": "posts", "article": "articles", "note": "notes"}
"""Each kind in the plural, as an answer counts them ("3 repos")."""


@dataclass(frozen=True, order=True)
class Span:
    """Where a piece of text came from: a file and an inclusive, 1-based line range."""

    path: str
    start: int
    end: int

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.path}:{self.start}"
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True, order=True)
class Entity:
    """Something an entry names: ``arxiv:2405.00208``, ``github:owner/repo``, ``handle:svpino``."""

    kind: str  # arxiv, doi, github, handle, tweet or youtube
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class RawEntry:
    """One entry as a source file wrote it, before normalization.

    ``lines`` are the entry's own lines, stripped of list markers. ``headings`` is the path of
    headings above it. ``date`` is a date written in the entry itself; ``context_date`` is one
    given by a heading (such as "From self-1.md (Oct 2024 – Feb 2026)") or by front matter.
    ``urls`` are as saved. ``ident`` is the identity the record has in its source, when it has
    one (``twitter:1234`` for an X post); such a record's own link, if any, is its first URL,
    and its later URLs are links found in its text (rules in :mod:`selfbook.normalize.dedupe`).
    """

    lines: tuple[str, ...]
    source: Span
    headings: tuple[str, ...] = ()
    title: str | None = None
    urls: tuple[str, ...] = ()
    note: str = ""
    date: DateRange | None = None
    context_date: DateRange | None = None
    tags: tuple[str, ...] = ()
    ident: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Entry:
    """A normalized entry of the book. Merged duplicates keep every note and every source.

    ``urls`` are as saved (their canonical forms are for matching only); ``idents`` are the
    identities its records had in their sources (``twitter:1234``), if any.
    """

    id: str
    title: str
    urls: tuple[str, ...]
    notes: tuple[str, ...]
    kind: str
    entities: tuple[Entity, ...]
    date: DateRange | None
    lang: str
    script: str
    sources: tuple[Span, ...]
    headings: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    title_derived: bool = False
    fetched: tuple[str, ...] = ()
    """What the entry took from its link's page (``selfbook fetch``): ``"title"``, ``"note"``."""
    page_text: str = ""
    """The start of its link's archived page text (``selfbook fetch --archive``): searched and
    quoted by ``ask``, never embedded nor shown in the book."""
    idents: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        return "\n\n".join(n for n in self.notes if n)

    @property
    def source(self) -> Span:
        return self.sources[0]

    @property
    def merged(self) -> int:
        """How many saved copies were merged into this entry beyond the first."""
        return len(self.sources) - 1

    def embed_text(self) -> str:
        """The text a model sees for this entry: title, then note, each line without a date that
        closes it ("…by looking at screenshots; Oct 2024."). That date is the entry's ``date``;
        in the text it would make the model group entries by when they were saved rather than
        by what they are about. For the same reason a note that is only a byline ("(Paper)
        Walmart 2014", see :func:`is_byline`) is left out: it says who published the link and
        when, and would group entries by publisher; and so are licence identifiers
        ("AGPL-3.0", "Apache-2.0", see :func:`_untagged`), which lists of software put on every
        line and which would group programs by their licence."""
        parts = [self.title]
        note = "\n\n".join(n for n in self.notes if n and not is_byline(n))
        if note and note != self.title:
            parts.append(note)
        lines = "\n".join(parts).split("\n")
        return "\n".join(_untagged(_undated(line) if any(c.isdigit() for c in line) else line) for line in lines)


@lru_cache(maxsize=1)
def _byline_patterns():
    """Bracketed tags, years, and a name, compiled on first use (``selfbook --help`` imports
    this module)."""
    import regex  # deferred: see the docstring

    return (
        regex.compile(r"\([^()]*\)|\[[^\[\]]*\]"),
        regex.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)"),
        regex.compile(r"(?:\p{Lu}[\p{L}\p{M}'’&.\-]*|\d[\p{L}\d]*\.?),?"),
    )


@lru_cache(maxsize=1)
def _licence_tags():
    """SPDX-style licence identifiers as lists of software tag their lines with: "AGPL-3.0",
    "Apache-2.0", "BSD-3-Clause", "GPL-3.0/MIT", "CC-BY-SA-4.0", "WTFPL". A name that is also a
    word or another thing needs its version ("Apache Kafka", "BSD" the system, "MIT" the
    university stay)."""
    import regex  # deferred: see _byline_patterns

    versioned = r"(?:[AL]?GPL|Apache|BSD|MPL|EPL|EUPL|CC-BY(?:-SA|-NC|-ND)*|CC0|ISC|Zlib|OSL|CDDL|Artistic|BSL|SSPL)-[\w.]+(?:-[\w.]+)*"
    bare = r"(?:[AL]?GPL(?:v[23])?\+?|Unlicense|WTFPL|0BSD)"
    one = rf"(?:{versioned}|{bare})"
    return regex.compile(rf"(?<![\w/-])(?:{one}(?:/(?:{one}|MIT))*)(?![\w-])")


@lru_cache(maxsize=1 << 15)
def _untagged(line: str) -> str:
    """``line`` without its licence identifiers (see :func:`_licence_tags`)."""
    if "-" not in line and "GPL" not in line and "WTFPL" not in line and "Unlicense" not in line:
        return line
    out = _licence_tags().sub("", line)
    return " ".join(out.split()) if out != line else line


@lru_cache(maxsize=1 << 15)
def is_byline(note: str) -> bool:
    """True if ``note`` is a byline: one to three capitalized names with a year or a bracketed
    tag and nothing else, as in "(Paper) Walmart 2014", "Netflix 2022", "(2015), R. Girshick
    [pdf]". Lists of industry papers and posts carry one per link; the names are the
    publisher or the authors, not what the link is about. A name alone ("Rust", "Uber") may be
    the person's own tag for the topic, so it is not a byline."""
    if "\n" in note or len(note) > 60:
        return False
    tag, year, name = _byline_patterns()
    rest, tags = tag.subn(" ", note)
    rest, years = year.subn(" ", rest)
    names = rest.strip(" ,;:-–—·|/").split()
    return bool(tags or years) and 1 <= len(names) <= 3 and all(name.fullmatch(n) for n in names)


@lru_cache(maxsize=1 << 15)
def _undated(line: str) -> str:
    """``line`` without the date that closes it; cached, as a build asks for an entry's
    :meth:`Entry.embed_text` several times (hashing, embedding, organizing)."""
    return closing_date(line)[0]


@dataclass(frozen=True)
class Merge:
    """A record that several saved copies became one entry, and why."""

    entry_id: str
    sources: tuple[Span, ...]
    reason: str


@dataclass(frozen=True)
class Flag:
    """A pair of entries that look alike but were not merged: left for a person to review."""

    a: str
    b: str
    reason: str
    score: float


@dataclass(frozen=True)
class Skip:
    """A block of a dump that did not become an entry, and why."""

    source: Span
    reason: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    entry_ids: tuple[str, ...]
    misc: bool = False
    description: str = ""
    """One line on what the section holds (written by an LLM when one titles the book; else empty)."""


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    sections: tuple[Section, ...]
    description: str = ""

    @property
    def entry_ids(self) -> tuple[str, ...]:
        return tuple(e for s in self.sections for e in s.entry_ids)


@dataclass(frozen=True)
class TitleChoice:
    """What an LLM answered for one chapter or section (see :mod:`selfbook.organize.llm_titles`).

    ``old`` is the organizer's title; ``new`` the one the book took: the model's, or ``old`` when
    its answer was ``rejected`` (the reason; ``proposed`` is what it said). ``chapter`` is a
    section's chapter, as the book titles it.
    """

    kind: str
    old: str
    new: str
    description: str = ""
    chapter: str = ""
    rejected: str = ""
    proposed: str = ""


@dataclass(frozen=True)
class LLMMove:
    """An entry an LLM called a misfit of its section, moved where the vectors agreed: its cosine
    to the ``target`` section's centroid beat the one to its own section's other entries.
    ``source`` and ``target`` are ``Chapter/Section`` as the book titles them."""

    entry_id: str
    title: str
    source: str
    target: str
    source_cosine: float
    target_cosine: float


@dataclass(frozen=True)
class LLMMerge:
    """Two sections of a chapter an LLM said are one topic. They were merged (``refused`` empty)
    only where the vectors agreed: each section's centroid is the other's nearest in the chapter
    (``cosine`` between them), and the merged section is no looser than the chapter's loosest
    section (``cohesion``, the mean cosine of its entries to its centroid, at least ``floor``).
    ``kept`` (the larger, whose title stays) and ``merged`` are ``Chapter/Section`` as the book
    titles them; ``refused`` says why the vectors did not agree."""

    kept: str
    merged: str
    cosine: float
    cohesion: float
    floor: float
    refused: str = ""


@dataclass(frozen=True)
class LLMTitles:
    """Every title choice an LLM made for a build, the misfits it moved and the sections it merged
    (where the vectors agreed), the model, and how it went: answers asked of the model, answers
    found in the cache, and a ``warning`` when it failed (the organizer's titles were then kept for
    what it had not answered)."""

    model: str
    choices: tuple[TitleChoice, ...] = ()
    moves: tuple[LLMMove, ...] = ()
    asked: int = 0
    cached: int = 0
    warning: str = ""
    merges: tuple[LLMMerge, ...] = ()

    @property
    def merged(self) -> tuple[LLMMerge, ...]:
        return tuple(m for m in self.merges if not m.refused)

    @property
    def retitled(self) -> tuple[TitleChoice, ...]:
        return tuple(c for c in self.choices if not c.rejected and (c.new != c.old or c.description))

    @property
    def rejected(self) -> tuple[TitleChoice, ...]:
        return tuple(c for c in self.choices if c.rejected)


@dataclass(frozen=True)
class Outline:
    """The book's structure: chapters of sections of entry ids, in reading order."""

    chapters: tuple[Chapter, ...]
    params: tuple[tuple[str, str], ...] = field(default=())

    def placement(self) -> dict[str, tuple[Chapter, Section]]:
        return {e: (c, s) for c in self.chapters for s in c.sections for e in s.entry_ids}


# == installments and curation (selfbook add / move / rename / merge / pin) =====================
DECISION_ACTIONS = ("move", "pin", "rename-section", "rename-chapter", "merge-entries", "merge-sections", "merge-chapters")


@dataclass(frozen=True)
class Installment:
    """A dump added to a finished book with ``selfbook add``.

    ``entry_ids`` are the entries it brought into the book, in dump order; ``resaved`` the
    entries already in the book that it saved again (they keep their place). ``sections`` are
    the ids of the sections and chapters it created. ``period`` is the time the dump covers
    (see :func:`selfbook.organize.update.dump_period`); ``added`` the ISO date it joined the book.
    """

    name: str
    path: str
    sha256: str
    added: str
    period: DateRange | None
    entry_ids: tuple[str, ...]
    resaved: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    chapters: tuple[str, ...] = ()
    after_decision: int = 0
    """The number of the person's decisions made before it was added (replayed in that order)."""

    def heading(self) -> str:
        """``From self-1.md (Mar 2026 – Oct 2026)``: the title of its block in each chapter."""
        return f"From {self.name} ({self.period.label()})" if self.period else f"From {self.name}"


@dataclass(frozen=True)
class Decision:
    """One edit the person made to the book's structure; kept apart from what selfbook computes.

    ``action`` is one of :data:`DECISION_ACTIONS`. ``subject`` is an entry id (move, pin,
    merge-entries) or a ``Chapter/Section`` (or ``Chapter``) title path as it was when the
    decision was made; ``target`` is where it goes (a title path), the new title (rename), or
    what merges into the subject. ``members`` and ``target_members`` are the entry ids of the
    subject's and the target's section or chapter at that time: they find them again after a
    reorganization changes titles and ids.
    """

    action: str
    subject: str
    target: str = ""
    members: tuple[str, ...] = ()
    target_members: tuple[str, ...] = ()
    made: str = ""
    number: int = 0


# == links (selfbook fetch) ======================================================================
LINK_STATUSES = ("ok", "gone", "soft-404", "dns", "refused", "timeout", "error", "blocked", "robots")
"""What the last fetch of a link found: ``ok`` (a 2xx page); ``gone`` (404 or 410); ``soft-404``
(a 200 whose title says not found); ``dns``, ``refused``, ``timeout`` (no answer); ``error``
(any other failure: 5xx, 403, TLS, a redirect loop, a page cut off at the size cap…); ``blocked``
(an address selfbook refuses: loopback, private…, without ``--allow-local``); ``robots``
(robots.txt disallows selfbook)."""


@dataclass(frozen=True)
class Link:
    """What ``selfbook fetch`` learned about one URL of the book, and when."""

    url: str
    status: str
    fetched: str                     # ISO time, UTC, seconds
    code: int | None = None          # the last HTTP status
    final_url: str = ""
    title: str = ""
    description: str = ""
    published: str = ""
    lang: str = ""
    content_type: str = ""
    authors: tuple[str, ...] = ()
    failures: int = 0                # runs in a row that failed the way dead links fail
    dead: bool = False
    archived_url: str = ""           # the Wayback Machine's snapshot (http(s) only), looked up once dead
    archived_at: str = ""            # the snapshot's time as Wayback gives it: YYYYMMDDhhmmss

    @property
    def archived_date(self) -> str:
        """The snapshot's date, ``YYYY-MM-DD`` ("" when unknown)."""
        t = self.archived_at
        return f"{t[:4]}-{t[4:6]}-{t[6:8]}" if len(t) >= 8 and t[:8].isdigit() else ""

    def to_dict(self) -> dict:
        return {
            "url": self.url, "status": self.status, "dead": self.dead, "code": self.code, "final_url": self.final_url,
            "fetched": self.fetched, "failures": self.failures, "title": self.title, "description": self.description,
            "published": self.published, "lang": self.lang, "content_type": self.content_type, "authors": list(self.authors),
            **({"archived_url": self.archived_url, "archived_at": self.archived_at} if self.archived_url else {}),
        }
