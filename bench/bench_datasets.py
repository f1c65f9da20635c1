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
cookbook does), and that of the token-counting worker process, when there is one.

The words of the file (``--data``): ``realistic`` (the default) draws from a vocabulary of
~4,900 words with a Zipf frequency plus rare words, numbers, non-ASCII words, markdown
lists and code blocks (see ``RealisticText``), so that a word cache meets new words as it
would in real text; ``sample`` is the ~60-word sample paragraph of the first benchmarks.
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


# --- realistic text ------------------------------------------------------------------------------------
# The sample text above has about 60 distinct words: every word is in a word cache after a few
# lines, which real text does not allow. The realistic text draws from the ~4,900 distinct
# words (with their case and attached punctuation: "The", "value,", "(see") of the Python
# documentation that ships with the interpreter (pydoc_data.topics), with a Zipf frequency
# (the word of rank r drawn in proportion to 1/r, as in natural language). 1 word in 100 is a
# rare one never seen twice (ids, URLs, e-mail addresses, identifiers, hashes): with the
# numbers, about 1.2 % of the words are new, what Heaps' law gives for English text of this
# length (a vocabulary of K * N^0.5 words, K about 30: 80,000 new words in 7 million). 1 word
# in 30 is a number (years, small counts, prices, percentages), 1 in 200 a non-ASCII word
# (accents, curly quotes, Korean, Japanese). Answers come in paragraphs, a third of them with
# a markdown list, 1 in 30 with an indented code block (double spaces: a text the word cache
# cannot split, which tiktoken encodes whole).
RARE_EVERY = 100
NUMBER_EVERY = 30
NON_ASCII_EVERY = 200
NON_ASCII = ("café", "naïve", "Zürich", "São", "don’t", "“quoted”", "it’s", "résumé", "춘식이는",
             "고구마를", "東京", "データ", "—", "€42", "Ångström", "niño")
CODE_BLOCK = "```python\ndef answer(question):\n    return model.reply(question)\n```"
_RARE = "\x00rare"
_NUMBER = "\x00number"
_NON_ASCII = "\x00non-ascii"


def realistic_vocabulary() -> tuple[list[str], list[float]]:
    """Words of the Python documentation by decreasing frequency, and cumulative Zipf weights
    (with the three kinds of drawn words above as sentinels)."""
    import re
    from collections import Counter
    from pydoc_data.topics import topics

    word = re.compile(r"\(?[A-Za-z][A-Za-z'-]*[.,;:?!)]?")
    counts = Counter(w for text in topics.values() for w in text.split() if word.fullmatch(w))
    words = [w for w, _ in counts.most_common()]
    weights = [1.0 / rank for rank in range(1, len(words) + 1)]
    total = sum(weights)
    words += [_RARE, _NUMBER, _NON_ASCII]
    weights += [total / (RARE_EVERY - 1), total / (NUMBER_EVERY - 1), total / (NON_ASCII_EVERY - 1)]
    cumulative, running = [], 0.0
    for weight in weights:
        running += weight
        cumulative.append(running)
    return words, cumulative


class RealisticText:
    """Messages of realistic text, drawn from one random generator (so a seed gives one file)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words, self.cumulative = realistic_vocabulary()
        self.plain = [w.strip(".,;:?!()") or "word" for w in self.words[:3000]]
        self.serial = 0

    def _rare(self) -> str:
        rng = self.rng
        self.serial += 1
        kind = self.serial % 5
        token = f"{rng.getrandbits(40):010x}"
        if kind == 0:
            return f"https://docs.example.com/guides/{rng.choice(self.plain[:500])}/{token}"
        if kind == 1:
            return f"order-{token[:6].upper()}-{self.serial}"
        if kind == 2:
            return f"{rng.choice(self.plain).lower()}.{self.serial}@example.com"
        if kind == 3:
            return f"sha:{token}{rng.getrandbits(24):06x}"
        return f"get{rng.choice(self.plain).capitalize()}Handler{self.serial}"

    def _number(self) -> str:
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return str(rng.randrange(1990, 2030))
        if kind == 1:
            return f"{rng.randrange(1000)}.{rng.randrange(100):02d}"
        if kind == 2:
            return f"{rng.randrange(101)}%"
        return str(rng.randrange(1000))

    def words_of(self, count: int) -> list[str]:
        drawn = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        for i, drawn_word in enumerate(drawn):
            if drawn_word[0] == "\x00":
                drawn[i] = (
                    self._rare() if drawn_word == _RARE
                    else self._number() if drawn_word == _NUMBER
                    else self.rng.choice(NON_ASCII)
                )
        return drawn

    def message(self, low: int, high: int, *, answer: bool) -> str:
        rng = self.rng
        words = self.words_of(rng.randint(low, high))
        if not answer or len(words) < 40:
            return " ".join(words)
        blocks, start = [], 0
        while start < len(words):
            size = rng.randint(30, 90)
            chunk = words[start : start + size]
            start += size
            if rng.random() < 0.3 and len(chunk) >= 12:  # a markdown list
                step = max(3, len(chunk) // 4)
                marker = rng.choice(("- ", "* ", "1. "))
                items = [" ".join(chunk[i : i + step]) for i in range(0, len(chunk), step)]
                blocks.append("\n".join(marker + item for item in items))
            else:
                blocks.append(" ".join(chunk))
        if rng.random() < 1 / 30:
            blocks.insert(rng.randrange(len(blocks) + 1), CODE_BLOCK)
        return "\n\n".join(blocks)


DATA = {
    "realistic": "~4,900 distinct words (Python's documentation) with a Zipf frequency, 1 word in 100 a rare "
    "one never repeated (ids, URLs, e-mails, hashes), 1 in 30 a number, 1 in 200 non-ASCII, answers in "
    "paragraphs with markdown lists and a few code blocks",
    "sample": f"the {len(set(WORDS))} distinct words of one sample paragraph (English and Korean), drawn "
    "uniformly: every word is cached after a few lines",
}


SHAPES = {
    # (system words, user words, assistant words): a conversational assistant with long answers,
    # and short messages as in classification or extraction data
    "long": ((10, 60), (10, 150), (20, 300)),
    "short": ((5, 15), (3, 25), (1, 8)),
    # classification or extraction with the instructions in a long system prompt
    "instructions": ((150, 400), (5, 60), (1, 10)),
}


def generate(path: Path, size_mb: float, shape: str = "long", seed: int = 7, data: str = "realistic") -> int:
    """Chat examples: a system prompt, 1-3 user/assistant turns, message lengths by ``shape``,
    words by ``data`` (see ``DATA``).

    As in most real datasets, the system prompt is one of a few fixed ones (8 here)."""
    system, user, assistant = SHAPES[shape]
    rng = random.Random(seed)
    realistic = RealisticText(rng) if data == "realistic" else None

    def text(low: int, high: int, answer: bool = False) -> str:
        if realistic is None:
            return _text(rng, low, high)
        return realistic.message(low, high, answer=answer)

    system_prompts = [text(*system) for _ in range(8)]
    target = int(size_mb * 1_000_000)
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            messages = [{"role": "system", "content": rng.choice(system_prompts)}]
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                messages.append({"role": "user", "content": text(*user)})
                messages.append({"role": "assistant", "content": text(*assistant, True)})
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
    parser.add_argument(
        "--data", choices=sorted(DATA), default="realistic", help="the words of the file (default realistic)"
    )
    parser.add_argument("--model", default="gpt-4o-mini-2024-07-18")
    parser.add_argument("--file", type=Path, help="use this file instead of generating one")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    from ftops.datasets import check_dataset, wordcache
    from ftops.datasets.encodings import get_encoding
    from ftops.datasets.tokens import PROCESSES_FROM_BYTES

    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "bench.jsonl"
        if args.file is None:
            started = time.perf_counter()
            lines = generate(path, args.size, args.shape, data=args.data)
            print(f"generated {lines:,} examples in {time.perf_counter() - started:.1f} s")
        path_bytes = path.stat().st_size
        size_mb = path_bytes / 1_000_000
        print(
            f"file: {size_mb:,.1f} MB, {size_mb * 1000 / max(1, sum(1 for _ in path.open('rb'))):.2f} KB/line"
        )
        if args.file is None:
            print(
                f"data ({args.shape}, {args.data} text): every example has a system prompt drawn from 8 "
                "fixed ones (as in real fine-tuning sets) and 1-3 user/assistant turns of random words: "
                + DATA[args.data]
            )
        encoding = get_encoding("o200k_base")
        warm = Path(tmp) / "warm.jsonl"  # import the engine's modules before anything is timed
        generate(warm, 0.05, args.shape, seed=8, data=args.data)
        check_dataset(warm, "chat", model=args.model)
        wordcache.forget()  # counted from a cold word cache, as in a fresh process
        rss_start = _rss_mb()

        t_plain, cpu_plain, plain = _timed(lambda: check_dataset(path, "chat", tokens=False))
        t_one, cpu_one, _ = _timed(lambda: _scan_one_thread(path))
        rss_plain = _rss_mb()
        started_cpu, started_workers = time.process_time(), _children_cpu()
        t_full, _, full = _timed(lambda: check_dataset(path, "chat", model=args.model))
        cpu_workers = _children_cpu() - started_workers  # the worker processes, ended and reaped by now
        cpu_full = time.process_time() - started_cpu + cpu_workers
        rss_full = _rss_mb()
        rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
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
    cores = os.cpu_count() or 1
    workers = max(1, min(4, cores - 1)) if path_bytes >= PROCESSES_FROM_BYTES and cores > 1 else 0
    print(
        f"  token counting: word cache, {workers} worker process(es) beside the parsing thread"
        if workers else "  token counting: word cache, inline on the parsing thread (a small file)"
    )
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
        f"CPU seconds (all threads and processes; the machine is shared, so wall time depends on the load): "
        f"with tokens {cpu_full:.2f} ({cpu_workers:.2f} of them in the worker process), "
        f"tokenizer alone {cpu_tok:.2f} ({cpu_full / cpu_tok:.2f}x), "
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
    if rss_workers:
        print(
            f"peak RSS of the token-counting worker process: {rss_workers:,.0f} MB (forked: most of it is "
            "the pages it shares with the parent, the loaded encoding included)"
        )
    sys.stdout.flush()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
