"""Shared by the manifest tests: copy a project into a temporary folder and validate it there."""

from __future__ import annotations

import shutil
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
# Every corpus case may refer to these; the loader checks that they exist, not what they hold.
STANDARD_DATASETS = ("train.jsonl", "prefs.jsonl", "rl.jsonl")


def install_case(case: Path, destination: Path) -> Path:
    """Copy a corpus case to ``destination`` with the standard (empty) datasets beside it."""
    shutil.copytree(case, destination)
    (destination / "manifests").mkdir(exist_ok=True)
    datasets = destination / "datasets"
    datasets.mkdir(exist_ok=True)
    for name in STANDARD_DATASETS:
        (datasets / name).write_text("{}\n", encoding="utf-8")
    return destination


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (paths relative to ``root``) and return the manifests folder."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "manifests").mkdir(exist_ok=True)
    return root / "manifests"
