"""Start-up: ``ftops --help`` and ``ftops validate`` on the example, and what they import.

    .venv/bin/python -m bench startup            # 20 runs each
    .venv/bin/python -m bench startup --quick    # 3 runs each

Wall time with hyperfine when it is installed (``apt-get install hyperfine``), otherwise
repeated subprocess timing; the median either way. Side by side in the same run: the
interpreter alone (``python -c pass``, the floor) and ``python -c "import openai"`` (what
one SDK import would add to every command). Then ``-X importtime`` lists the modules each
command imports: no SDK, HTTP client, server or YAML import on paths that do not call the
API.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Report, ms

REPO = Path(__file__).resolve().parents[1]
# Modules that mean "the API or the server is being loaded"; none belongs on these paths.
HEAVY = ("openai", "httpx", "httpx2", "httpcore", "uvicorn", "starlette", "boto3", "botocore", "psycopg")


def _ftops() -> list[str]:
    script = Path(sys.executable).parent / "ftops"  # the console script users run
    return [str(script)] if script.exists() else [sys.executable, "-m", "ftops"]


def _median_subprocess(argv: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(argv, cwd=REPO, capture_output=True, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])  # the first run warms the page cache


def _median_hyperfine(argv: list[str], runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "hyperfine.json"
        command = " ".join(f"'{a}'" for a in argv)
        subprocess.run(
            ["hyperfine", "--warmup", "2", "--runs", str(runs), "--style", "none", "-N",
             "--export-json", str(out), command],
            cwd=REPO, capture_output=True, check=True,
        )
        return float(json.loads(out.read_text())["results"][0]["median"])


def imported_modules(argv_tail: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """Every module ``python -X importtime -m ftops ARGS`` imports, and the 5 costliest
    top-level imports (cumulative microseconds)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ftops", *argv_tail],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    modules: list[str] = []
    costly: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        modules.append(name.strip())
        if not name.startswith(" "):  # nesting is shown by indentation: keep the top level
            costly.append((int(cumulative), name.strip()))
    return modules, sorted(costly, reverse=True)[:5]


def run(quick: bool = False) -> Report:
    runs = 3 if quick else 20
    use_hyperfine = shutil.which("hyperfine") is not None
    measure = _median_hyperfine if use_hyperfine else _median_subprocess
    how = "hyperfine, median" if use_hyperfine else "subprocess timing, median"
    report = Report("startup", "Start-up: ftops --help and ftops validate",
                    "python -m bench startup" + (" --quick" if quick else ""))
    ftops = _ftops()
    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "python -c 'import openai'": [sys.executable, "-c", "import openai"],
        "ftops --help": [*ftops, "--help"],
        "ftops validate (example)": [*ftops, "validate", "--manifests", "manifests"],
    }
    times = {label: measure(argv, runs) for label, argv in cases.items()}
    keys = {"python -c pass (floor)": "python_floor_s", "python -c 'import openai'": "import_openai_s",
            "ftops --help": "help_s", "ftops validate (example)": "validate_s"}
    for label, seconds in times.items():
        report.row(label, f"{ms(seconds)} ({how} of {runs})", **{keys[label]: round(seconds, 4)})
    for label, tail in (("--help", ["--help"]), ("validate", ["validate", "--manifests", "manifests"])):
        modules, costly = imported_modules(tail)
        heavy = sorted({m for m in modules if m.split(".")[0] in HEAVY})
        top = ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in costly)
        report.row(f"modules imported by {label}",
                   f"{len(modules)}; heavy: {', '.join(heavy[:6]) or 'none'}; costliest: {top}",
                   **{f"modules_{label.strip('-')}": len(modules),
                      f"heavy_modules_{label.strip('-')}": heavy})
        report.goal(f"no SDK, HTTP or server import on `ftops {label}`", not heavy)
    report.figures["timer"] = "hyperfine" if use_hyperfine else "subprocess"
    report.goal("ftops --help under 300 ms", times["ftops --help"] < 0.3 if not quick else None)
    return report.finish()


if __name__ == "__main__":
    print(run("--quick" in sys.argv).text())
