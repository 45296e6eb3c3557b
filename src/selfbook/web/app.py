"""The web application: ``create_app(book_dir)`` gives a FastAPI app serving one book.

::

    Guard (security.py)      host, token, body size, cross-site checks; security headers
      ├── /api/…  (api.py)     the JSON API, with its OpenAPI schema at /openapi.json
      ├── /…      (pages.py)   the HTML pages (Jinja2 templates, autoescaped), each with a JSON twin
      └── /static/…            style.css and app.js (search-as-you-type, streamed answers)

Every endpoint reaches the book through :class:`~selfbook.web.service.BookService`, a
:class:`~selfbook.SharedBook` (the library's read/write policy, which lends each thread its own
:class:`~selfbook.Library`) with the pages' cached view.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import anyio
import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from selfbook import Library, Settings, __version__
from selfbook.errors import SelfbookError

from . import api, pages
from .api import error_status
from .security import MAX_BODY, Guard, GuardConfig
from .service import BookService
from .views import NotFound, highlighted

HERE = Path(__file__).resolve().parent
LINKABLE = ("http://", "https://", "ftp://", "ftps://", "mailto:")

DESCRIPTION = """\
The book's chapters, entries, search, answers, added notes and curation, as JSON.

Every HTML page has a twin here: `/` ↔ `/api/book`, `/chapter/ID` ↔ `/api/chapters/ID`,
`/entry/ID` ↔ `/api/entries/ID`, `/search?q=` ↔ `/api/search?q=`, `/map` ↔ `/api/map`.
A server started with a token wants `Authorization: Bearer TOKEN` on every request. Errors are
`{"error": message, "status": code}`.
"""


def _weblink(url: str) -> str | None:
    """The URL if it is a web link (so never ``javascript:``), else None."""
    return url if url.strip().lower().startswith(LINKABLE) else None


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,                      # everything from notes is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["path"] = lambda value: quote(str(value), safe="")
    env.filters["weblink"] = _weblink
    env.filters["highlighted"] = highlighted
    return env


def create_app(
    book_dir: str | os.PathLike,
    settings: Settings | None = None,
    *,
    token: str | None = None,
    loopback_only: bool = True,
    max_body: int = MAX_BODY,
    readers: int = 2,
    make_library: Callable[[], Library] | None = None,
) -> FastAPI:
    """The app for the book in ``book_dir``.

    ``token``: wanted on every request (see :mod:`selfbook.web.security`). ``loopback_only``:
    answer only requests addressed to localhost (for a server bound to loopback).
    ``make_library``: how to make each Library (tests pass one with the hashing embedder).
    """
    service = BookService(book_dir, settings, make_library=make_library, readers=readers)
    guard = GuardConfig(token=token or None, loopback_only=loopback_only, max_body=max_body)
    app = FastAPI(title="selfbook", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.service = service
    app.state.guard = guard
    app.state.templates = templates()
    app.state.searches = anyio.CapacityLimiter(api.SEARCHES_AT_ONCE)
    app.state.search_pool = None  # or a SearchPool: searches then run in its processes (serve --workers)
    app.add_middleware(Guard, config=guard)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    _handle_errors(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str, detail: object = None) -> Response:
    if _is_api(request):
        body = {"error": message, "status": status}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status)
    return pages.render(request, "error.html", status=status, status_code=status, message=message)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(SelfbookError)
    async def library_error(request: Request, exc: SelfbookError) -> Response:
        return _error(request, error_status(exc), str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "bad request"
        return _error(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return _error(request, 422, f"invalid request — {problems}", detail=jsonable(exc.errors()))


def jsonable(errors: list[dict]) -> list[dict]:
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors]

