"""Read the CI recipes in examples/ and pick out their ``ftops`` command lines, in run order.

GitHub Actions: the workflow files in the order a change goes through them (plan on
the pull request, apply on merge, drift on schedule), each job's ``run:`` steps.
GitLab CI: the jobs in the order of ``stages``, each job's ``script:`` lines.
A line continued with a backslash is joined first; only lines whose first word is
``ftops`` are kept (the rest posts comments or downloads artifacts, which needs
GitHub or GitLab).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops.support import REPO

GITHUB = REPO / "examples" / "github-actions"
GITLAB = REPO / "examples" / "gitlab-ci" / ".gitlab-ci.yml"
GITHUB_ORDER = ("ftops-plan.yml", "ftops-apply.yml", "ftops-drift.yml")


@dataclass(frozen=True)
class Command:
    source: str  # "ftops-plan.yml: Plan" or ".gitlab-ci.yml: plan"
    line: str


def shell_lines(script: str) -> Iterator[str]:
    pending = ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield (pending + line).strip()
        pending = ""
    if pending:
        yield pending.strip()


def is_ftops(line: str) -> bool:
    return line.split(maxsplit=1)[:1] == ["ftops"]


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def github_scripts() -> Iterator[tuple[str, str]]:
    """(where, script) for every ``run:`` step, in run order."""
    for name in GITHUB_ORDER:
        workflow = load(GITHUB / name)
        for job_name, job in workflow["jobs"].items():
            for step in job["steps"]:
                if "run" in step:
                    yield f"{name}: {job_name}: {step.get('name', step['run'][:30])}", step["run"]


def gitlab_scripts() -> Iterator[tuple[str, str]]:
    pipeline = load(GITLAB)
    jobs = {k: v for k, v in pipeline.items() if isinstance(v, dict) and "stage" in v}
    for stage in pipeline["stages"]:
        for name, job in jobs.items():
            if job["stage"] == stage:
                for script in job["script"]:
                    yield f".gitlab-ci.yml: {name}", script


def commands(scripts: Iterator[tuple[str, str]]) -> list[Command]:
    return [
        Command(where, line)
        for where, script in scripts
        for line in shell_lines(script)
        if is_ftops(line)
    ]
