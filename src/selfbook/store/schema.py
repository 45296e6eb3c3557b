"""The book's schema: one numbered list of steps, the same numbers on both stores.

Each step has a body per store in ``migrations/``: ``NNN_name.sqlite.sql`` and ``NNN_name.pg.sql``.
A body holds only comments when its store has nothing to do at that step (PostgreSQL's 001
already makes the tables of 002 and 003; SQLite has no 009). A database records the last step
it has (SQLite in ``PRAGMA user_version``, PostgreSQL in the table ``selfbook_schema``); opening
a store runs the steps after it, in order (:func:`migrate`).

A PostgreSQL database written before the stores shared these numbers counted its own steps
(m001-m007); :func:`from_old_postgres` says where each of them stands in this list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Callable

from ..errors import BookError

BACKENDS = ("sqlite", "pg")
_NAME = re.compile(r"(\d{3})_(\w+)\.(sqlite|pg)\.sql")


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    statements: tuple[str, ...]  # this store's body, one SQL statement each; none for an empty body


@cache
def steps(backend: str) -> tuple[Step, ...]:
    """The steps for ``backend`` (``"sqlite"`` or ``"pg"``), in order: every number from 1 up,
    each with a body for both stores (a step without one is an incomplete install). Read once
    per process."""
    folder = resources.files(__package__).joinpath("migrations")
    bodies: dict[tuple[int, str], tuple[str, str]] = {}
    for item in folder.iterdir():
        match = _NAME.fullmatch(item.name)
        if match:
            number, name, store = int(match[1]), match[2], match[3]
            bodies[number, store] = (name, item.read_text(encoding="utf-8"))
    numbers = sorted({number for number, _ in bodies})
    for number in range(1, (numbers or [0])[-1] + 1):
        for store in BACKENDS:
            if (number, store) not in bodies:
                raise BookError(f"{folder}: no migration {number:03d}_*.{store}.sql — selfbook's install is incomplete; reinstall it")
    return tuple(Step(n, bodies[n, backend][0], _statements(bodies[n, backend][1])) for n in numbers)


def _statements(body: str) -> tuple[str, ...]:
    """The statements of a body (each ends with ``;`` at the end of a line), without those that
    are only comments."""
    found = []
    for text in body.split(";\n"):
        code = [line for line in text.splitlines() if line.strip() and not line.strip().startswith("--")]
        if code:
            found.append(text.strip().removesuffix(";"))
    return tuple(found)


def migrate(backend: str, current: int, where: str, apply: Callable[[Step], None]) -> None:
    """Run the steps of ``backend`` after ``current`` in order, each through ``apply`` (which runs
    its statements and records its number, in one transaction with them). A database beyond the
    last step was written by a newer selfbook: it is refused, untouched."""
    known = steps(backend)
    newest = known[-1].number
    if current > newest:
        raise BookError(f"{where}: this book was written by a newer selfbook (schema {current}, this one knows {newest}) — upgrade selfbook")
    for step in known:
        if step.number > current:
            apply(step)


def from_old_postgres(version: int) -> int:
    """The step in this list that a PostgreSQL database at ``version`` of the old numbering has
    reached. Old m001 was 001-003 here; old m002 (vectors and full text) is 009 here, which runs
    again harmlessly; old m003-m007 are 004-008."""
    if version == 0:
        return 0
    return 3 if version <= 2 else version + 1
