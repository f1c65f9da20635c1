"""Saved plans: round trip, tamper detection, staleness, secrets, and a reader that never
raises anything but an FtopsError on arbitrary bytes."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_builders import BASE, LINEAGE, World, desired, job, project

from ftops.errors import FtopsError, PlanError, StalePlanError
from ftops.plan.model import Plan
from ftops.plan.observed import ObservedModel
from ftops.plan.planfile import check_plan_fresh, dumps_plan, load_plan, loads_plan, save_plan
from ftops.state import StateSnapshot


def _plans() -> list[Plan]:
    world = World(desired()).converge()
    dated = World(desired()).converge()
    dated.models[BASE] = ObservedModel(BASE, "system", 1, shutdown_date="2027-01-14")
    return [
        World(desired()).plan(),
        world.plan(desired(contents={"train": "v2"})),
        world.plan(destroy=True),
        world.plan(refresh_only=True),
        dated.plan(desired(contents={"train": "v2"}), today=date(2026, 11, 24)),
    ]


@pytest.mark.parametrize("index", range(5))
def test_round_trip_gives_the_same_plan(tmp_path: Path, index: int) -> None:
    plan = _plans()[index]
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left


def test_hand_edited_plan_is_refused() -> None:
    text = dumps_plan(World(desired()).plan())
    edited = text.replace('"n_epochs": 3', '"n_epochs": 30')
    assert edited != text
    with pytest.raises(PlanError, match="checksum does not match"):
        loads_plan(edited, "plan.json")


def test_edited_plan_with_a_recomputed_looking_checksum_still_fails() -> None:
    document = json.loads(dumps_plan(World(desired()).plan()))
    document["plan"]["changes"] = []
    with pytest.raises(PlanError, match="checksum"):
        loads_plan(json.dumps(document), "plan.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("[1, 2]", "not an ftops plan file"),
        ('{"kind": "ftops-plan", "format_version": 9}', "format_version 9 is not supported"),
        ('{"kind": "ftops-plan", "format_version": 2, "extra": 1}', "unknown field"),
        ('{"kind": "ftops-plan", "format_version": 1, "x": NaN}', "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_plan_files_get_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        loads_plan(text, "plan.json")


def test_truncated_plan_file_is_refused() -> None:
    text = dumps_plan(World(desired()).plan())
    with pytest.raises(PlanError, match="not valid JSON"):
        loads_plan(text[: len(text) // 2], "plan.json")


def test_missing_plan_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan"):
        load_plan(tmp_path / "nope.json")


def test_plan_shaped_like_a_key_is_not_saved() -> None:
    want = desired(project(jobs=[job("tune", metadata={"note": "sk-proj-ABCDEFGHIJKLMNOPQRSTUV"})]))
    with pytest.raises(PlanError, match="shaped like an API key"):
        dumps_plan(World(want).plan())


def _state(serial: int, lineage: str = LINEAGE) -> StateSnapshot:
    return StateSnapshot(lineage=lineage, serial=serial, resources={}, project="acme")


def test_fresh_plan_is_accepted() -> None:
    plan = World(desired()).plan()
    check_plan_fresh(plan, _state(3), desired().inputs_digest())


@pytest.mark.parametrize(
    ("state", "digest_of", "message"),
    [
        (_state(4), "same", "state changed since it was made"),
        (_state(3, "0b5a7c1e-2d3f-4e5a-8b9c-0d1e2f3a4b5c"), "same", "does not match the state"),
        (None, "same", "no longer exists"),
        (_state(3), "edited", "manifests or the datasets changed"),
    ],
)
def test_stale_plans_are_refused(state: StateSnapshot | None, digest_of: str, message: str) -> None:
    plan = World(desired()).plan()
    digest = (
        desired().inputs_digest()
        if digest_of == "same"
        else desired(contents={"train": "v9"}).inputs_digest()
    )
    with pytest.raises(StalePlanError, match=message):
        check_plan_fresh(plan, state, digest)


def test_plan_made_with_no_state_is_stale_once_a_state_exists() -> None:
    plan = replace(
        World(desired()).plan(),
        base=replace(World(desired()).plan().base, state_lineage=None, state_serial=None),
    )
    check_plan_fresh(plan, None, desired().inputs_digest())
    with pytest.raises(StalePlanError, match="made with no state"):
        check_plan_fresh(plan, _state(1), desired().inputs_digest())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_reader_raises_only_ftops_errors_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(FtopsError):
        loads_plan(data, "fuzz.json")


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    _JSON, st.sampled_from(["plan", "plan.changes", "plan.base", "plan.changes.0", "plan.changes.0.steps.0"])
)
def test_reader_raises_only_ftops_errors_on_plans_with_a_part_replaced(junk: object, where: str) -> None:
    """Well-formed envelopes (valid checksum) around a damaged plan: the strict decoder's turn."""
    from ftops.plan.planfile import _checksum

    document = json.loads(dumps_plan(World(desired()).plan()))
    body = {k: v for k, v in document.items() if k != "checksum"}
    parts = where.split(".")
    node: object = body
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = junk
    else:
        node[last] = junk  # type: ignore[index]
    body["checksum"] = _checksum({k: v for k, v in body.items() if k != "checksum"})
    with contextlib.suppress(FtopsError):
        loads_plan(json.dumps(body), "fuzz.json")
