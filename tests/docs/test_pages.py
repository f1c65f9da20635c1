"""The docs match the CLI and the code: a page per command, only real options in the
examples, every error line of the troubleshooting page one that ftops can raise, every
error class explained, and no link to a page that does not exist."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from gitops.support import REPO

import ftops.apply.errors
import ftops.errors
from ftops.cli import app

DOCS = REPO / "docs"
COMMANDS = DOCS / "commands"
TROUBLESHOOTING = DOCS / "troubleshooting.md"


def leaf_commands() -> dict[str, Any]:
    """'plan', 'dataset stats', 'state list', ... -> the click command (typer's own click)."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(app), ())
    return found


def page_of(command: str) -> Path:
    """A command's page: its own (``dataset-stats.md``), or its group's (``state.md``)."""
    own = COMMANDS / f"{command.replace(' ', '-')}.md"
    return own if own.exists() else COMMANDS / f"{command.split()[0]}.md"


def test_every_command_has_a_page() -> None:
    commands = leaf_commands()
    assert {"validate", "plan", "apply", "metrics", "state list", "emulator serve"} <= set(commands)
    missing = [c for c in commands if not page_of(c).exists()]
    assert not missing
    # a group's page (state.md) names each of its commands
    assert not [c for c in commands if f"ftops {c}" not in page_of(c).read_text()]


def test_every_option_of_every_command_is_on_its_page() -> None:
    missing = []
    for name, command in leaf_commands().items():
        text = page_of(name).read_text()
        for param in command.params:
            long = [o for o in param.opts if o.startswith("--")]
            if long and long[0] != "--help" and f"{long[0]}" not in text:
                missing.append(f"{name} {long[0]}")
    assert not missing


def example_lines() -> Iterator[tuple[Path, str]]:
    for page in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.splitlines():
                if line.startswith("$ ftops "):
                    yield page, line[2:]


def test_examples_use_only_real_commands_and_options() -> None:
    commands = leaf_commands()
    checked = 0
    for page, line in example_lines():
        words = shlex.split(line.split(" > ")[0].split(" | ")[0])[1:]
        name = next((c for c in sorted(commands, key=len, reverse=True)
                     if words[: len(c.split())] == c.split()), None)
        assert name is not None, f"{page.name}: {line}: no such command"
        options = {opt for param in commands[name].params for opt in param.opts}
        for word in words:
            if word.startswith("-"):
                assert word.split("=")[0] in options, f"{page.name}: {line}: {word} is not in {name}"
        checked += 1
    assert checked >= 30


# ---- troubleshooting -------------------------------------------------------------------------


CANARY = "the state is on fire: call the fire brigade"


def _pattern(node: ast.expr, local: dict[str, ast.expr], depth: int = 0) -> str:
    """A regex for the text ``node`` builds (its variable parts: ``.*``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_pattern(v, local, depth) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _pattern(node.left, local, depth) + _pattern(node.right, local, depth)
    if isinstance(node, ast.IfExp):
        return f"(?:{_pattern(node.body, local, depth)}|{_pattern(node.orelse, local, depth)})"
    if isinstance(node, ast.Name) and node.id in local and depth < 3:
        return _pattern(local[node.id], local, depth + 1)
    return ".*"


def _messages_of(function: ast.FunctionDef) -> Iterator[ast.expr]:
    """The first argument of every ``...Error(...)`` / ``err_line(...)`` call, and every string
    the function returns (messages built by helpers such as a check failure's ``describe``)."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.endswith("Error") or name == "err_line":
                yield node.args[0]
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.JoinedStr):
            yield node.value


def raised_messages() -> list[re.Pattern[str]]:
    """Every message ftops builds, as a regex. A pattern too loose to tell a made-up message
    from a real one (it matches the canary) is left out, so the check cannot pass vacuously."""
    patterns = []
    for path in (REPO / "ftops").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            local = {t.id: n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                     for t in n.targets if isinstance(t, ast.Name)}
            for message in _messages_of(function):
                regex = _pattern(message, local).removeprefix(re.escape("Error: "))
                compiled = re.compile(regex, flags=re.S)
                if not compiled.fullmatch(CANARY):
                    patterns.append(compiled)
    return patterns


def error_lines() -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", TROUBLESHOOTING.read_text(), flags=re.S)
    return [line.removeprefix("Error: ") for block in blocks for line in block.splitlines()
            if line.startswith("Error: ")]


def test_every_error_line_of_the_troubleshooting_page_is_one_ftops_raises() -> None:
    patterns = raised_messages()
    lines = error_lines()
    assert len(lines) >= 40
    unknown = [line for line in lines if not any(p.fullmatch(line) for p in patterns)]
    assert not unknown


def test_a_made_up_message_would_be_caught() -> None:
    patterns = raised_messages()
    for made_up in (CANARY, "saved plan is stale: the plan is old", "OPENAI_API_KEY is missing",
                    "estimated training cost $1 is over the budget"):
        assert not any(p.fullmatch(made_up) for p in patterns), made_up
    assert any(p.fullmatch("saved plan is stale: it was made with no state, and a state exists now")
               for p in patterns)


def leaf_error_classes() -> set[str]:
    classes = [c for m in (ftops.errors, ftops.apply.errors) for c in vars(m).values()
               if isinstance(c, type) and issubclass(c, ftops.errors.FtopsError)]
    return {c.__name__ for c in classes if not any(o is not c and issubclass(o, c) for o in classes)}


def test_every_error_class_is_explained() -> None:
    page = TROUBLESHOOTING.read_text()
    leaves = leaf_error_classes()
    assert {"AuthenticationError", "PermissionDeniedError", "RateLimitedError", "StalePlanError",
            "StateLockedError", "BudgetExceededError", "ProtectedResourceError", "JobFailedError"} <= leaves
    assert not {name for name in leaves if f"`{name}`" not in page} - {"WaitStopped"}


# ---- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")))
def test_links_reach_existing_files_and_headings(page: str) -> None:
    source = DOCS / page
    for target in re.findall(r"\]\(([^)\s]+)\)", source.read_text()):
        if target.startswith(("http://", "https://", "<")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (source.parent / file_part).resolve() if file_part else source
        assert linked.exists(), f"{page}: link to {target}"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.M)
            slugs = {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{page}: no heading #{anchor} in {file_part or page}"


def test_the_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text()
    mine = [p for p in DOCS.rglob("*.md") if p.name != "index.md"]
    assert not [p.name for p in mine if f"({p.relative_to(DOCS).as_posix()})" not in index]
