"""The limits of the base models Together AI fine-tunes, as data (no SDK).

Together publishes no limits table, only ``GET /fine-tunes/models/limits`` per model, which its
SDK reads before every create and which refuses, e.g., full training of a model whose
``full_training`` block is absent. These rows hold what that endpoint answers for the models of
``naming.BASE_MODELS`` as ftops's emulator serves it (training kinds, batch sizes, epochs,
evaluations, checkpoints, LoRA rank, learning rate); parameter counts are the models' published
sizes and pick the price band. Offline checks read them; the service's own answer decides at
create time, so a drift here is caught there, one line, before anything trains.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ftops.provider.accepts import BatchRange, ModelLimits

_SMALL_LORA: Final = BatchRange(8, 32, 16)
_SMALL_FULL: Final = BatchRange(8, 24, 12)
_MID: Final = BatchRange(8, 16, 8)


def _model(name: str, billions: float, lora: BatchRange, full: BatchRange | None) -> ModelLimits:
    batch = {"lora": lora} if full is None else {"lora": lora, "full": full}
    return ModelLimits(name=name, billions_of_parameters=billions, batch=MappingProxyType(batch),
                       max_epochs=20, max_evals=100, max_checkpoints=20, max_lora_rank=64,
                       max_learning_rate=1.0)


MODELS: Final = MappingProxyType({m.name: m for m in (
    _model("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", 8.0, _SMALL_LORA, _SMALL_FULL),
    _model("meta-llama/Llama-3.2-3B-Instruct", 3.2, _SMALL_LORA, _SMALL_FULL),
    _model("Qwen/Qwen2.5-7B-Instruct", 7.6, _SMALL_LORA, _SMALL_FULL),
    _model("Qwen/Qwen2.5-14B-Instruct", 14.8, _MID, _MID),
    _model("mistralai/Mistral-7B-Instruct-v0.2", 7.2, _SMALL_LORA, _SMALL_FULL),
    # LoRA only: full training of the 70B is refused
    _model("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", 70.6, BatchRange(8, 8, 8), None),
)})
