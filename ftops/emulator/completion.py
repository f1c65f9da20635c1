"""A finished chat completion, and its two wire forms: one JSON object, or server-sent events.

The stream is what the service sends for ``stream: true``: per choice a first
chunk with the role, one chunk per token of content, a last chunk with an empty
delta and the ``finish_reason``; then, with ``stream_options.include_usage``, a
chunk with no choices and the usage (every earlier chunk then carries
``usage: null``); then ``data: [DONE]``. Every chunk shares the completion's
id, creation time and model, and carries an ``obfuscation`` string (unless
``include_obfuscation`` is false) that pads chunks toward one size, as the
service does against length side channels.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftops.emulator.tokens import Cut

SYSTEM_FINGERPRINT = "fp_ftops_emulator"
_PADDING = string.ascii_letters + string.digits
_PADDED_SIZE = 48  # characters of content plus padding in a chunk


@dataclass(frozen=True, slots=True)
class Completion:
    id: str
    created: int
    model: str
    choices: tuple[Cut, ...]
    prompt_tokens: int

    @property
    def completion_tokens(self) -> int:
        return sum(choice.tokens for choice in self.choices)

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def body(self) -> dict[str, Any]:
        """The non-streaming answer: ``chat.completion``."""
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": cut.text, "refusal": None, "annotations": []},
                    "logprobs": None,
                    "finish_reason": _finish_reason(cut),
                }
                for index, cut in enumerate(self.choices)
            ],
            "usage": self.usage(),
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }

    def chunks(self, include_usage: bool, include_obfuscation: bool) -> Iterator[dict[str, Any]]:
        """The streamed answer: ``chat.completion.chunk`` objects, in the order they are sent."""

        def chunk(choices: list[dict[str, Any]], padded: str = "") -> dict[str, Any]:
            body: dict[str, Any] = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": choices,
            }
            if include_usage:
                body["usage"] = None
            if include_obfuscation:
                body["obfuscation"] = _padding(len(padded))
            return body

        for index, cut in enumerate(self.choices):
            first = {"role": "assistant", "content": "", "refusal": None}
            yield chunk([_choice(index, first, None)])
            for piece in cut.pieces:
                yield chunk([_choice(index, {"content": piece}, None)], piece)
            yield chunk([_choice(index, {}, _finish_reason(cut))])
        if include_usage:
            last = chunk([])
            last["usage"] = self.usage()
            yield last

    def events(self, include_usage: bool, include_obfuscation: bool) -> Iterator[bytes]:
        """The server-sent events of the stream, ``data: [DONE]`` last."""
        for chunk in self.chunks(include_usage, include_obfuscation):
            yield b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"


def _finish_reason(cut: Cut) -> str:
    return "length" if cut.truncated else "stop"


def _choice(index: int, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _padding(content_length: int) -> str:
    size = max(1, _PADDED_SIZE - content_length)
    return "".join(secrets.choice(_PADDING) for _ in range(size))
