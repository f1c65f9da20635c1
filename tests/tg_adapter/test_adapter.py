"""The Together adapter against the emulator's Together API, through the official SDK over real
HTTP: uploads found by name and never made twice, jobs encoded from a ``JobSpec`` and found again
by the identity in their suffix, events, results, models, chat, cancel and deletion."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from together import Together

from ftops.emulator import RunningEmulator
from ftops.errors import DatasetError, UsageError
from ftops.plan.identity import upload_filename
from ftops.provider.together.adapter import TogetherProvider
from ftops.provider.types import JobIdentity, JobIdentityStore, JobPhase, JobSpec
from ftops.resources import Hyperparameters, Method

from .conftest import LLAMA_8B, QWEN_7B, chat_lines, write_jsonl


def _sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _upload(provider: TogetherProvider, path: Path, project: str = "tg", dataset: str = "train"):  # type: ignore[no-untyped-def]
    name = upload_filename(project, dataset, _sha(path))
    return provider.upload(path, name, path.stat().st_size, expected_sha256=_sha(path))


def _spec(
    resource: str = "jobs.a", inputs: str = "1" * 64, project: str = "tg", **changes: object
) -> JobSpec:
    fields: dict[str, object] = {"model": LLAMA_8B, "training_dataset": "train", "suffix": "chunsik"}
    fields.update(changes)
    return JobSpec(identity=JobIdentity(project, resource, inputs), **fields)  # type: ignore[arg-type]


def _wait(provider: TogetherProvider, job_id: str) -> JobPhase:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        phase = provider.retrieve_job(job_id).phase
        if phase.is_terminal:
            return phase
        time.sleep(0.02)
    raise AssertionError(f"{job_id} did not finish")


def _sdk(emulator: RunningEmulator) -> Together:
    return Together(base_url=emulator.together_base_url, api_key="k", max_retries=0)


def test_an_upload_bears_ftops_name_and_the_same_bytes_are_never_sent_twice(
    provider: TogetherProvider, emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "train.jsonl", chat_lines("cats"))
    sent: list[int] = []

    first = provider.upload(path, upload_filename("tg", "train", _sha(path)), path.stat().st_size,
                            progress=sent.append, expected_sha256=_sha(path))

    assert first.filename == upload_filename("tg", "train", _sha(path))
    assert (first.bytes, first.purpose, first.usable) == (path.stat().st_size, "fine-tune", True)
    assert sum(sent) == path.stat().st_size
    assert [f.filename for f in provider.list_files()] == [first.filename]
    emulator.clear_requests()
    again = _upload(provider, path, dataset="other")  # same bytes, another dataset's name
    assert again.id == first.id and again.filename == first.filename
    assert [(r.method, r.path, r.status) for r in emulator.requests()] == [
        ("POST", "/together/v1/files", 409), ("GET", f"/together/v1/files/{first.id}", 200),
    ]


def test_bytes_changed_since_the_plan_are_refused_before_anything_is_sent(
    provider: TogetherProvider, emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "train.jsonl", chat_lines("cats"))
    planned = _sha(path)
    write_jsonl(path, chat_lines("dogs"))
    with pytest.raises(DatasetError, match="changed after it was planned"):
        provider.upload(path, upload_filename("tg", "train", planned), path.stat().st_size,
                        expected_sha256=planned)
    assert emulator.requests() == []


def test_a_job_is_encoded_from_its_spec_and_found_again_by_its_identity(
    provider: TogetherProvider, emulator: RunningEmulator, tmp_path: Path
) -> None:
    train = _upload(provider, write_jsonl(tmp_path / "train.jsonl", chat_lines("cats")))
    valid = _upload(provider, write_jsonl(tmp_path / "valid.jsonl", chat_lines("valid", 4)), dataset="valid")
    method = Method(training="full", hyperparameters=Hyperparameters(
        n_epochs=2, batch_size=8, learning_rate=2e-5, n_checkpoints=2, n_evals=1, warmup_ratio=0.1,
    ))
    spec = _spec(model=QWEN_7B, method=method, seed=7, validation_dataset="valid")

    job = provider.create_job(spec, train.id, valid.id)

    shown = _sdk(emulator).fine_tuning.retrieve(job.id)
    assert shown.training_type is not None and shown.training_type.type == "Full"
    assert (shown.n_epochs, shown.batch_size, shown.learning_rate, shown.n_checkpoints, shown.n_evals,
            shown.warmup_ratio, shown.random_seed) == (2, 8, 2e-5, 2, 1, 0.1, 7)
    assert shown.validation_file == valid.id and shown.model == QWEN_7B
    assert shown.suffix is not None and shown.suffix.startswith("chunsik-ftops-") and len(shown.suffix) <= 40
    assert job.identity is not None and job.identity.carries(spec.identity)
    listed = provider.list_jobs("tg")
    assert [j.id for j in listed] == [job.id]
    assert listed[0].identity is not None and listed[0].identity.resource is None
    assert [j.id for j in provider.find_job(spec.identity)] == [job.id]
    assert provider.find_job(spec.identity, exclude=frozenset({job.id})) == ()
    assert provider.find_job(_spec(inputs="2" * 64).identity) == ()  # other inputs: not this job
    assert provider.find_job(_spec(resource="jobs.b").identity) == ()
    assert provider.capabilities.identity_store is JobIdentityStore.DERIVED


def test_jobs_with_a_token_are_listed_and_told_apart_by_their_digest(
    provider: TogetherProvider, tmp_path: Path
) -> None:
    ours = _upload(provider, write_jsonl(tmp_path / "a.jsonl", chat_lines("ours")))
    theirs = _upload(provider, write_jsonl(tmp_path / "b.jsonl", chat_lines("theirs")), project="tg-other")
    mine = provider.create_job(_spec(), ours.id, None)
    other = provider.create_job(_spec(project="tg-other"), theirs.id, None)
    by_hand = _sdk_job_without_identity(provider, ours.id)

    listed = {j.id: j.identity for j in provider.list_jobs("tg")}
    assert set(listed) == {mine.id, other.id}  # not the job made by hand: it has no token
    assert all(i is not None and (i.project, i.resource) == ("", None) for i in listed.values())
    carrying = [job_id for job_id, i in listed.items() if i is not None and i.carries(_spec().identity)]
    assert carrying == [mine.id]
    assert by_hand in {j.id for j in provider.list_all_jobs()}


def _sdk_job_without_identity(provider: TogetherProvider, file_id: str) -> str:
    client = provider._client  # a job made by hand with the same SDK: no ftops token
    return str(client.fine_tuning.create(training_file=file_id, model=LLAMA_8B, suffix="by-hand").id)


def test_a_finished_job_reports_events_results_and_its_model_which_answers_and_is_deleted(
    provider: TogetherProvider, tmp_path: Path
) -> None:
    train = _upload(provider, write_jsonl(tmp_path / "train.jsonl", chat_lines("cats")))
    method = Method(hyperparameters=Hyperparameters(n_epochs=3, n_checkpoints=3))
    job = provider.create_job(_spec(method=method), train.id, None)
    assert job.phase is JobPhase.VALIDATING and job.fine_tuned_model is None

    assert _wait(provider, job.id) is JobPhase.SUCCEEDED
    done = provider.retrieve_job(job.id)
    assert done.fine_tuned_model is not None and "-chunsik-ftops-" in done.fine_tuned_model
    assert done.trained_tokens and done.finished_at is not None and done.finished_at >= done.created_at
    events = provider.job_events(job.id, limit=50)
    assert events[0].created_at >= events[-1].created_at  # newest first
    assert "completed" in events[0].message.lower() or events[0].step is None
    stepped = [e for e in events if e.step is not None]
    assert stepped and all(e.total_steps for e in stepped)
    results = provider.job_results(job.id, "jobs.a")
    assert [c.step for c in results.checkpoints] == sorted(c.step for c in results.checkpoints)
    assert len(results.checkpoints) == 3 and results.checkpoints[-1].model == done.fine_tuned_model
    assert results.checkpoints[0].model == f"{job.id}:{results.checkpoints[0].step}"
    assert results.steps and results.address == "jobs.a"
    models = {m.id for m in provider.list_models()}
    assert done.fine_tuned_model in models and LLAMA_8B in models
    assert provider.base_model_of(done.fine_tuned_model) == LLAMA_8B
    reply = provider.complete(done.fine_tuned_model, [{"role": "user", "content": "Who is Chunsik?"}])
    assert "Ryan" in reply.text and reply.prompt_tokens > 0 and reply.finish_reason

    assert provider.delete_model(done.fine_tuned_model) is True
    assert done.fine_tuned_model not in {m.id for m in provider.list_models()}
    assert provider.delete_model(done.fine_tuned_model) is False


def test_a_job_without_results_yet_is_one_clear_error(
    start_emulator, connect, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    provider = connect(start_emulator(speed=0.1))
    train = _upload(provider, write_jsonl(tmp_path / "train.jsonl", chat_lines("cats")))
    job = provider.create_job(_spec(), train.id, None)
    with pytest.raises(UsageError, match="no results yet"):
        provider.job_results(job.id)
    cancelled = provider.cancel_job(job.id)
    assert cancelled.status == "cancel_requested" and cancelled.phase is JobPhase.RUNNING
    assert provider.cancel_job(job.id).status == "cancel_requested"  # again: harmless


def test_preference_training_is_dpo(
    provider: TogetherProvider, emulator: RunningEmulator, tmp_path: Path
) -> None:
    rows = [
        {"input": {"messages": [{"role": "user", "content": f"Capital of country {n}?"}]},
         "preferred_output": [{"role": "assistant", "content": f"City {n}."}],
         "non_preferred_output": [{"role": "assistant", "content": "No idea."}]}
        for n in range(8)
    ]
    train = _upload(provider, write_jsonl(tmp_path / "prefs.jsonl", rows))
    method = Method(type="dpo", training="lora", hyperparameters=Hyperparameters(beta=0.2, lora_rank=8,
                                                                                 lora_alpha=16))
    job = provider.create_job(_spec(method=method, model=QWEN_7B), train.id, None)
    shown = _sdk(emulator).fine_tuning.retrieve(job.id)
    assert shown.training_method is not None and shown.training_method.method == "dpo"
    assert shown.training_type is not None and shown.training_type.type == "Lora"
    assert _wait(provider, job.id) is JobPhase.SUCCEEDED


def test_reinforcement_is_refused_before_any_request(
    provider: TogetherProvider, emulator: RunningEmulator
) -> None:
    with pytest.raises(UsageError, match="no 'reinforcement' training"):
        provider.create_job(_spec(method=Method(type="reinforcement")), "file-x", None)
    assert emulator.requests() == []


def test_a_running_job_says_when_it_should_finish(
    start_emulator, connect, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    provider = connect(start_emulator(speed=20.0))
    train = _upload(provider, write_jsonl(tmp_path / "train.jsonl", chat_lines("cats")))
    job = provider.create_job(_spec(), train.id, None)
    assert job.estimated_finish is None  # pending: no estimate yet
    end = time.monotonic() + 20
    while (seen := provider.retrieve_job(job.id)).status not in ("queued", "running"):
        assert time.monotonic() < end and not seen.is_terminal, seen.status
        time.sleep(0.05)
    assert seen.estimated_finish is not None and seen.estimated_finish >= int(time.time())


def test_a_second_cancel_of_a_cancelled_job_returns_it(
    start_emulator, connect, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    provider = connect(start_emulator(speed=20.0))
    train = _upload(provider, write_jsonl(tmp_path / "train.jsonl", chat_lines("cats")))
    job = provider.create_job(_spec(), train.id, None)
    provider.cancel_job(job.id)
    assert _wait(provider, job.id) is JobPhase.CANCELLED
    again = provider.cancel_job(job.id)  # the service answers 400: the job is returned as it is
    assert again.id == job.id and again.phase is JobPhase.CANCELLED


def test_the_same_bytes_in_two_projects_train_each_projects_own_job(
    provider: TogetherProvider, tmp_path: Path
) -> None:
    """The service answers the second project's upload with the first's file (same sha256), whose
    name says the first project: the second project's job is still found by its digest."""
    path = write_jsonl(tmp_path / "train.jsonl", chat_lines("shared"))
    first = _upload(provider, path, project="tg")
    second = _upload(provider, path, project="tg-two")
    assert second.id == first.id and second.filename == first.filename  # the first project's name
    ours = provider.create_job(_spec(project="tg-two"), second.id, None)

    assert [j.id for j in provider.find_job(_spec(project="tg-two").identity)] == [ours.id]
    assert provider.find_job(_spec(project="tg").identity) == ()
    seen = {j.id: j.identity for j in provider.list_jobs("tg")}[ours.id]
    assert seen is not None and not seen.carries(_spec(project="tg").identity)  # not tg's job
