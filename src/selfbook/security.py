"""The one security rule for every server selfbook runs: ``selfbook serve`` and
``selfbook mcp --transport http``.

1. **Bind.** A loopback address (``localhost``, ``127.x.x.x``, ``::1``) needs no token; any other
   address refuses to start without one (:func:`check_bind`). A token has at least
   :data:`MIN_TOKEN_LENGTH` characters.
2. **Host.** A server bound to a loopback address answers only requests whose ``Host`` names
   loopback (:func:`host_is_loopback`): a web page on another site cannot reach it through DNS
   rebinding.

Each front end applies the rule in its own middleware (:mod:`selfbook.web.security` for the web
pages, :mod:`selfbook.mcp_command` for MCP). This module needs nothing but the standard library.
"""

from __future__ import annotations

import ipaddress

from .errors import ConfigError


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen on a non-loopback address without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to listen on {host} without a token: anyone who can reach it could read and change "
            "your book — pass --token TOKEN (or set SELFBOOK_TOKEN), or keep the default --host 127.0.0.1"
        )
    if token is not None and len(token) < 8:
        raise ConfigError("the token is too short — use at least 8 characters, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe())'")


def host_name(host_header: str) -> str:
    """``Host`` without its port: ``[::1]:8765`` → ``::1``, ``localhost:8765`` → ``localhost``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header
