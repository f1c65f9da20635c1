"""Exact token counts from a cache of per-word counts: most of a text is never given to BPE.

tiktoken first cuts a text into pieces with its split pattern, then runs BPE on each
piece on its own, so a text's count is the sum of its pieces' counts. For both
encodings ftops uses (o200k_base and cl100k_base; patterns in ``encodings``), take a
space at position i whose previous character is not whitespace ("Unicode White_Space",
the ``\\s`` of tiktoken's Rust regex), or that starts the text:

- a piece ends at i: a piece that holds a non-whitespace character never holds a space
  except as its first character (the optional ``[^\\r\\n\\p{L}\\p{N}]?`` or `` ?``
  prefix); the pieces that can hold a space elsewhere (``\\s*[\\r\\n]+``, ``\\s+(?!\\S)``,
  ``\\s+``, ``\\s++$``, ``\\s``) are all whitespace. So the piece holding the character
  before the space stops there;
- the pieces from i on do not depend on what came before (no lookbehind, ``\\b`` or
  ``^``), and those up to the next such space j depend only on the text between i and
  j: the piece holding the non-whitespace character before j stops at j (a letter,
  digit or punctuation run stops at a space as at the end of the text, a contraction
  needs letters after its apostrophe), and a whitespace run inside ends before that
  character, so its lookahead ``(?!\\S)`` and ``$`` look no further.

So when no space of a text follows whitespace, ``count(text) == count(w0) + sum(count(" " + w)
for w in rest)`` where ``w0, *rest = text.split(" ")`` (a leading space makes w0 empty, a
trailing one a last word that is empty: both still hold). Each distinct word is encoded
once and its count kept (a batch's new words together, in one tiktoken call); the split
and the lookups run in C (``str.split``, ``map`` over ``dict.__getitem__``). A text with a
space after whitespace (two spaces, a newline, a tab or U+3000 then a space) is encoded
whole by tiktoken, as before. The checks are conservative: a non-ASCII text holding any
non-ASCII whitespace character at all is encoded whole. ``tests/datasets/
test_wordcache.py`` checks the equality against tiktoken on arbitrary text (and every
string of up to 6 characters from a small alphabet of letters, digits, punctuation and
whitespace was checked once by brute force, ~420,000 per encoding).

The caches are bounded: at most ``MAX_WORDS`` words each (then emptied and refilled
with the words in use), and words longer than ``MAX_WORD_CHARS`` (ids, hashes, base64)
are counted but never kept, so memory stays flat whatever the file.
"""

from __future__ import annotations

import re
import threading
import weakref
from array import array
from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING, Final

from ftops.datasets.encodings import ENDOFTEXT

if TYPE_CHECKING:
    import tiktoken

MAX_WORDS: Final = 100_000  # per cache; two caches (first words, other words) per encoding
MAX_WORD_CHARS: Final = 40

# Whitespace other than the space and the newline in the ASCII range (Unicode White_Space);
# a text holding one of these is checked for it just before a space.
_ASCII_SPACE_AFTER = re.compile(r"[\t\r\x0b\x0c] ")
# Unicode White_Space outside ASCII (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
# U+2029, U+202F, U+205F, U+3000): any of them anywhere sends the text to tiktoken whole.
_UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


class _WordCounts(dict[str, int]):
    """word -> tokens of ``prefix + word``, bounded.

    A word not known yet counts 0 for now and is noted in ``missed``; ``settle`` then
    encodes all the batch's missed words in one tiktoken call, and the caller adds their
    counts. One call for a batch's new words, not one per word: a file of real text has
    a new word every few dozen (names, numbers, ids), and a Python call to the encoder for
    each cost more than all the rest of the counting."""

    __slots__ = ("_encoding", "_prefix", "missed")

    def __init__(self, encoding: tiktoken.Encoding, prefix: str) -> None:
        super().__init__()
        self._encoding = encoding
        self._prefix = prefix
        self.missed: list[str] = []

    def __missing__(self, word: str) -> int:
        self.missed.append(word)
        return 0

    def settle(self) -> dict[str, int]:
        """Encode the missed words, keep those short enough, return the counts of all of them."""
        distinct = list(dict.fromkeys(self.missed))
        self.missed = []
        counts = dict(zip(distinct, encode_each(self._encoding, distinct, self._prefix), strict=True))
        keep = [word for word in distinct if len(word) <= MAX_WORD_CHARS]
        if len(self) + len(keep) > MAX_WORDS:
            self.clear()  # full: the words in use come back at once; rare ones drop out
        self.update((word, counts[word]) for word in keep)
        return counts


def encode_each(encoding: tiktoken.Encoding, texts: list[str], prefix: str = "") -> list[int]:
    """``len(encoding.encode_ordinary(prefix + text))`` for each text, in one tiktoken call.

    The texts are joined with the special token <|endoftext|>: tiktoken encodes the ordinary
    text between two special tokens on its own (neither its split regex nor BPE sees across
    one), so the tokens between two separators are exactly those of that text alone. A text
    that itself holds the string <|endoftext|> is encoded on its own, as ordinary text."""
    encode = encoding.encode_ordinary
    joinable = [prefix + text for text in texts if ENDOFTEXT not in text]
    if len(joinable) < 2:
        return [len(encode(prefix + text)) for text in texts]
    try:
        # _core_bpe is tiktoken's Rust encoder: the public encode() would first scan the whole
        # text for special tokens other than the allowed one, which none of these texts holds.
        one_text = ENDOFTEXT.join(joinable) + ENDOFTEXT
        buffer = encoding._core_bpe.encode_to_tiktoken_buffer(one_text, {ENDOFTEXT})
    except UnicodeEncodeError:  # a lone surrogate: encode_ordinary knows how tiktoken replaces it
        return [len(encode(prefix + text)) for text in texts]
    tokens = array("I")
    tokens.frombytes(memoryview(buffer).cast("B"))
    index, separator, start = tokens.index, encoding.eot_token, 0
    counts = []
    for _ in joinable:
        stop = index(separator, start)
        counts.append(stop - start)
        start = stop + 1
    if len(joinable) == len(texts):
        return counts
    joined = iter(counts)
    return [len(encode(prefix + text)) if ENDOFTEXT in text else next(joined) for text in texts]


class WordCounter:
    """Token counts of texts for one encoding, word by word from a bounded cache.

    Not thread-safe (the missed words of a batch are noted on the cache): ``word_counter``
    gives each thread its own."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        # Kept apart: the first word is encoded as it is, every other one after its space.
        self._first = _WordCounts(encoding, "")
        self._other = _WordCounts(encoding, " ")
        self._encoding = encoding

    def count_many(self, texts: Sequence[str]) -> list[int | None]:
        """The tokens of each text, counted word by word; None for a text a space of which might
        not start a piece (see the module's docstring): the caller encodes those whole."""
        counts: list[int | None] = [None] * len(texts)
        first, other = self._first, self._other
        first_missed, other_missed = first.missed, other.missed
        lookup = other.__getitem__
        # Texts with words not known yet: (index, count so far, and where their missed words
        # are in the two lists), completed once the batch's new words are encoded.
        late: list[tuple[int, int, int, int, int, int]] = []
        for i, text in enumerate(texts):
            words = split_words(text)
            if words is None:
                continue
            a, c = len(first_missed), len(other_missed)
            count = first[words[0]] + sum(map(lookup, islice(words, 1, None)))
            b, d = len(first_missed), len(other_missed)
            if b == a and d == c:
                counts[i] = count
            else:
                late.append((i, count, a, b, c, d))
        if late:
            first_counts, other_counts = first.settle(), other.settle()
            for i, count, a, b, c, d in late:
                counts[i] = (
                    count
                    + sum(map(first_counts.__getitem__, first_missed[a:b]))
                    + sum(map(other_counts.__getitem__, other_missed[c:d]))
                )
        return counts

    def count(self, text: str) -> int:
        """Tokens of any text, as ``len(encoding.encode_ordinary(text))``."""
        counted = self.count_many([text])[0]
        return len(self._encoding.encode_ordinary(text)) if counted is None else counted

    def cached_words(self) -> int:
        return len(self._first) + len(self._other)


def split_words(text: str) -> list[str] | None:
    """``text.split(" ")`` when every space of ``text`` starts a piece that does not depend on
    what came before (see the module's docstring), otherwise None.

    Every check is a C-level scan: an ASCII text without a tab or carriage return costs two
    substring searches and four for single control characters."""
    if "  " in text or "\n " in text:
        return None
    if ("\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text) and _ASCII_SPACE_AFTER.search(text):
        return None
    if not text.isascii() and _UNICODE_SPACE.search(text) is not None:
        return None
    return text.split(" ")


_local = threading.local()
_Counters = weakref.WeakKeyDictionary["tiktoken.Encoding", WordCounter]


def word_counter(encoding: tiktoken.Encoding) -> WordCounter:
    """This thread's counter for ``encoding``: its cache is reused by every file the thread checks."""
    counters: _Counters | None = getattr(_local, "counters", None)
    if counters is None:
        counters = _local.counters = weakref.WeakKeyDictionary()
    counter = counters.get(encoding)
    if counter is None:
        counter = counters[encoding] = WordCounter(encoding)
    return counter


def forget() -> None:
    """Drop this thread's counters and their caches (a benchmark's cold start)."""
    _local.counters = None
