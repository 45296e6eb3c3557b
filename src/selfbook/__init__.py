"""selfbook: turn a dump of links and notes into an organized, indexed book.

The public API is the :class:`Library` facade with its settings, models and errors::

    from selfbook import Library
    report = Library("book").build(["self.md"])

The names below are imported on first use (PEP 562 ``__getattr__``), not by ``import selfbook``:
every ``selfbook`` command starts by importing this package, and ``selfbook --help`` should not
wait for the library (see bench/cli_start.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Library": "library", "BuildReport": "library", "PlacedEntry": "library",
    "Settings": "settings", "load_settings": "settings",
    **{name: "models" for name in ("Entry", "Entity", "DateRange", "Span", "Merge", "Flag", "Skip", "Chapter", "Section", "Outline")},
    **{name: "errors" for name in ("SelfbookError", "InputError", "BookError", "EmbeddingError", "ConfigError")},
}
"""Each public name and the module (under ``selfbook.``) that defines it."""

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from .errors import BookError, ConfigError, EmbeddingError, InputError, SelfbookError
    from .library import BuildReport, Library, PlacedEntry
    from .models import Chapter, DateRange, Entity, Entry, Flag, Merge, Outline, Section, Skip, Span
    from .settings import Settings, load_settings


def __getattr__(name: str):
    """A public name, imported from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # asked once: later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
