"""The base models the emulator offers, which of them can be fine-tuned, and how.

Aliases resolve to the snapshot the service trains (``gpt-4o-mini`` becomes
``gpt-4o-mini-2024-07-18`` in the job and in the fine-tuned model's name).
Shutdown dates are the ones OpenAI announced on its deprecations page as last
seen (2026-10/11, via public copies of that page); ``None`` where no date was
found. An admin endpoint can override them for tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BaseModel:
    id: str
    created: int
    methods: frozenset[str]  # fine-tuning methods this model accepts; empty: not tunable
    shutdown_date: str | None = None
    snapshot: str | None = None  # for an alias, the snapshot it trains
    encoding: str = "o200k_base"  # the tokenizer used for trained_tokens

    @property
    def trains_as(self) -> str:
        return self.snapshot or self.id


_SFT = frozenset({"supervised"})
_SFT_DPO = frozenset({"supervised", "dpo"})
_RFT = frozenset({"reinforcement"})
_NONE: frozenset[str] = frozenset()

BASE_MODELS: tuple[BaseModel, ...] = (
    BaseModel("gpt-4o-mini-2024-07-18", 1721172717, _SFT_DPO, "2027-01-14"),
    BaseModel("gpt-4o-mini", 1721172741, _SFT_DPO, "2027-01-14", snapshot="gpt-4o-mini-2024-07-18"),
    BaseModel("gpt-4o-2024-08-06", 1722814719, _SFT_DPO, "2027-01-14"),
    BaseModel("gpt-4o", 1715367049, _SFT_DPO, "2027-01-14", snapshot="gpt-4o-2024-08-06"),
    BaseModel("gpt-4.1-2025-04-14", 1744315746, _SFT_DPO, "2027-01-14"),
    BaseModel("gpt-4.1", 1744316542, _SFT_DPO, "2027-01-14", snapshot="gpt-4.1-2025-04-14"),
    BaseModel("gpt-4.1-mini-2025-04-14", 1744317547, _SFT_DPO, "2027-01-14"),
    BaseModel("gpt-4.1-mini", 1744318173, _SFT_DPO, "2027-01-14", snapshot="gpt-4.1-mini-2025-04-14"),
    BaseModel("gpt-4.1-nano-2025-04-14", 1744321025, _SFT_DPO, "2026-10-23"),
    BaseModel("gpt-4.1-nano", 1744321707, _SFT_DPO, "2026-10-23", snapshot="gpt-4.1-nano-2025-04-14"),
    BaseModel("o4-mini-2025-04-16", 1744133506, _RFT, "2026-10-23"),
    BaseModel("o4-mini", 1744225351, _RFT, "2026-10-23", snapshot="o4-mini-2025-04-16"),
    BaseModel("gpt-3.5-turbo-0125", 1706048358, _SFT, "2026-10-23", encoding="cl100k_base"),
    BaseModel(
        "gpt-3.5-turbo", 1677610602, _SFT, "2026-10-23", snapshot="gpt-3.5-turbo-0125", encoding="cl100k_base"
    ),
    BaseModel("gpt-3.5-turbo-1106", 1698959748, _SFT, "2026-10-23", encoding="cl100k_base"),
    BaseModel("babbage-002", 1692634615, _SFT, None, encoding="cl100k_base"),
    BaseModel("davinci-002", 1692634301, _SFT, None, encoding="cl100k_base"),
    # Chat-only models: listed and answerable, but not fine-tunable.
    BaseModel("gpt-5-mini-2025-08-07", 1754425867, _NONE, "2026-12-11"),
    BaseModel("gpt-5-mini", 1754425928, _NONE, "2026-12-11", snapshot="gpt-5-mini-2025-08-07"),
)

_BY_ID = {model.id: model for model in BASE_MODELS}


def base_model(model_id: str) -> BaseModel | None:
    return _BY_ID.get(model_id)
