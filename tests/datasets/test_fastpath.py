"""The fast path for plain examples agrees with the full rules, which are the reference."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.datasets.fastpath import FAST_CHECKERS, fast_chat, fast_reinforcement
from ftops.datasets.formats import CHECKERS

from .corpus_format import CORPUS

texts = st.sampled_from(["hello", " ", "", "\n", "  spaced  ", "춘식", "a\tb"]) | st.text(max_size=8)
roles = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "x"])
plain_message = st.fixed_dictionaries({"role": roles, "content": texts | st.none() | st.integers()})
odd_message = st.dictionaries(
    st.sampled_from(["role", "content", "name", "weight"]), texts | roles, max_size=3
)
examples = st.fixed_dictionaries(
    {"messages": st.lists(plain_message | odd_message, max_size=5)},
    optional={"tools": st.just([]), "extra": st.integers()},
)


@settings(max_examples=400, deadline=None)
@given(example=examples, format=st.sampled_from(["chat", "reinforcement"]))
def test_fast_and_full_checks_agree(example: dict[str, Any], format: str) -> None:
    assert FAST_CHECKERS[format](example) == CHECKERS[format](example)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.jsonl")))
def test_fast_and_full_checks_agree_on_the_corpus(name: str) -> None:
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            assert fast_chat(value) == CHECKERS["chat"](value)
            assert fast_reinforcement(value) == CHECKERS["reinforcement"](value)


def test_the_fast_path_takes_plain_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a tautology: a plain example really is built by the fast path, without the full rules."""
    import ftops.datasets.fastpath as fastpath

    calls: list[object] = []
    original = fastpath.check_chat

    def spy(obj: dict[str, Any]) -> Any:
        calls.append(obj)
        return original(obj)

    monkeypatch.setattr(fastpath, "check_chat", spy)
    plain = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    shape, issues = fastpath.fast_chat(plain)
    assert calls == [] and issues == [] and shape.trained == ["a"] and shape.prompt == ["q"]
    fastpath.fast_chat({"messages": [{"role": "user", "content": "q"}]})  # nothing to train: full rules
    assert len(calls) == 1
