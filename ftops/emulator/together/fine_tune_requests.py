"""Checks on a create-fine-tune (or estimate-price) body, as Together makes them before accepting it.

Every refusal is a 400 in Together's error shape naming the parameter. The
result is a frozen ``FineTuneRequest``: hyperparameters resolved against the
model's limits (``batch_size: "max"`` becomes a number), the training type and
method normalised. Secrets the body may carry (``wandb_api_key``, the SDK's
``wandb_key``, ``hf_api_token``) are read past and never kept. Fields the
emulator does not simulate (packing, schedulers, W&B names, early stopping...)
are accepted as the service accepts them, and echoed where its job shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ftops.emulator.apierrors import invalid
from ftops.emulator.together.catalog import TogetherModel, together_model

MAX_SUFFIX = 40  # the SDK's docstring: "up to 40 characters"
_SUFFIX = re.compile(r"^[A-Za-z0-9._-]+$")
DEFAULT_SCHEDULER = {"lr_scheduler_type": "linear", "lr_scheduler_args": {"min_lr_ratio": 0.0}}


@dataclass(frozen=True, slots=True)
class FineTuneRequest:
    model: TogetherModel
    training_file: str
    validation_file: str | None
    n_epochs: int
    n_checkpoints: int
    n_evals: int
    batch_size: int
    learning_rate: float
    warmup_ratio: float
    suffix: str | None
    method: str  # sft | dpo
    full: bool  # training_type Full (else Lora)
    training_method: tuple[tuple[str, Any], ...]  # as the job shows it
    training_type: tuple[tuple[str, Any], ...]
    random_seed: int | None
    echoed: tuple[tuple[str, Any], ...]  # accepted fields shown back on the job

    def training_method_body(self) -> dict[str, Any]:
        return dict(self.training_method)

    def training_type_body(self) -> dict[str, Any]:
        return dict(self.training_type)


def _int(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"'{name}' must be an integer from {low} to {high} (got {value!r}).", param=name)
    return value


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"'{name}' must be a number from {low} to {high} (got {value!r}).", param=name)
    return float(value)


def _file_id(body: dict[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value in (None, "") and not required:
        return None  # the SDK sends "" when there is no validation file
    if not isinstance(value, str) or not value:
        raise invalid(f"Missing required parameter: '{name}'.", param=name)
    return value


def _model(body: dict[str, Any]) -> TogetherModel:
    name = body.get("model")
    if body.get("from_checkpoint") or body.get("from_hf_model"):
        raise invalid(
            "The ftops emulator does not simulate continued training (from_checkpoint, from_hf_model).",
            param="from_checkpoint",
        )
    if not isinstance(name, str) or not name:
        raise invalid("Missing required parameter: 'model'.", param="model")
    model = together_model(name)
    if model is None:
        raise invalid(f"Model {name} is not supported for fine-tuning.", param="model")
    return model


def _method(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = body.get("training_method")
    if given is None:
        return "sft", {"method": "sft", "train_on_inputs": body.get("train_on_inputs", "auto")}
    if not isinstance(given, dict) or given.get("method") not in ("sft", "dpo"):
        raise invalid("'training_method.method' must be 'sft' or 'dpo'.", param="training_method")
    if given["method"] == "sft":
        return "sft", {"method": "sft", "train_on_inputs": given.get("train_on_inputs", "auto")}
    shown = {
        "method": "dpo",
        "dpo_beta": 0.1,
        "rpo_alpha": 0.0,
        "dpo_normalize_logratios_by_length": False,
        "dpo_reference_free": False,
        "simpo_gamma": 0.0,
    }
    shown.update({k: v for k, v in given.items() if k in shown})
    return "dpo", shown


def _training_type(body: dict[str, Any], model: TogetherModel) -> tuple[bool, dict[str, Any]]:
    given = body.get("training_type")
    if given is None:  # Together's default is LoRA
        given = {"type": "Lora"}
    if not isinstance(given, dict) or given.get("type") not in ("Lora", "Full"):
        raise invalid(
            "'training_type.type' must be 'Lora' or 'Full' (case-sensitive).", param="training_type"
        )
    if given["type"] == "Full":
        if model.full is None:
            raise invalid(f"Full training is not supported for {model.name}.", param="training_type")
        return True, {"type": "Full"}
    rank = _int(given, "lora_r", model.max_rank, 1, model.max_rank)
    shown = {
        "type": "Lora",
        "lora_r": rank,
        "lora_alpha": int(_number(given, "lora_alpha", 2 * rank, 1, 4096)),  # the SDK types it as a float
        "lora_dropout": _number(given, "lora_dropout", 0.0, 0.0, 1.0),
        "lora_trainable_modules": given.get("lora_trainable_modules") or "all-linear",
    }
    return False, shown


def _batch_size(body: dict[str, Any], model: TogetherModel, full: bool, method: str) -> int:
    limits = model.full if full and model.full is not None else model.lora
    high = limits.max_batch_size_dpo if method == "dpo" else limits.max_batch_size
    value = body.get("batch_size", "max")
    if value in (None, "max"):
        return high
    if not isinstance(value, int) or isinstance(value, bool) or not limits.min_batch_size <= value <= high:
        raise invalid(
            f"'batch_size' must be 'max' or from {limits.min_batch_size} to {high} for this model and "
            f"training type (got {value!r}).",
            param="batch_size",
        )
    return value


def _suffix(body: dict[str, Any]) -> str | None:
    value = body.get("suffix")
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_SUFFIX or not _SUFFIX.match(value):
        raise invalid(
            f"'suffix' must be at most {MAX_SUFFIX} letters, digits, '.', '_' or '-'.", param="suffix"
        )
    return value


def _scheduler(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("lr_scheduler_type") not in ("linear", "cosine"):
        raise invalid("'lr_scheduler.lr_scheduler_type' must be 'linear' or 'cosine'.", param="lr_scheduler")
    args = value.get("lr_scheduler_args") or {}
    numbers = ("min_lr_ratio", "num_cycles") if value["lr_scheduler_type"] == "cosine" else ("min_lr_ratio",)
    if not isinstance(args, dict) or any(
        not isinstance(args.get(name, 0.0), int | float) or isinstance(args.get(name), bool)
        for name in numbers
    ):
        raise invalid("'lr_scheduler.lr_scheduler_args' must hold numbers.", param="lr_scheduler")
    return {
        "lr_scheduler_type": value["lr_scheduler_type"],
        "lr_scheduler_args": {k: args[k] for k in numbers if k in args},
    }


def _echoed(body: dict[str, Any]) -> dict[str, Any]:
    """The accepted fields shown back on the job, each checked so the job stays in the spec's shape."""
    packing = body.get("packing", True)
    if not isinstance(packing, bool):
        raise invalid("'packing' must be a boolean.", param="packing")
    echoed: dict[str, Any] = {
        "packing": packing,
        "max_grad_norm": _number(body, "max_grad_norm", 1.0, 0.0, 1e6),
        "weight_decay": _number(body, "weight_decay", 0.0, 0.0, 1e6),
        "lr_scheduler": _scheduler(body.get("lr_scheduler") or DEFAULT_SCHEDULER),
    }
    if body.get("max_seq_length") is not None:
        echoed["max_seq_length"] = _int(body, "max_seq_length", 0, 1, 1_000_000)
    for name, default in (("wandb_project_name", "together"), ("wandb_name", None)):
        value = body.get(name) or default
        if value is not None:
            if not isinstance(value, str):
                raise invalid(f"'{name}' must be a string.", param=name)
            echoed[name] = value
    return echoed


def parse_fine_tune_request(body: dict[str, Any]) -> FineTuneRequest:
    model = _model(body)
    method, method_body = _method(body)
    full, type_body = _training_type(body, model)
    validation_file = _file_id(body, "validation_file", required=False)
    n_evals = _int(body, "n_evals", 0, 0, model.max_num_evals)
    if n_evals and validation_file is None:
        raise invalid("'n_evals' needs a 'validation_file'.", param="n_evals")
    seed = body.get("random_seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise invalid("'random_seed' must be an integer or null.", param="random_seed")
    echoed = _echoed(body)
    return FineTuneRequest(
        model=model,
        training_file=str(_file_id(body, "training_file", required=True)),
        validation_file=validation_file,
        n_epochs=_int(body, "n_epochs", 1, 1, model.max_num_epochs),
        n_checkpoints=_int(body, "n_checkpoints", 1, 1, 100),
        n_evals=n_evals,
        batch_size=_batch_size(body, model, full, method),
        learning_rate=_number(body, "learning_rate", 1e-5, 0.0, 1.0),
        warmup_ratio=_number(body, "warmup_ratio", 0.0, 0.0, 1.0),
        suffix=_suffix(body),
        method=method,
        full=full,
        training_method=tuple(method_body.items()),
        training_type=tuple(type_body.items()),
        random_seed=seed,
        echoed=tuple(echoed.items()),
    )
