"""Benchmark of the dataset engine, side by side in one run on one synthetic chat file.

    .venv/bin/python -m bench.bench_datasets            # 200 MB (the issue's figure)
    .venv/bin/python -m bench.bench_datasets --size 20  # a quicker look

Measures, on the same file:
  1. validation + hashing without tokens (check_dataset(tokens=False)), MB/s;
  2. validation + hashing + token counts + statistics (check_dataset(model=...)), MB/s;
  3. the tokenizer alone encoding every text of the file, one call per text (what the
     cookbook's counting costs in the tokenizer), on one thread, with the texts already
     in memory: the floor that item 2 is compared with;
  4. the cookbook's data-prep notebook pass: json.loads each line, loop over messages, encode
     every value (total tokens), and encode each assistant content again (assistant tokens),
     the two per-example statistics ftops reports; and its total-token loop alone;
and the peak resident memory of the process (ru_maxrss), which must not grow with the
file: the file is streamed, never read whole (except by the cookbook pass, as the
cookbook does).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SAMPLE_TEXT = (
    "the model answers questions about the kakao friends characters and their stories with short "
    "clear sentences fine tuning data needs consistent tone format and examples of edge cases "
    "Chunsik is a cat who wears a sweet potato hat and lives with Ryan 춘식이는 고구마를 좋아해요 "
    'numbers like 42 3.14 2026 and punctuation, such as: commas; quotes "here" and (parentheses)!'
)
WORDS = tuple(SAMPLE_TEXT.split(" "))


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


SHAPES = {
    # (system words, user words, assistant words): a conversational assistant with long answers,
    # and short messages as in classification or extraction data
    "long": ((10, 60), (10, 150), (20, 300)),
    "short": ((5, 15), (3, 25), (1, 8)),
    # classification or extraction with the instructions in a long system prompt
    "instructions": ((150, 400), (5, 60), (1, 10)),
}


def generate(path: Path, size_mb: float, shape: str = "long", seed: int = 7) -> int:
    """Chat examples: a system prompt, 1-3 user/assistant turns, message lengths by ``shape``.

    As in most real datasets, the system prompt is one of a few fixed ones (8 here)."""
    system, user, assistant = SHAPES[shape]
    rng = random.Random(seed)
    system_prompts = [_text(rng, *system) for _ in range(8)]
    target = int(size_mb * 1_000_000)
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            messages = [{"role": "system", "content": rng.choice(system_prompts)}]
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                messages.append({"role": "user", "content": _text(rng, *user)})
                messages.append({"role": "assistant", "content": _text(rng, *assistant)})
            line = json.dumps({"messages": messages}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            lines += 1
    return lines


def texts_of(path: Path) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            for message in json.loads(line)["messages"]:
                texts.append(message["content"])
    return texts


def cookbook_pass(path: Path, encoding: object, *, assistant_tokens: bool = True) -> tuple[int, int]:
    """The cookbook's data-prep notebook: whole file in memory, json.loads each line, then per
    example ``num_tokens_from_messages`` (encode every value of every message) and, for the
    assistant-token distribution, ``num_assistant_tokens_from_messages`` (which encodes each
    assistant content again). Those are the two statistics ftops reports; with
    ``assistant_tokens=False`` only the first, the one-encode-per-value pass."""
    encode = encoding.encode  # type: ignore[attr-defined]
    with path.open(encoding="utf-8") as handle:
        dataset = [json.loads(line) for line in handle]
    total = 0
    assistant_total = 0
    for example in dataset:
        tokens = 3
        for message in example["messages"]:
            tokens += 3
            for key, value in message.items():
                tokens += len(encode(value))
                if key == "name":
                    tokens += 1
        total += tokens
        if assistant_tokens:
            for message in example["messages"]:
                if message["role"] == "assistant":
                    assistant_total += len(encode(message["content"]))
    return total, assistant_total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=float, default=200.0, help="file size in MB (default 200)")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default="long", help="message lengths (default long)"
    )
    parser.add_argument("--model", default="gpt-4o-mini-2024-07-18")
    parser.add_argument("--file", type=Path, help="use this file instead of generating one")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    from ftops.datasets import check_dataset
    from ftops.datasets.encodings import get_encoding

    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "bench.jsonl"
        if args.file is None:
            started = time.perf_counter()
            lines = generate(path, args.size, args.shape)
            print(f"generated {lines:,} examples in {time.perf_counter() - started:.1f} s")
        size_mb = path.stat().st_size / 1_000_000
        print(
            f"file: {size_mb:,.1f} MB, {size_mb * 1000 / max(1, sum(1 for _ in path.open('rb'))):.2f} KB/line"
        )
        if args.file is None:
            print(
                f"data ({args.shape}): every example has a system prompt drawn from 8 fixed ones (as in real "
                "fine-tuning sets) and 1-3 user/assistant turns of random words, none repeated"
            )
        encoding = get_encoding("o200k_base")
        warm = Path(tmp) / "warm.jsonl"  # import the engine's modules before anything is timed
        generate(warm, 0.05, args.shape)
        check_dataset(warm, "chat", model=args.model)
        rss_start = _rss_mb()

        t_plain, cpu_plain, plain = _timed(lambda: check_dataset(path, "chat", tokens=False))
        t_one, cpu_one, _ = _timed(lambda: _scan_one_thread(path))
        rss_plain = _rss_mb()
        started_cpu = time.process_time()
        t_full, _, full = _timed(lambda: check_dataset(path, "chat", model=args.model))
        cpu_full = time.process_time() - started_cpu
        rss_full = _rss_mb()
        assert plain.content_hash == full.content_hash and full.stats is not None and full.ok

        texts = texts_of(path)
        text_mb = sum(len(t.encode("utf-8")) for t in texts) / 1_000_000
        encode = encoding.encode_ordinary
        t_tok, cpu_tok, token_sum = _timed(lambda: sum(len(encode(text)) for text in texts))  # noqa: F821
        t_tok2, _, _ = _timed(lambda: encoding.encode_ordinary_batch(texts, num_threads=2))  # noqa: F821
        del texts  # before the cookbook pass, which holds the whole file
        t_cook, cpu_cook, (cookbook_total, cookbook_assistant) = _timed(lambda: cookbook_pass(path, encoding))
        rss_cook = _rss_mb()
        t_cook1, _, _ = _timed(lambda: cookbook_pass(path, encoding, assistant_tokens=False))

    ours_total = round(full.stats.total_tokens.mean * full.stats.examples)
    ours_assistant = round(full.stats.assistant_tokens.mean * full.stats.examples)
    load = os.getloadavg()[0]
    print(f"load average before the run: {load_before:.2f}, after: {load:.2f} (2 cores, shared machine)")
    print("validation + hashing, no tokens:")
    print(
        f"  wall {t_plain:7.2f} s  {size_mb / t_plain:7.1f} MB/s; parsing thread "
        f"{size_mb / cpu_plain:7.1f} MB per CPU-second (check_dataset(tokens=False): SHA-256 on a 2nd thread)"
    )
    print(
        f"  wall {t_one:7.2f} s  {size_mb / t_one:7.1f} MB/s; "
        f"{size_mb / cpu_one:7.1f} MB per CPU-second with everything on one thread (one core)"
    )
    print(f"with tokens and statistics       : {t_full:7.2f} s  {size_mb / t_full:7.1f} MB/s")
    print(
        f"tokenizer alone, {text_mb:,.0f} MB of text  : {t_tok:7.2f} s one thread, {t_tok2:7.2f} s "
        f"encode_ordinary_batch on 2 threads ({token_sum:,} tokens)"
    )
    print(
        f"cookbook notebook's pass         : {t_cook:7.2f} s  {size_mb / t_cook:7.1f} MB/s  "
        "(total and assistant tokens per example, as ftops reports)"
    )
    print(
        f"  its total-token loop alone     : {t_cook1:7.2f} s  {size_mb / t_cook1:7.1f} MB/s  "
        "(one encode() per value)"
    )
    print(
        f"ratio with tokens / tokenizer alone : {t_full / t_tok:5.2f}x one thread, "
        f"{t_full / t_tok2:5.2f}x two threads  (goal <= 1.5x)"
    )
    print(
        f"speed-up over the cookbook pass     : {t_cook / t_full:5.2f}x the notebook's pass, "
        f"{t_cook1 / t_full:5.2f}x its total-token loop alone  (goal >= 5x)"
    )
    print(
        f"CPU seconds (all threads; the machine is shared, so wall time depends on the load): "
        f"with tokens {cpu_full:.2f}, tokenizer alone {cpu_tok:.2f} ({cpu_full / cpu_tok:.2f}x), "
        f"cookbook {cpu_cook:.2f} ({cpu_cook / cpu_full:.2f}x ours)"
    )
    agree = ours_total == cookbook_total and ours_assistant == cookbook_assistant
    print(
        f"token totals agree with the cookbook: {agree} ({ours_total:,} vs {cookbook_total:,}; "
        f"assistant {ours_assistant:,} vs {cookbook_assistant:,})"
    )
    print(
        f"peak RSS: {rss_start:,.0f} MB with the encoding loaded, {rss_plain:,.0f} MB after the no-token "
        f"passes, {rss_full:,.0f} MB after the token pass, {rss_cook:,.0f} MB after the cookbook pass "
        "(whole file in memory)"
    )
    sys.stdout.flush()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """Wall seconds and this thread's CPU seconds of ``run``."""
    wall, cpu = time.perf_counter(), time.thread_time()
    result = run()
    return time.perf_counter() - wall, time.thread_time() - cpu, result


def _scan_one_thread(path: Path) -> object:
    from ftops.datasets.collect import Collector
    from ftops.datasets.engine import Scanner

    return Scanner(path, "chat", Collector(str(path)), background_hashing=False).run()


if __name__ == "__main__":
    main()
