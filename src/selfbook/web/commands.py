"""``selfbook serve``: the book as a web page and an HTTP JSON API (the CLI registers it).

This module does not import :mod:`selfbook.cli` (which imports it to register the command), so
either can be imported first.
"""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from selfbook.errors import SelfbookError
from selfbook.settings import load_settings

from .app import create_app
from .security import check_bind, is_loopback


@click.command()
@click.option(
    "--book", type=click.Path(file_okay=False, path_type=Path), envvar="SELFBOOK_BOOK", default="book", show_default=True,
    help="The book folder (env SELFBOOK_BOOK).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on. Any other than loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--token", envvar="SELFBOOK_TOKEN", help="Wanted on every request (env SELFBOOK_TOKEN); required off loopback.")
@click.option("--llm", help="BACKEND:MODEL for answers, e.g. ollama:llama3.2 (env SELFBOOK_LLM). None: extracts.")
def serve(book: Path, host: str, port: int, token: str | None, llm: str | None) -> None:
    """Serve the book in --book as web pages and a JSON API.

    Pages: the table of contents, chapters, entries (with related entries and where they came
    from), search as you type, ask (the answer streams in, citations link to entries), the topic
    map, and forms to add notes, move, rename, merge and pin. The API is under /api/ (schema at
    /openapi.json). Listens on 127.0.0.1 by default; on any other address it will not start
    without a token, and then wants it on every request: 'Authorization: Bearer TOKEN', or
    open /?token=TOKEN once in the browser (it sets a cookie).
    """
    try:
        check_bind(host, token)
        app = create_app(book, load_settings(book, llm=llm), token=token, loopback_only=is_loopback(host))
        app.state.service.view()  # fail now, with a clear message, if there is no book there
    except SelfbookError as exc:
        raise click.ClickException(str(exc)) from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {book} at http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if token:
        click.echo(f"Open http://{shown}:{port}/?token=… once in the browser; API clients send 'Authorization: Bearer …'.", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
