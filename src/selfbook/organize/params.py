"""The settings of :func:`selfbook.organize.organize`, one dataclass (the package root exports it)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["OrganizeParams"]


@dataclass(frozen=True)
class OrganizeParams:
    """Settings of :func:`organize`. Zero means "choose from the number of entries"."""

    seed: int = 0
    """Seed of every random step (k-means, SVD, above 4,000 entries only); recorded in the outline."""
    min_section: int = 3
    """Smaller groups go to their chapter's Miscellany section."""
    chapters: int = 0
    """A fixed number of chapters to cut the tree into; 0 chooses it (see the module docstring)."""
    min_chapters: int = 2
    """The fewest chapters the automatic choice considers."""
    max_chapters: int = 12
    """The most chapters the automatic choice considers."""
    max_chapter_sections: int = 12
    """The automatic choice considers at least enough chapters for each to hold about this many
    sections of ``section_size`` entries (a chapter a person can take in at a glance)."""
    min_chapter: int = 0
    """Chapters smaller than this go to the final Miscellany chapter; 0: max(2·min_section, n/100)."""
    section_size: int = 0
    """The typical size of a section; 0: 0.7·sqrt(n), kept within 8..150 (40 for 3,300 entries)."""
    straggler_ratio: float = 0.3
    """An entry whose cosine to the rest of its section is under this share of the chapter's
    median goes to the Miscellany section (0 turns this off)."""
    dims: int = 64
    """Principal components kept for the micro-clusters above 4,000 entries (0: keep all)."""
    micro_size: int = 5
    """The average size of the micro-clusters the tree is built on above 4,000 entries."""
    max_micro: int = 2000
    """The most micro-clusters (the tree's memory is quadratic in this)."""
    neighbors: int = 10
    """Neighbours per entry in the smoothing graph (fewer below 400 entries: sqrt(n)/2)."""
    section_neighbors: int = 5
    """Neighbours per entry when a chapter is smoothed again to find its sections."""
    smoothing_steps: int = 3
    """Diffusion steps on the neighbour graph; 0 turns smoothing off."""
    smoothing_keep: float = 0.5
    """How much of its own position an entry keeps at each smoothing step."""
    heading_weight: float = 1.0
    """How strongly entries under one topical heading are pulled together (0: not at all)."""
    lexical_weight: float = 0.0
    """Weight of the texts' LSA next to the dense vectors (0: vectors only)."""
    lexical_dims: int = 100
    """Dimensions of the LSA when ``lexical_weight`` is above 0."""
    plural_share: float = 0.1
    """A phrase whose plural the entries write at least this share as often as the phrase
    titles in the plural ("Courses"; 0: as written most). Chosen leave-one-set-out by
    bench/organize.py among 0, 0.1, 0.3."""
    follow_titles: bool = True
    """An entry that says a sibling section's title, not its own, moves there when it fits
    (see ``_follow_titles``)."""
    title_phrases: int = 2
    """At most this many phrases in a section title ("RAG & LlamaIndex")."""
    section_title_share: float = 0.1
    """A section is titled by phrases that at least this share of its entries hold (chosen
    leave-one-set-out by bench/organize.py among 0.1, 0.2, 0.3); a section that no phrase (nor
    heading) describes so is named after its central entries or re-homed (see ``_sections``)."""
    refine_steps: int = 0
    """Rounds of moving each entry to the chapter whose centre it is nearest after the tree is
    cut (k-means started from the cut; 0: the cut as it is). Measured with bench/organize.py
    (2026-11-28): 10 rounds took the awesome lists' chapter NMI from 0.783 to 0.724 and the
    example's from 0.751 to 0.754, so the cut stays as it is."""
    chapter_choice: str = "silhouette"
    """How the number of chapters is chosen: "silhouette", "gap" (largest jump in merge height)."""
    merge_untitled: bool = True
    """A group no title describes joins its nearest sibling, and the two are titled afresh."""
    rehome_quantile: float = 0.1
    """An entry no titled section holds joins the nearest one if it fits it as well as that
    section's own members at this quantile of their fit (0: it goes to Miscellany)."""

    def resolved(self, n: int) -> OrganizeParams:
        """These settings with the automatic (zero) values worked out for ``n`` entries."""
        section_size = self.section_size or min(150, max(8, round(0.7 * math.sqrt(n))))
        min_chapter = self.min_chapter or max(2 * self.min_section, round(n / 100))
        return OrganizeParams(**{**asdict(self), "section_size": section_size, "min_chapter": min_chapter})

