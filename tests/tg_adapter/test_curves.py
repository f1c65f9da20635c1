"""Together's loss curve reaches ``JobEvent`` and ``JobMetrics``: its events carry no loss, its
``/fine-tunes/{id}/metrics`` does; the adapter joins them. First against a gateway that answers
given bodies (every case exact), then on the emulator through the SDK."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx
from together import Together

from ftops.plan.identity import upload_filename
from ftops.provider.openai.client import RequestCounter
from ftops.provider.together.adapter import TogetherProvider
from ftops.provider.together.client import Connection
from ftops.provider.types import JobIdentity, JobPhase, JobSpec
from ftops.resources import Hyperparameters, Method

from .conftest import KEY, LLAMA_8B, chat_lines, no_wait, write_jsonl

_EVENTS = "/together/v1/fine-tunes/ft-1/events"
_METRICS = "/together/v1/fine-tunes/ft-1/metrics"


def _event(kind: str, step: int, at: str) -> dict[str, Any]:
    return {"object": "fine-tune-event", "created_at": at, "level": "info", "message": kind, "type": kind,
            "param_count": 1, "token_count": 1, "total_steps": 40, "wandb_url": "", "step": step,
            "checkpoint_path": "", "model_path": "", "training_offset": 0, "hash": ""}


def _gateway(answers: dict[str, tuple[int, object]]) -> TogetherProvider:
    def answer(request: httpx.Request) -> httpx.Response:
        status, body = answers[request.url.path]
        return httpx.Response(status, content=json.dumps(body), headers={"content-type": "application/json"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = Together(base_url="http://gateway.test/together", api_key=KEY, max_retries=0, http_client=http)
    return TogetherProvider(Connection(client, "test", RequestCounter()), retry=no_wait())


_RUNNING = {"data": [_event("job_start", 0, "2026-12-06T09:00:00.000Z"),
                     _event("epoch_complete", 20, "2026-12-06T09:05:00.000Z")]}
_CURVE = {"metrics": [
    {"train/loss": 2.0, "train/learning_rate": 1e-5, "train/global_step": 10},
    {"train/loss": 1.5, "train/learning_rate": 1e-5, "train/global_step": 20},
    {"eval/loss": 1.7, "train/global_step": 20},
    {"train/loss": 1.1, "train/learning_rate": 1e-5, "train/global_step": 30},
]}


def test_a_training_job_leads_with_its_newest_step_and_loss() -> None:
    provider = _gateway({_EVENTS: (200, _RUNNING), _METRICS: (200, _CURVE)})

    newest, epoch, start = provider.job_events("ft-1")

    assert (newest.step, newest.total_steps, newest.train_loss) == (30, 40, 1.1)
    assert newest.message == "Step 30/40: training loss=1.1000"
    assert (epoch.step, epoch.train_loss) == (20, 1.5)  # the loss at the step the event names
    assert start.step is None and start.train_loss is None
    assert provider.job_events("ft-1", limit=1) == (newest,)


def test_events_past_the_newest_snapshot_add_no_progress_line() -> None:
    curve = {"metrics": _CURVE["metrics"][:2]}  # logged up to step 20, as far as the events go
    provider = _gateway({_EVENTS: (200, _RUNNING), _METRICS: (200, curve)})

    epoch, start = provider.job_events("ft-1")

    assert (epoch.step, epoch.train_loss) == (20, 1.5) and start.step is None


def test_a_gateway_without_the_metrics_path_still_reports_steps() -> None:
    refusal = {"error": {"message": "no such path", "type": "invalid_request_error", "param": None,
                         "code": None}}
    provider = _gateway({_EVENTS: (200, _RUNNING), _METRICS: (404, refusal)})

    epoch, _ = provider.job_events("ft-1")

    assert (epoch.step, epoch.total_steps, epoch.train_loss) == (20, 40, None)


def _finished(provider: TogetherProvider, tmp_path: Path, validation: bool) -> str:
    def upload(dataset: str, topic: str) -> str:
        path = write_jsonl(tmp_path / f"{dataset}.jsonl", chat_lines(topic, count=40))
        sha = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        name = upload_filename("tg", dataset, sha)
        return provider.upload(path, name, path.stat().st_size, expected_sha256=sha).id

    train = upload("train", "cats")
    valid = upload("valid", "dogs") if validation else None
    settings = Hyperparameters(n_epochs=3, batch_size=8, n_evals=4 if validation else None)
    spec = JobSpec(identity=JobIdentity("tg", "jobs.a", "7" * 64), model=LLAMA_8B, training_dataset="train",
                   method=Method(hyperparameters=settings))
    job = provider.create_job(spec, train, valid)
    while not provider.retrieve_job(job.id).phase.is_terminal:
        time.sleep(0.02)
    assert provider.retrieve_job(job.id).phase is JobPhase.SUCCEEDED
    return job.id


def test_results_of_a_job_on_the_emulator_have_train_and_validation_loss_by_step(
    provider: TogetherProvider, tmp_path: Path
) -> None:
    job_id = _finished(provider, tmp_path, validation=True)

    results = provider.job_results(job_id, "jobs.a")

    trained = [s for s in results.steps if s.train_loss is not None]
    evaluated = [s for s in results.steps if s.valid_loss is not None]
    assert len(trained) > 3 and len(evaluated) == 4
    assert trained[-1].train_loss is not None and trained[0].train_loss is not None
    assert trained[-1].train_loss < trained[0].train_loss
    events = provider.job_events(job_id, limit=100)
    done = next(e for e in events if e.step == results.steps[-1].step)
    assert done.train_loss == trained[-1].train_loss and done.total_steps == trained[-1].step
