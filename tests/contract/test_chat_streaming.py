"""``stream: true``: server-sent chunks through the openai SDK's streaming, every chunk on the spec."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from ftops.emulator import RunningEmulator

from .data import wait_for_status

QUESTION: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What does Chunsik like to eat?"}]
ANSWER = "Chunsik loves sweet potatoes."


@pytest.fixture
def tuned(client: OpenAI, training_file: Path) -> str:
    file_id = client.files.create(file=training_file, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, suffix="stream")
    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.fine_tuned_model, done.error
    return str(done.fine_tuned_model)


def test_streamed_answer_equals_the_plain_one(client: OpenAI, tuned: str) -> None:
    plain = client.chat.completions.create(model=tuned, messages=QUESTION, temperature=0)
    chunks = list(client.chat.completions.create(model=tuned, messages=QUESTION, temperature=0, stream=True))
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1 and len({chunk.created for chunk in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == plain.choices[0].message.content == ANSWER
    assert len([c for c in chunks if c.choices[0].delta.content]) > 1  # a token at a time
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert all(c.usage is None for c in chunks)  # no usage unless asked for


def test_include_usage_adds_a_last_chunk_with_the_usage(client: OpenAI, tuned: str) -> None:
    plain = client.chat.completions.create(model=tuned, messages=QUESTION, n=2, temperature=0)
    stream = client.chat.completions.create(
        model=tuned,
        messages=QUESTION,
        n=2,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert plain.usage is not None and last.usage.total_tokens == plain.usage.total_tokens
    assert last.usage.completion_tokens == plain.usage.completion_tokens
    for index in (0, 1):
        pieces = [c.choices[0] for c in chunks[:-1] if c.choices[0].index == index]
        assert "".join(p.delta.content or "" for p in pieces) == ANSWER
        assert pieces[-1].finish_reason == "stop"


def test_a_streamed_answer_stops_at_the_token_limit(client: OpenAI, tuned: str) -> None:
    # The SDK's stream helper assembles the chunks and refuses an answer cut by the limit.
    with (
        pytest.raises(openai.LengthFinishReasonError) as cut,
        client.chat.completions.stream(
            model=tuned, messages=QUESTION, temperature=0, max_completion_tokens=3
        ) as stream,
    ):
        stream.get_final_completion()
    streamed = cut.value.completion.choices[0]
    assert streamed.finish_reason == "length"
    plain = client.chat.completions.create(
        model=tuned, messages=QUESTION, temperature=0, max_completion_tokens=3
    )
    assert streamed.message.content == plain.choices[0].message.content != ANSWER
    assert plain.choices[0].finish_reason == "length"


def test_the_wire_format_is_server_sent_events(emulator: RunningEmulator, tuned: str) -> None:
    answer = httpx2.post(
        emulator.base_url + "/chat/completions",
        headers={"Authorization": "Bearer key"},
        json={
            "model": tuned,
            "messages": QUESTION,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = answer.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-2]]
    assert all("usage" in chunk for chunk in chunks)  # null but for the last, with include_usage
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert all(chunk["obfuscation"] for chunk in chunks)


def test_stream_options_need_stream(client: OpenAI, tuned: str) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=tuned, messages=QUESTION, stream_options={"include_usage": True})
    assert refused.value.body["param"] == "stream_options"  # type: ignore[index]


def test_errors_come_before_the_stream_as_json(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-unknown", messages=QUESTION, stream=True)
