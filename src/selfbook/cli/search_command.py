"""``selfbook search`` and ``selfbook ask``: find entries by words and meaning, and answer a question
from them with citations (:meth:`selfbook.Library.search`, :meth:`selfbook.Library.ask`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.text import Text

from .. import METHODS
from ..settings import load_settings
from .console import book_option, err, friendly_errors, open_library, out, period

if TYPE_CHECKING:
    from .. import Hit

__all__ = ["ask", "print_hits", "search"]


@click.command()
@click.argument("query", required=False)
@book_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=10, show_default=True, help="How many results.")
@click.option("--chapter", help="Only this chapter: its id, title, or words of its title.")
@click.option("--section", help="Only this section: its id, title, or words of its title.")
@click.option("--kind", help="Only this kind: paper, repo, video, post, article or note.")
@click.option("--since", callback=period, metavar="DATE", help="Dated on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", callback=period, metavar="DATE", help="Dated on or before the end of DATE.")
@click.option("--source", help="Only entries saved in this dump file (path or file name).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only entries tagged TAG (llm or #llm); repeat it for entries with every tag.")
@click.option("--method", type=click.Choice(METHODS), default="hybrid", show_default=True, help="Ranking: fused, BM25 only, or vectors only.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result, one per line.")
@click.option("--batch", type=click.File("r", encoding="utf-8"), help="Run every line of this file as a query ('-': stdin); prints one JSON line per query.")
@friendly_errors
def search(query: str | None, book: Path, limit: int, chapter, section, kind, since, until, source, tags, method: str, as_json: bool, batch) -> None:
    """Search the book for QUERY: words and meaning, fused.

    Shows each result's title, a snippet with the matching words highlighted, its chapter and
    section, date and link. Filters narrow the search; several must all hold.
    """
    from .. import SearchFilters, search_terms

    if (query is None) == (batch is None):
        raise click.UsageError("give a QUERY or --batch FILE (one query per line), not both")
    library = open_library(book)
    filters = SearchFilters(chapter=chapter, section=section, kind=kind, since=since, until=until, source=source, tags=tuple(tags))
    if batch is not None:
        for line in batch:
            if line.strip():
                hits = library.search(line.strip(), limit=limit, filters=filters, method=method)
                click.echo(json.dumps({"query": line.strip(), "results": [h.to_dict() for h in hits]}, ensure_ascii=False))
        return
    hits = library.search(query, limit=limit, filters=filters, method=method)
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.to_dict(), ensure_ascii=False))
    elif not hits:
        err.print("No results.", markup=False)
    else:
        print_hits(hits, set(search_terms(query)))


@click.command()
@click.argument("question")
@book_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=8, show_default=True, help="Notes to answer from.")
@click.option("--llm", help="BACKEND:MODEL, e.g. ollama:llama3.2 or openai:gpt-4o-mini (env SELFBOOK_LLM). None: extracts.")
@click.option("--json", "as_json", is_flag=True, help="The answer, its citations and the retrieved entries as JSON.")
@friendly_errors
def ask(question: str, book: Path, limit: int, llm: str | None, as_json: bool) -> None:
    """Answer QUESTION from your notes, citing them as [1] [2].

    Uses the LLM in SELFBOOK_LLM (Ollama or any OpenAI-compatible server) and streams its answer;
    with no LLM, shows the best extracts with their citations. Counts and time spans ("how many
    papers did I save in 2024?") are computed from the book itself.
    """
    library = open_library(book, load_settings(book, llm=llm))
    stream = None if as_json else (lambda text: click.echo(text, nl=False))
    result = library.ask(question, limit=limit, on_text=stream)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo()
    for citation in result.citations:
        where = f"{citation.chapter} / {citation.section}"
        out.print(f"[{citation.number}] {citation.title} — {where}" + (f" — {citation.url}" if citation.url else ""), markup=False, highlight=False)
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)


def _highlighted(text: str, spans, style: str = "") -> Text:
    """Plain text (never markup: notes are data) with ``spans`` highlighted."""
    out = Text(text, style=style)
    for start, end in spans:
        out.stylize("bold yellow", start, end)
    return out


def print_hits(hits: list[Hit], terms: set[str]) -> None:
    from .. import highlight_spans

    for number, hit in enumerate(hits, start=1):
        e = hit.placed.entry
        title = e.title
        out.print(Text(f"{number}. ", style="bold") + _highlighted(title, highlight_spans(title, terms), "bold"))
        if hit.snippet and hit.snippet != title:
            out.print(Text("   ") + _highlighted(hit.snippet, hit.highlights))
        where = f"{hit.placed.chapter} / {hit.placed.section}"
        facts = "  ·  ".join(x for x in (where, e.date.label() if e.date else "", e.kind) if x)
        out.print(Text(f"   {facts}", style="dim"))
        if e.urls:
            out.print(Text(f"   {e.urls[0]}", style="cyan"))
