"""``selfbook migrate``: move a book between SQLite and PostgreSQL (:mod:`selfbook.store.migrate`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import SelfbookError


@click.command("migrate")
@click.option(
    "--book", "book", type=click.Path(file_okay=False, path_type=Path), envvar="SELFBOOK_BOOK", default="book",
    show_default=True, help="The book folder (env SELFBOOK_BOOK).",
)
@click.option("--to", "to", required=True, metavar="URL", help="The new store: postgresql://user@host/dbname (an empty database) or sqlite.")
@click.option("--json", "as_json", is_flag=True, help="Print what was moved as JSON.")
def migrate_command(book: Path, to: str, as_json: bool) -> None:
    """Move the book in --book into another store: everything it holds (entries, embeddings,
    outline, merges, flags, skips, dumps, installments, your decisions, meta and the history of
    runs). The book then records its new store, so later commands use it without --store.
    """
    try:
        from .. import migrate_book  # deferred: numpy and the stores, for this command only

        report = migrate_book(book, to)
    except SelfbookError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    moved = sum(report.rows.values())
    click.echo(f"Moved {report.book} from {report.source} to {report.target}: {report.rows['entries']} entries, {moved} rows in all.")
