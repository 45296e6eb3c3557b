"""Where embedding runs: ``--executor`` / ``SELFBOOK_EXECUTOR``.

- ``local`` (default): in this process (:class:`~selfbook.embed.LocalExecutor`).
- ``ray``: on a Ray cluster through Ray Data (:class:`RayExecutor`): the one ``RAY_ADDRESS`` names,
  else a Ray started on this machine. ``ray=ADDRESS`` names the cluster: ``ray=auto`` (the cluster
  this machine belongs to), ``ray=ray://head:10001`` (Ray Client) or ``ray=head:6379``.

:func:`~selfbook.embed.embed_pending` hands every executor the same batches (the texts the cache
lacks, in content-hash order), and each Ray worker builds the embedder itself from its registered
name (:data:`selfbook.embed.EMBEDDERS`), so both executors return the same vectors and the same
book. Ray is an optional dependency (``pip install 'ray[data]'``), imported only when used.

:class:`selfbook.library.embedding.Embedding` puts the two together for a book: which model embeds
it, and where.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence
from urllib.parse import urlsplit

import numpy as np

from ..errors import ConfigError, EmbeddingError
from . import EMBEDDERS, Embedder, Executor, LocalExecutor, get_embedder

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "RayExecutor", "get_executor", "registered_name"]

log = logging.getLogger(__name__)

EXECUTORS: dict[str, Callable[[str, int], Executor]] = {
    "local": lambda address, threads: LocalExecutor(),
    "ray": lambda address, threads: RayExecutor(address, threads=threads),
}
"""Executors by the name a user types; each factory takes the address after ``=`` and the threads setting."""

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HINT = "use local, ray, or ray=ADDRESS (ray=auto, ray=ray://head:10001)"


def get_executor(spec: str, threads: int = 0) -> Executor:
    """The executor ``spec`` names: ``local``, ``ray`` or ``ray=ADDRESS``."""
    name, _, address = (spec or "local").partition("=")
    name, address = name.strip(), address.strip()
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor {spec!r} — {HINT}")
    if name == "local" and address:
        raise ConfigError(f"executor {spec!r}: local takes no address — {HINT}")
    return EXECUTORS[name](address, threads)


def registered_name(embedder: Embedder) -> str | None:
    """The name under which :data:`~selfbook.embed.EMBEDDERS` makes this embedder (the same model id)."""
    for name, factory in EMBEDDERS.items():
        if factory().model_id == embedder.model_id:  # factories are cheap: models load on first use
            return name
    return None


class EmbedBatches:
    """A Ray Data worker: builds the embedder from its registered name once, then embeds one
    batch of texts per row. Vectors travel back as little-endian float32 bytes."""

    def __init__(self, name: str, threads: int) -> None:
        self.embedder = get_embedder(name, threads)

    def __call__(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = [self.embedder.embed([str(t) for t in texts]).astype("<f4").tobytes() for texts in rows["texts"]]
        return {
            "number": np.asarray(rows["number"], dtype=np.int64),
            "vectors": np.asarray(vectors, dtype=object),
            "model": np.asarray([self.embedder.model_id] * len(vectors), dtype=object),
        }


@dataclass(frozen=True)
class Plan:
    """How many Ray workers, and what each asks of the cluster."""

    workers: int
    cpus: float
    gpus: float
    threads: int


class RayExecutor:
    """Embeds batches on a Ray cluster with Ray Data: a pool of ``workers`` actors (default: one per
    GPU when the cluster has GPUs, each asking for one; else one per CPU), each embedding one batch
    at a time with ``threads`` threads. Connects on first use; a Ray already initialized in this
    process (``ray.init``) is used as it is."""

    def __init__(self, address: str = "", *, workers: int = 0, threads: int = 0) -> None:
        self.address = address
        self.workers = workers
        self.threads = threads

    def embed(self, embedder: Embedder, batches: Sequence[Sequence[str]]) -> Iterator[tuple[int, np.ndarray]]:
        name = registered_name(embedder)
        if name is None:
            raise ConfigError(
                f"embedder {embedder.model_id} is not one selfbook registers ({', '.join(sorted(EMBEDDERS))}); Ray workers "
                "build the embedder from its name — use --executor local for this one"
            )
        ray = self._connect()
        plan = self.plan(ray.cluster_resources(), len(batches))
        log.info("embedding %d batches on Ray: %s", len(batches), plan)
        dataset = ray.data.from_items([{"number": k, "texts": list(texts)} for k, texts in enumerate(batches)]).map_batches(
            EmbedBatches,
            fn_constructor_kwargs={"name": name, "threads": plan.threads},
            compute=ray.data.ActorPoolStrategy(size=plan.workers),
            batch_size=1,
            num_cpus=plan.cpus,
            num_gpus=plan.gpus,
        )
        try:
            for row in dataset.iter_rows():
                if row["model"] != embedder.model_id:
                    raise EmbeddingError(
                        f"the Ray workers embed with {row['model']}, this machine with {embedder.model_id} — "
                        "install the same selfbook version on every node"
                    )
                yield int(row["number"]), np.frombuffer(row["vectors"], dtype="<f4").reshape(-1, embedder.dim)
        except ray.exceptions.RayError as exc:
            lines = [line for line in ANSI.sub("", str(exc)).splitlines() if line.strip()]
            cause = lines[-1].strip() if lines else type(exc).__name__  # a worker's error ends with its cause
            raise EmbeddingError(
                f"embedding on the Ray cluster failed: {cause} — check that every node has selfbook installed "
                "(the same version), or use --executor local"
            ) from None

    def plan(self, resources: dict[str, float], batches: int) -> Plan:
        """Workers and their resources for ``batches`` batches on a cluster with ``resources``."""
        gpus = int(resources.get("GPU", 0))
        cpus = max(1, int(resources.get("CPU", 1)))
        if gpus:
            return Plan(max(1, min(self.workers or gpus, batches)), cpus=1, gpus=1, threads=self.threads)
        return Plan(max(1, min(self.workers or cpus, batches)), cpus=1, gpus=0, threads=self.threads or 1)

    def _connect(self):
        try:
            import ray  # optional and slow to import: only when Ray is asked for
            import ray.data
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'ray[data]' (or use --executor local)") from None
        where = self.address or os.environ.get("RAY_ADDRESS", "")
        _check_reachable(where)  # even with Ray initialized: a wrong address is an error, not ignored
        if not ray.is_initialized():
            options = {} if "://" in where else {"logging_level": logging.WARNING, "log_to_driver": False}
            if not where:  # no address: start a Ray on this machine
                options["include_dashboard"] = False
            try:
                ray.init(address=self.address or None, **options)
            except ImportError as exc:  # ray:// needs Ray Client's gRPC
                raise ConfigError(f"connecting to {where} needs Ray Client ({exc}) — pip install 'ray[client]'") from None
            except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
                raise ConfigError(
                    f"cannot connect to the Ray cluster at {where or 'this machine'} ({exc}) — start one with "
                    "'ray start --head', check the address (ray=auto, ray=ray://head:10001), or use --executor local"
                ) from None
        ray.data.DataContext.get_current().enable_progress_bars = False
        return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with a clear message, when ``host:port`` or ``ray://host:port`` does not answer
    (``ray.init`` would otherwise retry for a long while)."""
    if address in ("", "auto", "local"):
        return
    parts = urlsplit(address if "://" in address else "//" + address)
    try:
        host, port = parts.hostname, parts.port or (10001 if parts.scheme == "ray" else 6379)
    except ValueError:
        raise ConfigError(f"Ray address {address!r} is not HOST:PORT — {HINT}") from None
    if not host:
        raise ConfigError(f"Ray address {address!r} names no host — {HINT}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}) — check that its head is running "
            "('ray start --head') and the address, or use --executor local"
        ) from None
