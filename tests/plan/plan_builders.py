"""Builders for planner tests: small Projects, and a simulated account (``World``) that can be
brought to any point of a project's life (uploaded, training, trained, promoted), giving the
state and the observed account the planner reads."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ftops.plan.desired import DatasetFingerprint, Desired, JobEstimate
from ftops.plan.identity import job_inputs, job_inputs_hash, upload_filename
from ftops.plan.model import Action, Change, Plan
from ftops.plan.observed import JobError, Observed, ObservedFile, ObservedJob, ObservedModel
from ftops.plan.options import PlanOptions
from ftops.plan.planner import make_plan
from ftops.plan.records import DatasetRecord, JobRecord, ModelRecord, PendingRecord, pending_key, record_json
from ftops.provider.types import JobIdentity
from ftops.resources import (
    META_INPUTS,
    META_PROJECT,
    META_RESOURCE,
    ActiveModel,
    Budget,
    Check,
    Dataset,
    Hyperparameters,
    Job,
    Method,
    Project,
    SourceLocation,
    freeze,
)
from ftops.state import StateSnapshot

PROJECT = "acme"
BASE = "gpt-4o-mini-2024-07-18"
LINEAGE = "6f1c2a4e-0b7d-4a53-9a57-1f9a3b7f5c11"
ROOT = Path("/project")


def dataset(name: str) -> Dataset:
    return Dataset(name=name, path=ROOT / "datasets" / f"{name}.jsonl", file=f"datasets/{name}.jsonl")


def job(
    name: str,
    training: str = "train",
    validation: str | None = None,
    *,
    model: str = BASE,
    n_epochs: int | str | None = 3,
    suffix: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Job:
    return Job(
        name=name,
        model=model,
        training_file=training,
        validation_file=validation,
        method=Method("supervised", Hyperparameters(n_epochs=n_epochs)),
        suffix=suffix,
        metadata=freeze(dict(metadata or {})),
    )


def check(text: str = "Who is Chunsik?", contains: str = "Ryan") -> Check:
    return Check(
        messages=(
            freeze({"role": "system", "content": "Be brief."}),
            freeze({"role": "user", "content": text}),
        ),
        contains=(contains,),
        not_contains=("I don't know",),
        matches=r"(?i)\bcat\b",
        declared_at=SourceLocation("manifests/acme.yaml", 12, 7),
    )


def model(
    name: str, job_name: str, *, checks: int = 1, protect: bool = False, keep_previous: int = 0
) -> ActiveModel:
    return ActiveModel(
        name=name,
        job=job_name,
        checks=tuple(check() for _ in range(checks)),
        protect=protect,
        keep_previous=keep_previous,
    )


def project(
    datasets: Iterable[str] = ("train",),
    jobs: Iterable[Job] | None = None,
    models: Iterable[ActiveModel] | None = None,
    *,
    budget: float | None = None,
) -> Project:
    job_list = list(jobs) if jobs is not None else [job("tune")]
    model_list = list(models) if models is not None else [model("bot", "tune")]
    return Project(
        name=PROJECT,
        root=ROOT,
        manifests_dir=ROOT / "manifests",
        manifest_files=(ROOT / "manifests" / "acme.yaml",),
        datasets=freeze({d: dataset(d) for d in datasets}),
        jobs=freeze({j.name: j for j in job_list}),
        models=freeze({m.name: m for m in model_list}),
        budget=Budget(budget) if budget is not None else None,
    )


def fingerprint(content: str) -> DatasetFingerprint:
    digest = hashlib.sha256(content.encode()).hexdigest()
    return DatasetFingerprint(
        content_hash="sha256:" + digest,
        raw_sha256=hashlib.sha256(("raw" + content).encode()).hexdigest(),
        size_bytes=100 * len(content),
        examples=10,
    )


def desired(
    proj: Project | None = None,
    contents: Mapping[str, str] | None = None,
    usd: float | None = 1.5,
) -> Desired:
    proj = proj or project()
    contents = dict(contents or {})
    for name in proj.datasets:
        contents.setdefault(name, f"{name}-v1")
    return Desired(
        project=proj,
        datasets=freeze({n: fingerprint(contents[n]) for n in proj.datasets}),
        estimates=freeze({n: JobEstimate(training_tokens=30_000, usd=usd, n_epochs=3) for n in proj.jobs}),
    )


class World:
    """A simulated account plus the state ftops would have written, built step by step."""

    def __init__(self, want: Desired) -> None:
        self.want = want
        self.files: dict[str, ObservedFile] = {}
        self.jobs: dict[str, ObservedJob] = {}
        self.models: dict[str, ObservedModel] = {BASE: ObservedModel(BASE, "system", 1)}
        self.resources: dict[str, Any] = {}
        self.clock = 1_700_000_000
        self.counter = 0

    def _next(self, prefix: str) -> str:
        self.counter += 1
        self.clock += 10
        return f"{prefix}-{self.counter:03d}"

    # -- the account ------------------------------------------------------------------------

    def upload(self, name: str, *, record: bool = True, filename: str | None = None) -> str:
        fp = self.want.datasets[name]
        file_id = self._next("file")
        filename = filename or upload_filename(PROJECT, name, fp.content_hash)
        self.files[file_id] = ObservedFile(
            file_id, filename, fp.size_bytes, "fine-tune", "processed", self.clock
        )
        if record:
            old = self.dataset_record(name)
            retired = (old.file_id, *old.retired_file_ids) if old is not None else ()
            rec = DatasetRecord(file_id, filename, fp.content_hash, fp.raw_sha256, fp.size_bytes, retired)
            self.resources[f"datasets.{name}"] = record_json(rec)
        return file_id

    def train(
        self, name: str, status: str = "succeeded", *, record: bool = True, error: str | None = None
    ) -> str:
        spec = self.want.project.jobs[name]
        hashes = self.want.content_hashes()
        inputs_hash = job_inputs_hash(spec, hashes)
        job_id = self._next("ftjob")
        ft = f"ft:{spec.model}:{PROJECT}::{job_id}" if status == "succeeded" else None
        training = self.current_file(spec.training_file)
        validation = self.current_file(spec.validation_file) if spec.validation_file else None
        meta = {META_PROJECT: PROJECT, META_RESOURCE: spec.address, META_INPUTS: inputs_hash}
        self.jobs[job_id] = ObservedJob(
            id=job_id,
            status=status,
            model=spec.model,
            training_file=training,
            validation_file=validation,
            fine_tuned_model=ft,
            metadata=freeze(meta),
            created_at=self.clock,
            identity=JobIdentity(PROJECT, spec.address, inputs_hash),
            finished_at=self.clock + 5 if status in ("succeeded", "failed", "cancelled") else None,
            error=JobError("invalid_file", "Line 3 is not valid") if error else None,
        )
        if ft is not None:
            self.models[ft] = ObservedModel(ft, "acme-org", self.clock + 5)
        if record:
            old = self.job_record(name)
            previous = (old.job_id, *old.previous_job_ids) if old is not None else ()
            rec = JobRecord(
                job_id=job_id,
                inputs_hash=inputs_hash,
                status=status,
                base_model=spec.model,
                training_file_id=training,
                validation_file_id=validation,
                fine_tuned_model=ft,
                error="invalid_file: Line 3 is not valid" if error else None,
                inputs=freeze(job_inputs(spec, hashes)),
                previous_job_ids=previous,
            )
            self.resources[f"jobs.{name}"] = record_json(rec)
        return job_id

    def finish(self, job_id: str, status: str = "succeeded") -> str | None:
        """The service finishes a job (the state is not told)."""
        old = self.jobs[job_id]
        ft = f"ft:{old.model}:{PROJECT}::{job_id}" if status == "succeeded" else None
        self.jobs[job_id] = replace(old, status=status, fine_tuned_model=ft, finished_at=self.clock + 5)
        if ft is not None:
            self.models[ft] = ObservedModel(ft, "acme-org", self.clock + 5)
        return ft

    def promote(self, name: str) -> str:
        spec = self.want.project.models[name]
        job_rec = self.job_record(spec.job)
        assert job_rec is not None and job_rec.fine_tuned_model is not None
        old = self.model_record(name)
        previous = (old.model_id, *old.previous) if old is not None else ()
        rec = ModelRecord(job_rec.fine_tuned_model, job_rec.job_id, spec.protect, previous)
        self.resources[f"models.{name}"] = record_json(rec)
        return job_rec.fine_tuned_model

    def pending(self, address: str, kind: str, identity: str) -> None:
        rec = PendingRecord("file" if kind == "file" else "job", address, identity, "2026-11-24T20:00:00Z")
        self.resources[pending_key(address)] = record_json(rec)

    def converge(self) -> World:
        for name in sorted(self.want.project.datasets):
            self.upload(name)
        for name in sorted(self.want.project.jobs):
            self.train(name)
        for name in sorted(self.want.project.models):
            self.promote(name)
        return self

    # -- reading ----------------------------------------------------------------------------

    def dataset_record(self, name: str) -> DatasetRecord | None:
        data = self.resources.get(f"datasets.{name}")
        return DatasetRecord.from_json(data, name) if data is not None else None

    def job_record(self, name: str) -> JobRecord | None:
        data = self.resources.get(f"jobs.{name}")
        return JobRecord.from_json(data, name) if data is not None else None

    def model_record(self, name: str) -> ModelRecord | None:
        data = self.resources.get(f"models.{name}")
        return ModelRecord.from_json(data, name) if data is not None else None

    def current_file(self, dataset_name: str | None) -> str:
        fp = self.want.datasets[dataset_name or ""]
        filename = upload_filename(PROJECT, dataset_name or "", fp.content_hash)
        matches = [f.id for f in self.files.values() if f.filename == filename]
        return matches[-1] if matches else "file-missing"

    def observed(self) -> Observed:
        return Observed(
            files=freeze(dict(self.files)), jobs=freeze(dict(self.jobs)), models=freeze(dict(self.models))
        )

    def state(self, serial: int = 3) -> StateSnapshot:
        return StateSnapshot(lineage=LINEAGE, serial=serial, resources=self.resources, project=PROJECT)

    def plan(self, want: Desired | None = None, **options: Any) -> Plan:
        return make_plan(want or self.want, self.state(), self.observed(), PlanOptions(**options))


def actions(plan: Plan) -> list[tuple[str, str]]:
    """(key, action) of every actionable change, in plan order."""
    return [(c.key, c.action.value) for c in plan.changes if c.action is not Action.NOOP]


def step_kinds(plan: Plan) -> list[tuple[str, str]]:
    return [(s.address, type(s).__name__) for c in plan.changes for s in c.steps]


def change(plan: Plan, key: str) -> Change:
    matches = [c for c in plan.changes if c.key == key]
    assert matches, f"no change {key} in {[c.key for c in plan.changes]}"
    return matches[0]
