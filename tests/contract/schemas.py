"""Validate the emulator's HTTP responses against the schemas copied from OpenAI's spec.

The copy (``tests/fixtures/openapi/schemas.json``) is OpenAPI 3.0, translated
here to JSON Schema: ``nullable: true`` becomes ``anyOf [..., null]`` and a
boolean ``exclusiveMinimum`` a numeric one. Known gaps of the spec handled
here: ``FineTuningJob.status`` is an open string (the service also answers
``pausing`` and ``paused``), and an empty file list has null
``first_id``/``last_id`` (as the spec allows for checkpoint lists).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS_FILE = Path(__file__).parent.parent / "fixtures" / "openapi" / "schemas.json"

# (method, path pattern) -> schema of a 2xx answer; None: raw bytes, nothing to validate.
ROUTES: tuple[tuple[str, str, str | None], ...] = (
    ("POST", r"/v1/files", "OpenAIFile"),
    ("GET", r"/v1/files", "ListFilesResponse"),
    ("GET", r"/v1/files/[^/]+", "OpenAIFile"),
    ("DELETE", r"/v1/files/[^/]+", "DeleteFileResponse"),
    ("GET", r"/v1/files/[^/]+/content", None),
    ("POST", r"/v1/uploads", "Upload"),
    ("POST", r"/v1/uploads/[^/]+/parts", "UploadPart"),
    ("POST", r"/v1/uploads/[^/]+/(complete|cancel)", "Upload"),
    ("POST", r"/v1/fine_tuning/jobs", "FineTuningJob"),
    ("GET", r"/v1/fine_tuning/jobs", "ListPaginatedFineTuningJobsResponse"),
    ("GET", r"/v1/fine_tuning/jobs/[^/]+", "FineTuningJob"),
    ("POST", r"/v1/fine_tuning/jobs/[^/]+/(cancel|pause|resume)", "FineTuningJob"),
    ("GET", r"/v1/fine_tuning/jobs/[^/]+/events", "ListFineTuningJobEventsResponse"),
    ("GET", r"/v1/fine_tuning/jobs/[^/]+/checkpoints", "ListFineTuningJobCheckpointsResponse"),
    ("GET", r"/v1/models", "ListModelsResponse"),
    ("GET", r"/v1/models/.+", "Model"),
    ("DELETE", r"/v1/models/.+", "DeleteModelResponse"),
    ("POST", r"/v1/chat/completions", "CreateChatCompletionResponse"),
)


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable: true`` means null is allowed too."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    # OpenAPI 3.0's boolean exclusiveMinimum/Maximum qualify minimum/maximum; JSON Schema's are numbers.
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(node.get(exclusive), bool):
            flag = converted.pop(exclusive)
            if flag and bound in converted:
                converted[exclusive] = converted.pop(bound)
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    document = json.loads(SCHEMAS_FILE.read_text(encoding="utf-8"))
    schemas = copy.deepcopy(document["components"]["schemas"])
    schemas["FineTuningJob"]["properties"]["status"].pop("enum")  # open: pausing, paused
    # An empty page has no first or last id: null, as the spec itself allows for checkpoint lists.
    for end in ("first_id", "last_id"):
        schemas["ListFilesResponse"]["properties"][end] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {"schemas": _json_schema(schemas)}


@functools.cache
def validator(name: str) -> Draft202012Validator:
    # "#/components/schemas/X" refs resolve against this document's root.
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": _components()})


def schema_for(method: str, path: str, status: int) -> str | None:
    if status >= 400:
        return "ErrorResponse"
    for route_method, pattern, name in ROUTES:
        if route_method == method and re.fullmatch(pattern, path):
            return name
    raise AssertionError(f"no schema known for {method} {path}")


STREAM_CHUNK = "CreateChatCompletionStreamResponse"


def stream_problems(text: str) -> list[str]:
    """Server-sent events as the service streams a chat completion: ``data: {chunk}`` events,
    each a valid chunk, separated by blank lines, and ``data: [DONE]`` last."""
    events = text.split("\n\n")
    if events[-1] != "":
        return ["stream: the last event does not end with a blank line"]
    found: list[str] = []
    datas = []
    for event in events[:-1]:
        if not event.startswith("data: ") or "\n" in event:
            found.append(f"stream: not a single-line data event: {event[:80]!r}")
        else:
            datas.append(event.removeprefix("data: "))
    if not datas or datas[-1] != "[DONE]":
        found.append("stream: does not end with data: [DONE]")
    for data in datas[:-1]:
        try:
            chunk = json.loads(data)
        except ValueError:
            found.append(f"stream: chunk is not JSON: {data[:80]!r}")
            continue
        found += problems(STREAM_CHUNK, chunk)
    return found


def problems(name: str, body: Any) -> list[str]:
    return [
        f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(body)
    ]
