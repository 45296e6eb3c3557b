"""What the commands of the ``selfbook`` CLI share: the two consoles, ``--book``, a SelfbookError
as a one-line message, the book's library opened on demand, a progress bar, and ``--since`` /
``--until`` read as dates.

The group (``cli/__init__.py``) and the command modules beside it (``search_command.py``,
``curate_command.py``, ``fetch_command.py``) import these from here, so that none imports another
for them.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import SelfbookError
from ..settings import Settings

if TYPE_CHECKING:
    from .. import Library

__all__ = ["BIG_EMBED", "book_option", "embed_hint", "err", "friendly_errors", "open_library", "out", "period", "progress_bar"]

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def open_library(book: Path, settings: Settings | None = None) -> Library:
    """The book's :class:`~selfbook.Library`. The library (numpy, the model, the search engine)
    is imported here, by the commands that open a book, not when the CLI starts: ``selfbook
    --help`` answers without it (bench/cli_start.py, tests/cli/test_cli.py)."""
    from ..library import Library

    return Library(book, settings)


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


BIG_EMBED = 3000
"""From this many texts to embed with the default model, the CLI points at the fast one."""


def embed_hint(library: Library, stage: str, total: int) -> str | None:
    """A word on the fast path, when a build is about to embed many texts with e5-small."""
    from .. import get_embedder

    if stage != "embed" or total < BIG_EMBED or library.embedder.model_id != get_embedder("e5-small").model_id:
        return None
    return (f"embedding {total:,} texts with e5-small, about 30 a second on 2 cores; "
            "--embedder e5-small-fast reads the first 32 tokens of each and is about twice as fast on long notes")


@contextmanager
def progress_bar(*, quiet: bool = False, hint: Callable[[str, int], str | None] | None = None):
    """A ``progress(stage, done, total)`` callback drawing one bar per stage on stderr (rich);
    silent with ``quiet`` or when stderr is not a terminal. ``hint(stage, total)`` may say a word
    as a stage starts."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=quiet or not err.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
                if hint and not quiet and (word := hint(stage, total)):
                    err.print(word, style="dim", highlight=False)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def period(ctx: click.Context, param: click.Parameter, value: str | None):
    """The callback of ``--since`` and ``--until`` (search, digest): --since takes the first day of
    the period it names, --until the last."""
    from .. import QueryError, parse_period

    if value is None:
        return None
    try:
        first, last = parse_period(value)
    except QueryError as exc:
        raise click.BadParameter(str(exc)) from None
    return first if param.name == "since" else last
