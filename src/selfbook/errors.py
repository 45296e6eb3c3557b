"""Errors selfbook raises. The library never prints or exits; front ends turn these into messages.

::

    SelfbookError
     ├── InputError            a dump cannot be read: names the file, the line and what to do
     ├── BookError             a book folder or its store is missing, locked or from a newer version
     ├── EmbeddingError        the embedding model cannot be loaded or run
     ├── ConfigError           a setting has a value selfbook does not understand
     ├── QueryError            a search that cannot run as asked: an empty query, a bad filter or date
     └── LLMError              the LLM server is down, lacks the model, refuses the key, or times out
          └── LLMTimeout        it did not answer in time
"""

from __future__ import annotations


class SelfbookError(Exception):
    """Base of every error selfbook raises on purpose."""


class InputError(SelfbookError):
    """A dump that cannot be read. ``str()`` reads ``path:line: problem — what to do``."""

    def __init__(self, path: str, problem: str, hint: str = "", line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.hint = hint
        where = f"{self.path}:{line}" if line is not None else self.path
        message = f"{where}: {problem}"
        if hint:
            message += f" — {hint}"
        super().__init__(message)

    def __reduce__(self):
        """Pickled with its parts, so that it crosses a process boundary whole (a process pool
        re-raises it in the parent) instead of failing to unpickle from its message alone."""
        return (type(self), (self.path, self.problem, self.hint, self.line))


class BookError(SelfbookError):
    """A book folder or store that cannot be used as asked."""


class EmbeddingError(SelfbookError):
    """The embedding model could not be loaded or run."""


class ConfigError(SelfbookError):
    """A setting with a value selfbook does not understand."""


class QueryError(SelfbookError):
    """A search that cannot run as asked: an empty query, an unknown filter value, a bad date."""


class LLMError(SelfbookError):
    """The LLM server could not answer: down, missing model, missing or wrong key, timeout."""


class LLMTimeout(LLMError):
    """The LLM server did not answer within the timeout (``SELFBOOK_LLM_TIMEOUT``)."""
