"""A web server on 127.0.0.1 with the pages fetching meets: og: tags, charset quirks, non-HTML,
huge pages, a decompression bomb, slow drip, redirect loops, soft 404s, robots.txt; plus fake
arXiv export, Crossref and Wayback availability APIs. Used by fetch/test_fetch.py and bench/fetch.py."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ARXIV = {"2405.00208": ("A Paper on Things", ["Ada Lovelace", "Alan Turing"], "2024-05-01", "We study things.")}
CROSSREF = {"10.1234/abc": ("A Journal Article", [{"given": "Grace", "family": "Hopper"}], [2019, 3, 2], "<jats:p>An abstract.</jats:p>")}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def page(title: str, body: str = "", head: str = "") -> bytes:
    return f"<!doctype html><html lang='en'><head><title>{title}</title>{head}</head><body>{body}</body></html>".encode()


def arxiv_feed(ids: list[str]) -> bytes:
    entries = []
    for ident in ids:
        if ident in ARXIV:
            title, authors, published, summary = ARXIV[ident]
            names = "".join(f"<author><name>{a}</name></author>" for a in authors)
            entries.append(f"<entry><id>http://arxiv.org/abs/{ident}v1</id><title>{title}</title><summary>{summary}</summary>"
                           f"<published>{published}T00:00:00Z</published>{names}</entry>")
        else:
            entries.append("<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id><title>Error</title></entry>")
    return ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>" + "".join(entries) + "</feed>").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages: dict[str, tuple[int, dict, bytes]] = {}

    def log_message(self, *args) -> None:
        pass

    def send(self, code: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(code)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        path = parts.path
        self.server.hits.append(path)
        if path == "/robots.txt":
            return self.send(200, ROBOTS, {"Content-Type": "text/plain"})
        if path in self.pages:
            code, headers, body = self.pages[path]
            return self.send(code, body, headers)
        if path.startswith("/ok/"):
            return self.send(200, page(f"Page {path[4:]}", "<p>" + "words of the page " * 5 + "</p>"))
        if path.startswith(("/gone/", "/hostile/")):
            return self.send(404, page("Not here"))
        if path.startswith("/soft/"):
            return self.send(200, page("Page not found — Example"))
        if path.startswith("/hop/"):  # /hop/N/... redirects N times, then to /ok/...
            _, _, n, rest = path.split("/", 3)
            target = f"/hop/{int(n) - 1}/{rest}" if int(n) > 1 else f"/ok/{rest}"
            return self.send(302, b"", {"Location": target})
        if path.startswith("/loop/"):
            other = "/loop/b" if path == "/loop/a" else "/loop/a"
            return self.send(301, b"", {"Location": other})
        if path.startswith("/huge/"):
            return self.huge()
        if path.startswith("/drip/"):
            return self.drip()
        if path == "/bomb":
            body = gzip.compress(b"<html><head><title>Bomb</title></head><body>" + b"\0" * 30_000_000, 1)
            return self.send(200, body, {"Content-Encoding": "gzip"})
        if path == "/arxiv/query":
            ids = parse_qs(parts.query)["id_list"][0].split(",")
            return self.send(200, arxiv_feed(ids), {"Content-Type": "application/atom+xml"})
        if path.startswith("/crossref/works/"):
            doi = unquote(path[len("/crossref/works/"):])
            if doi not in CROSSREF:
                return self.send(404, b"Resource not found.", {"Content-Type": "text/plain"})
            title, authors, parts_, abstract = CROSSREF[doi]
            work = {"title": [title], "author": authors, "issued": {"date-parts": [parts_]}, "abstract": abstract}
            return self.send(200, json.dumps({"message": work}).encode(), {"Content-Type": "application/json"})
        if path == "/wayback/available":  # a snapshot of every URL, except: /soft/ none, /hostile/ a javascript: one
            url = parse_qs(parts.query)["url"][0]
            snap = {"closest": {"available": True, "url": f"http://web.archive.org/web/2020/{url}", "timestamp": "20200101000000", "status": "200"}}
            if "/soft/" in url:
                snap = {}
            elif "/hostile/" in url:
                snap = {"closest": {"available": True, "url": "javascript:alert(1)//", "timestamp": "20200101000000", "status": "200"}}
            return self.send(200, json.dumps({"url": url, "archived_snapshots": snap}).encode(), {"Content-Type": "application/json"})
        return self.send(404, page("404 Not Found"))

    def huge(self) -> None:
        """An endless page: a title, then paragraphs for ever (until the client stops reading)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"<p>" + b"x" * 65_000 + b"</p>"
        try:
            self.chunk(b"<html><head><title>Huge page</title></head><body>")
            for _ in range(100_000):
                self.chunk(chunk)
        except OSError:
            pass

    def drip(self) -> None:
        """A page that sends one byte every 0.2 s, for ever."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(10_000):
                self.chunk(b" ")
                time.sleep(0.2)
        except OSError:
            pass

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class LinkServer:
    """``with LinkServer() as server: server.url('/ok/1')``. ``pages``: extra fixed pages."""

    def __init__(self, pages: dict[str, tuple[int, dict, bytes]] | None = None) -> None:
        handler = type("H", (Handler,), {"pages": dict(pages or {})})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that stops reading is no error
        self.httpd.hits = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> "LinkServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
