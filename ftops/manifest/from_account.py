"""``ftops init --from-account``, the pure part: which fine-tuned models an account holds, the
name each is pinned under, and the manifest that pins them, with each one's provenance.

No I/O here: ``ftops.account_init`` reads the account and writes the files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from ftops.lifecycle.model_ids import base_of
from ftops.plan.observed import ObservedFile, ObservedJob, ObservedModel
from ftops.resources import empty_mapping

NAME_LIMIT: Final = 64
_NOT_NAME: Final = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class TrainingFile:
    id: str
    filename: str | None  # None: the file is no longer in the account
    role: str  # "training" | "validation"


@dataclass(frozen=True, slots=True)
class AccountModel:
    """A fine-tuned model of the account and what its job says about how it was made."""

    model_id: str
    base_model: str | None
    job_id: str | None  # None: no job of the account made it (e.g. its job is gone)
    files: tuple[TrainingFile, ...] = ()
    hyperparameters: Mapping[str, object] = field(default_factory=empty_mapping)
    trained_tokens: int | None = None
    created_at: int | None = None
    finished_at: int | None = None
    shutdown_date: str | None = None
    managed_by: str | None = None  # the ftops project whose job made it, if any

    @property
    def suffix(self) -> str | None:
        """The suffix in an OpenAI fine-tuned model's id, ``ft:BASE:ORG:SUFFIX:ID``."""
        parts = self.model_id.split(":")
        return parts[3] if parts[0] == "ft" and len(parts) >= 5 and parts[3] else None


@dataclass(frozen=True, slots=True)
class Pin:
    """A model pinned under a name, and where its training data was saved (or why not)."""

    name: str
    model: AccountModel
    saved: Mapping[str, str] = field(default_factory=empty_mapping)  # file id -> path, as written


def fine_tuned_models(
    models: Iterable[ObservedModel], jobs: Iterable[ObservedJob], files: Iterable[ObservedFile]
) -> tuple[AccountModel, ...]:
    """Every fine-tuned model the listing holds (an id naming its base, as OpenAI's ``ft:...``,
    or the output of a job), oldest first, with the job that made it when the account still
    lists it."""
    by_output = {job.fine_tuned_model: job for job in jobs if job.fine_tuned_model}
    names = {file.id: file.filename for file in files}
    listed = {model.id: model for model in models}
    out = []
    for model in sorted(listed.values(), key=lambda m: (m.created, m.id)):
        job = by_output.get(model.id)
        if job is None and _fine_tune_base(model.id) is None:
            continue  # a base model
        base = job.model if job is not None else _fine_tune_base(model.id)
        shutdown = model.shutdown_date or (listed[base].shutdown_date if base in listed else None)
        files_used: list[TrainingFile] = []
        if job is not None:
            files_used.append(TrainingFile(job.training_file, names.get(job.training_file), "training"))
            if job.validation_file:
                validation = job.validation_file
                files_used.append(TrainingFile(validation, names.get(validation), "validation"))
        out.append(AccountModel(
            model_id=model.id,
            base_model=base,
            job_id=job.id if job is not None else None,
            files=tuple(files_used),
            hyperparameters=job.hyperparameters if job is not None else empty_mapping(),
            trained_tokens=job.trained_tokens if job is not None else None,
            created_at=job.created_at if job is not None else model.created or None,
            finished_at=job.finished_at if job is not None else None,
            shutdown_date=shutdown,
            managed_by=job.identity.project if job is not None and job.identity is not None else None,
        ))
    return tuple(out)


def _fine_tune_base(model_id: str) -> str | None:
    base = base_of(model_id)
    return None if base == model_id else base


def pin_names(models: Iterable[AccountModel]) -> dict[str, str]:
    """A manifest name for each model (model id -> name): its suffix, else its base model, made
    valid (letters, digits, '-', '_', at most 64) and unique by a ``-2``, ``-3``... ending."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for model in models:
        stem = _NOT_NAME.sub("-", model.suffix or model.base_model or "model").strip("-_") or "model"
        stem = stem[:NAME_LIMIT]
        name, n = stem, 1
        while name.lower() in taken:
            n += 1
            ending = f"-{n}"
            name = stem[: NAME_LIMIT - len(ending)] + ending
        taken.add(name.lower())
        out[model.model_id] = name
    return out


def dataset_filename(name: str, role: str) -> str:
    """Where a pinned model's training data is saved, under ``datasets/``."""
    return f"{name}-{role}.jsonl"


HEADER = """\
# yaml-language-server: $schema=manifest.schema.json
#
# Written by `ftops init --from-account` on {day}: every fine-tuned model the account held
# that no ftops project manages, each pinned under a name (`model:`). ftops never deletes a
# model it did not create (unless the name says `delete_external: true`). To train a
# successor, declare a job and change the name's `model:` to `job:`: the name moves when the
# successor's checks pass, and the pinned model stays in the account.
# `provenance:` is for people; ftops does not read it.

"""


def render_manifest(project: str, provider: str, pins: Iterable[Pin], managed: Iterable[AccountModel],
                    today: str) -> str:
    """The manifest of pins: project, provider, a local state, and one name per pin."""
    lines = [HEADER.format(day=today).rstrip("\n"), "", f"project: {project}",
             f"provider: {{type: {provider}}}", "backend: {type: local, path: state/ftops.state.json}", ""]
    pinned = list(pins)
    if not pinned:
        lines.append("models: {}")
    else:
        lines.append("models:")
    for pin in pinned:
        lines += [f"  {pin.name}:", f"    model: {_scalar(pin.model.model_id)}",
                  "    # checks: [{messages: [{role: user, content: ...}], contains: ...}]",
                  "    provenance:"]
        lines += [f"      {key}: {value}" for key, value in _provenance(pin).items()]
    others = list(managed)
    if others:
        lines += ["", "# Managed by another ftops project, so not pinned here:"]
        lines += [f"#   {m.model_id} (project {m.managed_by})" for m in others]
    return "\n".join(lines) + "\n"


def _provenance(pin: Pin) -> dict[str, str]:
    model = pin.model
    out: dict[str, str] = {}
    if model.job_id is not None:
        out["job"] = _scalar(model.job_id)
    if model.base_model is not None:
        out["base_model"] = _scalar(model.base_model)
    for file in model.files:
        entry: dict[str, Any] = {"id": file.id, "name": file.filename}
        if file.id in pin.saved:
            entry["saved_as"] = pin.saved[file.id]
        out[f"{file.role}_file"] = _flow(entry)
    if model.hyperparameters:
        out["hyperparameters"] = _flow(dict(model.hyperparameters))
    if model.trained_tokens is not None:
        out["trained_tokens"] = str(model.trained_tokens)
    for key, seconds in (("created_at", model.created_at), ("finished_at", model.finished_at)):
        if seconds:
            out[key] = _scalar(datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z"))
    out["shutdown_date"] = _scalar(model.shutdown_date) if model.shutdown_date else "null"
    return out


def _scalar(value: str) -> str:
    """A string as YAML reads it back exactly: JSON's quoting is valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), ensure_ascii=False, default=str)
