"""``selfbook mcp``: serve a book's MCP tools (:mod:`selfbook.mcp.server`) over stdio or
streamable HTTP.

Over HTTP the server binds 127.0.0.1 unless told otherwise, and follows the rule of
:mod:`selfbook.web.access`, as ``selfbook serve`` does: on any address but loopback it refuses to
start without a token (``--token`` or ``SELFBOOK_TOKEN``, 8 characters or more); with a token,
every request must carry ``Authorization: Bearer TOKEN``; on loopback, every request must name
loopback in its ``Host`` header.

The MCP SDK (with pydantic), anyio, starlette and uvicorn are imported where the server starts,
not here: about two seconds that the CLI, which imports this module to register the command,
need not pay.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import SelfbookError
from ..web.access import bearer_matches, check_bind, host_is_loopback, is_loopback

if TYPE_CHECKING:
    from .. import SharedBook
    from starlette.types import ASGIApp, Receive, Scope, Send
from ..settings import load_settings


MCP_PATH = "/mcp"


class Guard:
    """ASGI middleware for ``/mcp``: the rule of :mod:`selfbook.web.access`. On a loopback bind a
    request must name loopback in its ``Host`` (on every loopback address, 127.0.0.2 too, not only
    the names the SDK's own guard covers); with a token, it must carry ``Authorization: Bearer TOKEN``."""

    def __init__(self, app: ASGIApp, token: str | None, loopback_only: bool) -> None:
        self.app, self.token, self.loopback_only = app, token, loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            from starlette.datastructures import Headers  # deferred with the web stack

            headers = Headers(scope=scope)
            if self.loopback_only and not host_is_loopback(headers.get("host", "")):
                await _refuse(send, 421, "misdirected_request", f"this server answers only to loopback names — address it as http://127.0.0.1:PORT{MCP_PATH}")
                return
            if self.token and not bearer_matches(headers.get("authorization", ""), self.token):
                await _refuse(send, 401, "invalid_token", "send 'Authorization: Bearer TOKEN' (the server's --token)", ((b"www-authenticate", b"Bearer"),))
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, error: str, description: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    body = json.dumps({"error": error, "error_description": description}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def http_app(book: SharedBook, host: str, token: str | None) -> ASGIApp:
    """The streamable HTTP app at ``/mcp``: the SDK's (with its request size limit and, on
    127.0.0.1, localhost and ::1, its DNS-rebinding guard), behind :class:`Guard`."""
    from .server import build_server  # the MCP SDK, deferred: see the module's docstring

    check_bind(host, token)
    app = build_server(book).streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    return Guard(app, token, loopback_only=is_loopback(host))


@click.command("mcp")
@click.option(
    "--book", "book", type=click.Path(file_okay=False, path_type=Path), envvar="SELFBOOK_BOOK", default="book",
    show_default=True, help="The book folder (env SELFBOOK_BOOK).",
)
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True, help="stdio (for Claude Desktop and IDE agents) or streamable HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: the address to bind; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8766, show_default=True, help="HTTP: the port.")
@click.option("--token", envvar="SELFBOOK_TOKEN", help="HTTP: require 'Authorization: Bearer TOKEN' (8+ characters; env SELFBOOK_TOKEN).")
@click.option("--llm", help="BACKEND:MODEL for the ask tool, e.g. ollama:llama3.2 (env SELFBOOK_LLM). None: extracts.")
def mcp_command(book: Path, transport: str, host: str, port: int, token: str | None, llm: str | None) -> None:
    """Serve the book to AI agents over MCP: list_chapters, get_chapter, get_entry, search, ask,
    whats_new and add_note.

    Over stdio by default (configure it in Claude Desktop or your IDE agent); with
    --transport http, streamable HTTP at http://HOST:PORT/mcp.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    import anyio  # deferred with the MCP SDK: see the module's docstring
    import uvicorn

    from .server import build_server

    try:
        if transport == "http":
            check_bind(host, token)
        from .. import SharedBook  # deferred: `selfbook --help` lists this command without the library

        shared = SharedBook(book, load_settings(book, llm=llm))
        shared.read(lambda library: library.outline())  # fail now, not on every call, when there is no book
        if transport == "stdio":
            anyio.run(build_server(shared).run_stdio_async)
            return
        app = http_app(shared, host, token)
    except SelfbookError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"selfbook MCP server for {book} on http://{host}:{port}{MCP_PATH}", err=True)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()


if __name__ == "__main__":
    mcp_command()
