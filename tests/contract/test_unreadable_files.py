"""Issue 17: bytes that are not text (a lone surrogate escape, bytes that are not UTF-8) in a
fine-tuning file get a 400 in the service's error shape at upload, never a 500; and whatever
bytes a file holds, neither the upload nor a job on it makes the emulator fail."""

from __future__ import annotations

import contextlib
import json

import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai import OpenAI

from ftops.emulator import RunningEmulator

from .data import CHUNSIK

GOOD = [json.dumps(example).encode() for example in CHUNSIK]
SURROGATE = b'{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "a"}]}'


def jsonl(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


@pytest.mark.parametrize(
    ("bad_line", "why"),
    [
        (SURROGATE, "line 4 holds a lone surrogate escape (half of a UTF-16 pair), which is not text"),
        (b'{"messages": "\xff\xfe"}', "line 4 is not valid UTF-8 (byte 0xff at column 15)"),
    ],
)
def test_a_fine_tuning_file_that_is_not_text_gets_a_400_at_upload(
    client: OpenAI, bad_line: bytes, why: str
) -> None:
    lines = [*GOOD[:3], bad_line, *GOOD[3:]]
    with pytest.raises(openai.BadRequestError) as refused:
        client.files.create(file=("t.jsonl", jsonl(lines)), purpose="fine-tune")
    assert refused.value.status_code == 400
    assert refused.value.body == {  # the service's error shape
        "type": "invalid_request_error", "message": f"Invalid file format: {why}.",
        "param": "file", "code": "invalid_file_format"}
    assert list(client.files.list()) == []


def test_the_same_bytes_through_the_uploads_endpoint_are_refused_at_completion(client: OpenAI) -> None:
    data = jsonl([*GOOD, SURROGATE])
    upload = client.uploads.create(filename="t.jsonl", purpose="fine-tune", bytes=len(data),
                                   mime_type="application/jsonl")
    part = client.uploads.parts.create(upload.id, data=data)
    with pytest.raises(openai.BadRequestError) as refused:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert refused.value.body["code"] == "invalid_file_format"  # type: ignore[index]
    assert list(client.files.list()) == []


def test_a_whole_surrogate_pair_and_other_purposes_are_accepted(client: OpenAI) -> None:
    pair = SURROGATE.replace(b"\\ud800", b"\\ud83d\\ude00")
    assert client.files.create(file=("t.jsonl", jsonl([*GOOD, pair])), purpose="fine-tune").id
    assert client.files.create(file=("t.jsonl", SURROGATE), purpose="user_data").id  # not read as training


def test_a_job_on_a_file_that_got_in_anyway_fails_its_file_check(
    emulator: RunningEmulator, client: OpenAI
) -> None:
    """A file stored before this check (or changed on disk) fails the job like any bad line."""
    stored = client.files.create(file=("t.jsonl", jsonl(GOOD)), purpose="fine-tune")
    emulator.store.blob_path(stored.id).write_bytes(jsonl([*GOOD, SURROGATE]))
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=stored.id)
    for _ in range(200):
        job = client.fine_tuning.jobs.retrieve(job.id)
        if job.status == "failed":
            break
    assert job.status == "failed" and job.error is not None
    assert job.error.code == "invalid_training_file"
    assert "Line 13 holds a lone surrogate escape" in (job.error.message or "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.sampled_from(GOOD),
    st.binary(max_size=40),
    st.text(max_size=20).map(lambda s: SURROGATE.replace(b'"\\ud800"', json.dumps(s).encode())),
    st.integers(0xD800, 0xDFFF).map(lambda c: SURROGATE.replace(b"d800", b"%04x" % c)),
), min_size=1, max_size=14))
def test_no_bytes_make_the_emulator_fail(client: OpenAI, lines: list[bytes]) -> None:
    try:
        stored = client.files.create(file=("t.jsonl", jsonl(lines)), purpose="fine-tune")
    except openai.BadRequestError as refused:
        assert refused.body["code"] == "invalid_file_format"  # type: ignore[index]
        return
    with contextlib.suppress(openai.BadRequestError):  # a 400 (a file still processing), never a 500
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=stored.id)
