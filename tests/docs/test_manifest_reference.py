"""docs/manifest-reference.md is generated from the JSON Schema and must match it exactly."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "manifest-reference.md"
SCHEMA = REPO / "ftops" / "manifest" / "manifest.schema.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_manifest_reference", REPO / "docs" /
                                                  "gen_manifest_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_schema_generates() -> None:
    expected = generator().generate(json.loads(SCHEMA.read_text()))
    assert PAGE.read_text() == expected, (
        "docs/manifest-reference.md is out of date with the schema: run python docs/gen_manifest_reference.py"
    )


def property_names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                found |= set(value)
            found |= property_names(value)
    elif isinstance(node, list):
        for item in node:
            found |= property_names(item)
    return found


def test_every_key_of_the_schema_is_documented() -> None:
    page = PAGE.read_text()
    missing = {name for name in property_names(json.loads(SCHEMA.read_text())) if f"| `{name}` |" not in page}
    assert not missing


def test_every_link_of_the_page_reaches_a_heading() -> None:
    page = PAGE.read_text()
    anchor = generator().anchor
    headings = {anchor(h) for h in re.findall(r"^## (.+)$", page, flags=re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", page))
    assert links and links <= headings


def test_a_changed_schema_changes_the_page() -> None:
    schema = json.loads(SCHEMA.read_text())
    schema["$defs"]["model"]["properties"]["keep_previous"]["description"] = "Something else entirely."
    assert "Something else entirely." in generator().generate(schema)
    assert generator().generate(schema) != PAGE.read_text()
