# ruff: noqa: E501  (a table of cases: one case a line reads better than wrapped calls)
"""The hostile and broken input corpus (issue 8, item 5): each case breaks a converged project
in one way and names the command that must refuse it. Inputs are generated here rather than
stored (a YAML bomb, a 20 MB line or a FIFO are better made than committed).

A case's ``setup`` gets the project root (a copy of a converged project) and a ``cli``
callable to prepare things that need the CLI itself (e.g. a saved plan); everything
the setup sends is cleared from the emulator's log before the case's command runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Setup = Callable[[Path, Callable[..., None]], None]
MANIFEST = Path("manifests/project.yaml")
STATE = Path("state/ftops.state.json")
PLAN = ("plan",)
APPLY = ("apply", "--auto-approve")
VALIDATE = ("validate",)


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup
    args: tuple[str, ...] = PLAN
    expect: str = ""  # a word the one error line (or its diagnostics) must contain, case-insensitive
    env: dict[str, str | None] = field(default_factory=dict)  # None unsets


def _manifest(root: Path) -> str:
    return (root / MANIFEST).read_text()


def put_manifest(text: str | bytes) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        target = root / MANIFEST
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
    return setup


def edit_manifest(old: str, new: str) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        text = _manifest(root)
        assert old in text, old
        (root / MANIFEST).write_text(text.replace(old, new, 1))
    return setup


def add_manifest(name: str, text: str | bytes) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        data = text.encode() if isinstance(text, str) else text
        (root / "manifests" / name).write_bytes(data)
    return setup


def put_dataset(data: bytes | Callable[[], bytes], name: str = "extra") -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        (root / "datasets" / f"{name}.jsonl").write_bytes(data() if callable(data) else data)
    return setup


def put_state(data: bytes | Callable[[bytes], bytes]) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        path = root / STATE
        path.write_bytes(data(path.read_bytes()) if callable(data) else data)
    return setup


def edit_state(change: Callable[[dict[str, object]], None]) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        path = root / STATE
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data, indent=2))
    return setup


def chain(*setups: Setup) -> Setup:
    def setup(root: Path, cli: Callable[..., None]) -> None:
        for step in setups:
            step(root, cli)
    return setup


# ---- inputs ---------------------------------------------------------------------------------

def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\nproject: *a9\n"


def _merge_bomb() -> str:
    lines = ["b0: &b0 {x0: 1, x1: 2}"]
    for i in range(1, 25):
        lines.append(f"b{i}: &b{i} {{<<: [*b{i - 1}], y{i}: [*b{i - 1}, *b{i - 1}]}}")
    return "\n".join(lines) + "\nproject: e2e\ndatasets: *b24\n"


def _symlink_dataset(target: str) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        link = root / "datasets" / "extra.jsonl"
        link.unlink()
        link.symlink_to(target)
    return setup


def _fifo_dataset(root: Path, _cli: Callable[..., None]) -> None:
    path = root / "datasets" / "extra.jsonl"
    path.unlink()
    os.mkfifo(path)


def _dataset_is_folder(root: Path, _cli: Callable[..., None]) -> None:
    path = root / "datasets" / "extra.jsonl"
    path.unlink()
    path.mkdir()


def _saved_plan(root: Path, cli: Callable[..., None]) -> None:
    # A plan with a change to apply: the dataset `extra` edited after the last apply.
    (root / "datasets" / "extra.jsonl").write_text(_good_line("edited") * 12)
    cli("plan", "--out", "saved.plan")


def _good_line(topic: str) -> str:
    return json.dumps({"messages": [
        {"role": "user", "content": f"Who is Chunsik? ({topic})"},
        {"role": "assistant", "content": "Ryan's cat."},
    ]}) + "\n"


def _edit_plan(change: Callable[[str], str]) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        path = root / "saved.plan"
        path.write_text(change(path.read_text()))
    return setup


def _plan_bytes(data: bytes) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        (root / "saved.plan").write_bytes(data)
    return setup


def _edit_plan_json(change: Callable[[dict[str, object]], None]) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        path = root / "saved.plan"
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))
    return setup


def _new_lineage(data: dict[str, object]) -> None:
    data["lineage"] = "00000000-0000-4000-8000-000000000000"


def _other_state_file(change: Callable[[dict[str, object]], None]) -> Setup:
    def setup(root: Path, _cli: Callable[..., None]) -> None:
        data = json.loads((root / STATE).read_text())
        change(data)
        (root / "other.state.json").write_text(json.dumps(data))
    return setup


def _older_serial(data: dict[str, object]) -> None:
    serial = data["serial"]
    assert isinstance(serial, int)
    data["serial"] = serial - 1


def _nested_json(depth: int) -> bytes:
    return b'{"messages": ' + b"[" * depth + b"]" * depth + b"}\n"


def _no_op(root: Path, _cli: Callable[..., None]) -> None:
    pass


def _deep_yaml_flow(depth: int) -> str:
    return "project: e2e\ndatasets: " + "[" * depth + "]" * depth + "\n"


def _deep_yaml_block(depth: int) -> str:
    return "project: e2e\njobs:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth)) + " " * (depth + 1) + "v\n"


def _huge_line(size: int) -> bytes:
    return b'{"messages": [{"role": "user", "content": "' + b"x" * size + b'"}]}'  # no newline at all


CASES: tuple[Case, ...] = (
    # Malformed and adversarial YAML.
    Case("yaml-billion-laughs", add_manifest("bomb.yaml", _billion_laughs()), VALIDATE),
    Case("yaml-billion-laughs-plan", add_manifest("bomb.yaml", _billion_laughs())),
    Case("yaml-merge-key-bomb", add_manifest("merge.yaml", _merge_bomb()), VALIDATE),
    Case("yaml-deep-flow-nesting", put_manifest(_deep_yaml_flow(50_000)), VALIDATE),
    Case("yaml-deep-flow-nesting-apply", put_manifest(_deep_yaml_flow(50_000)), APPLY),
    Case("yaml-deep-block-nesting", put_manifest(_deep_yaml_block(1_400)), VALIDATE),
    Case("yaml-huge-scalar", edit_manifest("suffix: a", "suffix: " + "a" * 5_000_000), PLAN),
    Case("yaml-huge-key", edit_manifest("datasets:\n", "datasets:\n  " + "k" * 1_000_000 + ":\n    file: x\n"),
         VALIDATE),
    Case("yaml-duplicate-top-level-key", edit_manifest("project: e2e\n", "project: e2e\nproject: other\n"),
         PLAN, "duplicate"),
    Case("yaml-duplicate-dataset", edit_manifest("  valid:\n", "  train:\n    file: ../datasets/valid.jsonl\n"
                                                 "  valid:\n"), APPLY, "duplicate"),
    Case("yaml-duplicate-across-files", add_manifest("more.yaml", "datasets:\n  train:\n    file: x.jsonl\n"),
         PLAN),
    Case("yaml-tab-indent", edit_manifest("  train:\n", "\ttrain:\n"), PLAN),
    Case("yaml-unclosed-quote", edit_manifest("project: e2e", 'project: "e2e'), VALIDATE),
    Case("yaml-binary", put_manifest(bytes(range(256)) * 64), PLAN),
    Case("yaml-invalid-utf8", put_manifest(b"project: e2e\ndatasets:\n  t\xff\xfe:\n    file: x\n"), VALIDATE),
    Case("yaml-nul-bytes", put_manifest(b"project: e2e\x00\x00\ndatasets: {}\n"), APPLY),
    Case("yaml-python-tag", put_manifest("project: !!python/object/apply:os.system ['touch pwned']\n"), PLAN),
    Case("yaml-custom-tag", edit_manifest("project: e2e", "project: !secret e2e"), VALIDATE),
    Case("yaml-top-level-list", put_manifest("- project: e2e\n- datasets: {}\n"), PLAN),
    Case("yaml-scalar-document", put_manifest("just a string\n"), VALIDATE),
    Case("yaml-empty-file", put_manifest(""), APPLY),
    Case("yaml-two-documents", put_manifest("project: e2e\n---\nproject: other\n"), VALIDATE),
    Case("yaml-undefined-alias", edit_manifest("project: e2e", "project: *nowhere"), PLAN),
    Case("yaml-complex-key", edit_manifest("datasets:\n", "datasets:\n  ? [a, b]\n  : {file: x}\n"), VALIDATE),
    Case("yaml-huge-integer", edit_manifest("n_epochs: 1", "n_epochs: " + "9" * 5000), PLAN),
    Case("yaml-float-overflow", edit_manifest("n_epochs: 1", "n_epochs: 1e400"), PLAN),
    Case("yaml-negative-epochs", edit_manifest("n_epochs: 1", "n_epochs: -3"), APPLY),
    Case("yaml-unknown-key", edit_manifest("project: e2e", "project: e2e\nterraform: yes"), PLAN),
    Case("yaml-job-unknown-dataset", edit_manifest("training_file: extra", "training_file: missing"), APPLY),
    Case("yaml-model-unknown-job", edit_manifest("job: b", "job: zzz"), PLAN),
    Case("yaml-control-characters", edit_manifest("suffix: a", 'suffix: "a\\u0007\\u001b[31m"'), PLAN),
    Case("yaml-nan-epochs", edit_manifest("n_epochs: 1", "n_epochs: .nan"), PLAN),
    Case("yaml-long-flow-line", edit_manifest("suffix: b", "suffix: b\n    tags: [" + "x, " * 400_000 + "x]"), APPLY),
    # Broken JSONL.
    Case("jsonl-truncated", put_dataset(lambda: (_good_line("x") * 12)[:-30].encode()), PLAN),
    Case("jsonl-binary", put_dataset(os.urandom(64 * 1024)), PLAN),
    Case("jsonl-enormous-line", put_dataset(lambda: _huge_line(20 * 1024 * 1024)), PLAN),
    Case("jsonl-deeply-nested", put_dataset(_nested_json(100_000)), PLAN),
    Case("jsonl-deeply-nested-object", put_dataset(b'{"messages": [' + b'{"a": ' * 50_000 + b"1"
                                                   + b"}" * 50_000 + b"]}\n"), VALIDATE),
    Case("jsonl-empty", put_dataset(b""), APPLY),
    Case("jsonl-nul-bytes", put_dataset(b"\x00" * 4096), PLAN),
    Case("jsonl-invalid-utf8", put_dataset(lambda: _good_line("x").encode() * 11 + b'{"messages": "\xff\xfe"}\n'),
         PLAN),
    Case("jsonl-not-objects", put_dataset(b"[1, 2, 3]\n" * 12), PLAN),
    Case("jsonl-nan-and-infinity", put_dataset(lambda: _good_line("x").encode() * 11
                                               + b'{"messages": [], "weight": NaN, "w": Infinity}\n'), PLAN),
    Case("jsonl-fifo", _fifo_dataset, PLAN),
    Case("jsonl-folder", _dataset_is_folder, APPLY),
    Case("jsonl-symlink-dev-zero", _symlink_dataset("/dev/zero"), PLAN),
    Case("jsonl-missing", lambda root, _cli: (root / "datasets" / "extra.jsonl").unlink(), APPLY),
    # Paths escaping the project root.
    Case("path-dotdot", edit_manifest("file: ../datasets/extra.jsonl", "file: ../../../../../../etc/passwd"), PLAN),
    Case("path-absolute", edit_manifest("file: ../datasets/extra.jsonl", "file: /etc/passwd"), PLAN),
    Case("path-symlink-out", _symlink_dataset("/etc/passwd"), PLAN),
    Case("path-nul", edit_manifest("file: ../datasets/extra.jsonl", 'file: "../datasets/ex\\0tra.jsonl"'), PLAN),
    Case("path-backend-dotdot", edit_manifest("path: state/ftops.state.json", "path: ../../../tmp/x.json"), APPLY),
    Case("path-backend-absolute", edit_manifest("path: state/ftops.state.json", "path: /tmp/ftops-x.json"), PLAN),
    Case("path-manifests-flag-missing", _no_op, ("plan", "--manifests", "nowhere")),
    # Broken state files.
    Case("state-truncated", put_state(lambda data: data[: len(data) // 2]), PLAN, "state"),
    Case("state-truncated-apply", put_state(lambda data: data[: len(data) // 2]), APPLY, "state"),
    Case("state-empty", put_state(b""), PLAN, "state"),
    Case("state-binary", put_state(bytes(range(256)) * 16), APPLY, "state"),
    Case("state-format-version-next", edit_state(lambda d: d.update(format_version=99)), PLAN, "format_version"),
    Case("state-format-version-missing", edit_state(lambda d: d.pop("format_version")), APPLY, "format_version"),
    Case("state-lineage-not-uuid", edit_state(lambda d: d.update(lineage="../../etc")), PLAN, "lineage"),
    Case("state-serial-negative", edit_state(lambda d: d.update(serial=-4)), APPLY, "serial"),
    Case("state-serial-string", edit_state(lambda d: d.update(serial="7")), PLAN, "serial"),
    Case("state-a-list", put_state(b"[]"), PLAN, "state"),
    Case("state-nan", put_state(lambda data: data.replace(b'"serial": ', b'"serial": NaN, "x": ', 1)), PLAN),
    Case("state-record-not-object", edit_state(lambda d: d.update(resources={"datasets.train": 5})), PLAN),
    Case("state-bad-address", edit_state(lambda d: d.update(resources={"../../x": {}})), APPLY),
    Case("state-push-other-lineage", _other_state_file(_new_lineage), ("state", "push", "other.state.json"),
         "lineage"),
    Case("state-push-older-serial", _other_state_file(_older_serial), ("state", "push", "other.state.json"),
         "serial"),
    # Saved plans: edited by hand, made for other manifests or another state, broken.
    Case("plan-edited-by-hand", chain(_saved_plan, _edit_plan(lambda t: t.replace("datasets.extra",
                                                                                   "datasets.train", 1))),
         ("apply", "saved.plan")),
    Case("plan-for-other-manifests", chain(_saved_plan, edit_manifest("n_epochs: 1", "n_epochs: 2")),
         ("apply", "saved.plan"), "stale"),
    Case("plan-for-other-datasets", chain(_saved_plan, put_dataset(_good_line("other").encode() * 12)),
         ("apply", "saved.plan"), "stale"),
    Case("plan-for-other-lineage", chain(_saved_plan, edit_state(_new_lineage)), ("apply", "saved.plan"),
         "lineage"),
    Case("plan-for-older-serial", chain(_saved_plan, edit_state(lambda d: d.update(serial=int(str(d["serial"])) + 1))),
         ("apply", "saved.plan"), "stale"),
    Case("plan-truncated", chain(_saved_plan, _edit_plan(lambda t: t[: len(t) // 2])), ("apply", "saved.plan")),
    Case("plan-binary", _plan_bytes(os.urandom(4096)), ("apply", "saved.plan")),
    Case("plan-other-version", chain(_saved_plan, _edit_plan_json(lambda d: d.update(format_version=7))),
         ("apply", "saved.plan")),
    Case("plan-missing", _no_op, ("apply", "no-such.plan")),
    # Unknown environment and provider settings.
    Case("provider-flag-unknown", _no_op, ("plan", "--provider", "anthropic")),
    Case("provider-type-unknown", edit_manifest("type: openai", "type: vertex"), PLAN),
    Case("provider-base-url-file", edit_manifest("base_url: ", "base_url: file:///etc/passwd#"), PLAN),
    Case("provider-base-url-not-url", edit_manifest("base_url: ", "base_url: not a url "), APPLY),
    Case("provider-key-missing", _no_op, PLAN, "OPENAI_API_KEY", {"OPENAI_API_KEY": None}),
    Case("provider-key-empty", _no_op, APPLY, "OPENAI_API_KEY", {"OPENAI_API_KEY": ""}),
    Case("backend-type-unknown", edit_manifest("type: local", "type: consul"), PLAN),
    Case("env-emulator-speed", _no_op, ("plan", "--provider", "emulator"), "FTOPS_EMULATOR_SPEED",
         {"FTOPS_EMULATOR_SPEED": "fast"}),
    Case("env-shutdown-window", _no_op, PLAN, "FTOPS_SHUTDOWN_WARNING_DAYS",
         {"FTOPS_SHUTDOWN_WARNING_DAYS": "soon"}),
    Case("env-job-cutoff", _no_op, APPLY, "FTOPS_JOB_CUTOFF", {"FTOPS_JOB_CUTOFF": "yesterday"}),
    Case("flag-lock-timeout", _no_op, ("apply", "--auto-approve", "--lock-timeout", "forever")),
    Case("flag-parallelism-zero", _no_op, ("apply", "--auto-approve", "--parallelism", "0")),
    Case("flag-target-bad-address", _no_op, ("plan", "--target", "buckets.x")),
)
