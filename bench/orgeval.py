"""What bench/organize.py scores with: the labelled sets, their dumps, and the scores.

Every set in ../shared/bench/organize/ is a list of human-filed links or notes,
``{list, section, subsection, title, url, description[, date]}``. A set is scored on its own and
all of them mixed:

- **mixed**: chapters against the set a link came from (``list``), sections against
  ``list/section``.
- **one set alone**: chapters against its top-level headings (``section``), sections against
  its finest filing (``section/subsection`` where the set has subsections, else ``section``).

The **title score** is the share of entries whose section title names a word of the heading
their set filed them under (``section``): a word of the title starting with a word of the
heading, as "PostgreSQL" names "postgres". Heading words are its words of two letters or more
that are not English function words. An entry in a Miscellany section scores 0.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "organize"
SEED = 0
_FUNCTION = frozenset("a an and as at by for from in into of on or the to with vs etc see also more than".split())
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Link:
    list: str
    section: str
    subsection: str
    title: str
    url: str
    description: str
    date: str

    def gold(self, mixed: bool, has_subsections: bool) -> tuple[str | None, str]:
        """(chapter label, section label) for this link, scored mixed or on its own.

        On its own, a set has chapters only where its filing has two levels: subsections
        under sections, or sections named "Top - Sub" (awesome-selfhosted's "Communication -
        Email"); the chapter label is then the upper level. A set of one level (a TIL's
        folders) has no chapter label (None): its chapters are not scored.
        """
        if mixed:
            return self.list, f"{self.list}/{self.section}"
        if has_subsections:
            return self.section, f"{self.section}/{self.subsection}" if self.subsection else self.section
        if " - " in self.section:
            return self.section.split(" - ")[0], self.section
        return None, self.section


def set_names() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.jsonl"))


def load_set(name: str) -> list[Link]:
    rows = [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    return [
        Link(r["list"], r["section"], r.get("subsection") or "", r["title"], r["url"], r.get("description") or "",
             r.get("date") or "")
        for r in rows
    ]


def unique_shuffled(links: Sequence[Link]) -> list[Link]:
    """First occurrence of each URL, shuffled with SEED (a dump is in no filing order)."""
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    random.Random(SEED).shuffle(out)
    return out


def render_dump(links: Sequence[Link]) -> str:
    """The links as a person's notes: title line, description line, URL line, blank line."""
    blocks = []
    for link in links:
        lines = [link.title] + ([link.description] if link.description else []) + [link.url]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def heading_words(heading: str) -> set[str]:
    return {w for w in (m.group().casefold() for m in _WORD.finditer(heading)) if len(w) >= 2 and w not in _FUNCTION}


def names_heading(title: str, heading: str) -> bool:
    """True if a word of ``title`` starts with a word of ``heading``."""
    wanted = heading_words(heading)
    return any(w.startswith(h) for w in (m.group().casefold() for m in _WORD.finditer(title)) for h in wanted)


def title_score(titles: Sequence[str], headings: Sequence[str], misc: Sequence[bool]) -> float:
    hits = [not m and names_heading(t, h) for t, h, m in zip(titles, headings, misc)]
    return float(np.mean(hits)) if hits else 0.0


def scores(gold: Sequence[str], pred: Sequence) -> dict[str, float]:
    return {
        "nmi": round(float(normalized_mutual_info_score(gold, pred)), 4),
        "ami": round(float(adjusted_mutual_info_score(gold, pred)), 4),
        "clusters": len(set(pred)),
    }


def baselines(x: np.ndarray, chapter_gold: Sequence[str], section_gold: Sequence[str]) -> dict:
    """KMeans and Ward (on the same vectors) told the true number of chapters and of sections."""
    out: dict[str, dict] = {}
    for level, gold in (("chapter", chapter_gold), ("section", section_gold)):
        k = len(set(gold))
        if k < 2:
            continue
        # One thread, so that k-means' OpenMP reductions do not follow the machine's load (its
        # score moved by up to 0.065 between runs on the same vectors, 2026-12-07; the input's
        # order is fixed by the caller).
        with threadpool_limits(1):
            km = KMeans(k, n_init=4, random_state=SEED).fit_predict(x)
            ward = AgglomerativeClustering(k, linkage="ward").fit_predict(x)
        out.setdefault("kmeans", {})[level] = scores(gold, km) | {"k": k}
        out.setdefault("ward", {})[level] = scores(gold, ward) | {"k": k}
    return out


def bertopic(docs: Sequence[str], x: np.ndarray, chapter_gold: Sequence[str], section_gold: Sequence[str]) -> dict:
    """BERTopic with default settings on the same vectors: sections as found; chapters as its
    topics reduced to the true number (+1 for its outlier topic)."""
    from bertopic import BERTopic

    model = BERTopic()
    topics, _ = model.fit_transform(list(docs), x)
    row = {"section": scores(section_gold, topics)}
    k = len(set(chapter_gold))
    if k >= 2:
        model.reduce_topics(list(docs), nr_topics=k + 1)
        row["chapter"] = scores(chapter_gold, model.topics_)
    row["titles"] = model.get_topic_info()["Name"].head(6).tolist()
    return row


def code_path() -> str:
    """Where the selfbook that ran came from: "src" for this checkout's, else its folder (a
    baseline run with PYTHONPATH at an export of an older commit's src, say), so that a row's
    "commit" (the checkout's) is not taken for the code's."""
    import selfbook

    here = Path(selfbook.__file__).resolve().parent.parent
    return "src" if here == (ROOT / "src").resolve() else str(here)
