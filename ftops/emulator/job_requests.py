"""Checks on a create-job request, as the service makes them before accepting it.

Every refusal is a 400 naming the parameter. The result is a frozen
``JobRequest`` (the normalised body), so the engine never handles raw JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ftops.emulator.apierrors import invalid

_TOP_LEVEL = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "hyperparameters",
        "method",
        "suffix",
        "seed",
        "metadata",
        "integrations",
    }
)
_SUFFIX = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_SEED = 2147483647
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512

# name -> (kind, minimum, maximum, exclusive minimum)
_INT, _NUM, _EFFORT = "int", "number", "effort"
_COMMON: dict[str, tuple[str, float | None, float | None, bool]] = {
    "batch_size": (_INT, 1, 256, False),
    "learning_rate_multiplier": (_NUM, 0, None, True),
    "n_epochs": (_INT, 1, 50, False),
}
HYPERPARAMETERS: dict[str, dict[str, tuple[str, float | None, float | None, bool]]] = {
    "supervised": _COMMON,
    "dpo": {**_COMMON, "beta": (_NUM, 0, 2, True)},
    "reinforcement": {
        **_COMMON,
        "reasoning_effort": (_EFFORT, None, None, False),
        "compute_multiplier": (_NUM, 0.00001, 10, True),
        "eval_interval": (_INT, 1, None, False),
        "eval_samples": (_INT, 1, None, False),
    },
}
_EFFORTS = frozenset({"default", "low", "medium", "high"})


@dataclass(frozen=True, slots=True)
class JobRequest:
    model: str
    training_file: str
    validation_file: str | None
    method_type: str
    hyperparameters: str  # JSON object as given ("auto" kept), canonical
    grader: str | None  # JSON, reinforcement only
    suffix: str | None
    seed: int | None
    metadata: tuple[tuple[str, str], ...] | None
    integrations: str | None  # JSON list

    def hyperparameter_values(self) -> dict[str, Any]:
        return dict(json.loads(self.hyperparameters))


def _string(body: dict[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"Missing required parameter: '{name}'.", param=name)
        return None
    if not isinstance(value, str) or not value:
        raise invalid(f"Invalid type for '{name}': expected a non-empty string.", param=name)
    return value


def _hyperparameter(method: str, name: str, value: Any, param: str) -> None:
    spec = HYPERPARAMETERS[method].get(name)
    if spec is None:
        raise invalid(f"Unknown hyperparameter '{name}' for method '{method}'.", param=param)
    kind, low, high, exclusive = spec
    if kind == _EFFORT:
        if value not in _EFFORTS:
            raise invalid(f"'{name}' must be one of {sorted(_EFFORTS)}.", param=param)
        return
    if value == "auto":
        return
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or (isinstance(value, float) and value == value and value not in (float("inf"),))
    if (kind == _INT and not is_int) or (kind == _NUM and not is_number):
        raise invalid(
            f"'{name}' must be 'auto' or a{'n integer' if kind == _INT else ' number'}.", param=param
        )
    if low is not None and (value <= low if exclusive else value < low):
        raise invalid(f"'{name}' must be {'greater than' if exclusive else 'at least'} {low}.", param=param)
    if high is not None and value > high:
        raise invalid(f"'{name}' must be at most {high}.", param=param)


def _method(body: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    legacy = body.get("hyperparameters")
    if legacy is not None and not isinstance(legacy, dict):
        raise invalid("'hyperparameters' must be an object.", param="hyperparameters")
    method = body.get("method")
    if method is None:
        return "supervised", dict(legacy or {}), None
    if not isinstance(method, dict):
        raise invalid("'method' must be an object.", param="method")
    kind = method.get("type")
    if kind not in HYPERPARAMETERS:
        raise invalid("'method.type' must be one of supervised, dpo, reinforcement.", param="method.type")
    settings = method.get(kind) or {}
    if not isinstance(settings, dict):
        raise invalid(f"'method.{kind}' must be an object.", param=f"method.{kind}")
    given = settings.get("hyperparameters") or {}
    if not isinstance(given, dict):
        raise invalid("hyperparameters must be an object.", param=f"method.{kind}.hyperparameters")
    if legacy and given:
        raise invalid(
            "Give hyperparameters either in 'method' or (deprecated) at the top level, not both.",
            param="hyperparameters",
        )
    grader = settings.get("grader")
    if kind == "reinforcement" and not isinstance(grader, dict):
        raise invalid(
            "Reinforcement fine-tuning needs a 'grader' object.", param="method.reinforcement.grader"
        )
    return kind, dict(given or legacy or {}), grader


def _metadata(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("'metadata' must be an object of string values.", param="metadata")
    if len(value) > MAX_METADATA_PAIRS:
        raise invalid(f"'metadata' may have at most {MAX_METADATA_PAIRS} pairs.", param="metadata")
    for key, item in value.items():
        if len(key) > MAX_METADATA_KEY:
            raise invalid(f"Metadata keys may be at most {MAX_METADATA_KEY} characters.", param="metadata")
        if not isinstance(item, str):
            raise invalid(f"Metadata value for '{key}' must be a string.", param="metadata")
        if len(item) > MAX_METADATA_VALUE:
            raise invalid(
                f"Metadata values may be at most {MAX_METADATA_VALUE} characters.", param="metadata"
            )
    return tuple(sorted(value.items()))


def _integrations(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 5:
        raise invalid("'integrations' must be a list of at most 5 integrations.", param="integrations")
    for index, item in enumerate(value):
        param = f"integrations[{index}]"
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise invalid("Only 'wandb' integrations are supported.", param=param + ".type")
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise invalid("A wandb integration needs a 'project'.", param=param + ".wandb.project")
    return json.dumps(value, sort_keys=True)


def parse_job_request(body: dict[str, Any]) -> JobRequest:
    unknown = sorted(set(body) - _TOP_LEVEL)
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    model = _string(body, "model", required=True)
    training_file = _string(body, "training_file", required=True)
    assert model is not None and training_file is not None
    kind, hyperparameters, grader = _method(body)
    prefix = f"method.{kind}.hyperparameters" if body.get("method") is not None else "hyperparameters"
    for name, value in hyperparameters.items():
        _hyperparameter(kind, name, value, f"{prefix}.{name}")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or not _SUFFIX.match(suffix)):
        raise invalid("'suffix' must be 1 to 64 characters: letters, digits, '-' and '_'.", param="suffix")
    seed = body.get("seed")
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED
    ):
        raise invalid(f"'seed' must be an integer from 0 to {MAX_SEED}.", param="seed")
    return JobRequest(
        model=model,
        training_file=training_file,
        validation_file=_string(body, "validation_file", required=False),
        method_type=kind,
        hyperparameters=json.dumps(hyperparameters, sort_keys=True),
        grader=json.dumps(grader, sort_keys=True) if grader is not None else None,
        suffix=suffix,
        seed=seed,
        metadata=_metadata(body.get("metadata")),
        integrations=_integrations(body.get("integrations")),
    )
