"""Token counts: the real encodings, built offline, counting exactly as the tokenizer does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as official

from ftops.datasets import check_dataset
from ftops.datasets.encodings import SPECS, get_encoding, read_rank_file
from ftops.datasets.shape import Shape
from ftops.datasets.tokens import count_batch, count_texts


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """tiktoken's own loader (which downloads) must never run; nor may a cache dir help us."""
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("tiktoken tried to load (download) an encoding file")

    monkeypatch.setattr(tiktoken.load, "read_file", refuse)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", refuse)


def test_known_token_ids_and_counts() -> None:
    o200k, cl100k = get_encoding("o200k_base"), get_encoding("cl100k_base")
    assert o200k.encode("hello world") == [24912, 2375]
    assert cl100k.encode("hello world") == [15339, 1917]
    assert len(cl100k.encode("tiktoken is great!")) == 6  # the example of tiktoken's README
    assert o200k.n_vocab == 200019 and cl100k.n_vocab == 100277
    assert o200k.decode(o200k.encode("춘식이는 고구마를 좋아해요")) == "춘식이는 고구마를 좋아해요"


def test_encoding_is_cached_per_process() -> None:
    assert get_encoding("o200k_base") is get_encoding("o200k_base")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_pattern_and_special_tokens_are_the_official_ones(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Call tiktoken's own constructor with the download replaced by our verified file."""
    expected_hashes: list[str] = []

    def load_tiktoken_bpe(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        expected_hashes.append(expected_hash or "")
        return {}

    monkeypatch.setattr(official, "load_tiktoken_bpe", load_tiktoken_bpe)
    reference = official.ENCODING_CONSTRUCTORS[name]()
    spec = SPECS[name]
    assert reference["pat_str"] == spec.pat_str
    assert reference["special_tokens"] == dict(spec.special_tokens)
    assert expected_hashes == [spec.sha256]
    read_rank_file(name)  # raises unless the shipped file has that hash


def test_roles_are_one_token_each() -> None:
    """The formatting overhead counts every role as one token (TOKENS_PER_MESSAGE = 3 + 1)."""
    for name in SPECS:
        encoding = get_encoding(name)
        for role in ("system", "developer", "user", "assistant", "tool", "function"):
            assert len(encoding.encode(role)) == 1


TRICKY = [
    "hello world",
    "  leading and trailing spaces  ",
    "\n\nnew lines\r\n",
    "tabs\tand   runs   of spaces ",
    "numbers 1234567 3.14159",
    "춘식이는 고구마를 좋아해요 🍠",
    "'s 're contractions don't",
    " ",
    "a",
    "<|endoftext|> written as text",
    "<|endofprompt|>",
    "<|fim_prefix|> not special here",
]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_batched_counts_equal_one_call_per_text(name: str) -> None:
    encoding = get_encoding(name)
    shapes = [
        Shape(prompt=[TRICKY[i], TRICKY[-1 - i]], trained=[TRICKY[(i * 5) % len(TRICKY)]]) for i in range(8)
    ]
    shapes.append(Shape(prompt=[], trained=[]))
    shapes.append(Shape(prompt=["only prompt"], trained=[]))
    prompt, trained = count_batch(encoding, shapes)
    assert prompt == [sum(len(encoding.encode_ordinary(t)) for t in s.prompt) for s in shapes]
    assert trained == [sum(len(encoding.encode_ordinary(t)) for t in s.trained) for s in shapes]
    clean = [s for s in shapes if not any("<|" in t for t in s.prompt + s.trained)]
    assert count_batch(encoding, clean) == (
        [count_texts(encoding, s.prompt) for s in clean],
        [count_texts(encoding, s.trained) for s in clean],
    )


def cookbook_counts(path: Path, encoding: tiktoken.Encoding) -> tuple[list[int], list[int]]:
    """OpenAI cookbook (Chat_finetuning_data_prep): num_tokens_from_messages and assistant tokens."""
    totals, assistant = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        messages = json.loads(line)["messages"]
        tokens = 0
        for message in messages:
            tokens += 3
            for key, value in message.items():
                tokens += len(encoding.encode(value))
                if key == "name":
                    tokens += 1
        totals.append(tokens + 3)
        assistant.append(
            sum(len(encoding.encode(m["content"])) for m in messages if m["role"] == "assistant")
        )
    return totals, assistant


@pytest.mark.parametrize(
    ("model", "encoding_name"),
    [("gpt-4o-mini-2024-07-18", "o200k_base"), ("gpt-3.5-turbo-0125", "cl100k_base")],
)
def test_file_counts_equal_the_cookbook(model: str, encoding_name: str, tmp_path: Path) -> None:
    rows = []
    for i in range(60):
        messages = [{"role": "system", "content": f"System prompt {i % 3}"}]
        for turn in range(1 + i % 3):
            messages.append(
                {"role": "user", "content": TRICKY[(i + turn) % 9] + f" question {i}", "name": "kim"}
            )
            messages.append({"role": "assistant", "content": f"answer {turn} " * (1 + i % 7)})
        rows.append(json.dumps({"messages": messages}, ensure_ascii=False))
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = check_dataset(path, "chat", model=model, workers=2)
    totals, assistant = cookbook_counts(path, get_encoding(encoding_name))
    stats = report.stats
    assert stats is not None and stats.encoding == encoding_name
    assert (stats.total_tokens.min, stats.total_tokens.max) == (min(totals), max(totals))
    assert stats.total_tokens.mean == pytest.approx(sum(totals) / len(totals))
    assert stats.assistant_tokens.mean == pytest.approx(sum(assistant) / len(assistant))
    assert stats.billed_tokens == sum(totals)


@pytest.mark.parametrize("encoding_name", ["o200k_base", "cl100k_base"])
def test_large_file_path_counts_equal_the_cookbook(
    encoding_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The large-file path (a worker process, or tiktoken threads where this process cannot fork)
    counts what the cookbook counts."""
    from ftops.datasets import engine, tokens

    monkeypatch.setattr(tokens, "PROCESSES_FROM_BYTES", 0)
    monkeypatch.setattr(engine, "THREADS_FROM_BYTES", 0)
    monkeypatch.setattr(engine, "BATCH_EXAMPLES", 7)  # many batches, so that some are counted inline
    rows = []
    for i in range(200):
        messages = [{"role": "system", "content": f"System prompt {i % 3}"}]
        messages.append({"role": "user", "content": TRICKY[i % 9] + f" question {i}"})  # none special
        messages.append({"role": "assistant", "content": f"answer {i} " * (1 + i % 9) + TRICKY[(i * 7) % 9]})
        rows.append(json.dumps({"messages": messages}, ensure_ascii=False))
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = "gpt-4o-mini-2024-07-18" if encoding_name == "o200k_base" else "gpt-3.5-turbo-0125"
    report = check_dataset(path, "chat", model=model)
    totals, assistant = cookbook_counts(path, get_encoding(encoding_name))
    stats = report.stats
    assert stats is not None and stats.encoding == encoding_name
    assert stats.billed_tokens == sum(totals)
    assert stats.assistant_tokens.mean == pytest.approx(sum(assistant) / len(assistant))


def test_the_counter_is_chosen_by_file_size_and_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from ftops.datasets import tokens

    encoding = get_encoding("o200k_base")
    small = tokens.open_counter(encoding, workers=None, file_bytes=1000)
    assert small._pool is None  # inline
    small.close()
    monkeypatch.setattr(tokens, "can_fork", lambda: False)
    threaded = tokens.open_counter(encoding, workers=None, file_bytes=tokens.PROCESSES_FROM_BYTES)
    assert threaded._pool is not None and not threaded.uses_processes
    threaded.close()
    monkeypatch.setattr(tokens, "can_fork", lambda: True)
    forked = tokens.open_counter(encoding, workers=None, file_bytes=tokens.PROCESSES_FROM_BYTES)
    assert forked.uses_processes
    forked.close()


def test_a_fresh_process_counts_a_large_file_in_a_worker_process(tmp_path: Path) -> None:
    """The path a CLI run takes: one thread, so the counter forks; counts equal the cookbook's."""
    import subprocess
    import sys

    rows = [
        json.dumps({"messages": [
            {"role": "system", "content": "You count tokens."},
            {"role": "user", "content": f"question {i}: {TRICKY[i % 9]}"},
            {"role": "assistant", "content": f"answer {i} " * (1 + i % 5)},
        ]}, ensure_ascii=False)
        for i in range(300)
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    marks = tmp_path / "counted-by"
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from ftops.datasets import check_dataset, engine, tokens\n"
        "tokens.PROCESSES_FROM_BYTES = 0; engine.THREADS_FROM_BYTES = 0; engine.BATCH_EXAMPLES = 16\n"
        "assert tokens.can_fork()\n"
        "count_in_worker = tokens._count_in_worker\n"
        "def marked(*args):\n"  # the forked worker inherits this module, patched
        "    with open(sys.argv[2], 'a') as out: out.write(f'{os.getpid()}\\n')\n"
        "    return count_in_worker(*args)\n"
        "tokens._count_in_worker = marked\n"
        "report = check_dataset(Path(sys.argv[1]), 'chat', model='gpt-4o-mini-2024-07-18')\n"
        "print(report.stats.billed_tokens, os.getpid())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(marks)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    billed, parent = done.stdout.split()
    totals, _ = cookbook_counts(path, get_encoding("o200k_base"))
    assert int(billed) == sum(totals)
    workers = set(marks.read_text().split())
    assert workers and parent not in workers  # batches were counted in another process
