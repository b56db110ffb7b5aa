import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from vault.embedders import (
    MAX_INPUT_CHARS,
    OFFLINE_MODEL,
    EmbeddingError,
    OfflineEmbedder,
    OpenAIEmbedder,
    get_embedder,
)


class FakeEmbeddingsAPI:
    """An OpenAI-compatible /v1/embeddings on 127.0.0.1 that answers from a script of responses."""

    def __init__(self):
        self.script = []  # (status, headers, body) per request; then 200 with real vectors
        self.requests = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, payload = api.script.pop(0) if api.script else (200, {}, None)
                if payload is None:
                    # Answer out of order, as the API may: clients must sort by index.
                    data = [
                        {"object": "embedding", "index": i, "embedding": OfflineEmbedder().embed([text])[0]}
                        for i, text in reversed(list(enumerate(body["input"])))
                    ]
                    payload = {"object": "list", "data": data, "model": body["model"]}
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = FakeEmbeddingsAPI()
    yield server
    server.close()


@pytest.fixture
def delays():
    return []


@pytest.fixture
def client(api, delays):
    return OpenAIEmbedder(
        base_url=api.base_url,
        api_key="sk-test",
        model="text-embedding-3-small",
        timeout=5,
        max_retries=3,
        backoff=0.5,
        sleep=delays.append,
    )


def test_openai_embedder_posts_the_texts_and_returns_vectors_in_input_order(api, client):
    vectors = client.embed(["first text", "second text"])

    assert vectors == OfflineEmbedder().embed(["first text", "second text"])
    (request,) = api.requests
    assert request["path"] == "/v1/embeddings"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["body"] == {"model": "text-embedding-3-small", "input": ["first text", "second text"]}


def test_openai_embedder_cuts_long_input_and_replaces_empty_input(api, client):
    client.embed(["x" * (MAX_INPUT_CHARS + 500), ""])

    sent = api.requests[0]["body"]["input"]
    assert len(sent[0]) == MAX_INPUT_CHARS and sent[1] == " "


def test_openai_embedder_of_no_texts_sends_nothing(api, client):
    assert client.embed([]) == []
    assert api.requests == []


def test_openai_embedder_retries_server_errors_with_exponential_back_off(api, client, delays):
    api.script = [(500, {}, {"error": {"message": "overloaded"}}), (502, {}, b"bad gateway"), (503, {}, {})]

    vectors = client.embed(["text"])

    assert len(vectors) == 1 and len(api.requests) == 4
    assert delays == [0.5, 1.0, 2.0]


def test_openai_embedder_honours_retry_after_on_429(api, client, delays):
    api.script = [(429, {"Retry-After": "7"}, {"error": {"message": "rate limited"}})]

    client.embed(["text"])

    assert delays == [7.0]


def test_openai_embedder_gives_up_after_max_retries_naming_the_last_failure(api, client, delays):
    api.script = [(503, {}, {"error": {"message": "down for maintenance"}})] * 4

    with pytest.raises(EmbeddingError, match="failed after 4 attempts; last: HTTP 503 down for maintenance"):
        client.embed(["text"])
    assert len(delays) == 3


def test_openai_embedder_does_not_retry_a_client_error(api, client, delays):
    api.script = [(401, {}, {"error": {"message": "Incorrect API key provided"}})]

    with pytest.raises(EmbeddingError, match="refused the request: HTTP 401 Incorrect API key provided"):
        client.embed(["text"])
    assert delays == [] and len(api.requests) == 1


def test_openai_embedder_retries_a_refused_connection(delays):
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenAIEmbedder(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="k", model="m", max_retries=2, sleep=delays.append
    )

    with pytest.raises(EmbeddingError, match="failed after 3 attempts; last: network error"):
        client.embed(["text"])
    assert delays == [1.0, 2.0]


def test_openai_embedder_refuses_vectors_of_the_wrong_size(api, client):
    api.script = [(200, {}, {"data": [{"index": 0, "embedding": [0.1] * 3072}]})]

    with pytest.raises(EmbeddingError, match="returned 3072-d vectors; the vault stores 1536-d"):
        client.embed(["text"])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"data": [{"index": 0, "embedding": [0.1] * 1536}]}, "returned 1 vectors for 2 texts"),
        ({"unexpected": True}, "answered without 'data' embeddings"),
        (b"<html>not json</html>", "answered with invalid JSON"),
    ],
)
def test_openai_embedder_refuses_a_malformed_answer(api, client, payload, message):
    api.script = [(200, {}, payload)]

    with pytest.raises(EmbeddingError, match=message):
        client.embed(["a", "b"])


def test_offline_embedder_is_deterministic_normalised_and_1536_d():
    first, again = (
        OfflineEmbedder().embed(["Rengøring af kontor"]),
        OfflineEmbedder().embed(["Rengøring af kontor"]),
    )

    assert first == again
    assert len(first[0]) == 1536
    assert np.linalg.norm(first[0]) == pytest.approx(1.0)


def test_offline_embedder_makes_related_texts_more_similar_than_unrelated_ones():
    invoice, invoice_again, cleaning = np.array(
        OfflineEmbedder().embed(
            ["create an invoice in Billy", "Billy invoice creation", "weekly window cleaning schedule"]
        )
    )

    assert invoice @ invoice_again > invoice @ cleaning + 0.2


def test_offline_embedder_embeds_empty_and_symbol_only_text():
    vectors = OfflineEmbedder().embed(["", "!!!"])

    assert all(np.linalg.norm(v) == pytest.approx(1.0) for v in vectors)


def test_get_embedder_follows_the_settings(settings):
    settings.VAULT_EMBEDDER = "offline"
    assert get_embedder().model == OFFLINE_MODEL

    settings.VAULT_EMBEDDER = "openai"
    settings.VAULT_EMBEDDING_API_KEY = "sk-x"
    settings.VAULT_EMBEDDING_BASE_URL = "http://127.0.0.1:9/v1/"
    settings.VAULT_EMBEDDING_MODEL = "text-embedding-3-small"
    embedder = get_embedder()
    assert isinstance(embedder, OpenAIEmbedder)
    assert (embedder.url, embedder.model, embedder.api_key) == (
        "http://127.0.0.1:9/v1/embeddings",
        "text-embedding-3-small",
        "sk-x",
    )


def test_get_embedder_refuses_openai_without_a_key_and_unknown_kinds(settings):
    settings.VAULT_EMBEDDER = "openai"
    settings.VAULT_EMBEDDING_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="VAULT_EMBEDDING_API_KEY is not set"):
        get_embedder()

    settings.VAULT_EMBEDDER = "cohere"
    with pytest.raises(ImproperlyConfigured, match="'cohere'; it must be 'openai' or 'offline'"):
        get_embedder()
