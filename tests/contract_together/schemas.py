"""Validate the emulator's Together responses against the schemas copied from Together's spec.

The copy (``tests/fixtures/together-openapi/schemas.json``) is OpenAPI 3.1 with some
3.0 ``nullable: true`` left in; ``nullable`` becomes ``anyOf [..., null]`` here.
Where the ``together`` SDK (3.x, what users run) and the spec disagree, the
emulator follows the SDK, and the schema is adjusted here, each place named:

- ``TrainingMethodSFT.train_on_inputs`` says ``oneOf [boolean, "auto"]`` *and*
  ``type: boolean``, so ``"auto"`` (the SDK's default, echoed on the job) could
  never pass; the stray ``type`` is dropped.
- ``LRScheduler.lr_scheduler_args`` is a ``oneOf`` of the linear and cosine arguments, but a
  cosine one (``min_lr_ratio`` and ``num_cycles``: what the SDK sends by default) also
  meets the linear schema, which allows any other property: read as ``anyOf``.
- ``POST /v1/files`` (the SDK's upload, not in the spec) answers 302 with no body,
  or 409 ``{"file_id"}``, and the upload ``PUT`` 200 with no body: nothing to validate.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS_FILE = Path(__file__).parent.parent / "fixtures" / "together-openapi" / "schemas.json"
_API = "/together/v1"

# (method, path pattern under /together/v1) -> schema of a 2xx answer; None: no JSON to validate.
ROUTES: tuple[tuple[str, str, str | None], ...] = (
    ("POST", r"/files", None),  # the SDK's upload: 302 or 409, see above
    ("POST", r"/files/upload", "FileResponse"),
    ("POST", r"/files/[^/]+/preprocess", "FileResponse"),
    ("GET", r"/files", "FileList"),
    ("GET", r"/files/[^/]+", "FileResponse"),
    ("DELETE", r"/files/[^/]+", "FileDeleteResponse"),
    ("GET", r"/files/[^/]+/content", None),
    ("GET", r"/fine-tunes/models/limits", "FineTuneModelLimits"),
    ("GET", r"/fine-tunes/models/supported", "SupportedModels"),
    ("POST", r"/fine-tunes/estimate-price", "EstimatePriceResponse"),
    ("POST", r"/fine-tunes", "FinetuneResponseTruncated"),
    ("GET", r"/fine-tunes", "FinetuneTruncatedList"),
    ("GET", r"/fine-tunes/[^/]+", "FinetuneResponse"),
    ("DELETE", r"/fine-tunes/[^/]+", "FinetuneDeleteResponse"),
    ("POST", r"/fine-tunes/[^/]+/cancel", "FinetuneResponseTruncated"),
    ("GET", r"/fine-tunes/[^/]+/events", "FinetuneListEvents"),
    ("GET", r"/fine-tunes/[^/]+/checkpoints", "FinetuneListCheckpoints"),
    ("GET", r"/fine-tunes/[^/]+/metrics", "FinetuneMetrics"),
    ("POST", r"/chat/completions", "ChatCompletionResponse"),
)


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.lru_cache(maxsize=1)
def _components() -> dict[str, Any]:
    document = json.loads(SCHEMAS_FILE.read_text(encoding="utf-8"))
    schemas = copy.deepcopy(document["components"]["schemas"])
    # Both adjustments are explained in the module docstring.
    schemas["TrainingMethodSFT"]["properties"]["train_on_inputs"].pop("type")
    scheduler_args = schemas["LRScheduler"]["properties"]["lr_scheduler_args"]
    scheduler_args["anyOf"] = scheduler_args.pop("oneOf")
    return {"schemas": _json_schema(schemas)}


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": _components()})


def schema_for(method: str, path: str, status: int) -> str | None:
    """The schema the answer to ``method path`` must meet, None when it carries no JSON to check."""
    if path.startswith("/together/storage/"):
        return None if status < 400 else "ErrorData"
    if path.startswith("/together/v2/"):
        # The saved spec has only v1 endpoints: v2 answers are checked against the SDK's own
        # types (sdk_type_for), errors against ErrorData.
        return None if status < 400 else "ErrorData"
    assert path.startswith(_API), path
    path = path[len(_API) :]
    if method == "POST" and path == "/files" and status in (302, 409):
        return None
    if method == "GET" and path == "/fine-tunes/models/limits" and status == 404:
        return "ModelLimitsNotFound"  # the spec's one 404 that is not ErrorData
    if status >= 400:
        return "ErrorData"
    for route_method, pattern, name in ROUTES:
        if route_method == method and re.fullmatch(pattern, path):
            return name
    raise AssertionError(f"no schema known for {method} {path}")


def problems(name: str, body: Any) -> list[str]:
    return [
        f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(body)
    ]


_V2_ENDPOINTS = r"/together/v2/projects/[^/]+/endpoints"


def sdk_type_for(method: str, path: str) -> tuple[type[Any], bool] | None:
    """The together 3.1.1 SDK's pydantic type of a v2 answer (the saved spec has no v2), and
    whether the answer is a cursor page of it; None: an empty answer (a delete)."""
    from together.types import Endpoint, EndpointDeployment
    from together.types.endpoints import HardwareListResponse, InferenceInstanceType

    routes: tuple[tuple[str, str, type[Any], bool], ...] = (
        ("GET", r"/together/v2/public/inference-instance-types", HardwareListResponse, False),
        ("GET", r"/together/v2/public/inference-instance-types/[^/]+", InferenceInstanceType, False),
        ("GET", _V2_ENDPOINTS, Endpoint, True),
        ("POST", _V2_ENDPOINTS, Endpoint, False),
        ("GET|PATCH", _V2_ENDPOINTS + r"/[^/]+", Endpoint, False),
        ("GET", _V2_ENDPOINTS + r"/[^/]+/deployments", EndpointDeployment, True),
        ("POST", _V2_ENDPOINTS + r"/[^/]+/deployments", EndpointDeployment, False),
        ("GET|PATCH", _V2_ENDPOINTS + r"/[^/]+/deployments/[^/]+", EndpointDeployment, False),
    )
    for methods, pattern, model, paged in routes:
        if method in methods.split("|") and re.fullmatch(pattern, path):
            return model, paged
    return None


def sdk_problems(method: str, path: str, body: Any) -> list[str]:
    """Where a v2 answer misses the SDK's type (strict validation: every required field)."""
    from pydantic import ValidationError

    found = sdk_type_for(method, path)
    if found is None:
        return [] if body == {} else [f"a {method} answer carries {body!r}"]
    model, paged = found
    items = body.get("data") if paged and isinstance(body, dict) else [body]
    if paged and (not isinstance(items, list) or "next_cursor" not in body):
        return ["a page needs data and next_cursor"]
    out = []
    for item in items or ():
        try:
            model.model_validate(item)
        except ValidationError as error:
            out.append(f"{model.__name__}: {error}")
    return out
