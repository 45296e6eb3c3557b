"""The one security rule for every server selfbook runs: ``selfbook serve`` and
``selfbook mcp --transport http``.

1. **Bind.** A loopback address (``localhost``, ``127.x.x.x``, ``::1``) needs no token; any other
   address refuses to start without one (:func:`check_bind`). A token has at least
   :data:`MIN_TOKEN_LENGTH` characters.
2. **Host.** A server bound to a loopback address answers only requests whose ``Host`` names
   loopback (:func:`host_is_loopback`): a web page on another site cannot reach it through DNS
   rebinding. (The MCP SDK's own guard covers only the names 127.0.0.1, localhost and ::1.)
3. **Token.** A server given a token wants it on every request, as ``Authorization: Bearer
   TOKEN`` (:func:`bearer_matches`); the web pages also take a cookie that stands for it.

Each front end applies the rule in its own middleware (:mod:`selfbook.web.security` for the web
pages, :mod:`selfbook.mcp.command` for MCP). This module needs nothing but the standard library.
"""

from __future__ import annotations

import hmac
import ipaddress

from ..errors import ConfigError

MIN_TOKEN_LENGTH = 8


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
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"the token is too short — use at least {MIN_TOKEN_LENGTH} characters, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe())'")


def host_name(host_header: str) -> str:
    """``Host`` without its port: ``[::1]:8765`` → ``::1``, ``localhost:8765`` → ``localhost``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def host_is_loopback(host_header: str) -> bool:
    """Whether a request's ``Host`` header (``127.0.0.2:8765``, ``[::1]:8766``) names loopback."""
    return is_loopback(host_name(host_header))


def bearer_matches(authorization: str, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``token`` (``Bearer TOKEN``, scheme in any case)."""
    scheme, _, value = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
