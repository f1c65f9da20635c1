"""Cross-check of the hand-written rules against OpenAI's published training-format schemas.

Our rules are stricter than the schemas (they also refuse unknown keys, empty
content, audio and file parts, examples with nothing to train on), so the check is
one-way: every example we accept must be valid per the schema. The one deliberate
exception: chat data may use the ``developer`` role, which the issue asks for and the
chat schema does not list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ftops.datasets.formats import CHECKERS

from .corpus_format import CORPUS

SCHEMAS = json.loads(
    (Path(__file__).parent / "schemas" / "training_formats.json").read_text(encoding="utf-8")
)
ROOT_FOR_FORMAT = {
    "chat": "FineTuneChatRequestInput",
    "preference": "FineTunePreferenceRequestInput",
    "reinforcement": "FineTuneReinforcementRequestInput",
}
REGISTRY = Registry().with_resource("spec", Resource(contents=SCHEMAS, specification=DRAFT202012))


def validator(format: str) -> Draft202012Validator:
    schema = {"$ref": f"spec#/components/schemas/{ROOT_FOR_FORMAT[format]}"}
    return Draft202012Validator(schema, registry=REGISTRY)


VALIDATORS = {format: validator(format) for format in ROOT_FOR_FORMAT}


def accepted(format: str, example: dict[str, Any]) -> bool:
    _, issues = CHECKERS[format](example)
    return not any(severity == "error" for *_, severity in issues)


def uses_developer_in_chat(format: str, example: dict[str, Any]) -> bool:
    messages = example.get("messages")
    return (
        format == "chat"
        and isinstance(messages, list)
        and any(isinstance(m, dict) and m.get("role") == "developer" for m in messages)
    )


def corpus_examples() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        format = next(f for f in ROOT_FOR_FORMAT if f in path.name)
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                cases.append((format, value))
    return cases


def test_the_schemas_agree_on_the_good_corpus() -> None:
    for name, format in [
        ("good_chat_tools.jsonl", "chat"),
        ("good_preference.jsonl", "preference"),
        ("good_reinforcement.jsonl", "reinforcement"),
    ]:
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            errors = [e.message for e in VALIDATORS[format].iter_errors(json.loads(line))]
            assert errors == [], (name, errors)
    # and the schema check has teeth
    chat = VALIDATORS["chat"]
    assert not chat.is_valid({"messages": [{"role": "robot", "content": "x"}]})
    assert not chat.is_valid({"messages": [{"role": "assistant", "content": "x", "weight": 2}]})
    assert not VALIDATORS["preference"].is_valid({"preferred_output": [{"role": "user", "content": "x"}]})
    assert not VALIDATORS["reinforcement"].is_valid({"reference_answer": 1})


@pytest.mark.parametrize(("format", "example"), corpus_examples())
def test_what_we_accept_the_schema_accepts(format: str, example: dict[str, Any]) -> None:
    if accepted(format, example) and not uses_developer_in_chat(format, example):
        assert VALIDATORS[format].is_valid(example), [
            e.message for e in VALIDATORS[format].iter_errors(example)
        ]


texts = st.sampled_from(["hi", "", " ", "answer"])
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool", "function", "developer"])},
    optional={
        "content": texts
        | st.none()
        | st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["text", "image_url", "refusal"])},
                optional={
                    "text": texts,
                    "refusal": texts,
                    "image_url": st.fixed_dictionaries({"url": st.sampled_from(["https://a/b.png", "x"])}),
                },
            ),
            max_size=2,
        ),
        "name": texts | st.integers(),
        "weight": st.sampled_from([0, 1, 2]),
        "tool_call_id": texts,
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {
                    "id": texts,
                    "type": st.just("function"),
                    "function": st.fixed_dictionaries({"name": texts, "arguments": texts}),
                }
            ),
            max_size=1,
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(message, min_size=1, max_size=4), format=st.sampled_from(["chat", "reinforcement"]))
def test_what_we_accept_the_schema_accepts_on_generated_examples(messages: list[Any], format: str) -> None:
    example = {"messages": messages}
    if accepted(format, example) and not uses_developer_in_chat(format, example):
        assert VALIDATORS[format].is_valid(example), [
            e.message for e in VALIDATORS[format].iter_errors(example)
        ]
