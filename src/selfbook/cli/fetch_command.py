"""``selfbook fetch`` and ``selfbook links``: fetch the book's links, and report their state
(:mod:`selfbook.fetch`); plus the ``--fetch`` step that ``build`` and ``add`` run first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import click

from ..settings import Settings, load_settings
from .console import book_option

allow_local_option = click.option(
    "--allow-local", is_flag=True,
    help="Also fetch links to loopback, private and link-local addresses (intranets, tests); refused by default.",
)
max_age_option = click.option(
    "--max-age", default="30d", show_default=True, metavar="AGE",
    help="Fetch again links fetched longer ago than AGE (30d, 12h, 2w; 0: every link).",
)


wayback_option = click.option(
    "--no-wayback", is_flag=True,
    help="Do not ask the Wayback Machine for snapshots of dead links (setting wayback_url: where it is asked).",
)


archive_option = click.option(
    "--archive", is_flag=True,
    help="Also keep each HTML page's readable text in the store (100 KB a page, archive_max_mb in all): "
         "search and ask read it, and it outlives the link. Best with the archive extra (trafilatura).",
)


def fetch_options(allow_local: bool, settings: Settings, *, wayback: bool = True, archive: bool = False):
    """The fetch options the command line, the settings and the environment choose
    (``SELFBOOK_ARXIV_API``, ``SELFBOOK_CROSSREF_API``: other base URLs for arXiv's export API
    and Crossref; the ``wayback_url`` setting for the Wayback Machine's availability API)."""
    import os

    from .. import FetchOptions

    defaults = FetchOptions()
    return FetchOptions(
        allow_local=allow_local,
        arxiv_api=os.environ.get("SELFBOOK_ARXIV_API") or defaults.arxiv_api,
        crossref_api=os.environ.get("SELFBOOK_CROSSREF_API") or defaults.crossref_api,
        wayback_api=wayback_api(settings) if wayback else "",
        archive=archive,
        archive_max_bytes=archive_max_bytes(settings),
    )


def archive_max_bytes(settings: Settings) -> int:
    """The ``archive_max_mb`` setting in bytes."""
    from ..errors import ConfigError

    if not settings.archive_max_mb >= 0:
        raise ConfigError(f"archive_max_mb {settings.archive_max_mb!r} is not a size — set it to a number of MB, 0 or more")
    return int(settings.archive_max_mb * 1_000_000)


def wayback_api(settings: Settings) -> str:
    """The ``wayback_url`` setting: an http(s) base URL, or "" for ``off``."""
    from ..errors import ConfigError

    url = settings.wayback_url.strip()
    if url.lower() in ("", "off"):
        return ""
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigError(f"wayback_url {url!r} is not an http(s) URL — set it to the availability API's URL, or to off")
    return url


def max_age_of(text: str):
    from .. import parse_age

    try:
        return parse_age(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-age") from None


def run_fetch(book: Path, *, allow_local: bool, max_age: str, dumps: Sequence[Path] = (), format: str | None = None,
              quiet: bool = False, wayback: bool = True, archive: bool = False):
    """Fetch with a progress bar; print the report's line unless ``quiet``. Returns the report."""
    from ..library import Library
    from .console import err, progress_bar

    age = max_age_of(max_age)
    settings = load_settings(book)
    library = Library(book, settings)
    with progress_bar(quiet=quiet) as progress:
        report = library.fetch(fetch_options(allow_local, settings, wayback=wayback, archive=archive), dumps=dumps, max_age=age, format=format, progress=progress)
    if not quiet:
        err.print(
            f"Links: {report.fetched} fetched, {report.unchanged} unchanged, {report.failed} failed, {report.dead} dead"
            + (f" ({len(report.newly_dead)} newly)" if report.newly_dead else "")
            + (f"; {report.archived} archived copies found" if report.archived else "")
            + (f"; {report.entries_enriched} entries learned from their pages" if report.entries_enriched else "")
            + (f"; {report.pages_archived} pages archived ({report.pages_cut} cut at the page cap)" if archive else "")
            + (f"; {report.pages_over_cap} pages not archived: the archive is at archive_max_mb" if report.pages_over_cap else "")
            + (f"; archive {report.archive_bytes / 1e6:.1f} MB" if archive else "") + ".",
            markup=False, soft_wrap=True,
        )
    return report


@click.command("fetch")
@book_option
@allow_local_option
@max_age_option
@wayback_option
@archive_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def fetch_command(book: Path, allow_local: bool, max_age: str, no_wayback: bool, archive: bool, as_json: bool) -> None:
    """Fetch the book's links: what each page is (title, description, date, language, type)
    and whether it still lives.

    Each link is fetched once, a few at a time per site, with a timeout, a size cap and robots.txt
    honored; arXiv ids and DOIs are asked of arXiv and Crossref. A rerun fetches only new links,
    failing ones and those older than --max-age. Entries whose title selfbook made up take their
    page's title, and entries without a note its description (they do not move; the next build
    organizes by them). A link is dead once it failed on two runs (404, 410, no such host,
    refused, timeouts, a page that says it is not found): see 'selfbook links --dead'. Each dead
    link without one yet is looked up in the Wayback Machine (unless --no-wayback), and its
    snapshot shown beside it in 'selfbook links' and the web page. With --archive, each page's
    readable text is kept too: search and ask read it, and it stays when the link dies.
    """
    from .console import friendly_errors

    report = friendly_errors(run_fetch)(book, allow_local=allow_local, max_age=max_age, quiet=as_json, wayback=not no_wayback, archive=archive)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))


@click.command("links")
@book_option
@click.option("--dead", is_flag=True, help="Only the dead links.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: url, status, dead, entries, title, archived_url…")
def links_command(book: Path, dead: bool, as_json: bool) -> None:
    """Every link of the book with what its last fetch found ('unfetched' before the first)."""
    from rich.table import Table

    from ..library import Library
    from .console import friendly_errors, out

    rows = [(link, ids) for link, ids in friendly_errors(Library(book).links)() if link.dead or not dead]
    if as_json:
        for link, ids in rows:
            click.echo(json.dumps({**link.to_dict(), "entries": list(ids)}, ensure_ascii=False))
        return
    table = Table("status", "url", "title", "fetched", "archived copy")
    for link, _ids in rows:
        table.add_row(link.status + (" (dead)" if link.dead else ""), link.url, link.title, link.fetched[:10], link.archived_url)
    out.print(table)


def fetch_first(book: Path, dumps: Sequence[Path], *, allow_local: bool, max_age: str, format: str | None, quiet: bool,
                archive: bool = False) -> None:
    """``build --fetch`` / ``add --fetch``: fetch the links of the book and of ``dumps`` first,
    so that the build or add that follows places entries by what their pages say."""
    run_fetch(book, allow_local=allow_local, max_age=max_age, dumps=dumps, format=format, quiet=quiet, archive=archive)
