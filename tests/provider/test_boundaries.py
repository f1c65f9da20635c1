"""The provider package is the only door to a service: nothing else imports a service's SDK or
knows its id formats, and the provider never starts the emulator (the composition root does).
Read from the source with ``ast``, so a new module cannot slip past."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ftops"
# The SDKs of the services ftops talks to (and of the ones it may next).
SDKS = frozenset({"openai", "together", "azure"})
# How services spell their ids: only an adapter may test a text against them.
ID_PREFIXES = frozenset({"ftjob-", "ft:", "ft-"})


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).as_posix()
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=relative)


def imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_no_sdk_is_imported_outside_the_provider_package() -> None:
    """(The emulator is a separate service: it may import what it needs, but not the provider,
    or it would stop being an independent oracle for the adapters.)"""
    offenders = [
        f"{name}:{line}: import {module}"
        for name, tree in modules()
        if not name.startswith(("ftops/provider/", "ftops/emulator/"))
        for line, module in imported(tree)
        if module.split(".")[0] in SDKS
    ]
    offenders += [
        f"{name}:{line}: import {module}"
        for name, tree in modules()
        if name.startswith("ftops/emulator/")
        for line, module in imported(tree)
        if module == "ftops.provider" or module.startswith("ftops.provider.")
    ]
    assert offenders == []


def test_the_provider_never_imports_the_emulator() -> None:
    offenders = [
        f"{name}:{line}: import {module}"
        for name, tree in modules()
        if name.startswith("ftops/provider/")
        for line, module in imported(tree)
        if module == "ftops.emulator" or module.startswith("ftops.emulator.")
    ]
    assert offenders == []


def test_no_id_format_is_tested_outside_the_provider() -> None:
    """``x.startswith("ftjob-")`` or ``"ft:"`` in a rule means a rule that breaks on the next service."""
    offenders = []
    for name, tree in modules():
        if name.startswith(("ftops/provider/", "ftops/emulator/")):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ID_PREFIXES:
                offenders.append(f"{name}:{node.lineno}: {node.value!r}")
    assert offenders == []
