"""Untrusted input: whatever a manifest holds, the loader answers with a Project or a ManifestError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.errors import ManifestError
from ftops.manifest import load_project
from ftops.plan.identity import canonical_method
from ftops.secrets import redact

from .helpers import write_project

FIXTURE_OK = [HealthCheck.function_scoped_fixture]

YAMLISH = st.sampled_from([
    "project: p\n", "jobs:\n  j:\n", "  model: ", "training_file: ", "&a ", "*a", "<<: ", "[", "]", "{", "}",
    "- ", ": ", "\t", "'", '"', "!!", "!tag ", "---\n", "...\n", "\n", "  ", "#", "~", "auto", "1e9", ".nan",
    "datasets:\n  d: {file: ", "../", "methods", "? ", "|\n", ">\n", "\ufeff", "\x00", "é", "춘식",
])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
SECTION_KEYS = st.sampled_from(["project", "provider", "backend", "datasets", "jobs", "models", "budget",
                                "pricing", "other"])
ENTRY_KEYS = st.sampled_from(["model", "training_file", "validation_file", "method", "hyperparameters",
                              "file", "format", "job", "checks", "metadata", "suffix", "integrations", "type",
                              "grader"])


def attempt(manifests: Path, content: bytes) -> None:
    (manifests / "m.yaml").write_bytes(content)
    try:
        load_project(manifests)
    except ManifestError as error:
        assert error.diagnostics  # every refusal says why


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, content: bytes) -> None:
    attempt(write_project(tmp_path, {}), content)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(st.lists(YAMLISH | st.text(max_size=8), max_size=30).map("".join))
def test_arbitrary_yaml_like_text(tmp_path: Path, text: str) -> None:
    attempt(write_project(tmp_path, {}), text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURE_OK)
@given(st.dictionaries(SECTION_KEYS, st.dictionaries(st.text(max_size=6) | ENTRY_KEYS,
                                                       st.dictionaries(ENTRY_KEYS, JSON, max_size=5) | JSON,
                                                       max_size=3) | JSON, max_size=6))
def test_arbitrary_structures_in_the_right_places(tmp_path: Path, document: dict[str, Any]) -> None:
    """Well-formed YAML with wrong shapes reaches the schema and the cross-file rules, which must cope."""
    text = yaml.safe_dump(document, allow_unicode=True)
    attempt(write_project(tmp_path, {"datasets/d.jsonl": "{}\n"}), text.encode("utf-8", "surrogatepass"))


NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)
AUTO_OR = lambda numbers: st.just("auto") | numbers  # noqa: E731


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    job_name=NAMES,
    n_epochs=AUTO_OR(st.integers(1, 50)),
    batch_size=AUTO_OR(st.integers(1, 256)),
    lrm=AUTO_OR(st.floats(min_value=1e-6, max_value=100, allow_nan=False) | st.integers(1, 10)),
    suffix=st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    seed=st.none() | st.integers(0, 2**31 - 1),
    metadata=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
        lambda k: not k.startswith("ftops_")),
        st.text(max_size=40).filter(lambda v: redact(v) == v),  # key-shaped values are refused, rightly
        max_size=13),
    shorthand=st.booleans(),
)
def test_valid_jobs_round_trip_to_the_typed_model(tmp_path: Path, job_name: str, n_epochs: Any,
                                                   batch_size: Any, lrm: Any, suffix: str | None,
                                                   seed: int | None, metadata: dict[str, str],
                                                   shorthand: bool) -> None:
    hyper = {"n_epochs": n_epochs, "batch_size": batch_size, "learning_rate_multiplier": lrm}
    job: dict[str, Any] = {"model": "gpt-4o-mini-2024-07-18", "training_file": "d"}
    if shorthand:
        job["hyperparameters"] = hyper
    else:
        job["method"] = {"type": "supervised", "hyperparameters": hyper}
    if suffix is not None:
        job["suffix"] = suffix
    if seed is not None:
        job["seed"] = seed
    if metadata:
        job["metadata"] = metadata
    document = {"project": "p", "datasets": {"d": {"file": "../datasets/d.jsonl"}}, "jobs": {job_name: job}}
    manifests = write_project(tmp_path, {"datasets/d.jsonl": "{}\n"})
    # escaped, so that characters YAML reads as line breaks (NEL, LS, PS) survive the trip
    (manifests / "m.yaml").write_text(yaml.safe_dump(document, allow_unicode=False), encoding="utf-8")

    loaded = load_project(manifests).jobs[job_name]

    assert loaded.name == job_name and loaded.training_file == "d" and loaded.suffix == suffix
    assert loaded.seed == seed and dict(loaded.metadata) == metadata
    assert loaded.method.type == "supervised"
    hp = loaded.method.hyperparameters
    assert (hp.n_epochs, hp.batch_size) == (n_epochs, batch_size)
    assert hp.learning_rate_multiplier == (lrm if lrm == "auto" else float(lrm))
    assert canonical_method(loaded.method)["supervised"]["hyperparameters"] == {
        "n_epochs": n_epochs, "batch_size": batch_size,
        "learning_rate_multiplier": lrm if lrm == "auto" else float(lrm)}
