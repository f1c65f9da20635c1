from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftops.datasets import check_dataset, check_pair

from .conftest import chat_example


def test_leakage_and_a_larger_validation_set_are_reported(write_jsonl: Callable[..., Path]) -> None:
    train = check_dataset(
        write_jsonl("train.jsonl", [chat_example(i) for i in range(20)]),
        "chat",
        display_name="train.jsonl",
        tokens=False,
    )
    validation = check_dataset(
        write_jsonl("valid.jsonl", [chat_example(i) for i in range(15, 40)]),
        "chat",
        display_name="valid.jsonl",
        tokens=False,
    )
    found = {d.code: d for d in check_pair(train, validation)}
    assert set(found) == {"dataset.leakage", "dataset.validation-larger"}
    leak = found["dataset.leakage"]
    assert leak.severity == "warning" and leak.file == "valid.jsonl"
    assert leak.message.startswith(
        "5 examples (20% of the validation set) also in the training file train.jsonl"
    )
    assert "25 examples" in found["dataset.validation-larger"].message


def test_a_clean_pair_has_nothing_to_say(write_jsonl: Callable[..., Path]) -> None:
    train = check_dataset(write_jsonl("t.jsonl", [chat_example(i) for i in range(30)]), "chat", tokens=False)
    validation = check_dataset(
        write_jsonl("v.jsonl", [chat_example(i) for i in range(30, 40)]), "chat", tokens=False
    )
    assert check_pair(train, validation) == ()
