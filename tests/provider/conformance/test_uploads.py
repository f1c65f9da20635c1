"""Uploads: once by content. The same bytes under the same name are found again the way the
executor looks for them, a lost answer leaves one file that is found, and bytes that changed
since the plan are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops import errors
from ftops.apply.steps import find_file
from ftops.emulator import RunningEmulator
from ftops.provider.base import FineTuningProvider
from ftops.provider.retry import RetryPolicy
from ftops.provider.types import JobPhase

from .conftest import KEY
from .subjects import Subject
from .support import (
    job_spec,
    sent,
    sha256_of,
    upload,
    upload_name,
    upload_training,
    wait_until_finished,
    write_dataset,
)


def test_an_upload_is_found_again_by_its_name_as_the_executor_looks(
    provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    data = write_dataset(tmp_path / "train.jsonl", f"{project}: uploads")
    made = upload(provider, project, "train", data)
    assert made.filename == upload_name(project, "train", data) and made.usable
    assert made.bytes == data.stat().st_size
    found = find_file(provider.list_files(), made.filename, set())
    assert found is not None and found.id == made.id
    # The executor's look before an upload: this one exists, so nothing is sent again.
    assert find_file(provider.list_files(), made.filename, {made.id}) is None


def test_a_lost_answer_to_an_upload_leaves_one_file_that_is_found(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    data = write_dataset(tmp_path / "train.jsonl", f"{project}: lost uploads")
    emulator.set_faults(f"[POST {subject.file_upload_path}] seq:drop-after")
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        upload(provider, project, "train", data)
    assert "\n" not in str(caught.value)
    assert sent(emulator, subject.file_upload_path) == ["drop-after"]
    name = upload_name(project, "train", data)
    same_name = [f for f in provider.list_files() if f.filename == name]
    assert len(same_name) == 1
    assert find_file(provider.list_files(), name, set()) == same_name[0]


def test_bytes_changed_since_the_plan_are_refused_and_not_left_usable(
    provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    data = write_dataset(tmp_path / "train.jsonl", f"{project}: planned")
    planned = sha256_of(data)
    name = upload_name(project, "train", data)
    write_dataset(data, f"{project}: edited after the plan")
    with pytest.raises(errors.DatasetError) as caught:
        provider.upload(data, name, data.stat().st_size, expected_sha256=planned)
    assert "changed" in str(caught.value) and "\n" not in str(caught.value)
    assert find_file(provider.list_files(), name, set()) is None


def test_deleting_a_file_twice_says_it_was_already_gone(
    provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    if not provider.capabilities.supports_file_deletion:
        pytest.skip("the service cannot delete files")  # no adapter yet; kept for the next one
    made = upload_training(provider, project, tmp_path, "deleted")
    assert provider.delete_file(made.id) is True
    assert provider.delete_file(made.id) is False
    assert find_file(provider.list_files(), made.filename, set()) is None


def test_a_lost_answer_to_a_delete_is_retried_harmlessly(
    emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    if not provider.capabilities.supports_file_deletion:
        pytest.skip("the service cannot delete files")
    made = upload_training(provider, project, tmp_path, "lost delete")
    emulator.set_faults("[DELETE *] seq:drop-after")
    provider.delete_file(made.id)  # True or False (the retry found it gone): either way, no error
    assert next(r.fault for r in emulator.requests() if r.method == "DELETE") == "drop-after"
    assert find_file(provider.list_files(), made.filename, set()) is None


def test_the_request_counts_match_the_services_log(
    emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    """What plans and benchmarks report as requests sent is what the service received."""
    upload_training(provider, project, tmp_path, "counted")
    provider.list_files()
    logged = emulator.requests()
    assert provider.request_count == len(logged)
    assert provider.mutating_request_count == sum(1 for r in logged if r.mutating)
    assert emulator.root_url in provider.description and KEY not in provider.description


def test_a_download_gives_back_the_bytes_uploaded(
    provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    made = upload_training(provider, project, tmp_path, "downloaded")
    copy = tmp_path / "copy.jsonl"
    assert provider.download_file(made.id, copy) == made.bytes
    assert copy.read_bytes() == (tmp_path / "train.jsonl").read_bytes()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("copy")] == ["copy.jsonl"]


def test_a_429_on_an_upload_is_waited_out_and_leaves_one_usable_file(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
    project: str, tmp_path: Path,
) -> None:
    data = write_dataset(tmp_path / "train.jsonl", f"{project}: rate-limited upload")
    emulator.set_faults(f"[POST {subject.file_upload_path}] seq:429, retry-after:1.5s")
    made = upload(provider, project, "train", data)
    assert retry.waits == [1.5]
    assert sent(emulator, subject.file_upload_path)[0] == "429"
    usable = [f for f in provider.list_files() if f.filename == made.filename and f.usable]
    assert [f.id for f in usable] == [made.id]


def test_after_a_5xx_on_an_upload_what_the_executor_finds_or_makes_trains(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    """The 5xx came before the work (or, on a flow of several requests, between them): the
    executor looks, adopts a usable file if one is listed, else uploads again; either way one
    usable file, which a job trains on."""
    data = write_dataset(tmp_path / "train.jsonl", f"{project}: a 5xx on the upload")
    name = upload_name(project, "train", data)
    emulator.set_faults(f"[POST {subject.file_upload_path}] seq:500")
    with pytest.raises(errors.OutcomeUnknownError):
        upload(provider, project, "train", data)
    file = find_file(provider.list_files(), name, set()) or upload(provider, project, "train", data)
    assert [f.id for f in provider.list_files() if f.filename == name and f.usable] == [file.id]
    job = provider.create_job(job_spec(project, subject.base_model), file.id, None)
    assert wait_until_finished(provider, job.id).phase is JobPhase.SUCCEEDED
