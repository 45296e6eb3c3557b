"""The topic map: every entry of the book as a point in 2-D, placed by meaning, coloured by chapter.

The layout is a principal-component projection of the entries' embedding vectors (the same
vectors search uses): the two directions in which the notes differ most. It is exact, needs no
seed, and takes a fraction of a second for 10,000 entries; t-SNE was measured at 30 s for 10,000
entries on 2 cores (sklearn, 250 iterations after PCA to 50 dimensions), too slow to run on every
build. Because the projection depends only on the vectors, moving or renaming things recolours
the map but never moves a point; and since it is fitted on the entries of the first build (those
of no installment), an ``add`` places its entries on the map without moving the others. The fit
(a :class:`Projection`) is kept with the book and used again while those entries are the same,
so an ``add`` only projects its new points.

Determinism: entries are laid out in id order (not reading order, which curation changes), the
coordinates are rounded, and the picture is drawn with matplotlib's object API on the Agg backend
at a fixed size with no metadata, so the same book gives byte-identical ``map.png`` and ``map.html``.

Two renderings share one :class:`TopicMap`:

- :func:`render_png`: ``map.png``, a static picture with a legend (for the book's README and the
  project's);
- :func:`render_svg` / :func:`render_html`: an SVG where each point is a link (its ``<title>`` is
  the entry's title, shown on hover) inside a self-contained page, ``map.html``, with a few
  lines of inline script for an instant hover label. Everything from notes is escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np

from ..models import Entry, Outline
from .render import chapter_filename, entry_anchor, short_title

__all__ = [
    "MapChapter", "MapPoint", "Projection", "TopicMap", "layout", "legend_html", "make_map", "map_files", "placed", "render_html",
    "render_png", "render_svg",
]

# matplotlib's "tab20" and "tab20b" colours, written out so the picture and the page agree.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#5254a3", "#8ca252", "#bd9e39", "#ad494a", "#a55194",
)
WIDTH, HEIGHT = 1000, 700          # the SVG's viewBox, and the PNG in pixels (at DPI)
DPI = 100
MARGIN = 20
TITLE_MAX = 120


HOVER_SCRIPT = """\
/* Hover a point: its title shows above the map. Hover a chapter in the legend: the others fade. */
(function () {
  var map = document.querySelector("svg.topic-map"), label = document.getElementById("map-label");
  if (!map || !label) return;
  map.addEventListener("mouseover", function (event) {
    var link = event.target.closest("a");
    if (!link) return;
    label.textContent = link.querySelector("title").textContent;
  });
  map.addEventListener("mouseout", function () { label.textContent = ""; });
  document.querySelectorAll(".legend li").forEach(function (item) {
    var number = item.getAttribute("data-chapter");
    var points = map.querySelectorAll('a[data-chapter="' + number + '"]');
    item.addEventListener("mouseenter", function () {
      points.forEach(function (p) { p.classList.add("focus"); });
      map.setAttribute("data-focus", number);
    });
    item.addEventListener("mouseleave", function () {
      points.forEach(function (p) { p.classList.remove("focus"); });
      map.removeAttribute("data-focus");
    });
  });
})();
"""

MAP_CSS = """\
body { font: 15px/1.4 system-ui, sans-serif; margin: 1rem; color: #222; }
.map-wrap { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
svg.topic-map { flex: 1 1 600px; max-width: 1000px; border: 1px solid #ddd; background: #fff; }
svg.topic-map circle { fill-opacity: 0.85; }
svg.topic-map a:hover circle { stroke: #000; stroke-width: 1.5; }
.legend { list-style: none; padding: 0; margin: 0; flex: 0 1 280px; }
.legend li { margin: 0.2rem 0; }
.swatch { vertical-align: middle; }
.count { color: #777; }
#map-label { min-height: 1.4em; font-weight: 600; }
svg.topic-map[data-focus] a:not(.focus) circle { fill-opacity: 0.08; }
"""


@dataclass(frozen=True)
class MapChapter:
    number: int                    # 1-based, in book order
    id: str
    title: str
    entries: int
    colour: str
    file: str                      # the chapter's markdown file, e.g. 01-machine-learning-ai.md


@dataclass(frozen=True)
class MapPoint:
    id: str
    title: str
    chapter: int                   # the chapter's number (see MapChapter)
    section: str
    x: float                       # 0..1, left to right
    y: float                       # 0..1, bottom to top


@dataclass(frozen=True)
class TopicMap:
    chapters: tuple[MapChapter, ...]
    points: tuple[MapPoint, ...]   # in entry-id order
    projection: Projection | None = field(default=None, compare=False, repr=False)
    """How the points were placed (kept with the book, so the next map of the same base skips the fit)."""

    script: ClassVar[str] = HOVER_SCRIPT
    """The page script that labels a point on hover (inline in ``map.html``; a file on the web page)."""

    def chapter(self, point: MapPoint) -> MapChapter:
        return self.chapters[point.chapter - 1]

    def svg(self, href: Callable[[MapPoint, MapChapter], str]) -> str:
        """The map as an ``<svg>`` element whose points link to ``href(point, chapter)``."""
        return render_svg(self, href)

    def legend(self, href: Callable[[MapChapter], str]) -> str:
        """The chapters as a ``<ul>`` with their colours and counts, each linking to ``href(chapter)``."""
        return legend_html(self, href)

    def to_dict(self) -> dict:
        return {
            "chapters": [
                {"number": c.number, "id": c.id, "title": c.title, "entries": c.entries, "colour": c.colour, "file": c.file}
                for c in self.chapters
            ],
            "points": [
                {"id": p.id, "title": p.title, "chapter": p.chapter, "chapter_id": self.chapter(p).id, "section": p.section, "x": p.x, "y": p.y}
                for p in self.points
            ],
        }


# -- layout --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """How :func:`layout` places points: the first two principal components of the rows it was
    fitted on (``mean``, ``components``, as sklearn's PCA gives them) and the scale of those rows'
    central 99% (``lo``, ``span``). ``key`` is a digest of those rows: a projection kept with the
    book is used again only for the very same rows, so it places every point where a fresh fit would."""

    mean: np.ndarray
    components: np.ndarray
    lo: np.ndarray
    span: np.ndarray
    key: str = ""

    def dumps(self) -> str:
        arrays = {name: base64.b64encode(np.asarray(getattr(self, name), dtype="<f8").tobytes()).decode("ascii") for name in _ARRAYS}
        return json.dumps({"key": self.key, "dim": int(self.mean.shape[0]), **arrays}, sort_keys=True)

    @classmethod
    def loads(cls, text: str | None) -> Projection | None:
        """The projection :meth:`dumps` wrote, or None for no text or text it did not write."""
        try:
            data = json.loads(text or "")
            dim = int(data["dim"])
            arrays = {name: np.frombuffer(base64.b64decode(data[name]), dtype="<f8").astype(np.float64) for name in _ARRAYS}
            return cls(arrays["mean"].reshape(dim), arrays["components"].reshape(2, dim), arrays["lo"].reshape(2), arrays["span"].reshape(2), str(data["key"]))
        except (ValueError, KeyError, TypeError):
            return None


_ARRAYS = ("mean", "components", "lo", "span")


def _digest(rows: np.ndarray) -> str:
    """What a projection was fitted on: the rows' values as given (float32 vectors hash faster)."""
    rows = np.ascontiguousarray(rows)
    return f"{hashlib.sha256(rows.tobytes()).hexdigest()}:{rows.dtype.str}:{rows.shape[0]}x{rows.shape[1]}"


def _project(data: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """The rows' coordinates along the components (sklearn's ``PCA.transform``, step for step)."""
    points = data @ components.T
    points -= mean.reshape(1, -1) @ components.T
    return points


def fit_projection(basis: np.ndarray, key: str = "") -> Projection | None:
    """The projection fitted on ``basis`` (float64 rows, at least 3); None when they are all alike.
    ``key``: the digest of the rows it is fitted on, kept with it."""
    if not np.ptp(basis, axis=0).any():  # all alike: nowhere to spread them
        return None
    from sklearn.decomposition import PCA  # deferred, as matplotlib below: only writes fit a map

    pca = PCA(n_components=2, svd_solver="covariance_eigh").fit(basis)
    fitted = _project(basis, pca.mean_, pca.components_)
    lo, hi = np.percentile(fitted, 0.5, axis=0), np.percentile(fitted, 99.5, axis=0)
    span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
    return Projection(pca.mean_, pca.components_, lo, span, key)


def layout(vectors: np.ndarray, fit: np.ndarray | None = None, kept: Projection | None = None) -> np.ndarray:
    """An ``(n, 2)`` array of positions in [0, 1]² for the rows of ``vectors``: their first two
    principal components, each scaled so that the central 99% of points spans [0.05, 0.95] (the
    rest go into the margin, the farthest onto its edge). Rounded to 4 decimals.

    ``fit`` (row indices) names the rows the components and the scale are taken from (all rows
    when None or fewer than 3); the others are projected onto them, so adding rows moves none.
    ``kept``: a projection fitted before, used when it was fitted on the same rows (see
    :func:`placed`, which also gives the projection to keep)."""
    return placed(vectors, fit, kept)[0]


def placed(vectors: np.ndarray, fit: np.ndarray | None = None, kept: Projection | None = None) -> tuple[np.ndarray, Projection | None]:
    """:func:`layout`'s positions, and the projection that placed them (None when no fit was needed)."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2)), None
    if n < 3:
        return (np.full((n, 2), 0.5) if n == 1 else np.array([[0.25, 0.5], [0.75, 0.5]])), None
    rows = None if fit is None or len(fit) < 3 or np.array_equal(fit, np.arange(n)) else np.asarray(fit)
    data = np.asarray(vectors, dtype=np.float64)
    key = _digest(np.asarray(vectors) if rows is None else np.asarray(vectors)[rows])
    if kept is not None and kept.key == key:
        projection: Projection | None = kept
    else:
        projection = fit_projection(data if rows is None else data[rows], key)
    if projection is None:
        return np.full((n, 2), 0.5), None
    points = _project(data, projection.mean, projection.components)
    return np.round(np.clip(0.05 + 0.9 * (points - projection.lo) / projection.span, 0.0, 1.0), 4), projection


def make_map(
    outline: Outline,
    entries: Mapping[str, Entry],
    vectors: Mapping[str, np.ndarray],
    base: frozenset[str] | None = None,
    kept: Projection | None = None,
) -> TopicMap:
    """The map of every entry the outline places. ``vectors`` maps entry ids to their vectors;
    ``base``, the entries the layout is fitted on (the first build's), so that entries added
    later are placed on the map without moving the others (see :func:`layout`); ``kept``, the
    projection a map of the same base was drawn with (the map's ``projection``), to skip the fit."""
    chapters, where = [], {}
    for number, chapter in enumerate(outline.chapters, 1):
        colour = PALETTE[(number - 1) % len(PALETTE)]
        chapters.append(MapChapter(number, chapter.id, chapter.title, len(chapter.entry_ids), colour, chapter_filename(number, chapter)))
        for section in chapter.sections:
            for eid in section.entry_ids:
                where[eid] = (number, section.title)
    ids = sorted(where)
    fit = None if base is None else np.array([k for k, i in enumerate(ids) if i in base], dtype=np.int64)
    xy, projection = placed(np.stack([vectors[i] for i in ids]) if ids else np.zeros((0, 1)), fit, kept)
    points = tuple(
        MapPoint(eid, short_title(entries[eid].title, TITLE_MAX) or eid, where[eid][0], where[eid][1], float(x), float(y))
        for eid, (x, y) in zip(ids, xy.tolist())
    )
    return TopicMap(tuple(chapters), points, projection)


# -- the picture ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _font_chars() -> frozenset[int]:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont("DejaVu Sans")).get_charmap())


def _legend_label(chapter: MapChapter) -> str:
    """The chapter's title, or "Chapter N" when the picture's font cannot draw it (Kannada)."""
    title = short_title(chapter.title, 40)
    if all(ord(ch) in _font_chars() for ch in title):
        return f"{chapter.number}. {title} ({chapter.entries})"
    return f"{chapter.number}. Chapter {chapter.number} ({chapter.entries})"


def render_png(topic_map: TopicMap, title: str = "") -> bytes:
    """The map as a PNG: points coloured by chapter, a legend of chapters, no metadata.
    (matplotlib is imported here, not at the top: it costs half a second that only writes pay.)"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.68, 0.92 if title else 0.98))
    ax.set_axis_off()
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    size = 14 if len(topic_map.points) < 500 else 4
    xy: dict[int, list[tuple[float, float]]] = {c.number: [] for c in topic_map.chapters}
    for p in topic_map.points:
        xy[p.chapter].append((p.x, p.y))
    for chapter in topic_map.chapters:
        mine = np.array(xy[chapter.number], dtype=np.float64).reshape(-1, 2)  # arrays: lists cost matplotlib 20 µs a point
        ax.scatter(mine[:, 0], mine[:, 1], s=size, c=chapter.colour, label=_legend_label(chapter), linewidths=0, alpha=0.85)
    if topic_map.chapters:
        fig.legend(loc="upper left", bbox_to_anchor=(0.70, 0.98), frameon=False, fontsize=8, markerscale=2 if size < 10 else 1)
    if title:
        heading = f"{title} — topic map" if all(ord(ch) in _font_chars() for ch in title) else "Topic map"
        fig.suptitle(heading, x=0.01, ha="left", fontsize=12)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


# -- the page ------------------------------------------------------------------------------------


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def render_svg(topic_map: TopicMap, href: Callable[[MapPoint, MapChapter], str]) -> str:
    """An ``<svg>`` element: one linked circle per entry, its title (and chapter) in ``<title>``.
    ``href(point, chapter)`` gives each link. Every piece of text is escaped."""
    usable_w, usable_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    radius = 5 if len(topic_map.points) < 500 else 2.5
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topic-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Topic map of {len(topic_map.points)} entries">'
    ]
    for p in topic_map.points:
        chapter = topic_map.chapter(p)
        cx, cy = MARGIN + p.x * usable_w, MARGIN + (1 - p.y) * usable_h
        label = f"{p.title} — {chapter.title} / {p.section}"
        parts.append(
            f'<a href="{_attr(href(p, chapter))}" data-chapter="{chapter.number}">'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="{chapter.colour}"><title>{html.escape(label, quote=False)}</title></circle></a>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def legend_html(topic_map: TopicMap, href: Callable[[MapChapter], str]) -> str:
    """A list of the chapters with their colour and count, each a link."""
    items = [
        f'<li data-chapter="{c.number}"><svg class="swatch" viewBox="0 0 10 10" width="12" height="12" aria-hidden="true">'
        f'<circle cx="5" cy="5" r="5" fill="{c.colour}"/></svg> '
        f'<a href="{_attr(href(c))}">{html.escape(c.title)}</a> <span class="count">{c.entries}</span></li>'
        for c in topic_map.chapters
    ]
    return '<ul class="legend">\n' + "\n".join(items) + "\n</ul>"


def render_html(topic_map: TopicMap, title: str = "Notes") -> str:
    """``map.html``: a self-contained page (no network) with the SVG, a legend and hover labels.
    Points link to their entry in its chapter file (``01-x.md#e-<id>``), beside the page."""
    svg = topic_map.svg(lambda p, c: f"{c.file}#{entry_anchor(p.id)}")
    legend = topic_map.legend(lambda c: c.file)
    heading = f"{title} — topic map" if title else "Topic map"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(heading)}</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<style>\n{MAP_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(heading)}</h1>\n"
        f"<p>{len(topic_map.points)} entries in {len(topic_map.chapters)} chapters, placed by meaning "
        "(the first two principal components of their embeddings). Hover for a title; click to open the entry.</p>\n"
        "<p id=\"map-label\"></p>\n"
        f"<div class=\"map-wrap\">\n{svg}\n{legend}\n</div>\n"
        f"<script>\n{HOVER_SCRIPT}</script>\n</body>\n</html>\n"
    )


def map_files(topic_map: TopicMap, title: str = "Notes") -> dict[str, str | bytes]:
    """The book's ``map.png`` and ``map.html``."""
    return {"map.png": render_png(topic_map, title), "map.html": render_html(topic_map, title)}

