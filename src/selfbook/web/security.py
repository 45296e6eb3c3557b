"""What keeps ``selfbook serve`` safe to run: one ASGI middleware, :class:`Guard`, in front of
every request.

The rules, in the order they are checked:

1. **Host.** A server bound to a loopback address answers only requests whose ``Host`` names
   loopback (``localhost``, ``127.x.x.x``, ``[::1]``): a web page on another site cannot reach
   it through DNS rebinding (the rule :mod:`selfbook.web.access` sets for every server).
2. **Token.** A server given a token (required on any non-loopback address; see
   :func:`selfbook.web.access.check_bind`) wants it on every request, as
   ``Authorization: Bearer TOKEN`` or as the ``selfbook_session`` cookie. Visiting any page once
   with ``?token=TOKEN`` sets that cookie (HttpOnly, SameSite=Strict; it holds a keyed hash of
   the token, not the token) and redirects to the same page without the token in its address.
3. **Size.** A request body larger than ``max_body`` bytes (default 64 KiB) is refused with 413,
   whether it declares its length or is sent in chunks.
4. **Cross-site requests.** A POST (or any other unsafe method) is refused with 403 when the
   browser says it comes from another site (``Sec-Fetch-Site`` other than ``same-origin`` or
   ``none``; failing that, an ``Origin`` other than this server's). A POST that a browser sent
   (one with ``Sec-Fetch-Site``, ``Origin``, ``Referer`` or a cookie) must also carry this
   server's CSRF token: the ``X-CSRF-Token`` header (the page's script sends it) or the
   ``csrf_token`` field of a form (every form on the pages has it). A request with a valid
   ``Authorization: Bearer`` header needs neither: a browser never adds that header by itself.
   Programs that are not browsers (curl, scripts) send none of those headers; on a server
   without a token they may POST JSON freely, as they could run ``selfbook move`` themselves.

Every response also carries a strict Content-Security-Policy (scripts from this server only, no
inline script), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfbook.web.access import bearer_matches, host_is_loopback

COOKIE = "selfbook_session"
MAX_BODY = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass
class GuardConfig:
    token: str | None = None
    loopback_only: bool = True
    max_body: int = MAX_BODY
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def session(self) -> str | None:
        """The cookie value that stands for the token (a keyed hash: the cookie never holds it)."""
        if not self.token:
            return None
        return hmac.new(self.token.encode(), b"selfbook web session", hashlib.sha256).hexdigest()


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Guard:
    """The ASGI middleware that applies the rules in the module docstring."""

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            self._check_host(headers)
            redirect = self._check_token(scope, headers)
            if redirect is not None:
                await _respond(send, scope, 303, "", redirect)
                return
            body = await self._read_body(scope, headers, receive)
            self._check_cross_site(scope, headers, body)
        except Refused as refused:
            await _respond(send, scope, refused.status, refused.message, refused.headers)
            return
        await self.app(scope, _replay(body, receive) if body is not None else receive, _secured(send))

    # -- the rules ------------------------------------------------------------------------------
    def _check_host(self, headers: Headers) -> None:
        if self.config.loopback_only and not host_is_loopback(headers.get("host", "")):
            raise Refused(421, "this server answers only to localhost — open it as http://127.0.0.1:PORT/")

    def _bearer(self, headers: Headers) -> bool:
        return bearer_matches(headers.get("authorization", ""), self.config.token)

    def _check_token(self, scope: Scope, headers: Headers) -> dict[str, str] | None:
        """None when the request may go on; redirect headers when it brought ``?token=``."""
        config = self.config
        if not config.token or self._bearer(headers):
            return None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if "token" in query:
            if not hmac.compare_digest(query["token"][-1].encode(), config.token.encode()):
                raise Refused(401, "wrong token — open the page with ?token= and the token the server was started with")
            rest = urlencode([(k, v) for k, values in query.items() if k != "token" for v in values])
            path = "/" + scope["path"].lstrip("/")  # never "//host": that would leave this server
            location = scope.get("root_path", "") + path + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={config.session}; Path=/; HttpOnly; SameSite=Strict"
            return {"location": location, "set-cookie": cookie}
        cookies = _cookies(headers.get("cookie", ""))
        if hmac.compare_digest(cookies.get(COOKIE, "").encode(), (config.session or "").encode()):
            return None
        raise Refused(
            401,
            "this server needs its token — send 'Authorization: Bearer TOKEN', or open /?token=TOKEN once in the browser",
            {"www-authenticate": 'Bearer realm="selfbook"'},
        )

    async def _read_body(self, scope: Scope, headers: Headers, receive: Receive) -> bytes | None:
        """The whole body of a request that may have one (at most ``max_body`` bytes), else None."""
        if scope["method"] in SAFE_METHODS and "content-length" not in headers and "transfer-encoding" not in headers:
            return None
        limit = self.config.max_body
        too_big = Refused(413, f"the request is larger than {limit} bytes — send less (notes are limited to {limit // 1024} KiB)")
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise too_big if declared.isdigit() else Refused(400, "bad Content-Length")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _check_cross_site(self, scope: Scope, headers: Headers, body: bytes | None) -> None:
        if scope["method"] in SAFE_METHODS or self._bearer(headers):
            return
        site, origin = headers.get("sec-fetch-site"), headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if site is not None and site not in ("same-origin", "none"):
            raise Refused(403, f"refused a {site} request: change the book from its own pages, or send the bearer token")
        if site is None and origin is not None and origin != own:
            raise Refused(403, "refused a request from another site: change the book from its own pages, or send the bearer token")
        from_browser = any(h in headers for h in ("sec-fetch-site", "origin", "referer", "cookie"))
        if from_browser and not hmac.compare_digest(_csrf_of(headers, body).encode(), self.config.csrf.encode()):
            raise Refused(403, "missing or stale CSRF token — reload the page and try again")


def _csrf_of(headers: Headers, body: bytes | None) -> str:
    if "x-csrf-token" in headers:
        return headers["x-csrf-token"]
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return (fields.get("csrf_token") or [""])[-1]
    return ""


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in header.split(";") if "=" in part)
    return {name.strip(): value.strip() for name, _, value in pairs}


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then wait for the disconnect, as the server would say

    return replay


SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _secured(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in names]
            if b"cache-control" not in names:
                headers.append((b"cache-control", b"no-store"))
            message = {**message, "headers": headers}
        await send(message)

    return secured


async def _respond(send: Send, scope: Scope, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """A refusal: JSON under /api/, a short text page elsewhere (never echoing the request)."""
    api = scope["path"].startswith("/api/") or scope["path"] == "/openapi.json"
    if status == 303 or not message:
        body, kind = b"", b"text/plain; charset=utf-8"
    elif api:
        body, kind = json.dumps({"error": message, "status": status}).encode(), b"application/json"
    else:
        body, kind = f"{status}: {message}\n".encode(), b"text/plain; charset=utf-8"
    raw = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await _secured(send)({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
