"""The executor on hand-made plans, against a real emulator through the real SDK.

Plans are written by hand here (not by the planner) so that each test pins one
executor rule: dependency order, parallel uploads, intents before creates, a failure
skipping what depends on it, pending promotions, lost responses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ftops.apply import PlainReporter, StateJournal, Status, WaitOptions, execute
from ftops.apply.steps import StepRunner
from ftops.emulator import EmulatorConfig, RunningEmulator, start_background
from ftops.errors import OutcomeUnknownError
from ftops.plan.model import Action, Change, CreateJob, DeleteModel, Plan, PlanBase, PromoteModel, UploadFile
from ftops.plan.records import read_records
from ftops.provider import JobIdentity, JobSpec, Provider, open_provider
from ftops.resources import BackendConfig, Check, Hyperparameters, Method, Project, ProviderConfig
from ftops.state import open_storage

PROJECT = "unit"


def examples(topic: str, count: int = 12) -> str:
    lines = []
    for i in range(count):
        messages = [
            {"role": "user", "content": f"Question {i} about {topic}?"},
            {"role": "assistant", "content": f"Answer {i}: Ryan's cat Chunsik likes {topic}."},
        ]
        lines.append(json.dumps({"messages": messages}))
    return "\n".join(lines) + "\n"


class Harness:
    def __init__(self, root: Path, emu: RunningEmulator) -> None:
        self.root = root
        self.emu = emu
        self.project = Project(name=PROJECT, root=root, manifests_dir=root, manifest_files=())
        self.provider: Provider = open_provider(ProviderConfig(type="openai", base_url=emu.base_url))
        self.storage = open_storage(BackendConfig(path="state.json"), root)
        self.journal = StateJournal(self.storage, None, PROJECT)
        self.lines: list[str] = []

    def reporter(self) -> PlainReporter:
        harness = self

        class Recording(PlainReporter):
            def line(self, text: str) -> None:
                harness.lines.append(text)

        return Recording()

    def dataset(self, name: str, topic: str) -> UploadFile:
        path = self.root / f"{name}.jsonl"
        path.write_text(examples(topic))
        size = path.stat().st_size
        raw = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        return UploadFile(f"datasets.{name}", str(path), f"ftops-{PROJECT}--{name}--{'a' * 12}.jsonl",
                          f"sha256:{name}", raw, size)

    def execute(self, *changes: Change, wait: WaitOptions | None = None, parallelism: int = 4):  # type: ignore[no-untyped-def]
        plan = Plan(PROJECT, PlanBase(None, None, "digest"), changes=tuple(changes))
        return execute(plan, provider=self.provider, journal=self.journal, project=self.project,
                       reporter=self.reporter(), wait=wait, parallelism=parallelism)

    def state(self) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.root / "state.json").read_text())["resources"]
        return data


def create_job(name: str, training: str, inputs_hash: str = "h" * 64) -> CreateJob:
    spec = JobSpec(
        identity=JobIdentity(PROJECT, f"jobs.{name}", inputs_hash),
        model="gpt-4o-mini-2024-07-18",
        training_dataset=training,
        method=Method(hyperparameters=Hyperparameters(n_epochs=1)),
        suffix=name,
    )
    return CreateJob(f"jobs.{name}", inputs_hash, spec)


def change(step: object, *deps: str, action: Action = Action.CREATE) -> Change:
    address = step.address  # type: ignore[attr-defined]
    return Change(address, action, "test", steps=(step,), depends_on=deps)  # type: ignore[arg-type]


@pytest.fixture
def harness_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Harness]]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-unit-key-0123456789")
    made: list[Harness] = []

    def make(faults: str | None = None, speed: float = 2000.0) -> Harness:
        root = tmp_path / f"h{len(made)}"
        root.mkdir()
        emu = start_background(EmulatorConfig(data_dir=root / "emu", speed=speed, faults=faults))
        made.append(Harness(root, emu))
        return made[-1]

    yield make
    for harness in made:
        harness.provider.close()
        harness.emu.stop()


def test_uploads_run_in_parallel_and_a_job_waits_for_its_datasets(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory("[POST /v1/files] latency:0.3s")
    uploads = [h.dataset(n, n) for n in ("one", "two", "three")]
    job = create_job("j", "two")
    result = h.execute(*(change(u) for u in uploads), change(job, "datasets.two"))
    assert [o.status for o in result.outcomes] == [Status.DONE] * 4
    spans = sorted((r.started_at, r.started_at + r.duration_s) for r in h.emu.requests()
                   if r.method == "POST" and r.path == "/v1/files")
    assert len(spans) == 3
    assert spans[1][0] < spans[0][1]  # the second upload started before the first ended
    records = read_records(h.journal.snapshot)
    assert set(records.datasets) == {"one", "two", "three"}
    assert records.pending == {}
    created = h.provider.retrieve_job(records.jobs["j"].job_id)
    assert created.training_file == records.datasets["two"].file_id
    assert result.mutating_requests == 4


def test_a_failed_change_skips_what_depends_on_it_and_leaves_its_intent(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory()
    broken = h.dataset("broken", "x")
    Path(broken.path).unlink()  # the file vanished after planning
    fine = h.dataset("fine", "y")
    result = h.execute(change(broken), change(fine), change(create_job("j", "broken"), "datasets.broken"),
                       parallelism=1)
    statuses = {o.address: o.status for o in result.outcomes}
    assert statuses["datasets.broken"] is Status.FAILED
    assert statuses["jobs.j"] is Status.SKIPPED
    assert "datasets.broken" in result.failed[0].message
    state = h.state()
    assert "pending.datasets.broken" in state  # the intent written before the create stays
    assert "datasets.broken" not in state


def test_a_promotion_waits_or_stays_pending_and_its_prune_follows_it(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory(speed=50.0)  # slow enough that the job is still running after the create
    upload = h.dataset("train", "cats")
    check = Check(({"role": "user", "content": "Question 3 about cats?"},), contains=("Ryan",))
    promote = PromoteModel("models.m", "jobs.j", (check,), protect=False)
    prune = DeleteModel("models.m", "ft:gpt-4o-mini-2024-07-18:org::old")
    prune_change = Change("models.m", Action.DELETE, "prune", steps=(prune,), depends_on=("models.m",),
                          deposed=prune.model_id)
    first = h.execute(change(upload), change(create_job("j", "train"), "datasets.train"),
                      change(promote, "jobs.j"), prune_change)
    statuses = [o.status for o in first.outcomes]
    assert statuses == [Status.DONE, Status.DONE, Status.PENDING, Status.SKIPPED]
    assert "models.m" not in h.state()
    assert not any(r.method == "DELETE" for r in h.emu.requests())

    second = h.execute(change(promote), wait=WaitOptions(first_interval=0.05, max_interval=0.2))
    assert [o.status for o in second.outcomes] == [Status.DONE], second.outcomes
    record = read_records(h.journal.snapshot)
    assert record.models["m"].model_id == record.jobs["j"].fine_tuned_model
    assert record.jobs["j"].status == "succeeded"


@pytest.mark.parametrize(
    ("faults", "jobs_created", "adopted"),
    [("[POST /v1/fine_tuning/jobs] seq:drop-after", 1, True),
     ("[POST /v1/fine_tuning/jobs] seq:500,500", 1, False),
     ("[POST /v1/fine_tuning/jobs] seq:drop", 1, False)],
    ids=["lost-answer-adopted", "two-500s-looked-then-created", "dropped-before-work"],
)
def test_a_create_with_an_unknown_outcome_looks_before_trying_again(
    faults: str, jobs_created: int, adopted: bool, harness_factory: Callable[..., Harness]
) -> None:
    h = harness_factory(faults)
    assert h.execute(change(h.dataset("train", "cats"))).failed == ()
    runner = StepRunner(h.provider, h.journal, h.project, h.reporter(), None, pause=lambda _s: None)
    runner.run(create_job("j", "train"))
    jobs = h.provider.list_jobs(PROJECT)
    assert len(jobs) == jobs_created
    assert read_records(h.journal.snapshot).jobs["j"].job_id == jobs[0].id
    assert any("adopting it" in line for line in h.lines) is adopted


def test_a_create_never_found_fails_clearly_with_its_intent_kept(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory("[POST /v1/fine_tuning/jobs] seq:drop,drop,drop")
    assert h.execute(change(h.dataset("train", "cats"))).failed == ()
    runner = StepRunner(h.provider, h.journal, h.project, h.reporter(), None, pause=lambda _s: None)
    with pytest.raises(OutcomeUnknownError):
        runner.run(create_job("j", "train"))
    assert h.provider.list_jobs(PROJECT) == ()
    assert "pending.jobs.j" in h.state()


def test_a_stop_ends_a_wait_at_once_and_the_job_keeps_running(
    harness_factory: Callable[..., Harness],
) -> None:
    import threading

    from ftops.apply import WaitStopped
    from ftops.apply.waiting import wait_for_job

    h = harness_factory(speed=1.0)  # minutes per job: it cannot finish during this test
    assert h.execute(change(h.dataset("train", "cats")), change(create_job("j", "train"), "datasets.train"))
    job = h.provider.retrieve_job(read_records(h.journal.snapshot).jobs["j"].job_id)
    stop = threading.Event()
    stop.set()
    with pytest.raises(WaitStopped, match="stopped waiting"):
        wait_for_job(h.provider, "jobs.j", job, h.reporter(), WaitOptions(), stop)
    assert not h.provider.retrieve_job(job.id).is_terminal


@pytest.mark.parametrize(
    "faults",
    ["[POST /v1/uploads/*/parts] seq:ok,drop-after; [POST /v1/uploads/*/complete] seq:drop-after",
     "[POST /v1/uploads] seq:drop-after; [POST /v1/uploads/*/parts] seq:500"],
    ids=["part-and-complete-lost", "upload-create-lost-part-500"],
)
def test_a_large_upload_in_parts_survives_lost_answers(
    faults: str, harness_factory: Callable[..., Harness]
) -> None:
    h = harness_factory(faults)
    h.provider.plain_upload_limit = 1024  # this small file goes through the uploads API
    h.provider.part_size = 1024
    upload = h.dataset("big", "parts")
    result = h.execute(change(upload))
    assert result.failed == (), result.failed
    files = [f for f in h.provider.list_files() if f.filename == upload.filename]
    assert len(files) == 1
    assert files[0].bytes == upload.size_bytes
    assert read_records(h.journal.snapshot).datasets["big"].file_id == files[0].id


def test_a_lost_answer_to_a_cancel_is_harmless(harness_factory: Callable[..., Harness]) -> None:
    from ftops.plan.model import CancelJob

    h = harness_factory("[POST /v1/fine_tuning/jobs/*/cancel] seq:drop-after", speed=1.0)  # jobs stay running
    assert h.execute(change(h.dataset("train", "cats")),
                     change(create_job("slow", "train"), "datasets.train")).failed == ()
    job_id = read_records(h.journal.snapshot).jobs["slow"].job_id
    result = h.execute(change(CancelJob("jobs.slow", job_id), action=Action.DELETE))
    assert result.failed == (), result.failed
    assert h.provider.retrieve_job(job_id).status == "cancelled"
    assert read_records(h.journal.snapshot).jobs["slow"].status == "cancelled"
    cancels = [r for r in h.emu.requests() if r.path.endswith("/cancel")]
    assert [r.fault for r in cancels] == ["drop-after", None]  # lost, then repeated safely


def test_a_lost_answer_to_a_model_delete_is_harmless(harness_factory: Callable[..., Harness]) -> None:
    from ftops.apply.waiting import wait_for_job

    h = harness_factory("[DELETE /v1/models/*] seq:drop-after")
    assert h.execute(change(h.dataset("train", "cats")),
                     change(create_job("done", "train"), "datasets.train")).failed == ()
    job = h.provider.retrieve_job(read_records(h.journal.snapshot).jobs["done"].job_id)
    job = wait_for_job(h.provider, "jobs.done", job, h.reporter(), WaitOptions(first_interval=0.05))
    assert job.fine_tuned_model
    result = h.execute(change(DeleteModel("jobs.done", job.fine_tuned_model), action=Action.DELETE))
    assert result.failed == (), result.failed
    assert job.fine_tuned_model not in {m.id for m in h.provider.list_models()}
    assert any("already gone" in line for line in h.lines)  # the repeat found it deleted


def test_a_dataset_changed_after_planning_is_not_left_uploaded(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory()
    upload = h.dataset("train", "cats")  # planned with these bytes
    Path(upload.path).write_text(examples("dogs"))  # edited between the plan and the upload
    result = h.execute(change(replace(upload, size_bytes=Path(upload.path).stat().st_size)))
    assert len(result.failed) == 1 and "changed after it was planned" in result.failed[0].message
    assert [f for f in h.provider.list_files() if f.filename == upload.filename] == []
    assert "datasets.train" not in h.state()


def test_the_bytes_uploaded_are_the_bytes_planned(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory("[POST /v1/files] seq:429")  # a resend must hash from the start again
    upload = h.dataset("train", "cats")
    assert h.execute(change(upload)).failed == ()
    file_id = read_records(h.journal.snapshot).datasets["train"].file_id
    assert h.provider._client.files.content(file_id).read() == Path(upload.path).read_bytes()


def test_a_large_dataset_changed_after_planning_cancels_its_upload(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory()
    h.provider.plain_upload_limit = 1024
    h.provider.part_size = 1024
    upload = h.dataset("big", "cats")
    Path(upload.path).write_text(examples("dogs"))
    result = h.execute(change(replace(upload, size_bytes=Path(upload.path).stat().st_size)))
    assert len(result.failed) == 1 and "upload was cancelled" in result.failed[0].message
    assert [f for f in h.provider.list_files() if f.filename == upload.filename] == []
