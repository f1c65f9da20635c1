"""Scaling curve: plan time and requests at 10, 100, 1,000 and 10,000 resources; state read/write.

    .venv/bin/python -m bench scaling            # 10, 100, 1,000, 10,000
    .venv/bin/python -m bench scaling --quick    # 10 and 100

At each size, a converged project of that many state resources in the issue's proportions
(datasets : jobs : model names = 5 : 5 : 1), in an account holding as much again of other
projects' files, jobs and models (``bench.scenario.proportional``). Measured side by side:

- ``plan`` through the Python API: wall time (median) and requests (the emulator's log);
- its refresh alone (the three listings, the whole jobs listing), and what a per-resource
  refresh would send
  (one GET per resource in the state);
- the local state backend reading and writing a state of the same number of resources
  (``bench.bench_state``'s records and timing, median).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from bench import scenario
from bench.bench_state import local_storage, sample_resources, timed
from bench.report import Report, median_time, ms


def _plan_figures(resources: int, repeat: int) -> dict[str, float]:
    from ftops import workflow
    from ftops.plan.options import PlanOptions
    from ftops.provider import refresh
    from ftops.workflow import open_provider

    scale = scenario.proportional(resources)
    with tempfile.TemporaryDirectory() as folder:
        scene = scenario.build(Path(folder), scale)
        try:
            scenario.converge_in_one_write(scene)
            settings, options = workflow.Settings(manifests=scene.manifests), PlanOptions()

            def plan() -> None:
                if workflow.plan(settings, options).plan.has_changes:
                    raise RuntimeError(f"the converged project of {resources} resources planned changes")

            scene.emulator.clear_requests()
            plan()
            requests = len(scene.emulator.requests())
            plan_s, _ = median_time(repeat, plan)
            with open_provider(scene.project.provider, scene.project.root) as provider:
                refresh_s, _ = median_time(repeat, lambda: refresh(provider, scene.project.name))
        finally:
            scene.stop()
    return {"resources": scale.state_resources, "plan_s": round(plan_s, 4), "refresh_s": round(refresh_s, 4),
            "requests": requests, "per_resource_requests": scale.state_resources}


def _state_figures(resources: int, rounds: int) -> dict[str, float]:
    from ftops.state import new_snapshot
    from ftops.state.local import LocalStorage

    with local_storage() as storage:
        state = storage.write(new_snapshot("bench").with_resources(sample_resources(resources)))
        size = len(state.to_text().encode())

        def write(round_number: int) -> None:
            nonlocal state
            changed = dict(state.resources)
            changed[next(iter(changed))] = {"id": "obj", "status": f"round {round_number}"}
            state = storage.write(state.with_resources(changed))

        # A fresh storage object per read: one that wrote or read these bytes itself skips the
        # parse, and a plan (a new process) always pays it.
        path = storage.path  # type: ignore[attr-defined]
        read = statistics.median(timed(rounds, lambda _: LocalStorage(path).read()))
        written = statistics.median(timed(rounds, write))
    return {"state_kib": round(size / 1024, 1), "state_read_ms": round(read, 2),
            "state_write_ms": round(written, 2)}


def run(quick: bool = False) -> Report:
    sizes = (10, 100) if quick else (10, 100, 1_000, 10_000)
    repeat = 2 if quick else 3
    report = Report("scaling", "Scaling curve: plan and state at 10 to 10,000 resources",
                    "python -m bench scaling" + (" --quick" if quick else ""))
    curve = []
    for size in sizes:
        figures = {**_plan_figures(size, repeat), **_state_figures(size, 3 if quick else 10)}
        curve.append(figures)
        report.row(
            f"{figures['resources']:,} resources",
            f"plan {ms(figures['plan_s'])} ({figures['requests']} requests; per-resource refresh: "
            f"{figures['per_resource_requests']:,}), refresh {ms(figures['refresh_s'])}; state "
            f"{figures['state_kib']:,.0f} KiB: read {figures['state_read_ms']:.1f} ms, "
            f"write {figures['state_write_ms']:.1f} ms",
        )
    report.figures["curve"] = curve
    first, last = curve[0], curve[-1]
    growth = last["resources"] / first["resources"]
    report.row("growth", f"{growth:,.0f}x the resources: "
               f"plan {last['plan_s'] / first['plan_s']:.1f}x the time, "
               f"{last['requests'] / first['requests']:.1f}x the requests")
    report.notes.append(
        "Plan time includes checking every dataset (one small file per dataset) and loading the "
        "manifests, which grow with the project. The plan's requests grow only with the pages of "
        "the file listing (10,000 files a page): the jobs listing stops at the state's job "
        "watermark. The refresh column reads the whole jobs listing (100 jobs a page), as a plan "
        "does when a declared job is new or changed."
    )
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
