"""Ownership in the state: each model record says how each model it holds came (made by the
project's jobs, pinned, imported); states written before ownership existed still read."""

from __future__ import annotations

import json

import pytest

from ftops.errors import StateCorruptError
from ftops.plan import bookkeeping
from ftops.plan.model import DeleteModel, PromoteModel
from ftops.plan.records import ModelRecord, read_records, record_json
from ftops.resources import freeze, thaw
from ftops.state import StateSnapshot

# A state as ftops wrote it before model records said who created their models: one name
# promoted from a job (job_id set), one imported without a job record (job_id "").
OLD_STATE = {
    "format_version": 1,
    "lineage": "6f1c2a4e-0b7d-4a53-9a57-1f9a3b7f5c11",
    "serial": 7,
    "project": "acme",
    "ftops_version": "0.1.0",
    "resources": {
        "models.bot": {"model_id": "ft:gpt-4o-mini-2024-07-18:acme::new", "job_id": "ftjob-2",
                       "protect": False, "previous": ["ft:gpt-4o-mini-2024-07-18:acme::old"]},
        "models.legacy": {"model_id": "ft:gpt-4o-mini-2024-07-18:acme:hand:1", "job_id": "",
                          "protect": True, "previous": []},
    },
}


def test_an_old_state_reads_with_no_origin_asserted_for_its_models() -> None:
    snapshot = StateSnapshot.from_text(json.dumps(OLD_STATE), "old.state.json")
    records = read_records(snapshot)
    bot, legacy = records.models["bot"], records.models["legacy"]
    assert (bot.model_id, bot.previous, bot.origins) == (
        "ft:gpt-4o-mini-2024-07-18:acme::new", ("ft:gpt-4o-mini-2024-07-18:acme::old",), {})
    # Unknown, not "created": the planner decides from the project's jobs (see the ownership tables).
    assert bot.created_by_ftops(bot.model_id) is None
    assert legacy.protect and legacy.created_by_ftops(legacy.model_id) is None


def test_a_promotion_over_an_old_record_records_the_new_model_and_asserts_nothing_of_the_old() -> None:
    resources = dict(OLD_STATE["resources"])  # type: ignore[call-overload]
    step = PromoteModel("models.bot", "jobs.tune", ())
    out = bookkeeping.after_promote(resources, step, model_id="ft:new2", job_id="ftjob-3")
    record = read_records({"models.bot": out["models.bot"]}).models["bot"]
    assert record.previous == ("ft:gpt-4o-mini-2024-07-18:acme::new", "ft:gpt-4o-mini-2024-07-18:acme::old")
    assert dict(record.origins) == {"ft:new2": "ftops"}


def test_a_pinned_promotion_records_the_model_as_pinned_and_keeps_earlier_origins() -> None:
    before = ModelRecord("ft:ours", "ftjob-1", False, (), freeze({"ft:ours": "ftops"}))
    resources = {"models.bot": record_json(before)}
    step = PromoteModel("models.bot", None, (), model_id="ft:hand")
    out = bookkeeping.after_promote(resources, step, model_id="ft:hand", job_id="")
    record = read_records(out).models["bot"]
    assert (record.model_id, record.job_id, record.previous) == ("ft:hand", "", ("ft:ours",))
    assert dict(record.origins) == {"ft:hand": "pinned", "ft:ours": "ftops"}
    assert record.created_by_ftops("ft:hand") is False and record.created_by_ftops("ft:ours") is True


def test_a_deleted_model_takes_its_origin_with_it() -> None:
    record = ModelRecord("ft:a", "", False, ("ft:b",), freeze({"ft:a": "pinned", "ft:b": "ftops"}))
    out = bookkeeping.after_step({"models.bot": record_json(record)}, DeleteModel("models.bot", "ft:b"))
    assert thaw(out["models.bot"])["origins"] == {"ft:a": "pinned"}


def test_an_unknown_origin_is_a_corrupt_state_naming_the_address() -> None:
    data = {"model_id": "ft:a", "job_id": "", "previous": [], "origins": {"ft:a": "borrowed"}}
    with pytest.raises(StateCorruptError) as raised:
        read_records({"models.bot": data})
    assert "models.bot" in raised.value.message and "borrowed" in raised.value.message
