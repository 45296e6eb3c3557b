"""Sections against the person's own: organize their reference chapter with its headings taken
out, and score the sections found against the ones they wrote (a benchmark, not a test).

../shared/reference/ holds one chapter of the person's own book, "Machine Learning & AI", with
12 ``##`` sections written by hand. Its entries, up to the installment block, are read as one
flat dump (the ``##`` lines removed, so the organizer cannot simply follow them), embedded with
the book's model (cached in bench/.cache/), and organized; each entry's found place
(chapter / section) is compared with its gold section by adjusted mutual information (AMI) and
NMI. A personal dump, unlike the awesome lists of bench/organize.py, mixes forms: papers,
tweets, people, talks. Variants of the organizer's knobs are scored side by side.

    python bench/reference.py [--embedder e5-small]

Results go to bench/results/reference.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from selfbook.embed import get_embedder
from selfbook.ingest import parse_markdown
from selfbook.normalize import normalize_entries
from selfbook.organize import OrganizeParams, organize

ROOT = Path(__file__).resolve().parent
REFERENCE = ROOT.parent.parent / "shared" / "reference" / "000_28f95713571e2874.txt"
CACHE = ROOT / ".cache"


def flat_dump(text: str) -> tuple[str, dict[int, str]]:
    """The chapter's entries as one dump with the ``##`` headings blanked (line numbers kept),
    and the gold section of every line."""
    lines = text.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("## From self-1.md"))
    section, gold, out = "", {}, []
    for number, line in enumerate(lines[:end], start=1):
        if line.startswith("## "):
            section = line[3:].strip()
            out.append("")
            continue
        if line.startswith("# ") or line.startswith(">") or line.strip() == "---":
            out.append("")
            continue
        gold[number] = section
        out.append(line if section else "")
    return "\n".join(out) + "\n", gold


def vectors_for(texts: list[str], embedder_name: str) -> np.ndarray:
    key = hashlib.sha256(("\0".join(texts) + embedder_name).encode()).hexdigest()[:16]
    path = CACHE / f"reference_{embedder_name}_{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = get_embedder(embedder_name, 0).embed(texts)
    CACHE.mkdir(exist_ok=True)
    np.save(path, vectors)
    return vectors


def score(outline, ids: list[str], gold: list[str]) -> dict:
    where = {}
    for chapter in outline.chapters:
        for section in chapter.sections:
            for entry_id in section.entry_ids:
                where[entry_id] = f"{chapter.title}/{section.title}"
    found = [where[i] for i in ids]
    sections = sorted(set(found))
    return {
        "ami": round(adjusted_mutual_info_score(gold, found), 3),
        "nmi": round(normalized_mutual_info_score(gold, found), 3),
        "sections": len(sections),
        "misc_share": round(sum(f.endswith("/Miscellany") for f in found) / len(found), 3),
        "chapters": len(outline.chapters),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", default="e5-small")
    args = parser.parse_args()
    text, gold_of_line = flat_dump(REFERENCE.read_text(encoding="utf-8"))
    dump = parse_markdown(text, "reference.md")
    entries = list(normalize_entries(list(dump.entries)).entries)
    ids = [e.id for e in entries]
    gold = [gold_of_line[e.source.start] for e in entries]
    texts = [e.embed_text() for e in entries]
    vectors = vectors_for(texts, args.embedder)
    embedder = get_embedder(args.embedder, 0)
    embed = lambda items: embedder.embed(list(items), query=True)  # noqa: E731
    print(f"{len(entries)} entries, {len(set(gold))} gold sections", file=sys.stderr)
    variants = {
        "default": OrganizeParams(),
        "lexical_weight=0.5": OrganizeParams(lexical_weight=0.5),
        "lexical_weight=1.0": OrganizeParams(lexical_weight=1.0),
        "section_size=10": OrganizeParams(section_size=10),
        "straggler_ratio=0": OrganizeParams(straggler_ratio=0.0),
    }
    rows = {}
    for name, params in variants.items():
        outline = organize(ids, texts, vectors, params, embed=embed)
        rows[name] = score(outline, ids, gold)
        print(f"{name:22} {rows[name]}", flush=True)
    gold_k = len(set(gold))
    rows[f"kmeans@{gold_k} (reference)"] = kmeans_reference(vectors, gold, gold_k)
    print(f"{'kmeans at true k':22} {rows[f'kmeans@{gold_k} (reference)']}")
    out = ROOT / "results" / "reference.json"
    out.write_text(json.dumps({"embedder": args.embedder, "entries": len(entries), "gold_sections": gold_k, "variants": rows}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT.parent)}", file=sys.stderr)


def kmeans_reference(vectors: np.ndarray, gold: list[str], k: int) -> dict:
    """KMeans at the true number of sections, mean over 5 seeds: what plain clustering gets."""
    from sklearn.cluster import KMeans

    amis = [adjusted_mutual_info_score(gold, KMeans(k, n_init=10, random_state=s).fit_predict(vectors)) for s in range(5)]
    return {"ami": round(float(np.mean(amis)), 3)}


if __name__ == "__main__":
    main()
