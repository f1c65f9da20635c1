"""What keeps a state write cheap (issue 9), and that none of it changes what is written or checked.

An apply writes the state after every step. Three things make each write cost about one
step's worth of work instead of the whole state's: a snapshot keeps each record's encoded
line (``FrozenRecords.lines``); a storage parses the stored document only when its bytes
are not the ones it last wrote or read; the journal's typed view and the bookkeeping
functions parse only the records that changed. These tests pin down that each shortcut is
exact: the same bytes, the same conflicts, the same errors as the long way.
"""

from __future__ import annotations

import gc
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests_state_support import BackendUnderTest

from ftops.apply.journal import StateJournal
from ftops.errors import StateConflictError, StateCorruptError
from ftops.plan import bookkeeping
from ftops.plan.observed import ObservedJob
from ftops.plan.records import parse_record, read_records
from ftops.resources import thaw
from ftops.state import StateSnapshot, new_snapshot
from ftops.state.local import LocalStorage

LINEAGE = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
ADDRESS = st.sampled_from(["datasets", "jobs", "models", "pending"]).flatmap(
    lambda kind: st.text(min_size=1, max_size=4).map(lambda name: f"{kind}.{name}")
)
EDIT = st.tuples(ADDRESS, st.none() | st.dictionaries(st.text(max_size=4), JSON, max_size=3))


# The state, its backup, and the record of the highest serial held (rollbacks).
STATE_FILES = ["state.json", "state.json.backup", "state.json.highest"]

def reference_text(snapshot: StateSnapshot) -> str:
    """The document as the format defines it, encoded from scratch with nothing kept."""

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))

    head: dict[str, Any] = {
        "format_version": snapshot.format_version,
        "ftops_version": snapshot.ftops_version,
    }
    if snapshot.job_watermark is not None:
        head["job_watermark"] = snapshot.job_watermark
    head |= {"lineage": snapshot.lineage, "project": snapshot.project, "serial": snapshot.serial}
    lines = [f"  {dump(k)}: {dump(v)}," for k, v in head.items()]
    records = [f"    {dump(a)}: {dump(thaw(snapshot.resources[a]))}" for a in sorted(snapshot.resources)]
    body = "{\n" + ",\n".join(records) + "\n  }" if records else "{}"
    return "{\n" + "\n".join(lines) + f'\n  "resources": {body}\n}}\n'


# ---- the encoded lines a snapshot keeps ---------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(EDIT, min_size=1, max_size=12))
def test_every_snapshot_of_a_chain_of_edits_encodes_exactly_as_from_scratch(
    edits: list[tuple[str, dict[str, Any] | None]],
) -> None:
    snapshot = StateSnapshot(lineage=LINEAGE, serial=0, project="p")
    for address, record in edits:
        resources = dict(snapshot.resources)
        if record is None:
            resources.pop(address, None)
        else:
            resources[address] = record
        snapshot = snapshot.with_resources(resources)
        text = snapshot.to_text()
        assert text == reference_text(snapshot)
        # A snapshot that shares nothing with the chain encodes the same bytes.
        fresh = StateSnapshot(lineage=LINEAGE, serial=0, project="p", resources=thaw(snapshot.resources))
        assert fresh.to_text() == text
        assert StateSnapshot.from_text(text, "t") == snapshot


def test_an_earlier_snapshot_of_the_chain_still_encodes_its_own_records() -> None:
    first = new_snapshot("p").with_resources({"jobs.a": {"v": 1}})
    first_text = first.to_text()
    second = first.with_resources({"jobs.a": {"v": 2}})
    assert '"jobs.a": {"v": 2}' in second.to_text()
    assert first.to_text() == first_text  # the shared lines serve each its own record object


def test_a_new_record_object_is_encoded_again_even_at_a_reused_memory_address() -> None:
    # Each record is dropped before the next is made, so CPython often gives the new one the
    # old one's address: a cache keyed by id() alone would then return the old line.
    snapshot = new_snapshot("p")
    for n in range(300):
        snapshot = snapshot.with_resources({"jobs.a": {"n": n}})
        assert f'"jobs.a": {{"n": {n}}}' in snapshot.to_text()
        gc.collect()


def test_an_equal_record_of_another_json_type_is_encoded_again() -> None:
    snapshot = new_snapshot("p").with_resources({"jobs.a": {"n": 1}})
    assert '{"n": 1}' in snapshot.to_text()
    for other, line in (({"n": 1.0}, '{"n": 1.0}'), ({"n": True}, '{"n": true}')):
        snapshot = snapshot.with_resources({"jobs.a": other})
        assert line in snapshot.to_text()


def test_a_record_refused_once_is_refused_again() -> None:
    bad = new_snapshot("p").with_resources({"jobs.a": {"when": object()}})
    for _ in range(2):
        with pytest.raises(Exception, match="not plain JSON"):
            bad.to_text()


# ---- the stored document is parsed only when another writer changed it ----------------------------


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    parse = StateSnapshot.from_text.__func__  # type: ignore[attr-defined]

    def counting(cls: type[StateSnapshot], text: str | bytes, source: str) -> StateSnapshot:
        calls[0] += 1
        return parse(cls, text, source)  # type: ignore[no-any-return]

    monkeypatch.setattr(StateSnapshot, "from_text", classmethod(counting))
    return calls


def test_successive_writes_do_not_parse_what_they_wrote(
    backend: BackendUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = backend.open()
    parses = count_parses(monkeypatch)
    snapshot = new_snapshot("p")
    for n in range(5):
        snapshot = storage.write(snapshot.with_resources({**snapshot.resources, f"jobs.j{n}": {"n": n}}))
    assert snapshot.serial == 5
    assert parses[0] == 0
    assert storage.read() == snapshot and parses[0] == 0
    assert backend.open().read() == snapshot and parses[0] == 1  # another storage object parses


def test_another_writers_change_of_the_same_size_is_parsed_and_checked(backend: BackendUnderTest) -> None:
    mine, theirs = backend.open(), backend.open()
    written = mine.write(new_snapshot("p").with_resources({"jobs.a": {"n": 1}}))
    stored_text = theirs.read_text()
    # Another lineage, same length: only the bytes tell the two documents apart.
    other = StateSnapshot(lineage=str(uuid.uuid4()), serial=written.serial, resources=written.resources,
                          project="p")
    assert len(other.to_text()) == len(written.to_text())
    theirs.replace_stored(other, stored_text)
    with pytest.raises(StateConflictError, match="belongs to lineage"):
        mine.write(written.with_resources({"jobs.a": {"n": 2}}))


def test_a_stale_write_is_refused_after_the_storage_wrote_itself(backend: BackendUnderTest) -> None:
    mine, theirs = backend.open(), backend.open()
    base = mine.write(new_snapshot("p").with_resources({"jobs.a": {"n": 1}}))
    theirs.write(theirs.read().with_resources({"jobs.a": {"n": 2}}))  # type: ignore[union-attr]
    with pytest.raises(StateConflictError, match="changed since it was read"):
        mine.write(base.with_resources({"jobs.a": {"n": 3}}))
    assert mine.read().resources["jobs.a"] == {"n": 2}  # type: ignore[union-attr]


def test_a_local_edit_in_place_keeping_size_and_times_is_seen(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "state.json")
    written = storage.write(new_snapshot("p").with_resources({"jobs.a": {"n": 1}}))
    before = storage.path.stat()
    data = storage.path.read_bytes()
    edited = data.replace(written.lineage.encode(), str(uuid.uuid4()).encode())
    with open(storage.path, "r+b") as handle:  # in place: same inode, same size
        handle.write(edited)
    os.utime(storage.path, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(StateConflictError, match="belongs to lineage"):
        storage.write(written.with_resources({"jobs.a": {"n": 2}}))


# ---- the local backup is the replaced file itself ---------------------------------------------------


def test_the_backup_is_the_previous_version_after_many_writes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "state.json")
    snapshot, texts = new_snapshot("p"), []
    for n in range(4):
        snapshot = storage.write(snapshot.with_resources({"jobs.a": {"n": n}}))
        texts.append(storage.path.read_text())
    assert storage.backup_path.read_text() == texts[-2]
    assert not storage.backup_path.samefile(storage.path)
    assert sorted(p.name for p in tmp_path.iterdir()) == STATE_FILES


def test_without_hard_links_the_backup_is_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = LocalStorage(tmp_path / "state.json")
    first = storage.write(new_snapshot("p").with_resources({"jobs.a": {"n": 1}}))
    first_text = storage.path.read_text()

    def no_links(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    storage.write(first.with_resources({"jobs.a": {"n": 2}}))
    assert storage.backup_path.read_text() == first_text
    assert sorted(p.name for p in tmp_path.iterdir()) == STATE_FILES


def test_a_backup_that_already_is_the_state_file_leaves_no_temporary_file(tmp_path: Path) -> None:
    # What a write that failed between its two renames leaves: both names on one file.
    storage = LocalStorage(tmp_path / "state.json")
    first = storage.write(new_snapshot("p").with_resources({"jobs.a": {"n": 1}}))
    first_text = storage.path.read_text()
    os.link(storage.path, storage.backup_path)
    storage.write(first.with_resources({"jobs.a": {"n": 2}}))
    assert storage.backup_path.read_text() == first_text
    assert sorted(p.name for p in tmp_path.iterdir()) == STATE_FILES


# ---- typed views parse only what changed ---------------------------------------------------------


def job_json(job_id: str, status: str = "running") -> dict[str, Any]:
    return {"job_id": job_id, "inputs_hash": "h", "status": status, "base_model": "m",
            "training_file_id": "file-1"}


def test_the_journals_typed_view_is_read_records_of_its_snapshot(tmp_path: Path) -> None:
    journal = StateJournal(LocalStorage(tmp_path / "state.json"), None, "p")
    steps: list[dict[str, Any]] = [
        {"jobs.a": job_json("ftjob-a")},
        {"pending.jobs.b": {"kind": "job", "address": "jobs.b", "identity": "h", "created_at": "now"}},
        {"jobs.b": job_json("ftjob-b")},
        {"models.m": {"model_id": "ft:x", "job_id": "ftjob-a", "protect": True, "previous": []}},
        {"jobs.a": job_json("ftjob-a", "succeeded")},
    ]
    for change in steps:

        def add(resources: Mapping[str, Any], change: dict[str, Any] = change) -> dict[str, Any]:
            return {**resources, **change}

        journal.update(add)
        assert journal.records() == read_records(journal.snapshot)
        assert journal.records() is journal.records()  # same snapshot: the same view
    journal.update(lambda resources: {k: v for k, v in resources.items() if not k.startswith("pending.")})
    assert journal.records() == read_records(journal.snapshot)
    assert not journal.records().pending


def test_the_journals_typed_view_reports_a_malformed_record_like_read_records(tmp_path: Path) -> None:
    journal = StateJournal(LocalStorage(tmp_path / "state.json"), None, "p")
    journal.update(lambda resources: {"jobs.a": job_json("ftjob-a")})
    journal.records()
    journal.update(lambda resources: {**resources, "jobs.b": {"job_id": 7}})
    with pytest.raises(StateCorruptError, match=r"record jobs\.b is malformed: job_id must be a string"):
        journal.records()


def observed_job(job_id: str, status: str) -> ObservedJob:
    return ObservedJob(id=job_id, status=status, model="m", training_file="file-1", validation_file=None,
                       fine_tuned_model=None, metadata={}, created_at=1)


def test_after_job_seen_parses_the_records_that_hold_the_job_and_reports_malformed_candidates() -> None:
    resources: dict[str, Any] = {"jobs.a": job_json("ftjob-a"), "jobs.b": job_json("ftjob-b")}
    out = bookkeeping.after_job_seen(resources, observed_job("ftjob-a", "succeeded"))
    assert out["jobs.a"]["status"] == "succeeded" and out["jobs.b"] is resources["jobs.b"]
    with pytest.raises(StateCorruptError, match=r"jobs\.c is malformed"):
        bookkeeping.after_job_seen({**resources, "jobs.c": {"job_id": 7}}, observed_job("ftjob-a", "failed"))


# ---- S3: the check before a write downloads nothing when the object is unchanged ------------------


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_s3_reads_the_state_conditionally_and_downloads_only_a_change(backend: BackendUnderTest) -> None:
    from ftops.state.s3 import S3Storage

    mine, theirs = backend.open(), backend.open()
    assert isinstance(mine, S3Storage)
    statuses: list[int] = []  # each GET of the state's HTTP status: 200 brought the document
    get_object = mine.client.get_object

    def recording(**kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        try:
            reply = get_object(**kwargs)
        except ClientError as error:
            statuses.append(int(error.response["ResponseMetadata"]["HTTPStatusCode"]))
            raise
        statuses.append(200)
        return reply

    mine.client.get_object = recording
    snapshot = mine.write(new_snapshot("p").with_resources({"jobs.a": {"n": 0}}))
    for n in range(1, 4):
        snapshot = mine.write(snapshot.with_resources({"jobs.a": {"n": n}}))
    assert statuses == [404, 304, 304, 304]  # nothing stored yet; then "not modified"
    theirs.write(theirs.read().with_resources({"jobs.a": {"n": "theirs"}}))  # type: ignore[union-attr]
    statuses.clear()
    assert mine.read().resources["jobs.a"] == {"n": "theirs"}  # type: ignore[union-attr]
    assert statuses == [200]
    with pytest.raises(StateConflictError, match="changed since it was read"):
        mine.write(snapshot.with_resources({"jobs.a": {"n": 9}}))


def test_the_journal_parses_only_the_records_changed_since_its_last_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ftops.apply.journal as journal_module

    journal = StateJournal(LocalStorage(tmp_path / "state.json"), None, "p")
    journal.update(lambda resources: {f"jobs.j{n}": job_json(f"ftjob-{n}") for n in range(50)})
    parsed: list[str] = []

    def counting(address: str, data: Any) -> Any:
        parsed.append(address)
        return parse_record(address, data)

    monkeypatch.setattr(journal_module, "parse_record", counting)
    assert len(journal.records().jobs) == 50 and len(parsed) == 50
    journal.update(lambda resources: {**resources, "jobs.j7": job_json("ftjob-7", "succeeded")})
    parsed.clear()
    assert journal.records().jobs["j7"].status == "succeeded"
    assert parsed == ["jobs.j7"]
