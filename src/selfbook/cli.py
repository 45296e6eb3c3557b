"""The ``selfbook`` command: a thin mirror of :class:`selfbook.Library`."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .errors import SelfbookError
from .library import BuildReport, Library
from .settings import load_settings

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

book_option = click.option(
    "--book",
    "book",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SELFBOOK_BOOK",
    default="book",
    show_default=True,
    help="The book folder (env SELFBOOK_BOOK).",
)


def friendly_errors(func):
    """Turn a SelfbookError into a one-line message and exit status 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SelfbookError as exc:
            err.print(f"[bold red]Error:[/] {exc}", markup=True, soft_wrap=True)
            sys.exit(1)

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="selfbook")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Turn a dump of links and notes into an organized, indexed book."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@click.argument("dumps", nargs=-1, required=True, type=click.Path(path_type=Path))
@book_option
@click.option("--embedder", help="Embedding model: e5-small (default) or hashing (env SELFBOOK_EMBEDDER).")
@click.option("--title", help="The book's title (shown in its README).")
@click.option("--seed", type=int, help="Seed for the organizer (default 0).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@friendly_errors
def build(dumps: tuple[Path, ...], book: Path, embedder: str | None, title: str | None, seed: int | None, as_json: bool) -> None:
    """Build the book in --book from one or more DUMPS (markdown or text files).

    Reads every dump, merges duplicates, embeds, organizes entries into chapters and sections and
    writes the markdown book with its table of contents and index. Re-running is safe: the same
    input gives the same files, and embeddings are reused from the book's cache.
    """
    settings = load_settings(book, embedder=embedder, title=title, seed=seed)
    library = Library(book, settings)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=as_json or not err.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = library.build(dumps, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)


def print_report(report: BuildReport) -> None:
    table = Table(title=f"Built {report.book}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("entries read", str(report.entries_read))
    table.add_row("merged", f"{report.merged} copies into {len(report.merges)} entries")
    table.add_row("entries in the book", str(report.entries))
    table.add_row("skipped", str(len(report.skipped)))
    table.add_row("flagged for review", f"{len(report.flags)} look-alike pairs")
    table.add_row("chapters", str(report.chapters))
    table.add_row("sections", f"{report.sections} ({report.misc} entries in Miscellany)")
    table.add_row("embeddings", f"{report.embedded} new, {report.cached} cached ({report.model})")
    files = report.files
    table.add_row("files", f"{len(files.written)} written, {len(files.unchanged)} unchanged, {len(files.removed)} removed")
    table.add_row("time", "  ".join(f"{name} {seconds:.1f}s" for name, seconds in report.timings))
    out.print(table)
    if report.skipped:
        out.print("Skipped:")
        for reason, count in Counter(s.reason for s in report.skipped).most_common():
            where = ", ".join(str(s.source) for s in report.skipped if s.reason == reason)[:200]
            out.print(f"  {count} × {reason}: {where}")
    reasons = Counter(m.reason.split(" ", 2)[0] + " " + m.reason.split(" ", 2)[1] if m.reason.count(" ") >= 1 else m.reason for m in report.merges)
    if reasons:
        out.print("Merged: " + ", ".join(f"{n} × {r}" for r, n in reasons.most_common()))
    out.print(f"Open {Path(report.book) / 'README.md'} to read it.")


@main.command()
@book_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@friendly_errors
def entries(book: Path, as_json: bool) -> None:
    """List every entry of the book with its chapter and section.

    With --json, one object per line: id, title, urls, kind, date, chapter, section, source
    (file:line), and more (see the README).
    """
    placed = Library(book).entries()
    if as_json:
        for item in placed:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        return
    table = Table("id", "title", "kind", "date", "chapter / section", "source")
    for item in placed:
        e = item.entry
        table.add_row(e.id, e.title, e.kind, e.date.label() if e.date else "", f"{item.chapter} / {item.section}", str(e.source))
    out.print(table)


@main.command()
@book_option
@click.option("--json", "as_json", is_flag=True, help="JSON: chapters with their sections and counts.")
@friendly_errors
def chapters(book: Path, as_json: bool) -> None:
    """Show the book's chapters and sections with their entry counts."""
    outline = Library(book).outline()
    if as_json:
        data = [
            {
                "id": c.id,
                "title": c.title,
                "entries": len(c.entry_ids),
                "sections": [{"id": s.id, "title": s.title, "entries": len(s.entry_ids), "misc": s.misc} for s in c.sections],
            }
            for c in outline.chapters
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for chapter in outline.chapters:
        out.print(f"[bold]{chapter.title}[/] ({len(chapter.entry_ids)})", markup=True)
        for section in chapter.sections:
            out.print(f"  {section.title} ({len(section.entry_ids)})", markup=False)
