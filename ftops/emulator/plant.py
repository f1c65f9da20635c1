"""Plant a model "made by hand": as if someone had fine-tuned it outside ftops, some time ago.

Teams bring such models to ftops (``init --from-account``, pins, recordings), so
docs and tests need one: a training file uploaded, and a fine-tuning job that
succeeded, with no metadata (so none of ftops's tags), producing
``ft:<base>:<org>:<suffix>:<id>``, its result file, events and checkpoints.

The job goes through the same checks and simulated run as one created over the
API, only created far enough in the past to have finished: today's refusals,
job cutoff and shutdown dates do not apply to it (it was trained before them),
but the base model must be fine-tunable and the training file valid.

Reached by ``ftops emulator plant-model`` (on a data folder, with or without a
server running on it), ``POST /_emulator/planted_models`` and the tests'
``plant_model`` fixture.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftops.emulator import job_creation
from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.faults import FaultInjector
from ftops.emulator.ids import new_id
from ftops.emulator.job_requests import parse_job_request
from ftops.emulator.requestlog import RequestLog
from ftops.emulator.routes.files import insert_file
from ftops.emulator.runtime import Runtime
from ftops.emulator.store import Store
from ftops.errors import UsageError

UPLOADED_BEFORE_S = 60.0  # the file was uploaded a minute before its job started


@dataclass(frozen=True, slots=True)
class PlantedModel:
    model: str  # ft:<base>:<org>:<suffix>:<id>
    job_id: str
    training_file: str  # the file id

    def to_json(self) -> dict[str, str]:
        return {"model": self.model, "job_id": self.job_id, "training_file": self.training_file}


def upload(rt: Runtime, path: Path) -> str:
    """Store a local JSONL file as an uploaded ``fine-tune`` file; its id."""
    if not path.name.endswith(".jsonl"):
        raise invalid(f"Invalid file format for Fine-Tuning API. Must be .jsonl (got {path.name!r}).")
    file_id = new_id("file-")
    blob = rt.store.blob_path(file_id)
    shutil.copyfile(path, blob)
    try:
        with rt.store.transaction() as conn:
            insert_file(rt, conn, path.name, "fine-tune", blob.stat().st_size, file_id)
    except BaseException:
        blob.unlink(missing_ok=True)
        raise
    return file_id


def plant(
    rt: Runtime, base: str, training_file: str, suffix: str | None, n_epochs: int | None = None
) -> PlantedModel:
    """A succeeded job on ``base`` trained on the uploaded ``training_file``, without metadata.

    Raises ``ApiError`` (400) as a job create would for a bad base, file or suffix, and for a
    training file the service would fail in validation (a hand-made model's file was valid)."""
    body: dict[str, Any] = {"model": base, "training_file": training_file, "suffix": suffix}
    if n_epochs is not None:
        body["hyperparameters"] = {"n_epochs": n_epochs}
    request = parse_job_request({key: value for key, value in body.items() if value is not None})
    accepted = job_creation.accept(rt, request, in_the_past=True)
    try:
        inspection = job_creation.inspect(accepted)
        if inspection.failure is not None:
            raise invalid(
                f"training file {training_file} would fail the job: {inspection.failure.message}",
                param="training_file",
                code=inspection.failure.code,
            )
        job = job_creation.record(rt, accepted, inspection, in_the_past=True)
    except BaseException:
        job_creation.discard(accepted)
        raise
    with rt.store.transaction() as conn:
        # The upload predates the job, as it did when someone made the model by hand.
        conn.execute(
            "UPDATE files SET created_at = MIN(created_at, ?) WHERE id = ?",
            (job["created_at"] - UPLOADED_BEFORE_S, training_file),
        )
    if job["status"] != "succeeded" or not job["fine_tuned_model"]:
        raise ApiError(
            500, f"The planted job {job['id']} did not finish ({job['status']}).", type="server_error"
        )
    return PlantedModel(job["fine_tuned_model"], job["id"], training_file)


def plant_in_folder(
    data_dir: Path,
    organization: str,
    base: str,
    training_path: Path,
    suffix: str | None,
    n_epochs: int | None = None,
) -> PlantedModel:
    """Upload ``training_path`` and plant a model in the emulator data folder ``data_dir`` (a
    server running on it sees the model at once); a ``UsageError`` with the service's words."""
    if not training_path.is_file():
        raise UsageError(f"--training-file {training_path}: no such file.")
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir)
    rt = Runtime(
        store=store, organization=organization, speed=1.0, faults=FaultInjector(None), log=RequestLog()
    )
    try:
        file_id = upload(rt, training_path)
        try:
            return plant(rt, base, file_id, suffix, n_epochs)
        except ApiError:
            _forget(rt, file_id)  # nothing of a refused plant stays behind
            raise
    except ApiError as error:
        raise UsageError(f"Cannot plant the model: {error.message}") from None
    finally:
        store.close()


def _forget(rt: Runtime, file_id: str) -> None:
    with rt.store.transaction() as conn:
        conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
    rt.store.blob_path(file_id).unlink(missing_ok=True)
