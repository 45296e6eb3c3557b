"""Shared fixtures: tiny dumps written for the tests, books built with the hashing embedder, and the
template books built once for the whole run that tests get copies of."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfbook import Library, Settings
from selfbook.cli import main
from selfbook.embed import HashingEmbedder
from selfbook.store import record_store
import selfbook.library
import selfbook.organize

import installment_helpers
import pg_helpers
from installment_helpers import keyword_organize

SMALL_DUMP = """\
---
title: test dump
created: 2024-01-01
---

# Machine learning

A Primer on Inner Workings of Transformer-based Language Models
arxiv 2405.00208
https://arxiv.org/abs/2405.00208

Attention in transformers, visually explained
https://www.youtube.com/watch?v=eMlx5fFNoYc

KAN: Kolmogorov-Arnold Networks
https://arxiv.org/pdf/2404.19756v2

Kolmogorov-Arnold networks explained simply, a new neural network architecture
https://arxiv.org/abs/2404.19756

Santiago (@svpino): RAG pipelines fail when retrieval is weak. Evaluate retrieval first.
https://x.com/svpino

- [DSPy: programming language models](https://github.com/stanfordnlp/dspy) — declarative pipelines
- [LlamaIndex](https://github.com/run-llama/llama_index) — data framework for LLM retrieval
- Retrieval-augmented generation with local models, a tutorial
  https://www.example.com/rag-local?utm_source=twitter

# Cooking

Bisi bele bath recipe with homemade masala powder
https://www.example.org/bisi-bele-bath

Ragi mudde, the Karnataka finger millet staple, how to make it soft
https://www.example.org/ragi-mudde

Dosa batter fermentation: why rice and urad dal need warmth
https://www.example.org/dosa-batter

Filter coffee decoction ratios for a strong South Indian coffee
https://www.example.org/filter-coffee

# ಕನ್ನಡ ಸಾಹಿತ್ಯ

ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ ಮಹಾಕಾವ್ಯ
https://kn.wikipedia.org/wiki/ಶ್ರೀ_ರಾಮಾಯಣ_ದರ್ಶನಂ

ದ.ರಾ. ಬೇಂದ್ರೆ ಅವರ ನಾಕುತಂತಿ ಕವನ ಸಂಕಲನ
https://kn.wikipedia.org/wiki/ನಾಕುತಂತಿ

ಪೂರ್ಣಚಂದ್ರ ತೇಜಸ್ವಿ ಅವರ ಕರ್ವಾಲೋ ಕಾದಂಬರಿ
https://kn.wikipedia.org/wiki/ಕರ್ವಾಲೊ

## From self-1.md (Oct 2024 – Feb 2026)

**DeepSeek-R1 technical report**
Reasoning model trained with reinforcement learning; Jan 2025.
arxiv.org — https://arxiv.org/abs/2501.12948

**Bisi bele bath recipe with homemade masala powder**
Saved again; Feb 2025.
example.org — https://example.org/bisi-bele-bath/

Petar Velickovic: Transformers and GNNs softmax issue
"""


class HeldEmbedder(HashingEmbedder):
    """The hashing embedder, through the real seam, that can be held busy: while ``go`` is clear
    a call waits until the test sets it (as a model busy with other searches would); ``busy``
    is set once a call has begun."""

    def __init__(self) -> None:
        super().__init__()
        self.busy, self.go = threading.Event(), threading.Event()
        self.go.set()

    def embed(self, texts, query=False):
        self.busy.set()
        self.go.wait()
        return super().embed(texts, query=query)


@pytest.fixture(autouse=True)
def _no_wayback(monkeypatch):
    """No test asks the real Wayback Machine: a test that wants snapshots points
    SELFBOOK_WAYBACK_URL at its local server."""
    monkeypatch.setenv("SELFBOOK_WAYBACK_URL", "off")


@pytest.fixture
def small_dump(tmp_path: Path) -> Path:
    path = tmp_path / "self.md"
    path.write_text(SMALL_DUMP, encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, monkeypatch) -> str:
    """Each test that asks runs twice: on a SQLite book, and on one kept in a fresh PostgreSQL
    database (skipped, saying why, without pgserver)."""
    url = "" if request.param == "sqlite" else pg_helpers.fresh_database()
    monkeypatch.setattr(installment_helpers, "STORE", url)
    return url


@pytest.fixture
def settings(store_url: str) -> Settings:
    return Settings(embedder="hashing", created="2026-01-01", store=store_url)


@pytest.fixture
def library(tmp_path: Path, settings: Settings) -> Library:
    return Library(tmp_path / "book", settings, embedder=HashingEmbedder())


def build_book(tmp_path_factory: pytest.TempPathFactory, name: str, dump: str, settings: Settings) -> Path:
    """A book built with the hashing embedder from the text ``dump``, in a folder of its own
    (for a module-scoped fixture: a test that changes the book changes a :func:`copy_of_book`)."""
    root = tmp_path_factory.mktemp(name)
    (root / "self.md").write_text(dump, encoding="utf-8")
    Library(root / "book", settings, embedder=HashingEmbedder()).build([root / "self.md"])
    return root / "book"


def copy_of_book(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the book ``built``, for a test that changes it."""
    copy = tmp_path / "book"
    shutil.copytree(built, copy)
    return copy


TEMPLATE_SETTINGS = Settings(embedder="hashing", created="2026-01-01")
"""The settings of every template book (:func:`book_template`), on SQLite; a copy on
PostgreSQL has its own database."""


class Templates:
    """Books built once for the whole test run with the hashing embedder, one per set of dumps,
    store ("sqlite" or "postgresql") and way of building (the library, or ``selfbook build`` with
    an environment): a test that only needs such a book, to read or to change, gets a copy
    (:meth:`copy`, :meth:`copy_book`) instead of building its own. A test about building builds."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._factory = tmp_path_factory
        self._built: dict[tuple, tuple[Path, str]] = {}

    def built(self, kind: str, dumps: dict[str, str], cli_env: dict[str, str] | None = None) -> tuple[Path, str]:
        """The template book of ``dumps`` (file name → text) on the store ``kind``, and its store:
        built by the library with :data:`TEMPLATE_SETTINGS`, or with ``cli_env`` by ``selfbook build``."""
        key = (kind, tuple(dumps.items()), tuple(sorted((cli_env or {}).items())) if cli_env is not None else None)
        if key not in self._built:
            store = "" if kind == "sqlite" else pg_helpers.fresh_database()
            root = self._factory.mktemp("template")
            paths = []
            for name, text in dumps.items():
                (root / name).write_text(text, encoding="utf-8")
                paths.append(root / name)
            if cli_env is None:
                Library(root / "book", TEMPLATE_SETTINGS.replace(store=store), embedder=HashingEmbedder()).build(paths)
            else:
                args = ["build", *map(str, paths), "--book", str(root / "book"), *(["--store", store] if store else [])]
                result = CliRunner(env=cli_env).invoke(main, args)
                assert result.exit_code == 0, result.output
            self._built[key] = (root / "book", store)
        return self._built[key]

    def copy_book(self, kind: str, dumps: dict[str, str], to: Path, cli_env: dict[str, str] | None = None) -> tuple[Path, str]:
        """A copy at ``to`` of a template book (:meth:`built`), and its store: on PostgreSQL a copy
        of the template's database, which the copy records."""
        book, store = self.built(kind, dumps, cli_env)
        shutil.copytree(book, to)
        if store:
            store = pg_helpers.copy_database(store)
            record_store(to / ".selfbook", store)
        return to, store

    def copy(self, kind: str, dumps: dict[str, str], to: Path) -> Library:
        """A copy at ``to`` of the library-built template book of ``dumps`` on ``kind``, opened."""
        book, store = self.copy_book(kind, dumps, to)
        return Library(book, TEMPLATE_SETTINGS.replace(store=store), embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory)


@pytest.fixture(params=["sqlite", "postgresql"])
def small_book(request, templates: Templates, tmp_path: Path) -> Library:
    """A copy of the small dump's book (``self.md``), built once per store for the whole run;
    each test that asks runs on SQLite and on PostgreSQL."""
    return templates.copy(request.param, {"self.md": SMALL_DUMP}, tmp_path / "book")


def _book_files(book: Path) -> dict[str, bytes]:
    """Every file of a book except its state folder."""
    return {
        str(p.relative_to(book)): p.read_bytes()
        for p in sorted(book.rglob("*"))
        if p.is_file() and ".selfbook" not in p.relative_to(book).parts
    }


@pytest.fixture
def book_files():
    """``book_files(dir)``: every file of a book except its state folder, as bytes."""
    return _book_files


@pytest.fixture
def keywords(monkeypatch):
    """Organize the base book by keywords, so a test sees placement and curation, not clustering."""
    monkeypatch.setattr(selfbook.organize, "organize", keyword_organize)  # the library imports it when a build organizes
