"""The book in a browser and over HTTP: ``selfbook serve``.

``create_app(book_dir)`` gives the FastAPI application (pages, JSON API, OpenAPI schema);
:mod:`.security` says what it refuses and why, by the rule :mod:`.access` sets for ``serve`` and
``mcp`` alike; :mod:`.commands` holds the ``serve`` command.
"""

from importlib import import_module

__all__ = ["create_app", "check_bind", "is_loopback"]
_HOMES = {"create_app": ".app", "check_bind": ".access", "is_loopback": ".access"}


def __getattr__(name: str):
    """The names above, imported on first use (PEP 562): the CLI imports this package to register
    ``serve``, and the web stack (FastAPI, starlette, jinja2) costs other commands half a second."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name], __name__), name)
