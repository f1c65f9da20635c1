"""The state document: round trips, the content rule, and strict parsing of untrusted input."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftops.errors import StateCorruptError, StateError
from ftops.state import FORMAT_VERSION, StateSnapshot, new_snapshot

LINEAGE = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "lineage": LINEAGE,
        "serial": 3,
        "project": "demo",
        "ftops_version": "0.1.0",
        "resources": {"datasets.a": {"file_id": "file-1"}, "pending.x1": {"kind": "upload"}},
    }
    doc.update(overrides)
    return doc


def test_new_snapshot_has_a_fresh_lineage_and_serial_zero() -> None:
    one, two = new_snapshot("p"), new_snapshot("p")
    assert one.serial == 0 and not one.resources and one.project == "p"
    assert one.lineage != two.lineage


def test_text_round_trip_is_exact() -> None:
    snapshot = StateSnapshot.from_json(document(), "t")
    again = StateSnapshot.from_text(snapshot.to_text(), "t")
    assert again == snapshot
    assert again.to_json() == document()


def test_resources_are_deeply_frozen() -> None:
    snapshot = new_snapshot(None).with_resources({"jobs.j": {"events": [1, 2]}})
    with pytest.raises(TypeError):
        snapshot.resources["jobs.k"] = {}  # type: ignore[index]
    assert snapshot.resources["jobs.j"]["events"] == (1, 2)


def test_content_equal_ignores_serial_and_version_but_not_project() -> None:
    base = StateSnapshot.from_json(document(), "t")
    later = StateSnapshot.from_json(document(serial=9, ftops_version="9.9"), "t")
    assert base.content_equal(later)
    assert not base.content_equal(StateSnapshot.from_json(document(project="other"), "t"))
    assert not base.content_equal(base.with_resources({}))


def test_a_record_that_is_not_json_cannot_be_written() -> None:
    snapshot = new_snapshot(None).with_resources({"jobs.j": {"when": object()}})
    with pytest.raises(StateError, match="not plain JSON"):
        snapshot.to_text()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"format_version": 1, "lin', "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps(document(format_version=3)), "newer ftops"),
        (json.dumps(document(format_version=0)), "format_version 0 is not supported"),
        (json.dumps(document(format_version="1")), "format_version is missing"),
        (json.dumps({k: v for k, v in document().items() if k != "lineage"}), "lineage"),
        (json.dumps(document(lineage="not-a-uuid")), "lineage"),
        (json.dumps(document(serial=-1)), "serial"),
        (json.dumps(document(serial=True)), "serial"),
        (json.dumps(document(serial=1.5)), "serial"),
        (json.dumps(document(resources=[])), "resources is missing"),
        (json.dumps(document(resources={"datasets.a": "file-1"})), "must be an object"),
        (json.dumps(document(resources={"widgets.a": {}})), "not KIND.NAME"),
        (json.dumps(document(resources={"datasets": {}})), "not KIND.NAME"),
        (json.dumps(document(project=3)), "project"),
        (json.dumps(document(job_watermark="1700000000")), "job_watermark"),
        (json.dumps(document(job_watermark=-5)), "job_watermark"),
        (json.dumps(document(job_watermark=True)), "job_watermark"),
        (json.dumps(document(extra=1)), "unknown field"),
        ('{"format_version": NaN}', "not valid JSON"),
    ],
)
def test_malformed_documents_are_refused_with_the_source(text: str, problem: str) -> None:
    with pytest.raises(StateCorruptError, match=problem) as caught:
        StateSnapshot.from_text(text, "state/ftops.state.json")
    assert str(caught.value).startswith("state/ftops.state.json: ")
    assert caught.value.hint


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_any_json_either_parses_or_is_reported_as_corrupt(value: Any) -> None:
    with contextlib.suppress(StateCorruptError):
        StateSnapshot.from_json(value, "x")


@given(st.binary(max_size=200))
def test_any_bytes_either_parse_or_are_reported_as_corrupt(raw: bytes) -> None:
    with contextlib.suppress(StateCorruptError):
        StateSnapshot.from_text(raw, "x")


RECORDS = st.dictionaries(
    st.sampled_from(["datasets", "jobs", "models", "pending"]).flatmap(
        lambda kind: st.text(min_size=1, max_size=6).map(lambda name: f"{kind}.{name}")
    ),
    st.dictionaries(st.text(max_size=6), JSON, max_size=3),
    max_size=5,
)


@given(RECORDS, st.integers(min_value=0, max_value=2**53), st.none() | st.text(max_size=6))
def test_valid_snapshots_round_trip(resources: dict[str, Any], serial: int, project: str | None) -> None:
    snapshot = StateSnapshot(lineage=LINEAGE, serial=serial, resources=resources, project=project)
    again = StateSnapshot.from_text(snapshot.to_text(), "x")
    assert again == snapshot
    assert again.content_equal(snapshot)


def test_content_equal_tells_true_one_and_one_point_zero_apart() -> None:
    base = new_snapshot(None).with_resources({"jobs.j": {"n": 1, "list": [1]}})
    assert base.content_equal(base.with_resources({"jobs.j": {"n": 1, "list": [1]}}))
    for other in ({"n": True, "list": [1]}, {"n": 1.0, "list": [1]}, {"n": 1, "list": [True]}):
        assert not base.content_equal(base.with_resources({"jobs.j": other}))


def test_the_document_has_one_line_per_resource_in_address_order() -> None:
    snapshot = new_snapshot("p").with_resources({"jobs.b": {"x": [1, {"é": None}]}, "datasets.a": {"n": 1.5}})
    lines = snapshot.to_text().splitlines()
    assert '    "datasets.a": {"n": 1.5},' in lines
    assert '    "jobs.b": {"x": [1, {"é": null}]}' in lines
    assert lines.index('    "datasets.a": {"n": 1.5},') < lines.index('    "jobs.b": {"x": [1, {"é": null}]}')
    assert snapshot.to_text().endswith("}\n")


@pytest.mark.parametrize(
    ("snapshot", "problem"),
    [
        (StateSnapshot(lineage="x", serial=0), "lineage 'x' is not a UUID"),
        (StateSnapshot(lineage=LINEAGE, serial=-1), "serial -1"),
        (StateSnapshot(lineage=LINEAGE, serial=0, job_watermark=-1), "job_watermark -1"),
        (
            StateSnapshot(lineage=LINEAGE, serial=0, resources={"widgets.w": {}}),
            "'widgets.w' is not KIND.NAME",
        ),
        (
            StateSnapshot(lineage=LINEAGE, serial=0, resources={"jobs.j": "ftjob-1"}),
            "jobs.j is not an object",
        ),
    ],
)
def test_what_could_not_be_read_back_is_never_written(snapshot: StateSnapshot, problem: str) -> None:
    with pytest.raises(StateError, match=problem):
        snapshot.to_text()


def test_the_job_watermark_round_trips_and_counts_as_content() -> None:
    with_mark = StateSnapshot.from_text(json.dumps(document(job_watermark=1_700_000_000)), "s")
    assert with_mark.job_watermark == 1_700_000_000
    assert StateSnapshot.from_text(with_mark.to_text(), "s") == with_mark
    assert '"job_watermark": 1700000000' in with_mark.to_text()
    without = StateSnapshot.from_text(json.dumps(document()), "s")
    assert without.job_watermark is None and "job_watermark" not in without.to_text()
    assert not with_mark.content_equal(without)


def test_format_1_documents_upgrade_to_format_2_without_providers() -> None:
    snapshot = StateSnapshot.from_json(document(format_version=1), "old.json")
    assert snapshot.format_version == FORMAT_VERSION == 2
    assert dict(snapshot.providers) == {}
    assert '"providers"' not in snapshot.to_text()  # written only once recorded


def test_providers_round_trip_and_are_checked() -> None:
    providers = {"default": {"type": "openai"}, "az": {"type": "azure", "endpoint": "https://x"}}
    snapshot = StateSnapshot.from_json(document(providers=providers), "t")
    again = StateSnapshot.from_text(snapshot.to_text(), "t")
    assert again.content_equal(snapshot) and again.to_json()["providers"] == providers
    with pytest.raises(StateCorruptError, match=r"providers\.az has no type"):
        StateSnapshot.from_json(document(providers={"az": {"endpoint": "https://x"}}), "t")
    with pytest.raises(StateCorruptError, match="must be an object of strings"):
        StateSnapshot.from_json(document(providers={"az": {"type": 3}}), "t")
