"""Planning rules for datasets: upload new content, adopt what the account already holds,
and delete uploads nothing needs any more (only once no unfinished job reads them)."""

from __future__ import annotations

from ftops.errors import PlanError
from ftops.plan._context import Context, Draft, frozen
from ftops.plan.desired import DatasetFingerprint
from ftops.plan.identity import HASH12, hash_hex, parse_upload_filename, upload_filename
from ftops.plan.model import Action, AdoptObject, Change, DeleteFile, Drift, ForgetResource, Step, UploadFile
from ftops.plan.observed import ObservedFile
from ftops.plan.records import DatasetRecord, record_json


def plan_datasets(ctx: Context, draft: Draft) -> None:
    """Uploads and adoptions for the datasets the manifests declare (before the jobs)."""
    for name in ctx.desired_datasets():
        _plan_desired(ctx, draft, name)


def plan_dataset_cleanup(ctx: Context, draft: Draft) -> None:
    """Deletions (after the jobs, whose cancellations they may wait for)."""
    for name in sorted(ctx.records.datasets):
        if ctx.destroy or name not in ctx.project.datasets:
            _plan_removed(ctx, draft, name, ctx.records.datasets[name])
    _collect_orphans(ctx, draft)
    _plan_file_retirements(ctx, draft)


def _short(content_hash: str) -> str:
    return hash_hex(content_hash)[:HASH12]


def _record_of(file: ObservedFile, fp: DatasetFingerprint, retired: tuple[str, ...]) -> DatasetRecord:
    return DatasetRecord(
        file_id=file.id,
        filename=file.filename,
        content_hash=fp.content_hash,
        raw_sha256=fp.raw_sha256,
        bytes=file.bytes,
        retired_file_ids=retired,
    )


def _plan_desired(ctx: Context, draft: Draft, name: str) -> None:
    dataset = ctx.project.datasets[name]
    address = dataset.address
    fp = ctx.desired.datasets.get(name)
    if fp is None:
        raise PlanError(f"{address}: no fingerprint was computed for {dataset.file} (a bug in the caller)")
    filename = upload_filename(ctx.project.name, name, fp.content_hash)
    rec = ctx.records.datasets.get(name)
    forced = address in ctx.options.replaces
    found = ctx.files_by_name.get(filename, [])
    after = frozen({"filename": filename, "content_hash": fp.content_hash, "bytes": fp.size_bytes})
    before = None
    if rec is not None:
        before = frozen({"filename": rec.filename, "content_hash": rec.content_hash, "bytes": rec.bytes})
        draft.kept_files.update(rec.retired_file_ids)
        for file_id in rec.retired_file_ids:
            draft.retire_files.append((address, file_id, "an earlier upload of this dataset"))
    interrupted = address in ctx.records.pending

    def upload(supersedes: tuple[str, ...] = ()) -> UploadFile:
        return UploadFile(
            address=address,
            path=str(dataset.path),
            filename=filename,
            content_hash=fp.content_hash,
            raw_sha256=fp.raw_sha256,
            size_bytes=fp.size_bytes,
            supersedes=supersedes,
        )

    def adopt(file: ObservedFile) -> AdoptObject:
        retired = rec.retired_file_ids if rec is not None else ()
        if rec is not None and rec.file_id != file.id:
            retired = (rec.file_id, *retired)
        return AdoptObject(address, "file", file.id, record_json(_record_of(file, fp, retired)))

    chosen: ObservedFile | None = None
    if rec is not None and rec.content_hash == fp.content_hash and not forced:
        draft.kept_files.add(rec.file_id)
        if rec.file_id in ctx.observed.files:
            draft.add(Change(address, Action.NOOP, f"up to date ({rec.file_id})", before, after))
            chosen = ctx.observed.files[rec.file_id]
        else:
            draft.drift.append(Drift(address, f"file {rec.file_id} was deleted outside ftops"))
            others = [f for f in found if f.id != rec.file_id]
            if others:
                chosen = others[0]
                reason = (
                    f"{rec.file_id} was deleted outside ftops; "
                    f"adopt {filename} ({chosen.id}) found in the account"
                )
                draft.add(Change(address, Action.ADOPT, reason, before, after, (adopt(chosen),)))
            else:
                reason = f"{rec.file_id} was deleted outside ftops: upload again"
                draft.add(Change(address, Action.CREATE, reason, before, after, (upload(),)))
    elif rec is None:
        if found and not forced:
            chosen = found[0]
            why = "an earlier apply was interrupted; " if interrupted else ""
            reason = f"{why}{filename} is already in the account ({chosen.id}): adopt, do not upload again"
            draft.add(Change(address, Action.ADOPT, reason, None, after, (adopt(chosen),)))
        else:
            supersedes = tuple(f.id for f in found)
            reason = f"new dataset: {fp.examples} examples, {fp.size_bytes} bytes"
            if forced and found:
                reason = f"--replace: upload {filename} again"
            draft.add(Change(address, Action.CREATE, reason, None, after, (upload(supersedes),)))
    else:
        draft.retire_files.append((address, rec.file_id, "replaced by a new upload"))
        if forced and rec.content_hash == fp.content_hash:
            reason = f"--replace: upload {filename} again"
        else:
            reason = f"content changed ({_short(rec.content_hash)} → {_short(fp.content_hash)})"
        step: Step
        if found and not forced:
            chosen = found[0]
            step = adopt(chosen)
            reason += f"; the new upload is already in the account ({chosen.id}): adopt it"
        else:
            step = upload(tuple(f.id for f in found))
        draft.add(Change(address, Action.REPLACE, reason, before, after, (step,)))
    if chosen is not None:
        draft.kept_files.add(chosen.id)
    # Further uploads of the same content (left by a crash or a retried request, or superseded
    # by a forced upload) go once the upload that serves the dataset is in place.
    for extra in found:
        if extra.id != (chosen.id if chosen is not None else None) and (
            rec is None or extra.id != rec.file_id
        ):
            draft.retire_files.append((address, extra.id, "a duplicate upload of the same content"))


def _plan_removed(ctx: Context, draft: Draft, name: str, rec: DatasetRecord) -> None:
    address = f"datasets.{name}"
    why = "destroy" if ctx.destroy else "removed from the manifests"
    blockers = [
        (file_id, job.id, job.status)
        for file_id in (rec.file_id, *rec.retired_file_ids)
        for job in ctx.unfinished_jobs_using(file_id)
        if job.id not in draft.cancels
    ]
    if blockers:
        # Forgetting the record now would lose track of the upload: wait for the job instead.
        draft.kept_files.update((rec.file_id, *rec.retired_file_ids))
        file_id, job_id, status = blockers[0]
        draft.warn(
            f"{address}: {why}, but its upload {file_id} is still read by job {job_id} ({status}); "
            "it will be deleted once that job finishes"
        )
        return
    depends = _cancels_of(ctx, draft, (rec.file_id, *rec.retired_file_ids))
    steps: list[Step] = []
    if rec.file_id in ctx.observed.files:
        steps.append(DeleteFile(address, rec.file_id))
    before = frozen({"file_id": rec.file_id, "filename": rec.filename, "content_hash": rec.content_hash})
    for file_id in rec.retired_file_ids:
        if file_id in ctx.observed.files:
            steps.append(DeleteFile(address, file_id))
    steps.append(ForgetResource(address))
    reason = f"{why}: delete {rec.file_id}" if rec.file_id in ctx.observed.files else f"{why}: forget"
    draft.kept_files.update((rec.file_id, *rec.retired_file_ids))
    draft.add(Change(address, Action.DELETE, reason, before, None, tuple(steps), depends))


def _cancels_of(ctx: Context, draft: Draft, file_ids: tuple[str, ...]) -> tuple[str, ...]:
    keys = {
        draft.cancels[job.id]
        for file_id in file_ids
        for job in ctx.unfinished_jobs_using(file_id)
        if job.id in draft.cancels
    }
    return tuple(sorted(keys))


def _collect_orphans(ctx: Context, draft: Draft) -> None:
    """Uploads named for this project's datasets that no record and no change keeps: left by a
    run that crashed between the upload and the state write, after the content changed again."""
    pending = {a.split(".", 1)[1] for a in ctx.records.pending if a.startswith("datasets.")}
    names = frozenset(ctx.project.datasets) | frozenset(ctx.records.datasets) | frozenset(pending)
    for file in sorted(ctx.observed.files.values(), key=lambda f: (f.created_at, f.id)):
        if file.id in draft.kept_files:
            continue
        dataset = parse_upload_filename(ctx.project.name, file.filename, names)
        if dataset is not None and not any(file.id == f for _, f, _ in draft.retire_files):
            draft.retire_files.append((f"datasets.{dataset}", file.id, "an upload no state record keeps"))


def _plan_file_retirements(ctx: Context, draft: Draft) -> None:
    """Delete earlier uploads, after the jobs that read them are cancelled (run after the jobs)."""
    for address, file_id, why in sorted(set(draft.retire_files)):
        if file_id not in ctx.observed.files:
            continue  # already gone; the executor's refresh drops it from the record
        blockers = [j for j in ctx.unfinished_jobs_using(file_id) if j.id not in draft.cancels]
        if blockers:
            job = blockers[0]
            draft.warn(f"{address}: {why} ({file_id}) is kept until job {job.id} ({job.status}) finishes")
            continue
        depends = set(_cancels_of(ctx, draft, (file_id,)))
        if address in draft.actionable:
            depends.add(draft.actionable[address])  # create before destroy
        change = Change(
            address,
            Action.DELETE,
            f"delete: {why}",
            frozen({"file_id": file_id}),
            None,
            (DeleteFile(address, file_id),),
            tuple(sorted(depends)),
            deposed=file_id,
        )
        draft.add(change)
