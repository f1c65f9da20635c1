"""No-op apply: the second apply of converged manifests, at 10, 100 and 1,000 finished jobs.

    .venv/bin/python -m bench noop_apply            # 10, 100, 1,000 finished jobs
    .venv/bin/python -m bench noop_apply --quick    # 10 and 30

For each size, a project whose jobs all succeeded long ago (``bench.scenario``: seeded, then
adopted by a first apply) is applied again through the Python API with ``--auto-approve``.
Reported from the emulator's request log: the requests of that second apply, how many
mutate (must be 0), and its wall time (median of several runs); beside it, the reads a
per-resource refresh would make (one per resource in the state). What must hold: no
mutation, and reads that do not grow with the finished jobs: no job is fetched on its own, and
the jobs listing stops at the state's watermark (``ftops.plan.listing``), the first page
that reaches jobs already finished when the state was last written.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

from bench import scenario
from bench.report import Report, median_time, ms


def _scale(jobs: int) -> scenario.Scale:
    datasets = min(jobs, 100)  # jobs share datasets beyond 100: the jobs are what is measured
    names = max(1, jobs // 10)
    return scenario.Scale(datasets, jobs, names, datasets + 1_000, jobs + 1_000, jobs, jobs + 100)


def run(quick: bool = False) -> Report:
    sizes = (10, 30) if quick else (10, 100, 1_000)
    repeat = 2 if quick else 3
    report = Report("noop_apply", "No-op apply: the second apply of converged manifests",
                    "python -m bench noop_apply" + (" --quick" if quick else ""))
    results = []
    for jobs in sizes:
        scale = _scale(jobs)
        with tempfile.TemporaryDirectory() as folder:
            scene = scenario.build(Path(folder), scale)
            try:
                scenario.converge(scene)
                changes, requests, mutating = scenario.apply_once(scene)
                if changes:
                    raise RuntimeError(f"the second apply made {changes} changes")
                seconds, _ = median_time(repeat, functools.partial(scenario.apply_once, scene))
            finally:
                scene.stop()
        results.append({"finished_jobs": jobs, "requests": requests, "mutating": mutating,
                        "seconds": round(seconds, 4), "per_resource_reads": scale.state_resources})
        report.row(f"{jobs:,} finished jobs",
                   f"{requests} requests ({mutating} mutating), {ms(seconds)} median of {repeat}; "
                   f"a per-resource refresh would read {scale.state_resources:,}")
    report.figures["sizes"] = results
    report.goal("0 mutating requests", all(r["mutating"] == 0 for r in results))
    # The state's job watermark (ftops.plan.listing) stops the jobs listing at the first page
    # that reaches jobs finished before the last apply: the same reads at every size.
    flat = len({r["requests"] for r in results}) == 1
    report.goal("reads do not grow with the number of finished jobs", flat)
    smallest, largest = results[0], results[-1]
    report.row("growth", f"{largest['finished_jobs'] / smallest['finished_jobs']:.0f}x the finished jobs: "
               f"{largest['requests'] / smallest['requests']:.1f}x the requests")
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
