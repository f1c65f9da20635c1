"""The compact fingerprint table: the same answers as a dict and a set, and duplicates and leakage
still found with their line numbers in files large enough to grow every partition many times."""

from __future__ import annotations

import copy
import json
import pickle
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ftops.datasets import check_dataset, check_pair
from ftops.datasets.fingerprints import FingerprintTable
from ftops.datasets.report import Distribution

from .conftest import chat_example

fingerprints = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(fingerprints, st.integers(-3, 3)), max_size=2000), st.lists(fingerprints, max_size=300)
)
def test_the_table_answers_as_a_dict_and_a_set(seen: list[int], others: list[int]) -> None:
    table, reference = FingerprintTable(), dict[int, int]()
    for line, fingerprint in enumerate(seen, start=1):
        key = fingerprint or 1  # 0 marks an empty slot: stored as 1 (documented)
        assert table.first_line(fingerprint, line) == reference.setdefault(key, line)
    frozen = table.freeze()
    assert len(frozen) == len(reference) and set(frozen) == set(reference)
    assert all(key in frozen for key in reference)
    other_table = FingerprintTable()
    for line, fingerprint in enumerate(others, start=1):
        other_table.first_line(fingerprint, line)
    other = other_table.freeze()
    expected = len(set(reference) & {f or 1 for f in others})
    assert frozen.shared_with(other) == other.shared_with(frozen) == expected
    assert (frozen == other) == (set(reference) == {f or 1 for f in others})
    copied = pickle.loads(pickle.dumps(frozen))
    assert copied == frozen and set(copied) == set(frozen) and copy.deepcopy(frozen) == frozen


def test_line_numbers_past_32_bits_are_kept() -> None:
    table = FingerprintTable()
    assert table.first_line(42, 7) == 7
    assert table.first_line(43, 2**33 + 5) == 2**33 + 5
    assert table.first_line(43, 2**33 + 9) == 2**33 + 5
    assert table.first_line(42, 2**33 + 10) == 7


@given(st.lists(st.integers(0, 200_000), min_size=1, max_size=500))
def test_distribution_from_counts_equals_the_sorted_values(values: list[int]) -> None:
    ordered = sorted(values)
    n = len(ordered)
    expected = Distribution(
        ordered[0],
        sum(ordered) / n,
        ordered[max(0, -(-n // 2) - 1)],
        ordered[max(0, -(-9 * n // 10) - 1)],
        ordered[-1],
    )
    assert Distribution.of_counts(Counter(values)) == Distribution.of(values) == expected


def test_duplicates_and_leakage_in_a_large_file_keep_their_line_numbers(
    write_jsonl: Callable[..., Path],
) -> None:
    rng = random.Random(4)
    rows: list[object] = [chat_example(i) for i in range(5000)]
    # duplicates of earlier examples, some re-serialised with keys reordered and spaces
    for _ in range(40):
        original = rng.randrange(len(rows))
        while not isinstance(rows[original], dict):
            original = rng.randrange(len(rows))
        copy = rows[original]
        assert isinstance(copy, dict)
        spaced = json.dumps(dict(reversed(list(copy.items()))), separators=(" , ", " : "))
        rows.insert(rng.randrange(original + 1, len(rows) + 1), spaced if rng.random() < 0.5 else copy)
    expected = []
    first: dict[str, int] = {}
    for line, row in enumerate(rows, start=1):
        key = json.dumps(json.loads(row) if isinstance(row, str) else row, sort_keys=True)
        if key in first:
            expected.append((line, f"exact duplicate of line {first[key]}"))
        first.setdefault(key, line)
    assert len(expected) == 40
    train = check_dataset(write_jsonl("train.jsonl", rows), "chat", tokens=False, cap=100)
    found = [(d.line, d.message) for d in train.diagnostics if d.code == "dataset.duplicate"]
    assert found == expected
    assert len(train.example_hashes) == 5000

    # a validation set: 37 examples from the training file (some reformatted) and 263 new ones
    shared = [chat_example(i) for i in rng.sample(range(5000), 37)]
    new = [chat_example(i) for i in range(10_000, 10_263)]
    validation_rows: list[object] = [
        json.dumps(row, indent=None, separators=(",  ", ":  ")) if n % 2 else row
        for n, row in enumerate(shared + new)
    ]
    rng.shuffle(validation_rows)
    validation = check_dataset(write_jsonl("valid.jsonl", validation_rows), "chat", tokens=False)
    leak = [d for d in check_pair(train, validation) if d.code == "dataset.leakage"]
    assert [d.message.split(" also")[0] for d in leak] == ["37 examples (12% of the validation set)"]
