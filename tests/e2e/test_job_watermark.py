"""The state's job watermark against the emulator, through the real SDK: a converged project reads
one page of its job history whatever its length, and still sees every job it must see."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # ``bench`` is a folder of the repository, not an installed package

from bench import scenario  # noqa: E402
from ftops import workflow  # noqa: E402
from ftops.plan.model import CancelJob  # noqa: E402
from ftops.plan.options import PlanOptions  # noqa: E402
from ftops.resources import META_PROJECT, META_RESOURCE  # noqa: E402

JOBS_PATH = "/v1/fine_tuning/jobs"
# 250 finished jobs of this project, an hour apart (three pages of the listing), among others'.
SCALE = scenario.Scale(datasets=3, jobs=3, models=2, account_files=20, account_jobs=300,
                       project_jobs=250, account_models=10)


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[scenario.Scenario]:
    built = scenario.build(tmp_path, SCALE)
    try:
        scenario.converge(built)
        yield built
    finally:
        built.stop()


def _settings(scene: scenario.Scenario) -> workflow.Settings:
    return workflow.Settings(manifests=scene.manifests)


def _listing_pages(scene: scenario.Scenario) -> int:
    return sum(1 for r in scene.emulator.requests() if r.method == "GET" and r.path == JOBS_PATH)


def _plan(scene: scenario.Scenario, options: PlanOptions = PlanOptions()) -> workflow.PlanRun:
    scene.emulator.clear_requests()
    return workflow.plan(_settings(scene), options)


def test_the_first_apply_records_a_watermark_and_the_next_reads_one_page(scene: scenario.Scenario) -> None:
    stored = json.loads(workflow.state_pull(_settings(scene)))
    assert isinstance(stored["job_watermark"], int)
    serial = stored["serial"]
    changes, requests, mutating = scenario.apply_once(scene)
    assert (changes, mutating) == (0, 0)
    assert requests == 3 and _listing_pages(scene) == 1
    # A no-op apply writes nothing, not even a newer watermark.
    assert json.loads(workflow.state_pull(_settings(scene)))["serial"] == serial


def test_a_state_without_watermark_reads_every_page(scene: scenario.Scenario) -> None:
    data = json.loads(workflow.state_pull(_settings(scene)))
    del data["job_watermark"]
    workflow.state_push(_settings(scene), json.dumps(data), "edited", force=True)
    run = _plan(scene)
    assert not run.plan.has_changes
    assert _listing_pages(scene) == 3 and run.observed.jobs_since is None
    assert len(run.observed.jobs) == 250


def test_replace_reads_every_page_to_find_jobs_of_any_age(scene: scenario.Scenario) -> None:
    run = _plan(scene, PlanOptions(replaces=frozenset({"jobs.j00000"})))
    assert _listing_pages(scene) == 3 and run.observed.jobs_since is None


def test_a_job_tagged_for_this_project_after_the_last_apply_is_seen_and_cancelled(
    scene: scenario.Scenario,
) -> None:
    client = openai.OpenAI(base_url=scene.emulator.base_url, api_key=scenario.API_KEY)
    line = {"messages": [{"role": "user", "content": "Who is Chunsik?"},
                         {"role": "assistant", "content": "Ryan's cat."}]}
    upload = (json.dumps(line) + "\n").encode() * 10
    training = client.files.create(file=("rogue.jsonl", upload), purpose="fine-tune").id
    rogue = client.fine_tuning.jobs.create(
        model=scenario.BASE_MODEL, training_file=training,
        metadata={META_PROJECT: scenario.PROJECT, META_RESOURCE: "jobs.rogue"},
    )
    run = _plan(scene)
    assert _listing_pages(scene) == 1 and run.observed.jobs_since is not None
    cancels = [s for c in run.plan.changes for s in c.steps if isinstance(s, CancelJob)]
    assert [s.job_id for s in cancels] == [rogue.id]
