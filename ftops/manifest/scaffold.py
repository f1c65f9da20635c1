"""``ftops init``: a new project's folders and a commented starter manifest that validates.

Never overwrites: every file that already exists is left alone and reported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ftops.errors import UsageError
from ftops.manifest.schema import manifest_schema_text

STATE_GITIGNORE = """\
# ftops: the lock and backups are per machine; the state itself is yours to decide
# (commit it for a single user, or use a remote backend for a team).
*.lock
*.backup
*.tmp
"""

STARTER_MANIFEST = """\
# yaml-language-server: $schema=manifest.schema.json
#
# An ftops project. Every *.yaml / *.yml file in this folder is read and merged.
#   ftops validate      check this folder and its datasets, offline
#   ftops plan          show what apply would do
#   ftops apply         upload, train, check and promote
# Refresh the editor schema with: ftops schema > manifests/manifest.schema.json

project: {project}

# Which API. The key comes only from the environment: OPENAI_API_KEY
# (AZURE_OPENAI_API_KEY for type: azure). Never put it here.
provider:
  type: openai

# Where ftops keeps what it created (relative to the project root).
backend:
  type: local
  path: state/ftops.state.json

datasets:
  train:
    file: ../datasets/train.jsonl   # relative to this file
    format: chat                    # chat | preference | reinforcement

jobs:
  assistant:
    model: gpt-4.1-mini-2025-04-14
    training_file: train
    # validation_file: valid
    method:
      type: supervised
      hyperparameters:
        n_epochs: auto              # 1-50, or auto
    suffix: assistant

models:
  assistant:
    job: assistant
    # protect: true                 # never delete this model
    # keep_previous: 1              # keep one earlier model for rollback
    checks:
      - messages:
          - {{role: user, content: "What does ftops plan do?"}}
        contains: apply

# budget: 10                        # refuse a plan whose estimated training cost is above $10
"""

_EXAMPLES = [
    (
        "What does ftops plan do?",
        "It compares the manifests with the state and the account and shows what "
        "ftops apply would change, without changing anything.",
    ),
    (
        "What does ftops apply do?",
        "It carries out the plan: uploads datasets, creates fine-tuning jobs, runs "
        "the model checks and promotes the new models.",
    ),
    ("Where do I declare a dataset?", "Under datasets: in a manifest, with its file and format."),
    (
        "How do I check my manifests without spending money?",
        "Run ftops validate. It checks the manifests and every dataset offline, without credentials.",
    ),
    (
        "Where does ftops read my API key from?",
        "From the environment only: OPENAI_API_KEY, or "
        "AZURE_OPENAI_API_KEY for Azure. Manifests never hold keys.",
    ),
    (
        "Will apply train the same job twice?",
        "No. Jobs are tagged with their inputs, so a second apply finds the first job and does nothing.",
    ),
    (
        "How do I keep a model from being deleted?",
        "Set protect: true on it; a plan that would delete it is refused.",
    ),
    (
        "What is keep_previous for?",
        "It keeps that many earlier models of the same name, so you can roll back.",
    ),
    (
        "How do I limit the cost of an apply?",
        "Set budget: a number of US dollars. A plan estimated above it is refused.",
    ),
    (
        "What does a model check do?",
        "It sends a prompt to the new model and requires the reply to contain, "
        "avoid, match or equal what you declared before the model is promoted.",
    ),
]


@dataclass(frozen=True, slots=True)
class ScaffoldResult:
    created: tuple[Path, ...]
    skipped: tuple[Path, ...]


def project_name_for(folder: Path) -> str:
    """A valid project name from a folder name: letters, digits, '-' and '_'."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", folder.resolve().name).strip("-_")[:64]
    return name or "my-project"


def _starter_dataset() -> str:
    lines = []
    for question, answer in _EXAMPLES:
        example = {
            "messages": [
                {"role": "system", "content": "You answer questions about ftops briefly."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ]
        }
        lines.append(json.dumps(example, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def has_manifests(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.suffix in (".yaml", ".yml") and not p.name.startswith(".") for p in folder.iterdir()
    )


def scaffold(target: Path, project: str | None = None, *, starter: bool = True) -> ScaffoldResult:
    """Create the folders and starter files under ``target``; existing files are never touched.
    ``starter=False``: only the editor schema and ``state/.gitignore`` (the manifest is written
    by its caller, e.g. ``ftops init --from-account``)."""
    name = project or project_name_for(target)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name):
        raise UsageError(f"project name {name!r} must be 1-64 letters, digits, '-' or '_'")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    files = {target / "manifests" / "manifest.schema.json": manifest_schema_text()}
    created: list[Path] = []
    skipped: list[Path] = []
    # A project that already has manifests gets no starter: a second project name
    # beside the real one would make the folder invalid.
    if starter and not has_manifests(target / "manifests"):
        files[target / "manifests" / "main.yaml"] = STARTER_MANIFEST.format(project=name)
        files[target / "datasets" / "train.jsonl"] = _starter_dataset()
    files[target / "state" / ".gitignore"] = STATE_GITIGNORE
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:  # "x": fails if the file exists, no race
                handle.write(content)
        except FileExistsError:
            skipped.append(path)
            continue
        created.append(path)
    return ScaffoldResult(tuple(created), tuple(skipped))
