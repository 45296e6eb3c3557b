"""The LLM seam: one method, ``chat(messages, stream=...) -> Iterator[str]``, and two backends.

- :class:`OllamaLLM` speaks Ollama's ``POST /api/chat`` (NDJSON lines when streaming).
- :class:`OpenAICompatibleLLM` speaks ``POST {base}/v1/chat/completions`` (server-sent events when
  streaming): OpenAI itself, or any compatible server (llama.cpp, vLLM, LM Studio, …).

Users pick one with ``SELFBOOK_LLM=BACKEND:MODEL``; :data:`BACKENDS` maps the backend name a user
types to a factory, and :func:`get_llm` turns settings into an LLM (or ``None``: no LLM).

Both ask for temperature 0 (and Ollama for seed 0) so the same question gets the same answer as
far as the server allows. ``schema``, a JSON schema, asks for an answer that is JSON of that shape
(Ollama's ``format``, OpenAI's ``response_format``), where the server supports it. Every failure is an :class:`~selfbook.errors.LLMError` whose message
says what to do: start the server, pull the model, set the key, raise the timeout. Errors are
raised when the returned iterator is first advanced, since the request is sent lazily.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Protocol, Sequence
from urllib.parse import urlsplit

from ..errors import ConfigError, LLMError, LLMTimeout
from ..settings import Settings

if TYPE_CHECKING:  # httpx is imported where a request is sent (:func:`_post`): only ask and digest with an LLM pay it
    import httpx

log = logging.getLogger(__name__)

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
DEFAULT_OPENAI_BASE = "https://api.openai.com"
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Message:
    """One chat message: ``role`` is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class LLM(Protocol):
    """Anything that can answer a chat: yields the answer's text in pieces as they arrive.

    With ``stream=False`` the whole answer comes as one piece. ``schema``: a JSON schema the
    answer should follow (a hint the server may ignore: parse the answer defensively).
    """

    def chat(self, messages: Sequence[Message], *, stream: bool = True, schema: Mapping | None = None) -> Iterator[str]: ...


def _error_text(response: httpx.Response) -> str:
    """The message a server put in its error body (Ollama: ``{"error": "..."}``; OpenAI:
    ``{"error": {"message": "..."}}``), else the body itself, shortened."""
    try:
        body = json.loads(response.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200].strip()
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        error = error.get("message", error)
    return str(error)[:300]


@contextmanager
def _post(url: str, payload: dict, headers: dict[str, str], timeout: float, where: str, down: str) -> Iterator[httpx.Response]:
    """A streaming POST whose transport failures, on sending or while reading, become
    :class:`LLMError` with a next step (``down``: what to do when the server cannot be reached)."""
    import httpx  # deferred: see the imports

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout))) as client:
            with client.stream("POST", url, json=payload, headers=headers) as response:
                log.debug("POST %s -> %s", url, response.status_code)
                yield response
    except httpx.ConnectError as exc:
        raise LLMError(f"cannot reach {where} ({exc}) — {down}") from None
    except httpx.TimeoutException:
        raise LLMTimeout(f"{where} did not answer within {timeout:g} s — try again, or raise SELFBOOK_LLM_TIMEOUT") from None
    except httpx.HTTPError as exc:
        raise LLMError(f"talking to {where} failed: {exc}") from None


@dataclass(frozen=True)
class OllamaLLM:
    """A model served by Ollama (``ollama serve``), at ``host``."""

    model: str
    host: str = DEFAULT_OLLAMA_HOST
    timeout: float = 120.0

    def chat(self, messages: Sequence[Message], *, stream: bool = True, schema: Mapping | None = None) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": [m.to_dict() for m in messages],
            "stream": stream,
            "options": {"temperature": 0, "seed": 0},
        }
        if schema is not None:
            payload["format"] = dict(schema)
        url = f"{self.host.rstrip('/')}/api/chat"
        where = f"Ollama at {self.host}"
        down = "start it with 'ollama serve', or set SELFBOOK_OLLAMA_HOST to where it runs"
        with _post(url, payload, {}, self.timeout, where, down) as response:
            if response.status_code != 200:
                raise self._http_error(response)
            if not stream:
                yield _ollama_content(_json_line(response.read().decode("utf-8", "replace"), where), where)
                return
            for line in response.iter_lines():
                if not line.strip():
                    continue
                chunk = _json_line(line, where)
                text = _ollama_content(chunk, where)
                if text:
                    yield text
                if chunk.get("done"):
                    return

    def _http_error(self, response: httpx.Response) -> LLMError:
        message = _error_text(response)
        if response.status_code == 404 and "not found" in message:
            return LLMError(f"Ollama at {self.host} has no model {self.model!r} ({message}) — run 'ollama pull {self.model}'")
        return LLMError(f"Ollama at {self.host} answered HTTP {response.status_code}: {message}")


def _ollama_content(chunk: dict, where: str) -> str:
    if "error" in chunk:
        raise LLMError(f"{where} failed while answering: {chunk['error']}")
    return (chunk.get("message") or {}).get("content") or ""


@dataclass(frozen=True)
class OpenAICompatibleLLM:
    """A model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    ``base_url`` may end in ``/v1`` or not. ``api_key`` may be empty for local servers that need
    none; ``api_key_env`` names where the key should have come from, for error messages.
    """

    model: str
    base_url: str = DEFAULT_OPENAI_BASE
    api_key: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    timeout: float = 120.0

    @property
    def endpoint(self) -> str:
        base = self.base_url.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        return f"{base}/chat/completions"

    def chat(self, messages: Sequence[Message], *, stream: bool = True, schema: Mapping | None = None) -> Iterator[str]:
        if not self.api_key and urlsplit(self.base_url).hostname == urlsplit(DEFAULT_OPENAI_BASE).hostname:
            raise LLMError(
                f"no API key for {self.base_url}: ${self.api_key_env} is not set — export {self.api_key_env}=<your key>, "
                "name another variable with SELFBOOK_LLM_API_KEY_ENV, or point SELFBOOK_LLM_BASE_URL at a local server"
            )
        payload = {"model": self.model, "messages": [m.to_dict() for m in messages], "stream": stream, "temperature": 0}
        if schema is not None:
            payload["response_format"] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": dict(schema)}}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        where = f"the LLM server at {self.base_url}"
        down = "start the server, or fix SELFBOOK_LLM_BASE_URL (and check the network)"
        with _post(self.endpoint, payload, headers, self.timeout, where, down) as response:
            if response.status_code != 200:
                raise self._http_error(response)
            if not stream:
                yield _openai_content(_json_line(response.read().decode("utf-8", "replace"), where), where, "message")
                return
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue                       # blank separators, comments, "event:" lines
                data = line[len("data:"):].strip()
                if data == "[DONE]":
                    return
                text = _openai_content(_json_line(data, where), where, "delta")
                if text:
                    yield text

    def _http_error(self, response: httpx.Response) -> LLMError:
        message = _error_text(response)
        where = f"the LLM server at {self.base_url}"
        if response.status_code in (401, 403):
            if not self.api_key:
                return LLMError(
                    f"{where} wants an API key and ${self.api_key_env} is not set — export {self.api_key_env}=<your key>, "
                    "or name the variable that holds it with SELFBOOK_LLM_API_KEY_ENV"
                )
            return LLMError(f"{where} refused the key in ${self.api_key_env} ({message}) — check the key")
        if response.status_code == 404:
            return LLMError(
                f"{where} has no model {self.model!r}, or no /v1/chat/completions ({message}) — "
                "check the model in SELFBOOK_LLM and the URL in SELFBOOK_LLM_BASE_URL"
            )
        return LLMError(f"{where} answered HTTP {response.status_code}: {message}")


def _openai_content(chunk: dict, where: str, field: str) -> str:
    if "error" in chunk:
        error = chunk["error"]
        raise LLMError(f"{where} failed while answering: {error.get('message', error) if isinstance(error, dict) else error}")
    choices = chunk.get("choices") or [{}]
    return (choices[0].get(field) or {}).get("content") or ""


def _json_line(line: str, where: str) -> dict:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        raise LLMError(f"{where} sent something that is not JSON: {line[:120]!r} — is this the right URL?") from None


# -- choosing a backend ---------------------------------------------------------------------------
def _ollama_host(settings: Settings, env: Mapping[str, str]) -> str:
    """Ollama's own convention: ``OLLAMA_HOST`` may omit the scheme and the port."""
    host = settings.ollama_host or env.get("OLLAMA_HOST") or DEFAULT_OLLAMA_HOST
    if "://" not in host:
        host = f"http://{host}"
    parts = urlsplit(host)
    if parts.port is None:
        host = f"{parts.scheme}://{parts.hostname}:11434{parts.path}"
    return host.rstrip("/")


def _make_ollama(model: str, settings: Settings, env: Mapping[str, str]) -> LLM:
    return OllamaLLM(model, _ollama_host(settings, env), float(settings.llm_timeout))


def _make_openai(model: str, settings: Settings, env: Mapping[str, str]) -> LLM:
    return OpenAICompatibleLLM(
        model,
        settings.llm_base_url or DEFAULT_OPENAI_BASE,
        env.get(settings.llm_api_key_env, ""),
        settings.llm_api_key_env,
        float(settings.llm_timeout),
    )


BACKENDS: dict[str, Callable[[str, Settings, Mapping[str, str]], LLM]] = {
    "ollama": _make_ollama,
    "openai": _make_openai,
}
"""Backend name, as typed in ``SELFBOOK_LLM=NAME:MODEL`` → factory ``(model, settings, env)``."""


def get_llm(settings: Settings, env: Mapping[str, str] | None = None) -> LLM | None:
    """The LLM the settings name, or ``None`` when ``settings.llm`` is empty (extractive answers).

    ``ollama:llama3.2:3b`` splits at the first colon: backend ``ollama``, model ``llama3.2:3b``.
    """
    if not settings.llm:
        return None
    env = os.environ if env is None else env
    name, _, model = settings.llm.partition(":")
    if name not in BACKENDS:
        raise ConfigError(f"SELFBOOK_LLM={settings.llm!r}: unknown backend {name!r} — use one of {', '.join(BACKENDS)}, e.g. ollama:llama3.2")
    if not model:
        raise ConfigError(f"SELFBOOK_LLM={settings.llm!r} names no model — write {name}:MODEL, e.g. ollama:llama3.2")
    return BACKENDS[name](model, settings, env)
