"""Plan at scale: ftops's refresh (three listings) against a per-resource refresh, on the same account.

    .venv/bin/python -m bench plan_at_scale            # the issue's figures
    .venv/bin/python -m bench plan_at_scale --quick    # tiny sizes

The emulator is seeded with 10,000 fine-tune files, 5,000 jobs (1,000 of them this project's)
and 1,000 fine-tuned models; the project declares 500 datasets, 500 jobs and 100 model names
and has been applied (see ``bench.scenario``). Then, side by side in one run:

1. ``plan`` through the Python API (``ftops.workflow.plan``): manifests, every dataset
   checked with tokens, the state read, the account refreshed, the plan made;
2. ``ftops plan`` as a subprocess (the same plus interpreter start-up and rendering);
3. ftops's refresh alone (``ftops.provider.refresh``: the three listings), reading the whole
   jobs listing (as a plan does when a job is new or changed, or the state has no watermark);
4. the baseline: a per-resource refresh, one GET per resource in the state (files.retrieve,
   fine_tuning.jobs.retrieve, models.retrieve through the same ``openai`` SDK), as Terraform
   providers refresh; sequentially, and 10 at a time (Terraform's default ``-parallelism``).

Request counts come from the emulator's request log, not from ftops's own counter.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import scenario
from bench.report import Report, median_time, ms, timed

TERRAFORM_PARALLELISM = 10


def per_resource_refresh(base_url: str, state_path: Path, parallelism: int) -> int:
    """One GET per resource the state records, as a Terraform provider's Read does; returns the
    number of objects read back."""
    from openai import OpenAI

    from ftops.plan.records import read_records
    from ftops.state import StateSnapshot

    records = read_records(StateSnapshot.from_text(state_path.read_bytes(), str(state_path)))
    client = OpenAI(base_url=base_url, api_key=scenario.API_KEY, max_retries=0)
    reads: list[Callable[[], object]] = [
        *(functools.partial(client.files.retrieve, r.file_id) for r in records.datasets.values()),
        *(functools.partial(client.fine_tuning.jobs.retrieve, r.job_id) for r in records.jobs.values()),
        *(functools.partial(client.models.retrieve, r.model_id) for r in records.models.values()),
    ]
    try:
        if parallelism == 1:
            return sum(1 for read in reads if read() is not None)
        with ThreadPoolExecutor(max_workers=parallelism) as pool:
            return sum(1 for obj in pool.map(lambda read: read(), reads) if obj is not None)
    finally:
        client.close()


def _cli_plan(manifests: Path) -> None:
    env = {**os.environ, "OPENAI_API_KEY": scenario.API_KEY, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "ftops", "plan", "--manifests", str(manifests)],
        env=env, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ftops plan failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def run(quick: bool = False) -> Report:
    from ftops import workflow
    from ftops.plan.options import PlanOptions
    from ftops.provider import refresh
    from ftops.workflow import open_provider

    scale = scenario.Scale(20, 20, 5, 400, 200, 40, 40) if quick else scenario.FULL
    repeat = 2 if quick else 5
    report = Report("plan_at_scale", "Plan at scale: three listings vs one GET per resource",
                    "python -m bench plan_at_scale" + (" --quick" if quick else ""))
    with tempfile.TemporaryDirectory() as folder:
        built_in, scene = timed(lambda: scenario.build(Path(folder), scale))
        try:
            adopted_in, _ = timed(lambda: scenario.converge(scene))
            emulator, settings = scene.emulator, workflow.Settings(manifests=scene.manifests)
            state_path = scene.manifests.parent / "state" / "ftops.state.json"
            options = PlanOptions()

            def requests_of(action: object) -> tuple[int, int]:
                emulator.clear_requests()
                action()  # type: ignore[operator]
                log = emulator.requests()
                return len(log), sum(1 for r in log if r.mutating)

            def api_plan() -> None:
                result = workflow.plan(settings, options)
                if result.plan.has_changes:
                    raise RuntimeError("the converged project should plan no change")

            api_requests, api_mutating = requests_of(api_plan)
            t_api, _ = median_time(repeat, api_plan)
            cli_requests, _ = requests_of(lambda: _cli_plan(scene.manifests))
            t_cli, _ = median_time(repeat, lambda: _cli_plan(scene.manifests))

            with open_provider(scene.project.provider, scene.project.root) as provider:
                # The whole jobs listing: the plan above stopped at the state's watermark.
                refresh_requests, _ = requests_of(lambda: refresh(provider, scene.project.name))
                t_refresh, _ = median_time(repeat, lambda: refresh(provider, scene.project.name))

            base_url = emulator.base_url
            seq_requests, _ = requests_of(lambda: per_resource_refresh(base_url, state_path, 1))
            t_seq, _ = median_time(max(1, repeat // 2),
                                   lambda: per_resource_refresh(base_url, state_path, 1))
            parallel = TERRAFORM_PARALLELISM
            par_requests, _ = requests_of(lambda: per_resource_refresh(base_url, state_path, parallel))
            t_par, _ = median_time(
                max(1, repeat // 2), lambda: per_resource_refresh(base_url, state_path, parallel))
        finally:
            scene.stop()

    report.row("account", f"{scale.account_files:,} fine-tune files, {scale.account_jobs:,} jobs "
               f"({scale.project_jobs:,} this project's), {scale.account_models:,} fine-tuned models "
               f"(seeded through the store in {built_in:.1f} s)",
               account_files=scale.account_files, account_jobs=scale.account_jobs,
               project_jobs=scale.project_jobs, account_models=scale.account_models)
    report.row("project", f"{scale.datasets} datasets, {scale.jobs} jobs, {scale.models} model names "
               f"({scale.state_resources:,} resources in the state)",
               datasets=scale.datasets, jobs=scale.jobs, models=scale.models,
               state_resources=scale.state_resources)
    report.row("first apply: adopt everything",
               f"{adopted_in:.1f} s for {scale.state_resources:,} adoptions, 0 mutating requests "
               "(the state is written after each step)", adopt_apply_s=round(adopted_in, 2))
    report.row("ftops plan, Python API", f"{ms(t_api)} median of {repeat}; {api_requests} requests, "
               f"{api_mutating} mutating", plan_api_s=round(t_api, 4), plan_api_requests=api_requests,
               plan_api_mutating=api_mutating)
    report.row("ftops plan, CLI subprocess", f"{ms(t_cli)} median of {repeat}; {cli_requests} requests",
               plan_cli_s=round(t_cli, 4), plan_cli_requests=cli_requests)
    report.row("ftops refresh alone, whole jobs listing", f"{ms(t_refresh)}; {refresh_requests} requests",
               refresh_s=round(t_refresh, 4), refresh_requests=refresh_requests)
    report.row("per-resource refresh, sequential", f"{ms(t_seq)}; {seq_requests:,} requests",
               per_resource_seq_s=round(t_seq, 4), per_resource_requests=seq_requests)
    report.row(f"per-resource refresh, {TERRAFORM_PARALLELISM} at a time",
               f"{ms(t_par)}; {par_requests:,} requests", per_resource_par_s=round(t_par, 4))
    ratio_requests = seq_requests / api_requests
    report.row("ratio, requests", f"{ratio_requests:.0f}x fewer for ftops "
               f"({seq_requests:,} / {api_requests})", ratio_requests=round(ratio_requests, 1))
    report.row("ratio, refresh time", f"{t_seq / t_refresh:.1f}x faster than sequential, "
               f"{t_par / t_refresh:.1f}x faster than {TERRAFORM_PARALLELISM} at a time",
               ratio_refresh_seq=round(t_seq / t_refresh, 2), ratio_refresh_par=round(t_par / t_refresh, 2))
    report.goal("at least 20x fewer requests than a per-resource refresh",
                ratio_requests >= 20 if not quick else None)
    report.goal("plan under 3 s (Python API)", t_api < 3.0 if not quick else None)
    report.goal("plan under 3 s (`ftops plan` as a user runs it)", t_cli < 3.0 if not quick else None)
    report.notes.append(
        "The plan of a converged project reads the jobs listing only down to the state's job "
        "watermark (ftops.plan.listing): its first page here. When a declared job is new or changed "
        "(adoption may need a job of any age), or the state has no watermark, the whole listing is "
        "read, 100 jobs a page (the provider's page size; the emulator's maximum, the spec states "
        "none): 2 + ceil(project jobs / 100) requests, one more per hundred of this project's jobs, "
        "never per file, model or other project's job."
    )
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
