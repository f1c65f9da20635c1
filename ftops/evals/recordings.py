"""Where recordings and the answer cache live.

Recordings are meant for git: ``recordings/<name>/<model>.jsonl`` at the project
root, one file per model a name has pointed at, so the answers of a model that
is shut down stay beside the manifests. The answer cache (``answers/`` in the project's cache
folder, ``.ftops/cache`` or ``FTOPS_CACHE_DIR``, beside the dataset reports) holds the answers
``ftops eval`` and the gate asked for, so that an unchanged re-run asks nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from ftops.evals.answers import safe_file_name

RECORDINGS_DIR: Final = "recordings"


def recording_path(root: Path, name: str, model_id: str) -> Path:
    return root / RECORDINGS_DIR / name / f"{safe_file_name(model_id)}.jsonl"


def answers_dir(root: Path) -> Path:
    from ftops.datasets.cache import default_cache_dir

    return default_cache_dir(root) / "answers"


def cache_path(root: Path, model_id: str) -> Path:
    return answers_dir(root) / f"{safe_file_name(model_id)}.jsonl"


def is_recorded(root: Path, name: str, model_id: str) -> bool:
    """A recording exists once its first answer is written (the header comes with it)."""
    return recording_path(root, name, model_id).is_file()
