"""A ``type: together`` project priced by the plan: its datasets checked and counted from disk
(token counts estimated, and said so in every view), each job priced from Together's table by
size band, method and LoRA/full, and the budget applied. The planner is pure, so the account is
simulated (the Together adapter, and an end-to-end plan on its emulator, come with its branch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plan_builders import World

from ftops.apply.inputs import build_desired
from ftops.errors import BudgetExceededError
from ftops.manifest import load_project
from ftops.plan.observed import ObservedModel
from ftops.render.json_view import render_json
from ftops.render.markdown import render_markdown
from ftops.render.text import render_text

QWEN = "Qwen/Qwen2.5-14B-Instruct"
LLAMA = "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"
LINE = {"prompt": "Who is Chunsik?", "completion": "Ryan's cat, who loves sweet potatoes."}
PAIR = {"input": {"messages": [{"role": "user", "content": "Who is Chunsik?"}]},
        "preferred_output": [{"role": "assistant", "content": "Ryan's cat."}],
        "non_preferred_output": [{"role": "assistant", "content": "A dog."}]}


def _write(root: Path, budget: float) -> Path:
    (root / "manifests").mkdir(parents=True)
    (root / "datasets").mkdir()
    (root / "datasets" / "train.jsonl").write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    (root / "datasets" / "prefs.jsonl").write_text(json.dumps(PAIR) + "\n", encoding="utf-8")
    (root / "manifests" / "main.yaml").write_text(f"""\
project: moving
provider: {{type: together}}
budget: {budget:.6f}
datasets:
  train: {{file: ../datasets/train.jsonl, format: instruction}}
  prefs: {{file: ../datasets/prefs.jsonl, format: preference}}
jobs:
  full:
    model: {QWEN}
    training_file: train
    method: {{type: supervised, training: full, hyperparameters: {{n_epochs: 4}}}}
  prefer:
    model: {LLAMA}
    training_file: prefs
    method: dpo
""", encoding="utf-8")
    return root / "manifests"


def _world(manifests: Path) -> World:
    world = World(build_desired(load_project(manifests), cache=False))
    for name in (QWEN, LLAMA):
        world.models[name] = ObservedModel(name, "together", 1)
    return world


def _tokens(text: str) -> int:
    from ftops.datasets.encodings import get_encoding

    return len(get_encoding("cl100k_base").encode(text))


def test_a_together_plan_prices_each_job_from_the_table_and_says_the_tokens_are_estimates(
        tmp_path: Path) -> None:
    plan = _world(_write(tmp_path, budget=100)).plan()
    costs = {c.address: c for c in plan.costs}
    # by hand: the instruction line's prompt and completion, 4 epochs, full SFT up to 16B ($0.54/1M)
    full_tokens = 4 * (_tokens(LINE["prompt"]) + _tokens(LINE["completion"]))
    assert costs["jobs.full"].training_tokens == full_tokens
    assert costs["jobs.full"].usd == round(full_tokens * 0.54 / 1_000_000, 6)  # ftops rounds to 1e-6 USD
    # the preference pair once (Together's default: 1 epoch), LoRA DPO over 69B ($7.25/1M)
    prefer = costs["jobs.prefer"]
    assert prefer.usd == round(prefer.training_tokens * 7.25 / 1_000_000, 6)
    assert all(c.tokens_estimated for c in plan.costs)
    text = render_text(plan)
    assert f"~{full_tokens:>12,} tokens" in text and "token counts are estimates" in text
    assert "token counts are estimates" in render_markdown(plan)
    assert {c["tokens_estimated"] for c in render_json(plan)["costs"]} == {True}


def test_the_budget_applies_to_together_jobs(tmp_path: Path) -> None:
    with pytest.raises(BudgetExceededError) as raised:
        _world(_write(tmp_path, budget=0.00001)).plan()
    assert raised.value.message.startswith("estimated training cost $0.00 is above the budget of $0.00")
    assert "jobs.full" in raised.value.message and "jobs.prefer" in raised.value.message


def test_evaluations_on_the_validation_file_are_priced(tmp_path: Path) -> None:
    manifests = _write(tmp_path, budget=100)
    (tmp_path / "datasets" / "valid.jsonl").write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    main = manifests / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "  prefs: {file: ../datasets/prefs.jsonl, format: preference}\n",
        "  prefs: {file: ../datasets/prefs.jsonl, format: preference}\n"
        "  valid: {file: ../datasets/valid.jsonl, format: instruction}\n").replace(
        "    training_file: train\n", "    training_file: train\n    validation_file: valid\n").replace(
        "hyperparameters: {n_epochs: 4}", "hyperparameters: {n_epochs: 4, n_evals: 3}"), encoding="utf-8")
    costs = {c.address: c for c in _world(manifests).plan().costs}
    per_pass = _tokens(LINE["prompt"]) + _tokens(LINE["completion"])
    assert costs["jobs.full"].training_tokens == 4 * per_pass + 3 * per_pass  # 4 epochs + 3 evaluations


def test_a_job_on_a_together_alias_is_priced_by_together_s_table(tmp_path: Path) -> None:
    """In a project on several providers, a job's price and its file's rules are its alias's."""
    (tmp_path / "manifests").mkdir()
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "train.jsonl").write_text(json.dumps(LINE) + "\n", encoding="utf-8")
    (tmp_path / "manifests" / "main.yaml").write_text(f"""\
project: moving
provider: {{type: openai}}
providers:
  tg: {{type: together}}
datasets:
  train: {{file: ../datasets/train.jsonl, format: instruction}}
jobs:
  moved:
    provider: tg
    model: {QWEN}
    training_file: train
    method: {{type: supervised, training: full, hyperparameters: {{n_epochs: 2}}}}
""", encoding="utf-8")
    desired = build_desired(load_project(tmp_path / "manifests"), cache=False)
    estimate = desired.estimates["moved"]
    tokens = 2 * (_tokens(LINE["prompt"]) + _tokens(LINE["completion"]))
    assert estimate.training_tokens == tokens and estimate.tokens_estimated
    assert estimate.usd == round(tokens * 0.54 / 1_000_000, 6)
