"""Which model embeds a book (:class:`selfbook.library.embedding.Embedding`): a book opened to be
read notes the model that embedded it and loads none; the first command that embeds makes it."""

from __future__ import annotations

from pathlib import Path

from selfbook import Settings
from selfbook.embed import HashingEmbedder, get_embedder
from selfbook.library.embedding import Embedding

HASHING = HashingEmbedder().model_id


class Meta:
    """A store as :meth:`Embedding.keep_the_books` reads one: its meta."""

    def __init__(self, model: str | None) -> None:
        self.model = model

    def get_meta(self, key: str) -> str | None:
        return self.model if key == "model" else None


def test_the_books_model_is_noted_and_made_when_first_needed():
    embedding = Embedding(Settings())  # names no embedder: the default, e5-small
    embedding.keep_the_books(Meta(HASHING), Path("book"))
    assert embedding.embedder.model_id == HASHING


def test_a_search_by_the_books_model_gets_the_books_embedder():
    """One embedder, so one model loaded: a search asks :meth:`Embedding.of` before anything has
    asked for :attr:`Embedding.embedder` (a read-only open makes neither)."""
    embedding = Embedding(Settings())
    embedding.keep_the_books(Meta(HASHING), Path("book"))
    assert embedding.of(HASHING) is embedding.embedder


def test_a_model_this_selfbook_cannot_load_gives_way_to_the_settings():
    embedding = Embedding(Settings())
    embedding.keep_the_books(Meta("gone-model/v0"), Path("book"))
    assert embedding.embedder.model_id == get_embedder("e5-small").model_id

