"""What Together AI's fine-tunes API takes in a job (see ``ftops.provider.accepts``).

Hyperparameters are Together's own: an absolute ``learning_rate`` (not a multiplier),
checkpoints, evaluations on the validation file, warmup, LoRA rank/alpha/dropout; LoRA or
full training (``method.training``, LoRA when omitted); supervised or preference (DPO)
training, no reinforcement. Nothing is ``auto``: a value left out is the service's default.
Jobs carry no user metadata and no integrations (Weights & Biases takes a key ftops would
have to send). Conversation, instruction and plain-text files train supervised jobs.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ftops.provider.accepts import COMMON_JOB_FIELDS, JobAcceptance
from ftops.provider.together.identity import MARK, MAX_USER_SUFFIX
from ftops.provider.together.identity import MAX_SUFFIX as SERVICE_MAX_SUFFIX
from ftops.provider.together.models import MODELS
from ftops.provider.types import IDENTITY_DIGEST_LENGTH

SUPERVISED: Final = frozenset({"n_epochs", "batch_size", "learning_rate", "n_checkpoints", "n_evals",
                               "warmup_ratio", "lora_rank", "lora_alpha", "lora_dropout"})
LORA_SETTINGS: Final = frozenset({"lora_rank", "lora_alpha", "lora_dropout"})
# The service takes 40 characters (the SDK's docstring); ftops ends each suffix with the job's
# identity token (19 of them: ftops.provider.together.identity), so a manifest has the rest.
MAX_SUFFIX: Final = MAX_USER_SUFFIX
SUFFIX_REASON: Final = (f"the service takes {SERVICE_MAX_SUFFIX} and ftops ends each suffix with "
                        f"-{MARK}<{IDENTITY_DIGEST_LENGTH} hex>, the job's identity, since Together jobs "
                        "carry no metadata")

ACCEPTS: Final = JobAcceptance(
    service="Together AI",
    job_fields=COMMON_JOB_FIELDS,
    methods=MappingProxyType({"supervised": SUPERVISED, "dpo": SUPERVISED | {"beta"}}),
    formats=MappingProxyType({"supervised": ("chat", "instruction", "text"), "dpo": ("preference",)}),
    training_kinds=("lora", "full"),
    default_training="lora",
    takes_auto=False,
    max_suffix=MAX_SUFFIX,
    suffix_reason=SUFFIX_REASON,
    instead=MappingProxyType({
        "metadata": "its jobs carry no user metadata",
        "integrations": "it takes no integrations from ftops",
        "reinforcement": "it trains supervised or dpo",
        "learning_rate_multiplier": "it takes an absolute learning_rate (e.g. 0.00001)",
        "reasoning_effort": "it trains supervised or dpo",
        "compute_multiplier": "it trains supervised or dpo",
        "eval_interval": "it takes n_evals",
        "eval_samples": "it takes n_evals",
    }),
    models=MODELS,
    namespaced_models=True,
)
