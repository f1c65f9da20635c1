"""Plan of a project on two providers against the same project on one: what the aliases cost.

    .venv/bin/python -m bench multi_plan            # 60 datasets, 60 jobs, 10 names
    .venv/bin/python -m bench multi_plan --quick    # 4 datasets, 4 jobs, 2 names

The same jobs are applied twice, each project on emulators of its own: once all on the
project's provider (OpenAI), once half of them on an Azure alias (``providers: {az: ...}``,
``provider: az``), each alias on its own emulator. Then the converged plans, side by side:
request counts from the emulators' logs (three listings per provider, whatever the size) and
the median wall time of ``ftops.workflow.plan``, which for the two-provider project plans
each alias's part and puts the parts together (``ftops.multi``).
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from pathlib import Path

from bench.report import Report, median_time, ms, timed

OPENAI_BASE = "gpt-4o-mini-2024-07-18"
AZURE_BASE = "gpt-4.1-mini-2025-04-14"
AZURE_KEY = "azure-bench-key"
SPEED = 5000.0


def _write_project(root: Path, jobs: int, names: int, openai_url: str, azure_url: str | None) -> Path:
    (root / "datasets").mkdir(parents=True)
    (root / "state").mkdir()
    lines = ["project: bench-multi", "provider:", "  type: openai", f"  base_url: {openai_url}"]
    if azure_url is not None:
        lines += ["providers:", "  az:", "    type: azure", f"    endpoint: {azure_url}",
                  '    api_version: "2025-04-01-preview"']
    lines += ["backend:", "  type: local", "  path: state/ftops.state.json", "datasets:"]
    for i in range(jobs):
        rows = [{"messages": [{"role": "user", "content": f"Question {n} of set {i}?"},
                              {"role": "assistant", "content": f"Answer {n} of set {i}."}]}
                for n in range(10)]
        (root / "datasets" / f"d{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        lines += [f"  d{i}:", f"    file: ../datasets/d{i}.jsonl"]
    lines.append("jobs:")
    for i in range(jobs):
        on_azure = azure_url is not None and i % 2 == 1
        base = AZURE_BASE if on_azure else OPENAI_BASE
        lines += [f"  j{i}:", f"    model: {base}", f"    training_file: d{i}", f"    suffix: j{i}",
                  "    method:", "      type: supervised", "      hyperparameters:",
                  "        n_epochs: 1"]
        if on_azure:
            lines.append("    provider: az")
    lines.append("models:")
    lines += [line for i in range(names) for line in (f"  m{i}:", f"    job: j{i}")]
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "project.yaml").write_text("\n".join(lines) + "\n")
    return manifests


def _measure(folder: Path, jobs: int, names: int, repeat: int, two: bool) -> dict[str, float]:
    from ftops import workflow
    from ftops.apply import PlainReporter, WaitOptions
    from ftops.emulator import EmulatorConfig, start_background
    from ftops.plan.options import PlanOptions

    label = "two" if two else "one"
    openai = start_background(EmulatorConfig(data_dir=folder / f"{label}-openai", speed=SPEED))
    azure = start_background(EmulatorConfig(data_dir=folder / f"{label}-azure", speed=SPEED,
                                            azure_api_keys=frozenset({AZURE_KEY})))
    try:
        manifests = _write_project(folder / label, jobs, names, openai.base_url,
                                   azure.root_url if two else None)
        settings, options = workflow.Settings(manifests=manifests), PlanOptions()
        hooks = workflow.ApplyHooks(show=lambda plan: None, approve=lambda plan: True,
                                    reporter=lambda: PlainReporter(io.StringIO()))
        applied_in, _ = timed(lambda: workflow.apply(settings, hooks, options=options, wait=WaitOptions()))

        def plan() -> None:
            if workflow.plan(settings, options).plan.has_changes:
                raise RuntimeError("the applied project should plan no change")

        plan()
        openai.clear_requests()
        azure.clear_requests()
        plan()
        requests = len(openai.requests()) + len(azure.requests())
        mutating = sum(1 for emu in (openai, azure) for r in emu.requests() if r.mutating)
        t_plan, _ = median_time(repeat, plan)
    finally:
        openai.stop()
        azure.stop()
    return {"applied_s": applied_in, "requests": requests, "mutating": mutating, "plan_s": t_plan}


def run(quick: bool = False) -> Report:
    jobs, names = (4, 2) if quick else (60, 10)
    repeat = 2 if quick else 5
    report = Report("multi_plan", "Plan on two providers (aliases) beside the same project on one",
                    "python -m bench multi_plan" + (" --quick" if quick else ""))
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-key")
    os.environ["AZURE_OPENAI_API_KEY"] = AZURE_KEY
    with tempfile.TemporaryDirectory() as folder:
        one = _measure(Path(folder), jobs, names, repeat, two=False)
        two = _measure(Path(folder), jobs, names, repeat, two=True)
    report.row("project", f"{jobs} datasets, {jobs} jobs, {names} model names; the two-provider one with "
               f"every other job on an Azure alias (applied with --wait in {one['applied_s']:.1f} s and "
               f"{two['applied_s']:.1f} s)", datasets=jobs, jobs=jobs, models=names)
    report.row("plan, one provider", f"{one['requests']:.0f} requests ({one['mutating']:.0f} mutating), "
               f"{ms(one['plan_s'])} median of {repeat}",
               one_requests=one["requests"], one_mutating=one["mutating"], one_plan_s=round(one["plan_s"], 4))
    report.row("plan, two providers", f"{two['requests']:.0f} requests ({two['mutating']:.0f} mutating), "
               f"{ms(two['plan_s'])} median of {repeat}",
               two_requests=two["requests"], two_mutating=two["mutating"], two_plan_s=round(two["plan_s"], 4))
    ratio = two["plan_s"] / one["plan_s"] if one["plan_s"] else 0.0
    report.row("ratio", f"{ratio:.2f}x the one-provider plan's time", ratio_time=round(ratio, 3))
    report.goal("three listings per provider: 3 and 6 requests whatever the size",
                one["requests"] == 3 and two["requests"] == 6)
    report.goal("0 mutating requests", one["mutating"] == two["mutating"] == 0)
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
