"""Untrusted input: whatever the bytes, the validator reports; it never raises."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.datasets import check_dataset
from ftops.datasets.formats import CHECKERS

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
roles = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "robot"])
keys = st.sampled_from(
    [
        "role",
        "content",
        "name",
        "weight",
        "tool_calls",
        "tool_call_id",
        "function_call",
        "refusal",
        "audio",
        "type",
        "text",
        "image_url",
        "url",
        "function",
        "arguments",
        "id",
    ]
)
# Near-misses of real examples reach deeper into the rules than arbitrary JSON does.
messages = st.dictionaries(keys, json_values | roles, max_size=5)
examples = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(messages | json_values, max_size=4),
        "tools": json_values,
        "input": st.fixed_dictionaries({}, optional={"messages": st.lists(messages, max_size=3)}),
        "preferred_output": st.lists(messages, max_size=2),
        "non_preferred_output": st.lists(messages, max_size=2),
        "x": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600), format=st.sampled_from(sorted(CHECKERS)))
def test_any_bytes_give_a_report_never_an_exception(data: bytes, format: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.jsonl"
        path.write_bytes(data)
        report = check_dataset(path, format, model="gpt-4o-mini")
    assert report.size_bytes == len(data)
    assert report.ok == (not report.errors)
    assert all(d.render() for d in report.diagnostics)


@settings(max_examples=300, deadline=None)
@given(
    example=examples | json_values.filter(lambda v: isinstance(v, dict)),
    format=st.sampled_from(sorted(CHECKERS)),
)
def test_any_json_object_gets_checked_without_an_exception(example: dict[str, Any], format: str) -> None:
    shape, issues = CHECKERS[format](example)
    for path, message, code, severity in issues:
        assert (
            isinstance(path, str)
            and message
            and code.startswith("dataset.")
            and severity in ("error", "warning")
        )
    assert shape.messages >= 0 and all(isinstance(t, str) for t in shape.prompt + shape.trained)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(examples, min_size=1, max_size=12), format=st.sampled_from(sorted(CHECKERS)))
def test_files_of_near_miss_examples_get_a_full_report(lines: list[dict[str, Any]], format: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
        report = check_dataset(path, format, model="gpt-3.5-turbo")
    assert report.examples == len(lines)
    assert not report.ok  # fewer than 10 examples is always an error
