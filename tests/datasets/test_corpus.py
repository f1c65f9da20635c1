"""The broken-line corpus gives exactly the expected diagnostics; the good files give none."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.datasets import check_dataset

from .corpus_format import CORPUS, listing


@pytest.mark.parametrize("format", ["chat", "preference", "reinforcement"])
def test_broken_lines_give_exactly_the_expected_diagnostics(format: str) -> None:
    expected = (CORPUS / f"broken_{format}.expected").read_text(encoding="utf-8").splitlines()
    assert listing(CORPUS / f"broken_{format}.jsonl", format) == expected


def test_every_broken_line_has_an_error() -> None:
    """Each line of the broken corpus is wrong in its own way: none passes unnoticed."""
    total = 0
    for format in ("chat", "preference", "reinforcement"):
        path = CORPUS / f"broken_{format}.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines()
        report = check_dataset(path, format, cap=1000, tokens=False)
        flagged = {d.line for d in report.diagnostics if d.line is not None}
        # lines 28, 30 and 42 of the chat corpus are trainable, with warnings only
        assert flagged == set(range(1, len(lines) + 1))
        total += len(lines)
    assert total >= 40


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("good_chat_tools.jsonl", "chat"),
        ("good_chat_images_weights.jsonl", "chat"),
        ("good_preference.jsonl", "preference"),
        ("good_reinforcement.jsonl", "reinforcement"),
    ],
)
def test_good_files_have_no_errors(name: str, format: str, tmp_path: Path) -> None:
    lines = (CORPUS / name).read_bytes().splitlines()
    # repeat the examples to pass the 10-example minimum; exact duplicates only warn
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines * (10 // len(lines) + 1)) + b"\n")
    report = check_dataset(path, format, model="gpt-4o-mini-2024-07-18")
    assert report.errors == (), [d.render() for d in report.errors]
    assert report.ok
    assert report.stats is not None and report.stats.examples == report.examples
    assert report.stats.total_tokens.min > 0
    codes = {d.code for d in report.warnings}
    assert codes <= {"dataset.duplicate", "dataset.few-examples", "dataset.no-system"}


def test_weight_zero_messages_are_not_trained(tmp_path: Path) -> None:
    from ftops.datasets.encodings import get_encoding

    line3 = (CORPUS / "good_chat_images_weights.jsonl").read_bytes().splitlines()[2]
    path = tmp_path / "one.jsonl"
    path.write_bytes(line3 + b"\n")
    report = check_dataset(path, "chat", model="gpt-4o-mini-2024-07-18")
    assert report.stats is not None
    encode = get_encoding("o200k_base").encode
    # "Wrong first answer." has weight 0 and is context; only the Korean answer is trained
    assert report.stats.assistant_tokens.max == len(encode("춘식이는 카카오프렌즈의 고양이예요."))
    texts = ["Answer in Korean.", "Who is Chunsik?", "minji", "Wrong first answer.", "Try again."]
    overhead = 5 * (3 + 1) + 1 + 3  # 5 messages with their roles, one name, the reply priming
    expected_total = overhead + sum(len(encode(t)) for t in texts) + report.stats.assistant_tokens.max
    assert report.stats.total_tokens.max == expected_total


def test_images_are_counted_apart() -> None:
    report = check_dataset(CORPUS / "good_chat_images_weights.jsonl", "chat", model="gpt-4o")
    assert report.stats is not None and report.stats.images == 2


def test_preference_statistics_train_on_both_outputs(tmp_path: Path) -> None:
    """DPO trains against both outputs: they are the trained tokens; the input is context."""
    from ftops.datasets.encodings import get_encoding

    line = (CORPUS / "good_preference.jsonl").read_bytes().splitlines()[0]
    path = tmp_path / "one.jsonl"
    path.write_bytes(line + b"\n")
    report = check_dataset(path, "preference", model="gpt-4.1-mini")
    encode = get_encoding("o200k_base").encode
    preferred = "The weather in San Francisco is 70 degrees Fahrenheit."
    rejected = "The weather in San Francisco is 21 degrees Celsius."
    prompt = ["Answer about the weather.", "What is the weather in San Francisco?"]
    assert report.stats is not None
    assert report.stats.assistant_tokens.max == len(encode(preferred)) + len(encode(rejected))
    assert report.stats.total_tokens.max == (
        4 * (3 + 1) + 3 + sum(len(encode(t)) for t in prompt) + report.stats.assistant_tokens.max
    )
    assert report.stats.messages.max == 4


def test_public_api() -> None:
    import ftops.datasets as datasets

    assert all(hasattr(datasets, name) for name in datasets.__all__)
    assert {"check_dataset", "check_pair", "fingerprint", "estimate_cost", "auto_epochs"} <= set(
        datasets.__all__
    )
