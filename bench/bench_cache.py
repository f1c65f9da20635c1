"""Plans that cost what changed (issue 18): a project of 10 datasets, ~1 GB in all, planned cold,
warm, and warm after one dataset changed, each beside the time to sha256 every byte in the same run.

    .venv/bin/python -m bench cache                   # 10 x 100 MB (about 1.1 GB in /tmp)
    .venv/bin/python -m bench cache --quick           # 10 x 1 MB
    .venv/bin/python -m bench.bench_cache --total-mb 300

Every plan is ``ftops plan --provider emulator`` as a new process (the embedded emulator, its
three listings and the state included), with its own ``FTOPS_CACHE_DIR``; the files are in the
page cache for every run (each run reads them all at least once before). The hashing figure is
``sha256sum`` over the same files, and Python's hashlib on one thread, as a user would measure it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_datasets import generate
from bench.report import Report

DATASETS = 10
MODEL = "gpt-4.1-mini-2025-04-14"


def _project(root: Path, total_mb: float, *, base_mb: float | None = None) -> list[Path]:
    """The manifests and 10 datasets of ``total_mb / 10`` each: one generated file, each copy made
    distinct by a first example of its own (the cache is content-addressed: equal files would share
    one report)."""
    (root / "manifests").mkdir(parents=True)
    (root / "datasets").mkdir()
    base = root / "base.jsonl"
    generate(base, base_mb if base_mb is not None else total_mb / DATASETS)
    paths = []
    manifest = ["project: bench-cache", "provider: {type: openai}", "datasets:"]
    for index in range(DATASETS):
        path = root / "datasets" / f"part-{index}.jsonl"
        first = {"messages": [{"role": "user", "content": f"Which part is this? ({index})"},
                              {"role": "assistant", "content": f"Part {index}."}]}
        with path.open("wb") as out:
            out.write((json.dumps(first) + "\n").encode())
            with base.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
        paths.append(path)
        manifest.append(f"  part-{index}: {{file: ../datasets/part-{index}.jsonl}}")
    base.unlink()
    manifest.append("jobs:")
    for index in range(DATASETS):
        manifest.append(f"  job-{index}: {{model: {MODEL}, training_file: part-{index}, suffix: p{index}, "
                        "hyperparameters: {n_epochs: 1}}")
    manifest.append("budget: 100000")
    (root / "manifests" / "main.yaml").write_text("\n".join(manifest) + "\n")
    return paths


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return elapsed


def _hashlib_seconds(paths: list[Path]) -> float:
    from ftops.datasets.cache import file_sha256

    started = time.perf_counter()
    for path in paths:
        file_sha256(path)
    return time.perf_counter() - started


def run(quick: bool = False, total_mb: float | None = None) -> Report:
    total = total_mb if total_mb is not None else (10.0 if quick else 1000.0)
    report = Report("cache", f"Dataset cache: plans of {DATASETS} datasets, {total:,.0f} MB in all",
                    "python -m bench cache" + (" --quick" if quick else ""))
    with tempfile.TemporaryDirectory(prefix="ftops-bench-cache-") as folder:
        root = Path(folder)
        paths = _project(root, total)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        env = {**os.environ, "FTOPS_CACHE_DIR": str(root / "cache"), "NO_COLOR": "1",
               "FTOPS_EMULATOR_SPEED": "1000"}
        env.pop("CI", None)
        plan = [sys.executable, "-m", "ftops", "plan", "--provider", "emulator"]
        sha256sum = ["sha256sum", *map(str, paths)]

        _timed(sha256sum, root, env)  # the files into the page cache, as for every run below
        hash_before = _timed(sha256sum, root, env)
        cold = _timed(plan, root, env)
        warm = min(_timed(plan, root, env) for _ in range(3))
        hash_after = _timed(sha256sum, root, env)
        hashlib_s = _hashlib_seconds(paths)

        with paths[3].open("ab") as out:  # one dataset changes: one more example at its end
            out.write(b'{"messages": [{"role": "user", "content": "New?"}, '
                      b'{"role": "assistant", "content": "Yes."}]}\n')
        changed = _timed(plan, root, env)
        one_alone = _timed([sys.executable, "-m", "ftops", "dataset", "stats", str(paths[3]),
                            "--model", MODEL], root, env)
        no_cache = _timed([*plan, "--no-cache"], root, env)

        # What a plan costs besides the datasets (start-up, embedded emulator, listings, state):
        # the same project with ten 50 KB datasets, warm.
        tiny = root / "tiny"
        _project(tiny, 0.0, base_mb=0.05)
        tiny_env = {**env, "FTOPS_CACHE_DIR": str(tiny / "cache")}
        _timed(plan, tiny, tiny_env)
        fixed = min(_timed(plan, tiny, tiny_env) for _ in range(3))

    hashing = min(hash_before, hash_after)
    report.row("data", f"{DATASETS} datasets, {size_mb:,.0f} MB", size_mb=round(size_mb, 1))
    report.row("sha256sum of every byte", f"{hashing:.2f} s ({size_mb / hashing:,.0f} MB/s); hashlib on one "
               f"thread {hashlib_s:.2f} s", sha256sum_s=round(hashing, 3), hashlib_s=round(hashlib_s, 3))
    report.row("cold plan (empty cache)", f"{cold:.2f} s ({cold / hashing:.1f}x the hashing)",
               cold_plan_s=round(cold, 3))
    report.row("a plan's fixed cost", f"{fixed:.2f} s (the same plan with ten 50 KB datasets, warm)",
               fixed_plan_s=round(fixed, 3))
    report.row("warm plan (best of 3)", f"{warm:.2f} s ({warm / hashing:.2f}x sha256sum); less the fixed "
               f"cost {warm - fixed:.2f} s ({(warm - fixed) / hashlib_s:.2f}x hashlib on one thread)",
               warm_plan_s=round(warm, 3), warm_over_hashing=round(warm / hashing, 3),
               warm_less_fixed_over_hashlib=round((warm - fixed) / hashlib_s, 3))
    report.row("warm plan, one dataset changed",
               f"{changed:.2f} s; that dataset checked alone (`ftops dataset stats`) {one_alone:.2f} s, "
               f"+ the warm plan {warm:.2f} s = {one_alone + warm:.2f} s",
               changed_plan_s=round(changed, 3), one_dataset_alone_s=round(one_alone, 3))
    report.row("plan with --no-cache", f"{no_cache:.2f} s", no_cache_plan_s=round(no_cache, 3))
    report.goal("warm plan at most 1.3x the hashing time (sha256sum)", warm <= 1.3 * hashing)
    report.goal("warm plan less its fixed cost at most 1.3x hashlib on one thread",
                warm - fixed <= 1.3 * hashlib_s)
    # "its own check plus the hashes of the rest": the warm plan already holds every hash and the
    # plan's fixed costs, so one changed file may cost at most its own check on top of it (10% slack
    # for the noise of a shared machine).
    report.goal("one changed dataset costs its own check plus the warm plan",
                changed <= 1.1 * (one_alone + warm))
    report.notes.append("Every plan is a new process: ftops plan --provider emulator (embedded emulator, "
                        "three listings, state); the cache in its own FTOPS_CACHE_DIR.")
    return report.finish()


if __name__ == "__main__":
    total_arg = None
    if "--total-mb" in sys.argv:
        total_arg = float(sys.argv[sys.argv.index("--total-mb") + 1])
    print(run("--quick" in sys.argv, total_arg).text())
