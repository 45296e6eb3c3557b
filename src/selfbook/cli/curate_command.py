"""Your decisions, from the command line: ``selfbook move``, ``rename``, ``merge`` and ``pin`` make
one each (it holds through every add and rebuild), ``selfbook history`` lists them with the
installments added (:meth:`selfbook.Library.move` and the methods beside it)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .console import book_option, friendly_errors, open_library, out

__all__ = ["history", "merge", "move", "pin", "rename"]


def _said(decision) -> None:
    from .. import describe  # deferred: only decisions are described

    out.print(f"Decision {decision.number}: {describe(decision)}. It will hold through every add and rebuild.", markup=False, soft_wrap=True)


@click.command()
@click.argument("entry")
@click.option("--to", "to", required=True, metavar="CHAPTER/SECTION", help="Where it goes: 'Chapter/Section' (a new section title makes one).")
@book_option
@friendly_errors
def move(entry: str, to: str, book: Path) -> None:
    """Move ENTRY (an id, or the start of one) to another section, for good."""
    _said(open_library(book).move(entry, to))


@click.command()
@click.argument("path", metavar="CHAPTER[/SECTION]")
@click.argument("title")
@book_option
@friendly_errors
def rename(path: str, title: str, book: Path) -> None:
    """Rename a chapter or a section (CHAPTER/SECTION) to TITLE, for good."""
    _said(open_library(book).rename(path, title))


@click.command()
@click.argument("a")
@click.argument("b")
@book_option
@friendly_errors
def merge(a: str, b: str, book: Path) -> None:
    """Merge B into A: two entries (ids), two sections (CHAPTER/SECTION) or two chapters.

    Entries: B's notes, links and sources join A, which keeps its place; sections or chapters:
    B's entries join A and B is gone.
    """
    _said(open_library(book).merge(a, b))


@click.command()
@click.argument("entry")
@book_option
@friendly_errors
def pin(entry: str, book: Path) -> None:
    """Keep ENTRY in its chapter and section through every reorganization."""
    _said(open_library(book).pin(entry))


@click.command()
@book_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@friendly_errors
def history(book: Path, as_json: bool) -> None:
    """List your decisions (moves, renames, merges, pins) and the installments added."""
    from .. import describe  # deferred: only decisions are described

    decisions, installments = open_library(book).history()
    if as_json:
        for d in decisions:
            click.echo(json.dumps({"number": d.number, "made": d.made, "action": d.action, "subject": d.subject, "target": d.target, "text": describe(d)}, ensure_ascii=False))
        for i in installments:
            click.echo(json.dumps({"installment": i.name, "added": i.added, "period": i.period.label() if i.period else None, "entries": len(i.entry_ids), "resaved": len(i.resaved)}, ensure_ascii=False))
        return
    if not decisions and not installments:
        out.print("No decisions and no installments yet.", markup=False, soft_wrap=True)
    for d in decisions:
        out.print(f"{d.number:>3}  {d.made}  {describe(d)}", markup=False, soft_wrap=True)
    for i in installments:
        period = f" ({i.period.label()})" if i.period else ""
        out.print(f"  +  {i.added}  added {i.name}{period}: {len(i.entry_ids)} new entries, {len(i.resaved)} saved again", markup=False, soft_wrap=True)
