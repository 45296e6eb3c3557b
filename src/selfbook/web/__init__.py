"""The book in a browser and over HTTP: ``selfbook serve``.

``create_app(book_dir)`` gives the FastAPI application (pages, JSON API, OpenAPI schema);
:mod:`.security` says what it refuses and why; :mod:`.commands` holds the ``serve`` command.
"""

from .app import create_app
from ..security import check_bind, is_loopback

__all__ = ["create_app", "check_bind", "is_loopback"]
