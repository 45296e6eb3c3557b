"""The ``selfbook`` command: a thin mirror of :class:`selfbook.Library`.

Here: the group, and the commands of a book's making and reading whole (``build``, ``add``,
``note``, ``entries``, ``chapters``, ``export``, ``digest``). The other commands live in modules
beside this one, or in their front end's folder, and are registered at its end: ``search`` and
``ask`` (search_command.py), your decisions (curate_command.py), ``fetch`` and ``links``
(fetch_command.py), ``migrate`` (migrate_command.py), ``mcp`` (mcp/command.py) and ``serve``
(web/commands.py); what the ones here share is in console.py.

Start-up is a feature (bench/cli_start.py): this module imports the library, which imports at its
top only what reading and searching a book need. The organizer, the web stack and the MCP SDK are
imported by the commands that use them (``build``/``add``, ``serve``, ``mcp``), at their seams;
tests/cli/test_cli.py checks that ``selfbook --help`` imports none of them.
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from .. import FORMAT_NAMES, __version__
from ..export import FORMATS as EXPORT_FORMATS
from ..mcp.command import mcp_command
from ..settings import load_settings
from ..web.commands import serve
from .console import book_option, embed_hint, friendly_errors, open_library, out, period, progress_bar
from .curate_command import history, merge, move, pin, rename
from .fetch_command import fetch_command, links_command
from .migrate_command import migrate_command
from .search_command import ask, search

if TYPE_CHECKING:
    from .. import AddReport, BuildReport


@click.group()
@click.version_option(__version__, prog_name="selfbook")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Turn a dump of links and notes into an organized, indexed book."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


format_option = click.option(
    "--format",
    "format",
    metavar="FORMAT",
    help=f"Read every DUMP as this format instead of detecting it: {', '.join(FORMAT_NAMES)}.",
)

def fetch_options(command):
    """``--fetch`` and ``--allow-local`` for build and add (see :mod:`selfbook.cli.fetch_command`)."""
    command = click.option("--allow-local", is_flag=True, help="With --fetch: also fetch loopback and private addresses.")(command)
    command = click.option("--archive", is_flag=True, help="With --fetch: also keep each page's readable text (as 'selfbook fetch --archive').")(command)
    return click.option("--fetch", is_flag=True, help="Fetch the links first (as 'selfbook fetch'), so entries are placed by their pages.")(command)


def fetch_first(book: Path, dumps, **options) -> None:
    from .fetch_command import fetch_first as run  # the fetching stack loads only when asked for

    run(book, dumps, **options)


executor_option = click.option(
    "--executor",
    metavar="NAME",
    help="Where embedding runs: local (default), ray, or ray=ADDRESS (ray=auto, ray=ray://head:10001) (env SELFBOOK_EXECUTOR).",
)


@main.command()
@click.argument("dumps", nargs=-1, required=True, type=click.Path(path_type=Path))
@book_option
@click.option(
    "--embedder",
    help="Embedding model: e5-small (default), e5-small-fast (reads each entry's first 32 tokens: about twice as fast on "
    "long notes, a little less precise) or hashing (env SELFBOOK_EMBEDDER).",
)
@click.option("--title", help="The book's title (shown in its README).")
@click.option("--seed", type=int, help="Seed for the organizer (default 0).")
@click.option("--reorganize", is_flag=True, help="Organize every dump together (added ones too), keeping your decisions; reports what moved.")
@click.option("--store", metavar="URL", help="Where a new book keeps its state: sqlite (default) or postgresql://user@host/db (env SELFBOOK_STORE).")
@click.option(
    "--no-llm", "no_llm", is_flag=True,
    help="Keep the organizer's titles even when an LLM is set (SELFBOOK_LLM); env SELFBOOK_LLM_TITLES=0.",
)
@executor_option
@format_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@fetch_options
@friendly_errors
def build(
    dumps: tuple[Path, ...], book: Path, embedder: str | None, title: str | None, seed: int | None, reorganize: bool,
    store: str | None, no_llm: bool, executor: str | None, format: str | None, as_json: bool, fetch: bool,
    allow_local: bool, archive: bool,
) -> None:
    """Build the book in --book from one or more DUMPS: markdown or text dumps, browser bookmarks,
    Pocket, Raindrop, Karakeep, Pinboard, X archive, OPML, feeds, Obsidian vaults, URL lists
    or JSON Lines, in any mix (each file's format is detected from its content).

    Reads every dump, merges duplicates, embeds, organizes entries into chapters and sections and
    writes the markdown book with its table of contents and index. Re-running is safe: the same
    input gives the same files, and embeddings are reused from the book's cache. Dumps added
    with 'selfbook add' are replayed as installments and your moves, renames, merges and pins
    are kept; --reorganize organizes everything afresh (still keeping them).

    With an LLM set (SELFBOOK_LLM, as for 'selfbook ask'), it titles and describes the chapters
    and sections from their entries; REVIEW.md lists its choices, and its answers are cached in
    the book so a rebuild asks nothing again. --no-llm keeps the organizer's titles.
    """
    settings = load_settings(
        book, embedder=embedder, title=title, seed=seed, store=store, executor=executor, llm_titles=0 if no_llm else None
    )
    if fetch:
        fetch_first(book, dumps, allow_local=allow_local, max_age="30d", format=format, quiet=as_json, archive=archive)
    library = open_library(book, settings)
    with progress_bar(quiet=as_json, hint=lambda stage, total: embed_hint(library, stage, total)) as progress:
        report = library.build(dumps, reorganize=reorganize, progress=progress, format=format)
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
    if report.installments or report.decisions:
        table.add_row("kept", f"{report.installments} installments replayed, {report.decisions} of your decisions applied")
    table.add_row("moved", f"{len(report.moved)} entries changed chapter or section")
    out.print(table)
    if report.llm is not None:
        out.print(f"LLM titles: {report.llm['summary']} (see REVIEW.md)", markup=False, soft_wrap=True)
    for entry_id, was, now in report.moved[:20]:
        out.print(f"  moved {entry_id}: {was} → {now}", markup=False, soft_wrap=True)
    if len(report.moved) > 20:
        out.print(f"  … and {len(report.moved) - 20} more (see --json)", markup=False)
    print_skips(report.skipped)
    reasons = Counter(" ".join(m.reason.split(" ")[:2]) for m in report.merges)  # "same URL", "same text"
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
    placed = open_library(book).entries()
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
    outline = open_library(book).outline()
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


@main.command()
@click.argument("target", metavar="OUT", type=click.Path(path_type=Path))
@book_option
@click.option("--format", "format", required=True, type=click.Choice(list(EXPORT_FORMATS)), help="netscape (browsers), jsonl, obsidian (a vault folder) or opml.")
@click.option("--related", type=click.IntRange(min=0), default=5, show_default=True, help="Obsidian: wikilinks per note to the entries nearest it by meaning.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@friendly_errors
def export(target: Path, book: Path, format: str, related: int, as_json: bool) -> None:
    """Export the book to OUT: a bookmark file for browsers (netscape), JSON Lines (jsonl),
    an Obsidian vault folder (obsidian) or an OPML outline (opml).

    Chapters and sections become folders (or outlines); importing the export with
    'selfbook build OUT' gives back the same entries.
    """
    from ..export import export_book

    with progress_bar(quiet=as_json) as progress:
        report = export_book(open_library(book), format, target, related=related, progress=progress)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    said = f"Wrote {report.entries} entries to {report.path} ({report.format})."
    if report.left_out:
        said += f" Left out {len(report.left_out)}: {report.reason}."
    out.print(said, markup=False, soft_wrap=True)


# -- installments ----------------------------------------------------------------------------------
@main.command()
@click.argument("dumps", nargs=-1, required=True, type=click.Path(path_type=Path))
@book_option
@click.option("--embedder", help="Embedding model; default: the one the book was built with.")
@executor_option
@format_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@fetch_options
@friendly_errors
def add(
    dumps: tuple[Path, ...], book: Path, embedder: str | None, executor: str | None, format: str | None, as_json: bool,
    fetch: bool, allow_local: bool, archive: bool,
) -> None:
    """Add DUMPS to the book as new installments, without moving anything already in it.

    A link saved again merges into its entry; new entries join the sections they fit, a real new
    topic gets a new section (or chapter), the rest goes to Miscellany. Each chapter shows what
    an installment brought in a dated block. Adding the same dump twice changes nothing.
    """
    if fetch:
        fetch_first(book, dumps, allow_local=allow_local, max_age="30d", format=format, quiet=as_json, archive=archive)
    with progress_bar(quiet=as_json) as progress:
        report = open_library(book, load_settings(book, embedder=embedder, executor=executor)).add(dumps, format=format, progress=progress)
    print_added(report, book, as_json)


def print_skips(skips) -> None:
    """What of the dumps became no entry, counted by reason, with where (for build and add)."""
    if skips:
        out.print("Skipped:")
        for reason, count in Counter(s.reason for s in skips).most_common():
            where = ", ".join(str(s.source) for s in skips if s.reason == reason)[:200]
            out.print(f"  {count} × {reason}: {where}")


def print_added(report: AddReport, book: Path, as_json: bool) -> None:
    """What an add (or a note) did, as lines or as JSON."""
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for added in report.added:
        if added.skipped:
            out.print(f"{added.name}: nothing to add — {added.skipped}.", markup=False, soft_wrap=True)
            continue
        out.print(
            f"{added.name} ({added.period or 'undated'}): {len(added.new)} new entries, {len(added.resaved)} saved again "
            f"into their entries; {added.joined} joined existing sections, {added.pulled} followed your moves, "
            f"{added.misc} went to Miscellany.",
            markup=False,
        )
        for chapter, section, n in added.sections:
            out.print(f"  new section: {chapter} / {section} ({n})", markup=False, soft_wrap=True)
        for chapter in added.chapters:
            out.print(f"  new chapter: {chapter}", markup=False, soft_wrap=True)
        print_skips(added.skips)
    if not report.changed:
        out.print("The book is unchanged.", markup=False, soft_wrap=True)
        return
    for chapter, built, added in report.grown:
        out.print(
            f"  grown: {chapter} was built with {built} entries and {added} came later; "
            "'selfbook build --reorganize' cuts the book afresh (REVIEW.md)",
            markup=False, soft_wrap=True,
        )
    files = report.files
    out.print(f"{len(files.written)} files written, {len(files.unchanged)} unchanged. Open {book / 'README.md'} to read it.", markup=False, soft_wrap=True)


@main.command()
@click.argument("title")
@click.option("--url", default="", help="The link the note is about.")
@click.option("--note", "text", default="", help="Your line about it.")
@book_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@friendly_errors
def note(title: str, url: str, text: str, book: Path, as_json: bool) -> None:
    """Add one entry typed by hand: TITLE, with an optional --url and --note.

    It is kept as a small dump in the book's notes/ folder and added like any installment, so
    it lands where it fits and names that file as its source. The same note twice is added once.
    """
    print_added(open_library(book).add_note(title, url, text), book, as_json)


@main.command()
@click.option("--since", "since", required=True, callback=period, metavar="DATE", help="New since DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@book_option
@click.option("--lang", default="", help="Language of the summaries: en, kn (Kannada), … (needs an LLM).")
@click.option("--json", "as_json", is_flag=True, help="Print the digest as JSON.")
@friendly_errors
def digest(since, book: Path, lang: str, as_json: bool) -> None:
    """What is new in the book since DATE, per chapter, as markdown.

    New entries by section, new sections and fast-growing ones, entries saved again. With an LLM
    configured (SELFBOOK_LLM), a short summary per chapter citing its entries.
    """
    from .. import get_llm

    library = open_library(book)
    result = library.digest(since, lang=lang, llm=get_llm(library.settings))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.markdown, nl=False)


# -- the commands that live in their own modules -----------------------------------------------------
for command in (search, ask, move, rename, merge, pin, history, fetch_command, links_command, mcp_command, migrate_command, serve):
    main.add_command(command)
