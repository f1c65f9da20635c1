"""Datasets at 10 MB, 200 MB and 1 GB: ``bench.bench_datasets`` run once per size.

    .venv/bin/python -m bench datasets            # 10 MB, 200 MB, 1 GB; 200 MB of sample text (~1 GB in /tmp)
    .venv/bin/python -m bench datasets --quick    # 2 MB

Each size runs in a process of its own, so its peak memory (ru_maxrss) is that size's alone.
``bench_datasets`` measures, side by side on the same generated file: validation + hashing
without tokens, with tokens and statistics, the tokenizer alone, and a cookbook-style pass
(``json.loads`` each line, loop over messages, encode every value). The figures below are
read from its output. Every size is of realistic text (a Zipf vocabulary with rare words:
see ``bench_datasets.RealisticText``); 200 MB is run again with the sample text of the
first benchmarks (60 distinct words), which flatters a word cache.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.report import Report

# (figure name, regex of the number in bench_datasets's output, required). bench_datasets is
# another engineer's and its wording moves: a required figure it no longer prints fails loudly.
FIGURES = (
    ("no_tokens_mb_per_s", r"validation \+ hashing, no tokens:\n\s+wall\s+[\d.]+ s\s+([\d.]+) MB/s", True),
    ("tokens_mb_per_s", r"with tokens and statistics\s+:\s+[\d.]+ s\s+([\d.]+) MB/s", True),
    ("cookbook_mb_per_s", r"cookbook[^:\n]*pass\s+:\s+[\d.]+ s\s+([\d.]+) MB/s", True),
    ("cookbook_total_loop_mb_per_s", r"total-token loop alone\s+:\s+[\d.]+ s\s+([\d.]+) MB/s", False),
    ("speedup_over_cookbook", r"speed-up over the cookbook pass\s+:\s+([\d.]+)x", True),
    ("speedup_over_cookbook_total_loop", r"speed-up over the cookbook pass.*,\s+([\d.]+)x its total-token",
     False),
    ("tokens_vs_tokenizer_1_thread", r"ratio with tokens / tokenizer alone :\s+([\d.]+)x one thread", True),
    ("tokens_vs_tokenizer_2_threads", r"x one thread,\s+([\d.]+)x two threads", True),
    ("rss_after_no_tokens_mb", r"([\d,]+) MB after the no-token", True),
    ("rss_after_tokens_mb", r"([\d,]+) MB after the token pass", True),
    ("rss_after_cookbook_mb", r"([\d,]+) MB after the cookbook pass", True),
    ("cpu_s_tokens", r"CPU seconds.*?: with tokens ([\d.]+)", False),
    ("cpu_s_worker", r"CPU seconds.*?: with tokens [\d.]+ \(([\d.]+) of them in the worker", False),
    ("cpu_s_tokenizer", r"tokenizer alone ([\d.]+) \(", False),
    ("cpu_s_cookbook", r"cookbook ([\d.]+) \(", False),
    ("rss_worker_mb", r"peak RSS of the token-counting worker process: ([\d,]+) MB", False),
)


def measure(size_mb: float, data: str = "realistic") -> tuple[dict[str, Any], str]:
    # Started from a small shell, not forked from this runner: bench_datasets reads ru_maxrss,
    # which on Linux carries over the resident size of the process that forked it.
    command = f"{shlex.quote(sys.executable)} -m bench.bench_datasets --size {size_mb} --data {data}; exit $?"
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench_datasets --size {size_mb} failed: {done.stderr.strip()[-800:]}")
    figures: dict[str, Any] = {"size_mb": size_mb, "data": data}
    for name, pattern, required in FIGURES:
        found = re.search(pattern, done.stdout)
        if found is not None:
            figures[name] = float(found.group(1).replace(",", ""))
        elif required:
            raise RuntimeError(f"bench_datasets printed no {name}; its output changed:\n{done.stdout}")
    return figures, done.stdout


def run(quick: bool = False) -> Report:
    # The realistic text at every size; the sample text of the first benchmarks (60 distinct
    # words, which flatter a word cache) at 200 MB too, to compare with the earlier figures.
    full = ((10.0, "realistic"), (200.0, "realistic"), (1000.0, "realistic"), (200.0, "sample"))
    runs = ((2.0, "realistic"),) if quick else full
    report = Report("datasets", "Datasets: validation with and without tokens vs a cookbook-style pass",
                    "python -m bench datasets" + (" --quick" if quick else ""))
    results = []
    for size, data in runs:
        figures, output = measure(size, data)
        results.append(figures)
        report.row(
            f"{size:,.0f} MB, {data} text",
            f"no tokens {figures['no_tokens_mb_per_s']:,.0f} MB/s; with tokens "
            f"{figures['tokens_mb_per_s']:,.0f} MB/s ({figures['tokens_vs_tokenizer_1_thread']:.2f}x the "
            f"tokenizer alone on one thread, {figures['tokens_vs_tokenizer_2_threads']:.2f}x on two); "
            f"cookbook {figures['cookbook_mb_per_s']:,.1f} MB/s: "
            f"ours {figures['speedup_over_cookbook']:.1f}x its speed"
            + (f" ({figures['speedup_over_cookbook_total_loop']:.1f}x that of its total-token loop alone)"
               if "speedup_over_cookbook_total_loop" in figures else "")
            + (f"; CPU {figures['cpu_s_tokens']:.1f} s ours, {figures['cpu_s_cookbook']:.1f} s the cookbook's"
               if "cpu_s_tokens" in figures and "cpu_s_cookbook" in figures else "")
            + f"; peak RSS {figures['rss_after_tokens_mb']:,.0f} MB after our passes"
            + (f" (+ worker process {figures['rss_worker_mb']:,.0f} MB, shared pages included)"
               if "rss_worker_mb" in figures else "")
            + f", {figures['rss_after_cookbook_mb']:,.0f} MB after the cookbook's",
        )
        report.notes.append(f"{size:,.0f} MB ({data} text), bench_datasets's own lines: " + " | ".join(
            line.strip() for line in output.splitlines() if line.strip()))
    report.figures["sizes"] = [r for r in results if r["data"] == "realistic"]
    report.figures["sample_text"] = [r for r in results if r["data"] == "sample"]
    if not quick:
        big = next(r for r in results if r["size_mb"] == 200.0 and r["data"] == "realistic")
        sample = next(r for r in results if r["data"] == "sample")
        report.goal("no tokens: at least 150 MB/s (200 MB file)", big["no_tokens_mb_per_s"] >= 150)
        report.goal("with tokens: at most 1.5x the tokenizer alone (200 MB, two threads)",
                    big["tokens_vs_tokenizer_2_threads"] <= 1.5)
        report.goal("at least 5x faster than the cookbook pass (200 MB, realistic text)",
                    big["speedup_over_cookbook"] >= 5)
        report.goal("at least 5x faster than the cookbook pass (200 MB, sample text)",
                    sample["speedup_over_cookbook"] >= 5)
        sizes = report.figures["sizes"]
        flat = sizes[-1]["rss_after_tokens_mb"] < 2 * sizes[0]["rss_after_tokens_mb"]
        report.goal("memory flat from 10 MB to 1 GB (ours)", flat)
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
