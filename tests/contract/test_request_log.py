"""The request log: what tests count (a no-op apply must make zero mutating requests)."""

from __future__ import annotations

import httpx2
from openai import OpenAI

from ftops.emulator import RunningEmulator


def test_log_in_process_and_over_http(emulator: RunningEmulator, client: OpenAI) -> None:
    client.models.list()
    client.files.create(file=("a.txt", b"x"), purpose="user_data")
    client.files.list(limit=5)
    records = emulator.requests()
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/v1/models", 200),
        ("POST", "/v1/files", 200),
        ("GET", "/v1/files", 200),
    ]
    assert [r.mutating for r in records] == [False, True, False]
    assert records[2].query == "limit=5"
    listed = client.files.with_raw_response.list()
    assert listed.headers["x-request-id"] == emulator.requests()[-1].request_id != ""

    over_http = httpx2.get(emulator.root_url + "/_emulator/requests").json()
    assert [(r["method"], r["path"], r["mutating"]) for r in over_http] == [
        ("GET", "/v1/models", False),
        ("POST", "/v1/files", True),
        ("GET", "/v1/files", False),
        ("GET", "/v1/files", False),
    ]
    assert httpx2.delete(emulator.root_url + "/_emulator/requests").status_code == 200
    assert emulator.requests() == []  # and admin calls are not logged themselves
    client.models.list()
    emulator.clear_requests()
    assert emulator.requests() == []


def test_failed_requests_are_logged_with_their_status(emulator: RunningEmulator) -> None:
    httpx2.get(emulator.base_url + "/files")  # no key
    httpx2.get(emulator.base_url + "/nope", headers={"Authorization": "Bearer k"})
    assert [r.status for r in emulator.requests()] == [401, 404]
