"""Plan on Together: each listing read once, against one GET per resource, on the same account.

    .venv/bin/python -m bench together_plan            # 100 datasets, 100 jobs, 20 names
    .venv/bin/python -m bench together_plan --quick    # 5 datasets, 5 jobs, 1 name

A project of ``provider: {type: together}`` (one dataset per job, a Together base model) is
applied once against the emulator's Together API through ftops's Together adapter and the
official ``together`` SDK (real uploads and jobs: Together's store cannot be seeded like
OpenAI's). Then, side by side in one run:

1. ``plan`` through the Python API (``ftops.workflow.plan``) on the converged project;
2. the baseline: a per-resource refresh through the same SDK, one GET per dataset and per
   job the state records (``files.retrieve``, ``fine_tuning.retrieve``; Together's v1 API has
   no model to retrieve: a model is its job's output), as a Terraform provider's Read does.

Request counts come from the emulator's request log. What must hold: the plan reads the
account in three requests whatever its size (the files, the fine-tunes read once for the jobs
and their models, the base models the service fine-tunes), as the OpenAI plan does
(``plan_at_scale``): Together does not page, so there is no watermark to stop at.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.report import Report, median_time, ms, timed

BASE_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
API_KEY = "tg-bench-key"
SPEED = 5000.0


def _write_project(root: Path, jobs: int, names: int, base_url: str) -> Path:
    (root / "datasets").mkdir(parents=True)
    (root / "state").mkdir()
    lines = ["project: bench-tg", "provider:", "  type: together", f"  base_url: {base_url}",
             "backend:", "  type: local", "  path: state/ftops.state.json", "datasets:"]
    for i in range(jobs):
        rows = [{"messages": [{"role": "user", "content": f"Question {n} of set {i}?"},
                              {"role": "assistant", "content": f"Answer {n} of set {i}."}]}
                for n in range(10)]
        (root / "datasets" / f"d{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        lines += [f"  d{i}:", f"    file: ../datasets/d{i}.jsonl"]
    lines.append("jobs:")
    for i in range(jobs):
        lines += [f"  j{i}:", f"    model: {BASE_MODEL}", f"    training_file: d{i}", f"    suffix: j{i}",
                  "    method:", "      type: supervised", "      hyperparameters:", "        n_epochs: 1"]
    lines.append("models:")
    lines += [line for i in range(names) for line in (f"  m{i}:", f"    job: j{i}")]
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "project.yaml").write_text("\n".join(lines) + "\n")
    return manifests


def per_resource_refresh(base_url: str, state_path: Path) -> int:
    """One GET per dataset and job the state records, through the together SDK; objects read."""
    from together import Together

    from ftops.plan.records import read_records
    from ftops.state import StateSnapshot

    records = read_records(StateSnapshot.from_text(state_path.read_bytes(), str(state_path)))
    client = Together(base_url=base_url, api_key=API_KEY, max_retries=0)
    reads: list[Callable[[], object]] = [
        *(functools.partial(client.files.retrieve, r.file_id) for r in records.datasets.values()),
        *(functools.partial(client.fine_tuning.retrieve, r.job_id) for r in records.jobs.values()),
    ]
    try:
        return sum(1 for read in reads if read() is not None)
    finally:
        client.close()


def run(quick: bool = False) -> Report:
    from ftops import workflow
    from ftops.apply import PlainReporter, WaitOptions
    from ftops.emulator import EmulatorConfig, start_background
    from ftops.plan.options import PlanOptions

    jobs, names = (5, 1) if quick else (100, 20)
    repeat = 2 if quick else 5
    report = Report("together_plan", "Plan on Together: three listings vs one GET per resource",
                    "python -m bench together_plan" + (" --quick" if quick else ""))
    os.environ["TOGETHER_API_KEY"] = API_KEY
    with tempfile.TemporaryDirectory() as folder:
        emulator = start_background(EmulatorConfig(data_dir=Path(folder) / "emulator", speed=SPEED))
        try:
            manifests = _write_project(Path(folder) / "project", jobs, names, emulator.together_base_url)
            settings, options = workflow.Settings(manifests=manifests), PlanOptions()
            hooks = workflow.ApplyHooks(show=lambda plan: None, approve=lambda plan: True,
                                        reporter=lambda: PlainReporter(io.StringIO()))
            # With --wait: a job that ends between apply and the plan would otherwise be a promotion
            # the plan rightly shows (the names would not be converged).
            waited = WaitOptions()
            applied_in, _ = timed(lambda: workflow.apply(settings, hooks, options=options, wait=waited))
            if workflow.plan(settings, options).plan.has_changes:
                raise RuntimeError("the applied project should plan no change")

            def requests_of(action: Callable[[], object]) -> tuple[int, int]:
                emulator.clear_requests()
                action()
                log = emulator.requests()
                return len(log), sum(1 for r in log if r.mutating)

            def api_plan() -> None:
                if workflow.plan(settings, options).plan.has_changes:
                    raise RuntimeError("the converged project should plan no change")

            plan_requests, plan_mutating = requests_of(api_plan)
            t_plan, _ = median_time(repeat, api_plan)
            state_path = manifests.parent / "state" / "ftops.state.json"
            base_url = emulator.together_base_url
            per_requests, _ = requests_of(lambda: per_resource_refresh(base_url, state_path))
            t_per, _ = median_time(max(1, repeat // 2), lambda: per_resource_refresh(base_url, state_path))
        finally:
            emulator.stop()

    per_resource = 2 * jobs
    report.row("project", f"{jobs} datasets, {jobs} jobs, {names} model names on provider type together "
               f"(applied for real through the Together adapter in {applied_in:.1f} s)",
               datasets=jobs, jobs=jobs, models=names, per_resource_resources=per_resource)
    report.row("plan (Python API)", f"{plan_requests} requests ({plan_mutating} mutating), "
               f"{ms(t_plan)} median of {repeat}",
               plan_requests=plan_requests, plan_mutating=plan_mutating, plan_s=round(t_plan, 4))
    report.row("per-resource refresh", f"{per_requests} requests, {ms(t_per)} (one GET per dataset and job)",
               per_resource_requests=per_requests, per_resource_s=round(t_per, 4))
    ratio = per_requests / plan_requests if plan_requests else 0.0
    report.row("ratio", f"{ratio:.0f}x fewer requests", ratio_requests=round(ratio, 2))
    report.goal("each listing read once: 3 requests whatever the size", plan_requests == 3)
    report.goal("0 mutating requests", plan_mutating == 0)
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
