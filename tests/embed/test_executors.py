"""Executors: embedding on a local Ray (``ray.init(num_cpus=2)``, started once for this module)
gives the same vectors, and the same book, as embedding here, with the book kept in SQLite or in
PostgreSQL; bad settings say what to do."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from selfbook.cli import main
from selfbook.embed import EMBEDDERS, E5Small, HashingEmbedder, LocalExecutor, embed_pending
from selfbook.errors import ConfigError, EmbeddingError
from selfbook.embed.executors import RayExecutor, get_executor
from selfbook.settings import load_settings
from selfbook.store import open_store

import pg_helpers
from installment_helpers import dumps

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SELFBOOK_CREATED": "2026-01-01", "SOURCE_DATE_EPOCH": "1767225600"}

TEXTS = [
    "A Primer on Inner Workings of Transformer-based Language Models",
    "Kolmogorov-Arnold networks explained simply, a new neural network architecture",
    "ಕುವೆಂಪು ಅವರ ಶ್ರೀ ರಾಮಾಯಣ ದರ್ಶನಂ ಮಹಾಕಾವ್ಯ",
    "ದ.ರಾ. ಬೇಂದ್ರೆ ಅವರ ನಾಕುತಂತಿ ಕವನ ಸಂಕಲನ",
    "Bisi bele bath recipe with homemade masala powder",
    "Dosa batter fermentation: why rice and urad dal need warmth",
    "",
] + [f"note {i}: retrieval augmented generation with local models, part {i}" for i in range(53)]


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray for the module (2 CPUs); the executor uses it as it is."""
    try:
        import ray
    except ImportError:
        pytest.skip("ray is not installed: pip install 'ray[data]' to test the Ray executor")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


def _embed(tmp_path: Path, name: str, embedder, executor, batch: int = 8, url: str = "") -> tuple[np.ndarray, int]:
    (tmp_path / name).mkdir(exist_ok=True)
    store = open_store(tmp_path / name, url)
    try:
        return embed_pending(TEXTS, embedder, store, batch=batch, executor=executor)
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ray_gives_the_same_vectors_as_local(ray_local, tmp_path: Path, store_url: str):
    local, new_local = _embed(tmp_path, "local", HashingEmbedder(), LocalExecutor(), url=store_url)
    remote, new_remote = _embed(tmp_path, "ray", HashingEmbedder(), RayExecutor(workers=2), url=pg_helpers.fresh_store(store_url))
    assert new_local == new_remote == len(set(TEXTS))
    assert np.array_equal(local, remote)
    again, new = _embed(tmp_path, "ray", HashingEmbedder(), RayExecutor())  # all cached in the book's store: Ray not asked
    assert new == 0 and np.array_equal(again, local)


def test_ray_gives_the_same_e5_vectors_as_local(ray_local, tmp_path: Path):
    texts = TEXTS[:20]
    local = LocalExecutor().embed(E5Small(), [texts[:10], texts[10:]])
    remote = RayExecutor(workers=2).embed(E5Small(), [texts[:10], texts[10:]])
    assert np.array_equal(np.concatenate([v for _, v in sorted(local, key=lambda p: p[0])]),
                          np.concatenate([v for _, v in sorted(remote, key=lambda p: p[0])]))


def test_a_book_built_and_added_to_on_ray_equals_one_built_here(ray_local, tmp_path: Path, book_files, store_url: str):
    base, later = dumps(tmp_path, "base.md", "self-1.md")
    entries = {}
    for name, executor, store in (("local", "local", store_url), ("ray", "ray", pg_helpers.fresh_store(store_url))):
        book = str(tmp_path / name)
        runner = CliRunner(env={**ENV, "SELFBOOK_STORE": store})  # each book its own store
        for command, dump in (("build", base), ("add", later)):
            result = runner.invoke(main, [command, str(dump), "--book", book, "--executor", executor, "--json"])
            assert result.exit_code == 0, result.output
        result = runner.invoke(main, ["entries", "--book", book, "--json"])
        entries[name] = [json.loads(line) for line in result.output.splitlines()]
    assert entries["ray"] == entries["local"] and len(entries["local"]) > 10
    assert book_files(tmp_path / "ray") == book_files(tmp_path / "local")


def test_an_address_that_does_not_answer_says_what_to_do(ray_local, tmp_path: Path, small_dump: Path):
    port = _free_port()
    with pytest.raises(ConfigError, match="cannot reach the Ray cluster .* --executor local"):
        list(RayExecutor(f"127.0.0.1:{port}").embed(HashingEmbedder(), [["a text"]]))
    result = CliRunner(env=ENV).invoke(main, ["build", str(small_dump), "--book", str(tmp_path / "b"), "--executor", f"ray=ray://127.0.0.1:{port}"])
    assert result.exit_code == 1 and "cannot reach the Ray cluster" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "b" / "README.md").exists()


class Unknown(HashingEmbedder):
    """An embedder this process registers and the Ray workers (a fresh import of selfbook) do not."""

    def __init__(self, threads: int = 0) -> None:
        super().__init__()
        self.model_id = "unknown-to-the-workers"


def test_workers_that_cannot_build_the_embedder_say_so(ray_local, monkeypatch):
    monkeypatch.setitem(EMBEDDERS, "unknown", Unknown)
    with pytest.raises(EmbeddingError, match="unknown embedder 'unknown'.* same version"):
        list(RayExecutor(workers=1).embed(Unknown(), [["a"], ["b"]]))


def test_without_ray_installed_the_error_says_how_to_install_it(monkeypatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"pip install 'ray\[data\]'"):
        _embed(tmp_path, "s", HashingEmbedder(), RayExecutor())


def test_ray_builds_only_registered_embedders(tmp_path: Path):
    with pytest.raises(ConfigError, match="--executor local"):
        _embed(tmp_path, "s", HashingEmbedder(dim=8), RayExecutor())


def test_executor_names():
    assert isinstance(get_executor("local"), LocalExecutor) and isinstance(get_executor(""), LocalExecutor)
    ray = get_executor("ray=ray://head:10001", threads=4)
    assert isinstance(ray, RayExecutor) and ray.address == "ray://head:10001" and ray.threads == 4
    for bad in ("dask", "local=somewhere"):
        with pytest.raises(ConfigError, match="ray=auto"):
            get_executor(bad)


def test_workers_take_the_gpus_when_the_cluster_has_them():
    gpu = RayExecutor().plan({"CPU": 32.0, "GPU": 4.0}, batches=100)
    assert (gpu.workers, gpu.gpus, gpu.cpus) == (4, 1, 1)
    cpu = RayExecutor().plan({"CPU": 8.0}, batches=3)
    assert (cpu.workers, cpu.gpus, cpu.threads) == (3, 0, 1)
    assert RayExecutor(workers=2, threads=4).plan({"CPU": 8.0}, batches=100).workers == 2


def test_the_executor_setting_comes_from_flags_or_the_environment(tmp_path: Path):
    assert load_settings(tmp_path, env={}).executor == "local"
    assert load_settings(tmp_path, env={"SELFBOOK_EXECUTOR": "ray=auto"}).executor == "ray=auto"
    assert load_settings(tmp_path, env={"SELFBOOK_EXECUTOR": "ray=auto"}, executor="local").executor == "local"
