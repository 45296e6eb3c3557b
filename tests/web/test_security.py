"""The one security rule (selfbook.web.access) as both servers apply it: ``selfbook serve`` and
``selfbook mcp --transport http``. The Host rule is checked on real servers bound to 127.0.0.2:
a loopback address the MCP SDK's own DNS-rebinding guard does not cover."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from selfbook.cli import main
from selfbook.errors import ConfigError
from selfbook.web.access import MIN_TOKEN_LENGTH, bearer_matches, check_bind, host_is_loopback, is_loopback

from conftest import SMALL_DUMP
from llm_servers import free_port

ENV = {"SELFBOOK_EMBEDDER": "hashing", "SELFBOOK_LLM": "", "SELFBOOK_TOKEN": ""}
SERVERS = {
    "serve": (["serve", "--workers", "0"], "/api/book", "GET"),
    "mcp": (["mcp", "--transport", "http"], "/mcp", "POST"),
}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
}


def test_loopback():
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "app.localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com", "localhost.example.com"):
        assert not is_loopback(host), host
    assert host_is_loopback("127.0.0.2:8765") and host_is_loopback("[::1]:8766") and host_is_loopback("localhost")
    assert not host_is_loopback("evil.example:8765") and not host_is_loopback("")


def test_bind_and_token_rule():
    check_bind("127.0.0.2", None)
    with pytest.raises(ConfigError, match="without a token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "x" * MIN_TOKEN_LENGTH)
    with pytest.raises(ConfigError, match="too short"):
        check_bind("127.0.0.1", "x" * (MIN_TOKEN_LENGTH - 1))
    assert bearer_matches("Bearer s3cret-token", "s3cret-token") and bearer_matches("bearer s3cret-token", "s3cret-token")
    assert not bearer_matches("Bearer s3cret-toke", "s3cret-token") and not bearer_matches("", "s3cret-token")
    assert not bearer_matches("Bearer ", None) and not bearer_matches("Bearer ", "")


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_six_character_token_is_refused(server: str, host: str, tmp_path: Path):
    args, _, _ = SERVERS[server]
    result = CliRunner(env=ENV).invoke(main, [*args, "--book", str(tmp_path), "--host", host, "--token", "abc123"])
    assert result.exit_code == 1 and "the token is too short" in result.output, result.output


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, templates) -> Path:
    return templates.copy("sqlite", {"self.md": SMALL_DUMP}, tmp_path_factory.mktemp("security") / "book").book_dir


@pytest.mark.parametrize("server", SERVERS)
def test_a_server_on_127_0_0_2_answers_only_to_loopback_names(server: str, book: Path):
    """Bound to 127.0.0.2 with no token, the server refuses a request whose Host is another
    site's (what a DNS-rebinding page sends) and answers one addressed to 127.0.0.2."""
    args, path, method = SERVERS[server]
    port = free_port()
    command = [sys.executable, "-c", "from selfbook.cli import main; main()", *args, "--book", str(book), "--host", "127.0.0.2", "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.2:{port}{path}"
    headers = {"Accept": "application/json, text/event-stream"}
    body = INITIALIZE if method == "POST" else None
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                foreign = httpx.request(method, url, json=body, headers={**headers, "Host": f"evil.example:{port}"}, timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        own = httpx.request(method, url, json=body, headers=headers, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert foreign.status_code == 421, foreign.text
    assert own.status_code == 200, own.text
