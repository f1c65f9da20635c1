"""What OpenAI's fine-tuning API takes in a job (see ``ftops.provider.accepts``)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ftops.provider.accepts import COMMON_JOB_FIELDS, JobAcceptance

SUPERVISED: Final = frozenset({"n_epochs", "batch_size", "learning_rate_multiplier"})

ACCEPTS: Final = JobAcceptance(
    service="OpenAI",
    job_fields=COMMON_JOB_FIELDS | {"metadata", "integrations"},
    methods=MappingProxyType({
        "supervised": SUPERVISED,
        "dpo": SUPERVISED | {"beta"},
        "reinforcement": SUPERVISED | {"reasoning_effort", "compute_multiplier", "eval_interval",
                                       "eval_samples"},
    }),
    formats=MappingProxyType({"supervised": ("chat",), "dpo": ("preference",),
                              "reinforcement": ("reinforcement",)}),
    instead=MappingProxyType({
        "learning_rate": "use learning_rate_multiplier (a multiple of its own learning rate)",
        "training": "it chooses how it trains; leave method.training out",
        "n_checkpoints": "it keeps the last checkpoints itself",
        "n_evals": "it evaluates the validation file by itself",
        "warmup_ratio": "it sets the schedule itself",
        "lora_rank": "LoRA settings are Together AI's",
        "lora_alpha": "LoRA settings are Together AI's",
        "lora_dropout": "LoRA settings are Together AI's",
    }),
)
