"""One enormous line (issue 17): the peak memory of ``ftops dataset stats`` on a file whose one
line is longer than any example the service takes, beside a small file and a long line the
check still reads.

    .venv/bin/python -m bench.bench_long_line            # a 200 MB line (the issue's case)
    .venv/bin/python -m bench.bench_long_line --quick    # just over the bound, and 20 MB of text

Each file is checked by a fresh process and its peak resident memory read from the kernel
(``wait4``'s ``ru_maxrss``), so the figure is what a CI runner sees. Before the bound, the
200 MB line took about 10 GB and 200 s; a line over the bound is now refused at its line
number without being kept or parsed, so the peak stays near the small file's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Report
from ftops.datasets.linebound import MAX_LINE_BYTES

REPO = Path(__file__).resolve().parents[1]
_EXAMPLE = {"messages": [{"role": "user", "content": "Who is Chunsik?"},
                         {"role": "assistant", "content": "Ryan's cat."}]}


def _write(path: Path, long_line_bytes: int) -> Path:
    """Ten ordinary examples, then one line of ``long_line_bytes`` (0: none), written in pieces."""
    with path.open("wb") as out:
        for _ in range(10):
            out.write(json.dumps(_EXAMPLE).encode() + b"\n")
        if long_line_bytes:
            head, tail = b'{"messages": [{"role": "assistant", "content": "', b'"}]}\n'
            out.write(head)
            left = long_line_bytes - len(head) - len(tail) + 1
            piece = b"x" * (8 * 1024 * 1024)
            while left > 0:
                out.write(piece[: min(left, len(piece))])
                left -= len(piece)
            out.write(tail)
    return path


def _peak(path: Path) -> tuple[int, float, str]:
    """(peak RSS in bytes, seconds, the first error line) of ``ftops dataset stats PATH``."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen([sys.executable, "-m", "ftops", "dataset", "stats", str(path)],
                                 cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak, from the kernel
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if child.returncode not in (0, 1):
        raise RuntimeError(f"ftops dataset stats failed: {text[-2000:]}")
    refusals = ("line is", "characters of text")
    first = next((line for line in text.splitlines() if any(r in line for r in refusals)), "")
    return usage.ru_maxrss * 1024, elapsed, first


def run(quick: bool) -> Report:
    report = Report("long_line", "One enormous dataset line", "python -m bench.bench_long_line"
                    + (" --quick" if quick else ""))
    over = MAX_LINE_BYTES + 1 if quick else 200_000_000
    with tempfile.TemporaryDirectory() as folder:
        under = 20_000_000 if quick else MAX_LINE_BYTES - 1_000_000
        cases = [("small file (10 examples)", 0), (f"one {over / 1e6:,.0f} MB line", over),
                 (f"one {under / 1e6:,.0f} MB line of text (read, not counted)", under)]
        for label, size in cases:
            path = _write(Path(folder) / f"d{size}.jsonl", size)
            rss, seconds, first = _peak(path)
            path.unlink()
            report.row(label, f"peak {rss / 1e6:,.0f} MB, {seconds:.1f} s" + (f"; {first}" if first else ""),
                       **{f"peak_rss_mb_{size}": round(rss / 1e6, 1), f"seconds_{size}": round(seconds, 2)})
    small = report.figures["peak_rss_mb_0"]
    bound_mb = MAX_LINE_BYTES / 1e6
    for size in (over, under):
        extra = report.figures[f"peak_rss_mb_{size}"] - small
        report.goal(f"a {size / 1e6:,.0f} MB line costs at most 5 times the {bound_mb:,.0f} MB bound",
                    extra < 5 * bound_mb)
    report.notes.append(f"the bound: {MAX_LINE_BYTES:,} bytes (ftops/datasets/linebound.py)")
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
