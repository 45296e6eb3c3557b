"""General topic vocabularies, used as published, for naming chapters and sections.

Two published vocabularies ship in this folder with their licences:

- **GitHub's topic catalogue** (``github_topics.jsonl``, from github/explore at cc66c61,
  CC BY 4.0, ``LICENSE-github-explore.txt``): 1,255 topics with a display name ("PostgreSQL"),
  aliases ("postgres", "psql") and a short description.
- **The IAB Tech Lab Content Taxonomy 3.1** (``iab_content_taxonomy_3.1.tsv``, from
  InteractiveAdvertisingBureau/Taxonomies at b7acdca, CC BY 3.0, ``LICENSE-iab-taxonomies.txt``):
  706 categories of everyday subjects in four tiers ("Food & Drink" > "Cooking").

Each entry of either becomes a :class:`Label`: the name a title shows and the surface forms that
say an entry is about it (lower-cased, as :func:`selfbook.text.phrases.candidate_phrases` gives
phrases: a GitHub topic's slug, display name and aliases; an IAB category's name). Nothing here
is edited to fit any collection: the files are read as they were published.

Not used: the IAB tiers above a category. Lent to the entries that name a category, they made
broad chapter names out of words that mean something else in notes ("History" and "Nature" are
under the TV "Genres"; "Fitness" sits in several places).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import regex

__all__ = ["Label", "labels", "ATTRIBUTION"]

ATTRIBUTION = (
    "Topic names from GitHub's topic catalogue (github/explore, CC BY 4.0) and the IAB Tech Lab "
    "Content Taxonomy 3.1 (CC BY 3.0)."
)

_QUOTES = "\"'“”"


@dataclass(frozen=True)
class Label:
    """A name from a published vocabulary."""

    name: str  # as a title shows it: "PostgreSQL", "Fitness and Exercise"
    source: str  # "github" or "iab"
    terms: tuple[str, ...]  # lower-cased surface forms that say an entry is about it
    context: frozenset[str] = frozenset()  # lower-cased words the vocabulary uses around it (its
    # description, related topics and aliases; an IAB category's tiers): which sense it is


def _read(name: str) -> str:
    return resources.files("selfbook.organize.vocab").joinpath(name).read_text(encoding="utf-8")


def _forms(text: str) -> set[str]:
    """A vocabulary string as the phrases it may appear as: lower-cased, dashes as spaces too."""
    low = text.strip(_QUOTES).casefold().strip()
    if not low:
        return set()
    return {low, low.replace("-", " ").replace("_", " ")}


def _shown(display: str) -> str:
    """A display name as a title shows it: quotes and a trailing remark in brackets taken off
    ("Query (disambiguation)" → "Query", "TLS (Transport Layer Security)" → "TLS"). A name
    the catalogue writes as its lower-case slug is capitalized ("flight-simulator" → "Flight
    Simulator"), as a title would write it."""
    name = display.strip().strip(_QUOTES).strip()
    if name.endswith(")") and "(" in name[1:]:
        name = name[: name.rindex("(")].strip() or name
    if name.islower() and name.isascii():
        name = " ".join(part[:1].upper() + part[1:] for part in name.replace("-", " ").split())
    return name


def _context(text: str) -> frozenset[str]:
    """The lower-cased words of a label's description ("a terminal emulator…"), dashes and
    underscores as spaces ("container-image")."""
    return frozenset(regex.findall(r"\p{L}[\p{L}\p{N}.+#]*", text.replace("-", " ").replace("_", " ").casefold()))


def _github() -> list[Label]:
    out = []
    for line in _read("github_topics.jsonl").splitlines():
        row = json.loads(line)
        name = _shown(row["display_name"])
        terms = _forms(row["topic"]) | _forms(name) | _forms(row["display_name"])
        for alias in row.get("aliases") or ():
            terms |= _forms(alias)
        about = " ".join([row.get("short_description") or "", row.get("description") or "",
                          *(row.get("related") or ()), *(row.get("aliases") or ())])
        out.append(Label(name, "github", tuple(sorted(terms)), _context(about)))
    return out


def _iab() -> list[Label]:
    rows = list(csv.reader(io.StringIO(_read("iab_content_taxonomy_3.1.tsv")), delimiter="\t"))
    out = []
    for row in rows[2:]:
        if len(row) < 4 or not row[2].strip():
            continue
        name = row[2].strip()
        terms = _forms(name)  # the name as a whole: "running" alone is as often a server as a sport
        out.append(Label(name, "iab", tuple(sorted(terms)), _context(" ".join(row[3:7]))))
    return out


@cache
def labels() -> tuple[Label, ...]:
    """Every label of both vocabularies, GitHub's first, each in file order."""
    return tuple(_github() + _iab())
