"""The HTML pages. Each renders the same data its JSON twin returns (see :mod:`.views`).

Forms post back here (``/curate``, ``/add``, ``/ask``) with the page's CSRF token, and work
without script; ``app.js`` adds search-as-you-type and the streamed answer on top.
After a change the browser is sent to the page it came from, which says what was decided
(``?decision=N`` names the decision by its number: the message comes from the book, not the URL).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from selfbook import METHODS, TopicMap
from selfbook.errors import SelfbookError
from selfbook.models import KINDS

from . import views
from .api import Service, note_entries

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, *, status: int = 200, twin: str | None = None, **context) -> HTMLResponse:
    """A page from its template, with what every page shows (title, CSRF token, JSON twin)."""
    app = request.app
    page = app.state.templates.get_template(name).render(
        book_title=app.state.service.title, csrf=app.state.guard.csrf, twin=twin, notice=context.pop("notice", None), **context
    )
    return HTMLResponse(page, status_code=status)


def _notice(request: Request, view: views.BookView) -> str | None:
    """What the last change did, from ``?decision=N`` or ``?added=ID`` (looked up, never echoed)."""
    number = request.query_params.get("decision", "")
    if number.isdigit():
        for d in view.decisions:
            if d.number == int(number):
                return f"Decision {d.number}: {views.describe(d)}. It will hold through every add and rebuild."
    added = request.query_params.get("added", "")
    if added and added in view.by_id:
        return "Added to the book as an installment; it is placed like any new entry."
    return None


def _local(target: str) -> str:
    """``target`` if it is a path on this server (no scheme, no ``//host``), else ``/``."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


# -- reading ---------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def toc(request: Request, service: Service) -> HTMLResponse:
    view = service.view()
    return render(request, "toc.html", twin="/api/book", book=views.book_data(view), notice=_notice(request, view))


@router.get("/chapter/{chapter_id}", response_class=HTMLResponse)
def chapter(chapter_id: str, request: Request, service: Service) -> HTMLResponse:
    view = service.view()
    data = views.chapter_data(view, chapter_id)
    others = [p for p in view.section_paths() if not p.startswith(f"{data['title']}/")]
    return render(
        request, "chapter.html", twin=f"/api/chapters/{quote(chapter_id, safe='')}", chapter=data,
        chapters=[c.title for c in view.outline.chapters if c.id != chapter_id], elsewhere=others,
        notice=_notice(request, view),
    )


@router.get("/entry/{entry_id}", response_class=HTMLResponse)
def entry(entry_id: str, request: Request, service: Service) -> HTMLResponse:
    view = service.view()
    data = views.entry_data(service, view, entry_id)
    return render(
        request, "entry.html", twin=f"/api/entries/{quote(entry_id, safe='')}", entry=data,
        sections=view.section_paths(), notice=_notice(request, view),
    )


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    service: Service,
    q: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    chapter: str = "",
    section: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
    source: str = "",
    method: str = "hybrid",
    tag: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
) -> HTMLResponse:
    params = views.SearchParams(q, limit, chapter, section, kind, since, until, source, method, tuple(tag))
    results, error = None, None
    if q.strip():
        try:
            pool = request.app.state.search_pool
            results = pool.search_now(params) if pool is not None else views.search_data(service, params)
        except SelfbookError as exc:
            error = str(exc)
    view = service.view()
    return render(
        request, "search.html", status=400 if error else 200, twin="/api/search?" + urlencode(params.to_dict(), doseq=True),
        params=params, results=results, error=error, chapters=[c.title for c in view.outline.chapters],
        kinds=KINDS, methods=METHODS,
    )


@router.get("/history", response_class=HTMLResponse)
def history(request: Request, service: Service) -> HTMLResponse:
    return render(request, "history.html", twin="/api/history", history=views.history_data(service.view()))


@router.get("/map", response_class=HTMLResponse)
def topic_map(request: Request, service: Service) -> HTMLResponse:
    view = service.view()
    tm = service.topic_map(view)
    # the SVG and legend escape every piece of text themselves (selfbook.book.topicmap)
    svg = Markup(tm.svg(lambda p, c: f"/entry/{quote(p.id, safe='')}"))
    legend = Markup(tm.legend(lambda c: f"/chapter/{quote(c.id, safe='')}"))
    return render(request, "map.html", twin="/api/map", svg=svg, legend=legend, points=len(tm.points), chapters=len(tm.chapters))


@router.get("/map.js")
def map_script() -> Response:
    return Response(TopicMap.script, media_type="text/javascript; charset=utf-8")


# -- asking ----------------------------------------------------------------------------------------
@router.get("/ask", response_class=HTMLResponse)
def ask_page(request: Request) -> HTMLResponse:
    return render(request, "ask.html", twin=None, question="", answer=None, parts=[])


@router.post("/ask", response_class=HTMLResponse)
def ask(request: Request, service: Service, question: Annotated[str, Form(max_length=4000)] = "") -> HTMLResponse:
    """Without script: the whole answer at once (the page's script streams it instead)."""
    if not question.strip():
        return render(request, "ask.html", status=400, question=question, answer=None, parts=[], error="Ask something first.")
    answer = service.ask(question).to_dict()
    return render(request, "ask.html", question=question, answer=answer, parts=views.answer_parts(answer["answer"], answer["citations"]))


# -- changing the book -----------------------------------------------------------------------------
@router.get("/add", response_class=HTMLResponse)
def add_page(request: Request) -> HTMLResponse:
    return render(request, "add.html", error=None, title="", url="", note="")


@router.post("/add", response_class=HTMLResponse)
def add(
    request: Request,
    service: Service,
    title: Annotated[str, Form(max_length=1000)] = "",
    url: Annotated[str, Form(max_length=4000)] = "",
    note: Annotated[str, Form(max_length=32000)] = "",
) -> Response:
    try:
        report = service.write(lambda library: library.add_note(title, url, note))
    except SelfbookError as exc:
        return render(request, "add.html", status=400, error=str(exc), title=title, url=url, note=note)
    ids = note_entries(report)
    if not ids:
        return render(request, "add.html", status=200, error="That note is already in the book.", title=title, url=url, note=note)
    return RedirectResponse(f"/entry/{quote(ids[0], safe='')}?added={quote(ids[0], safe='')}", status_code=303)


@router.post("/curate", response_class=HTMLResponse)
def curate(
    request: Request,
    service: Service,
    action: Annotated[str, Form()],
    entry: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
    path: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    a: Annotated[str, Form()] = "",
    b: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    """Move, rename, merge or pin from a page's form, then back to the page (or where it went)."""
    calls = {
        "move": lambda library: library.move(entry, to),
        "pin": lambda library: library.pin(entry),
        "rename": lambda library: library.rename(path, title),
        "merge": lambda library: library.merge(a, b),
    }
    if action not in calls:
        return render(request, "error.html", status=400, status_code=400, message=f"unknown action {action!r}")
    try:
        decision = service.write(calls[action])
    except SelfbookError as exc:
        return render(request, "error.html", status=400, status_code=400, message=str(exc), back=_local(back))
    target = _local(back)
    if action == "merge" and decision.action != "merge-entries" and target.startswith("/chapter/"):
        target = "/"  # the chapter merged away may be the one the form was on
    return RedirectResponse(f"{target.split('?')[0]}?decision={decision.number}", status_code=303)
