"""Shared by the installment tests (test_add, test_curate, test_digest, test_kill): the fixture
dumps, a book factory, and a keyword organizer that stands in for organize() so that these tests
check placement rules, not the clustering (which has tests of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import regex

from selfbook import Library, Settings
from selfbook.organize.curate import slug
from selfbook.embed import HashingEmbedder
from selfbook.models import Chapter, Outline, Section

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "installments"
SETTINGS = Settings(embedder="hashing", created="2026-01-01")

_RULES = (  # (pattern, chapter, section), first match wins
    (r"\p{Kannada}", "ಕನ್ನಡ ಸಾಹಿತ್ಯ", "ಕಾದಂಬರಿ ಮತ್ತು ಕಾವ್ಯ"),
    (r"(?i)recipe", "Cooking", "Recipes"),
    (r"(?i)garden|compost", "Cooking", "Garden"),
    (r"(?i)lora|fine-tun", "Machine Learning", "Fine-tuning"),
    (r"(?i)attention|transformer", "Machine Learning", "Transformers"),
)


def keyword_organize(ids, texts, vectors, params=None, embed=None, **_):
    """Chapters and sections by keyword; anything else in a final Miscellany chapter."""
    placed: dict[tuple[str, str], list[str]] = {}
    for eid, text in zip(ids, texts):
        key = next(((c, s) for pattern, c, s in _RULES if regex.search(pattern, text)), ("Miscellany", "Miscellany"))
        placed.setdefault(key, []).append(eid)
    chapters = []
    for chapter in dict.fromkeys(c for _, c, _ in _RULES + ((None, "Miscellany", None),)):
        sections = tuple(
            Section(slug(f"{chapter}-{s}") if chapter == "Miscellany" else slug(s), s, tuple(placed[(chapter, s)]), misc=chapter == "Miscellany")
            for (c, s) in placed if c == chapter
        )
        if sections:
            chapters.append(Chapter(slug(chapter), chapter, sections))
    return Outline(tuple(chapters), (("method", "keywords"),))


def dumps(tmp_path: Path, *names: str) -> list[Path]:
    """Copies of the fixture dumps in ``tmp_path`` (so that their paths are the test's own)."""
    out = []
    for name in names:
        target = tmp_path / name
        shutil.copyfile(FIXTURES / name, target)
        out.append(target)
    return out


STORE = ""
"""The store new books use: "" (SQLite) or a PostgreSQL URL, set by conftest's ``store_url``."""


def library(book: Path) -> Library:
    return Library(book, SETTINGS.replace(store=STORE), embedder=HashingEmbedder())


def built_with_later(tmp_path: Path) -> tuple[Library, Path]:
    """A book built from ``base.md`` in ``tmp_path``, and a copy of ``self-1.md`` to add to it."""
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    lib = library(tmp_path / "book")
    lib.build([base])
    return lib, later


def placements(lib: Library) -> dict[str, tuple[str, str]]:
    return {p.entry.id: (p.chapter, p.section) for p in lib.entries()}


def by_title(lib: Library, start: str):
    found = [p for p in lib.entries() if p.entry.title.startswith(start)]
    assert len(found) == 1, [p.entry.title for p in found]
    return found[0]


def book_files(book: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(book)): p.read_bytes()
        for p in sorted(book.rglob("*"))
        if p.is_file() and ".selfbook" not in p.relative_to(book).parts
    }
