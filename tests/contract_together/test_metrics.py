"""Training metrics through the together SDK: ``GET /v1/fine-tunes/{id}/metrics`` carries the loss
by step (the spec's events carry none), every answer valid against the spec's schema, in a shape
the SDK's own chart reads."""

from __future__ import annotations

from pathlib import Path

import httpx
from together import Together
from together.lib.cli.components.plot_finetune_metrics import metrics_ascii_charts

from .conftest import LLAMA_8B, ResponseChecker, wait
from .data import CAPITALS, write_jsonl

_MANY = CAPITALS * 8  # enough steps at batch size 8 for several evaluations


def _train_and_eval(rows: list[dict[str, float]]) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    return [r for r in rows if "train/loss" in r], [r for r in rows if "eval/loss" in r]


def test_a_job_logs_train_loss_by_step_and_evaluates_its_validation_file_n_evals_times(
    client: Together, tmp_path: Path, checker: ResponseChecker
) -> None:
    training = client.files.upload(file=write_jsonl(tmp_path / "t.jsonl", _MANY), purpose="fine-tune").id
    valid = client.files.upload(file=write_jsonl(tmp_path / "v.jsonl", CAPITALS[:4]), purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=training, validation_file=valid, n_evals=4, n_epochs=3,
                                    learning_rate=1e-4, model=LLAMA_8B, batch_size=8)
    assert wait(client, job.id) == "completed"

    rows = client.fine_tuning.list_metrics(job.id).metrics or []
    train, evals = _train_and_eval(rows)
    total = client.fine_tuning.retrieve(job.id).total_steps
    assert total and train and len(evals) == 4
    assert all(set(r) == {"train/loss", "train/learning_rate", "train/global_step"} for r in train)
    assert all(set(r) == {"eval/loss", "train/global_step"} for r in evals)
    steps = [r["train/global_step"] for r in train]
    assert steps == sorted(set(steps)) and steps[-1] == total  # chronological, up to the last step
    assert [r["train/global_step"] for r in evals][-1] == total
    assert train[-1]["train/loss"] < train[0]["train/loss"]  # the model learns
    assert max(r["train/learning_rate"] for r in train) <= 1e-4
    assert "FinetuneMetrics" in checker.checked
    # The spec's events carry no loss: the metrics are where the curve lives.
    assert all("loss" not in event.model_dump() for event in client.fine_tuning.list_events(job.id).data)
    assert "train/loss" in str(metrics_ascii_charts(rows, width=60))  # the SDK's own chart reads them


def test_filters_by_step_sampling_and_the_specs_json_body(
    client: Together, tmp_path: Path, http: httpx.Client
) -> None:
    training = client.files.upload(file=write_jsonl(tmp_path / "t.jsonl", _MANY), purpose="fine-tune").id
    valid = client.files.upload(file=write_jsonl(tmp_path / "v.jsonl", CAPITALS[:4]), purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=training, validation_file=valid, n_evals=5, n_epochs=4,
                                    model=LLAMA_8B, batch_size=8)
    assert wait(client, job.id) == "completed"
    every = client.fine_tuning.list_metrics(job.id).metrics or []
    train, evals = _train_and_eval(every)
    assert len(train) > 3

    middle = train[len(train) // 2]["train/global_step"]
    later = client.fine_tuning.list_metrics(job.id, global_step_from=int(middle)).metrics or []
    assert later and all(r["train/global_step"] >= middle for r in later)
    assert later == [r for r in every if r["train/global_step"] >= middle]
    sampled = client.fine_tuning.list_metrics(job.id, resolution=2).metrics or []
    sampled_train, sampled_evals = _train_and_eval(sampled)
    assert len(sampled_train) == 2 and sampled_train[-1] == train[-1]
    assert sampled_evals == evals  # resolution "does not limit the number of eval metric points"

    body = http.request("GET", f"/fine-tunes/{job.id}/metrics", headers={"Authorization": "Bearer k"},
                        json={"global_step_to": int(middle)})
    assert body.status_code == 200
    assert body.json()["metrics"] == [r for r in every if r["train/global_step"] <= middle]
    assert http.get(f"/fine-tunes/{job.id}/metrics", params={"global_step_from": "x"},
                    headers={"Authorization": "Bearer k"}).status_code == 400
    assert http.get("/fine-tunes/ft-00000000-0000-0000-0000-000000000000/metrics",
                    headers={"Authorization": "Bearer k"}).status_code == 404


def test_a_job_without_validation_logs_no_evaluations_and_nothing_before_it_trains(
    client: Together, start_emulator, make_client, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    training = client.files.upload(file=write_jsonl(tmp_path / "t.jsonl", _MANY), purpose="fine-tune").id
    job = client.fine_tuning.create(training_file=training, model=LLAMA_8B, batch_size=8)
    assert wait(client, job.id) == "completed"
    train, evals = _train_and_eval(client.fine_tuning.list_metrics(job.id).metrics or [])
    assert train and not evals

    slow = make_client(start_emulator(speed=0.01, data_dir=tmp_path / "slow"))
    training = slow.files.upload(file=write_jsonl(tmp_path / "t.jsonl", _MANY), purpose="fine-tune").id
    pending = slow.fine_tuning.create(training_file=training, model=LLAMA_8B, batch_size=8)
    assert slow.fine_tuning.list_metrics(pending.id).metrics == []  # nothing trained yet
