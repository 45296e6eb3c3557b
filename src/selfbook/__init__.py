"""selfbook: turn a dump of links and notes into an organized, indexed book.

The public API is the :class:`Library` facade with its settings, models and errors::

    from selfbook import Library
    report = Library("book").build(["self.md"])
"""

from .errors import BookError, ConfigError, EmbeddingError, InputError, SelfbookError
from .library import BuildReport, Library, PlacedEntry
from .models import Chapter, DateRange, Entity, Entry, Flag, Merge, Outline, Section, Skip, Span
from .settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "Library", "BuildReport", "PlacedEntry", "Settings", "load_settings",
    "Entry", "Entity", "DateRange", "Span", "Merge", "Flag", "Skip", "Chapter", "Section", "Outline",
    "SelfbookError", "InputError", "BookError", "EmbeddingError", "ConfigError",
    "__version__",
]
