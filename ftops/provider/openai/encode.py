"""A ``JobSpec`` as OpenAI's ``POST /fine_tuning/jobs`` body: the only place that shape is built."""

from __future__ import annotations

from typing import Any

from ftops.provider.openai.convert import identity_tags
from ftops.provider.types import JobSpec
from ftops.resources import Integration, Method, thaw


def method_body(method: Method) -> dict[str, Any]:
    """OpenAI's ``method`` object: ``{"type": t, t: {"hyperparameters": {...}, "grader": ...}}``.

    The same shape, today, as the frozen form the inputs hash is taken over
    (``ftops.plan.identity.canonical_method``), but this one follows the API and may change."""
    body: dict[str, Any] = {}
    hp = {name: getattr(method.hyperparameters, name) for name in method.hyperparameters.__slots__}
    given = {name: value for name, value in hp.items() if value is not None}
    if given:
        body["hyperparameters"] = given
    if method.grader is not None:
        body["grader"] = thaw(method.grader)
    return {"type": method.type, method.type: body}


def integration_body(integration: Integration) -> dict[str, Any]:
    return {"type": integration.type, integration.type: thaw(integration.settings)}


def job_request(spec: JobSpec, training_file_id: str, validation_file_id: str | None) -> dict[str, Any]:
    """The body of ``POST /fine_tuning/jobs``: the user's metadata plus ftops's identity tags."""
    body: dict[str, Any] = {
        "model": spec.model,
        "training_file": training_file_id,
        "method": method_body(spec.method),
        "metadata": {**{str(k): str(v) for k, v in spec.user_metadata.items()},
                     **identity_tags(spec.identity)},
    }
    if validation_file_id is not None:
        body["validation_file"] = validation_file_id
    if spec.suffix is not None:
        body["suffix"] = spec.suffix
    if spec.seed is not None:
        body["seed"] = spec.seed
    if spec.integrations:
        body["integrations"] = [integration_body(i) for i in spec.integrations]
    return body
