"""Benchmark: load and validate a large project (default 500 datasets and 500 jobs).

    .venv/bin/python -m bench.bench_manifest_load [--datasets 500] [--jobs 500] [--files 10] [--repeat 3]

Generates the project in a temporary folder (tiny valid chat datasets, jobs
spread over several manifest files, a model per ten jobs), then times:
  1. manifests only: ``load_project`` (read, schema, rules, typed model)
  2. manifests + datasets, without token counts (``ftops validate --no-tokens``)
  3. manifests + datasets, with token counts (``ftops validate``)
Prints the best of ``--repeat`` runs for each, and where the time goes for (1).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ftops.manifest import load_project
from ftops.manifest.check import validate_all


def generate(root: Path, n_datasets: int, n_jobs: int, n_files: int) -> Path:
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    (root / "datasets").mkdir()
    for index in range(n_datasets):
        lines = [json.dumps({"messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": f"Question {example} about topic {index}?"},
            {"role": "assistant", "content": f"Answer {example} about topic {index}."},
        ]}) for example in range(10)]
        (root / "datasets" / f"d{index}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks: list[list[str]] = [[] for _ in range(n_files)]
    for index in range(n_datasets):
        entry = f"  d{index}:\n    file: ../datasets/d{index}.jsonl\n    format: chat\n"
        chunks[index % n_files].append(entry)
    jobs: list[list[str]] = [[] for _ in range(n_files)]
    for index in range(n_jobs):
        jobs[index % n_files].append(
            f"  j{index}:\n"
            f"    model: gpt-4o-mini-2024-07-18\n"
            f"    training_file: d{index % n_datasets}\n"
            f"    validation_file: d{(index + 1) % n_datasets}\n"
            f"    method:\n      type: supervised\n      hyperparameters: {{n_epochs: 3, batch_size: auto}}\n"
            f"    suffix: j{index}\n"
            f"    metadata: {{team: bench, index: '{index}'}}\n")
    models = [f"  m{i}:\n    job: j{i}\n    checks:\n      - messages: [{{role: user, content: hi}}]\n"
              f"        contains: hello\n" for i in range(0, n_jobs, 10)]
    for number in range(n_files):
        text = "project: bench\n" if number == 0 else ""
        text += "datasets:\n" + "".join(chunks[number]) if chunks[number] else ""
        text += "jobs:\n" + "".join(jobs[number]) if jobs[number] else ""
        if number == 0 and models:
            text += "models:\n" + "".join(models)
        (manifests / f"part{number:02d}.yaml").write_text(text, encoding="utf-8")
    return manifests


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="Show the top functions of a manifests-only load.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        manifests = generate(Path(folder), args.datasets, args.jobs, args.files)
        size = sum(p.stat().st_size for p in manifests.iterdir())
        project = load_project(manifests)
        assert len(project.datasets) == args.datasets and len(project.jobs) == args.jobs
        verdict = validate_all(manifests, tokens=False)
        assert verdict.valid, [d.render() for d in verdict.diagnostics if d.severity == "error"][:5]

        only = best_of(args.repeat, lambda: load_project(manifests))
        plain = best_of(args.repeat, lambda: validate_all(manifests, tokens=False))
        tokens = best_of(args.repeat, lambda: validate_all(manifests, tokens=True))

        print(f"project: {args.datasets} datasets, {args.jobs} jobs, {len(project.models)} models "
              f"in {args.files} files ({size / 1024:.0f} KiB of YAML); best of {args.repeat}")
        print(f"  manifests only (load_project)          {only * 1000:8.1f} ms")
        print(f"  + datasets, no token counts            {plain * 1000:8.1f} ms")
        print(f"  + datasets, with token counts          {tokens * 1000:8.1f} ms")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(load_project, manifests)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
