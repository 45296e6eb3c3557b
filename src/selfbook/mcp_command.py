"""``selfbook mcp``: serve a book's MCP tools (:mod:`selfbook.mcp_server`) over stdio or
streamable HTTP.

Over HTTP the server binds 127.0.0.1 unless told otherwise. On any other address it refuses to
start without a token (``--token`` or ``SELFBOOK_TOKEN``); with a token, every request must carry
``Authorization: Bearer TOKEN``.

The MCP SDK (with pydantic), anyio and uvicorn are imported where the server starts, not here:
about two seconds that the CLI, which imports this module to register the command, need not pay.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import ConfigError, SelfbookError
from .library import Library
from .settings import load_settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send


MCP_PATH = "/mcp"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach: ``localhost``, ``127.x.x.x``, ``::1``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token."""
    if not token and not is_loopback(host):
        raise ConfigError(
            f"--host {host} can be reached from other machines — set a token with --token or SELFBOOK_TOKEN "
            "(clients then send 'Authorization: Bearer TOKEN'), or bind 127.0.0.1"
        )


class RequireToken:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "invalid_token", "error_description": "send 'Authorization: Bearer TOKEN' (the server's --token)"}).encode()
                await send({
                    "type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"www-authenticate", b"Bearer")],
                })
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(library: Library, host: str, token: str | None) -> ASGIApp:
    """The streamable HTTP app at ``/mcp``: the SDK's (with its request size limit and, on
    loopback, its DNS-rebinding guard), behind the token when there is one."""
    from .mcp_server import build_server  # the MCP SDK, deferred: see the module's docstring

    check_token(host, token)
    app = build_server(library).streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    return RequireToken(app, token) if token else app


@click.command("mcp")
@click.option(
    "--book", "book", type=click.Path(file_okay=False, path_type=Path), envvar="SELFBOOK_BOOK", default="book",
    show_default=True, help="The book folder (env SELFBOOK_BOOK).",
)
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True, help="stdio (for Claude Desktop and IDE agents) or streamable HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: the address to bind; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8766, show_default=True, help="HTTP: the port.")
@click.option("--token", envvar="SELFBOOK_TOKEN", help="HTTP: require 'Authorization: Bearer TOKEN' (env SELFBOOK_TOKEN).")
@click.option("--llm", help="BACKEND:MODEL for the ask tool, e.g. ollama:llama3.2 (env SELFBOOK_LLM). None: extracts.")
def mcp_command(book: Path, transport: str, host: str, port: int, token: str | None, llm: str | None) -> None:
    """Serve the book to AI agents over MCP: list_chapters, get_chapter, get_entry, search, ask,
    whats_new and add_note.

    Over stdio by default (configure it in Claude Desktop or your IDE agent); with
    --transport http, streamable HTTP at http://HOST:PORT/mcp.
    """
    import anyio  # deferred with the MCP SDK: see the module's docstring
    import uvicorn

    from .mcp_server import build_server

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if transport == "http":
            check_token(host, token)
        library = Library(book, load_settings(book, llm=llm))
        library.outline()  # fail now, not on every call, when there is no book
        if transport == "stdio":
            anyio.run(build_server(library).run_stdio_async)
            return
        app = http_app(library, host, token)
    except SelfbookError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"selfbook MCP server for {book} on http://{host}:{port}{MCP_PATH}", err=True)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()


if __name__ == "__main__":
    mcp_command()
