"""Untrusted input: whatever a manifest holds, the loader answers with a Project or a ManifestError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.errors import ManifestError
from ftops.manifest import load_project

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
