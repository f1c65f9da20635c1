"""The Azure gateway reads untrusted paths, query strings and headers: whatever arrives, it either
answers 404/400/401 in Azure's shape or hands on a /v1 request with a bearer key, never raises."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.emulator.azure import API_VERSIONS, DEPLOYMENT_KEY, AzureGateway

KEYS = frozenset({"the-right-key-123"})
header_names = st.sampled_from([b"api-key", b"authorization", b"Api-Key", b"AUTHORIZATION", b"x-other"])
header_values = st.one_of(st.binary(max_size=40), st.sampled_from(
    [b"the-right-key-123", b"Bearer tok", b"bearer  ", b"Basic abc", b""]))
queries = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(sorted(API_VERSIONS)).map(lambda v: f"api-version={v}".encode()),
    st.text(max_size=20).map(lambda v: f"api-version={v}&limit=3".encode("utf-8", "surrogatepass")),
)
paths = st.one_of(
    st.text(max_size=40).map(lambda p: "/openai/" + p),
    st.text(min_size=1, max_size=20).map(lambda d: f"/openai/deployments/{d}/chat/completions"),
    st.sampled_from(["/openai/", "/openai/deployments//chat/completions", "/openai/models"]),
)


def call(scope: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    passed: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        passed.append(scope)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    asyncio.run(AzureGateway(inner, KEYS)(scope, receive, send))
    return passed, sent


@settings(max_examples=300, deadline=None)
@given(paths, queries, st.lists(st.tuples(header_names, header_values), max_size=4))
def test_any_request_is_refused_cleanly_or_passed_on_as_v1(path: str, query: bytes,
                                                           headers: list[tuple[bytes, bytes]]) -> None:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": headers}
    passed, sent = call(scope)
    if passed:
        (inner,) = passed
        assert inner["path"].startswith("/v1/") and not sent
        credentials = [v for k, v in inner["headers"] if k.lower() in (b"authorization", b"api-key")]
        assert len(credentials) == 1 and credentials[0].startswith(b"Bearer ")
        deployment = inner["state"].get(DEPLOYMENT_KEY)
        assert deployment is None or path.startswith(f"/openai/deployments/{deployment}/")
    else:
        start, body = sent
        assert start["status"] in (400, 401, 404)
        error = json.loads(body["body"])["error"]
        assert set(error) == {"code", "message"} and error["message"]


def test_other_paths_are_not_touched() -> None:
    scope = {"type": "http", "method": "GET", "path": "/v1/models", "query_string": b"", "headers": []}
    passed, sent = call(scope)
    assert passed == [scope] and sent == []
