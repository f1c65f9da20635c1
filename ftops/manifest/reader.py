"""Reading one manifest file safely: bytes -> text -> YAML events -> plain values with their positions.

This is the only place that touches YAML. It never runs PyYAML's constructor on
the whole document: it composes the node tree itself from libyaml's event
stream, so that it can bound what an untrusted file may cost *while* parsing:

* file size (``MAX_FILE_BYTES``), read once;
* nesting depth (``MAX_DEPTH``), checked when a collection opens, so deeply
  nested input never reaches a recursive function;
* expanded size (``MAX_EXPANDED_NODES``): every alias counts as the full size
  of the node it repeats, so a "billion laughs" bomb is refused after a few
  lines instead of being expanded.

Scalars are resolved with the YAML 1.1 safe rules (ints, floats, bools, nulls);
any other explicit tag is refused. Mapping keys keep their source text.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from yaml import events as ev
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ftops.diagnostics import Diagnostic

MAX_FILE_BYTES: Final = 2 * 1024 * 1024
MAX_DEPTH: Final = 32
MAX_EXPANDED_NODES: Final = 200_000
# YAML's own limit on an implicit (``key: value``) key; libyaml reports a longer one as a
# missing ':', which points at the wrong thing.
MAX_KEY_CHARS: Final = 1024
_LONG_KEY: Final = re.compile(r"[^\s:{},\[\]][^:{},\[\]\n]{" + str(MAX_KEY_CHARS) + ",}:")

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 20x faster

TAG_PREFIX: Final = "tag:yaml.org,2002:"
_SCALAR_TAGS: Final = frozenset(TAG_PREFIX + t for t in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS: Final = frozenset({TAG_PREFIX + "seq", TAG_PREFIX + "map"})
_TIMESTAMP: Final = TAG_PREFIX + "timestamp"
_MERGE: Final = TAG_PREFIX + "merge"

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True, slots=True)
class LocatedDocument:
    """One manifest file's top-level mapping as plain values, plus where each value and key stands.

    ``data`` holds plain dicts and lists; it never leaves ``ftops.manifest``.
    """

    path: Path  # absolute
    display: str  # how diagnostics name the file
    data: dict[str, Any]
    value_positions: Mapping[PathKey, Position]
    key_positions: Mapping[PathKey, Position]

    def position(self, path: PathKey, *, key: bool = False) -> Position:
        """The position of ``path`` (its key when ``key``), else of its nearest located ancestor."""
        table = self.key_positions if key else self.value_positions
        probe = path
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.value_positions:
                return self.value_positions[probe]
            probe = probe[:-1]
        return self.value_positions.get((), Position(1, 1))

    def diagnostic(self, path: PathKey, message: str, code: str, *, key: bool = False) -> Diagnostic:
        pos = self.position(path, key=key)
        return Diagnostic(self.display, pos.line, pos.column, dotted(path), message, code=code)


def dotted(path: PathKey) -> str:
    """``("jobs", "a", "checks", 0)`` -> ``jobs.a.checks[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


class _Refused(Exception):
    """A problem that stops reading this file; carries one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def read_manifest(path: Path, display: str) -> tuple[LocatedDocument | None, list[Diagnostic]]:
    """Read and parse one file. Returns the document (None if unusable) and every problem found."""
    try:
        text = _read_text(path, display)
        root = _compose(text, display)
        if root is None:
            return None, [Diagnostic(display, 1, 1, "", "the file is empty; declare something or delete it",
                                     code="manifest.empty-file")]
        builder = _Builder(display)
        data = builder.value(root, ())
    except _Refused as refused:
        return None, [refused.diagnostic]
    if not isinstance(data, dict):
        pos = _pos(root.start_mark)
        message = f"a manifest is a mapping of top-level keys (project, datasets, jobs...), not {kind(data)}"
        return None, [*builder.problems,
                      Diagnostic(display, pos.line, pos.column, "", message, code="manifest.not-a-mapping")]
    doc = LocatedDocument(path, display, data, builder.values, builder.keys)
    return doc, builder.problems


def _read_text(path: Path, display: str) -> str:
    def refuse(message: str, code: str, line: int | None = None, column: int | None = None) -> _Refused:
        return _Refused(Diagnostic(display, line, column, "", message, code=code))

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise refuse(f"cannot read the file: {error.strerror or error}", "manifest.unreadable") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                     "split it or check that it is really a manifest", "manifest.too-large")
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            raise refuse(f"the file is encoded as {name}; save it as UTF-8", "manifest.encoding", 1, 1)
    if raw.startswith(codecs.BOM_UTF8):  # harmless, and some Windows editors add it
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise refuse(f"not valid UTF-8 (byte 0x{raw[error.start]:02x}); save the file as UTF-8",
                     "manifest.encoding", line, column) from None


def _pos(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def _compose(text: str, display: str) -> Node | None:
    """Build the node tree from the event stream, enforcing depth and expansion limits as it goes."""
    loader = _Loader(text)
    stack: list[tuple[Node, str | None, int]] = []  # (collection, anchor, expanded count at its start)
    anchors: dict[str, tuple[Node, int]] = {}
    root: Node | None = None
    documents = 0
    expanded = 0

    def refuse(mark: Any, message: str, code: str) -> _Refused:
        pos = _pos(mark)
        return _Refused(Diagnostic(display, pos.line, pos.column, "", message, code=code))

    def grow(amount: int, mark: Any) -> None:
        nonlocal expanded
        expanded += amount
        if expanded > MAX_EXPANDED_NODES:
            raise refuse(mark, f"anchors and aliases expand to more than {MAX_EXPANDED_NODES:,} values "
                         "(a YAML bomb?); write the values out or use fewer aliases", "manifest.alias-bomb")

    def attach(node: Node, anchor: str | None, size: int) -> None:
        nonlocal root
        if anchor is not None:
            anchors[anchor] = (node, size)
        if not stack:
            root = node
            return
        parent = stack[-1][0]
        if isinstance(parent, SequenceNode):
            parent.value.append(node)
        elif parent.value and parent.value[-1][1] is None:  # the value of a pending key
            parent.value[-1] = (parent.value[-1][0], node)
        else:
            parent.value.append((node, None))

    try:
        while loader.check_event():
            event: Any = loader.get_event()
            start: Any = event.start_mark  # libyaml's marks: same fields as PyYAML's
            end: Any = event.end_mark
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise refuse(event.start_mark, "a manifest file holds one YAML document; split the "
                                 "documents after '---' into separate files", "manifest.multi-document")
            elif isinstance(event, ev.ScalarEvent):
                grow(1, event.start_mark)
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(ScalarNode, event.value, event.implicit)
                node: Node = ScalarNode(tag, event.value, start, end, event.style)
                attach(node, event.anchor, 1)
            elif isinstance(event, ev.SequenceStartEvent | ev.MappingStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise refuse(event.start_mark, f"nested deeper than {MAX_DEPTH} levels",
                                 "manifest.too-deep")
                grow(1, event.start_mark)
                is_seq = isinstance(event, ev.SequenceStartEvent)
                node_class = SequenceNode if is_seq else MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = loader.resolve(node_class, None, event.implicit)
                node = node_class(tag, [], start, end, event.flow_style)
                stack.append((node, event.anchor, expanded - 1))
            elif isinstance(event, ev.SequenceEndEvent | ev.MappingEndEvent):
                node, anchor, start = stack.pop()
                node.end_mark = end
                attach(node, anchor, expanded - start)
            elif isinstance(event, ev.AliasEvent):
                if event.anchor not in anchors:
                    raise refuse(event.start_mark, f"alias *{event.anchor} refers to no anchor defined "
                                 "before it", "manifest.unknown-alias")
                target, size = anchors[event.anchor]
                grow(size, event.start_mark)
                attach(target, None, size)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        long_key = _long_key(text, mark)
        if long_key is not None:
            raise long_key_refusal(display, *long_key) from None
        problem = error.problem or error.context or "invalid YAML"
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problem = "a tab character; YAML indentation must use spaces"
        elif error.context and error.context_mark is not None and error.problem_mark is not None \
                and error.context_mark.line != error.problem_mark.line:
            problem += f" ({error.context} that starts at line {error.context_mark.line + 1}, " \
                       f"column {error.context_mark.column + 1})"
        raise refuse(mark, f"invalid YAML: {problem}", "manifest.yaml-syntax") from None
    except yaml.YAMLError as error:  # e.g. non-printable characters (reader errors carry a position)
        line, column = _reader_position(error, text)
        raise _Refused(Diagnostic(display, line, column, "", f"invalid YAML: {error}".split("\n")[0],
                                  code="manifest.yaml-syntax")) from None
    finally:
        loader.dispose()
    return root


def _long_key(text: str, mark: Any) -> tuple[int, int, int] | None:
    """(line, column, length) of a key longer than YAML allows on the line of a syntax error."""
    if mark is None or not 0 <= mark.index <= len(text):
        return None
    start = text.rfind("\n", 0, mark.index) + 1
    end = text.find("\n", mark.index)
    found = _LONG_KEY.search(text, start, len(text) if end < 0 else end)
    if found is None:
        return None
    key = found.group()[:-1].rstrip()  # as written: YAML's limit counts a quoted key's quotes
    return mark.line + 1, found.start() - start + 1, len(key)


def long_key_refusal(display: str, line: int, column: int, length: int) -> _Refused:
    message = f"key too long ({length:,} characters; YAML allows at most {MAX_KEY_CHARS:,} in a key)"
    return _Refused(Diagnostic(display, line, column, "", message, code="manifest.key-too-long"))


def _reader_position(error: yaml.YAMLError, text: str) -> tuple[int | None, int | None]:
    position = getattr(error, "position", None)
    if not isinstance(position, int):
        return None, None
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


class _Builder:
    """Nodes -> plain values, recording positions, duplicate keys and unsupported scalars."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.values: dict[PathKey, Position] = {}
        self.keys: dict[PathKey, Position] = {}
        self.problems: list[Diagnostic] = []
        self._constructor = yaml.SafeLoader("")  # used only for its scalar constructors

    def problem(self, mark: Any, path: PathKey, message: str, code: str) -> None:
        pos = _pos(mark)
        self.problems.append(Diagnostic(self.display, pos.line, pos.column, dotted(path), message, code=code))

    def value(self, node: Node, path: PathKey) -> Any:
        self.values.setdefault(path, _pos(node.start_mark))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if node.tag not in _COLLECTION_TAGS:  # e.g. !!python/object/apply: refused, never constructed
            self.problem(node.start_mark, path, f"unsupported YAML tag {node.tag!r}; use plain values",
                         "manifest.yaml-tag")
        if isinstance(node, SequenceNode):
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover - the composer makes only these

    def scalar(self, node: ScalarNode, path: PathKey) -> Any:
        if node.tag == _TIMESTAMP:  # dates stay text: they are names and labels here, not instants
            return node.value
        if node.tag not in _SCALAR_TAGS:
            self.problem(node.start_mark, path, f"unsupported YAML tag {node.tag!r}; use plain values",
                         "manifest.yaml-tag")
            return node.value
        try:
            value = self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError):
            wanted = node.tag.rsplit(":", 1)[-1]
            self.problem(node.start_mark, path, f"cannot read {node.value!r} as {wanted}",
                         "manifest.yaml-tag")
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node.start_mark, path, f"{node.value!r} is not a finite number",
                         "manifest.not-finite")
            return node.value
        return value

    def mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if value_node is None:  # pragma: no cover - libyaml always pairs keys
                continue
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node.start_mark, path, "a key must be a plain scalar, not a collection",
                             "manifest.complex-key")
                continue
            key = key_node.value
            key_pos = _pos(key_node.start_mark)
            if key in first_seen:
                first = first_seen[key]
                self.problem(key_node.start_mark, (*path, key),
                             f"duplicate key {key!r} (first at line {first.line}); YAML keeps only one, "
                             "so delete or rename one of them", "manifest.duplicate-key")
                continue
            first_seen[key] = key_pos
            self.keys.setdefault((*path, key), key_pos)
            out[key] = self.value(value_node, (*path, key))
        for source in merged:  # '<<: *defaults': explicit keys win over merged ones
            if not isinstance(source, MappingNode):
                self.problem(source.start_mark, path, "'<<' merges only mappings", "manifest.bad-merge")
                continue
            extra = self.mapping(source, path)
            for key, item in extra.items():
                out.setdefault(key, item)
        return out


def kind(value: Any) -> str:
    """A value's type as a manifest author would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
