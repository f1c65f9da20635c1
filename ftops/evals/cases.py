"""Reading an eval file: one case per JSONL line, checked with its file and line.

A case is ``messages`` (what is asked, as the chat API takes it), optional
``tools``, an optional ``id``, and one or more expectations; every expectation
given must hold for an answer to pass. The file is read line by line, so a large
one never sits in memory as text.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ftops.datasets.canonical import canonical_bytes
from ftops.diagnostics import Diagnostic
from ftops.errors import InputError
from ftops.resources import freeze, thaw

SIMILARITY_METRICS: Final = ("ratio", "token_sort_ratio", "token_set_ratio", "partial_ratio")
_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool"})
_EXPECTATIONS: Final = ("contains", "not_contains", "matches", "equals", "json_schema", "number", "tool_call",
                        "similar", "rubric")
_KEYS: Final = frozenset({"id", "messages", "tools", *_EXPECTATIONS})


@dataclass(frozen=True, slots=True)
class NumberExpectation:
    value: float
    tolerance: float  # absolute


@dataclass(frozen=True, slots=True)
class ToolCallExpectation:
    name: str
    arguments: Mapping[str, Any] | None  # None: any arguments; else these keys with these values


@dataclass(frozen=True, slots=True)
class SimilarExpectation:
    threshold: float  # 0..1
    reference: str | None  # None: the recorded answer of the same case
    metric: str = "token_sort_ratio"

    @property
    def to_recording(self) -> bool:
        return self.reference is None


@dataclass(frozen=True, slots=True)
class Expectations:
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: str | None = None
    equals: str | None = None
    json_schema: Mapping[str, Any] | None = None
    number: NumberExpectation | None = None
    tool_call: ToolCallExpectation | None = None
    similar: SimilarExpectation | None = None
    rubric: str | None = None  # what a grader model must find in the answer (the eval's ``grader``)
    rubric_pairwise: bool = False  # the grader compares the answer with the baseline's, in both orders


@dataclass(frozen=True, slots=True)
class EvalCase:
    line: int  # 1-based, in the eval file
    case_id: str  # the case's "id", or "line N"
    messages: tuple[Mapping[str, Any], ...]
    tools: tuple[Mapping[str, Any], ...] | None
    expect: Expectations
    input_hash: str  # what is asked: messages and tools
    grader_hash: str  # what a good answer is

    def request_messages(self) -> list[dict[str, Any]]:
        return [thaw(m) for m in self.messages]

    def request_tools(self) -> list[dict[str, Any]] | None:
        return None if self.tools is None else [thaw(t) for t in self.tools]


def digest(value: Any) -> str:
    """A short stable hash of JSON-like data: key order and spacing never change it."""
    return "sha256:" + hashlib.sha256(canonical_bytes(value)).hexdigest()[:32]


def input_hash_of(messages: Any, tools: Any = None) -> str:
    return digest({"messages": messages, "tools": tools})


@dataclass(frozen=True, slots=True)
class EvalFile:
    cases: tuple[EvalCase, ...]
    diagnostics: tuple[Diagnostic, ...]
    file_hash: str  # of every case, in order: a changed case changes it

    def raise_for_errors(self, display: str) -> None:
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if errors:
            raise InputError(f"{display}: {len(errors)} problem(s) in the eval file", errors)


def read_eval_file(path: Path, display: str, *, expectations: bool = True) -> EvalFile:
    """Every case of the file and every problem, with its line; never raises for a user's mistake.
    ``expectations=False`` reads a prompts file (``ftops record --prompts``): cases need none."""
    cases: list[EvalCase] = []
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    whole = hashlib.sha256()
    try:
        lines = _lines(path)
        for number, raw in lines:
            if not raw.strip():
                continue
            case, case_problems = _case(raw, number, display, expectations)
            problems.extend(case_problems)
            if case is None:
                continue
            if case.case_id in seen:
                problems.append(Diagnostic(display, number, None, "id",
                                           f"case id {case.case_id!r} is already used on line "
                                           f"{seen[case.case_id]}", code="eval.duplicate-id"))
                continue
            seen[case.case_id] = number
            whole.update(f"{case.input_hash} {case.grader_hash}\n".encode())
            cases.append(case)
    except OSError as error:
        problems.append(Diagnostic(display, None, None, "",
                                   f"cannot read the eval file: {error.strerror or error}",
                                   code="eval.unreadable"))
    if not cases and not problems:
        problems.append(Diagnostic(display, None, None, "", "the eval file has no cases", code="eval.empty"))
    return EvalFile(tuple(cases), tuple(problems), "sha256:" + whole.hexdigest()[:32])


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as stream:
        yield from enumerate(stream, start=1)


def _case(raw: bytes, line: int, display: str, needed: bool) -> tuple[EvalCase | None, list[Diagnostic]]:
    def problem(where: str, message: str, code: str) -> Diagnostic:
        return Diagnostic(display, line, None, where, message, code=f"eval.{code}")

    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return None, [problem("", f"not valid JSON ({error})", "json")]
    if not isinstance(data, dict):
        return None, [problem("", "a case must be a JSON object", "shape")]
    out = [problem(key, f"unknown key {key!r}; a case has {', '.join(sorted(_KEYS))}", "unknown-key")
           for key in data if key not in _KEYS]
    out.extend(_messages_problems(data.get("messages"), problem))
    tools = data.get("tools")
    if tools is not None and not (isinstance(tools, list) and all(isinstance(t, dict) for t in tools)):
        out.append(problem("tools", "must be a list of tool objects, as the chat API takes them", "shape"))
    case_id = data.get("id", f"line {line}")
    if not isinstance(case_id, str | int) or isinstance(case_id, bool):
        out.append(problem("id", "must be a string or an integer", "shape"))
    expect, expect_problems = _expectations(data, problem)
    out.extend(expect_problems)
    if needed and not any(key in data for key in _EXPECTATIONS):
        out.append(problem("", f"a case needs at least one expectation: {', '.join(_EXPECTATIONS)}",
                           "no-expectation"))
    if out or expect is None:
        return None, out
    frozen_tools = None if tools is None else tuple(freeze(t) for t in tools)
    case = EvalCase(
        line=line, case_id=str(case_id), messages=tuple(freeze(m) for m in data["messages"]),
        tools=frozen_tools, expect=expect, input_hash=input_hash_of(data["messages"], tools),
        grader_hash=digest({key: data[key] for key in _EXPECTATIONS if key in data}),
    )
    return case, []


def _messages_problems(messages: Any, problem: Any) -> list[Diagnostic]:
    if not isinstance(messages, list) or not messages:
        return [problem("messages", "required: a non-empty list of messages", "messages")]
    out = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            out.append(problem(where, f"must be an object whose role is one of {', '.join(sorted(_ROLES))}",
                               "messages"))
        elif not isinstance(message.get("content"), str | list) and message["role"] != "assistant":
            out.append(problem(f"{where}.content", "must be a string or a list of content parts", "messages"))
    if out:
        return out
    if messages[-1].get("role") == "assistant":
        return [problem(f"messages[{len(messages) - 1}]", "the last message is the model's to write; "
                        "put what a good answer is in an expectation", "messages")]
    return []


def _strings(data: dict[str, Any], key: str, problem: Any, out: list[Diagnostic]) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    out.append(problem(key, "must be a string or a non-empty list of strings", "expectation"))
    return ()


def _expectations(data: dict[str, Any], problem: Any) -> tuple[Expectations | None, list[Diagnostic]]:
    out: list[Diagnostic] = []
    contains = _strings(data, "contains", problem, out)
    not_contains = _strings(data, "not_contains", problem, out)
    matches = data.get("matches")
    if matches is not None:
        if not isinstance(matches, str):
            out.append(problem("matches", "must be a regular expression (a string)", "expectation"))
        else:
            try:
                re.compile(matches)
            except re.error as error:
                out.append(problem("matches", f"not a valid regular expression: {error}", "expectation"))
    equals = data.get("equals")
    if equals is not None and not isinstance(equals, str):
        out.append(problem("equals", "must be a string", "expectation"))
    schema = data.get("json_schema")
    if schema is not None:
        if not isinstance(schema, dict):
            out.append(problem("json_schema", "must be a JSON Schema object", "expectation"))
        else:
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as error:
                out.append(problem("json_schema", f"not a valid JSON Schema: {error.message}", "expectation"))
    number = _number(data.get("number"), problem, out)
    tool_call = _tool_call(data.get("tool_call"), problem, out)
    similar = _similar(data.get("similar"), problem, out)
    rubric, pairwise = _rubric(data.get("rubric"), problem, out)
    if out:
        return None, out
    frozen_schema = freeze(schema) if schema is not None else None
    expect = Expectations(contains, not_contains, matches, equals, frozen_schema, number, tool_call, similar,
                          rubric, pairwise)
    return expect, []


def _rubric(raw: Any, problem: Any, out: list[Diagnostic]) -> tuple[str | None, bool]:
    """``rubric: CRITERIA`` grades the answer alone; ``rubric: {criteria: ..., pairwise: true}`` has
    the grader compare it with the baseline's answer to the same case, in both orders."""
    if raw is None:
        return None, False
    if isinstance(raw, str) and raw.strip():
        return raw, False
    criteria = raw.get("criteria") if isinstance(raw, dict) else None
    if isinstance(raw, dict) and not set(raw) - {"criteria", "pairwise"} and isinstance(criteria, str) \
            and criteria.strip() and isinstance(raw.get("pairwise", False), bool):
        return criteria, bool(raw.get("pairwise", False))
    out.append(problem("rubric", "must be the criteria a good answer meets (a non-empty string), or "
                       "{criteria: TEXT, pairwise: true} to compare the answer with the baseline's",
                       "expectation"))
    return None, False


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(raw: Any, problem: Any, out: list[Diagnostic]) -> NumberExpectation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not _finite(raw.get("value")) or set(raw) - {"value", "tolerance"} \
            or not _finite(raw.get("tolerance", 0)) or raw.get("tolerance", 0) < 0:
        out.append(problem("number", "must be {value: N, tolerance: T} with T >= 0", "expectation"))
        return None
    return NumberExpectation(float(raw["value"]), float(raw.get("tolerance", 0)))


def _tool_call(raw: Any, problem: Any, out: list[Diagnostic]) -> ToolCallExpectation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or set(raw) - {"name", "arguments"} \
            or not isinstance(raw.get("arguments", {}), dict):
        out.append(problem("tool_call", "must be {name: TOOL, arguments: {...}} (arguments optional)",
                           "expectation"))
        return None
    arguments = raw.get("arguments")
    return ToolCallExpectation(raw["name"], freeze(arguments) if arguments is not None else None)


def _similar(raw: Any, problem: Any, out: list[Diagnostic]) -> SimilarExpectation | None:
    if raw is None:
        return None
    shape = ("must be {threshold: 0..1, reference: TEXT} or {threshold: 0..1, recording: true}, "
             f"with an optional metric ({', '.join(SIMILARITY_METRICS)})")
    if not isinstance(raw, dict) or set(raw) - {"threshold", "reference", "recording", "metric"} \
            or not _finite(raw.get("threshold")) or not 0 <= raw["threshold"] <= 1 \
            or raw.get("metric", "token_sort_ratio") not in SIMILARITY_METRICS \
            or (isinstance(raw.get("reference"), str)) == (raw.get("recording") is True):
        out.append(problem("similar", shape, "expectation"))
        return None
    return SimilarExpectation(float(raw["threshold"]), raw.get("reference"),
                              raw.get("metric", "token_sort_ratio"))


def rubric_without_grader(cases: Sequence[EvalCase], display: str, eval_name: str) -> list[Diagnostic]:
    """A case with a rubric in an eval that declares no grader cannot be graded."""
    return [Diagnostic(display, case.line, None, "rubric", f"a rubric needs a grader model: declare "
                       f"evals.{eval_name}.grader: {{model: ...}}", code="eval.no-grader")
            for case in cases if case.expect.rubric is not None]
