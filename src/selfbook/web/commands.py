"""``selfbook serve``: the book as a web page and an HTTP JSON API (the CLI registers it).

This module does not import :mod:`selfbook.cli` (which imports it to register the command), so
either can be imported first. The web stack (FastAPI, uvicorn, jinja2, pydantic: about half a
second) is imported in :func:`serve`, not here: every command's ``--help`` imports this module.
"""

from __future__ import annotations

import gc
import signal
import sys
from pathlib import Path

import click

from selfbook.errors import SelfbookError
from selfbook.settings import SERVE_BUDGET_MS, load_settings


@click.command()
@click.option(
    "--book", type=click.Path(file_okay=False, path_type=Path), envvar="SELFBOOK_BOOK", default="book", show_default=True,
    help="The book folder (env SELFBOOK_BOOK).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on. Any other than loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--token", envvar="SELFBOOK_TOKEN", help="Wanted on every request (env SELFBOOK_TOKEN); required off loopback.")
@click.option("--llm", help="BACKEND:MODEL for answers, e.g. ollama:llama3.2 (env SELFBOOK_LLM). None: extracts.")
@click.option(
    "--search-budget-ms", type=click.IntRange(0), default=None,
    help=f"How long a search may wait for the embedder when it is busy; then it answers from words alone, "
    f"and says so (env SELFBOOK_SEARCH_BUDGET_MS; default {SERVE_BUDGET_MS}; 0: wait).",
)
@click.option(
    "--workers", type=click.IntRange(0, 64), envvar="SELFBOOK_SERVE_WORKERS", default=1, show_default=True,
    help="Processes that rank the searches, beside the server's own, which embeds the queries "
    "(env SELFBOOK_SERVE_WORKERS; 0: the server does it all, in one process). Each loads the index and the vectors.",
)
def serve(
    book: Path, host: str, port: int, token: str | None, llm: str | None, search_budget_ms: int | None, workers: int,
) -> None:
    """Serve the book in --book as web pages and a JSON API.

    Pages: the table of contents, chapters, entries (with related entries and where they came
    from), search as you type, ask (the answer streams in, citations link to entries), the topic
    map, and forms to add notes, move, rename, merge and pin. The API is under /api/ (schema at
    /openapi.json). Listens on 127.0.0.1 by default; on any other address it will not start
    without a token, and then wants it on every request: 'Authorization: Bearer TOKEN', or
    open /?token=TOKEN once in the browser (it sets a cookie).

    Under load, a search answers within --search-budget-ms even when more searches come than the
    embedding model can keep up with: those it cannot embed in time are ranked by their words
    alone (BM25), and the result says so ("degraded": "lexical" in the JSON, a note on the page).
    Searches are ranked in --workers processes of their own (default 1), whichever is free
    first, while this one speaks HTTP and embeds the queries: so a search uses a second core.
    """
    import uvicorn  # the web stack, deferred to this seam: see the module's docstring

    from concurrent.futures.process import BrokenProcessPool

    from selfbook import one_blas_thread

    from .app import create_app
    from .searchpool import SearchPool
    from selfbook.web.access import check_bind, is_loopback

    pool = None
    try:
        check_bind(host, token)
        settings = load_settings(book, llm=llm, search_budget_ms=search_budget_ms)
        one_blas_thread()  # searches run side by side, one BLAS thread each (see selfbook.search.dense)
        app = create_app(book, settings, token=token, loopback_only=is_loopback(host))
        app.state.service.view()  # fail now, with a clear message, if there is no book there
        if workers:
            click.echo(f"Starting {workers} search worker{'s' if workers > 1 else ''}…", err=True)
            pool = app.state.search_pool = SearchPool(book, app.state.service, settings, workers=workers)
            pool.warm()  # each loads the index and the vectors before the first search
        app.state.service.warm()  # load the index, the vectors and the model before the first search
        # What is loaded now stays for the life of the server: keep the cycle collector from walking
        # it again and again (it took 8% of the server's time under load; 4.2 ms of CPU a search
        # instead of 5.2–6.1 with it frozen, measured with bench/serve_load.py --embedder hashing).
        gc.collect()
        gc.freeze()
    except (SelfbookError, BrokenProcessPool) as exc:
        if pool is not None:
            pool.close()
        if isinstance(exc, BrokenProcessPool):
            raise click.ClickException("a search worker could not start — try --workers 0 to search in the server process") from None
        raise click.ClickException(str(exc)) from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {book} at http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if token:
        click.echo(f"Open http://{shown}:{port}/?token=… once in the browser; API clients send 'Authorization: Bearer …'.", err=True)
    if pool is not None:
        # uvicorn shuts down on SIGTERM and then raises it again, which by default ends the
        # process at once: the pool would not be closed (its workers end by themselves, but the
        # pool's semaphores are reported leaked). Exit as SIGTERM does, through the finally below.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if pool is not None:
            pool.close()
