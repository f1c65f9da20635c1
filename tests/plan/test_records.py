"""State records (strict JSON), identity helpers, and bookkeeping after steps."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import PROJECT, World, desired, job

from ftops.errors import StateCorruptError
from ftops.plan import bookkeeping
from ftops.plan.identity import (
    job_inputs_hash,
    job_spec,
    parse_upload_filename,
    upload_filename,
)
from ftops.plan.model import (
    CancelJob,
    CreateJob,
    DeleteFile,
    DeleteModel,
    ForgetResource,
    PromoteModel,
    UploadFile,
)
from ftops.plan.observed import ObservedJob
from ftops.plan.records import (
    DatasetRecord,
    JobRecord,
    ModelRecord,
    PendingRecord,
    read_records,
    record_json,
)
from ftops.provider.openai.encode import job_request
from ftops.resources import RESERVED_METADATA_KEYS, thaw

HASH = "sha256:" + "ab" * 32

RECORDS: list[Any] = [
    DatasetRecord("file-1", "f.jsonl", HASH, "cd" * 32, 120, ("file-0",)),
    JobRecord(
        "ftjob-1",
        "ee" * 32,
        "running",
        "gpt-4o-mini",
        "file-1",
        None,
        None,
        None,
        1,
        None,
        None,
        {"model": "gpt-4o-mini"},
        ("ftjob-0",),
    ),
    ModelRecord("ft:x", "ftjob-1", True, ("ft:w",)),
    PendingRecord("job", "jobs.tune", "ee" * 32, "2026-11-24T20:00:00Z"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_records_round_trip_through_json(record: Any) -> None:
    assert type(record).from_json(thaw(record_json(record)), "x.y") == record


def test_read_records_types_every_kind() -> None:
    resources = {
        "datasets.train": record_json(RECORDS[0]),
        "jobs.tune": record_json(RECORDS[1]),
        "models.bot": record_json(RECORDS[2]),
        "pending.jobs.tune": record_json(RECORDS[3]),
    }
    records = read_records(resources)
    assert records.datasets["train"] == RECORDS[0]
    assert records.jobs["tune"] == RECORDS[1]
    assert records.models["bot"] == RECORDS[2]
    assert records.pending["jobs.tune"] == RECORDS[3]


@pytest.mark.parametrize(
    ("address", "record", "message"),
    [
        ("datasets.x", {"file_id": "f"}, "filename is missing"),
        ("datasets.x", {**thaw(record_json(RECORDS[0])), "bytes": "12"}, "bytes must be an integer"),
        ("models.x", {"model_id": "m", "job_id": "j", "protect": "yes"}, "protect must be true or false"),
        (
            "pending.jobs.x",
            {"kind": "model", "address": "a", "identity": "i", "created_at": "t"},
            "kind must be",
        ),
        ("jobs.x", [], "not an object"),
        ("things.x", {}, "unknown kind"),
    ],
)
def test_malformed_records_raise_state_corrupt_naming_the_address(
    address: str, record: Any, message: str
) -> None:
    with pytest.raises(StateCorruptError, match=message) as raised:
        read_records({address: record})
    assert address in raised.value.message


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["file_id", "filename", "content_hash", "raw_sha256", "bytes", "x"]),
        st.none() | st.integers() | st.text(max_size=5) | st.lists(st.text(max_size=3)),
    )
)
def test_record_reader_raises_only_state_corrupt(data: dict[str, Any]) -> None:
    with contextlib.suppress(StateCorruptError):
        read_records({"datasets.d": data, "jobs.j": data, "models.m": data})


def test_upload_filename_is_parsed_back_only_for_this_project() -> None:
    name = upload_filename(PROJECT, "train", HASH)
    assert name == "ftops-acme--train--abababababab.jsonl"
    assert parse_upload_filename(PROJECT, name, frozenset({"train"})) == "train"
    assert parse_upload_filename("acme-two", name, frozenset({"train"})) is None
    assert (
        parse_upload_filename(PROJECT, "ftops-acme--train--abababababab.json", frozenset({"train"})) is None
    )
    assert (
        parse_upload_filename(PROJECT, "ftops-acme--x--train--abababababab.jsonl", frozenset({"train"}))
        is None
    )


def test_inputs_hash_covers_every_input_and_metadata_carries_the_tags() -> None:
    hashes = {"train": HASH, "valid": "sha256:" + "cd" * 32}
    base = job_inputs_hash(job("tune"), hashes)
    variants = [
        job("tune", model="gpt-4.1-mini-2025-04-14"),
        job("tune", n_epochs=4),
        job("tune", n_epochs="auto"),
        job("tune", n_epochs=None),
        job("tune", suffix="x"),
        job("tune", validation="valid"),
        job("tune", metadata={"team": "a"}),
    ]
    hashes_seen = {job_inputs_hash(v, hashes) for v in variants}
    assert base not in hashes_seen and len(hashes_seen) == len(variants)
    assert job_inputs_hash(job("tune"), {**hashes, "train": "sha256:" + "00" * 32}) != base
    spec = job_spec(PROJECT, job("tune", metadata={"team": "a"}), base)
    meta = job_request(spec, "file-1", None)["metadata"]
    assert set(meta) == RESERVED_METADATA_KEYS | {"team"}


def test_bookkeeping_records_each_outcome() -> None:
    world = World(desired()).converge()
    res: dict[str, Any] = dict(world.resources)
    old = read_records(res)
    upload = UploadFile("datasets.train", "/p", "new.jsonl", HASH, "cd" * 32, 5)
    res = bookkeeping.note_pending(res, "datasets.train", "file", "new.jsonl", "now")
    assert "pending.datasets.train" in res
    res = bookkeeping.after_upload(res, upload, "file-new")
    ds = read_records(res).datasets["train"]
    assert ds.file_id == "file-new" and ds.retired_file_ids == (old.datasets["train"].file_id,)
    assert "pending.datasets.train" not in res
    res = bookkeeping.after_step(res, DeleteFile("datasets.train", old.datasets["train"].file_id))
    assert read_records(res).datasets["train"].retired_file_ids == ()

    create = CreateJob("jobs.tune", "ff" * 32, job_spec(PROJECT, job("tune"), "ff" * 32), (), {"model": "m"})
    res = bookkeeping.note_pending(res, "jobs.tune", "job", "ff" * 32, "now")
    created = ObservedJob("ftjob-new", "queued", "m", "file-new", None, None, {}, 100)
    res = bookkeeping.after_create_job(res, create, created)
    jr = read_records(res).jobs["tune"]
    assert jr.job_id == "ftjob-new" and jr.previous_job_ids == (old.jobs["tune"].job_id,)
    assert (jr.status, jr.base_model, jr.training_file_id, jr.created_at) == ("queued", "m", "file-new", 100)
    assert "pending.jobs.tune" not in res
    with pytest.raises(TypeError, match="needs its outcome"):
        bookkeeping.after_step(res, CancelJob("jobs.tune", "ftjob-new"))  # type: ignore[arg-type]
    # A cancel records the service's answer: here the job had already succeeded.
    finished = replace(created, status="succeeded", fine_tuned_model="ft:new", finished_at=200)
    res = bookkeeping.after_job_seen(res, finished)
    jr = read_records(res).jobs["tune"]
    assert (jr.status, jr.fine_tuned_model, jr.finished_at) == ("succeeded", "ft:new", 200)

    res = bookkeeping.after_promote(
        res, PromoteModel("models.bot", "jobs.tune", (), True), model_id="ft:new", job_id="ftjob-new"
    )
    mr = read_records(res).models["bot"]
    assert mr.model_id == "ft:new" and mr.previous == (old.models["bot"].model_id,) and mr.protect
    res = bookkeeping.after_step(res, DeleteModel("models.bot", old.models["bot"].model_id))
    assert read_records(res).models["bot"].previous == ()


def test_a_deleted_current_object_stays_recorded_until_it_is_forgotten() -> None:
    """Removing a dataset or a model name deletes its objects, then forgets the record: a run
    that dies between the two must still know the older objects it has to delete."""
    world = World(desired()).converge()
    res: dict[str, Any] = dict(world.resources)
    upload = UploadFile("datasets.train", "/p", "new.jsonl", HASH, "cd" * 32, 5)
    res = bookkeeping.after_upload(res, upload, "file-new")
    older = read_records(res).datasets["train"].retired_file_ids
    res = bookkeeping.after_step(res, DeleteFile("datasets.train", "file-new"))
    assert read_records(res).datasets["train"].retired_file_ids == older  # still known
    promote = PromoteModel("models.bot", "jobs.tune", ())
    res = bookkeeping.after_promote(res, promote, model_id="ft:new", job_id="j")
    res = bookkeeping.after_step(res, DeleteModel("models.bot", "ft:new"))
    assert read_records(res).models["bot"].previous == (world.model_record("bot").model_id,)  # type: ignore[union-attr]
    res = bookkeeping.after_step(res, ForgetResource("models.bot"))
    assert "models.bot" not in res


def test_refresh_records_takes_job_progress_and_drops_vanished_older_objects() -> None:
    world = World(desired())
    world.upload("train")
    job_id = world.train("tune", status="running")
    ft = world.finish(job_id)
    res = bookkeeping.refresh_records(world.resources, world.observed())
    jr = read_records(res).jobs["tune"]
    assert jr.status == "succeeded" and jr.fine_tuned_model == ft
    res = {**res, "datasets.train": record_json(DatasetRecord("f", "n", HASH, "r", 1, ("gone",)))}
    assert (
        read_records(bookkeeping.refresh_records(res, world.observed())).datasets["train"].retired_file_ids
        == ()
    )
    assert bookkeeping.clear_pending({"pending.jobs.x": {}, "jobs.x": {}}) == {"jobs.x": {}}


def test_forget_vanished_drops_records_of_objects_deleted_outside_ftops() -> None:
    world = World(desired()).converge()
    file_id = world.dataset_record("train").file_id  # type: ignore[union-attr]
    model_id = world.model_record("bot").model_id  # type: ignore[union-attr]
    del world.files[file_id]
    del world.models[model_id]
    out = bookkeeping.forget_vanished(world.resources, world.observed())
    assert sorted(out) == ["jobs.tune"]
    world.resources = out
    assert [d.address for d in world.plan(refresh_only=True).drift] == []


def test_after_job_seen_records_several_jobs_in_one_pass_and_ignores_unknown_ones() -> None:
    world = World(desired()).converge()
    res: dict[str, Any] = dict(world.resources)
    spec = job_spec(PROJECT, job("other"), "ee" * 32)
    create = CreateJob("jobs.other", "ee" * 32, spec, (), {"model": "m"})
    started = ObservedJob("ftjob-o", "running", "m", "f", None, None, {}, 1)
    res = bookkeeping.after_create_job(res, create, started)
    tune = read_records(res).jobs["tune"]
    ends = (
        ObservedJob(tune.job_id, "failed", "m", "f", None, None, {}, 1, finished_at=9),
        ObservedJob("ftjob-o", "succeeded", "m", "f", None, "ft:o", {}, 1, finished_at=9),
        ObservedJob("ftjob-unknown", "succeeded", "m", "f", None, "ft:u", {}, 1),
    )
    out = read_records(bookkeeping.after_job_seen(res, *ends)).jobs
    assert (out["tune"].status, out["other"].status) == ("failed", "succeeded")
    assert out["other"].fine_tuned_model == "ft:o"
    assert set(out) == {"tune", "other"}


def test_the_view_of_the_last_snapshot_read_is_reused_and_only_for_that_snapshot() -> None:
    world = World(desired()).converge()
    snapshot = world.state()
    assert snapshot is not None
    view = read_records(snapshot)
    assert read_records(snapshot) is view
    # Another snapshot object is parsed on its own, whatever was read last.
    kept = {k: v for k, v in snapshot.resources.items() if not k.startswith("models.")}
    other = snapshot.with_resources(kept)
    assert read_records(other) is not view and read_records(other).models == {}
    assert read_records(snapshot) == view and read_records(snapshot).models
