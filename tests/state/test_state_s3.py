"""What only the S3 backend promises: options, history in a versioned bucket, clear errors."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from tests_state_support import S3_BUCKET

from ftops.errors import StateError, UsageError
from ftops.resources import BackendConfig
from ftops.state import new_snapshot, open_storage
from ftops.state.s3 import DEFAULT_KEY, S3Storage


def open_s3(tmp_path: Path, **options: str) -> S3Storage:
    storage = open_storage(BackendConfig(type="s3", options=options), tmp_path)
    assert isinstance(storage, S3Storage)
    return storage


def test_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="bucket is required"):
        open_s3(tmp_path)
    with pytest.raises(UsageError, match="unknown option"):
        open_s3(tmp_path, bucket="b", acl="public")
    storage = open_s3(tmp_path, bucket="b")
    assert storage.key == DEFAULT_KEY and storage.lock_key == DEFAULT_KEY + ".lock"
    assert storage.describe() == f"s3://b/{DEFAULT_KEY}"


def test_a_versioned_bucket_keeps_every_serial(tmp_path: Path, s3_endpoint: str) -> None:
    storage = open_s3(tmp_path, bucket=S3_BUCKET, key="history/state.json", endpoint_url=s3_endpoint)
    snapshot = new_snapshot("p")
    for value in range(3):
        snapshot = storage.write(snapshot.with_resources({"datasets.a": {"v": value}}))
    assert storage.versioning_enabled()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    versions = client.list_object_versions(Bucket=S3_BUCKET, Prefix="history/state.json")["Versions"]
    assert len([v for v in versions if v["Key"] == "history/state.json"]) == 3
    client.close()
    storage.close()


def test_a_missing_bucket_is_one_clear_error(tmp_path: Path, s3_endpoint: str) -> None:
    storage = open_s3(tmp_path, bucket="no-such-bucket-here", endpoint_url=s3_endpoint)
    with pytest.raises(StateError, match=r"cannot read s3://no-such-bucket-here/.*NoSuchBucket"):
        storage.read()


def test_an_unreachable_endpoint_is_one_clear_error(tmp_path: Path, s3_endpoint: str) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    storage = open_s3(tmp_path, bucket=S3_BUCKET, endpoint_url=f"http://127.0.0.1:{port}")
    storage.client.meta.config.retries["max_attempts"] = 1
    with pytest.raises(StateError, match="Could not connect") as caught:
        storage.read()
    assert "AWS_" in (caught.value.hint or "")


class _Body:
    """A raw HTTP body for botocore's response parser."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.data

    def read(self, *_: object) -> bytes:
        data, self.data = self.data, b""
        return data


NOT_IMPLEMENTED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>'
    b"<Message>A header you provided implies functionality that is not implemented</Message></Error>"
)


def answer_501_to(header: str, refused: list[str]) -> Callable[..., AWSResponse | None]:
    """A store that lacks a conditional request: 501 whenever ``header`` is sent."""

    def before_send(request: Any, **_: object) -> AWSResponse | None:
        if header in request.headers:
            refused.append(request.url)
            return AWSResponse(request.url, 501, {}, _Body(NOT_IMPLEMENTED))
        return None

    return before_send


def test_a_store_without_conditional_writes_is_refused_clearly(tmp_path: Path, s3_endpoint: str) -> None:
    storage = open_s3(tmp_path, bucket=S3_BUCKET, key="no-conditions/state.json", endpoint_url=s3_endpoint)
    refused: list[str] = []
    storage.client.meta.events.register("before-send.s3.PutObject", answer_501_to("If-None-Match", refused))
    with pytest.raises(StateError, match="does not support conditional requests") as caught:
        storage.lock("apply")
    assert caught.value.hint and len(refused) == 1
    storage.close()


def test_a_store_without_conditional_deletes_still_releases_the_lock(
    tmp_path: Path, s3_endpoint: str
) -> None:
    storage = open_s3(
        tmp_path, bucket=S3_BUCKET, key="no-delete-conditions/state.json", endpoint_url=s3_endpoint
    )
    refused: list[str] = []
    storage.client.meta.events.register("before-send.s3.DeleteObject", answer_501_to("If-Match", refused))
    info = storage.lock("apply")
    storage.unlock(info.id)
    assert len(refused) == 1  # the conditional delete was refused, the plain one went through
    assert storage.current_lock() is None
    storage.close()


def test_a_lock_put_retried_after_a_lost_answer_finds_its_own_lock(tmp_path: Path, s3_endpoint: str) -> None:
    storage = open_s3(tmp_path, bucket=S3_BUCKET, key="retried-lock/state.json", endpoint_url=s3_endpoint)
    real_put = storage.client.put_object

    def put_twice(**kwargs: Any) -> Any:
        real_put(**kwargs)  # lands; its answer is "lost"
        return real_put(**kwargs)  # the retry: 412, the object exists

    storage.client.put_object = put_twice  # type: ignore[method-assign]
    info = storage.lock("apply")
    holder = storage.current_lock()
    assert holder is not None and holder.id == info.id
    storage.unlock(info.id)
    assert storage.current_lock() is None
    storage.close()
