"""The SSRF guard: a fetched link may not reach this machine or its network unless asked.

Every connection httpx opens goes through :class:`GuardedBackend`, an httpcore network backend
that resolves the host itself, refuses the connection when any address it resolves to is
loopback, private, link-local, multicast, reserved or unspecified (:func:`is_public`), and then
connects to the address it checked, so a name cannot resolve to a public address for the check
and to a private one for the connection. Redirects open their own connections, so every hop is
checked. TLS still verifies the host name: only the TCP connection uses the address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Iterable

import httpcore
import httpx
from httpcore._backends.auto import AutoBackend


class Blocked(Exception):
    """A host resolves to an address selfbook refuses to fetch from (see :func:`is_public`)."""


class NoSuchHost(Exception):
    """A host name that DNS cannot resolve."""


class Refused(Exception):
    """Every address of a host refused the connection."""


def _refused(exc: BaseException | None, depth: int = 0) -> bool:
    """Whether a connection error came from a refusal (anyio wraps it in its own errors)."""
    if exc is None or depth > 6:
        return False
    if isinstance(exc, ConnectionRefusedError):
        return True
    inner = list(getattr(exc, "exceptions", ())) + [exc.__cause__, exc.__context__]
    return any(_refused(e, depth + 1) for e in inner)


def is_public(address: str) -> bool:
    """True for an address on the public internet: not loopback, private, link-local,
    multicast, reserved or unspecified (IPv4-mapped IPv6 addresses are judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global)


async def resolve(host: str, port: int, timeout: float | None = None) -> list[str]:
    """The addresses ``host`` resolves to (IPv4 first), or :class:`NoSuchHost`. An address is
    itself (no lookup: the resolver's few threads are kept for names)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        infos = await asyncio.wait_for(lookup, timeout)
    except socket.gaierror as exc:
        raise NoSuchHost(f"{host}: {exc.strerror}") from None
    except TimeoutError:
        raise NoSuchHost(f"{host}: DNS did not answer within {timeout} s") from None
    found = [info[4][0] for info in infos]
    return sorted(dict.fromkeys(found), key=lambda a: ":" in a)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, connecting only to addresses :func:`is_public` accepts
    (any address with ``allow_local``)."""

    def __init__(self, allow_local: bool = False) -> None:
        self.allow_local = allow_local
        self._backend = AutoBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port, timeout)
        if not self.allow_local:
            refused = [a for a in addresses if not is_public(a)]
            if refused:
                raise Blocked(f"{host} resolves to {refused[0]}, a local or private address (--allow-local fetches it)")
        errors: list[Exception] = []
        for address in addresses:
            try:
                return await self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                errors.append(exc)
        if errors and all(_refused(e) for e in errors):
            raise Refused(f"{host}:{port} refused the connection")
        raise errors[0] if errors else httpcore.ConnectError(f"{host}: no address")

    async def connect_unix_socket(self, *args, **kwargs):  # pragma: no cover - never asked for
        raise Blocked("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a :class:`GuardedBackend`: no proxies from the environment, no
    HTTP/2, connections kept per host for the redirects and pages that follow."""

    def __init__(self, *, allow_local: bool = False, max_connections: int = 64) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to pass a network backend; this one is the same
        # pool with the guard as its backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections, max_keepalive_connections=max_connections,
            keepalive_expiry=5.0, http1=True, http2=False, network_backend=GuardedBackend(allow_local),
        )
