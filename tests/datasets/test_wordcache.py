"""The word cache counts exactly what tiktoken counts, for both encodings, whatever the text."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator

import pytest
import regex  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.datasets import wordcache
from ftops.datasets.encodings import SPECS, get_encoding
from ftops.datasets.shape import Shape
from ftops.datasets.tokens import BatchCounter, count_batch, count_lists
from ftops.datasets.wordcache import WordCounter, encode_each, split_words, word_counter

NAMES = sorted(SPECS)

# One counter per encoding for the whole module: hypothesis examples share a warm cache, where
# bugs in reusing counts would hide.
COUNTERS = {name: WordCounter(get_encoding(name)) for name in NAMES}

# Characters that decide where tiktoken's pieces start, biased toward the ones next to spaces.
TRICKY_CHARS = [
    " ", " ", " ", " ", "\n", "\n", "\t", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000",
    "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\x1c", "\x1f", "\u200b",
    "'", "'s", "'S", "'ll", "'re", "'ve", "'d", "'m", "'t", "’", ".", ",", "!", "?", "-", "/", "(",
    ")", "\"", "#", "0", "7", "12", "123", "1234", "3.14", "a", "b", "Z", "é", "e\u0301", "\u0301",
    "ǅ", "ʰ", "춘", "식", "東", "京", "データ", "🍠", "\U0001f600", "ñ", "ß", "İ", "<|endoftext|>",
    "<|endofprompt|>", "<|fim_prefix|>", "<|",
]
WORDS = ["the", "The", "model", "answers", "Hello", "don't", "it's", "HTTP", "x", "I", "naïve",
         "https://example.com/a/b?c=1", "snake_case", "camelCase", "a1b2", "고구마를", "좋아해요"]

WHITESPACE = " \t\n\r\x0b\x0c\x85\xa0\u2009\u3000"
# Unicode White_Space, the \\s of tiktoken's regex (checked in a test below), and nothing.
WHITE_SPACE = [
    "", *"\t\n\x0b\x0c\r \x85\xa0\u1680", *map(chr, range(0x2000, 0x200B)), *"\u2028\u2029\u202f\u205f\u3000"
]

texts = st.lists(
    st.one_of(
        st.sampled_from(TRICKY_CHARS),
        st.sampled_from(WORDS),
        st.text(alphabet=WHITESPACE, min_size=1, max_size=4),  # runs of mixed whitespace: "\t \n"
        # a space between two whitespace characters: "\u3000 \xa0"
        st.builds("{} {}".format, st.sampled_from(WHITE_SPACE), st.sampled_from(WHITE_SPACE)),
        st.text(max_size=4),  # anything, lone surrogates included
    ),
    max_size=30,
).map("".join)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_count_equals_tiktoken(name: str, text: str) -> None:
    encoding = get_encoding(name)
    assert COUNTERS[name].count(text) == len(encoding.encode_ordinary(text))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(texts, max_size=12))
def test_a_batch_with_repeated_new_words_counts_each_text_exactly(name: str, batch: list[str]) -> None:
    """Words new to the cache count 0 until the batch settles: every text must still add them."""
    encoding = get_encoding(name)
    batch = batch + [text + " " + text for text in batch]  # the same new words several times
    counted = COUNTERS[name].count_many(batch)
    for text, count in zip(batch, counted, strict=True):
        if count is not None:
            assert count == len(encoding.encode_ordinary(text)), text


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prompts=st.lists(st.lists(texts, max_size=4), max_size=6),
    trained=st.lists(st.lists(texts, max_size=3)),
)
def test_count_lists_equals_one_encode_per_text(
    name: str, prompts: list[list[str]], trained: list[list[str]]
) -> None:
    encoding = get_encoding(name)
    trained = (trained + [[]] * len(prompts))[: len(prompts)]

    def expected(lists: list[list[str]]) -> list[int]:
        return [sum(len(encoding.encode_ordinary(text)) for text in texts) for texts in lists]

    assert count_lists(encoding, prompts, trained) == (expected(prompts), expected(trained))


def test_words_split_only_where_no_space_follows_whitespace() -> None:
    assert split_words("hello world") == ["hello", "world"]
    assert split_words("one\ntwo three\n\n- four") == ["one\ntwo", "three\n\n-", "four"]
    assert split_words("tab\tinside words") == ["tab\tinside", "words"]
    assert split_words("café “quoted” 東京") == ["café", "“quoted”", "東京"]
    # A space before whitespace, and a leading or trailing space, are fine: "a" then " \n", " b"...
    assert split_words(" leading") == ["", "leading"] and split_words("trailing ") == ["trailing", ""]
    assert split_words("hard break \nnext") == ["hard", "break", "\nnext"]
    assert split_words("a \tb \rc") == ["a", "\tb", "\rc"]
    assert split_words("") == [""]
    for text in (
        "a  b", "a\n b", "a\t b", "a\r b", "a\x0b b", "a\x0c b", "a\u3000 b", "a\u2009 b", "\n leading",
        # conservative: any whitespace outside ASCII sends the text whole
        "a \xa0b", "a \x85b", "non-breaking\xa0space apart",
    ):
        assert split_words(text) is None, repr(text)


@pytest.mark.parametrize("name", NAMES)
def test_every_pair_of_whitespace_around_a_space(name: str) -> None:
    """Exhaustive where it matters: every whitespace character (or none) on each side of a
    space, with a letter, a newline or nothing further out."""
    encoding = get_encoding(name)
    counter = WordCounter(encoding)
    for before in WHITE_SPACE:
        for after in WHITE_SPACE:
            for outside in ("", "x", "\n"):
                for text in (f"{outside}{before} {after}{outside}", f"a{before} {after}b {outside}"):
                    assert counter.count(text) == len(encoding.encode_ordinary(text)), repr(text)


def test_unicode_whitespace_is_all_refused_before_a_space() -> None:
    """Every White_Space character (tiktoken's \\s) just before a space sends the text whole."""
    white_space = [chr(c) for c in range(sys.maxunicode + 1) if regex.match(r"\s", chr(c))]
    assert white_space == WHITE_SPACE[1:]
    for char in white_space:
        assert split_words(f"a{char} b") is None, hex(ord(char))
    assert not any(regex.match(r"\s", c) for c in ("\x1c", "\x1f", "\u200b"))


@pytest.mark.parametrize("name", NAMES)
def test_known_counts(name: str) -> None:
    encoding = get_encoding(name)
    counter = WordCounter(encoding)
    samples = [
        "hello world",
        "The model's answer: 42 tokens, not 41!",
        "don't stop 'til it's done",
        "x" * 500 + " " + "y" * 45,  # words too long to keep
        "numbers 1234567 3.14159 2026-11-24",
        "춘식이는 고구마를 좋아해요 🍠",
        "line one\nline two\n\n- item\n- item",
        "<|endoftext|> written as text, and <|endofprompt|> too",
        "two  spaces",
    ]
    for _ in range(2):  # cold, then warm
        expected = [len(encoding.encode_ordinary(text)) for text in samples]
        assert [counter.count(text) for text in samples] == expected
    assert counter.count("hello world") == 2


def test_first_words_and_other_words_are_kept_apart() -> None:
    """"potato" alone is 2 tokens, " potato" after a space is 1: the two caches must not mix."""
    encoding = get_encoding("o200k_base")
    counter = WordCounter(encoding)
    word = "potato"
    assert len(encoding.encode_ordinary(word)) != len(encoding.encode_ordinary(" " + word))
    for text in (word, f"{word} {word}", f"a {word}", word):
        assert counter.count(text) == len(encoding.encode_ordinary(text))


def test_long_words_are_counted_but_not_kept() -> None:
    counter = WordCounter(get_encoding("o200k_base"))
    long_word = "z" * (wordcache.MAX_WORD_CHARS + 1)
    counter.count(f"short {long_word}")
    assert counter.cached_words() == 1  # "short" as a first word, nothing for the long one
    text = f"short {long_word}"
    assert counter.count(text) == len(get_encoding("o200k_base").encode_ordinary(text))


def test_the_cache_is_bounded_and_stays_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wordcache, "MAX_WORDS", 50)
    encoding = get_encoding("cl100k_base")
    counter = WordCounter(encoding)
    largest = 0
    for batch in range(40):
        texts = [" ".join(f"w{batch}x{i}y{j}" for j in range(7)) for i in range(5)] + ["the common words"]
        assert counter.count_many(texts) == [len(encoding.encode_ordinary(t)) for t in texts]
        largest = max(largest, counter.cached_words())
    assert largest <= 50 + 5 * 7 + 3  # the cap, plus one batch's words kept after emptying it


def test_encode_each_handles_separators_and_surrogates() -> None:
    encoding = get_encoding("o200k_base")
    texts = ["a", "<|endoftext|>", "b<|endoftext|>c", "", "\ud800 lone", "é"]
    assert encode_each(encoding, texts) == [len(encoding.encode_ordinary(t)) for t in texts]
    assert encode_each(encoding, ["a", "b"], " ") == [1, 1]


def test_each_thread_has_its_own_counter() -> None:
    import threading

    encoding = get_encoding("o200k_base")
    mine = word_counter(encoding)
    assert word_counter(encoding) is mine
    seen: list[WordCounter] = []
    thread = threading.Thread(target=lambda: seen.append(word_counter(encoding)))
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine


# --- counting in worker processes --------------------------------------------------------------------

def batches(count: int) -> Iterator[list[Shape]]:
    for b in range(count):
        yield [
            Shape(prompt=[f"system prompt {i % 3}", f"question {b} {i} with  a double space"],
                  trained=[f"answer {b}-{i}: " + "word " * (i % 7) + "end"])
            for i in range(50)
        ]


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
@pytest.mark.parametrize("max_in_flight", [1, 4])
def test_worker_processes_count_what_the_caller_would(max_in_flight: int) -> None:
    encoding = get_encoding("o200k_base")
    counter = BatchCounter(encoding, workers=2, max_in_flight=max_in_flight, processes=True)
    assert counter.uses_processes
    results: list[tuple[object, tuple[list[int], list[int]]]] = []
    try:
        for tag, shapes in enumerate(batches(30)):
            results.extend(counter.submit(shapes, tag))
        results.extend(counter.drain())
    finally:
        counter.close()
    assert [tag for tag, _ in results] == list(range(30))  # in submission order
    expected = [count_batch(encoding, shapes) for shapes in batches(30)]
    assert [counts for _, counts in results] == expected


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
@pytest.mark.parametrize("noticed", [True, False])
def test_a_dead_worker_does_not_lose_counts(noticed: bool) -> None:
    """Killed mid-file, the worker's batches are counted by the caller, in order: whether the
    pool is already known broken at the next batch (``noticed``) or not yet."""
    encoding = get_encoding("o200k_base")
    counter = BatchCounter(encoding, workers=1, processes=True)
    results: list[tuple[object, tuple[list[int], list[int]]]] = []
    try:
        for tag, shapes in enumerate(batches(3)):
            results.extend(counter.submit(shapes, tag))
        pool = counter._pool
        assert pool is not None
        for process in list(getattr(pool, "_processes", {}).values()):
            os.kill(process.pid, signal.SIGKILL)
        if noticed:
            deadline = time.monotonic() + 10
            while not getattr(pool, "_broken", False) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert getattr(pool, "_broken", False)
        for tag, shapes in enumerate(batches(6)):
            if tag >= 3:
                results.extend(counter.submit(shapes, tag))
        results.extend(counter.drain())
    finally:
        counter.close()
    expected = [count_batch(encoding, shapes) for shapes in batches(6)]
    assert [tag for tag, _ in results] == list(range(6))
    assert [counts for _, counts in results] == expected
