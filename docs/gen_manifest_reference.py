"""Generate docs/manifest-reference.md from ftops/manifest/manifest.schema.json.

    python docs/gen_manifest_reference.py          # rewrite the page
    python docs/gen_manifest_reference.py --check  # exit 1 if the page is out of date

The schema is the single source of truth (editors and ``ftops validate`` use it
too); this page is only a readable view of it, and tests/docs fails when the
committed page differs from what this script makes, so the two cannot drift.

Every object of the schema becomes a section with a table of its keys: type,
whether it is required, its default, its constraints and its description.
Conditional keys (``if``/``then``/``else``, e.g. Azure-only provider settings or
the hyperparameters of each method) are listed under the condition that allows them.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, installed or not

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "ftops" / "manifest" / "manifest.schema.json"
PAGE = REPO / "docs" / "manifest-reference.md"


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, spaces to '-', punctuation dropped."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def code(value: Any) -> str:
    return f"`{json.dumps(value) if not isinstance(value, str) else value}`"


def backend_options() -> str:
    """Where the remote backends' credentials come from (the schema checks their options;
    the names are read from the code that uses them, so this note cannot drift)."""
    from ftops.state import postgres, s3

    s3_options = ", ".join(f"`{o}`" for o in s3.OPTIONS)
    pg_options = ", ".join(f"`{o}`" for o in postgres.OPTIONS)
    return (
        f"Options of `type: s3` (used by ftops/state/s3.py): {s3_options}; `bucket` is required, "
        f"`key` defaults to `{s3.DEFAULT_KEY}`. Credentials come from the usual AWS sources "
        "(AWS_* variables, profiles, instance roles), never from a manifest.\n\n"
        f"Options of `type: postgres` (used by ftops/state/postgres.py): {pg_options}; `schema` "
        "defaults to `ftops` and `name` to `default`. The connection comes from "
        f"`{postgres.CONN_ENV}` or libpq's PG* variables, never from a manifest.\n\n"
        "See [GitOps: remote state](gitops.md#remote-state) for choosing one.\n"
    )


NOTES = {"backend": backend_options}


def narrow(when: str, clause: str) -> str:
    """``when`` and ``clause``; a clause "`k` is v" makes earlier "`k` is not ..." clauses redundant."""
    clauses = when.split(" and ") if when else []
    if " is not " not in clause and clause.startswith("`"):
        key = clause.split(" is ", 1)[0]
        clauses = [c for c in clauses if not c.startswith(f"{key} is not ")]
    return " and ".join([*clauses, clause])


@dataclass
class Reference:
    schema: dict[str, Any]
    sections: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    queued: dict[str, str] = field(default_factory=dict)  # $ref or path -> section title

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        return node

    def section_for(self, key: str, title: str, node: dict[str, Any]) -> str:
        """A link to the section documenting ``node``, queueing it the first time."""
        if key not in self.queued:
            self.queued[key] = title
            self.sections.append((title, node))
        return f"[{self.queued[key]}](#{anchor(self.queued[key])})"

    # ---- one value's type and constraints --------------------------------------------------------

    def kind(self, node: Any, path: str) -> str:
        if node is True:
            return "any"
        if "$ref" in node:
            target = self.resolve(node)
            name = node["$ref"].rsplit("/", 1)[1]
            if self.is_documented_object(target):
                return self.section_for(node["$ref"], name, target)
            return self.kind(target, path)
        if "enum" in node:
            return "one of " + ", ".join(code(v) for v in node["enum"])
        if "const" in node:
            return code(node["const"])
        for combinator in ("anyOf", "oneOf"):
            if combinator in node:
                return " or ".join(self.kind(option, path) for option in node[combinator])
        types = node.get("type")
        if isinstance(types, list):
            return " or ".join(types)
        if types == "array":
            items = node.get("items", True)
            return f"list of {self.kind(items, path + '[]')}" + self.limits(node, "Items")
        if types == "object" or "properties" in node:
            if self.is_documented_object(node):
                return self.section_for(path, path, node)
            extra = node.get("additionalProperties")
            if isinstance(extra, dict):
                return f"map of name → {self.kind(extra, path + '.NAME')}"
            return "object"
        return (types or "any") + self.limits(node)

    def is_documented_object(self, node: dict[str, Any]) -> bool:
        return bool(node.get("properties")) or any(k in node for k in ("if", "then"))

    @staticmethod
    def limits(node: dict[str, Any], what: str = "") -> str:
        parts = []
        for key, text in (("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"),
                          ("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
                          (f"min{what}", "at least {} items"), (f"max{what}", "at most {} items"),
                          ("pattern", "matching `{}`")):
            if key in node and key not in ("min", "max"):
                one = node[key] == 1 and key.startswith("min") and key != "minimum"
                parts.append("non-empty" if one else text.format(node[key]))
        return f" ({', '.join(parts)})" if parts else ""

    # ---- one object's section ----------------------------------------------------------------------

    def rows(self, node: dict[str, Any], path: str, required: set[str], suffix: str = "") -> list[str]:
        out = []
        prefix = f"{path}." if path else ""
        for name, prop in node.get("properties", {}).items():
            if prop is True:
                continue
            if isinstance(prop, dict) and prop.get("not") == {}:
                out.append(f"| `{name}` | not allowed | | | {prop.get('errorMessage', '')} |")
                continue
            resolved = self.resolve(prop)
            default = code(resolved["default"]) if "default" in resolved else ""
            notes = [resolved.get("description", "")]
            if resolved.get("errorMessage") and "enum" not in resolved:
                notes.append(f"Must be: {resolved['errorMessage'].removeprefix('must be ')}.")
            text = " ".join(n for n in notes if n).replace("|", "\\|").replace("\n", " ")
            kind = self.kind(prop, f"{prefix}{name}{suffix}").replace("|", "\\|")
            out.append(f"| `{name}` | {kind} | {'yes' if name in required else ''} | {default} | {text} |")
        return out

    def condition(self, node: dict[str, Any]) -> str:
        """The words for an ``if`` schema: the case in which its ``then`` applies."""
        if "anyOf" in node:
            return " or ".join(self.condition(option) for option in node["anyOf"])
        if "not" in node and set(node["not"]) == {"required"}:
            return " and ".join(f"`{k}` is not set" for k in node["not"]["required"])
        if set(node) == {"type"}:
            return f"the value is a {node['type']}"
        consts = [f"`{k}` is {code(v['const'])}" for k, v in node.get("properties", {}).items()
                  if isinstance(v, dict) and "const" in v]
        return " and ".join(consts) or json.dumps(node)

    def negation(self, node: dict[str, Any]) -> str:
        """The words for the case in which an ``if`` schema's ``else`` applies."""
        if "anyOf" in node:
            return " and ".join(self.negation(option) for option in node["anyOf"])
        if "not" in node and set(node["not"]) == {"required"}:
            return " and ".join(f"`{k}` is set" for k in node["not"]["required"])
        if set(node) == {"type"}:
            return f"the value is not a {node['type']}"
        consts = [f"`{k}` is not {code(v['const'])}" for k, v in node.get("properties", {}).items()
                  if isinstance(v, dict) and "const" in v]
        return " or ".join(consts) or f"not {json.dumps(node)}"

    def table(self, node: dict[str, Any], path: str, lines: list[str], when: str = "") -> None:
        # Objects first met under a condition get their own section, named with the condition.
        suffix = f" (when {when.replace('`', '')})" if when else ""
        where = path + suffix
        rows = self.rows(node, path, set(node.get("required", [])), suffix)
        if rows:
            if when:
                lines.append(f"When {when}:\n")
            lines.extend(["| Key | Type | Required | Default | Description |", "|---|---|---|---|---|",
                          *rows, ""])
        elif when and "enum" in node:
            lines.append(f"When {when}: one of {', '.join(code(v) for v in node['enum'])}.\n")
        elif when and node.get("required"):
            lines.append(f"When {when}: {', '.join(f'`{k}`' for k in node['required'])} required.\n")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and (node.get("properties") or when):
            lines.append(f"{'When ' + when + ', other' if when else 'Other'} keys: "
                         f"{self.kind(extra, where + '.NAME')} ({extra.get('errorMessage', '')}).\n")
        for rule in [node, *node.get("allOf", [])]:  # conditions may also stand inside allOf
            if "if" not in rule:
                continue
            if "then" in rule:
                self.table(rule["then"], path, lines, narrow(when, self.condition(rule["if"])))
            if "else" in rule:
                self.table(rule["else"], path, lines, narrow(when, self.negation(rule["if"])))

    def render_section(self, title: str, node: dict[str, Any]) -> list[str]:
        lines = [f"## {title}", ""]
        if node.get("description"):
            lines += [node["description"], ""]
        if "propertyNames" in node:
            lines += [f"Names: {self.kind(node['propertyNames'], title)}.", ""]
        self.table(node, "" if node is self.schema else title, lines)
        for rule in node.get("allOf", []):
            if "errorMessage" in rule:
                lines += [f"Rule: {rule['errorMessage']}.", ""]
        if node.get("additionalProperties") is False:
            lines += ["No other keys are allowed.", ""]
        if title in NOTES:
            lines += [NOTES[title](), ""]
        return lines


def generate(schema: dict[str, Any]) -> str:
    ref = Reference(schema)
    ref.sections.append(("Top level", schema))
    ref.queued["#"] = "Top level"
    body: list[str] = []
    index = 0
    while index < len(ref.sections):  # sections queue more sections as their tables are made
        body += ref.render_section(*ref.sections[index])
        index += 1
    head = [
        "# Manifest reference",
        "",
        "<!-- Generated by docs/gen_manifest_reference.py from ftops/manifest/manifest.schema.json."
        " Do not edit: run `python docs/gen_manifest_reference.py`. -->",
        "",
        f"{schema.get('description', '')} The JSON Schema ({schema.get('$schema', '')}) is the source of "
        "this page; `ftops schema` prints it for editors, and `ftops validate` checks manifests against it "
        "(then adds the rules a schema cannot say: references between names, files on disk, datasets).",
        "",
        "Sections: " + ", ".join(f"[{title}](#{anchor(title)})" for title, _ in ref.sections),
        "",
    ]
    return "\n".join(head + body).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = generate(json.loads(SCHEMA.read_text(encoding="utf-8")))
    if "--check" in argv:
        if PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is out of date: run python docs/gen_manifest_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
