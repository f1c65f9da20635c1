"""The manifests' chat prices reach the cost estimates of ``ftops record`` and ``ftops eval``, and
through them the budget."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from .support import Project, Result

Run = Callable[..., Result]
CASES = 10

GATED = """\
evals:
  facts:
    file: ../evals/facts.jsonl
models:
  alpha:
    job: a
    gate: {evals: [facts], no_worse_than: current, margin: 0.3}
  beta:
    job: b
    protect: true
"""


def _usd(text: str) -> float:
    found = re.search(r"at most \$([0-9]+\.[0-9]+)", text)
    assert found, text
    return float(found.group(1))


def test_manifest_chat_prices_drive_the_estimates_and_the_budget(project: Project, run: Run) -> None:
    project.write_dataset("train", [
        {"messages": [{"role": "user", "content": f"Tell me fact {i} about training."},
                      {"role": "assistant", "content": f"Fact {i}: Chunsik is Ryan's cat."}]}
        for i in range(CASES)])
    manifest = project.root / "manifests" / "project.yaml"
    text = manifest.read_text()
    manifest.write_text(text[: text.index("models:")] + GATED)
    (project.root / "evals").mkdir()
    asked = [[{"role": "user", "content": f"Tell me fact {i}."}] for i in range(CASES)]
    (project.root / "evals" / "facts.jsonl").write_text(
        "".join(json.dumps({"contains": "Ryan", "messages": asked[i]}) + "\n" for i in range(CASES)))
    assert run("apply", "--auto-approve", "--wait").code == 0

    packaged = run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18", "--format", "json")
    assert packaged.code == 0, packaged.text
    # The base model's answers priced by the manifests at a thousand times the packaged price; the
    # cases are reworded so that nothing comes from the answer cache.
    manifest.write_text(manifest.read_text() +
                        "pricing:\n  gpt-4o-mini: {chat: [150, 600], fine_tuned_chat: [0.3, 1.2]}\n")
    (project.root / "evals" / "facts.jsonl").write_text(
        (project.root / "evals" / "facts.jsonl").read_text().replace("Tell me fact", "Say fact"))
    priced = run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18", "--format", "json")
    assert priced.code == 0, priced.text
    assert _usd(priced.err) > 100 * _usd(packaged.err)

    manifest.write_text(manifest.read_text() + "budget: 1\n")
    (project.root / "evals" / "facts.jsonl").write_text(
        (project.root / "evals" / "facts.jsonl").read_text().replace("Say fact", "Give fact"))
    refused = run("eval", "alpha", "--against", "gpt-4o-mini-2024-07-18")
    assert refused.code == 1 and "above the budget of $1" in refused.err

    recorded = run("record", "alpha")  # the fine-tuned model itself: fine_tuned_chat, within budget
    assert recorded.code == 0, recorded.text
