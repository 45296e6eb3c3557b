"""The LLM backends against servers that speak the real Ollama and OpenAI protocols on localhost."""

from __future__ import annotations

import threading

import pytest
from llm_servers import free_port, ollama_server, openai_server

from selfbook.errors import ConfigError, LLMError
from selfbook.answer.llm import BACKENDS, Message, OllamaLLM, OpenAICompatibleLLM, get_llm
from selfbook.settings import Settings, load_settings

MESSAGES = [Message("system", "Be brief."), Message("user", "Say hello ಕನ್ನಡ")]


def echo(body: dict) -> str:
    return "Hello! " + body["messages"][-1]["content"]


@pytest.mark.parametrize("stream", [True, False])
def test_ollama_chat(stream: bool):
    with ollama_server(echo) as server:
        pieces = list(OllamaLLM("llama3.2", server.url).chat(MESSAGES, stream=stream))
    assert "".join(pieces) == "Hello! Say hello ಕನ್ನಡ"
    assert (len(pieces) > 1) is stream
    request = server.requests[0]
    assert request.path == "/api/chat"
    assert request.body["model"] == "llama3.2" and request.body["stream"] is stream
    assert request.body["messages"] == [m.to_dict() for m in MESSAGES]
    assert request.body["options"] == {"temperature": 0, "seed": 0}


@pytest.mark.parametrize("stream", [True, False])
def test_openai_chat(stream: bool):
    with openai_server(echo) as server:
        llm = OpenAICompatibleLLM("gpt-4o-mini", server.url, api_key="sk-test")
        pieces = list(llm.chat(MESSAGES, stream=stream))
    assert "".join(pieces) == "Hello! Say hello ಕನ್ನಡ"
    assert (len(pieces) > 1) is stream
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert request.body["stream"] is stream and request.body["temperature"] == 0


def test_openai_base_url_may_end_in_v1():
    with openai_server(echo, api_key=None) as server:
        llm = OpenAICompatibleLLM("gpt-4o-mini", server.url + "/v1/")
        assert "".join(llm.chat(MESSAGES)).startswith("Hello!")
    assert server.requests[0].path == "/v1/chat/completions"
    assert "Authorization" not in server.requests[0].headers


def test_ollama_missing_model_says_pull_it():
    with ollama_server(echo) as server:
        with pytest.raises(LLMError, match=r"no model 'qwen3'.*run 'ollama pull qwen3'"):
            list(OllamaLLM("qwen3", server.url).chat(MESSAGES))


def test_openai_missing_model():
    with openai_server(echo) as server:
        with pytest.raises(LLMError, match=r"no model 'gpt-9'.*does not exist.*SELFBOOK_LLM"):
            list(OpenAICompatibleLLM("gpt-9", server.url, api_key="sk-test").chat(MESSAGES))


def test_openai_missing_key_names_the_variable():
    with openai_server(echo) as server:
        llm = OpenAICompatibleLLM("gpt-4o-mini", server.url, api_key="", api_key_env="MY_KEY")
        with pytest.raises(LLMError, match=r"wants an API key and \$MY_KEY is not set — export MY_KEY="):
            list(llm.chat(MESSAGES))


def test_openai_wrong_key():
    with openai_server(echo) as server:
        llm = OpenAICompatibleLLM("gpt-4o-mini", server.url, api_key="sk-wrong")
        with pytest.raises(LLMError, match=r"refused the key in \$OPENAI_API_KEY \(Incorrect API key"):
            list(llm.chat(MESSAGES))


def test_openai_dot_com_without_key_fails_before_sending():
    llm = OpenAICompatibleLLM("gpt-4o-mini", api_key="")
    with pytest.raises(LLMError, match=r"\$OPENAI_API_KEY is not set"):
        list(llm.chat(MESSAGES))


@pytest.mark.parametrize("make", [lambda url: OllamaLLM("llama3.2", url), lambda url: OpenAICompatibleLLM("m", url)])
def test_server_down(make):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LLMError, match=r"cannot reach .*127\.0\.0\.1.* — start "):
        list(make(url).chat(MESSAGES))


def test_timeout_says_how_to_raise_it():
    hang = threading.Event()
    with ollama_server(echo, hang=hang) as server:
        with pytest.raises(LLMError, match="did not answer within 0.2 s .*SELFBOOK_LLM_TIMEOUT"):
            list(OllamaLLM("llama3.2", server.url, timeout=0.2).chat(MESSAGES))


def test_error_in_the_middle_of_a_stream():
    with ollama_server(echo, fail="out of memory") as server:
        pieces = OllamaLLM("llama3.2", server.url).chat(MESSAGES)
        assert next(pieces) == "Hel"
        with pytest.raises(LLMError, match="failed while answering: out of memory"):
            list(pieces)


# -- settings → backend -----------------------------------------------------------------------
def test_no_llm_configured():
    assert get_llm(Settings(), env={}) is None


def test_registry_keys_are_what_users_type():
    assert set(BACKENDS) == {"ollama", "openai"}


@pytest.mark.parametrize(
    ("settings_host", "env_host", "expected"),
    [
        ("", "", "http://127.0.0.1:11434"),
        ("", "0.0.0.0", "http://0.0.0.0:11434"),
        ("", "gpu-box:8080", "http://gpu-box:8080"),
        ("https://ollama.example.org", "ignored:1", "https://ollama.example.org:11434"),
    ],
)
def test_ollama_from_settings(settings_host: str, env_host: str, expected: str):
    env = {"OLLAMA_HOST": env_host} if env_host else {}
    llm = get_llm(Settings(llm="ollama:llama3.2:3b", ollama_host=settings_host, llm_timeout=7), env=env)
    assert llm == OllamaLLM("llama3.2:3b", expected, 7.0)


def test_openai_from_settings_reads_the_named_variable():
    settings = Settings(llm="openai:gpt-4o-mini", llm_base_url="http://localhost:8000/v1", llm_api_key_env="GROQ_KEY")
    llm = get_llm(settings, env={"GROQ_KEY": "k", "OPENAI_API_KEY": "other"})
    assert llm == OpenAICompatibleLLM("gpt-4o-mini", "http://localhost:8000/v1", "k", "GROQ_KEY", 120.0)
    assert llm.endpoint == "http://localhost:8000/v1/chat/completions"


@pytest.mark.parametrize(("value", "message"), [("claude:x", "unknown backend 'claude'"), ("ollama:", "names no model")])
def test_bad_llm_setting(value: str, message: str):
    with pytest.raises(ConfigError, match=message):
        get_llm(Settings(llm=value), env={})


def test_llm_settings_from_env():
    s = load_settings(env={"SELFBOOK_LLM": "openai:m", "SELFBOOK_LLM_API_KEY_ENV": "K", "SELFBOOK_LLM_TIMEOUT": "5"})
    assert (s.llm, s.llm_api_key_env, s.llm_timeout) == ("openai:m", "K", 5)
