"""The HTTP JSON API, under ``/api/``: the pages' data, search, ask (streamed), added notes and
curation. Its OpenAPI schema is at ``/openapi.json``.

Errors are JSON: ``{"error": "what went wrong — what to do", "status": 400}``. A book error
(a bad filter, an unknown entry to move, …) is 400, an unknown id 404, an LLM server that fails
502, a body too large 413, a cross-site or token-less request 403 / 401.

Speed: the endpoints return their JSON ready-made (:func:`json_response`) rather than a dict for
FastAPI to walk through ``jsonable_encoder`` and validate again: a page of search results costs
0.1 ms to write that way instead of 0.4 ms. The dependency that finds the service is ``async``
(a sync one costs a trip to the thread pool per request), and ``/api/search`` makes one trip
there for the search itself, at most :data:`SEARCHES_AT_ONCE` at a time.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Annotated, AsyncIterator

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from selfbook import METHODS, QueryError
from selfbook.errors import LLMError, SelfbookError

from . import views
from .searchpool import SearchUnavailable
from .service import BookService

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["book"])
MAX_RESULTS = 100
SEARCHES_AT_ONCE = 16
"""Searches that run at once; the others wait their turn, first come first served. Python runs
one thread at a time, and 40 threads (the pool's size) searching at once spend the server's
time handing it to each other: under 50 clients (``bench/serve_load.py``, 15 s runs, e5-small,
budget 100 ms) p99 was 365–405 ms with 16, 405 with 32, 474 with 40 at about the same rate;
with 6 to 10 the queue of queries is so short that the model keeps up with none turned away,
and the rate falls to what it can embed (165–175 a second)."""


async def get_service(request: Request) -> BookService:
    return request.app.state.service


def json_response(data: object) -> JSONResponse:
    """``data`` (plain dicts, lists, strings, numbers) as the JSON response."""
    return JSONResponse(data)


Service = Annotated[BookService, Depends(get_service)]


class SearchQuery(BaseModel):
    """The parameters of ``selfbook search``."""

    q: str = Field(description="What to look for: words and meaning.")
    limit: int = Field(10, ge=1, le=MAX_RESULTS, description="How many results.")
    chapter: str | None = Field(None, description="Only this chapter: its id, title, or words of its title.")
    section: str | None = Field(None, description="Only this section: its id, title, or words of its title.")
    kind: str | None = Field(None, description="Only this kind: paper, repo, video, post, article or note.")
    since: str | None = Field(None, description="Dated on or after this (YYYY, YYYY-MM or YYYY-MM-DD).")
    until: str | None = Field(None, description="Dated on or before the end of this (YYYY, YYYY-MM or YYYY-MM-DD).")
    source: str | None = Field(None, description="Only entries saved in this dump file (path or file name).")
    method: str = Field("hybrid", description=f"Ranking: {', '.join(METHODS)}.")
    tag: list[str] = Field([], description="Only entries carrying this tag (llm or #llm); repeat it for entries with every tag.")


class AskBody(BaseModel):
    question: str = Field(min_length=1, max_length=4000, description="The question, in any language.")
    limit: int = Field(8, ge=1, le=50, description="How many notes to answer from.")


class NoteBody(BaseModel):
    title: str = Field("", max_length=1000, description="The entry's title (or leave it empty and give a note).")
    url: str = Field("", max_length=4000, description="Its link, if any.")
    note: str = Field("", max_length=32000, description="Your note about it.")


class MoveBody(BaseModel):
    entry: str = Field(description="The entry's id (or the start of it).")
    to: str = Field(description="Where it goes: 'Chapter/Section' (a new section title makes one).")


class RenameBody(BaseModel):
    path: str = Field(description="'Chapter' or 'Chapter/Section'.")
    title: str = Field(min_length=1, description="The new title.")


class MergeBody(BaseModel):
    a: str = Field(description="What stays: an entry id, 'Chapter/Section' or 'Chapter'.")
    b: str = Field(description="What merges into it, of the same kind.")


class PinBody(BaseModel):
    entry: str = Field(description="The entry's id (or the start of it).")


# -- reading ---------------------------------------------------------------------------------------
@router.get("/book", summary="The table of contents: chapters, sections, counts, the last installment")
def book(service: Service) -> JSONResponse:
    return json_response(views.book_data(service.view()))


@router.get("/chapters", summary="Chapters and sections with their entry counts (as `selfbook chapters --json`)")
def chapters(service: Service) -> JSONResponse:
    return json_response(views.chapters_data(service.view()))


@router.get("/chapters/{chapter_id}", summary="One chapter laid out as the book: sections, entries, installment blocks")
def chapter(chapter_id: str, service: Service) -> JSONResponse:
    return json_response(views.chapter_data(service.view(), chapter_id))


@router.get("/entries", summary="Entries in book order (as `selfbook entries --json`), a page at a time")
def entries(
    service: Service,
    chapter: Annotated[str | None, Query(description="Only this chapter id.")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    view = service.view()
    placed = [p for p in view.entries if chapter is None or p.chapter_id == chapter]
    return json_response({"total": len(placed), "offset": offset, "entries": [views.entry_dict(view, p) for p in placed[offset : offset + limit]]})


@router.get("/entries/{entry_id}", summary="One entry with its provenance and its nearest neighbours")
def entry(entry_id: str, service: Service) -> JSONResponse:
    return json_response(views.entry_data(service, service.view(), entry_id))


@router.get(
    "/search",
    summary="Search, with the CLI's filters; results as `selfbook search --json`",
    description=(
        "`degraded` is null, or `\"lexical\"` when the server was too busy to find the query's vector within its "
        "search budget: the results then match the words only, and `note` says so."
    ),
)
async def search(params: Annotated[SearchQuery, Query()], service: Service, request: Request) -> JSONResponse:
    search_params = views.SearchParams(**{**params.model_dump(), "tag": tuple(params.tag)})
    if request.app.state.search_pool is not None:  # serve --workers: already JSON
        return Response(await request.app.state.search_pool.search(search_params), media_type="application/json")
    work = functools.partial(views.search_data, service, search_params)
    return json_response(await anyio.to_thread.run_sync(work, limiter=request.app.state.searches))


@router.get("/history", summary="Your decisions and the installments, in order")
def history(service: Service) -> JSONResponse:
    return json_response(views.history_data(service.view()))


@router.get("/map", summary="The topic map: every entry's 2-D position and chapter")
def topic_map(service: Service) -> JSONResponse:
    return json_response(service.topic_map(service.view()).to_dict())


# -- asking ----------------------------------------------------------------------------------------
def _question(body: AskBody) -> str:
    if not body.question.strip():
        raise QueryError("the question is empty — ask something, e.g. 'what did I save about RAG?'")
    return body.question


@router.post("/ask", summary="An answer with numbered citations (as `selfbook ask --json`), in one piece")
def ask(body: AskBody, service: Service) -> JSONResponse:
    return json_response(service.ask(_question(body), limit=body.limit).to_dict())


@router.post(
    "/ask/stream",
    summary="The same answer streamed as Server-Sent Events",
    description=(
        "Events: `text` (`{\"text\": piece}`, as the answer is written), then `done` (the whole answer, as `/api/ask` "
        "returns it) or `error` (`{\"error\": message, \"status\": code}`)."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def ask_stream(body: AskBody, service: Service) -> StreamingResponse:
    question = _question(body)
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()

    def emit(kind: str, data: dict) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (kind, data))

    def work() -> None:
        try:
            result = service.ask(question, limit=body.limit, on_text=lambda piece: emit("text", {"text": piece}))
            emit("done", result.to_dict())
        except SelfbookError as exc:
            emit("error", {"error": str(exc), "status": error_status(exc)})
        except Exception:  # the stream has started: say so in it rather than cut it
            log.exception("ask failed")
            emit("error", {"error": "the answer failed on the server — see its log", "status": 500})

    loop.run_in_executor(None, work)  # a reader who leaves early does not stop it: the LLM call ends on its own

    async def stream() -> AsyncIterator[bytes]:
        while True:
            kind, data = await events.get()
            yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
            if kind in ("done", "error"):
                break

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


# -- changing the book -----------------------------------------------------------------------------
def note_entries(report) -> list[str]:
    """The ids of the entries an added note made or joined."""
    return [eid for added in report.added for eid in (*added.new, *added.resaved)]


@router.post("/notes", summary="Add a note (title, URL, note) as a new entry; it is placed like any new entry")
def add_note(body: NoteBody, service: Service) -> JSONResponse:
    report = service.write(lambda library: library.add_note(body.title, body.url, body.note))
    return json_response({**report.to_dict(), "entries": note_entries(report)})


@router.post("/curation/move", summary="Move an entry to 'Chapter/Section', for good (as `selfbook move`)")
def move(body: MoveBody, service: Service) -> JSONResponse:
    return json_response(views.decision_dict(service.write(lambda library: library.move(body.entry, body.to))))


@router.post("/curation/rename", summary="Rename a chapter or a section, for good (as `selfbook rename`)")
def rename(body: RenameBody, service: Service) -> JSONResponse:
    return json_response(views.decision_dict(service.write(lambda library: library.rename(body.path, body.title))))


@router.post("/curation/merge", summary="Merge B into A: entries, sections or chapters (as `selfbook merge`)")
def merge(body: MergeBody, service: Service) -> JSONResponse:
    return json_response(views.decision_dict(service.write(lambda library: library.merge(body.a, body.b))))


@router.post("/curation/pin", summary="Keep an entry where it is through every reorganization (as `selfbook pin`)")
def pin(body: PinBody, service: Service) -> JSONResponse:
    return json_response(views.decision_dict(service.write(lambda library: library.pin(body.entry))))


def error_status(exc: Exception) -> int:
    """The HTTP status of a library error: 502 when the LLM server failed, 503 when a search
    worker stopped under a search (it is replaced: search again), else 400."""
    if isinstance(exc, SearchUnavailable):
        return 503
    return 502 if isinstance(exc, LLMError) else 400
