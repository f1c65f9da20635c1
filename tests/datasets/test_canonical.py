"""The canonical form is a function of the value alone, whichever parser read the line.

The engine parses most lines with orjson and falls back to the standard library for
the rest (bad lines, integers past 64 bits, lone surrogates, deep nesting); both roads
must give the same canonical bytes for the same value, or re-indenting a file could
change its content hash.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.datasets import check_dataset
from ftops.datasets.canonical import canonical_bytes, fast_object

Write = Callable[..., Path]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: well past orjson's 64 bits
    | st.integers(min_value=-(2**64), max_value=2**65)  # around its limits
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["\ud800", "a\udfffb", "é\u2028", "\x00\x1f\x7f"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


def reorder(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(item) for item in value]
    return value


@settings(max_examples=400, deadline=None)
@given(objects, st.booleans(), st.booleans())
def test_both_parsers_give_the_same_canonical_form(
    value: dict[str, Any], ascii_only: bool, spaced: bool
) -> None:
    separators = (" , ", " : ") if spaced else (",", ":")
    line = json.dumps(reorder(value), ensure_ascii=ascii_only, separators=separators)
    raw = line.encode("utf-8", "surrogatepass")
    exact = canonical_bytes(json.loads(line))
    assert exact == canonical_bytes(value)
    fast = fast_object(raw)
    if fast is not None:  # orjson took the line: it must agree with the exact parse
        assert fast[1] == exact + b"\n"
        assert fast[0] == json.loads(line)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) >= 1e16))
def test_orjson_writes_every_float_past_1e16_with_an_exponent(number: float) -> None:
    # fast_object relies on it: an integer past 64 bits that orjson read as a float shows as e+
    assert b"e+" in orjson.dumps(number)


def test_integers_past_64_bits_keep_their_exact_value(write_jsonl: Write) -> None:
    def rows(big: int) -> list[str]:
        return [json.dumps({"messages": [], "id": big if i == 0 else i}) for i in range(12)]

    big = 123456789012345678901234567890
    a = check_dataset(write_jsonl("a.jsonl", rows(big)), "reinforcement", tokens=False)
    b = check_dataset(write_jsonl("b.jsonl", rows(big + 1)), "reinforcement", tokens=False)
    low = check_dataset(write_jsonl("c.jsonl", rows(-(2**63) - 1)), "reinforcement", tokens=False)
    lower = check_dataset(write_jsonl("d.jsonl", rows(-(2**63) - 2)), "reinforcement", tokens=False)
    assert a.content_hash != b.content_hash  # orjson alone would read both as 1.2345678901234568e29
    assert low.content_hash != lower.content_hash


def test_deep_and_surrogate_values_hash_alike_however_written(write_jsonl: Write) -> None:
    deep: Any = "leaf"
    for _ in range(300):  # deeper than orjson writes, shallower than the standard library's limit
        deep = [deep]
    value = {"messages": [], "deep": deep, "s": "\ud800", "t": "é"}
    lines = [json.dumps({**value, "i": i}) for i in range(12)]
    spaced = [
        json.dumps(reorder({**value, "i": i}), indent=None, separators=(" , ", " : ")) for i in range(12)
    ]
    a = check_dataset(write_jsonl("a.jsonl", lines), "reinforcement", tokens=False)
    b = check_dataset(write_jsonl("b.jsonl", spaced), "reinforcement", tokens=False)
    assert a.content_hash == b.content_hash and a.examples == 12


def test_content_hash_of_a_mixed_file_is_the_hash_of_the_canonical_lines(write_jsonl: Write) -> None:
    rng = random.Random(3)
    rows = [
        {"messages": [{"role": "user", "content": f"q{i} é"}], "n": rng.choice([1, 2**70, 1e300, 0.1, -0.0])}
        for i in range(40)
    ]
    path = write_jsonl("mixed.jsonl", rows)
    report = check_dataset(path, "reinforcement", tokens=False)
    expected = b"".join(canonical_bytes(json.loads(line)) + b"\n" for line in path.read_text().splitlines())
    assert report.content_hash == "sha256:" + hashlib.sha256(expected).hexdigest()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(objects, min_size=1, max_size=6))
def test_engine_hash_equals_the_exact_canonical_hash(write_jsonl: Write, rows: list[dict[str, Any]]) -> None:
    lines = [json.dumps(row, ensure_ascii=True) for row in rows]
    report = check_dataset(write_jsonl("p.jsonl", lines), "reinforcement", tokens=False)
    expected = b"".join(canonical_bytes(json.loads(line)) + b"\n" for line in lines)
    assert report.content_hash == "sha256:" + hashlib.sha256(expected).hexdigest()
