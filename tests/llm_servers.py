"""LLM servers for the tests: real HTTP on 127.0.0.1, speaking Ollama's and OpenAI's protocols.

Each server runs in a thread on a free port, records every request it gets (path, headers, JSON
body), and answers with a scripted reply: ``reply(request_body) -> str``. Streamed answers are cut
into small pieces (``piece`` characters) so that citation markers arrive split across chunks, as
they do from real models. Responses use chunked transfer encoding, as both real servers do.

    with ollama_server(lambda body: "Yes [1].") as server:
        llm = OllamaLLM("llama3.2", server.url)
        ...
        server.requests[0].body["messages"]
"""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

Reply = Callable[[dict], str]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict

    def message(self, role: str) -> str:
        """The content of the first message with this role."""
        return next(m["content"] for m in self.body["messages"] if m["role"] == role)


@dataclass
class Server:
    url: str
    requests: list[Request] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: Server
    reply: Reply
    piece: int
    models: frozenset[str]
    api_key: str | None
    hang: threading.Event | None
    fail: str | None

    def log_message(self, *args: object) -> None:
        pass

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server_state.requests.append(Request(self.path, dict(self.headers), body))
        return body

    def _send_json(self, status: int, data: dict) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _pieces(self, text: str) -> list[str]:
        return [text[i : i + self.piece] for i in range(0, len(text), self.piece)] or [""]


class _OllamaHandler(_Handler):
    def do_POST(self) -> None:
        body = self._body()
        if self.hang is not None:
            self.hang.wait(10)
            return
        if self.path != "/api/chat":
            self._send_json(404, {"error": "404 page not found"})
            return
        model = body.get("model", "")
        if model not in self.models:
            self._send_json(404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        text = self.reply(body)
        stamp = "2024-06-01T00:00:00Z"
        if body.get("stream") is False:
            self._send_json(200, {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": text}, "done": True})
            return
        self._start_chunked("application/x-ndjson")
        for piece in self._pieces(text):
            line = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": piece}, "done": False}
            self._chunk(json.dumps(line).encode() + b"\n")
        final = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"}
        self._chunk(json.dumps({"error": self.fail} if self.fail else final).encode() + b"\n")
        self._end_chunked()


class _OpenAIHandler(_Handler):
    def do_POST(self) -> None:
        body = self._body()
        if self.path != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"Unknown request URL: POST {self.path}", "code": "unknown_url"}})
            return
        if self.api_key is not None and self.headers.get("Authorization") != f"Bearer {self.api_key}":
            message = "You didn't provide an API key." if "Authorization" not in self.headers else "Incorrect API key provided."
            self._send_json(401, {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}})
            return
        model = body.get("model", "")
        if model not in self.models:
            error = {"message": f"The model `{model}` does not exist or you do not have access to it.", "code": "model_not_found"}
            self._send_json(404, {"error": error})
            return
        text = self.reply(body)
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            self._send_json(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": model, "choices": [choice]})
            return
        self._start_chunked("text/event-stream")
        first = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        self._chunk(f"data: {json.dumps(first)}\n\n".encode())
        for piece in self._pieces(text):
            chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model, "choices": [{"index": 0, "delta": {"content": piece}}]}
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        last = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self._chunk(f"data: {json.dumps(last)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._end_chunked()


@contextmanager
def _serve(handler: type[_Handler], path_prefix: str, **attrs) -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state = Server(f"http://127.0.0.1:{httpd.server_address[1]}{path_prefix}")
    httpd.RequestHandlerClass = type(handler.__name__, (handler,), {"server_state": state, **attrs})
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        hang = attrs.get("hang")
        if hang is not None:
            hang.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def ollama_server(
    reply: Reply, *, models: tuple[str, ...] = ("llama3.2",), piece: int = 3, hang: threading.Event | None = None, fail: str | None = None
):
    """An Ollama ``/api/chat`` server. Unknown models get Ollama's 404. ``hang``: never answer
    (until the event is set); ``fail``: end the stream with this error line instead of ``done``."""
    return _serve(_OllamaHandler, "", reply=staticmethod(reply), piece=piece, models=frozenset(models), api_key=None, hang=hang, fail=fail)


def openai_server(reply: Reply, *, models: tuple[str, ...] = ("gpt-4o-mini",), api_key: str | None = "sk-test", piece: int = 3):
    """An OpenAI ``/v1/chat/completions`` server; ``api_key``: the bearer key it wants (None: any)."""
    return _serve(_OpenAIHandler, "", reply=staticmethod(reply), piece=piece, models=frozenset(models), api_key=api_key, hang=None, fail=None)


def free_port() -> int:
    """A port nothing listens on (for 'server down' tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
