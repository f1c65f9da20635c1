"""Open-weight models counted with their own vocabulary, where an installed package ships it.

Of the models Together fine-tunes, only Mistral 7B's tokenizer is on a package index under
a licence that allows it: ``mistral-common`` (Apache-2.0, Mistral's own) ships its
SentencePiece model as ``mistral_common/data/tokenizer.model.v1`` (32,000 pieces, the
vocabulary of Mistral-7B-Instruct-v0.2), and ``sentencepiece`` reads it offline. Both come
with the optional ``tokenizers`` extra (``pip install 'ftops[tokenizers]'``); without it, or
for any other open-weight model (Llama's and Qwen's tokenizers are on a model hub only),
the counts are cl100k_base estimates, labelled so (docs/pricing.md). The file is read from
the installed package's folder without importing it: only its data is used.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class TokenizerFile:
    distribution: str  # the package that ships it
    relative_path: str  # inside that package's folder
    name: str  # how reports name the encoding


_MISTRAL_V1: Final = TokenizerFile("mistral_common", "data/tokenizer.model.v1", "mistral-7b-sentencepiece-v1")

# Base model -> the tokenizer file its vocabulary is in.
OWN_TOKENIZERS: Final = MappingProxyType({"mistralai/Mistral-7B-Instruct-v0.2": _MISTRAL_V1})

_loaded: dict[str, SentencePieceCounter] = {}
_lock = threading.Lock()


class SentencePieceCounter:
    """Counts tokens as the token counter expects of an encoding (``name``, ``encode_ordinary``,
    ``count_each``): no beginning- or end-of-text piece, as the OpenAI counts have none."""

    def __init__(self, name: str, processor: Any) -> None:
        self.name = name
        self._processor = processor

    def encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = self._processor.encode(text)
        return ids

    def count_each(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self._processor.encode(list(texts))]


def own_tokenizer(model: str | None) -> SentencePieceCounter | None:
    """The model's own tokenizer when its package is installed; else None (then: estimate)."""
    wanted = OWN_TOKENIZERS.get(model) if model is not None else None
    if wanted is None:
        return None
    counter = _loaded.get(wanted.name)
    if counter is not None:
        return counter
    path = _data_file(wanted)
    if path is None:
        return None
    try:
        import sentencepiece
    except ImportError:
        return None
    with _lock:
        counter = _loaded.get(wanted.name)
        if counter is None:
            processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
            counter = SentencePieceCounter(wanted.name, processor)
            _loaded[wanted.name] = counter
    return counter


def _data_file(wanted: TokenizerFile) -> Path | None:
    spec = importlib.util.find_spec(wanted.distribution)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / wanted.relative_path
    return path if path.is_file() else None
