"""A ``JobSpec`` as the ``together`` SDK's ``fine_tuning.create`` arguments: the only place they
are built. Fields the manifest validator refuses on Together (OpenAI's ``metadata``,
``learning_rate_multiplier``, ``reinforcement``, integrations) never reach here; "auto" means
the service's default, so it is left out."""

from __future__ import annotations

from typing import Any

from ftops.errors import UsageError
from ftops.provider.together.identity import suffix_for
from ftops.provider.types import JobSpec

# The manifest's hyperparameter → the SDK's argument, where the names differ.
_RENAMED = {"lora_rank": "lora_r"}
_PASSED = ("n_epochs", "batch_size", "learning_rate", "n_checkpoints", "n_evals", "warmup_ratio",
           "lora_rank", "lora_alpha", "lora_dropout")
_METHODS = {"supervised": "sft", "dpo": "dpo"}


def create_arguments(spec: JobSpec, training_file_id: str, validation_file_id: str | None) -> dict[str, Any]:
    """The keyword arguments of ``Together().fine_tuning.create``."""
    method = spec.method
    if method.type not in _METHODS:
        raise UsageError(f"{spec.identity.resource}: Together has no {method.type!r} training",
                         hint="Use method: supervised or dpo on provider type together.")
    arguments: dict[str, Any] = {
        "model": spec.model,
        "training_file": training_file_id,
        "suffix": suffix_for(spec.identity, spec.suffix),
        "training_method": _METHODS[method.type],
    }
    if method.type == "supervised":
        arguments["train_on_inputs"] = "auto"  # the service's default, said so the SDK does not warn
    if validation_file_id is not None:
        arguments["validation_file"] = validation_file_id
    if method.training is not None:
        arguments["lora"] = method.training == "lora"
    hyperparameters = method.hyperparameters
    for name in _PASSED:
        value = getattr(hyperparameters, name)
        if value is None or value == "auto":
            continue
        arguments[_RENAMED.get(name, name)] = value
    if method.type == "dpo" and hyperparameters.beta not in (None, "auto"):
        arguments["dpo_beta"] = hyperparameters.beta
    if spec.seed is not None:
        arguments["random_seed"] = spec.seed
    return arguments
