"""Run the benchmarks: ``python -m bench [NAME ...] [--quick] [--results DIR]``.

    .venv/bin/python -m bench                       # everything, full sizes (about 15 minutes)
    .venv/bin/python -m bench plan_at_scale startup # a subset, by name
    .venv/bin/python -m bench --quick               # everything at tiny sizes (a smoke run)

Each benchmark prints its figures and the ratios measured side by side in the same run.
A full run saves them to ``bench/results/`` (NAME.json, and ``latest.md`` with every table);
a ``--quick`` run saves nothing unless ``--results DIR`` is given. Benchmarks are not tests:
nothing here fails on a time; a goal not met is reported as such.

The other engineers' benchmarks run on their own too: ``python -m bench.bench_planner``,
``bench.bench_manifest_load``, ``bench.bench_state``, ``bench.bench_emulator_listing``,
``bench.bench_datasets`` (which ``datasets`` runs at three sizes).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Report

# Name → module; each module has ``run(quick: bool) -> Report``. Cheap ones first, datasets last
# (its 1 GB cookbook pass holds the whole file in memory and takes minutes).
BENCHMARKS = {
    "startup": "bench.bench_startup",
    "plan_at_scale": "bench.bench_plan_at_scale",
    "together_plan": "bench.bench_together_plan",
    "multi_plan": "bench.bench_multi_plan",
    "noop_apply": "bench.bench_noop_apply",
    "scaling": "bench.bench_scaling",
    "uploads": "bench.bench_uploads",
    "cache": "bench.bench_cache",
    "datasets": "bench.bench_dataset_sizes",
}
RESULTS = Path(__file__).resolve().parent / "results"


def _runner(name: str) -> Callable[[bool], Report]:
    module = importlib.import_module(BENCHMARKS[name])
    run: Callable[[bool], Report] = module.run
    return run


def save(reports: list[Report], folder: Path, quick: bool) -> None:
    """Write NAME.json for each report, then rebuild ``latest.md`` from every NAME.json in the
    folder, so a run of a subset updates its own tables and keeps the others."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for report in reports:
        data = {**report.to_json(), "run_at": stamp, "quick": quick, "markdown": report.markdown()}
        (folder / f"{report.name}.json").write_text(json.dumps(data, indent=2) + "\n")
    parts = ["# Latest benchmark results", "",
             "Written by `.venv/bin/python -m bench`; each table says when it was run.", ""]
    for name in BENCHMARKS:
        path = folder / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text())
            sizes = " (--quick sizes)" if data.get("quick") else ""
            parts += [data["markdown"].rstrip("\n"), f"Run at {data['run_at']}{sizes}.", ""]
    (folder / "latest.md").write_text("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that they run")
    parser.add_argument("--results", type=Path, help="save the results here (default: bench/results/ "
                        "for a full run, nowhere for --quick)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    folder = args.results or (None if args.quick else RESULTS)
    for name in names:
        started = time.perf_counter()
        report = _runner(name)(args.quick)
        print(report.text(), f"\n  ({time.perf_counter() - started:.0f} s)\n", flush=True)
        if folder is not None:  # saved at once: a later benchmark failing loses nothing
            save([report], folder, args.quick)
    if folder is not None:
        print(f"saved to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
