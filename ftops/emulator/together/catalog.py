"""The open-weight base models the emulated Together service fine-tunes, with their limits and prices.

A handful of real models that Together lists for fine-tuning, with the limits the
``together`` SDK reads before every create (``lora_training`` and, where the model
allows it, ``full_training``: the SDK refuses a training type whose block is
absent). The numbers are plausible, not copied from the service: Together
publishes no limits table, only this endpoint. Prices are per million trained
tokens by model size and method, in the shape of Together's pricing page
(LoRA cheaper than full, preference training dearer), and equally illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass

LORA_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True, slots=True)
class BatchLimits:
    min_batch_size: int
    max_batch_size: int
    max_batch_size_dpo: int


@dataclass(frozen=True, slots=True)
class TogetherModel:
    name: str
    billions_of_parameters: float
    lora: BatchLimits
    full: BatchLimits | None  # None: full training is not offered for this model
    max_rank: int = 64
    max_num_epochs: int = 20
    max_num_evals: int = 100

    @property
    def param_count(self) -> int:
        return int(self.billions_of_parameters * 1_000_000_000)

    def dollars_per_million_tokens(self, full: bool, dpo: bool) -> float:
        """Illustrative per-token prices by size band, as Together's pricing page groups them."""
        if self.billions_of_parameters <= 16:
            price = 0.54 if full else 0.48
        elif self.billions_of_parameters <= 69:
            price = 1.65 if full else 1.50
        else:
            price = 3.20 if full else 2.90
        return price * 2.5 if dpo else price

    def limits(self) -> dict[str, object]:
        """``FineTuneModelLimits`` as the SDK reads it."""
        body: dict[str, object] = {
            "model_name": self.name,
            "max_num_epochs": self.max_num_epochs,
            "max_num_evals": self.max_num_evals,
            "max_learning_rate": 1.0,
            "min_learning_rate": 0.0,
            "supports_vision": False,
            "supports_tools": True,
            "supports_reasoning": False,
            "merge_output_lora": False,
            # Read by the SDK (3.x) though the saved spec lacks them:
            "supports_full_training": self.full is not None,
            "max_num_checkpoints": self.max_num_epochs,
            "max_seq_length_sft": 8192,
            "max_seq_length_dpo": 8192,
            "min_max_seq_length": 512,
            "default_gradient_accumulation_steps": 1,
            "lora_training": {
                "default_rank": min(16, self.max_rank),
                "min_batch_size": self.lora.min_batch_size,
                "max_batch_size": self.lora.max_batch_size,
                "max_batch_size_dpo": self.lora.max_batch_size_dpo,
                "max_rank": self.max_rank,
                "target_modules": list(LORA_TARGET_MODULES),
            },
        }
        if self.full is not None:
            body["full_training"] = {
                "min_batch_size": self.full.min_batch_size,
                "max_batch_size": self.full.max_batch_size,
                "max_batch_size_dpo": self.full.max_batch_size_dpo,
            }
        return body


_SMALL_LORA = BatchLimits(8, 32, 16)
_SMALL_FULL = BatchLimits(8, 24, 12)
_MID_LORA = BatchLimits(8, 16, 8)
_MID_FULL = BatchLimits(8, 16, 8)

MODELS: tuple[TogetherModel, ...] = (
    TogetherModel("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", 8.0, _SMALL_LORA, _SMALL_FULL),
    TogetherModel("meta-llama/Llama-3.2-3B-Instruct", 3.2, _SMALL_LORA, _SMALL_FULL),
    TogetherModel("Qwen/Qwen2.5-7B-Instruct", 7.6, _SMALL_LORA, _SMALL_FULL),
    TogetherModel("Qwen/Qwen2.5-14B-Instruct", 14.8, _MID_LORA, _MID_FULL),
    TogetherModel("mistralai/Mistral-7B-Instruct-v0.2", 7.2, _SMALL_LORA, _SMALL_FULL),
    # LoRA only here: the SDK then refuses `lora=False` before it sends anything.
    TogetherModel("meta-llama/Meta-Llama-3.1-70B-Instruct-Reference", 70.6, BatchLimits(8, 8, 8), None),
)

_BY_NAME = {model.name: model for model in MODELS}


def together_model(name: str) -> TogetherModel | None:
    return _BY_NAME.get(name)
