"""Regenerate training_formats.json from OpenAI's published OpenAPI spec (run by hand, not by tests).

    .venv/bin/python tests/datasets/schemas/extract.py \
        ../shared/openai-openapi/openapi-with-training-formats.yaml

Copies the three training-line schemas and every schema they refer to, unchanged
except that OpenAPI 3.0's ``nullable: true`` becomes JSON Schema's ``anyOf`` with null.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOTS = ("FineTuneChatRequestInput", "FineTunePreferenceRequestInput", "FineTuneReinforcementRequestInput")
DROP = ("x-oaiMeta", "description", "example", "title", "x-stainless-const", "deprecated", "default")


def refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for item in value.values():
            found |= refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= refs(item)
    return found


def convert(value: Any) -> Any:
    if isinstance(value, dict):
        out = {
            k: ({name: convert(s) for name, s in v.items()} if k == "properties" else convert(v))
            for k, v in value.items()
            if k not in DROP and k != "nullable"
        }
        if value.get("nullable") is True:
            return {"anyOf": [{"type": "null"}, out]}
        return out
    if isinstance(value, list):
        return [convert(item) for item in value]
    return value


def main(spec_path: str) -> None:
    schemas = yaml.safe_load(Path(spec_path).read_text(encoding="utf-8"))["components"]["schemas"]
    wanted: set[str] = set()
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(refs(schemas[name]) - wanted)
    document = {
        "$comment": "From openai/openai-openapi (MIT licence, see LICENSE.openai-openapi), pull request 465, "
        "commit f7f4b05882e8cb253896c7e2f2635074784b409e; extracted by extract.py",
        "components": {"schemas": {name: convert(schemas[name]) for name in sorted(wanted)}},
    }
    out = Path(__file__).with_name("training_formats.json")
    out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
