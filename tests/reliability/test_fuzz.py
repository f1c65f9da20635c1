"""Fuzzing (issue 8, item 6): structure-aware mutations of *real* documents, so the fuzzer
gets past the first check: a real manifest, state and saved plan (tests/reliability/fixtures,
made by an apply of the 3/3/2 project on the emulator) with one value replaced or one key
removed. The saved plan's checksum is recomputed after the mutation, so its decoder, not the
checksum, meets the junk. Never an unhandled exception: a result or an ``FtopsError``.

Already covered elsewhere (not repeated here): arbitrary bytes, YAML-ish text and structures
for the manifest loader (tests/manifest/test_property.py), the dataset checkers
(tests/datasets/test_property.py), any JSON or bytes as a state (tests/state/test_state_snapshot.py),
state records (tests/plan/test_records.py), plan files with a part replaced or arbitrary bytes
(tests/plan/test_planfile.py).
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.errors import FtopsError
from ftops.manifest import load_project, validate_manifests
from ftops.plan.planfile import _checksum, load_plan
from ftops.plan.records import read_records
from ftops.state.snapshot import StateSnapshot

from .support import MANIFEST

FIXTURES = Path(__file__).parent / "fixtures"
# JSON values, as a plan or state file can hold them (no NaN or infinities: JSON has none, and
# a plan whose checksum must be recomputed over them could not be written).
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JUNK = st.recursive(
    SCALARS | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON-like document, the root excepted."""
    out = []
    children: Any = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key)))
    return out


def mutate(document: Any, where: tuple[Any, ...], junk: Any, remove: bool) -> Any:
    mutated = copy.deepcopy(document)
    parent = mutated
    for key in where[:-1]:
        parent = parent[key]
    if remove and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = junk
    return mutated


def mutations(document: Any) -> st.SearchStrategy[Any]:
    places = paths(document)
    return st.builds(mutate, st.just(document), st.sampled_from(places), JUNK, st.booleans())


MANIFEST_DOC = yaml.safe_load(MANIFEST.replace("{base_url}", "http://127.0.0.1:9/v1"))
STATE_DOC = json.loads((FIXTURES / "converged.state.json").read_text())
PLAN_DOC = json.loads((FIXTURES / "retrain.plan").read_text())


@FUZZ
@given(mutations(MANIFEST_DOC))
def test_a_mutated_manifest_is_loaded_or_refused_cleanly(tmp_path: Path, document: Any) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir(exist_ok=True)
    for name in ("train", "valid", "extra"):
        (tmp_path / "datasets").mkdir(exist_ok=True)
        (tmp_path / "datasets" / f"{name}.jsonl").write_text('{"messages": []}\n')
    (manifests / "project.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    validate_manifests(manifests)  # never raises
    with contextlib.suppress(FtopsError):
        load_project(manifests)


@FUZZ
@given(mutations(STATE_DOC))
def test_a_mutated_state_is_read_or_refused_cleanly(document: Any) -> None:
    try:
        snapshot = StateSnapshot.from_text(json.dumps(document), "fuzzed.json")
        read_records(snapshot)
    except FtopsError:
        pass


@FUZZ
@given(mutations(PLAN_DOC["plan"]))
def test_a_mutated_plan_with_a_valid_checksum_is_read_or_refused_cleanly(tmp_path: Path, body: Any) -> None:
    envelope = {**PLAN_DOC, "plan": body}
    rest = {k: v for k, v in envelope.items() if k != "checksum"}
    envelope["checksum"] = _checksum(rest)
    path = tmp_path / "fuzzed.plan"
    path.write_text(json.dumps(envelope))
    with contextlib.suppress(FtopsError):
        load_plan(path)


def test_the_fixtures_are_read_as_they_are(tmp_path: Path) -> None:
    """The unmutated documents are valid: the mutations above start from real ones."""
    read_records(StateSnapshot.from_text(json.dumps(STATE_DOC), "converged.state.json"))
    assert load_plan(FIXTURES / "retrain.plan").changes
