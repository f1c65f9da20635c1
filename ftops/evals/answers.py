"""Append-only files of answers: recordings (under recordings/, for git) and the answer cache.

A file is JSONL: a header line (which model, and how it was asked), then one
line per answer, keyed by sampling parameters, case input hash and sample index.
Answers are only ever appended, one line at a time and flushed, so an
interrupted run loses nothing already answered; an answer once written is never
rewritten (a later line for the same key is ignored), and a torn last line (the
run died mid-write) is skipped on reading and cut off by the next append.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ftops.errors import InputError
from ftops.evals.sampling import Answer, SamplingParams

FORMAT: Final = 1
AnswerKey = tuple[str, str, int]  # (sampling parameters key, case input hash, sample index)
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(model: str) -> str:
    """A model id as a file name: ``ft:gpt-4o-mini:org:x:id`` -> ``ft_gpt-4o-mini_org_x_id``."""
    return _UNSAFE.sub("_", model).strip("_") or "model"


@dataclass(frozen=True, slots=True)
class Header:
    model: str
    provider: str
    base_model: str
    created_at: str  # ISO time of the first answer written
    name: str | None = None  # the model name recorded (recordings only)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ftops_answers": FORMAT, "model": self.model, "provider": self.provider,
                               "base_model": self.base_model, "created_at": self.created_at}
        if self.name is not None:
            out["name"] = self.name
        return out


class AnswerLog:
    """One model's answers in one file. Not shared between threads: callers append from one."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        self.header = header
        self._answers: dict[AnswerKey, Answer] = {}
        self._case_ids: dict[str, str] = {}
        self._has_header = False
        self._whole_bytes = 0
        if path.exists():
            self._read()

    @property
    def answers(self) -> Mapping[AnswerKey, Answer]:
        return self._answers

    def get(self, params: SamplingParams, input_hash: str, sample: int) -> Answer | None:
        return self._answers.get((params.key(), input_hash, sample))

    def _read(self) -> None:
        shown = self.path.as_posix()
        with self.path.open("rb") as stream:
            content = stream.read()
        self._whole_bytes = content.rfind(b"\n") + 1  # what follows the last newline is a torn write
        lines = content[: self._whole_bytes].split(b"\n")[:-1]
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                raise InputError(f"{shown}:{number}: not valid JSON; answer files are append-only, "
                                 "fix or remove this line by hand") from None
            if number == 1:
                self._check_header(data, shown)
                self._has_header = True
                continue
            try:
                key = (json.dumps(data["params"], sort_keys=True, separators=(",", ":")), str(data["case"]),
                       int(data["sample"]))
                answer = Answer.from_json(data)
            except (KeyError, TypeError, ValueError):
                raise InputError(
                    f"{shown}:{number}: not an answer line (params, case, sample, answer)") from None
            self._answers.setdefault(key, answer)  # the first answer written stands
            if isinstance(data.get("id"), str):
                self._case_ids.setdefault(key[1], data["id"])

    def _check_header(self, data: Any, shown: str) -> None:
        if not isinstance(data, dict) or data.get("ftops_answers") != FORMAT:
            raise InputError(f"{shown}:1: not an ftops answers file (format {FORMAT})")
        if data.get("model") != self.header.model:
            raise InputError(f"{shown}:1: holds answers of {data.get('model')}, not {self.header.model}")
        self.header = Header(str(data["model"]), str(data.get("provider", "")),
                             str(data.get("base_model", "")), str(data.get("created_at", "")),
                             data.get("name"))

    def append(self, params: SamplingParams, input_hash: str, case_id: str, sample: int,
               answer: Answer) -> bool:
        """Write one answer unless one is already kept for that key; True when written."""
        key = (params.key(), input_hash, sample)
        if key in self._answers:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"params": params.to_json(), "case": input_hash, "id": case_id, "sample": sample,
                **answer.to_json()}
        # A file without a whole header line holds no answer: it is started again.
        with self.path.open("r+b" if self._has_header else "wb") as stream:
            if not self._has_header:
                stream.write(_line(self.header.to_json()))
                self._has_header = True
            else:
                stream.truncate(self._whole_bytes)  # drop a torn last line: it held no whole answer
                stream.seek(self._whole_bytes)
            stream.write(_line(line))
            self._whole_bytes = stream.tell()
            stream.flush()
            os.fsync(stream.fileno())
        self._answers[key] = answer
        return True


def _line(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n").encode()

