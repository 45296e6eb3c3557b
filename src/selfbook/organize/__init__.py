"""Organize entries into chapters (broad domains) and sections (topics) with human titles.

The method, in order (each step deterministic; up to 4,000 entries no step is random at all):

1. **Features.** The entry vectors, centred and renormalized (e5 vectors share a large common
   direction), optionally joined by an LSA of the texts (``lexical_weight``). Entries under one
   of the person's topical headings are pulled toward their heading's mean
   (:mod:`selfbook.organize.headings`, ``heading_weight``).
2. **Smoothing.** A few steps of diffusion on the k-nearest-neighbour graph: each row moves
   toward its neighbours' mean (fewer neighbours for small inputs: √n/2).
3. **Tree.** Ward agglomeration, over the entries themselves up to 4,000 entries (in the full
   space of the vectors), above that over k-means micro-clusters of about ``micro_size``
   entries (at most ``max_micro``) after projecting on ``dims`` principal components.
4. **Chapters.** The tree cut into k groups. Unless ``chapters`` fixes k, k is the cut with the
   highest mean silhouette (cosine, on the smoothed rows; ``chapter_choice="gap"``: where the
   merge heights jump most) between bounds that come from the size of the book: at least enough
   chapters for each to hold about ``max_chapter_sections`` sections, at most ``max_chapters``.
   Nothing outside the entries decides it. Chapters smaller than ``min_chapter`` entries go to
   a final "Miscellany" chapter.
5. **Sections.** Each chapter on its own: its vectors centred again, smoothed, put in a Ward
   tree, which is cut into about ``size / section_size`` groups, any group over 2.5 ×
   ``section_size`` cut again. Stragglers (entries far less similar to the rest of their
   section than is usual in the chapter, ``straggler_ratio``) and groups smaller than
   ``min_section`` are left over.
6. **Titles.** A section takes the person's heading when one dominates it, else its key
   phrases weighed against the whole book, among which the names of
   the published vocabularies (GitHub topics, IAB categories: :mod:`selfbook.organize.vocab`)
   are preferred and gather their aliases ("postgres", "psql" → "PostgreSQL"). A group no
   phrase describes is named after its central entries if it is as tight as its titled
   siblings, else its entries join the titled section they fit (``rehome_quantile``) or the
   chapter's Miscellany. Chapters take the person's heading when one dominates them, else the
   vocabulary name most of their entries hold (:mod:`selfbook.organize.domains`), else their
   own best phrase, else their two largest sections' titles; a chapter's description lists
   its sections.

Steps 1-5 are :mod:`selfbook.organize.grouping`; the titles, and the outline they make, are
:mod:`selfbook.organize.outline`; the settings are :class:`~selfbook.organize.params.OrganizeParams`. What was measured to
choose these steps is in bench/README.md (bench/organize.py).

Reading order: chapters by size (largest first) then title, the Miscellany chapter last;
sections likewise, the Miscellany section last; entries inside a section in input order (the
order of ``ids``, normally the order the person saved them), which keeps a section's reading
order stable when entries are added. Ids are slugs of titles, made unique across the book.

After the organizer, in this folder too:

::

    update.py    a dump added to a finished book (``selfbook add``), and the replay of the
                 installments and decisions on every build
    assign.py    where an added dump's entries go, without moving anything already there
    curate.py    the person's decisions (move, rename, merge, pin), kept and replayed as constraints

This package's root imports nothing heavy: :func:`organize` (numpy, the tree, the vocabularies)
loads on first use, so the commands that only read the book do not pay for it.
"""

from __future__ import annotations

from importlib import import_module

from selfbook.organize.params import OrganizeParams

__all__ = ["OrganizeParams", "organize", "MISC_TITLE"]


def __getattr__(name: str):
    """``organize``, ``MISC_TITLE`` and the rest of :mod:`.outline`, imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return import_module(f"selfbook.organize.{name}")  # a module of the folder ("cluster")
    except ModuleNotFoundError as error:
        if error.name != f"selfbook.organize.{name}":
            raise
    outline = import_module("selfbook.organize.outline")
    try:
        return getattr(outline, name)
    except AttributeError:
        raise AttributeError(f"module 'selfbook.organize' has no attribute {name!r}") from None
